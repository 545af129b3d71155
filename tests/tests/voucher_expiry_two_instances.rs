//! Art. 29.3 through real processes: vouchers not used within their validity are cancelled by
//! the expiry job — once each, however many instances of the vouchers service run it. Two more
//! instances, forty days ahead (`NSK_CLOCK_OFFSET_DAYS`), share the database of the first; every
//! voucher past its last day ends exactly once, with one event, and its budget comes back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use nsk_e2e::walk::{call_as, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

const VOUCHERS: u32 = 240;

/// How many vouchers the expiry job of the instance logged as expired.
fn expired_in_log(platform: &Platform, name: &str) -> u64 {
    let log =
        std::fs::read_to_string(platform.log_dir.join(format!("{name}.log"))).unwrap_or_default();
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| entry["message"] == "vouchers expired")
        .filter_map(|entry| entry["expired"].as_u64())
        .sum()
}

#[tokio::test]
async fn two_expiry_jobs_end_each_voucher_past_its_validity_once_and_release_its_budget() {
    let mut platform = Platform::start("vexp").await;
    let year: i32 = today()[..4].parse().unwrap();
    let reply = platform
        .http
        .put(platform.url(&format!("/v1/voucher-terms/{year}")))
        .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
        .json(&json!({
            "validityDays": 30,
            "regions": [
                {"region": "karaganda", "rateTiyn": "4500000", "budgetCount": "500", "budgetTiyn": "100000000000"},
                {"region": "astana", "rateTiyn": "5000000", "budgetCount": "500", "budgetTiyn": "100000000000"}
            ],
            "basis": {"number": "MLSP-V-7", "date": today()}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);

    // Two regions' offices issue; the last voucher is cancelled, which the job must leave alone.
    let mut numbers = Vec::new();
    for n in 0..VOUCHERS {
        let region = if n % 2 == 0 { "karaganda" } else { "astana" };
        let office = nsk_runtime::testing::office_token(&format!("office-{region}"), region);
        let (status, body) = call_as(
            &platform,
            Some(&office),
            "/v1/vouchers",
            Some(&json!({
                "holderIin": nsk_runtime::testing::iin(n), "holderName": "Жумабаев Ерлан",
                "region": region,
                "registration": {"number": format!("U-{n}"), "date": today(), "office": "Employment center"}
            })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        numbers.push((
            body["id"].as_str().unwrap().to_string(),
            body["number"].as_str().unwrap().to_string(),
            region,
        ));
    }
    let (cancelled_id, _, cancelled_region) = numbers.pop().unwrap();
    let office = nsk_runtime::testing::office_token("office-astana", cancelled_region);
    let (status, body) = call_as(
        &platform,
        Some(&office),
        &format!("/v1/vouchers/{cancelled_id}:cancel"),
        Some(&json!({"reason": "the holder found work"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let due = numbers.len() as i64;

    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&platform.database_url("vouchers"))
        .await
        .unwrap();
    // The instance of today expires nothing: the vouchers are valid for 30 more days.
    let expired: i64 = sqlx::query_scalar("SELECT count(*) FROM vouchers WHERE status = 'expired'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(expired, 0);

    // Forty days on, two instances start their jobs at the same moment.
    for name in ["vouchers-b", "vouchers-c"] {
        platform.start_instance("vouchers", name, &[("NSK_CLOCK_OFFSET_DAYS", "40")]);
    }
    platform
        .eventually(Duration::from_secs(60), "every due voucher expired", || {
            let pool = pool.clone();
            async move {
                let n: i64 =
                    sqlx::query_scalar("SELECT count(*) FROM vouchers WHERE status = 'expired'")
                        .fetch_one(&pool)
                        .await
                        .ok()?;
                (n == due).then_some(())
            }
        })
        .await;

    // Once each: one event per voucher, and the jobs' own counts add up to the vouchers.
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox_events WHERE event_type = 'nsk.vouchers.v1.VoucherExpired'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(events, due, "one VoucherExpired event per voucher");
    let distinct: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT message_key) FROM outbox_events WHERE event_type = 'nsk.vouchers.v1.VoucherExpired'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(distinct, due);
    let (b, c) = (
        expired_in_log(&platform, "vouchers-b"),
        expired_in_log(&platform, "vouchers-c"),
    );
    assert_eq!(
        b + c,
        due as u64,
        "the two jobs expired {b} and {c}: each voucher once"
    );
    assert_eq!(expired_in_log(&platform, "vouchers"), 0);

    // The cancelled voucher stays cancelled; the budgets hold nothing any more.
    let status: String = sqlx::query_scalar("SELECT status FROM vouchers WHERE id = $1::uuid")
        .bind(&cancelled_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "cancelled");
    let committed: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT region, committed_count, committed_tiyn FROM voucher_region_terms
          WHERE year = $1 ORDER BY region",
    )
    .bind(year)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        committed,
        vec![("astana".into(), 0, 0), ("karaganda".into(), 0, 0)]
    );

    // Anyone checking a voucher by its number sees it expired, through the gateway.
    let (_, number, _) = &numbers[0];
    let (status, body) = call_as(
        &platform,
        None,
        &format!("/v1/voucher-check/{number}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "VOUCHER_STATUS_EXPIRED", "{body}");
}

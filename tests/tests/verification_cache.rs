//! Public verification from the gateway's memory, exact: the gateway keeps the answers it was
//! asked for and follows the registry's feed of changes. A document cancelled through the API,
//! and another cancelled by an operator's SQL straight in the registry's database, each read
//! CANCELLED — in JSON and on the page — within a second of the commit, and never VALID after
//! it; an unrelated document keeps being answered from memory. Checks answered from memory
//! reach the registry's daily counts, each once. With the registry down, the answer is "could
//! not check" (503), never a remembered VALID.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use nsk_e2e::seed::public_data;
use nsk_e2e::walk::{call, call_as, center_token, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

/// One check of `serial`: HTTP status, the document's status (or the page's verdict), and
/// where the gateway took the answer from.
async fn check(platform: &Platform, serial: &str, page: bool) -> (u16, String, String) {
    let mut request = platform
        .http
        .get(platform.url(&format!("/v1/verify/{serial}")));
    if page {
        request = request.header("Accept", "text/html");
    }
    let reply = request.send().await.unwrap();
    let code = reply.status().as_u16();
    let from = reply
        .headers()
        .get("x-nsk-answered-from")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = reply.text().await.unwrap();
    let status = if page {
        ["valid", "expired", "cancelled", "unknown", "unavailable"]
            .into_iter()
            .find(|v| body.contains(&format!("verdict-{v}")))
            .map(|v| v.to_uppercase())
            .unwrap_or_default()
    } else {
        serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| {
                v["status"]
                    .as_str()
                    .map(|s| s.replace("DOCUMENT_STATUS_", ""))
            })
            .unwrap_or_default()
    };
    (code, status, from)
}

/// Checks `serial` (JSON and page in turn) for 1.5 s after `committed`: returns when it first
/// read CANCELLED, and fails if anything read VALID a second or more after the commit.
async fn watch_flip(
    platform: &Platform,
    serial: &str,
    committed: Instant,
    checks: &mut u64,
) -> Duration {
    let mut flipped = None;
    let mut page = false;
    while committed.elapsed() < Duration::from_millis(1500) {
        let (code, status, from) = check(platform, serial, page).await;
        *checks += 1;
        let at = committed.elapsed();
        assert_eq!(code, 200, "{serial} at {at:?}");
        if status == "CANCELLED" {
            flipped.get_or_insert(at);
        } else {
            assert!(
                at < Duration::from_secs(1),
                "{serial} read {status} (from {from}, page: {page}) {at:?} after its cancellation committed"
            );
            assert!(
                flipped.is_none(),
                "{serial} read {status} again after CANCELLED"
            );
        }
        page = !page;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    flipped.expect("the cancellation was never seen")
}

#[tokio::test]
async fn the_gateway_answers_from_memory_and_never_valid_a_second_after_a_cancellation() {
    let mut platform = Platform::start("verifycache").await;
    let data = public_data(&platform).await;
    let mut checks: u64 = 0;
    let (status, second) = call_as(
        &platform,
        Some(&center_token(&data.center)),
        "/v1/documents",
        Some(&json!({
            "holder": {"iin": "880515400018", "fullName": "Абенов Марат"},
            "professionId": data.profession_id, "nqfLevel": 3,
            "procedureDate": today(), "protocolNumber": "P-3", "protocolDate": today(),
            "headOfCenter": "D. Omarov"
        })),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    let second_serial = second["serialNumber"].as_str().unwrap().to_string();

    // Asked once, then answered from memory once the feed vouches for it.
    for serial in [&data.valid, &second_serial] {
        let since = Instant::now();
        loop {
            let (code, status, from) = check(&platform, serial, false).await;
            checks += 1;
            assert_eq!((code, status.as_str()), (200, "VALID"), "{serial}");
            if from == "memory" {
                break;
            }
            assert!(
                since.elapsed() < Duration::from_secs(20),
                "{serial} never answered from memory (last: {from})\n{}",
                platform.log_tails()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let (_, status, from) = check(&platform, &data.valid, true).await;
    checks += 1;
    assert_eq!(status, "VALID", "the page from memory too ({from})");

    // Cancelled through the API: the answer flips within a second of the commit.
    let (status, cancelled) = call(
        &platform,
        Some(Role::AuthorizedBodyAdmin),
        &format!("/v1/documents/{}:cancel", second["id"].as_str().unwrap()),
        Some(&json!({
            "reason": "registered in error by the center",
            "ground": "CANCELLATION_GROUND_COURT_DECISION",
            "basis": {"number": "2-4410/2026", "date": today(), "title": "Decision"}
        })),
    )
    .await;
    let committed = Instant::now();
    assert_eq!(status, 200, "{cancelled}");
    let flipped = watch_flip(&platform, &second_serial, committed, &mut checks).await;
    println!("cancelled through the API: CANCELLED after {flipped:?}");
    // The other document is still answered from memory: one change forgets one serial.
    let (code, status, from) = check(&platform, &data.valid, false).await;
    checks += 1;
    assert_eq!(
        (code, status.as_str(), from.as_str()),
        (200, "VALID", "memory")
    );

    // Cancelled by an operator's SQL, not through the service: the table's own trigger tells.
    let db = sqlx::PgPool::connect(&platform.database_url("documents"))
        .await
        .unwrap();
    let updated = sqlx::query(
        "UPDATE documents SET cancelled_on = CURRENT_DATE, cancel_reason = 'court decision entered by the operator',
                cancel_ground = 'court_decision', version = version + 1,
                cancel_basis = jsonb_build_object('number', '2-5120/2026', 'date', CURRENT_DATE::text, 'title', 'Decision')
          WHERE serial_number = $1 AND cancelled_on IS NULL",
    )
    .bind(&data.valid)
    .execute(&db)
    .await
    .unwrap();
    let committed = Instant::now();
    assert_eq!(updated.rows_affected(), 1);
    let flipped = watch_flip(&platform, &data.valid, committed, &mut checks).await;
    println!("cancelled by SQL: CANCELLED after {flipped:?}");

    // Every check counted once, whether memory or the registry answered it.
    let counted: i64 = platform
        .eventually(
            Duration::from_secs(30),
            "every check in the registry's counts",
            || async {
                let counted: Option<i64> =
                    sqlx::query_scalar("SELECT SUM(count)::bigint FROM verification_counts")
                        .fetch_one(&db)
                        .await
                        .unwrap();
                let counted = counted.unwrap_or(0);
                (counted >= checks as i64).then_some(counted)
            },
        )
        .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let settled: Option<i64> =
        sqlx::query_scalar("SELECT SUM(count)::bigint FROM verification_counts")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(
        (counted, settled.unwrap_or(0)),
        (checks as i64, checks as i64),
        "each check counted once"
    );

    // The registry down: what memory holds is no longer vouched for — "could not check".
    let (_, status, from) = check(&platform, &data.expired, false).await;
    assert_eq!(status, "EXPIRED", "{from}");
    platform.stop("documents").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for page in [false, true] {
        let (code, status, from) = check(&platform, &data.expired, page).await;
        assert_eq!(code, 503, "page: {page}, {status} from {from}");
        assert_ne!(status, "EXPIRED");
        assert_ne!(status, "VALID");
    }
}

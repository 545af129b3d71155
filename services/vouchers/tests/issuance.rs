//! Vouchers through the gRPC API against the real PostgreSQL and broker: the authorized body's
//! terms, issuance by employment offices (their region, once a year per person, the budget),
//! extension for disability, cancellation, the public check.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_identity::Role;
use nsk_proto::nsk::common::v1::BasisDocument;
use nsk_proto::nsk::vouchers::v1 as pb;
use nsk_proto::nsk::vouchers::v1::voucher_service_client::VoucherServiceClient;
use nsk_runtime::testing::{self, bearer, iin};
use tonic::transport::Channel;
use tonic::{Code, Request};

type Client = VoucherServiceClient<Channel>;

struct TestApp {
    client: Client,
    config: nsk_config::ServiceConfig,
}

async fn spawn_app(label: &str) -> TestApp {
    let (config, channel) = testing::spawn("vouchers", label, nsk_vouchers::build).await;
    TestApp {
        client: VoucherServiceClient::new(channel),
        config,
    }
}

fn admin<T>(message: T) -> Request<T> {
    bearer(
        message,
        &testing::token("mlsp-finance-1", &[Role::AuthorizedBodyAdmin], None),
    )
}

fn office<T>(region: &str, message: T) -> Request<T> {
    bearer(
        message,
        &testing::office_token(&format!("office-{region}"), region),
    )
}

fn today() -> chrono::NaiveDate {
    nsk_calendar::kazakhstan_date(chrono::Utc::now())
}

fn year() -> i32 {
    chrono::Datelike::year(&today())
}

fn region(code: &str, rate: i64, count: i64, amount: i64) -> pb::RegionTerms {
    pb::RegionTerms {
        region: code.into(),
        rate_tiyn: rate,
        budget_count: count,
        budget_tiyn: amount,
        ..Default::default()
    }
}

fn terms(regions: Vec<pb::RegionTerms>, expected_version: i64) -> pb::SetVoucherTermsRequest {
    pb::SetVoucherTermsRequest {
        year: year(),
        request_id: String::new(),
        validity_days: 90,
        regions,
        basis: Some(BasisDocument {
            number: "MLSP-V-1".into(),
            date: today().to_string(),
            title: "Rules of issuance and financing of vouchers".into(),
        }),
        expected_version,
    }
}

fn issue(n: u32, region: &str) -> pb::IssueVoucherRequest {
    pb::IssueVoucherRequest {
        request_id: String::new(),
        holder_iin: iin(n),
        holder_name: "Жумабаев Ерлан".into(),
        region: region.into(),
        registration: Some(pb::UnemploymentRegistration {
            number: format!("U-{n}"),
            date: today().to_string(),
            office: format!("Employment center of {region}"),
        }),
    }
}

#[tokio::test]
async fn terms_are_the_authorized_bodys_versioned_and_named_field_by_field_art_29_4() {
    let mut app = spawn_app("vterms").await;
    let denied = app
        .client
        .set_voucher_terms(office("karaganda", terms(vec![], 0)))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let mut bad = terms(vec![region("narnia", 0, 1, 1)], 0);
    bad.validity_days = 0;
    let refused = app.client.set_voucher_terms(admin(bad)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    for field in [
        "validity_days",
        "regions[narnia]",
        "regions[narnia].rate_tiyn",
    ] {
        assert!(refused.message().contains(field), "{field}: {refused:?}");
    }
    let first = app
        .client
        .set_voucher_terms(admin(terms(
            vec![region("karaganda", 4_500_000, 10, 45_000_000)],
            0,
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.version, 1);
    let second = app
        .client
        .set_voucher_terms(admin(terms(
            vec![region("karaganda", 5_000_000, 10, 50_000_000)],
            1,
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.version, 2);
    let stale = app
        .client
        .set_voucher_terms(admin(terms(vec![region("karaganda", 1, 1, 1)], 1)))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    let read = app
        .client
        .get_voucher_terms(office(
            "karaganda",
            pb::GetVoucherTermsRequest { year: year() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.regions[0].rate_tiyn, 5_000_000);
}

#[tokio::test]
async fn an_office_issues_in_its_region_once_a_year_per_person_within_the_budget_art_29() {
    let mut app = spawn_app("vissue").await;
    app.client
        .set_voucher_terms(admin(terms(
            vec![
                region("karaganda", 4_500_000, 2, 100_000_000),
                region("astana", 5_000_000, 10, 100_000_000),
            ],
            0,
        )))
        .await
        .unwrap();
    let first = app
        .client
        .issue_voucher(office("karaganda", issue(1, "karaganda")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.status, pb::VoucherStatus::Issued as i32);
    assert_eq!(first.issued_on, today().to_string());
    assert_eq!(
        first.valid_until,
        (today() + chrono::Days::new(90)).to_string(),
        "90 days after the day of issue"
    );
    assert_eq!(first.rate_tiyn, 4_500_000);
    assert!(
        first.number.starts_with(&format!("VC-{}-", year())),
        "{}",
        first.number
    );

    // Another office, another region: the same person already has this year's voucher.
    let twice = app
        .client
        .issue_voucher(office("astana", issue(1, "astana")))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::AlreadyExists);
    assert!(twice.message().contains("region karaganda"), "{twice:?}");
    assert!(twice.message().contains(&today().to_string()), "{twice:?}");
    assert!(
        !twice.message().contains(&iin(1)),
        "nothing of the person: {twice:?}"
    );

    // An office issues for its own region only.
    let elsewhere = app
        .client
        .issue_voucher(office("astana", issue(2, "karaganda")))
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code(), Code::PermissionDenied);

    // The region's count runs out at two.
    app.client
        .issue_voucher(office("karaganda", issue(2, "karaganda")))
        .await
        .unwrap();
    let exhausted = app
        .client
        .issue_voucher(office("karaganda", issue(3, "karaganda")))
        .await
        .unwrap_err();
    assert_eq!(exhausted.code(), Code::FailedPrecondition);
    assert!(
        exhausted.message().contains("region karaganda")
            && exhausted.message().contains("2 of 2 vouchers"),
        "{exhausted:?}"
    );

    // Cancelled unused, the first gives its budget back.
    let cancelled = app
        .client
        .cancel_voucher(office(
            "karaganda",
            pb::CancelVoucherRequest {
                id: first.id.clone(),
                request_id: String::new(),
                reason: "the holder found work".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status, pb::VoucherStatus::Cancelled as i32);
    app.client
        .issue_voucher(office("karaganda", issue(3, "karaganda")))
        .await
        .unwrap();
    let read = app
        .client
        .get_voucher_terms(admin(pb::GetVoucherTermsRequest { year: year() }))
        .await
        .unwrap()
        .into_inner();
    let karaganda = read
        .regions
        .iter()
        .find(|r| r.region == "karaganda")
        .unwrap();
    assert_eq!(
        (karaganda.committed_count, karaganda.committed_tiyn),
        (2, 9_000_000)
    );

    // Anyone checks a voucher by its number, and sees nothing of its holder.
    let checked = app
        .client
        .check_voucher(pb::CheckVoucherRequest {
            number: first.number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(checked.status, pb::VoucherStatus::Cancelled as i32);
    assert_eq!(checked.region, "karaganda");
    // A NUL byte, and a two-byte letter where a digit is expected: 400, never a panic.
    for number in ["VC-20\u{0}6-1", "VC-202é-0000001", "VC-2026-000000é"] {
        let malformed = app
            .client
            .check_voucher(pb::CheckVoucherRequest {
                number: number.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(malformed.code(), Code::InvalidArgument, "{number}");
    }
}

#[tokio::test]
async fn two_offices_racing_for_one_person_give_exactly_one_voucher_art_29() {
    let app = spawn_app("vrace").await;
    let mut client = app.client.clone();
    client
        .set_voucher_terms(admin(terms(
            vec![
                region("karaganda", 4_500_000, 100, 1_000_000_000),
                region("astana", 5_000_000, 100, 1_000_000_000),
            ],
            0,
        )))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for attempt in 0..50 {
        let mut client = app.client.clone();
        let region = if attempt % 2 == 0 {
            "karaganda"
        } else {
            "astana"
        };
        tasks.push(tokio::spawn(async move {
            client
                .issue_voucher(office(region, issue(7, region)))
                .await
                .map(|r| r.into_inner())
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => won += 1,
            Err(status) => assert_eq!(status.code(), Code::AlreadyExists, "{status:?}"),
        }
    }
    assert_eq!(won, 1);
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    let (vouchers, committed): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM vouchers), (SELECT sum(committed_count)::bigint FROM voucher_region_terms)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (vouchers, committed),
        (1, 1),
        "the losers' budget commits rolled back"
    );
}

#[tokio::test]
async fn disability_extends_the_voucher_by_the_days_within_its_validity_art_29_3() {
    let mut app = spawn_app("vextend").await;
    app.client
        .set_voucher_terms(admin(terms(
            vec![region("karaganda", 4_500_000, 10, 100_000_000)],
            0,
        )))
        .await
        .unwrap();
    let voucher = app
        .client
        .issue_voucher(office("karaganda", issue(4, "karaganda")))
        .await
        .unwrap()
        .into_inner();
    let sheet = |number: &str, from: u64, to: u64| pb::ExtendVoucherRequest {
        id: voucher.id.clone(),
        request_id: String::new(),
        sick_leave: Some(pb::SickLeave {
            number: number.into(),
            from: (today() + chrono::Days::new(from)).to_string(),
            to: (today() + chrono::Days::new(to)).to_string(),
        }),
    };
    // Days 10-19 and 15-24 of the validity: 15 distinct days.
    app.client
        .extend_voucher(office("karaganda", sheet("SL-1", 10, 19)))
        .await
        .unwrap();
    let extended = app
        .client
        .extend_voucher(office("karaganda", sheet("SL-2", 15, 24)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        extended.valid_until,
        (today() + chrono::Days::new(90 + 15)).to_string()
    );
    assert_eq!(extended.sick_leaves.len(), 2);
    let other = app
        .client
        .extend_voucher(office("astana", sheet("SL-3", 30, 31)))
        .await
        .unwrap_err();
    assert_eq!(other.code(), Code::PermissionDenied);
    let backwards = app
        .client
        .extend_voucher(office("karaganda", sheet("SL-4", 31, 30)))
        .await
        .unwrap_err();
    assert_eq!(backwards.code(), Code::InvalidArgument);
    assert!(
        backwards.message().contains("sick_leave.to"),
        "{backwards:?}"
    );

    // The voucher's events are numbered in order: issued 1, extended 2 and 3 (the refused
    // extensions announced nothing).
    let envelopes = testing::read_events(&app.config, "vouchers", 4).await;
    let versions: Vec<(String, i64)> = envelopes
        .into_iter()
        .filter(|e| e.aggregate_id == voucher.id)
        .map(|e| (e.event_type, e.aggregate_version))
        .collect();
    assert_eq!(
        versions,
        vec![
            ("nsk.vouchers.v1.VoucherIssued".to_string(), 1),
            ("nsk.vouchers.v1.VoucherExtended".to_string(), 2),
            ("nsk.vouchers.v1.VoucherExtended".to_string(), 3),
        ]
    );
}

#[tokio::test]
async fn the_expiry_job_ends_an_unused_voucher_once_with_two_instances_and_releases_its_budget_art_29_3(
) {
    let mut app = spawn_app("vexpire").await;
    app.client
        .set_voucher_terms(admin(terms(
            vec![region("karaganda", 4_500_000, 10, 100_000_000)],
            0,
        )))
        .await
        .unwrap();
    let kept = app
        .client
        .issue_voucher(office("karaganda", issue(5, "karaganda")))
        .await
        .unwrap()
        .into_inner();
    let ending = app
        .client
        .issue_voucher(office("karaganda", issue(6, "karaganda")))
        .await
        .unwrap()
        .into_inner();
    // Time passes for one of them: its last day was yesterday.
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    let yesterday = today().pred_opt().unwrap();
    sqlx::query("UPDATE vouchers SET valid_until = $2 WHERE id = $1::uuid")
        .bind(&ending.id)
        .bind(yesterday)
        .execute(&pool)
        .await
        .unwrap();
    let outbox = nsk_events::Outbox::new("vouchers", &app.config.kafka);
    // On its last day it is still valid.
    assert_eq!(
        nsk_vouchers::expiry::expire_due(&pool, &outbox, yesterday)
            .await
            .unwrap(),
        0
    );
    let (a, b) = tokio::join!(
        nsk_vouchers::expiry::expire_due(&pool, &outbox, today()),
        nsk_vouchers::expiry::expire_due(&pool, &outbox, today())
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox_events WHERE event_type = $1")
            .bind("nsk.vouchers.v1.VoucherExpired")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(events, 1);
    let check = |number: String| pb::CheckVoucherRequest { number };
    let expired = app
        .client
        .check_voucher(check(ending.number.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(expired.status, pb::VoucherStatus::Expired as i32);
    let still = app
        .client
        .check_voucher(check(kept.number.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still.status, pb::VoucherStatus::Issued as i32);
    let read = app
        .client
        .get_voucher_terms(admin(pb::GetVoucherTermsRequest { year: year() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        read.regions[0].committed_count, 1,
        "the expired voucher's budget is back"
    );
}

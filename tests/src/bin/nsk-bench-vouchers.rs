//! `make bench`, part three: voucher issuance (Art. 29).
//!
//! Starts the platform (release binaries, via `NSK_BIN_DIR`), sets the year's terms for the 17
//! regions with room for every voucher, then measures in one run, 16 clients each:
//! - issuance through the vouchers service's gRPC API for one region (every issuance commits
//!   that region's budget row) and for the 17 regions in parallel;
//! - the baseline: `pgbench` running the same transaction on the same database — read the
//!   person's year and the terms, commit the budget, insert the voucher and its event, and
//!   append the audit entry to the hash chain.
//!
//! Numbers are vouchers per second and p50/p99, each also as a ratio of the baseline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up should stop loudly

use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use nsk_e2e::walk::today;
use nsk_e2e::Platform;
use nsk_identity::Role;
use nsk_proto::nsk::common::v1::BasisDocument;
use nsk_proto::nsk::vouchers::v1 as pb;
use nsk_proto::nsk::vouchers::v1::voucher_service_client::VoucherServiceClient;
use tonic::transport::Channel;

/// The 17 regions (the three cities aside).
const REGIONS: [&str; 17] = [
    "abai",
    "akmola",
    "aktobe",
    "almaty-region",
    "atyrau",
    "east-kazakhstan",
    "jambyl",
    "jetisu",
    "west-kazakhstan",
    "karaganda",
    "kostanay",
    "kyzylorda",
    "mangystau",
    "pavlodar",
    "north-kazakhstan",
    "turkistan",
    "ulytau",
];
const ISSUANCES: usize = 2_000;
const CLIENTS: usize = 16;
const PGBENCH_SECONDS: u32 = 10;

struct Stats {
    p50: Duration,
    p99: Duration,
    per_second: f64,
}

async fn measure<F, Fut>(count: usize, concurrency: usize, call: F) -> Stats
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    let mut latencies: Vec<Duration> = stream::iter(0..count)
        .map(|i| {
            let call = call(i);
            async move {
                let t = Instant::now();
                call.await;
                t.elapsed()
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        per_second: latencies.len() as f64 / wall.as_secs_f64(),
    }
}

/// A valid IIN for person `n`: each born on another day from 1 January 1960, with the first
/// sequence number whose check digit exists — distinct for every `n`.
fn iin(n: usize) -> String {
    let check = |eleven: &str| -> Option<u32> {
        let digits: Vec<u32> = eleven.bytes().map(|b| u32::from(b - b'0')).collect();
        let sum = |w: [u32; 11]| digits.iter().zip(w).map(|(d, w)| d * w).sum::<u32>() % 11;
        let first = sum([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        let check = if first == 10 {
            sum([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])
        } else {
            first
        };
        (check < 10).then_some(check)
    };
    let born = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Days::new(n as u64);
    (1..)
        .find_map(|seq: u32| {
            let eleven = format!("{}3{seq:04}", born.format("%y%m%d"));
            check(&eleven).map(|c| format!("{eleven}{c}"))
        })
        .unwrap()
}

fn office<T>(message: T, region: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let token = nsk_runtime::testing::office_token(&format!("office-{region}"), region);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

#[tokio::main]
async fn main() {
    let platform = Platform::start("benchvoucher").await;
    let addr = platform
        .service_addrs
        .iter()
        .find(|(s, _)| s == "vouchers")
        .unwrap()
        .1
        .clone();
    let grpc = VoucherServiceClient::new(
        Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap(),
    );
    let year: i32 = today()[..4].parse().unwrap();
    let mut admin = tonic::Request::new(pb::SetVoucherTermsRequest {
        year,
        validity_days: 90,
        regions: REGIONS
            .iter()
            .map(|r| pb::RegionTerms {
                region: r.to_string(),
                rate_tiyn: 4_500_000,
                budget_count: 1_000_000,
                budget_tiyn: 4_500_000_000_000,
                ..Default::default()
            })
            .collect(),
        basis: Some(BasisDocument {
            number: "BENCH".into(),
            date: today(),
            title: String::new(),
        }),
        ..Default::default()
    });
    admin.metadata_mut().insert(
        "authorization",
        format!(
            "Bearer {}",
            nsk_runtime::testing::token("bench", &[Role::AuthorizedBodyAdmin], None)
        )
        .parse()
        .unwrap(),
    );
    grpc.clone().set_voucher_terms(admin).await.unwrap();

    let issue = |person: usize, region: &'static str| {
        let mut client = grpc.clone();
        async move {
            client
                .issue_voucher(office(
                    pb::IssueVoucherRequest {
                        holder_iin: iin(person),
                        holder_name: "Bench Person".into(),
                        region: region.into(),
                        registration: Some(pb::UnemploymentRegistration {
                            number: format!("U-{person}"),
                            date: today(),
                            office: "bench".into(),
                        }),
                        ..Default::default()
                    },
                    region,
                ))
                .await
                .unwrap();
        }
    };
    // Warm-up: a few issuances outside the measured runs.
    for person in 0..10 {
        issue(3 * ISSUANCES + person, "akmola").await;
    }
    let one = measure(ISSUANCES, CLIENTS, |i| issue(i, "karaganda")).await;
    let all = measure(ISSUANCES, CLIENTS, |i| {
        issue(ISSUANCES + i, REGIONS[i % REGIONS.len()])
    })
    .await;

    // The baseline on the same database: the service's transaction, in SQL.
    let db_url = platform.database_url("vouchers");
    let script = std::env::temp_dir().join("nsk-voucher-issue.sql");
    std::fs::write(
        &script,
        format!(
            "\\set person random(1, 1000000000)\n\
             \\set r random(0, 16)\n\
             BEGIN;\n\
             SELECT region, issued_on FROM vouchers WHERE holder_iin = 'B' || :person AND year = {year};\n\
             SELECT validity_days, version FROM voucher_terms WHERE year = {year};\n\
             SELECT * FROM voucher_region_terms WHERE year = {year} ORDER BY region;\n\
             UPDATE voucher_region_terms SET committed_count = committed_count + 1, committed_tiyn = committed_tiyn + 4500000 \
               WHERE year = {year} AND region = (ARRAY['{}'])[1 + :r] AND committed_count + 1 <= budget_count;\n\
             INSERT INTO vouchers (id, number, holder_iin, holder_name, region, year, registration, issued_on, base_until, \
               valid_until, status, status_since, rate_tiyn, terms_version, center_number, issued_by, created_at, updated_at) \
               VALUES (gen_random_uuid(), 'VB-' || nextval('voucher_number_seq'), 'B' || :person, 'Bench Person', 'akmola', \
               {year}, '{{}}', current_date, current_date + 90, current_date + 90, 'issued', current_date, 4500000, 1, NULL, \
               'pgbench', now(), now()) ON CONFLICT DO NOTHING;\n\
             INSERT INTO outbox (event_id, topic, message_key, event_type, envelope) \
               VALUES (gen_random_uuid(), 'bench', 'bench', 'bench', decode(repeat('ab', 400), 'hex'));\n\
             WITH head AS (UPDATE audit_head SET seq = seq + 1, hash = sha256(hash || 'bench'::bytea) \
               WHERE id = 1 + pg_backend_pid() % 16 RETURNING id, seq, hash) \
             INSERT INTO audit_log (seq, lane, lane_seq, at, actor, action, subject, detail, prev_hash, hash) \
               SELECT nextval('audit_log_seq'), id, seq, now(), 'pgbench', 'nsk.vouchers.v1.VoucherIssued', \
               'voucher/bench', 'request bench', hash, hash FROM head;\n\
             COMMIT;\n",
            REGIONS.join("','")
        ),
    )
    .unwrap();
    let (tps, _) = nsk_e2e::pgbench(&script, &db_url, CLIENTS, PGBENCH_SECONDS, false);

    println!("\nvoucher issuance, {CLIENTS} clients, {ISSUANCES} vouchers each; ratios against pgbench in the same run\n");
    println!(
        "{:<52} {:>8} {:>8} {:>10} {:>10}",
        "path", "p50 ms", "p99 ms", "vouchers/s", "x pgbench"
    );
    println!(
        "{:<52} {:>8} {:>8} {:>10.0} {:>10.2}",
        "pgbench, the same transaction in SQL", "", "", tps, 1.0
    );
    for (what, s) in [
        ("vouchers service gRPC, one region", &one),
        ("vouchers service gRPC, 17 regions in parallel", &all),
    ] {
        println!(
            "{:<52} {:>8.1} {:>8.1} {:>10.0} {:>10.2}",
            what,
            s.p50.as_secs_f64() * 1e3,
            s.p99.as_secs_f64() * 1e3,
            s.per_second,
            s.per_second / tps
        );
    }
}

//! `make bench`, part two: the registry of documents with 1,000,000 documents loaded.
//!
//! Starts the platform (release binaries, via `NSK_BIN_DIR`), registers a profession and
//! accredits 20 centers through the API, then measures in one run:
//! - issuance per second through the documents service's gRPC API, for one center (all
//!   requests queue on its sequence) and for 20 centers in parallel;
//! - public verification by serial number over 1,000,000 documents bulk-loaded into the
//!   registry's table, each asked at random: `pgbench` running the lookup SQL (the baseline),
//!   the documents service over gRPC, the gateway over REST/JSON and the same address as the
//!   verification page a browser gets (target: p99 under 20 ms), driven by `wrk`, each with 1
//!   and 16 clients — after the gateway's memory is filled by asking each serial once (what
//!   that costs in resident memory is printed);
//! - how long a cancellation takes to reach the gateway's answers (target: within 1 s).
//!
//! Numbers are requests per second and p50/p99, each also as a ratio of the baseline measured in
//! the same run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up should stop loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use nsk_e2e::walk::{accredit, register_welder, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use nsk_proto::nsk::documents::v1 as pb;
use nsk_proto::nsk::documents::v1::document_registry_client::DocumentRegistryClient;
use tonic::transport::Channel;

/// `make bench-quick` (`NSK_BENCH_QUICK=1`): small data, 16 clients only, the two ratios.
fn quick() -> bool {
    std::env::var_os("NSK_BENCH_QUICK").is_some_and(|v| v == "1")
}

/// How many documents are bulk-loaded for verification.
fn loaded() -> i64 {
    if quick() {
        20_000
    } else {
        1_000_000
    }
}

/// Bulk-loaded documents belong to centers 0101-0200, 10,000 each.
const LOADED_CENTERS: i64 = 100;
const ISSUED_CENTERS: usize = 20;
/// How many documents a round of the service issues: as many as its baseline's `pgbench`
/// wrote in its run, so that both do the same work and the ratio is the time each took for it
/// (the service's time including its events published and heard). `NSK_BENCH_ISSUANCES` fixes
/// the number instead, to profile the service under a load of known size.
fn issuances(baseline_tps: f64) -> usize {
    if let Some(n) = std::env::var("NSK_BENCH_ISSUANCES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        n
    } else {
        ((baseline_tps * f64::from(issuance_seconds())).round() as usize).max(CLIENTS)
    }
}
const LOOKUPS: usize = 20_000;
const CLIENTS: usize = 16;
const PGBENCH_SECONDS: u32 = 10;
/// Rounds of baseline and service, one after the other, for the issuance and relay ratios.
const ROUNDS: usize = 3;
/// How long each round's pgbench runs the issuance transaction.
fn issuance_seconds() -> u32 {
    if quick() {
        3
    } else {
        5
    }
}
const WRK_SECONDS: u32 = 10;
/// Messages the relay and the bare producer each send.
const RELAYED: usize = 50_000;
/// Documents one revocation on ground 4 names.
const REVOKED: usize = 10_000;

struct Stats {
    p50: Duration,
    p99: Duration,
    per_second: f64,
}

fn stats(mut latencies: Vec<Duration>, wall: Duration) -> Stats {
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        per_second: latencies.len() as f64 / wall.as_secs_f64(),
    }
}

/// Runs `call(i)` for i in 0..count, `concurrency` at a time.
async fn measure<F, Fut>(count: usize, concurrency: usize, call: F) -> Stats
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (latencies, wall) = measure_raw(count, concurrency, call).await;
    stats(latencies, wall)
}

/// [`measure`]'s calls' latencies and the time they took together.
async fn measure_raw<F, Fut>(count: usize, concurrency: usize, call: F) -> (Vec<Duration>, Duration)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    let latencies: Vec<Duration> = stream::iter(0..count)
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
    (latencies, started.elapsed())
}

/// The median of `values` (the lower middle of an even count).
/// The `q`-quantile of `values` (NaN for none).
fn percentile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let at = ((values.len() as f64 - 1.0) * q).round();
    values
        .get(at.max(0.0) as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(f64::NAN)
}

/// The serial of the `i`-th bulk-loaded document (the same formula as the loading SQL).
fn loaded_serial(i: usize) -> String {
    let n = (i as i64 * 7919) % loaded();
    let center = 101 + n % LOADED_CENTERS;
    let sequence = 1 + n / LOADED_CENTERS;
    format!("25110-72120011-4-150326-{center:04}-{sequence:08}")
}

/// A call of center `center`, with its token. A center's integration signs in once and
/// sends many calls with the token: each center's is minted once (minting reads the key file
/// and signs — the client's work, which would otherwise share the cores with the platform).
fn center_request<T>(message: T, center: usize) -> tonic::Request<T> {
    static TOKENS: std::sync::LazyLock<
        std::sync::Mutex<
            std::collections::HashMap<
                usize,
                tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
            >,
        >,
    > = std::sync::LazyLock::new(Default::default);
    let header = TOKENS
        .lock()
        .unwrap()
        .entry(center)
        .or_insert_with(|| {
            let token = nsk_runtime::testing::token(
                &format!("center-{center:04}"),
                &[Role::RecognitionCenter],
                Some(&format!("{center:04}")),
            );
            format!("Bearer {token}").parse().unwrap()
        })
        .clone();
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", header);
    request
}

/// The `n`-th IIN with a valid check digit among people born on 1 January 1990.
fn iin(n: usize) -> String {
    // Found once: looking for the n-th on every call would be the client's work on the
    // cores the platform is measured on.
    static VALID: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        (0..)
            .flat_map(|k: u32| (0..10).map(move |d| format!("9001013{k:04}{d}")))
            .filter(|candidate| nsk_kz::Iin::parse(candidate).is_ok())
            .take(5000)
            .collect()
    });
    VALID[n % VALID.len()].clone()
}

#[tokio::main]
async fn main() {
    // Room in the gateway's memory for every loaded document's answer.
    let platform = Platform::start_with(
        "benchdoc",
        &[(
            "gateway",
            "NSK_VERIFICATION_CACHE_MIB",
            if quick() { "64" } else { "1024" },
        )],
    )
    .await;
    let profession_id = register_welder(&platform, "72120011").await;
    println!("accrediting {ISSUED_CENTERS} centers through the API...");
    let mut certificates = Vec::new();
    for _ in 0..ISSUED_CENTERS {
        certificates.push(accredit(&platform, &profession_id).await);
    }
    let documents_addr = &platform
        .service_addrs
        .iter()
        .find(|(s, _)| s == "documents")
        .unwrap()
        .1;
    let channel = Channel::from_shared(format!("http://{documents_addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let grpc = DocumentRegistryClient::new(channel);
    // The issuing clients each on a connection of their own, as pgbench's are, and as the
    // systems of different centers would be: one HTTP/2 connection carrying all of them is a
    // queue of its own in front of the service.
    let mut issuing = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        let channel = Channel::from_shared(format!("http://{documents_addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        issuing.push(DocumentRegistryClient::new(channel));
    }
    let document = |n: usize| pb::Document {
        holder: Some(pb::Holder {
            iin: iin(n),
            full_name: "Сейткали Айгерим Нурлановна".into(),
            ..Default::default()
        }),
        profession_id: profession_id.clone(),
        nqf_level: 4,
        procedure_date: today(),
        protocol_number: format!("P-{n}"),
        protocol_date: today(),
        head_of_center: "Омаров Данияр".into(),
        ..Default::default()
    };
    // Wait until the registry has heard of the last center.
    platform
        .eventually(
            Duration::from_secs(60),
            "the registry hearing of every center",
            || {
                let mut client = grpc.clone();
                let request = center_request(
                    pb::IssueDocumentRequest {
                        request_id: String::new(),
                        document: Some(document(0)),
                    },
                    ISSUED_CENTERS,
                );
                async move {
                    match client.issue_document(request).await {
                        Ok(reply) => Some(reply),
                        Err(status) => {
                            eprintln!("not yet: {}", status.message());
                            None
                        }
                    }
                }
            },
        )
        .await;

    let db_url = platform.database_url("documents");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&db_url)
        .await
        .unwrap();
    let accreditation = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&platform.database_url("accreditation"))
        .await
        .unwrap();
    // What a registration sets going after its answer — its event published by the relay,
    // heard by accreditation — is part of its cost: a round ends when all of it is done, and
    // the next round's baseline starts on a quiet platform.
    let settled = || {
        let (pool, accreditation) = (pool.clone(), accreditation.clone());
        async move {
            let started = Instant::now();
            loop {
                let (waiting, registered): (i64, i64) = sqlx::query_as(
                    "SELECT (SELECT count(*) FROM outbox_waiting),
                            (SELECT count(*) FROM documents WHERE center_number BETWEEN 1 AND $1)",
                )
                .bind(ISSUED_CENTERS as i32)
                .fetch_one(&pool)
                .await
                .unwrap();
                let heard: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM issued_documents WHERE center_number BETWEEN 1 AND $1",
                )
                .bind(ISSUED_CENTERS as i32)
                .fetch_one(&accreditation)
                .await
                .unwrap();
                if waiting == 0 && heard == registered {
                    return;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(120),
                    "after 120 s, {waiting} events wait in the outbox and accreditation heard {heard} of {registered} documents"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    println!("\nissuance, {CLIENTS} clients; ratios against pgbench running the same transaction in the same run;");
    println!("a round of the service issues as many documents as its baseline wrote, and lasts until their events are published and heard by accreditation\n");
    println!(
        "{:<40} {:>9} {:>9} {:>10} {:>9}",
        "path", "p50 ms", "p99 ms", "docs/s", "x pgbench"
    );
    // Documents numbered from `first` on, for `centers` centers.
    let issue = |centers: usize, first: usize| {
        let issuing = &issuing;
        let document = &document;
        move |i: usize| {
            let mut client = issuing[i % CLIENTS].clone();
            // Each with its request id, as a center's integration sends it: the request record
            // is part of the work.
            let n = first + i;
            let request = center_request(
                pb::IssueDocumentRequest {
                    request_id: format!("bench-{centers}-{n}"),
                    document: Some(document(n)),
                },
                1 + n % centers,
            );
            async move {
                client.issue_document(request).await.unwrap();
            }
        }
    };
    let mut issuance_ratio = f64::NAN;
    for (name, centers) in [
        ("one center", 1),
        ("20 centers in parallel", ISSUED_CENTERS),
    ] {
        println!("{name}:");
        // Rounds of the baseline and the service one after the other, each ratio taken
        // between neighbours in time: a machine whose speed drifts during the run (a shared
        // host) moves both of a round alike. The ratio is the rounds' median.
        let mut round_ratios = Vec::with_capacity(ROUNDS);
        let mut latencies = Vec::new();
        let (mut pgbench_total, mut service_total) = (0.0, 0.0);
        let mut issued = 0;
        let mut baseline_latencies = Vec::new();
        for round in 0..ROUNDS {
            let (tps, avg_ms, mut baseline_ms) = nsk_e2e::pgbench_latencies(
                &issuance_script(centers, &profession_id),
                &db_url,
                CLIENTS,
                issuance_seconds(),
                true,
            );
            let issuances = issuances(tps);
            let started = Instant::now();
            let (mut taken, answered) =
                measure_raw(issuances, CLIENTS, issue(centers, issued)).await;
            issued += issuances;
            settled().await;
            let s = stats(taken.clone(), started.elapsed());
            latencies.append(&mut taken);
            println!(
                "  round {}: pgbench {tps:>6.0} tps (average latency {avg_ms:.3} ms, p99 {:.3} ms); service {:>6.0} docs/s, p50 {:.3} ms, p99 {:.3} ms; {:.2} x ({issuances} answered in {:.2} s, settled {:.2} s later)",
                round + 1,
                percentile(&mut baseline_ms, 0.99),
                s.per_second,
                s.p50.as_secs_f64() * 1e3,
                s.p99.as_secs_f64() * 1e3,
                s.per_second / tps,
                answered.as_secs_f64(),
                (started.elapsed() - answered).as_secs_f64(),
            );
            baseline_latencies.append(&mut baseline_ms);
            pgbench_total += tps;
            service_total += s.per_second;
            round_ratios.push(s.per_second / tps);
        }
        let all = stats(latencies, Duration::from_secs(1));
        issuance_ratio = median(&mut round_ratios);
        println!(
            "  {:<38} {:>9.3} {:>9.3} {:>10.0} {:>9.2}",
            "pgbench, the same transaction",
            percentile(&mut baseline_latencies, 0.50),
            percentile(&mut baseline_latencies, 0.99),
            pgbench_total / ROUNDS as f64,
            1.0
        );
        println!(
            "  {:<38} {:>9.3} {:>9.3} {:>10.0} {:>9.2}   (the rounds' median ratio)",
            "documents service, gRPC",
            all.p50.as_secs_f64() * 1e3,
            all.p99.as_secs_f64() * 1e3,
            service_total / ROUNDS as f64,
            issuance_ratio
        );
    }
    // Still gapless and duplicate-free: each center's numbers run 1..n without a hole.
    let (documents, centers_seen, gaps): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT center_number),
                sum(CASE WHEN sequence <> expected THEN 1 ELSE 0 END)
           FROM (SELECT center_number, sequence,
                        row_number() OVER (PARTITION BY center_number ORDER BY sequence) AS expected
                   FROM documents WHERE center_number BETWEEN 1 AND $1) numbered",
    )
    .bind(ISSUED_CENTERS as i32)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(gaps, 0, "a center's numbers have a gap or a duplicate");
    println!(
        "  {documents} documents of {centers_seen} centers numbered without a gap or a duplicate"
    );

    // Bulk-load the documents straight into the registry's table: issuing a million one by one
    // through the API would take the rest of the hour.
    let loaded = loaded();
    println!("\nloading {loaded} documents...");
    let loading = Instant::now();
    sqlx::query(
        "INSERT INTO documents (id, serial_number, center_number, sequence, holder_iin, holder_name, profession_id,
             profession_name, nqf_level, separate_skills, procedure_date, protocol_number, protocol_date, issue_date,
             valid_until, head_of_center, voucher_id, issued_late, created_at)
         SELECT gen_random_uuid(),
                '25110-72120011-4-150326-' || lpad((101 + n % $2)::text, 4, '0') || '-' || lpad((1 + n / $2)::text, 8, '0'),
                101 + n % $2, 1 + n / $2, '900101300037', 'Сейткали Айгерим Нурлановна', $3::uuid, 'Сварщик', 4, '{}',
                DATE '2026-03-12', 'P-' || n, DATE '2026-03-13', DATE '2026-03-15', DATE '2031-03-14', '', '', false, now()
           FROM generate_series(0, $1 - 1) AS n",
    )
    .bind(loaded)
    .bind(LOADED_CENTERS)
    .bind(&profession_id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE documents")
        .execute(&pool)
        .await
        .unwrap();
    println!("loaded in {:.1} s", loading.elapsed().as_secs_f64());

    // The baseline: pgbench running the service's lookup SQL on the same database.
    let script = std::env::temp_dir().join("nsk-verify-lookup.sql");
    std::fs::write(
        &script,
        format!(
            "\\set n random(0, {})\n\
             SELECT * FROM documents WHERE serial_number = '25110-72120011-4-150326-' || lpad((101 + :n % {LOADED_CENTERS})::text, 4, '0') || '-' || lpad((1 + :n / {LOADED_CENTERS})::text, 8, '0');\n",
            loaded - 1
        ),
    )
    .unwrap();
    let pgbench =
        |clients: usize| nsk_e2e::pgbench(&script, &db_url, clients, PGBENCH_SECONDS, true);

    let http = Arc::new(platform.http.clone());
    let via_service = |i: usize| {
        let mut client = grpc.clone();
        async move {
            let reply = client
                .verify_document(pb::VerifyDocumentRequest {
                    serial_number: loaded_serial(i),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(reply.status, pb::DocumentStatus::Valid as i32);
        }
    };
    // Where the gateway took each answer from.
    let answered_from = |i: usize| {
        let http = http.clone();
        let url = platform.url(&format!("/v1/verify/{}", loaded_serial(i)));
        async move {
            let reply = http.get(url).send().await.unwrap();
            assert!(reply.status().is_success());
            let from = reply
                .headers()
                .get("x-nsk-answered-from")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            reply.bytes().await.unwrap();
            from
        }
    };

    // Open data: the whole registry streamed through the gateway, and what it costs in memory.
    let gateway_pid = platform.pid("gateway").unwrap();
    let documents_pid = platform.pid("documents").unwrap();
    if !quick() {
        let peak = nsk_e2e::bench::PeakMemory::watch(&[gateway_pid, documents_pid]);
        let (lines, bytes, secs) =
            nsk_e2e::bench::stream_lines(&http, &platform.url("/v1/open-data/documents")).await;
        let peaks = peak.stop().await;
        let rows = lines.saturating_sub(1); // the CSV's header
        assert!(rows >= loaded as u64, "{rows} rows exported of {loaded}");
        println!(
            "\nopen data, the whole registry as CSV through the gateway: {rows} rows, {} MiB in {secs:.1} s = {:.0} rows/s (target 200,000); peak resident memory: gateway {} MiB, documents {} MiB (target: under 64 each)",
            bytes >> 20,
            rows as f64 / secs,
            peaks[0] / 1024,
            peaks[1] / 1024,
        );
    }

    // The gateway's memory, filled by asking each loaded serial once: what 1M answers cost.
    let before = nsk_e2e::resident_kib(gateway_pid).unwrap_or(0);
    let filling = Instant::now();
    stream::iter(0..loaded as usize)
        .map(&answered_from)
        .buffer_unordered(32)
        .for_each(|_| async {})
        .await;
    let after = nsk_e2e::resident_kib(gateway_pid).unwrap_or(0);
    println!(
        "\nthe gateway's memory filled with {loaded} answers in {:.0} s: resident {} MiB -> {} MiB, {:.0} bytes an answer",
        filling.elapsed().as_secs_f64(),
        before / 1024,
        after / 1024,
        (after.saturating_sub(before) * 1024) as f64 / loaded as f64
    );
    let mut from_memory = 0;
    for i in 0..1000 {
        if answered_from(i * 997).await == "memory" {
            from_memory += 1;
        }
    }
    println!("of 1000 serials asked again, {from_memory} answered from memory");

    let lua = nsk_runtime::testing::workspace_root().join("tests/bench/verify.lua");
    let loaded_text = loaded.to_string();
    let centers = LOADED_CENTERS.to_string();
    let gateway_url = platform.url("/");
    let via_wrk = |clients: usize, html: bool| {
        let mut args = vec!["random", loaded_text.as_str(), centers.as_str()];
        if html {
            args.push("html");
        }
        let run = nsk_e2e::wrk(&gateway_url, &lua, &args, clients, WRK_SECONDS);
        assert_eq!(run.failures, 0, "answers that were not 200: {run:?}");
        if run.socket_errors > 0 {
            println!(
                "  (wrk saw {} socket error(s) in {} requests)",
                run.socket_errors, run.requests
            );
        }
        run
    };

    println!("\nverification by serial over {loaded} documents, each asked at random; ratios against pgbench in the same run\n");
    println!(
        "{:<40} {:>9} {:>9} {:>10} {:>9}",
        "path", "p50 ms", "p99 ms", "lookups/s", "x pgbench"
    );
    let mut ratios = Vec::new();
    let clients_measured: &[usize] = if quick() { &[CLIENTS] } else { &[1, CLIENTS] };
    for &clients in clients_measured {
        let (tps, avg_ms) = pgbench(clients);
        let count = if clients == 1 { LOOKUPS / 4 } else { LOOKUPS };
        let service = measure(count, clients, &via_service).await;
        let json = via_wrk(clients, false);
        let page = via_wrk(clients, true);
        println!("{clients} client(s):");
        println!(
            "  {:<38} {:>9} {:>9} {:>10.0} {:>9.2}   (average latency {avg_ms:.3} ms)",
            "pgbench, the lookup SQL", "", "", tps, 1.0
        );
        println!(
            "  {:<38} {:>9.3} {:>9.3} {:>10.0} {:>9.2}",
            "documents service, gRPC",
            service.p50.as_secs_f64() * 1e3,
            service.p99.as_secs_f64() * 1e3,
            service.per_second,
            service.per_second / tps
        );
        for (name, run) in [
            ("gateway, REST/JSON (wrk)", &json),
            ("gateway, the page (HTML, kk; wrk)", &page),
        ] {
            println!(
                "  {:<38} {:>9.3} {:>9.3} {:>10.0} {:>9.2}",
                name,
                run.p50_ms,
                run.p99_ms,
                run.per_second,
                run.per_second / tps
            );
        }
        ratios.push((clients, json.per_second / tps));
    }

    // A cancellation reaches the gateway's answers: cancel, then ask until it says CANCELLED.
    let admin = nsk_e2e::walk::call_as;
    let token = platform.token(&[Role::AuthorizedBodyAdmin]);
    let mut flips = Vec::new();
    for i in 0..20 {
        let serial = loaded_serial(i * 4999);
        let id: String =
            sqlx::query_scalar("SELECT id::text FROM documents WHERE serial_number = $1")
                .bind(&serial)
                .fetch_one(&pool)
                .await
                .unwrap();
        let (status, reply) = admin(
            &platform,
            Some(&token),
            &format!("/v1/documents/{id}:cancel"),
            Some(&serde_json::json!({
                "reason": "the court found the procedure void",
                "ground": "CANCELLATION_GROUND_COURT_DECISION",
                "basis": {"number": "2-3001/2026", "date": today(), "title": "Decision"}
            })),
        )
        .await;
        assert_eq!(status, 200, "{reply}");
        let committed = Instant::now();
        loop {
            let reply: serde_json::Value = http
                .get(platform.url(&format!("/v1/verify/{serial}")))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if reply["status"] == "DOCUMENT_STATUS_CANCELLED" {
                flips.push(committed.elapsed());
                break;
            }
            assert!(
                committed.elapsed() < Duration::from_secs(5),
                "{serial} still {reply}"
            );
        }
    }
    flips.sort();
    println!(
        "\ncancellation -> the gateway answers CANCELLED, 20 documents: p50 {:.1} ms, max {:.1} ms (target: within 1 s)",
        flips[flips.len() / 2].as_secs_f64() * 1e3,
        flips[flips.len() - 1].as_secs_f64() * 1e3
    );
    // Events: the registry's outbox relay against a bare producer, the same messages.
    let relay_ratio = {
        let mut round_ratios = Vec::with_capacity(ROUNDS);
        println!(
            "\nevents, {RELAYED} messages of {} bytes: a bare producer (idempotent, acks=all) against the registry's outbox relay, {ROUNDS} rounds",
            nsk_e2e::bench::EVENT_BYTES
        );
        for round in 0..ROUNDS {
            let run = nsk_e2e::bench::relay_vs_producer(
                &nsk_runtime::testing::kafka_brokers(),
                &db_url,
                RELAYED,
            )
            .await;
            let ratio = run.relay_per_second / run.producer_per_second;
            println!(
                "  round {}: producer {:.0}/s; relay {:.0}/s = {ratio:.2} x",
                round + 1,
                run.producer_per_second,
                run.relay_per_second,
            );
            round_ratios.push(ratio);
        }
        let ratio = median(&mut round_ratios);
        println!("  the rounds' median: {ratio:.2} x (target 0.5)");
        ratio
    };
    // Revocation on ground 4: 10,000 documents of the last center, then one document each of
    // the others, each cancelled by the registry after the revocation.
    if !quick() {
        let revoked_center: usize = certificates
            .last()
            .and_then(|c| c["centerNumber"].as_str())
            .and_then(|c| c.parse().ok())
            .unwrap();
        let issue_for = |i: usize| {
            let mut client = grpc.clone();
            let request = center_request(
                pb::IssueDocumentRequest {
                    request_id: format!("bench-revoked-{i}"),
                    document: Some(document(100_000 + i)),
                },
                revoked_center,
            );
            async move {
                client
                    .issue_document(request)
                    .await
                    .unwrap()
                    .into_inner()
                    .serial_number
            }
        };
        let revoked =
            nsk_e2e::bench::revocations(&platform, &certificates, REVOKED, issue_for).await;
        let run = match revoked {
            Ok(run) => run,
            Err(refused) => {
                println!("\nrevocation on ground 4: NOT MEASURED, the platform answered {refused}");
                return print_ratios(&ratios, issuance_ratio, relay_ratio);
            }
        };
        println!(
            "\nrevocation on ground 4 naming {} documents: all cancelled in the registry {:.0} ms after the revocation answered (target 5,000)",
            run.documents,
            run.all_cancelled.as_secs_f64() * 1e3
        );
        let ms = |d: &Duration| d.as_secs_f64() * 1e3;
        println!(
            "revocation naming one document -> cancelled, {} centers: p50 {:.0} ms, max {:.0} ms (target p99 250)",
            run.single.len(),
            run.single.get(run.single.len() / 2).map_or(f64::NAN, ms),
            run.single.last().map_or(f64::NAN, ms)
        );
    }
    print_ratios(&ratios, issuance_ratio, relay_ratio);
}

/// The ratios, the last two lines for a machine.
fn print_ratios(ratios: &[(usize, f64)], issuance_ratio: f64, relay_ratio: f64) {
    for (clients, ratio) in ratios {
        if *clients == 1 {
            println!("verification_vs_pgbench_1_client {ratio:.2}");
        }
    }
    // The last two lines, for a machine: 16 clients, the gateway for verification, 20 centers
    // for issuance.
    let verification = ratios.last().map_or(f64::NAN, |(_, r)| *r);
    println!("relay_vs_producer {relay_ratio:.2}");
    println!("verification_vs_pgbench {verification:.2}");
    println!("issuance_vs_pgbench {issuance_ratio:.2}");
}

/// pgbench's issuance: the transaction the service commits for one document — the request
/// record, the center's counter row, the document, the outbox row (marked published, so that
/// the service's relay leaves it) — for `centers` centers of their own (0901..), so that the
/// service's own numbering is not disturbed.
fn issuance_script(centers: usize, profession_id: &str) -> std::path::PathBuf {
    let script = std::env::temp_dir().join(format!("nsk-issuance-{centers}.sql"));
    std::fs::write(
        &script,
        format!(
            "\\set c random(901, {last})\n\
             BEGIN;\n\
             INSERT INTO request_keys (caller, request_id, method, digest, resource_id) VALUES ('center-' || :c, gen_random_uuid()::text, '/nsk.documents.v1.DocumentRegistry/IssueDocument', sha256(convert_to(random()::text, 'UTF8')), gen_random_uuid());\n\
             INSERT INTO center_sequences (center_number, last_sequence) VALUES (:c, 1) ON CONFLICT (center_number) DO UPDATE SET last_sequence = center_sequences.last_sequence + 1 RETURNING last_sequence AS seq \\gset\n\
             INSERT INTO documents (id, serial_number, center_number, sequence, holder_iin, holder_name, profession_id, profession_name, nqf_level, separate_skills, procedure_date, protocol_number, protocol_date, issue_date, valid_until, head_of_center, voucher_id, issued_late, created_at, center_name) VALUES (gen_random_uuid(), '25110-72120011-4-150326-' || lpad(:c::text, 4, '0') || '-' || lpad(:seq::text, 8, '0'), :c, :seq, '900101300037', 'Сейткали Айгерим Нурлановна', '{profession_id}', 'Сварщик', 4, '{{}}', CURRENT_DATE, 'P-' || :seq, CURRENT_DATE, CURRENT_DATE, CURRENT_DATE + 1826, 'Омаров Данияр', '', false, now(), 'Center of the benchmark');\n\
             INSERT INTO outbox (event_id, topic, message_key, event_type, envelope, xid) VALUES (gen_random_uuid(), 'pgbench', gen_random_uuid()::text, 'nsk.documents.v1.DocumentIssued', convert_to(repeat('x', 700), 'UTF8'), '1');\n\
             END;\n",
            last = 900 + centers
        ),
    )
    .unwrap();
    script
}

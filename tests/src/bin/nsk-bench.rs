//! `make bench`: the cost of each layer on the read path, measured in one run.
//!
//! Starts the platform (release binaries, via `NSK_BIN_DIR`), registers professions, then looks
//! up the same entries by id three ways — the bare SQL in PostgreSQL (the baseline), the
//! professions service over gRPC, and the gateway over REST/JSON — sequentially for latency and
//! with concurrent clients for throughput. Results are printed as p50/p99 and requests per
//! second, with each layer as a ratio of the baseline measured in the same run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up should stop loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use nsk_e2e::Platform;
use nsk_identity::Role;
use nsk_proto::nsk::professions::v1 as pb;
use nsk_proto::nsk::professions::v1::profession_registry_client::ProfessionRegistryClient;
use serde_json::json;

const ENTRIES: usize = 1_000;
const LOOKUPS: usize = 4_000;
const CONCURRENCY: usize = 16;

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

/// Runs `lookup` for every id, `concurrency` at a time; the latency of each and the wall time.
async fn measure<F, Fut>(ids: &[String], concurrency: usize, lookup: F) -> Stats
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    let latencies: Vec<Duration> =
        stream::iter((0..LOOKUPS).map(|i| ids[(i * 7919) % ids.len()].clone()))
            .map(|id| {
                let call = lookup(id);
                async move {
                    let t = Instant::now();
                    call.await;
                    t.elapsed()
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
    stats(latencies, started.elapsed())
}

#[tokio::main]
async fn main() {
    let platform = Platform::start("bench").await;
    let token = platform.token(&[Role::AuthorizedBodyAdmin]);
    println!("loading {ENTRIES} professions through the gateway...");
    let loading = Instant::now();
    let ids: Vec<String> = stream::iter(0..ENTRIES)
        .map(|i| {
            let body = json!({
                "names": {"kk": format!("Мамандық {i}"), "ru": format!("Профессия {i}"), "en": format!("Profession {i}")},
                "nkzCode": format!("{:08}", 10_000_000 + i),
                "okedCode": "62011",
                "nqfLevels": [4, 5],
                "documentValidityMonths": 60,
                "qualificationRequirementsApply": true,
                "inclusionBasis": {"number": "1", "date": "2026-01-15"}
            });
            let request = platform.http.post(platform.url("/v1/professions")).bearer_auth(&token).json(&body);
            async move {
                let reply: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
                reply["id"].as_str().expect("registered").to_string()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let load_secs = loading.elapsed().as_secs_f64();
    println!(
        "loaded in {load_secs:.1} s ({:.0} registrations/s)",
        ENTRIES as f64 / load_secs
    );

    let db_name = &platform
        .databases
        .iter()
        .find(|(s, _)| s == "professions")
        .unwrap()
        .1;
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(CONCURRENCY as u32)
        .connect(&format!("{}/{db_name}", server.rsplit_once('/').unwrap().0))
        .await
        .unwrap();
    let addr = &platform
        .service_addrs
        .iter()
        .find(|(s, _)| s == "professions")
        .unwrap()
        .1;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let grpc = ProfessionRegistryClient::new(channel);
    let http = Arc::new(platform.http.clone());

    let sql = |id: String| {
        let pool = pool.clone();
        async move {
            sqlx::query("SELECT * FROM professions WHERE id = $1::uuid")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        }
    };
    let service = |id: String| {
        let mut client = grpc.clone();
        async move {
            client
                .get_profession(pb::GetProfessionRequest {
                    id,
                    as_of: String::new(),
                })
                .await
                .unwrap();
        }
    };
    let gateway = |id: String| {
        let http = http.clone();
        let url = platform.url(&format!("/v1/professions/{id}"));
        async move {
            let reply = http.get(url).send().await.unwrap();
            assert!(reply.status().is_success());
            reply.bytes().await.unwrap();
        }
    };

    // Warm every path once so connection set-up is not measured.
    measure(&ids[..10], 1, &sql).await;
    measure(&ids[..10], 1, &service).await;
    measure(&ids[..10], 1, &gateway).await;

    println!("\n{LOOKUPS} lookups by id over {ENTRIES} entries; ratios are against SQL in the same run\n");
    println!(
        "{:<34} {:>9} {:>9} {:>10} {:>9} {:>9}",
        "path", "p50 ms", "p99 ms", "req/s", "p50 x", "req/s x"
    );
    for concurrency in [1, CONCURRENCY] {
        let base = measure(&ids, concurrency, &sql).await;
        let rows = [
            (
                "PostgreSQL, the query alone",
                base.p50,
                base.p99,
                base.per_second,
            ),
            {
                let s = measure(&ids, concurrency, &service).await;
                ("professions service, gRPC", s.p50, s.p99, s.per_second)
            },
            {
                let s = measure(&ids, concurrency, &gateway).await;
                ("gateway, REST/JSON", s.p50, s.p99, s.per_second)
            },
        ];
        println!("concurrency {concurrency}:");
        for (name, p50, p99, rps) in rows {
            println!(
                "  {:<32} {:>9.3} {:>9.3} {:>10.0} {:>9.2} {:>9.2}",
                name,
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3,
                rps,
                p50.as_secs_f64() / base.p50.as_secs_f64(),
                rps / base.per_second
            );
        }
    }
}

//! `make bench`: the cost of each layer on the register's read paths, measured in one run.
//!
//! Starts the platform (release binaries, via `NSK_BIN_DIR`), imports 10,000 professions, then
//! runs two reads three ways each — the bare SQL in PostgreSQL (the baseline), the professions
//! service over gRPC, and the gateway over REST/JSON — sequentially for latency and with
//! concurrent clients for throughput:
//! - an entry by id;
//! - a search by a partial name (the first page of 20, with the total count up to 1,000), also
//!   as the register's page a person gets (targets at 1 client: p99 under 10 ms through the
//!   gateway, under 20 ms for the page).
//!
//! Results are p50/p99 and requests per second, each layer also as a ratio of the baseline
//! measured in the same run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot set up should stop loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use nsk_e2e::Platform;
use nsk_identity::Role;
use nsk_proto::nsk::professions::v1 as pb;
use nsk_proto::nsk::professions::v1::profession_registry_client::ProfessionRegistryClient;

const ENTRIES: usize = 10_000;
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
async fn measure<F, Fut>(ids: &[String], count: usize, concurrency: usize, lookup: F) -> Stats
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    let latencies: Vec<Duration> =
        stream::iter((0..count).map(|i| ids[(i * 7919) % ids.len()].clone()))
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

    println!("importing {ENTRIES} professions...");
    let loading = Instant::now();
    let rows: Vec<pb::ImportProfessionsRequest> = (0..ENTRIES)
        .map(|i| {
            let (kk, ru, en) = WORDS[i % WORDS.len()];
            pb::ImportProfessionsRequest {
                row: i as i32 + 1,
                request_id: String::new(),
                profession: Some(pb::Profession {
                    names: Some(nsk_proto::nsk::common::v1::LocalizedText {
                        kk: format!("{kk} {i}"),
                        ru: format!("{ru} {i}"),
                        en: format!("{en} {i}"),
                    }),
                    nkz_code: format!("{:08}", 10_000_000 + i),
                    oked_code: "62011".into(),
                    nqf_levels: vec![3, 4],
                    document_validity_months: 60,
                    qualification_requirements_apply: true,
                    inclusion_basis: Some(nsk_proto::nsk::common::v1::BasisDocument {
                        number: "1".into(),
                        date: "2026-01-15".into(),
                        title: String::new(),
                    }),
                    ..Default::default()
                }),
            }
        })
        .collect();
    let mut request = tonic::Request::new(stream::iter(rows));
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let imported = grpc
        .clone()
        .import_professions(request)
        .await
        .unwrap()
        .into_inner()
        .imported;
    let load_secs = loading.elapsed().as_secs_f64();
    println!(
        "imported {imported} in {load_secs:.1} s ({:.0} entries/s, one transaction)",
        imported as f64 / load_secs
    );
    let ids: Vec<String> = all_ids(&platform).await;

    // The baseline asks the database only: no health check in front of each statement (the
    // services' pools check only a connection that sat idle, nsk_db::pool_options).
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(CONCURRENCY as u32)
        .test_before_acquire(false)
        .connect(&platform.database_url("professions"))
        .await
        .unwrap();
    // The register vacuums itself after an import, in the background; wait until it has, so the
    // measurement sees the table as it stays (statistics known, trigram pending lists merged).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let vacuumed: bool = sqlx::query_scalar(
            "SELECT count(*) = 3 FROM pg_stat_user_tables WHERE last_vacuum IS NOT NULL AND last_analyze IS NOT NULL
               AND relname IN ('professions', 'profession_search', 'profession_history')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if vacuumed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the register did not vacuum itself after the import"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
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
    measure(&ids, 10, 1, &sql).await;
    measure(&ids, 10, 1, &service).await;
    measure(&ids, 10, 1, &gateway).await;

    println!("\n{LOOKUPS} lookups by id over {ENTRIES} entries; ratios are against SQL in the same run\n");
    println!(
        "{:<34} {:>9} {:>9} {:>10} {:>9} {:>9}",
        "path", "p50 ms", "p99 ms", "req/s", "p50 x", "req/s x"
    );
    for concurrency in [1, CONCURRENCY] {
        let base = measure(&ids, LOOKUPS, concurrency, &sql).await;
        let via_service = measure(&ids, LOOKUPS, concurrency, &service).await;
        let via_gateway = measure(&ids, LOOKUPS, concurrency, &gateway).await;
        println!("concurrency {concurrency}:");
        for (name, s) in [
            ("PostgreSQL, the query alone", &base),
            ("professions service, gRPC", &via_service),
            ("gateway, REST/JSON", &via_gateway),
        ] {
            print_row(name, s, &base);
        }
    }

    // Search: a partial name, the first page of 20 and the total, as the service runs it.
    let terms: Vec<String> = (0..LOOKUPS)
        .map(|i| SEARCH_TERMS[i % SEARCH_TERMS.len()].to_string())
        .collect();
    let sql_search = |term: String| {
        let pool = pool.clone();
        async move {
            let pattern = format!("%{term}%");
            sqlx::query_scalar::<_, i64>(
                // The count stops at 1,001 matches, as the service's does ("more than 1,000"),
                // in the narrow search table the service counts a search by name alone in.
                "SELECT count(*) FROM (SELECT 1 FROM profession_search WHERE search_text LIKE lower($1) LIMIT 1001) matched",
            )
            .bind(&pattern)
            // As the service runs it: planned for the pattern each time (see store::list).
            .persistent(false)
            .fetch_one(&pool)
            .await
            .unwrap();
            sqlx::query(
                "SELECT * FROM professions WHERE search_text LIKE lower($1)
                 ORDER BY id ASC, id ASC LIMIT 20",
            )
            .bind(&pattern)
            .persistent(false)
            .fetch_all(&pool)
            .await
            .unwrap();
        }
    };
    let service_search = |term: String| {
        let mut client = grpc.clone();
        async move {
            let request = pb::ListProfessionsRequest {
                name: term,
                page_size: 20,
                ..Default::default()
            };
            client.list_professions(request).await.unwrap();
        }
    };
    let gateway_search = |term: String| {
        let http = http.clone();
        let url = platform.url(&format!(
            "/v1/professions?pageSize=20&name={}",
            url_encode(&term)
        ));
        async move {
            let reply = http.get(url).send().await.unwrap();
            assert!(reply.status().is_success());
            reply.bytes().await.unwrap();
        }
    };
    // The same search as a person makes it: the register's page, rendered on the server.
    let page_search = |term: String| {
        let http = http.clone();
        let url = platform.url(&format!(
            "/registers/professions?lang=ru&name={}",
            url_encode(&term)
        ));
        async move {
            let reply = http.get(url).send().await.unwrap();
            assert!(reply.status().is_success());
            reply.bytes().await.unwrap();
        }
    };
    measure(&terms, 10, 1, &sql_search).await;
    measure(&terms, 10, 1, &service_search).await;
    measure(&terms, 10, 1, &gateway_search).await;
    measure(&terms, 10, 1, &page_search).await;
    println!("\nsearch by partial name over {ENTRIES} entries (first page of 20 + total); ratios against SQL\n");
    println!(
        "{:<34} {:>9} {:>9} {:>10} {:>9} {:>9}",
        "path", "p50 ms", "p99 ms", "req/s", "p50 x", "req/s x"
    );
    for concurrency in [1, CONCURRENCY] {
        let base = measure(&terms, LOOKUPS, concurrency, &sql_search).await;
        let service = measure(&terms, LOOKUPS, concurrency, &service_search).await;
        let gateway = measure(&terms, LOOKUPS, concurrency, &gateway_search).await;
        let page = measure(&terms, LOOKUPS, concurrency, &page_search).await;
        println!("concurrency {concurrency}:");
        for (name, s) in [
            ("PostgreSQL, the queries alone", &base),
            ("professions service, gRPC", &service),
            ("gateway, REST/JSON", &gateway),
            ("gateway, the register's page", &page),
        ] {
            print_row(name, s, &base);
        }
    }
}

fn print_row(name: &str, s: &Stats, base: &Stats) {
    println!(
        "  {:<32} {:>9.3} {:>9.3} {:>10.0} {:>9.2} {:>9.2}",
        name,
        s.p50.as_secs_f64() * 1e3,
        s.p99.as_secs_f64() * 1e3,
        s.per_second,
        s.p50.as_secs_f64() / base.p50.as_secs_f64(),
        s.per_second / base.per_second
    );
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The ids of every entry, read from the gateway's list (so the bench needs no other path).
async fn all_ids(platform: &Platform) -> Vec<String> {
    let mut ids = Vec::new();
    let mut token = String::new();
    loop {
        let url = platform.url(&format!("/v1/professions?pageSize=500&pageToken={token}"));
        let page: serde_json::Value = platform
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for p in page["professions"].as_array().unwrap() {
            ids.push(p["id"].as_str().unwrap().to_string());
        }
        token = page["nextPageToken"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if token.is_empty() {
            return ids;
        }
    }
}

/// Occupation names in Kazakh, Russian and English for the generated register.
const WORDS: [(&str, &str, &str); 8] = [
    ("Дәнекерлеуші", "Сварщик", "Welder"),
    ("Электрмонтер", "Электромонтер", "Electrician"),
    ("Аспаз", "Повар", "Cook"),
    ("Бағдарламашы", "Программист", "Software developer"),
    ("Кран машинисі", "Машинист крана", "Crane operator"),
    ("Мейіргер", "Медицинская сестра", "Nurse"),
    ("Бухгалтер", "Бухгалтер", "Accountant"),
    ("Тігінші", "Швея", "Sewing machinist"),
];

/// What people type: common fragments (many matches), rare ones (few), and misses.
const SEARCH_TERMS: [&str; 8] = [
    "свар",
    "operator",
    "Бағдар",
    "Nurse 12",
    "бухгалтер 99",
    "cook 4242",
    "нет такой",
    "welder",
];

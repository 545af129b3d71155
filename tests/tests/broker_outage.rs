//! The broker killed (`kill -9`) under a running platform: every write keeps succeeding, its
//! events waiting in the outboxes; the broker restarted on its own data, everything drains,
//! and every acknowledged document is in accreditation's read model exactly once — nothing
//! lost, nothing twice, nothing unexpected. The platform runs on a broker of its own (Tansu,
//! durable on SQLite), not the one the other tests share.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nsk_e2e::walk::{accredit, call, call_as, center_token, register_welder, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::json;
use tokio::process::{Child, Command};

/// How long the broker stays down, documents issued all the while.
const OUTAGE: Duration = Duration::from_secs(8);

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Tansu on `port`, keeping its data in `dir` (SQLite), until killed.
async fn broker(dir: &Path, port: u16) -> Child {
    let tansu = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var("HOME").unwrap()).join(".cargo"))
        .join("bin/tansu");
    assert!(
        tansu.exists(),
        "{} is missing: run make deps",
        tansu.display()
    );
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("broker.log"))
        .unwrap();
    let child = Command::new(tansu)
        .args([
            "broker",
            "--listener-url",
            &format!("tcp://127.0.0.1:{port}"),
            "--advertised-listener-url",
            &format!("tcp://127.0.0.1:{port}"),
            "--storage-engine",
            "sqlite://broker.db",
        ])
        // Tansu resolves the SQLite path against its working directory.
        .current_dir(dir)
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the broker did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child
}

fn document(profession_id: &str, n: usize) -> serde_json::Value {
    json!({
        "holder": {"iin": nsk_runtime::testing::iin(9_000 + n as u32), "fullName": format!("Holder {n}")},
        "professionId": profession_id,
        "nqfLevel": 4,
        "procedureDate": today(),
        "protocolNumber": format!("P-{n}"),
        "protocolDate": today(),
        "headOfCenter": "K. Abenov"
    })
}

#[tokio::test]
async fn writes_succeed_while_the_broker_is_down_and_everything_arrives_once_after() {
    let dir = std::env::temp_dir().join(format!("nsk-outage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let brokers = format!("127.0.0.1:{port}");
    let mut running = broker(&dir, port).await;
    let extra: Vec<(&str, &str, &str)> = nsk_config::SERVICES
        .iter()
        .map(|s| (*s, "KAFKA_BROKERS", brokers.as_str()))
        .collect();
    let platform = Platform::start_with("outage", &extra).await;
    let profession_id = register_welder(&platform, "72120051").await;
    accredit(&platform, &profession_id).await;
    let token = center_token("0001");
    let before = platform
        .eventually(
            Duration::from_secs(60),
            "the registry hearing of the center",
            || async {
                let (status, reply) = call_as(
                    &platform,
                    Some(&token),
                    "/v1/documents",
                    Some(&document(&profession_id, 0)),
                )
                .await;
                (status == 200).then(|| reply["serialNumber"].as_str().unwrap().to_string())
            },
        )
        .await;

    // The broker dies mid-stream.
    running.start_kill().unwrap();
    running.wait().await.unwrap();
    let down = Instant::now();
    let mut acknowledged = vec![before];
    let mut n = 0;
    while down.elapsed() < OUTAGE {
        n += 1;
        let (status, reply) = call_as(
            &platform,
            Some(&token),
            "/v1/documents",
            Some(&document(&profession_id, n)),
        )
        .await;
        assert_eq!(
            status, 200,
            "document {n} while the broker is down: {reply}"
        );
        acknowledged.push(reply["serialNumber"].as_str().unwrap().to_string());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let during = acknowledged.len() - 1;
    // A write of another service too.
    let (status, reply) = call(
        &platform,
        Some(Role::AuthorizedBodyAdmin),
        "/v1/professions",
        Some(&json!({
            "names": {"kk": "Слесарь", "ru": "Слесарь", "en": "Fitter"},
            "nkzCode": "72220052", "okedCode": "25110", "nqfLevels": [3],
            "documentValidityMonths": 60, "qualificationRequirementsApply": true,
            "inclusionBasis": {"number": "13", "date": "2026-02-16"}
        })),
    )
    .await;
    assert_eq!(
        status, 200,
        "a profession while the broker is down: {reply}"
    );
    let outage = down.elapsed();
    let documents_db = sqlx::PgPool::connect(&platform.database_url("documents"))
        .await
        .unwrap();
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(&documents_db)
        .await
        .unwrap();
    assert!(
        waiting >= during as i64,
        "{waiting} events waiting in the registry's outbox"
    );

    // Back on its own data: everything drains.
    let _running = broker(&dir, port).await;
    let back = Instant::now();
    let accreditation_db = sqlx::PgPool::connect(&platform.database_url("accreditation"))
        .await
        .unwrap();
    let counts: Vec<(String, i64)> = platform
        .eventually(
            Duration::from_secs(120),
            "accreditation hearing of every document",
            || async {
                let counts: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT serial_number, count(*) FROM issued_documents
                      WHERE center_number = '0001' GROUP BY serial_number",
                )
                .fetch_all(&accreditation_db)
                .await
                .unwrap();
                (counts.len() >= acknowledged.len()).then_some(counts)
            },
        )
        .await;
    let drained = back.elapsed();
    // The checker: every acknowledged document exactly once, nothing else.
    let lost = acknowledged
        .iter()
        .filter(|s| !counts.iter().any(|(c, _)| c == *s))
        .count();
    let duplicated = counts.iter().filter(|(_, n)| *n > 1).count();
    let unexpected = counts
        .iter()
        .filter(|(c, _)| !acknowledged.contains(c))
        .count();
    println!(
        "broker outage {:.1} s: {} writes acknowledged during it (100 %), drained {:.1} s after the broker came back; lost={lost} duplicated={duplicated} unexpected={unexpected}",
        outage.as_secs_f64(),
        during + 1,
        drained.as_secs_f64()
    );
    assert_eq!((lost, duplicated, unexpected), (0, 0, 0));
    let unsent: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(&documents_db)
        .await
        .unwrap();
    assert_eq!(unsent, 0, "events left in the registry's outbox");
    let _ = std::fs::remove_dir_all(&dir);
}

//! Prometheus metrics, scraped from the real processes as an operator's Prometheus would: the
//! gateway and every service serve `GET /metrics` on their own port, and after a profession
//! is registered (a call through the gateway, an event published, consumed by the registry)
//! the named series exist with values that match what happened. The dashboard in
//! `deploy/grafana/` asks only for series that exist.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::time::Duration;

use nsk_e2e::walk::{call, register_welder};
use nsk_e2e::Platform;

const REGISTER: &str = "/nsk.professions.v1.ProfessionRegistry/RegisterProfession";

async fn scrape(platform: &Platform, process: &str) -> String {
    let (_, addr) = platform
        .metrics_addrs
        .iter()
        .find(|(p, _)| p == process)
        .unwrap_or_else(|| panic!("no metrics address for {process}"));
    let reply = platform
        .http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{process}: /metrics: {e}"));
    assert_eq!(reply.status(), 200, "{process}");
    reply.text().await.unwrap()
}

/// The value of the series `name` whose labels include every one of `labels`; `None` if
/// there is none.
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .find(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

/// Polls `process`'s metrics until `ready` holds (gauges are refreshed every few seconds).
async fn until(
    platform: &Platform,
    process: &str,
    what: &str,
    ready: impl Fn(&str) -> bool,
) -> String {
    platform
        .eventually(Duration::from_secs(30), what, || async {
            let text = scrape(platform, process).await;
            ready(&text).then_some(text)
        })
        .await
}

#[tokio::test]
async fn every_process_serves_the_named_series_with_values_that_match_what_happened() {
    let platform = Platform::start("metrics").await;
    register_welder(&platform, "72120041").await;
    // A path nobody serves is counted, but under one name, not under the path as sent.
    let (status, _) = call(&platform, None, "/v1/no-such-thing/12345", None).await;
    assert_eq!(status, 404);

    // The gateway: the call by the method its route calls, with the HTTP status.
    let gateway = scrape(&platform, "gateway").await;
    let label = format!("POST {REGISTER}");
    assert_eq!(
        value(
            &gateway,
            "nsk_requests_total",
            &[("method", &label), ("code", "200")]
        ),
        Some(1.0),
        "{gateway}"
    );
    assert!(
        value(
            &gateway,
            "nsk_requests_total",
            &[("method", "unrouted"), ("code", "404")]
        )
        .is_some_and(|n| n >= 1.0),
        "{gateway}"
    );
    assert!(!gateway.contains("no-such-thing"), "{gateway}");
    let seconds = value(
        &gateway,
        "nsk_request_duration_seconds_sum",
        &[("method", &label)],
    )
    .unwrap();
    assert!(seconds > 0.0 && seconds < 30.0, "{seconds}");

    // The service: the gRPC method with its status code; its latency histogram.
    let professions = until(&platform, "professions", "the outbox drained", |text| {
        value(text, "nsk_events_published_total", &[]).is_some_and(|n| n >= 1.0)
            && value(text, "nsk_outbox_backlog", &[]) == Some(0.0)
    })
    .await;
    assert_eq!(
        value(
            &professions,
            "nsk_requests_total",
            &[("method", REGISTER), ("code", "0")]
        ),
        Some(1.0),
        "{professions}"
    );
    assert_eq!(
        value(
            &professions,
            "nsk_request_duration_seconds_count",
            &[("method", REGISTER)]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&professions, "nsk_outbox_oldest_age_seconds", &[]),
        Some(0.0)
    );

    // The registry heard the event: applied once, and its lag on the topic comes to 0.
    let group = format!("{}documents", platform.prefix);
    let topic = format!("{}nsk.professions.v1", platform.prefix);
    let documents = until(&platform, "documents", "the registry's lag at 0", |text| {
        value(
            text,
            "nsk_events_consumed_total",
            &[("group", &group), ("outcome", "applied")],
        )
        .is_some_and(|n| n >= 1.0)
            && value(
                text,
                "nsk_consumer_lag",
                &[("group", &group), ("topic", &topic)],
            ) == Some(0.0)
    })
    .await;
    assert_eq!(
        value(&documents, "nsk_dead_letters_total", &[("group", &group)]),
        Some(0.0),
        "{documents}"
    );
    // It held its partitions: it never had to join its group again.
    assert_eq!(
        value(
            &documents,
            "nsk_consumer_rejoins_total",
            &[("group", &group)]
        ),
        Some(0.0),
        "{documents}"
    );
    // Its pool: as many connections as configured at most, and some open.
    let max = value(&documents, "nsk_db_pool_max", &[]).unwrap();
    assert_eq!(max, 10.0, "NSK_DATABASE_MAX_CONNECTIONS' default");
    let idle = value(&documents, "nsk_db_pool_connections", &[("state", "idle")]).unwrap();
    let in_use = value(
        &documents,
        "nsk_db_pool_connections",
        &[("state", "in_use")],
    )
    .unwrap();
    assert!(
        idle + in_use >= 1.0 && idle + in_use <= max,
        "{idle} + {in_use}"
    );

    // Accreditation's expiry job ran at start, and counted it.
    let accreditation = until(&platform, "accreditation", "the expiry job's run", |text| {
        value(
            text,
            "nsk_job_runs_total",
            &[("job", "certificate-expiry"), ("outcome", "ok")],
        )
        .is_some_and(|n| n >= 1.0)
    })
    .await;

    // The dashboard asks only for series some process serves.
    let dashboard = std::fs::read_to_string(
        nsk_runtime::testing::workspace_root().join("deploy/grafana/nsk-dashboard.json"),
    )
    .unwrap();
    let served: String = [&gateway, &professions, &documents, &accreditation]
        .iter()
        .map(|t| t.as_str())
        .collect();
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let queries: Vec<&str> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap())
        .map(|t| t["expr"].as_str().unwrap())
        .collect();
    let asked: BTreeSet<String> = queries
        .iter()
        .flat_map(|q| q.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .filter(|w| w.starts_with("nsk_"))
        .map(|w| w.to_string())
        .collect();
    assert!(asked.len() >= 10, "{asked:?}");
    for name in &asked {
        let family = ["_total", "_bucket", "_count", "_sum"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(name);
        assert!(
            served.contains(&format!("# TYPE {family} ")),
            "the dashboard asks for {name}, which no process serves"
        );
    }
}

//! Measurements `make bench` makes of the events and the open data, beside their baselines.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::producer::{FutureProducer, FutureRecord};

/// The size of an event as the registry writes it (an envelope with one document).
pub const EVENT_BYTES: usize = 700;

/// Messages per second of a bare producer and of a service's outbox relay, the same number of
/// messages of the same size to the same broker.
pub struct RelayVsProducer {
    pub messages: usize,
    pub producer_per_second: f64,
    pub relay_per_second: f64,
}

/// Sends `messages` straight from a producer configured as the relay's is (idempotent,
/// `acks=all`) to a topic of their own; then writes as many rows into the outbox of the
/// service whose database is `db_url`, for the same topic, and times its relay publishing
/// them all (every row recorded sent).
pub async fn relay_vs_producer(brokers: &str, db_url: &str, messages: usize) -> RelayVsProducer {
    let kafka = nsk_config::KafkaConfig {
        brokers: brokers.to_string(),
        topic_prefix: String::new(),
        partitions: 3,
        replication: 1,
        fetch_wait_ms: nsk_config::DEFAULT_FETCH_WAIT_MS,
        session_timeout_ms: nsk_config::DEFAULT_SESSION_TIMEOUT_MS,
    };
    let topic = format!("nsk-bench-relay-{}", uuid_like());
    nsk_events::kafka::ensure_topics(&kafka, std::slice::from_ref(&topic))
        .await
        .unwrap_or_else(|e| panic!("cannot create {topic}: {e}"));
    let producer: FutureProducer = nsk_events::kafka::idempotent_producer_config(&kafka)
        .create()
        .unwrap_or_else(|e| panic!("no producer: {e}"));
    let payload = vec![b'x'; EVENT_BYTES];
    // Connected, the topic's metadata known and the producer id granted before timing, as the
    // relay's long-lived producer is.
    producer
        .send(
            FutureRecord::to(&topic).key("warm").payload(&payload),
            Duration::from_secs(30),
        )
        .await
        .unwrap_or_else(|(e, _)| panic!("the bare producer failed: {e}"));
    let keys: Vec<String> = (0..messages).map(|i| format!("key-{i}")).collect();
    // The same message as the relay sends: the same headers (an event id, the event's type,
    // the content type), so that both put the same bytes on the wire.
    let ids: Vec<String> = (0..messages)
        .map(|i| format!("0193f5f0-0000-7000-8000-{i:012}"))
        .collect();
    let started = Instant::now();
    for (chunk, ids) in keys.chunks(5_000).zip(ids.chunks(5_000)) {
        let sends = chunk.iter().zip(ids).map(|(key, id)| {
            let headers = rdkafka::message::OwnedHeaders::new()
                .insert(rdkafka::message::Header {
                    key: "event_id",
                    value: Some(id.as_str()),
                })
                .insert(rdkafka::message::Header {
                    key: "event_type",
                    value: Some("nsk.bench.v1.Nothing"),
                })
                .insert(rdkafka::message::Header {
                    key: "content-type",
                    value: Some("application/x-protobuf"),
                });
            producer.send(
                FutureRecord::to(&topic)
                    .key(key)
                    .payload(&payload)
                    .headers(headers),
                Duration::from_secs(30),
            )
        });
        for sent in futures::future::join_all(sends).await {
            if let Err((err, _)) = sent {
                panic!("the bare producer failed: {err}");
            }
        }
    }
    let producer_per_second = messages as f64 / started.elapsed().as_secs_f64();

    let pool = sqlx::PgPool::connect(db_url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let last: i64 = sqlx::query_scalar(
        "WITH written AS (
           INSERT INTO outbox (event_id, topic, message_key, event_type, envelope)
           SELECT gen_random_uuid(), $1, 'key-' || n, 'nsk.bench.v1.Nothing', convert_to(repeat('x', $3), 'UTF8')
             FROM generate_series(1, $2) AS n
           RETURNING seq)
         SELECT max(seq) FROM written",
    )
    .bind(&topic)
    .bind(messages as i64)
    .bind(EVENT_BYTES as i32)
    .fetch_one(&pool)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    // While the relay works, only the last row is looked at (one row by its key): counting the
    // unsent rows every few milliseconds would take the processors the relay and the database
    // share. The relay records its batches sent in order, so the last row is recorded last;
    // once it is, the rows left in the outbox are counted.
    loop {
        let last_marked: bool = sqlx::query_scalar("SELECT sent FROM outbox_events WHERE seq = $1")
            .bind(last)
            .fetch_one(&pool)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        if last_marked {
            let left: i64 =
                sqlx::query_scalar("SELECT count(*) FROM outbox_waiting WHERE topic = $1")
                    .bind(&topic)
                    .fetch_one(&pool)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
            if left == 0 {
                break;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the relay has not marked all {messages} rows after 300 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let relay_per_second = messages as f64 / started.elapsed().as_secs_f64();
    RelayVsProducer {
        messages,
        producer_per_second,
        relay_per_second,
    }
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    )
}

/// The highest resident memory of some processes, sampled every 20 ms until stopped.
pub struct PeakMemory {
    stop: Arc<AtomicBool>,
    peaks: Vec<Arc<AtomicU64>>,
    task: tokio::task::JoinHandle<()>,
}

impl PeakMemory {
    pub fn watch(pids: &[u32]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peaks: Vec<Arc<AtomicU64>> = pids.iter().map(|_| Arc::default()).collect();
        let task = {
            let (stop, peaks, pids) = (stop.clone(), peaks.clone(), pids.to_vec());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    for (pid, peak) in pids.iter().zip(&peaks) {
                        if let Some(kib) = crate::resident_kib(*pid) {
                            peak.fetch_max(kib, Ordering::SeqCst);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        Self { stop, peaks, task }
    }

    /// The peaks, in KiB, in the order of the pids watched.
    pub async fn stop(self) -> Vec<u64> {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.task.await;
        self.peaks
            .iter()
            .map(|p| p.load(Ordering::SeqCst))
            .collect()
    }
}

/// Streams `url` to the end: (lines, bytes, seconds).
pub async fn stream_lines(http: &reqwest::Client, url: &str) -> (u64, u64, f64) {
    let started = Instant::now();
    let mut response = http
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    let (mut lines, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = response
        .chunk()
        .await
        .unwrap_or_else(|e| panic!("{url} broke off: {e}"))
    {
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        bytes += chunk.len() as u64;
    }
    (lines, bytes, started.elapsed().as_secs_f64())
}

/// Revocation on ground 4 (Art. 26.2.4) reaching the registry's answers.
pub struct Revocations {
    pub documents: usize,
    /// From the revocation's answer until the registry answers every named document cancelled.
    pub all_cancelled: Duration,
    /// The same for revocations naming one document each, sorted.
    pub single: Vec<Duration>,
}

/// Waits until the registry (its table, what it answers from) has every one of `serials`
/// cancelled; the time it took from `since`.
async fn until_cancelled(db: &sqlx::PgPool, serials: &[String], since: Instant) -> Duration {
    loop {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM documents WHERE serial_number = ANY($1) AND cancelled_on IS NULL",
        )
        .bind(serials)
        .fetch_one(db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        if left == 0 {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < Duration::from_secs(60),
            "{left} of {} documents still not cancelled",
            serials.len()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// An NCE officer revokes `certificate` on ground 4 naming `serials`, once accreditation has
/// heard of them (a 400 until then); returns when the revocation answered, or what the platform
/// answered instead.
async fn revoke(
    platform: &crate::Platform,
    certificate: &serde_json::Value,
    serials: &[String],
) -> Result<(), String> {
    let id = certificate["id"].as_str().unwrap_or_default().to_string();
    let body = serde_json::json!({
        "ground": "REVOCATION_GROUND_CONFIRMED_COMPLAINTS",
        "basis": {"number": "NCE-R-7", "date": crate::walk::today(), "title": "Complaints confirmed"},
        "documentSerialNumbers": serials,
        "concernsHealthOrSafety": true,
        "eventDetectedOn": crate::walk::today()
    });
    let path = format!("/v1/certificates/{id}:revoke");
    let started = Instant::now();
    loop {
        let (status, reply) = crate::walk::call(
            platform,
            Some(nsk_identity::Role::NceOfficer),
            &path,
            Some(&body),
        )
        .await;
        if status == 200 {
            return Ok(());
        }
        if status != 400 || started.elapsed() > Duration::from_secs(300) {
            return Err(format!("revocation of {id}: {status} {reply}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Issues `documents` documents with `issue(i)` (returning each serial) for the center of the
/// last of `certificates`, revokes it naming them all, and times the registry cancelling them;
/// then revokes each other center's certificate naming one of its documents, and times each.
/// What the platform answered instead, if a revocation was not accepted.
pub async fn revocations<F, Fut>(
    platform: &crate::Platform,
    certificates: &[serde_json::Value],
    documents: usize,
    issue: F,
) -> Result<Revocations, String>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    use futures::stream::{self, StreamExt};
    let db = sqlx::PgPool::connect(&platform.database_url("documents"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Some((last, others)) = certificates.split_last() else {
        panic!("no certificates to revoke");
    };
    let serials: Vec<String> = stream::iter(0..documents)
        .map(&issue)
        .buffer_unordered(16)
        .collect()
        .await;
    revoke(platform, last, &serials).await?;
    let all_cancelled = until_cancelled(&db, &serials, Instant::now()).await;
    let mut single = Vec::new();
    for certificate in others {
        let center: i32 = certificate["centerNumber"]
            .as_str()
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("a certificate without a center: {certificate}"));
        let serial: String = sqlx::query_scalar(
            "SELECT serial_number FROM documents WHERE center_number = $1 AND cancelled_on IS NULL
              ORDER BY sequence LIMIT 1",
        )
        .bind(center)
        .fetch_one(&db)
        .await
        .unwrap_or_else(|e| panic!("center {center} has no document: {e}"));
        let serials = [serial];
        revoke(platform, certificate, &serials).await?;
        single.push(until_cancelled(&db, &serials, Instant::now()).await);
    }
    single.sort();
    Ok(Revocations {
        documents,
        all_cancelled,
        single,
    })
}

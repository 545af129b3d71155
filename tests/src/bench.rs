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
/// them all (every row marked published).
pub async fn relay_vs_producer(brokers: &str, db_url: &str, messages: usize) -> RelayVsProducer {
    let kafka = nsk_config::KafkaConfig {
        brokers: brokers.to_string(),
        topic_prefix: String::new(),
        partitions: 3,
        replication: 1,
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
    let started = Instant::now();
    for chunk in keys.chunks(5_000) {
        let sends = chunk.iter().map(|key| {
            producer.send(
                FutureRecord::to(&topic).key(key).payload(&payload),
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
    sqlx::query(
        "INSERT INTO outbox (event_id, topic, message_key, event_type, envelope)
         SELECT gen_random_uuid(), $1, 'key-' || n, 'nsk.bench.v1.Nothing', convert_to(repeat('x', $3), 'UTF8')
           FROM generate_series(1, $2) AS n",
    )
    .bind(&topic)
    .bind(messages as i64)
    .bind(EVENT_BYTES as i32)
    .execute(&pool)
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    loop {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE topic = $1 AND published_at IS NULL",
        )
        .bind(&topic)
        .fetch_one(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the relay left {left} rows"
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

//! The relay: publishes the outbox to the broker, in order, and marks rows sent.

use std::time::Duration;

use futures::future::join_all;
use nsk_config::KafkaConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use sqlx::{PgPool, Row};
use tokio_util::sync::CancellationToken;

use crate::EventsError;

/// Advisory lock key held by the relay that is publishing; with several instances of a service,
/// the others wait, so events leave in the order they were written.
const RELAY_LOCK: i64 = 0x6e73_6b5f_7265_6c61; // "nsk_rela"

const BATCH_SIZE: i64 = 5_000;

/// How often the relay measures its backlog for the metrics.
const BACKLOG_EVERY: Duration = Duration::from_secs(5);

pub struct Relay {
    pool: PgPool,
    producer: FutureProducer<crate::kafka::QuietContext>,
    idle_interval: Duration,
}

impl Relay {
    pub fn new(
        pool: PgPool,
        kafka: &KafkaConfig,
        idle_interval: Duration,
    ) -> Result<Self, EventsError> {
        let producer = crate::kafka::idempotent_producer_config(kafka)
            .create_with_context(Default::default())?;
        Ok(Self {
            pool,
            producer,
            idle_interval,
        })
    }

    /// Publishes until `shutdown` is cancelled. Failures are logged and retried with backoff;
    /// unsent rows stay in the outbox, so nothing is lost while the broker is down.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut backoff = self.idle_interval;
        let mut measured: Option<std::time::Instant> = None;
        loop {
            if measured.is_none_or(|at| at.elapsed() >= BACKLOG_EVERY) {
                measured = Some(std::time::Instant::now());
                self.measure_backlog().await;
            }
            let wait = match self.publish_batch().await {
                Ok(0) => {
                    backoff = self.idle_interval;
                    self.idle_interval
                }
                Ok(_) => {
                    backoff = self.idle_interval;
                    continue;
                }
                Err(err) => {
                    tracing::warn!(error = %err, retry_in_ms = backoff.as_millis() as u64, "outbox relay failed; will retry");
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                    backoff
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!("outbox relay stopped");
    }

    /// The backlog's gauges (`nsk_outbox_backlog`, `nsk_outbox_oldest_age_seconds`).
    async fn measure_backlog(&self) {
        match backlog(&self.pool).await {
            Ok((waiting, oldest)) => {
                let metrics = nsk_metrics::metrics();
                metrics.outbox_backlog.set(waiting);
                metrics.outbox_oldest_seconds.set(oldest);
            }
            Err(err) => tracing::debug!(error = %err, "cannot measure the outbox backlog"),
        }
    }

    /// Publishes one batch of unsent events in outbox order; returns how many were sent.
    pub async fn publish_batch(&self) -> Result<usize, EventsError> {
        let mut tx = self.pool.begin().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(RELAY_LOCK)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            return Ok(0);
        }
        let rows = sqlx::query(
            "SELECT seq, topic, message_key, event_id, event_type, envelope, traceparent, tracestate
             FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1",
        )
        .bind(BATCH_SIZE)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }

        // Hand the whole batch to the producer, then wait for every acknowledgement: the
        // idempotent producer keeps per-partition order even across its own retries.
        let mut deliveries = Vec::with_capacity(rows.len());
        for row in &rows {
            let topic: String = row.get("topic");
            let key: String = row.get("message_key");
            let event_id: uuid::Uuid = row.get("event_id");
            let event_type: String = row.get("event_type");
            let envelope: Vec<u8> = row.get("envelope");
            let traceparent: Option<String> = row.get("traceparent");
            let tracestate: Option<String> = row.get("tracestate");
            let event_id = event_id.to_string();
            let mut headers = OwnedHeaders::new()
                .insert(Header {
                    key: "event_id",
                    value: Some(event_id.as_str()),
                })
                .insert(Header {
                    key: "event_type",
                    value: Some(event_type.as_str()),
                })
                .insert(Header {
                    key: "content-type",
                    value: Some("application/x-protobuf"),
                });
            if let Some(tp) = traceparent.as_deref() {
                headers = headers.insert(Header {
                    key: "traceparent",
                    value: Some(tp),
                });
            }
            if let Some(ts) = tracestate.as_deref().filter(|s| !s.is_empty()) {
                headers = headers.insert(Header {
                    key: "tracestate",
                    value: Some(ts),
                });
            }
            let record = FutureRecord::to(&topic)
                .key(&key)
                .payload(&envelope)
                .headers(headers);
            // send_result copies the record into the producer's queue at once.
            match self.producer.send_result(record) {
                Ok(delivery) => deliveries.push(delivery),
                Err((err, _)) => {
                    tracing::warn!(error = %err, "producer queue refused an event; the rest waits for the next batch");
                    break;
                }
            }
        }
        let results = join_all(deliveries).await;

        // Mark the prefix that was acknowledged; a failure leaves it and everything after it
        // for the next attempt, so order is kept.
        let mut sent = Vec::new();
        let mut failure = None;
        for (row, result) in rows.iter().zip(results) {
            match result {
                Ok(Ok(_)) => sent.push(row.get::<i64, _>("seq")),
                Ok(Err((err, _))) => {
                    failure = Some(err);
                    break;
                }
                // The producer was dropped before answering: retry in the next batch.
                Err(_cancelled) => {
                    failure = Some(rdkafka::error::KafkaError::Canceled);
                    break;
                }
            }
        }
        if !sent.is_empty() {
            sqlx::query("UPDATE outbox SET published_at = now() WHERE seq = ANY($1)")
                .bind(&sent)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        nsk_metrics::metrics()
            .events_published
            .inc_by(sent.len() as u64);
        tracing::debug!(sent = sent.len(), "published outbox batch");
        match failure {
            Some(err) => Err(err.into()),
            None => Ok(sent.len()),
        }
    }
}

/// How many events wait in the outbox, and the age of the oldest in seconds.
pub async fn backlog(pool: &PgPool) -> Result<(i64, f64), sqlx::Error> {
    let row = sqlx::query(
        "SELECT count(*) AS waiting,
                COALESCE(EXTRACT(EPOCH FROM now() - min(created_at))::float8, 0) AS oldest
         FROM outbox WHERE published_at IS NULL",
    )
    .fetch_one(pool)
    .await?;
    Ok((row.get("waiting"), row.get("oldest")))
}

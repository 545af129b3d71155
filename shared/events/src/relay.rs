//! The relay: publishes the outbox to the broker, in order, and marks rows sent.

use std::time::Duration;

use futures::future::join_all;
use nsk_config::KafkaConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};
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
    kafka: KafkaConfig,
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
            kafka: kafka.clone(),
            producer,
            idle_interval,
        })
    }

    /// Publishes until `shutdown` is cancelled. Failures are logged and retried with backoff;
    /// unsent rows stay in the outbox, so nothing is lost while the broker is down.
    ///
    /// While there is a backlog, batches overlap: the next batch is read and handed to the
    /// producer while the broker acknowledges the last, and the last is marked sent meanwhile
    /// (on another connection). The instance that publishes holds [`RELAY_LOCK`] on a
    /// connection of its own for as long as it runs; the others wait for it.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let mut backoff = self.idle_interval;
        let mut measured: Option<std::time::Instant> = None;
        let mut holder: Option<PgConnection> = None;
        loop {
            if measured.is_none_or(|at| at.elapsed() >= BACKLOG_EVERY) {
                measured = Some(std::time::Instant::now());
                self.measure_backlog().await;
            }
            let wait = match self.publish_while_behind(&mut holder, &shutdown).await {
                Ok(_) => {
                    backoff = self.idle_interval;
                    self.idle_interval
                }
                Err(err) => {
                    // A broken connection may have taken the lock with it: take it again.
                    holder = None;
                    self.renew_producer_if_fatal();
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

    /// A producer that met a fatal error (the broker refused its identity, say) sends nothing
    /// more: a new one takes its place, with a new identity.
    fn renew_producer_if_fatal(&mut self) {
        use rdkafka::producer::Producer as _;
        if let Some((code, reason)) = self.producer.client().fatal_error() {
            match crate::kafka::idempotent_producer_config(&self.kafka)
                .create_with_context(Default::default())
            {
                Ok(producer) => {
                    tracing::warn!(?code, %reason, "the relay's producer failed for good; a new one takes its place");
                    self.producer = producer;
                }
                Err(err) => {
                    tracing::error!(error = %err, "the relay's producer failed for good and a new one cannot be made")
                }
            }
        }
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

    /// With the relay's lock (taken on `holder`, a connection of its own, if not held yet),
    /// publishes batch after batch until the outbox is empty; returns how many were sent.
    async fn publish_while_behind(
        &self,
        holder: &mut Option<PgConnection>,
        shutdown: &CancellationToken,
    ) -> Result<usize, EventsError> {
        if holder.is_none() {
            let mut conn = self.pool.acquire().await?;
            let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(RELAY_LOCK)
                .fetch_one(&mut *conn)
                .await?;
            if !locked {
                // Another instance publishes; the connection, holding nothing, goes back.
                return Ok(0);
            }
            // Out of the pool: the lock goes with the connection when it closes (the relay
            // stopped, the connection broken), never to another user of the pool.
            *holder = Some(conn.detach());
        }
        let Some(conn) = holder.as_mut() else {
            return Ok(0);
        };
        let mut total = 0;
        // The last batch, handed to the producer, not yet acknowledged.
        let mut in_flight: Option<Sent> = None;
        // The batch before it, acknowledged, to be marked sent.
        let mut to_mark: Vec<i64> = Vec::new();
        let mut after = None;
        // Whether to read another batch: not once the outbox gave less than a full one.
        let mut more = true;
        loop {
            // The next batch read while the one before is marked (on a connection of the pool).
            let read = async {
                if more {
                    select_batch(conn, after).await
                } else {
                    Ok(Vec::new())
                }
            };
            let (rows, marked) = tokio::join!(read, mark_sent(&self.pool, &to_mark));
            marked?;
            to_mark.clear();
            let rows = rows?;
            // Caught up: rows a transaction committed late, with a number below the batches
            // read, are found by the next call, which reads from the start.
            more = rows.len() as i64 == BATCH_SIZE && !shutdown.is_cancelled();
            // Handed to the producer behind the batch in flight; the idempotent producer keeps
            // their order.
            let next = (!rows.is_empty()).then(|| self.send(rows));
            if let Some(last) = in_flight.take() {
                // The producer waits for the broker as long as it takes; at shutdown, what is
                // not acknowledged stays unsent and goes again at the next start.
                let (sent, failure) = tokio::select! {
                    acknowledged = last.acknowledged() => acknowledged,
                    _ = shutdown.cancelled() => {
                        mark_sent(&self.pool, &to_mark).await?;
                        return Ok(total);
                    }
                };
                total += sent.len();
                to_mark = sent;
                if let Some(err) = failure {
                    // What follows the failure was handed over too: it is sent again with it
                    // later, and the consumers skip by its id what they have.
                    mark_sent(&self.pool, &to_mark).await?;
                    return Err(err.into());
                }
            }
            in_flight = next;
            after = in_flight.as_ref().and_then(Sent::last_seq);
            if in_flight.is_none() {
                mark_sent(&self.pool, &to_mark).await?;
                break;
            }
        }
        Ok(total)
    }

    /// Publishes one batch of unsent events in outbox order and marks them sent; returns how
    /// many were sent. Under the relay's lock for the transaction, so it may run beside a
    /// running relay of another instance.
    pub async fn publish_batch(&self) -> Result<usize, EventsError> {
        let mut tx = self.pool.begin().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(RELAY_LOCK)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            return Ok(0);
        }
        let rows = select_batch(&mut tx, None).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let (sent, failure) = self.send(rows).acknowledged().await;
        mark_sent(&mut *tx, &sent).await?;
        tx.commit().await?;
        match failure {
            Some(err) => Err(err.into()),
            None => Ok(sent.len()),
        }
    }

    /// Hands `rows` to the producer, in order; the idempotent producer keeps per-partition
    /// order even across its own retries.
    fn send(&self, rows: Vec<PgRow>) -> Sent {
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
        Sent {
            seqs: rows.iter().map(|r| r.get::<i64, _>("seq")).collect(),
            deliveries,
        }
    }
}

/// A batch handed to the producer.
struct Sent {
    seqs: Vec<i64>,
    deliveries: Vec<DeliveryFuture>,
}

impl Sent {
    fn last_seq(&self) -> Option<i64> {
        self.seqs.last().copied()
    }

    /// Waits for the broker's answers: the numbers of the prefix it acknowledged, and the
    /// failure that ended it (a row the producer refused counts as one). A failure leaves its
    /// row and everything after it for the next attempt, so order is kept.
    async fn acknowledged(self) -> (Vec<i64>, Option<rdkafka::error::KafkaError>) {
        let handed = self.deliveries.len();
        let results = join_all(self.deliveries).await;
        let mut sent = Vec::with_capacity(handed);
        let mut failure = None;
        for (seq, result) in self.seqs.iter().zip(results) {
            match result {
                Ok(Ok(_)) => sent.push(*seq),
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
        if failure.is_none() && handed < self.seqs.len() {
            failure = Some(rdkafka::error::KafkaError::Canceled);
        }
        nsk_metrics::metrics()
            .events_published
            .inc_by(sent.len() as u64);
        tracing::debug!(sent = sent.len(), "published outbox batch");
        (sent, failure)
    }
}

/// The next unsent events in outbox order, after `after` when batches are in flight.
async fn select_batch(
    conn: &mut PgConnection,
    after: Option<i64>,
) -> Result<Vec<PgRow>, sqlx::Error> {
    sqlx::query(
        "SELECT seq, topic, message_key, event_id, event_type, envelope, traceparent, tracestate
         FROM outbox WHERE published_at IS NULL AND ($2::bigint IS NULL OR seq > $2)
         ORDER BY seq LIMIT $1",
    )
    .bind(BATCH_SIZE)
    .bind(after)
    .fetch_all(conn)
    .await
}

/// Marks the events `seqs` sent.
async fn mark_sent<'c, E>(executor: E, seqs: &[i64]) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    if !seqs.is_empty() {
        sqlx::query("UPDATE outbox SET published_at = now() WHERE seq = ANY($1)")
            .bind(seqs)
            .execute(executor)
            .await?;
    }
    Ok(())
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

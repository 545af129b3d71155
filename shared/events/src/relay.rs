//! The relay: publishes the outbox to the broker, in order, and moves what the broker
//! acknowledged to `outbox_published`.

use std::time::Duration;

use futures::future::join_all;
use futures::{StreamExt as _, TryStreamExt as _};
use nsk_config::KafkaConfig;
use rdkafka::error::KafkaError;
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

/// Batches recorded sent at once. Recording a batch (moving 5,000 rows of 700 bytes) takes the
/// database longer than reading and sending one; two at a time keep pace on two cores.
const MARKING: usize = 2;

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
    /// While there is a backlog, batches overlap: the next batch is read while the last is
    /// handed to the producer, and what the broker acknowledged is moved to
    /// `outbox_published` meanwhile (two batches at a time, on other connections). The instance that publishes holds [`RELAY_LOCK`] on a
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
        // Acknowledged batches are recorded sent by a task of their own, two at a time on
        // connections of the pool, while the loop reads and sends the next ones; at most two
        // more wait for it.
        let (marks, acknowledged) = tokio::sync::mpsc::channel::<Vec<i64>>(2);
        let marker = futures::stream::unfold(acknowledged, |mut rx| async move {
            rx.recv().await.map(|seqs| (seqs, rx))
        })
        .map(|seqs| async move { record_sent(&self.pool, &seqs).await })
        .buffer_unordered(MARKING)
        // A failure ends the stream, and so the channel: the loop stops at its next batch.
        .try_for_each(|()| async { Ok(()) });
        let (published, marked) = tokio::join!(self.publish_batches(conn, marks, shutdown), marker);
        // Every acknowledged batch is marked (or the marking failed) before the next call reads
        // the outbox from its start.
        marked?;
        published
    }

    /// The loop of [`Self::publish_while_behind`]: reads batch after batch from the outbox and
    /// hands each to the producer behind the one in flight; what the broker acknowledged goes
    /// to `marks`.
    async fn publish_batches(
        &self,
        conn: &mut PgConnection,
        marks: tokio::sync::mpsc::Sender<Vec<i64>>,
        shutdown: &CancellationToken,
    ) -> Result<usize, EventsError> {
        let mut total = 0;
        // The last batch, handed to the producer, not yet acknowledged.
        let mut in_flight: Option<Sent> = None;
        // The first batch; each next one is read while the one before is handed over.
        let mut rows = select_batch(conn, 0).await?;
        loop {
            // Caught up: rows a transaction committed late, with a number below the batches
            // read, are found by the next call, which reads from the start.
            let more = rows.len() as i64 == BATCH_SIZE && !shutdown.is_cancelled();
            let after = rows.last().map(|row| row.get::<i64, _>(0));
            // Handed to the producer behind the batch in flight (the idempotent producer keeps
            // their order), off the runtime's threads — copying 5,000 events takes a few
            // milliseconds — while the next batch is read.
            let handing = (!rows.is_empty()).then(|| {
                let producer = self.producer.clone();
                tokio::task::spawn_blocking(move || hand_over(&producer, rows))
            });
            let read = async {
                match after {
                    Some(after) if more => select_batch(conn, after).await,
                    _ => Ok(Vec::new()),
                }
            };
            let handed = async {
                match handing {
                    Some(handing) => handing.await.map(Some),
                    None => Ok(None),
                }
            };
            let (read, handed) = tokio::join!(read, handed);
            // Handing over does not panic; if it did, its batch stays unsent for the next call.
            let next = handed.map_err(|_| EventsError::Kafka(KafkaError::Canceled))?;
            if let Some(last) = in_flight.take() {
                // The producer waits for the broker as long as it takes; at shutdown, what is
                // not acknowledged stays unsent and goes again at the next start.
                let (sent, failure) = tokio::select! {
                    acknowledged = last.acknowledged() => acknowledged,
                    _ = shutdown.cancelled() => return Ok(total),
                };
                total += sent.len();
                let marking = marks.send(sent).await;
                if let Some(err) = failure {
                    // What follows the failure was handed over too: it is sent again with it
                    // later, and the consumers skip by its id what they have.
                    return Err(err.into());
                }
                if marking.is_err() {
                    // The marker failed; its error is the one returned.
                    return Ok(total);
                }
            }
            in_flight = next;
            if in_flight.is_none() {
                break;
            }
            rows = read?;
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
        let rows = select_batch(&mut tx, 0).await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let (sent, failure) = hand_over(&self.producer, rows).acknowledged().await;
        mark_sent(&mut *tx, &sent).await?;
        tx.commit().await?;
        match failure {
            Some(err) => Err(err.into()),
            None => Ok(sent.len()),
        }
    }
}

/// Hands `rows` (as [`select_batch`] reads them) to the producer, in order; the idempotent
/// producer keeps per-partition order even across its own retries.
fn hand_over(producer: &FutureProducer<crate::kafka::QuietContext>, rows: Vec<PgRow>) -> Sent {
    let mut deliveries = Vec::with_capacity(rows.len());
    for row in &rows {
        // By position, in select_batch's order; borrowed, not copied, until the producer
        // copies the message.
        let topic: &str = row.get(1);
        let key: &str = row.get(2);
        let event_id: uuid::Uuid = row.get(3);
        let event_type: &str = row.get(4);
        let envelope: &[u8] = row.get(5);
        let traceparent: Option<&str> = row.get(6);
        let tracestate: Option<&str> = row.get(7);
        let mut id = uuid::Uuid::encode_buffer();
        let event_id: &str = event_id.hyphenated().encode_lower(&mut id);
        let mut headers = OwnedHeaders::new_with_capacity(5)
            .insert(Header {
                key: "event_id",
                value: Some(event_id),
            })
            .insert(Header {
                key: "event_type",
                value: Some(event_type),
            })
            .insert(Header {
                key: "content-type",
                value: Some("application/x-protobuf"),
            });
        if let Some(tp) = traceparent {
            headers = headers.insert(Header {
                key: "traceparent",
                value: Some(tp),
            });
        }
        if let Some(ts) = tracestate.filter(|s| !s.is_empty()) {
            headers = headers.insert(Header {
                key: "tracestate",
                value: Some(ts),
            });
        }
        let record = FutureRecord::to(topic)
            .key(key)
            .payload(envelope)
            .headers(headers);
        // send_result copies the record into the producer's queue at once.
        match producer.send_result(record) {
            Ok(delivery) => deliveries.push(delivery),
            Err((err, _)) => {
                tracing::warn!(error = %err, "producer queue refused an event; the rest waits for the next batch");
                break;
            }
        }
    }
    Sent {
        seqs: rows.iter().map(|r| r.get::<i64, _>(0)).collect(),
        deliveries,
    }
}

/// A batch handed to the producer.
struct Sent {
    seqs: Vec<i64>,
    deliveries: Vec<DeliveryFuture>,
}

impl Sent {
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

/// The next unsent events in outbox order, numbered after `after` (0 from the start; numbers
/// start at 1). A bound always there lets the plan the database keeps for the statement start
/// the index scan after the batches in flight, not filter them out.
async fn select_batch(conn: &mut PgConnection, after: i64) -> Result<Vec<PgRow>, sqlx::Error> {
    sqlx::query(
        "SELECT seq, topic, message_key, event_id, event_type, envelope, traceparent, tracestate
         FROM outbox WHERE published_at IS NULL AND seq > $2
         ORDER BY seq LIMIT $1",
    )
    .bind(BATCH_SIZE)
    .bind(after)
    .fetch_all(conn)
    .await
}

/// Records the events `seqs` sent, in a transaction of its own that does not wait for its
/// commit to reach the disk (`synchronous_commit` off for it alone). The broker has the events
/// already: a record lost with a crash of the database only makes the relay send them again,
/// and every consumer skips an event it has by its id. What waits for the disk is the writing
/// of an event with its change, never this.
async fn record_sent(pool: &PgPool, seqs: &[i64]) -> Result<(), sqlx::Error> {
    if seqs.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await?;
    mark_sent(&mut *tx, seqs).await?;
    tx.commit().await
}

/// Records the events `seqs` sent: they move from the outbox to `outbox_published` in one
/// statement.
async fn mark_sent<'c, E>(executor: E, seqs: &[i64]) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    if !seqs.is_empty() {
        sqlx::query(
            "WITH sent AS (
                 DELETE FROM outbox WHERE seq = ANY($1)
                 RETURNING seq, event_id, topic, message_key, event_type, envelope, traceparent,
                           tracestate, created_at)
             INSERT INTO outbox_published (seq, event_id, topic, message_key, event_type, envelope,
                                           traceparent, tracestate, created_at, published_at)
             SELECT seq, event_id, topic, message_key, event_type, envelope, traceparent,
                    tracestate, created_at, now()
               FROM sent",
        )
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

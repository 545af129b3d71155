//! The relay: publishes the outbox to the broker, in order, and records how far the broker
//! acknowledged — one row (`outbox_relay`), the events staying where they were written.
//!
//! It sends the events by the snapshots of the transactions that wrote them, as PgQ does: a
//! tick takes the snapshot of now (`target`) and sends, in their order, the events of the
//! transactions it sees and the last tick's (`sent`) did not; then `target` becomes `sent`.
//! An event committed late, numbered below events already sent, belongs to the first tick
//! whose snapshot sees its transaction, so none is passed over, and recording a batch is one
//! row's update, not a copy of its events.

use std::time::Duration;

use futures::future::join_all;
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
    /// handed to the producer. The instance that publishes holds [`RELAY_LOCK`] on a
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
    /// publishes what waits, tick after tick while they are full; returns how many were sent.
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
        // A tick sends what was committed when it started; behind a backlog (a tick of a
        // batch or more) the next starts at once, otherwise after the idle interval.
        let mut total = 0;
        while !shutdown.is_cancelled() {
            let Some(tick) = Tick::start(conn).await? else {
                break;
            };
            let sent = self.publish_tick(conn, tick, shutdown).await?;
            total += sent;
            if (sent as i64) < BATCH_SIZE {
                break;
            }
        }
        Ok(total)
    }

    /// Sends the events of `tick` batch after batch, in their order, each handed to the
    /// producer behind the one in flight and read while the one before is handed over; records
    /// each acknowledged batch, and the snapshot sent when its last is.
    async fn publish_tick(
        &self,
        conn: &mut PgConnection,
        tick: Tick,
        shutdown: &CancellationToken,
    ) -> Result<usize, EventsError> {
        let mut total = 0;
        // The last batch, handed to the producer, not yet acknowledged.
        let mut in_flight: Option<Sent> = None;
        let mut rows = tick.batch(conn, tick.from).await?;
        loop {
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
                    Some(after) if more => tick.batch(conn, after).await,
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
                if let Some(&through) = sent.last() {
                    tick.record(conn, through).await?;
                }
                if let Some(err) = failure {
                    // What follows the failure was handed over too: it is sent again with it
                    // later, and the consumers skip by its id what they have.
                    return Err(err.into());
                }
            }
            in_flight = next;
            if in_flight.is_none() {
                break;
            }
            rows = read?;
        }
        if !shutdown.is_cancelled() {
            tick.finish(conn).await?;
        }
        Ok(total)
    }

    /// Publishes one batch of waiting events in order and records them sent; returns how many
    /// were sent. Under the relay's lock for the transaction, so it may run beside a running
    /// relay of another instance.
    pub async fn publish_batch(&self) -> Result<usize, EventsError> {
        let mut tx = self.pool.begin().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(RELAY_LOCK)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            return Ok(0);
        }
        let Some(tick) = Tick::start(&mut tx).await? else {
            return Ok(0);
        };
        let rows = tick.batch(&mut tx, tick.from).await?;
        let whole = (rows.len() as i64) < BATCH_SIZE;
        let (sent, failure) = hand_over(&self.producer, rows).acknowledged().await;
        if let Some(&through) = sent.last() {
            tick.record(&mut tx, through).await?;
        }
        if whole && failure.is_none() {
            tick.finish(&mut tx).await?;
        }
        tx.commit().await?;
        match failure {
            Some(err) => Err(err.into()),
            None => Ok(sent.len()),
        }
    }
}

/// The events of the transactions the snapshot `$1` does not see, by their ids (`outbox_xid`):
/// those that had not started when it was taken (from its `xmax` on) and those it saw running
/// (its `xip` list). Not the range from its `xmin`: a transaction that stays open would keep
/// in that range every event written since, sent or not.
const UNSEEN: &str = "SELECT seq, xid FROM outbox WHERE xid >= pg_snapshot_xmax($1::pg_snapshot)
                      UNION ALL
                      SELECT seq, xid FROM outbox
                       WHERE xid = ANY (ARRAY(SELECT pg_snapshot_xip($1::pg_snapshot)))";

/// The events the relay sends next: those committed by the transactions the snapshot `target`
/// sees and `sent` does not (the relay's record, `outbox_relay`, migration
/// `6_outbox_in_place`), in their order; how far it got is in the relay's row (`through`).
struct Tick {
    sent: String,
    target: String,
    /// Where the tick's first batch is read from: below its first event (found by the
    /// transactions' ids, not by reading the events sent before it).
    from: i64,
}

impl Tick {
    /// The tick under way, or a new one if events wait (`target` the snapshot of now); `None`
    /// when none waits. Nothing is written while the outbox is idle.
    async fn start(conn: &mut PgConnection) -> Result<Option<Tick>, sqlx::Error> {
        let (sent, target, through): (String, Option<String>, i64) =
            sqlx::query_as("SELECT sent::text, target::text, through FROM outbox_relay")
                .fetch_one(&mut *conn)
                .await?;
        if let Some(target) = target {
            return Ok(Some(Tick::from(conn, sent, target, through).await?));
        }
        // Whether events wait: of transactions the last snapshot sent does not see ([`UNSEEN`]);
        // planned for the snapshot each time (a plan kept for any snapshot reads the outbox
        // whole).
        let waiting: bool = sqlx::query_scalar(&format!("SELECT EXISTS ({UNSEEN})"))
            .persistent(false)
            .bind(&sent)
            .fetch_one(&mut *conn)
            .await?;
        if !waiting {
            return Ok(None);
        }
        let target: String = sqlx::query_scalar(
            "UPDATE outbox_relay SET target = pg_current_snapshot(), through = 0
             RETURNING target::text",
        )
        .fetch_one(&mut *conn)
        .await?;
        Ok(Some(Tick::from(conn, sent, target, 0).await?))
    }

    /// The tick, read from below its first event still to send.
    async fn from(
        conn: &mut PgConnection,
        sent: String,
        target: String,
        through: i64,
    ) -> Result<Tick, sqlx::Error> {
        // By the transactions' ids ([`UNSEEN`]), not from the start of the events by number:
        // kept apart (MATERIALIZED) so that the planner cannot take `min` from the primary key
        // and filter the events sent before, and planned for its parameters each time.
        let first: Option<i64> = sqlx::query_scalar(&format!(
            "WITH tick AS MATERIALIZED ({UNSEEN})
             SELECT min(seq) FROM tick
              WHERE pg_visible_in_snapshot(xid, $2::pg_snapshot) AND seq > $3"
        ))
        .persistent(false)
        .bind(&sent)
        .bind(&target)
        .bind(through)
        .fetch_one(&mut *conn)
        .await?;
        let from = first.map_or(through, |first| first - 1);
        Ok(Tick { sent, target, from })
    }

    /// The next events of the tick, numbered after `after`, in order.
    async fn batch(&self, conn: &mut PgConnection, after: i64) -> Result<Vec<PgRow>, sqlx::Error> {
        select_batch(conn, &self.sent, &self.target, after).await
    }

    /// Records the tick's events up to `through` sent, in a transaction that does not wait for
    /// its commit to reach the disk (`synchronous_commit` off for it alone): the broker has the
    /// events already; a record lost with a crash of the database only makes the relay send
    /// them again, and every consumer skips an event it has by its id. What waits for the disk
    /// is the writing of an event with its change, never this.
    async fn record(&self, conn: &mut PgConnection, through: i64) -> Result<(), sqlx::Error> {
        sqlx::query(
            "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true))
             UPDATE outbox_relay SET through = $1, moved_at = now() FROM quick",
        )
        .bind(through)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Every event of the tick sent: the target becomes what was sent.
    async fn finish(self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE outbox_relay SET sent = target, target = NULL, through = 0, moved_at = now()",
        )
        .execute(&mut *conn)
        .await?;
        Ok(())
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

/// The next events of a tick (the transactions `target` sees and `sent` does not) numbered
/// after `after`, in order.
async fn select_batch(
    conn: &mut PgConnection,
    sent: &str,
    target: &str,
    after: i64,
) -> Result<Vec<PgRow>, sqlx::Error> {
    sqlx::query(
        "SELECT seq, topic, message_key, event_id, event_type, envelope, traceparent, tracestate
           FROM outbox
          WHERE seq > $2
            AND xid >= pg_snapshot_xmin($3::pg_snapshot)
            AND NOT pg_visible_in_snapshot(xid, $3::pg_snapshot)
            AND pg_visible_in_snapshot(xid, $4::pg_snapshot)
          ORDER BY seq LIMIT $1",
    )
    .bind(BATCH_SIZE)
    .bind(after)
    .bind(sent)
    .bind(target)
    .fetch_all(conn)
    .await
}

/// How many events wait in the outbox, and the age of the oldest in seconds.
pub async fn backlog(pool: &PgPool) -> Result<(i64, f64), sqlx::Error> {
    let row = sqlx::query(
        "SELECT count(*) AS waiting,
                COALESCE(EXTRACT(EPOCH FROM now() - min(created_at))::float8, 0) AS oldest
         FROM outbox_waiting",
    )
    .fetch_one(pool)
    .await?;
    Ok((row.get("waiting"), row.get("oldest")))
}

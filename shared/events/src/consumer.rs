//! The idempotent consumer.
//!
//! For each message: decode the envelope, then in one database transaction record the event id
//! (a duplicate stops here) and apply the handler's effect; commit; only then commit the offset.
//! A crash between the two commits redelivers the message, and the recorded id makes the second
//! delivery a no-op. What one poll finds waiting (up to [`MAX_BATCH`]) is applied in one
//! transaction, ids and effects alike, and its offsets committed after; if any of it fails, the
//! batch is undone and applied again one event at a time, as above, so one bad event costs
//! only its own retries. An event the handler cannot apply (it says so, or transient failures
//! outlast the retries) goes to the dead-letter topic, and the partition moves on.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::time::Duration;

use futures::FutureExt as _;
use nsk_config::KafkaConfig;
use nsk_proto::nsk::events::v1::{DeadLetter, EventEnvelope};
use prost::Message as _;
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::message::BorrowedMessage;
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use rdkafka::{Offset, TopicPartitionList};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use crate::EventsError;

/// Messages applied in one transaction, at most: what one poll finds already waiting.
pub const MAX_BATCH: usize = 500;

/// An event as a handler sees it.
#[derive(Debug, Clone)]
pub struct ReceivedEvent {
    pub envelope: EventEnvelope,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

impl ReceivedEvent {
    /// The payload as `M`; a different event type or undecodable bytes are permanent errors.
    pub fn decode<M: prost::Message + prost::Name + Default>(&self) -> Result<M, HandlerError> {
        if self.envelope.event_type != M::full_name() {
            return Err(HandlerError::Permanent(format!(
                "expected {}, got {}",
                M::full_name(),
                self.envelope.event_type
            )));
        }
        M::decode(self.envelope.payload.as_slice()).map_err(|e| {
            HandlerError::Permanent(format!("cannot decode {}: {e}", self.envelope.event_type))
        })
    }

    pub fn is<M: prost::Name>(&self) -> bool {
        self.envelope.event_type == M::full_name()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event can never be applied (malformed, contradicts the model): dead-letter it.
    #[error("{0}")]
    Permanent(String),
    /// It may work later (database busy): retry.
    #[error("{0}")]
    Transient(String),
}

impl From<sqlx::Error> for HandlerError {
    fn from(err: sqlx::Error) -> Self {
        HandlerError::Transient(err.to_string())
    }
}

/// A consumer's effect. It runs inside the transaction that records the event id.
pub trait EventHandler: Send + Sync + 'static {
    /// Whether the event can have an effect here. One it cannot (another service's concern on
    /// a shared topic, a document issued outside a procedure) is passed over without a
    /// transaction; redelivered, it is passed over again.
    fn wants(&self, _event: &ReceivedEvent) -> bool {
        true
    }

    fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        event: &'a ReceivedEvent,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a;

    /// The effects of a batch's new events, in their order, in the one transaction that records
    /// them: by default each by [`Self::handle`]. A handler that hears events in numbers may
    /// write runs of them in fewer statements. A failure names the event at fault by its place
    /// in `events`; the batch is then undone and its events applied one at a time.
    fn handle_all<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        events: &'a [&'a ReceivedEvent],
    ) -> impl Future<Output = Result<(), (usize, HandlerError)>> + Send + 'a {
        async move {
            for (at, event) in events.iter().enumerate() {
                self.handle(conn, event).await.map_err(|e| (at, e))?;
            }
            Ok(())
        }
    }
}

#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// Consumer group, also the name under which processed event ids are recorded.
    pub group: String,
    pub topics: Vec<String>,
    pub dead_letter_topic: String,
    /// Attempts of a transiently failing event before it is dead-lettered.
    pub max_attempts: u32,
}

/// Why a consumer's session ended.
enum Ended {
    Shutdown,
    /// Stuck without partitions ([`crate::stall`]): a new session, as a new member.
    Rejoin,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    /// Already applied before: nothing done.
    Duplicate,
    /// Of no concern to this handler ([`EventHandler::wants`]): nothing done, nothing recorded.
    PassedOver,
    /// Sent to the dead-letter topic, with the reason.
    DeadLettered(String),
}

pub struct Consumer<H> {
    pool: PgPool,
    kafka: KafkaConfig,
    settings: ConsumerSettings,
    dead_letters: FutureProducer<crate::kafka::QuietContext>,
    handler: H,
}

/// Where a message came from.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    pub topic: &'a str,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<&'a [u8]>,
}

impl<H: EventHandler> Consumer<H> {
    pub fn new(
        pool: PgPool,
        kafka: &KafkaConfig,
        settings: ConsumerSettings,
        handler: H,
    ) -> Result<Self, EventsError> {
        let dead_letters = crate::kafka::idempotent_producer_config(kafka)
            .create_with_context(Default::default())?;
        // Shown at 0 from the start, so that an alert on their increase has series to watch.
        let group = nsk_metrics::GroupLabels {
            group: settings.group.clone(),
        };
        let metrics = nsk_metrics::metrics();
        metrics.dead_letters.get_or_create(&group).inc_by(0);
        metrics.consumer_rejoins.get_or_create(&group).inc_by(0);
        Ok(Self {
            pool,
            kafka: kafka.clone(),
            settings,
            dead_letters,
            handler,
        })
    }

    /// Consumes until `shutdown` is cancelled. If the broker cannot be reached at start, it
    /// keeps trying: a service must not lose its consumer because the broker came up late.
    pub async fn run(&self, shutdown: CancellationToken) {
        let mut wait = Duration::from_millis(500);
        loop {
            match self.consume(shutdown.clone()).await {
                Ok(Ended::Shutdown) => return,
                Ok(Ended::Rejoin) => {
                    wait = Duration::from_millis(500);
                    continue;
                }
                Err(err) => {
                    tracing::warn!(error = %err, group = %self.settings.group, retry_in_ms = wait.as_millis() as u64, "consumer cannot start; retrying");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(Duration::from_secs(10));
        }
    }

    async fn consume(&self, shutdown: CancellationToken) -> Result<Ended, EventsError> {
        let mut topics = self.settings.topics.clone();
        topics.push(self.settings.dead_letter_topic.clone());
        crate::kafka::ensure_topics(&self.kafka, &topics).await?;

        let consumer: StreamConsumer<crate::kafka::GroupContext> =
            crate::kafka::base_config(&self.kafka)
                .set("group.id", &self.settings.group)
                // Offsets are committed by hand, after the effect is in the database.
                .set("enable.auto.commit", "false")
                .set("auto.offset.reset", "earliest")
                .set("enable.partition.eof", "false")
                .set(
                    "session.timeout.ms",
                    self.kafka.session_timeout_ms.to_string(),
                )
                // The lag per partition, for the metrics.
                .set("statistics.interval.ms", "5000")
                // A broker that does not answer a fetch as soon as data arrives (Tansu) holds
                // it this long: the most an event waits for its consumer when all are idle.
                .set("fetch.wait.max.ms", self.kafka.fetch_wait_ms.to_string())
                // What a fetch brings and what waits in the client: a few batches of events
                // (700 bytes each), not librdkafka's default of up to 64 MiB read ahead, which
                // a rebalance throws away and a broker behind (Tansu reads each event's
                // headers with a query of its own) pays for again.
                .set("max.partition.fetch.bytes", "262144")
                .set("fetch.max.bytes", "1048576")
                .set("queued.max.messages.kbytes", "4096")
                .create_with_context(crate::kafka::GroupContext::new(&self.settings.group))?;
        let consumer = std::sync::Arc::new(consumer);
        let topic_refs: Vec<&str> = self.settings.topics.iter().map(String::as_str).collect();
        consumer.subscribe(&topic_refs)?;
        tracing::info!(group = %self.settings.group, topics = ?self.settings.topics, "consuming");
        let mut watch = crate::stall::StallWatch::default();
        let mut look = tokio::time::interval(crate::stall::LOOK_EVERY);
        look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

        loop {
            let message = tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = look.tick() => {
                    if let Some(stuck) = self.stalled(&consumer, &mut watch).await {
                        tracing::warn!(group = %self.settings.group, idle_s = crate::stall::STALL_AFTER.as_secs(), reason = stuck.reason(), "this consumer holds no partition; joining the group again, on new connections");
                        nsk_metrics::metrics()
                            .consumer_rejoins
                            .get_or_create(&nsk_metrics::GroupLabels { group: self.settings.group.clone() })
                            .inc();
                        return Ok(Ended::Rejoin);
                    }
                    continue;
                }
                received = consumer.recv() => received,
            };
            let message = match message {
                Ok(m) => m,
                Err(err) => {
                    tracing::warn!(error = %err, "kafka receive failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            // What else is already waiting joins it; nothing is waited for.
            let mut batch = vec![message];
            while batch.len() < MAX_BATCH {
                match consumer.recv().now_or_never() {
                    Some(Ok(m)) => batch.push(m),
                    Some(Err(err)) => {
                        tracing::warn!(error = %err, "kafka receive failed");
                        break;
                    }
                    None => break,
                }
            }
            // `apply_all` returns only once every event is applied, skipped or dead-lettered
            // (it retries the database and the dead-letter topic until shutdown), so committing
            // the offsets afterwards never loses an event.
            if !self.apply_all(&batch, &shutdown).await {
                break;
            }
            if let Err(err) = consumer.commit(&next_offsets(&batch), CommitMode::Async) {
                tracing::warn!(error = %err, "offset commit failed; the events may be redelivered and skipped");
            }
        }
        tracing::info!(group = %self.settings.group, "consumer stopped");
        Ok(Ended::Shutdown)
    }

    /// Whether, and why, this consumer holding no partition should join its group again
    /// ([`crate::stall`]).
    async fn stalled(
        &self,
        consumer: &std::sync::Arc<StreamConsumer<crate::kafka::GroupContext>>,
        watch: &mut crate::stall::StallWatch,
    ) -> Option<crate::stall::Stuck> {
        // Unknown (the client cannot say): counted as holding, so nothing is done.
        let holds = consumer.assignment().map(|a| a.count() > 0).unwrap_or(true);
        if !watch.wants_look(holds, std::time::Instant::now()) {
            return None;
        }
        // Blocking calls to the broker, off the runtime's threads.
        let consumer = consumer.clone();
        let topics = self.settings.topics.clone();
        let positions = tokio::task::spawn_blocking(move || {
            crate::stall::positions(consumer.as_ref(), &topics)
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        let positions = match positions {
            Ok(positions) => {
                let waiting: i64 = positions.iter().map(|p| (p.end - p.committed).max(0)).sum();
                // Debug: an extra instance beside a working group looks every time, for good.
                tracing::debug!(group = %self.settings.group, waiting, "this consumer holds no partition; its group's offsets looked at");
                Some(positions)
            }
            Err(reason) => {
                tracing::info!(group = %self.settings.group, %reason, "this consumer holds no partition, and its group's offsets cannot be read now");
                None
            }
        };
        watch.stuck(positions)
    }

    /// Applies a poll's messages, together if they all go through, else one at a time.
    /// `false` only when shutdown interrupted it.
    async fn apply_all(&self, batch: &[BorrowedMessage<'_>], shutdown: &CancellationToken) -> bool {
        if batch.len() > 1 {
            match self.apply_together(batch).await {
                Ok(()) => return true,
                Err(reason) => {
                    tracing::info!(%reason, events = batch.len(), "batch undone; applying its events one at a time");
                }
            }
        }
        for message in batch {
            let source = source_of(message);
            let span = span_of(message);
            let payload = message.payload().unwrap_or_default();
            if self
                .apply(payload, &source, shutdown)
                .instrument(span)
                .await
                .is_none()
            {
                return false;
            }
        }
        true
    }

    /// One transaction for the whole batch: the ids recorded in one statement, each new
    /// event's effect in order. Any failure undoes it all and says why.
    async fn apply_together(&self, batch: &[BorrowedMessage<'_>]) -> Result<(), String> {
        let mut events = Vec::with_capacity(batch.len());
        for message in batch {
            let envelope = EventEnvelope::decode(message.payload().unwrap_or_default())
                .map_err(|e| format!("not an event envelope: {e}"))?;
            let id = Uuid::parse_str(&envelope.event_id)
                .map_err(|_| format!("event_id {:?} is not a UUID", envelope.event_id))?;
            let event = ReceivedEvent {
                envelope,
                topic: message.topic().to_string(),
                partition: message.partition(),
                offset: message.offset(),
            };
            if self.handler.wants(&event) {
                events.push((id, event, message));
            }
        }
        let passed_over = batch.len() - events.len();
        if events.is_empty() {
            self.count(0, 0, passed_over);
            return Ok(());
        }
        let failed = |e: sqlx::Error| e.to_string();
        let mut tx = self.pool.begin().await.map_err(failed)?;
        let mut recorded: HashSet<Uuid> = sqlx::query_scalar(
            "INSERT INTO processed_events (consumer, event_id, event_type, topic, partition, \"offset\")
             SELECT $1, u.* FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::int[], $6::bigint[])
                 AS u (event_id, event_type, topic, partition, \"offset\")
              WHERE NOT EXISTS (SELECT 1 FROM processed_watermarks w
                                 WHERE w.consumer = $1 AND w.topic = u.topic
                                   AND w.partition = u.partition AND w.\"offset\" >= u.\"offset\")
             ON CONFLICT DO NOTHING RETURNING event_id",
        )
        .bind(&self.settings.group)
        .bind(events.iter().map(|(id, _, _)| *id).collect::<Vec<_>>())
        .bind(events.iter().map(|(_, e, _)| e.envelope.event_type.as_str()).collect::<Vec<_>>())
        .bind(events.iter().map(|(_, e, _)| e.topic.as_str()).collect::<Vec<_>>())
        .bind(events.iter().map(|(_, e, _)| e.partition).collect::<Vec<_>>())
        .bind(events.iter().map(|(_, e, _)| e.offset).collect::<Vec<_>>())
        .fetch_all(&mut *tx)
        .await
        .map_err(failed)?
        .into_iter()
        .collect();
        // Twice in one batch (published again after a relay's restart): the first applies.
        let new: Vec<(&ReceivedEvent, &BorrowedMessage<'_>)> = events
            .iter()
            .filter(|(id, _, _)| recorded.remove(id))
            .map(|(_, event, message)| (event, *message))
            .collect();
        let applied = new.len();
        let span = tracing::info_span!("consume", events = applied);
        for (_, message) in &new {
            link_trace(&span, message);
        }
        let heard: Vec<&ReceivedEvent> = new.iter().map(|(event, _)| *event).collect();
        self.handler
            .handle_all(&mut tx, &heard)
            .instrument(span)
            .await
            .map_err(|(at, e)| match heard.get(at) {
                Some(event) => format!(
                    "{} at offset {}: {e}",
                    event.envelope.event_type, event.offset
                ),
                None => e.to_string(),
            })?;
        tx.commit().await.map_err(failed)?;
        self.count(applied, events.len() - applied, passed_over);
        tracing::debug!(events = events.len(), "batch applied");
        Ok(())
    }

    fn count(&self, applied: usize, duplicates: usize, passed_over: usize) {
        for (outcome, n) in [
            ("applied", applied),
            ("duplicate", duplicates),
            ("passed_over", passed_over),
        ] {
            if n > 0 {
                nsk_metrics::metrics().consumed(&self.settings.group, outcome, n as u64);
            }
        }
    }

    /// Applies one raw message. `None` only when shutdown interrupted it (nothing committed).
    pub async fn apply(
        &self,
        raw: &[u8],
        source: &Source<'_>,
        shutdown: &CancellationToken,
    ) -> Option<Outcome> {
        let outcome = self.apply_one(raw, source, shutdown).await;
        if let Some(outcome) = &outcome {
            let name = match outcome {
                Outcome::Applied => "applied",
                Outcome::Duplicate => "duplicate",
                Outcome::PassedOver => "passed_over",
                Outcome::DeadLettered(_) => "dead_lettered",
            };
            nsk_metrics::metrics().consumed(&self.settings.group, name, 1);
        }
        outcome
    }

    async fn apply_one(
        &self,
        raw: &[u8],
        source: &Source<'_>,
        shutdown: &CancellationToken,
    ) -> Option<Outcome> {
        let envelope = match EventEnvelope::decode(raw) {
            Ok(e) => e,
            Err(err) => {
                let reason = format!("not an event envelope: {err}");
                return self.dead_letter(raw, source, &reason, shutdown).await;
            }
        };
        let Ok(event_id) = Uuid::parse_str(&envelope.event_id) else {
            let reason = format!("event_id {:?} is not a UUID", envelope.event_id);
            return self.dead_letter(raw, source, &reason, shutdown).await;
        };
        let event = ReceivedEvent {
            envelope,
            topic: source.topic.to_string(),
            partition: source.partition,
            offset: source.offset,
        };
        if !self.handler.wants(&event) {
            return Some(Outcome::PassedOver);
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.apply_once(event_id, &event).await {
                Ok(outcome) => {
                    tracing::debug!(event_type = %event.envelope.event_type, ?outcome, "event handled");
                    return Some(outcome);
                }
                Err(HandlerError::Permanent(reason)) => {
                    return self.dead_letter(raw, source, &reason, shutdown).await;
                }
                Err(HandlerError::Transient(reason)) if attempt >= self.settings.max_attempts => {
                    let reason = format!("gave up after {attempt} attempts: {reason}");
                    return self.dead_letter(raw, source, &reason, shutdown).await;
                }
                Err(HandlerError::Transient(reason)) => {
                    let wait = Duration::from_millis(100 * 2u64.pow(attempt.min(6)));
                    tracing::warn!(%reason, attempt, "event failed; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return None,
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    async fn apply_once(
        &self,
        event_id: Uuid,
        event: &ReceivedEvent,
    ) -> Result<Outcome, HandlerError> {
        let mut tx = self.pool.begin().await?;
        let recorded = sqlx::query(
            // Below the partition's watermark, its id was pruned: handled long ago.
            "INSERT INTO processed_events (consumer, event_id, event_type, topic, partition, \"offset\")
             SELECT $1, $2, $3, $4, $5, $6
              WHERE NOT EXISTS (SELECT 1 FROM processed_watermarks w
                                 WHERE w.consumer = $1 AND w.topic = $4 AND w.partition = $5
                                   AND w.\"offset\" >= $6)
             ON CONFLICT DO NOTHING",
        )
        .bind(&self.settings.group)
        .bind(event_id)
        .bind(&event.envelope.event_type)
        .bind(&event.topic)
        .bind(event.partition)
        .bind(event.offset)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded == 0 {
            return Ok(Outcome::Duplicate);
        }
        self.handler.handle(&mut tx, event).await?;
        tx.commit().await?;
        Ok(Outcome::Applied)
    }

    async fn dead_letter(
        &self,
        raw: &[u8],
        source: &Source<'_>,
        reason: &str,
        shutdown: &CancellationToken,
    ) -> Option<Outcome> {
        tracing::error!(topic = source.topic, partition = source.partition, offset = source.offset, %reason, "event dead-lettered");
        let now = chrono::Utc::now();
        let letter = DeadLetter {
            source_topic: source.topic.to_string(),
            source_partition: source.partition,
            source_offset: source.offset,
            consumer_group: self.settings.group.clone(),
            error: reason.to_string(),
            failed_at: Some(prost_types::Timestamp {
                seconds: now.timestamp(),
                nanos: 0,
            }),
            original: raw.to_vec(),
        }
        .encode_to_vec();
        let key = source.key.unwrap_or_default();
        let mut wait = Duration::from_millis(200);
        loop {
            let record = FutureRecord::to(&self.settings.dead_letter_topic)
                .key(key)
                .payload(&letter)
                .headers(OwnedHeaders::new().insert(Header {
                    key: "error",
                    value: Some(reason),
                }));
            // The producer waits for the broker as long as it takes: stop waiting at shutdown
            // (the offset is not committed; the event comes again).
            let sent = tokio::select! {
                _ = shutdown.cancelled() => return None,
                sent = self.dead_letters.send(record, Timeout::After(Duration::from_secs(30))) => sent,
            };
            match sent {
                Ok(_) => {
                    nsk_metrics::metrics()
                        .dead_letters
                        .get_or_create(&nsk_metrics::GroupLabels {
                            group: self.settings.group.clone(),
                        })
                        .inc();
                    return Some(Outcome::DeadLettered(reason.to_string()));
                }
                // The event must not vanish: keep trying rather than commit past it.
                Err((err, _)) => {
                    tracing::warn!(error = %err, "dead-letter publish failed; retrying")
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return None,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(Duration::from_secs(10));
        }
    }
}

fn source_of<'a>(message: &'a BorrowedMessage<'_>) -> Source<'a> {
    Source {
        topic: message.topic(),
        partition: message.partition(),
        offset: message.offset(),
        key: message.key(),
    }
}

/// A span for one message, continuing the trace of the request that published it.
fn span_of(message: &BorrowedMessage<'_>) -> tracing::Span {
    let span = tracing::info_span!(
        "consume",
        topic = message.topic(),
        partition = message.partition(),
        offset = message.offset()
    );
    let trace = trace_of(message);
    nsk_telemetry::set_parent(&span, |k| {
        trace
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    });
    span
}

/// Links `span`, a batch's, to the trace `message` came with.
fn link_trace(span: &tracing::Span, message: &BorrowedMessage<'_>) {
    let trace = trace_of(message);
    nsk_telemetry::add_link(span, |k| {
        trace
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    });
}

/// The trace context headers of `message`.
fn trace_of(message: &BorrowedMessage<'_>) -> Vec<(String, String)> {
    message
        .headers()
        .map(|headers| {
            headers
                .iter()
                .filter(|h| h.key == "traceparent" || h.key == "tracestate")
                .filter_map(|h| {
                    Some((
                        h.key.to_string(),
                        String::from_utf8(h.value?.to_vec()).ok()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The offsets to commit after a batch: past its last message in each partition.
fn next_offsets(batch: &[BorrowedMessage<'_>]) -> TopicPartitionList {
    let mut next = BTreeMap::new();
    for message in batch {
        let at = next
            .entry((message.topic(), message.partition()))
            .or_insert(message.offset() + 1);
        *at = (*at).max(message.offset() + 1);
    }
    let mut offsets = TopicPartitionList::with_capacity(next.len());
    for ((topic, partition), offset) in next {
        // Cannot fail: the offset is a plain one, the partition new to this list.
        let _ = offsets.add_partition_offset(topic, partition, Offset::Offset(offset));
    }
    offsets
}

//! The transactional outbox.

use nsk_config::KafkaConfig;
use nsk_proto::nsk::events::v1::EventEnvelope;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

/// The outbox row and its audit entry, in one statement.
static OUTBOX_AND_AUDIT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH {} SELECT seq FROM headed",
        Prepared::queries(None, "$10")
    )
});

/// The aggregate an event belongs to; `id` is the message key, so its events stay in order.
#[derive(Debug, Clone, Copy)]
pub struct Aggregate<'a> {
    pub kind: &'a str,
    pub id: &'a str,
    /// The aggregate's version after the change.
    pub version: i64,
}

/// Who caused the change: carried in the envelope for audit and tracing.
#[derive(Debug, Clone, Default)]
pub struct EventContext {
    pub actor: String,
    pub request_id: String,
}

/// Writes a service's events to its outbox table.
#[derive(Debug, Clone)]
pub struct Outbox {
    producer: String,
    topic: String,
}

impl Outbox {
    /// The outbox of `service`, publishing to `<prefix>nsk.<service>.v1`.
    pub fn new(service: &str, kafka: &KafkaConfig) -> Self {
        Self {
            producer: service.to_string(),
            topic: kafka.topic_of(service),
        }
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Appends an event of an aggregate that keeps no version of its own, numbering it: the
    /// aggregate's version becomes the count of its events so far (the row lock orders
    /// concurrent changes of one aggregate, as their transactions commit).
    pub async fn append_next<M: prost::Name>(
        &self,
        conn: &mut PgConnection,
        kind: &str,
        id: &str,
        context: &EventContext,
        payload: &M,
    ) -> Result<Uuid, sqlx::Error> {
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO aggregate_versions (kind, id, version) VALUES ($1, $2, 1)
             ON CONFLICT (kind, id) DO UPDATE SET version = aggregate_versions.version + 1
             RETURNING version",
        )
        .bind(kind)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        let aggregate = Aggregate { kind, id, version };
        self.append(conn, aggregate, context, payload).await
    }

    /// Appends an event in the caller's transaction; it is published only if that commits.
    /// Returns the event id.
    pub async fn append<M: prost::Name>(
        &self,
        conn: &mut PgConnection,
        aggregate: Aggregate<'_>,
        context: &EventContext,
        payload: &M,
    ) -> Result<Uuid, sqlx::Error> {
        // Every change announces itself here, so every change is audited here: who, what, on
        // which aggregate, by which request, in the same transaction — and in the same
        // statement as the outbox row, one round trip for both.
        let prepared = self.prepare(aggregate, context, payload);
        prepared
            .bind(sqlx::query(&OUTBOX_AND_AUDIT))
            .execute(&mut *conn)
            .await?;
        Ok(prepared.event_id)
    }

    /// An event for the caller to write in a statement of its own ([`Prepared::queries`]): for
    /// a change that is one statement whole — a document registered with its number, its
    /// event and its audit entry in one round trip.
    pub fn prepare<M: prost::Name>(
        &self,
        aggregate: Aggregate<'_>,
        context: &EventContext,
        payload: &M,
    ) -> Prepared<'_> {
        let event_id = Uuid::now_v7();
        let trace = nsk_telemetry::current_context();
        let envelope = self.envelope(
            event_id,
            &aggregate,
            context,
            payload,
            chrono::Utc::now(),
            &trace,
        );
        Prepared {
            event_id,
            topic: &self.topic,
            message_key: aggregate.id.to_string(),
            action: envelope.event_type.clone(),
            envelope: envelope.encode_to_vec(),
            traceparent: trace.get("traceparent").cloned(),
            tracestate: trace.get("tracestate").cloned(),
            actor: context.actor.clone(),
            subject: format!("{}/{}", aggregate.kind, aggregate.id),
            detail: format!(
                "request {}, version {}",
                context.request_id, aggregate.version
            ),
        }
    }

    /// The envelope of one event, as both appends write it.
    fn envelope<M: prost::Name>(
        &self,
        event_id: Uuid,
        aggregate: &Aggregate<'_>,
        context: &EventContext,
        payload: &M,
        now: chrono::DateTime<chrono::Utc>,
        trace: &std::collections::HashMap<String, String>,
    ) -> EventEnvelope {
        EventEnvelope {
            event_id: event_id.to_string(),
            event_type: M::full_name(),
            aggregate_type: aggregate.kind.to_string(),
            aggregate_id: aggregate.id.to_string(),
            aggregate_version: aggregate.version,
            occurred_at: Some(prost_types::Timestamp {
                seconds: now.timestamp(),
                nanos: now.timestamp_subsec_nanos() as i32,
            }),
            producer: self.producer.clone(),
            traceparent: trace.get("traceparent").cloned().unwrap_or_default(),
            tracestate: trace.get("tracestate").cloned().unwrap_or_default(),
            actor: context.actor.clone(),
            request_id: context.request_id.clone(),
            payload: payload.encode_to_vec(),
        }
    }

    /// Appends one event for each `(aggregate, payload)` in the caller's transaction, in that
    /// order: one statement for the outbox and one audit entry each, chained at once, whatever
    /// their number (a revocation cancelling 10,000 documents). Returns the event ids.
    pub async fn append_all<M: prost::Name>(
        &self,
        conn: &mut PgConnection,
        events: &[(Aggregate<'_>, M)],
        context: &EventContext,
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let trace = nsk_telemetry::current_context();
        let now = chrono::Utc::now();
        let traceparent = trace.get("traceparent").cloned();
        let tracestate = trace.get("tracestate").cloned();
        let mut ids = Vec::with_capacity(events.len());
        let mut keys = Vec::with_capacity(events.len());
        let mut envelopes = Vec::with_capacity(events.len());
        let mut subjects = Vec::with_capacity(events.len());
        let mut details = Vec::with_capacity(events.len());
        for (aggregate, payload) in events {
            let event_id = Uuid::now_v7();
            let envelope = self.envelope(event_id, aggregate, context, payload, now, &trace);
            ids.push(event_id);
            keys.push(aggregate.id.to_string());
            envelopes.push(envelope.encode_to_vec());
            subjects.push(format!("{}/{}", aggregate.kind, aggregate.id));
            details.push(format!(
                "request {}, version {}",
                context.request_id, aggregate.version
            ));
        }
        let event_type = M::full_name();
        sqlx::query(
            "INSERT INTO outbox (event_id, topic, message_key, event_type, envelope, traceparent, tracestate)
             SELECT u.id, $2, u.key, $3, u.envelope, $6, $7
               FROM UNNEST($1::uuid[], $4::text[], $5::bytea[]) WITH ORDINALITY AS u (id, key, envelope, n)
              ORDER BY u.n",
        )
        .bind(&ids)
        .bind(&self.topic)
        .bind(&event_type)
        .bind(&keys)
        .bind(&envelopes)
        .bind(traceparent)
        .bind(tracestate)
        .execute(&mut *conn)
        .await?;
        let entries: Vec<nsk_db::audit::Entry<'_>> = subjects
            .iter()
            .zip(&details)
            .map(|(subject, detail)| nsk_db::audit::Entry {
                actor: &context.actor,
                action: &event_type,
                subject,
                detail,
            })
            .collect();
        nsk_db::audit::append_all(conn, &entries).await?;
        Ok(ids)
    }
}

/// An event [`Outbox::prepare`]d for a caller's own statement: its outbox row and its audit
/// entry, written by [`Prepared::queries`] with the parameters [`Prepared::bind`] binds.
#[derive(Debug, Clone)]
pub struct Prepared<'a> {
    pub event_id: Uuid,
    topic: &'a str,
    message_key: String,
    /// The envelope as encoded; the caller's statement may write it changed (see
    /// [`Prepared::queries`]), never in length.
    pub envelope: Vec<u8>,
    traceparent: Option<String>,
    tracestate: Option<String>,
    actor: String,
    action: String,
    subject: String,
    detail: String,
}

impl Prepared<'_> {
    /// The `WITH` queries that write the event — the outbox row (`outboxed`) and its audit
    /// entry (`audit_at`, `head`, `headed`) — with `$1`-`$12` (the caller's own
    /// parameters start at `$13`). With a `gate` (a query of the caller's statement, before
    /// these), for each row it yields, which is one or none: a change that did not happen
    /// announces nothing. `envelope` is the SQL of the envelope written, `$10` as prepared or
    /// an expression of it and of `gate`'s columns. The last of the `WITH` list: the
    /// statement's main query follows (`headed` yields the entry's number, `seq`).
    pub fn queries(gate: Option<&str>, envelope: &str) -> String {
        let from = gate.map(|g| format!("FROM {g}")).unwrap_or_default();
        format!(
            "outboxed AS (
                 INSERT INTO outbox (event_id, topic, message_key, event_type, envelope, traceparent, tracestate)
                 SELECT $6, $7, $8, $9, {envelope}, $11, $12 {from}),
             {}",
            nsk_db::audit::entry_queries(gate)
        )
    }

    /// Binds `$1`-`$12` of [`Prepared::queries`], in order.
    pub fn bind<'q>(
        &'q self,
        query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        query
            .bind(&self.actor)
            .bind(&self.action)
            .bind(&self.subject)
            .bind(&self.detail)
            .bind(nsk_db::audit::LANES)
            .bind(self.event_id)
            .bind(self.topic)
            .bind(&self.message_key)
            .bind(&self.action)
            .bind(&self.envelope)
            .bind(self.traceparent.as_deref())
            .bind(self.tracestate.as_deref())
    }
}

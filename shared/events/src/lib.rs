//! Events between NSK services: the transactional outbox, the relay, the idempotent consumer.
//!
//! - [`outbox`] — [`Outbox::append`] writes an event in the caller's transaction, so a state
//!   change and its event commit together or not at all.
//! - [`relay`] — [`Relay`] publishes the outbox to Kafka in order with an idempotent producer
//!   and records how far the broker acknowledged (the events stay where they were written);
//!   one relay publishes at a time per database (advisory lock).
//! - [`consumer`] — [`Consumer`] applies each event once: the event id is recorded in the
//!   consumer's database in the same transaction as the effect, and the offset is committed
//!   after. An event that cannot be applied goes to the dead-letter topic with the error.
//! - [`kafka`] — client settings and topic creation, the same for Tansu and Apache Kafka.
//! - [`dead_letters`] — an operator's view of a dead-letter topic, and replay of a letter's
//!   event to its topic (the `nsk-dead-letters` command).
//! - [`housekeeping`] — published events and old applied ids pruned on a schedule, the latter
//!   kept as per-partition watermarks so that deduplication stays whole.
//! - [`heard`] — what the services hear of centers' certificates and the register of
//!   professions, decoded once for every read model.
//!
//! Topics: one per producing service, `<prefix>nsk.<service>.v1`, keyed by aggregate id; the
//! value is an [`EventEnvelope`](nsk_proto::nsk::events::v1::EventEnvelope).

pub mod consumer;
pub mod dead_letters;
pub mod heard;
pub mod housekeeping;
pub mod kafka;
pub mod outbox;
pub mod relay;
pub mod stall;

pub use consumer::{
    Consumer, ConsumerSettings, EventHandler, HandlerError, Outcome, ReceivedEvent,
};
pub use outbox::{Aggregate, EventContext, Outbox, Prepared};
pub use relay::Relay;

/// The migrations of the outbox and processed-events tables; every service runs them first.
pub fn migrator() -> sqlx::migrate::Migrator {
    nsk_db::migrator!()
}

#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error("kafka: {0}")]
    Kafka(#[from] rdkafka::error::KafkaError),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot create topic {topic}: {cause}")]
    CreateTopic { topic: String, cause: String },
}

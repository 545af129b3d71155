//! The dead-letter topics for an operator: what failed, why, and the event put back on its
//! topic once the cause is fixed (the `nsk-dead-letters` command).
//!
//! A replayed event is the original message, republished as it was (same key, same envelope,
//! same event id) to the topic it came from: the consumer group that failed it applies it
//! then; the groups that had applied it already skip it by its id.

use std::time::Duration;

use nsk_config::KafkaConfig;
use nsk_proto::nsk::events::v1::{DeadLetter, EventEnvelope};
use prost::Message as _;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Message as _, Offset, TopicPartitionList};

use crate::EventsError;

/// One dead letter as an operator reads it.
#[derive(Debug, Clone)]
pub struct Letter {
    /// Its offset in the dead-letter topic: what `replay` names.
    pub offset: i64,
    pub key: Vec<u8>,
    pub letter: DeadLetter,
    /// The failed event's envelope, when it was one.
    pub envelope: Option<EventEnvelope>,
}

/// Every letter of `topic` (one partition), oldest first; waits at most `within` for the
/// broker's answers.
pub fn list(
    kafka: &KafkaConfig,
    topic: &str,
    within: Duration,
) -> Result<Vec<Letter>, EventsError> {
    let consumer: BaseConsumer<crate::kafka::QuietContext> = crate::kafka::base_config(kafka)
        .set("group.id", "nsk-dead-letters-reader")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create_with_context(Default::default())?;
    let (low, high) = consumer.fetch_watermarks(topic, 0, within)?;
    if high <= low {
        return Ok(Vec::new());
    }
    let mut partitions = TopicPartitionList::new();
    partitions.add_partition_offset(topic, 0, Offset::Offset(low))?;
    consumer.assign(&partitions)?;
    let mut letters = Vec::new();
    let deadline = std::time::Instant::now() + within;
    while letters.last().is_none_or(|l: &Letter| l.offset + 1 < high) {
        if std::time::Instant::now() > deadline {
            break;
        }
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = match message {
            Ok(m) => m,
            Err(rdkafka::error::KafkaError::PartitionEOF(_)) => break,
            Err(err) => return Err(err.into()),
        };
        let payload = message.payload().unwrap_or_default();
        let Ok(letter) = DeadLetter::decode(payload) else {
            continue;
        };
        let envelope = EventEnvelope::decode(letter.original.as_slice()).ok();
        letters.push(Letter {
            offset: message.offset(),
            key: message.key().unwrap_or_default().to_vec(),
            letter,
            envelope,
        });
    }
    Ok(letters)
}

/// Puts the event of letter `offset` of `topic` back on the topic it came from; returns the
/// letter replayed, or `None` when there is no such letter.
pub async fn replay(
    kafka: &KafkaConfig,
    topic: &str,
    offset: i64,
) -> Result<Option<Letter>, EventsError> {
    let letters = list(kafka, topic, Duration::from_secs(10))?;
    let Some(letter) = letters.into_iter().find(|l| l.offset == offset) else {
        return Ok(None);
    };
    let producer: FutureProducer<crate::kafka::QuietContext> =
        crate::kafka::idempotent_producer_config(kafka)
            // An operator's command: it says within 30 s that the broker did not take it.
            .set("message.timeout.ms", "30000")
            .create_with_context(Default::default())?;
    producer
        .send(
            FutureRecord::to(&letter.letter.source_topic)
                .key(&letter.key)
                .payload(&letter.letter.original),
            Duration::from_secs(30),
        )
        .await
        .map_err(|(err, _)| EventsError::Kafka(err))?;
    Ok(Some(letter))
}

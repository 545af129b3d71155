//! Kafka client settings and topic creation. Nothing here depends on which broker answers.

use std::time::Duration;

use nsk_config::KafkaConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::types::RDKafkaErrorCode;

use crate::EventsError;

/// Settings every client shares.
pub fn base_config(kafka: &KafkaConfig) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &kafka.brokers)
        // Kafka-API brokers other than Apache Kafka may not answer every API version probe;
        // librdkafka falls back to the configured version instead of failing.
        .set("api.version.fallback.ms", "0")
        .set("socket.keepalive.enable", "true")
        .set("log_level", "4");
    cfg
}

/// A producer that writes each message exactly once and in order per partition, even when it
/// retries: idempotence with `acks=all`.
pub fn idempotent_producer_config(kafka: &KafkaConfig) -> ClientConfig {
    let mut cfg = base_config(kafka);
    cfg.set("enable.idempotence", "true")
        .set("acks", "all")
        .set("message.timeout.ms", "30000")
        .set("linger.ms", "5")
        .set("compression.type", "none");
    cfg
}

/// Creates `topics` if they do not exist yet. Production clusters usually forbid automatic
/// topic creation, so services create what they publish to and read from at start.
pub async fn ensure_topics(kafka: &KafkaConfig, topics: &[String]) -> Result<(), EventsError> {
    let admin: AdminClient<DefaultClientContext> = base_config(kafka).create()?;
    let new_topics: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| {
            NewTopic::new(
                t,
                kafka.partitions,
                TopicReplication::Fixed(kafka.replication),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin.create_topics(&new_topics, &options).await?;
    for result in results {
        match result {
            Ok(topic) => tracing::info!(%topic, "created topic"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(EventsError::CreateTopic {
                    topic,
                    cause: code.to_string(),
                })
            }
        }
    }
    Ok(())
}

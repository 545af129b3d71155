//! Kafka client settings and topic creation. Nothing here depends on which broker answers.

use std::time::Duration;

use nsk_config::KafkaConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use crate::EventsError;

/// The context of every client: librdkafka reports the same connection error many times a
/// second while a broker is down; this logs the first, then at most one summary every 30 s.
#[derive(Default)]
pub struct QuietContext {
    last: std::sync::Mutex<Option<(std::time::Instant, u64)>>,
}

const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(30);

impl ClientContext for QuietContext {
    fn error(&self, error: KafkaError, reason: &str) {
        let Ok(mut last) = self.last.lock() else {
            return;
        };
        let now = std::time::Instant::now();
        match *last {
            Some((at, suppressed)) if now.duration_since(at) < ERROR_LOG_INTERVAL => {
                *last = Some((at, suppressed + 1));
            }
            Some((_, suppressed)) => {
                tracing::warn!(error = %error, %reason, repeated = suppressed, "kafka client error (still failing)");
                *last = Some((now, 0));
            }
            None => {
                tracing::warn!(error = %error, %reason, "kafka client error; retrying");
                *last = Some((now, 0));
            }
        }
    }
}

impl ConsumerContext for QuietContext {}

/// A consumer's context: quiet like [`QuietContext`], and it turns the client's statistics
/// (every `statistics.interval.ms`) into `nsk_consumer_lag{group,topic,partition}`.
pub struct GroupContext {
    quiet: QuietContext,
    group: String,
}

impl GroupContext {
    pub fn new(group: &str) -> Self {
        Self {
            quiet: QuietContext::default(),
            group: group.to_string(),
        }
    }
}

impl ClientContext for GroupContext {
    fn error(&self, error: KafkaError, reason: &str) {
        self.quiet.error(error, reason);
    }

    fn stats(&self, statistics: rdkafka::Statistics) {
        let lag = &nsk_metrics::metrics().consumer_lag;
        for (topic, t) in &statistics.topics {
            // Partition -1 is the client's own queue, not a partition; a lag of -1 is unknown
            // (nothing committed or fetched yet).
            for (partition, p) in t.partitions.iter().filter(|(p, _)| **p >= 0) {
                if p.consumer_lag >= 0 {
                    lag.get_or_create(&nsk_metrics::PartitionLabels {
                        group: self.group.clone(),
                        topic: topic.clone(),
                        partition: partition.to_string(),
                    })
                    .set(p.consumer_lag);
                }
            }
        }
    }
}

/// Partitions given to and taken from this consumer, in the log: when a group stalls, the
/// operator sees when it last moved and what it held.
impl ConsumerContext for GroupContext {
    fn post_rebalance(
        &self,
        _consumer: &rdkafka::consumer::BaseConsumer<Self>,
        rebalance: &rdkafka::consumer::Rebalance<'_>,
    ) {
        let list = |tpl: &rdkafka::TopicPartitionList| {
            tpl.elements()
                .iter()
                .map(|e| format!("{}/{}", e.topic(), e.partition()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match rebalance {
            rdkafka::consumer::Rebalance::Assign(tpl) => {
                tracing::info!(group = %self.group, partitions = %list(tpl), "partitions assigned");
            }
            rdkafka::consumer::Rebalance::Revoke(tpl) => {
                tracing::info!(group = %self.group, partitions = %list(tpl), "partitions revoked");
            }
            rdkafka::consumer::Rebalance::Error(err) => {
                tracing::warn!(group = %self.group, error = %err, "rebalance failed");
            }
        }
    }
}

/// Settings every client shares.
pub fn base_config(kafka: &KafkaConfig) -> ClientConfig {
    let mut cfg = ClientConfig::new();
    cfg.set("bootstrap.servers", &kafka.brokers)
        .set("socket.keepalive.enable", "true")
        .set("log_level", "4");
    cfg
}

/// A producer that writes each message exactly once and in order per partition, even when it
/// retries: idempotence with `acks=all`. A message waits for the broker as long as it takes
/// (`message.timeout.ms` 0): one that timed out on the way would make the producer start a
/// new epoch (KIP-360), which not every broker can (the local one cannot), and the outbox
/// keeps the events meanwhile anyway. Whoever waits for a delivery stops waiting at shutdown.
pub fn idempotent_producer_config(kafka: &KafkaConfig) -> ClientConfig {
    let mut cfg = base_config(kafka);
    cfg.set("enable.idempotence", "true")
        .set("acks", "all")
        .set("message.timeout.ms", "0")
        .set("linger.ms", "5")
        .set("compression.type", "none");
    cfg
}

/// Creates `topics` if they do not exist yet. Production clusters usually forbid automatic
/// topic creation, so services create what they publish to and read from at start.
pub async fn ensure_topics(kafka: &KafkaConfig, topics: &[String]) -> Result<(), EventsError> {
    let admin: AdminClient<QuietContext> =
        base_config(kafka).create_with_context(QuietContext::default())?;
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
    let options = AdminOptions::new()
        .operation_timeout(Some(Duration::from_secs(10)))
        .request_timeout(Some(Duration::from_secs(15)));
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

//! The outbox, the relay and the idempotent consumer against the real PostgreSQL and broker.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::sync::Arc;
use std::time::{Duration, Instant};

use nsk_config::KafkaConfig;
use nsk_events::consumer::Source;
use nsk_events::{
    Aggregate, Consumer, ConsumerSettings, EventContext, EventHandler, HandlerError, Outbox,
    Outcome, ReceivedEvent, Relay,
};
use nsk_proto::nsk::common::v1::BasisDocument;
use nsk_proto::nsk::events::v1::{DeadLetter, EventEnvelope};
use prost::Message as _;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Message as _;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

fn kafka(prefix: &str) -> KafkaConfig {
    let env = nsk_config::Env::from_pairs([
        ("KAFKA_BROKERS", nsk_runtime::testing::kafka_brokers()),
        ("NSK_TOPIC_PREFIX", prefix.to_string()),
        ("NSK_PROFILE", "development".to_string()),
        (
            "NSK_JWT_PUBLIC_KEY_FILE",
            nsk_runtime::testing::workspace_root()
                .join("deploy/dev-keys/dev-jwt.pub.pem")
                .display()
                .to_string(),
        ),
        (
            "NSK_GATEWAY_PUBLIC_KEY_FILE",
            nsk_runtime::testing::workspace_root()
                .join("deploy/dev-keys/dev-gateway.pub.pem")
                .display()
                .to_string(),
        ),
    ]);
    nsk_config::ServiceConfig::load("professions", &env)
        .unwrap()
        .kafka
}

async fn database(label: &str) -> PgPool {
    let db = nsk_db::testing::fresh_database(label).await.unwrap();
    let pool = nsk_db::connect(&db, &[nsk_events::migrator(), nsk_db::requests::migrator()])
        .await
        .unwrap();
    sqlx::query("CREATE TABLE effects (id bigserial PRIMARY KEY, note text NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    pool
}

fn reader(kafka: &KafkaConfig, topic: &str) -> StreamConsumer {
    let consumer: StreamConsumer = nsk_events::kafka::base_config(kafka)
        .set("group.id", format!("{topic}.reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    consumer
}

async fn next_value(consumer: &StreamConsumer) -> Vec<u8> {
    let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
        .await
        .expect("a message within 30 s")
        .unwrap();
    message.payload().unwrap_or_default().to_vec()
}

fn basis(number: &str) -> BasisDocument {
    BasisDocument {
        number: number.into(),
        date: "2026-11-20".into(),
        title: "test".into(),
    }
}

/// A database and a broker prefix of their own, the professions' outbox on them with its topic,
/// and an official's context.
async fn professions_outbox(label: &str) -> (KafkaConfig, PgPool, Outbox, EventContext) {
    let kafka = kafka(&nsk_runtime::testing::unique_prefix(label));
    let pool = database(label).await;
    let outbox = Outbox::new("professions", &kafka);
    nsk_events::kafka::ensure_topics(&kafka, &[outbox.topic().to_string()])
        .await
        .unwrap();
    let context = EventContext {
        actor: "admin-1".into(),
        request_id: "r-1".into(),
    };
    (kafka, pool, outbox, context)
}

#[tokio::test]
async fn a_committed_change_is_published_and_a_rolled_back_one_is_not() {
    let (kafka, pool, outbox, context) = professions_outbox("outbox").await;

    let mut tx = pool.begin().await.unwrap();
    outbox
        .append(
            &mut tx,
            Aggregate {
                kind: "thing",
                id: "rolled-back",
                version: 1,
            },
            &context,
            &basis("1"),
        )
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    outbox
        .append(
            &mut tx,
            Aggregate {
                kind: "thing",
                id: "committed",
                version: 1,
            },
            &context,
            &basis("2"),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let relay = Relay::new(pool.clone(), &kafka, Duration::from_millis(20)).unwrap();
    assert_eq!(relay.publish_batch().await.unwrap(), 1);
    assert_eq!(
        relay.publish_batch().await.unwrap(),
        0,
        "a published event is not sent again"
    );

    let envelope =
        EventEnvelope::decode(next_value(&reader(&kafka, outbox.topic())).await.as_slice())
            .unwrap();
    assert_eq!(envelope.aggregate_id, "committed");
    assert_eq!(envelope.event_type, "nsk.common.v1.BasisDocument");
    assert_eq!(envelope.producer, "professions");
    assert_eq!(envelope.actor, "admin-1");
    assert_eq!(
        BasisDocument::decode(envelope.payload.as_slice())
            .unwrap()
            .number,
        "2"
    );
    let unsent: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox_waiting")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(unsent, 0);
    // What left is kept whole, recorded sent: the envelope the consumer read.
    let (key, published, kept): (String, bool, Vec<u8>) =
        sqlx::query_as("SELECT message_key, sent, envelope FROM outbox_events")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((key.as_str(), published), ("committed", true));
    assert_eq!(
        EventEnvelope::decode(kept.as_slice()).unwrap().aggregate_id,
        "committed"
    );
}

async fn append_thing(
    outbox: &Outbox,
    tx: &mut sqlx::PgConnection,
    context: &EventContext,
    id: &str,
) {
    let aggregate = Aggregate {
        kind: "thing",
        id,
        version: 1,
    };
    outbox
        .append(tx, aggregate, context, &basis(id))
        .await
        .unwrap();
}

#[tokio::test]
async fn an_event_committed_after_later_numbered_ones_were_sent_is_sent_too() {
    let (kafka, pool, outbox, context) = professions_outbox("late").await;
    // The late transaction takes its number first and commits last.
    let mut late = pool.begin().await.unwrap();
    append_thing(&outbox, &mut late, &context, "late").await;
    let mut early = pool.begin().await.unwrap();
    append_thing(&outbox, &mut early, &context, "early").await;
    early.commit().await.unwrap();
    let numbers: Vec<(String, i64)> =
        sqlx::query_as("SELECT message_key, seq FROM outbox ORDER BY seq")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(numbers.len(), 1, "the late event is not committed yet");

    let relay = Relay::new(pool.clone(), &kafka, Duration::from_millis(20)).unwrap();
    assert_eq!(relay.publish_batch().await.unwrap(), 1, "the early event");
    late.commit().await.unwrap();
    let numbers: Vec<String> =
        sqlx::query_scalar("SELECT message_key FROM outbox_waiting ORDER BY seq")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        numbers,
        ["late"],
        "numbered below the one sent, and waiting"
    );
    assert_eq!(relay.publish_batch().await.unwrap(), 1, "the late event");
    assert_eq!(relay.publish_batch().await.unwrap(), 0, "nothing twice");

    let reader = reader(&kafka, outbox.topic());
    let mut seen = Vec::new();
    for _ in 0..2 {
        let envelope = EventEnvelope::decode(next_value(&reader).await.as_slice()).unwrap();
        seen.push(envelope.aggregate_id);
    }
    seen.sort();
    assert_eq!(seen, ["early", "late"]);
    let (first, second): (i64, i64) = sqlx::query_as(
        "SELECT min(seq) FILTER (WHERE message_key = 'late'),
                min(seq) FILTER (WHERE message_key = 'early')
           FROM outbox_events WHERE sent",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(first < second, "the late event was numbered first");
}

#[tokio::test]
async fn two_running_relays_publish_a_backlog_of_batches_once_each_in_order_per_key() {
    let prefix = nsk_runtime::testing::unique_prefix("relays");
    let kafka = kafka(&prefix);
    let pool = database("relays").await;
    let outbox = Outbox::new("professions", &kafka);
    nsk_events::kafka::ensure_topics(&kafka, &[outbox.topic().to_string()])
        .await
        .unwrap();
    // 12,345 events of 7 aggregates: more than two batches of 5,000, the last one short.
    const EVENTS: i64 = 12_345;
    sqlx::query(
        "INSERT INTO outbox (event_id, topic, message_key, event_type, envelope)
         SELECT gen_random_uuid(), $1, 'thing-' || (n % 7), 'nsk.test.v1.Counted',
                convert_to(n::text, 'UTF8')
           FROM generate_series(1, $2) AS n",
    )
    .bind(outbox.topic())
    .bind(EVENTS)
    .execute(&pool)
    .await
    .unwrap();
    // Two instances of the service, each with its relay running, on pools of their own.
    let stop = CancellationToken::new();
    let mut relays = Vec::new();
    for _ in 0..2 {
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(3)
            .connect_with((*pool.connect_options()).clone())
            .await
            .unwrap();
        let relay = Relay::new(own, &kafka, Duration::from_millis(20)).unwrap();
        relays.push(tokio::spawn(relay.run(stop.clone())));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let unsent: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox_waiting")
            .fetch_one(&pool)
            .await
            .unwrap();
        if unsent == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{unsent} events left unsent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A late one, after the relays have caught up, goes too.
    sqlx::query(
        "INSERT INTO outbox (event_id, topic, message_key, event_type, envelope)
         VALUES (gen_random_uuid(), $1, 'thing-0', 'nsk.test.v1.Counted', convert_to($2::text, 'UTF8'))",
    )
    .bind(outbox.topic())
    .bind(EVENTS + 1)
    .execute(&pool)
    .await
    .unwrap();
    let consumer = reader(&kafka, outbox.topic());
    let mut last: std::collections::HashMap<Vec<u8>, i64> = Default::default();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..=EVENTS {
        let message = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .expect("every event within 30 s")
            .unwrap();
        let n: i64 = std::str::from_utf8(message.payload().unwrap())
            .unwrap()
            .parse()
            .unwrap();
        assert!(seen.insert(n), "event {n} published twice");
        let key = message.key().unwrap().to_vec();
        let before = last.insert(key.clone(), n).unwrap_or(0);
        assert!(
            n > before,
            "{}: event {n} after {before}",
            String::from_utf8_lossy(&key)
        );
    }
    assert_eq!(seen.len() as i64, EVENTS + 1);
    // Nothing more: no event came twice.
    assert!(
        tokio::time::timeout(Duration::from_secs(2), consumer.recv())
            .await
            .is_err(),
        "a message beyond the events written"
    );
    stop.cancel();
    for relay in relays {
        relay.await.unwrap();
    }
}

/// An effect that is not idempotent by itself: every call adds a row.
struct AddRow;

impl EventHandler for AddRow {
    fn wants(&self, event: &ReceivedEvent) -> bool {
        event
            .decode::<BasisDocument>()
            .map_or(true, |d| d.number != "not ours")
    }

    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let document: BasisDocument = event.decode()?;
        if document.number == "poison" {
            return Err(HandlerError::Permanent(
                "this document can never be applied".into(),
            ));
        }
        sqlx::query("INSERT INTO effects (note) VALUES ($1)")
            .bind(&document.number)
            .execute(conn)
            .await?;
        Ok(())
    }
}

fn envelope(number: &str) -> Vec<u8> {
    envelope_with_id(number, uuid::Uuid::now_v7())
}

fn envelope_with_id(number: &str, id: uuid::Uuid) -> Vec<u8> {
    EventEnvelope {
        event_id: id.to_string(),
        event_type: "nsk.common.v1.BasisDocument".into(),
        aggregate_type: "thing".into(),
        aggregate_id: "a".into(),
        aggregate_version: 1,
        producer: "test".into(),
        payload: basis(number).encode_to_vec(),
        ..Default::default()
    }
    .encode_to_vec()
}

fn settings(kafka: &KafkaConfig) -> ConsumerSettings {
    ConsumerSettings {
        group: format!("{}group", kafka.topic_prefix),
        topics: vec![kafka.topic_of("professions")],
        dead_letter_topic: kafka.dead_letter_topic_of("documents"),
        max_attempts: 3,
    }
}

async fn effects(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT note FROM effects ORDER BY id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_redelivered_event_is_applied_once() {
    let kafka = kafka(&nsk_runtime::testing::unique_prefix("dedupe"));
    let pool = database("dedupe").await;
    let consumer = Consumer::new(pool.clone(), &kafka, settings(&kafka), AddRow).unwrap();
    let raw = envelope("7");
    let source = Source {
        topic: "t",
        partition: 0,
        offset: 1,
        key: None,
    };
    let shutdown = CancellationToken::new();
    assert_eq!(
        consumer.apply(&raw, &source, &shutdown).await,
        Some(Outcome::Applied)
    );
    assert_eq!(
        consumer.apply(&raw, &source, &shutdown).await,
        Some(Outcome::Duplicate)
    );
    assert_eq!(effects(&pool).await, ["7"]);
}

#[tokio::test]
async fn events_that_cannot_be_applied_go_to_the_dead_letter_topic_and_the_partition_moves_on() {
    let kafka = kafka(&nsk_runtime::testing::unique_prefix("dlq"));
    let pool = database("dlq").await;
    let settings = settings(&kafka);
    create_topics(&kafka, &settings).await;
    let running = consuming(&pool, &kafka, &settings, AddRow);

    // One key, so all three share a partition and arrive in this order.
    produce(
        &kafka,
        &settings.topics[0],
        &[
            b"not protobuf at all".to_vec(),
            envelope("poison"),
            envelope("after"),
        ],
    )
    .await;

    let deadline = Instant::now() + Duration::from_secs(60);
    while effects(&pool).await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the event after two bad ones was never applied"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(effects(&pool).await, ["after"]);

    let letters = reader(&kafka, &settings.dead_letter_topic);
    let first = DeadLetter::decode(next_value(&letters).await.as_slice()).unwrap();
    let second = DeadLetter::decode(next_value(&letters).await.as_slice()).unwrap();
    assert!(
        first.error.contains("not an event envelope"),
        "{}",
        first.error
    );
    assert_eq!(first.original, b"not protobuf at all");
    assert_eq!(first.consumer_group, settings.group);
    assert!(
        second.error.contains("can never be applied"),
        "{}",
        second.error
    );

    running.stop().await;
}

/// Sends `values` in this order to one partition (one key).
async fn produce(kafka: &KafkaConfig, topic: &str, values: &[Vec<u8>]) {
    let producer: FutureProducer = nsk_events::kafka::idempotent_producer_config(kafka)
        .create()
        .unwrap();
    let sends = values.iter().map(|value| {
        producer.send(
            FutureRecord::to(topic).key("a").payload(value),
            Duration::from_secs(10),
        )
    });
    for sent in futures::future::join_all(sends).await {
        sent.unwrap();
    }
}

async fn wait_for_effects(pool: &PgPool, count: usize, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while effects(pool).await.len() < count {
        assert!(
            Instant::now() < deadline,
            "{what}: {} of {count} applied",
            effects(pool).await.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn events_waiting_together_are_applied_in_few_transactions_in_order_and_once() {
    let kafka = kafka(&nsk_runtime::testing::unique_prefix("batch"));
    let pool = database("batch").await;
    let settings = settings(&kafka);
    create_topics(&kafka, &settings).await;
    // 300 events wait before the consumer starts; one of them is published twice (a relay
    // restarted between publishing and marking), and one is of no concern to this handler.
    let twice = uuid::Uuid::now_v7();
    let mut values: Vec<Vec<u8>> = (0..300)
        .map(|n| match n {
            40 => envelope_with_id("40", twice),
            120 => envelope("not ours"),
            n => envelope(&n.to_string()),
        })
        .collect();
    values.insert(41, envelope_with_id("40", twice));
    produce(&kafka, &settings.topics[0], &values).await;

    let running = consuming(&pool, &kafka, &settings, AddRow);
    wait_for_effects(&pool, 299, "the waiting events").await;
    let expected: Vec<String> = (0..300)
        .filter(|n| *n != 120)
        .map(|n| n.to_string())
        .collect();
    assert_eq!(effects(&pool).await, expected);
    // Each event id once; the one passed over is not recorded.
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recorded, 299);
    // Few transactions: the ids of one batch share the transaction that wrote them.
    let transactions: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT xmin::text) FROM processed_events")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        transactions <= 30,
        "{transactions} transactions for 299 events"
    );

    // A poison event among good ones: the batch is undone, its good events applied once each,
    // in order, the poison dead-lettered.
    let more: Vec<Vec<u8>> = (300..360)
        .map(|n| match n {
            330 => envelope("poison"),
            n => envelope(&n.to_string()),
        })
        .collect();
    produce(&kafka, &settings.topics[0], &more).await;
    wait_for_effects(&pool, 299 + 59, "the events around the poison").await;
    let expected: Vec<String> = (0..360)
        .filter(|n| *n != 120 && *n != 330)
        .map(|n| n.to_string())
        .collect();
    assert_eq!(effects(&pool).await, expected);
    let letters = reader(&kafka, &settings.dead_letter_topic);
    let letter = DeadLetter::decode(next_value(&letters).await.as_slice()).unwrap();
    assert!(
        letter.error.contains("can never be applied"),
        "{}",
        letter.error
    );

    running.stop().await;
}

#[tokio::test]
async fn an_event_of_no_concern_is_passed_over_and_not_recorded() {
    let kafka = kafka(&nsk_runtime::testing::unique_prefix("passed"));
    let pool = database("passed").await;
    let consumer = Consumer::new(pool.clone(), &kafka, settings(&kafka), AddRow).unwrap();
    let source = Source {
        topic: "t",
        partition: 0,
        offset: 1,
        key: None,
    };
    let shutdown = CancellationToken::new();
    assert_eq!(
        consumer
            .apply(&envelope("not ours"), &source, &shutdown)
            .await,
        Some(Outcome::PassedOver)
    );
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recorded, 0);
    assert!(effects(&pool).await.is_empty());
}

#[tokio::test]
async fn housekeeping_prunes_what_is_done_and_a_pruned_event_redelivered_is_still_a_duplicate() {
    let kafka = kafka(&nsk_runtime::testing::unique_prefix("prune"));
    let pool = database("prune").await;
    // The outbox: sent 8 days ago (goes), sent an hour ago (stays), never sent though written
    // 10 days ago (stays: it has not left yet).
    for (id, published, created) in [
        (
            "8 days",
            Some("now() - interval '8 days'"),
            "now() - interval '8 days'",
        ),
        (
            "1 hour",
            Some("now() - interval '1 hour'"),
            "now() - interval '1 hour'",
        ),
        ("unsent", None, "now() - interval '10 days'"),
    ] {
        // A sent event is one of a transaction the relay's last snapshot sees (xid 1, before
        // every transaction); one not sent yet is of this transaction, which it does not see.
        let sql = match published {
            Some(_) => format!(
                "INSERT INTO outbox (event_id, topic, message_key, event_type, envelope, created_at, xid)
                 VALUES (gen_random_uuid(), 't', $1, 'x', '\\x00', {created}, '1')"
            ),
            None => format!(
                "INSERT INTO outbox (event_id, topic, message_key, event_type, envelope, created_at)
                 VALUES (gen_random_uuid(), 't', $1, 'x', '\\x00', {created})"
            ),
        };
        sqlx::query(&sql).bind(id).execute(&pool).await.unwrap();
    }
    // Two events applied; the first 40 days ago.
    let consumer = Consumer::new(pool.clone(), &kafka, settings(&kafka), AddRow).unwrap();
    let shutdown = CancellationToken::new();
    let at = |offset| Source {
        topic: "t",
        partition: 0,
        offset,
        key: None,
    };
    let (old, recent) = (envelope("old"), envelope("recent"));
    assert_eq!(
        consumer.apply(&old, &at(5), &shutdown).await,
        Some(Outcome::Applied)
    );
    assert_eq!(
        consumer.apply(&recent, &at(7), &shutdown).await,
        Some(Outcome::Applied)
    );
    sqlx::query(
        "UPDATE processed_events SET processed_at = now() - interval '40 days' WHERE \"offset\" = 5",
    )
    .execute(&pool)
    .await
    .unwrap();

    let pruned = nsk_events::housekeeping::prune(
        &pool,
        nsk_events::housekeeping::OUTBOX_RETENTION,
        nsk_events::housekeeping::PROCESSED_RETENTION,
    )
    .await
    .unwrap();
    assert_eq!(pruned.outbox, 1);
    assert_eq!(pruned.processed, 1);
    let left: Vec<String> =
        sqlx::query_scalar("SELECT message_key FROM outbox_events ORDER BY seq")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(left, ["1 hour", "unsent"]);
    let watermark: i64 = sqlx::query_scalar(
        "SELECT \"offset\" FROM processed_watermarks WHERE topic = 't' AND partition = 0",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(watermark, 5);

    // Redelivered: the pruned one by its offset, the kept one by its id; a new one applies.
    assert_eq!(
        consumer.apply(&old, &at(5), &shutdown).await,
        Some(Outcome::Duplicate)
    );
    assert_eq!(
        consumer.apply(&recent, &at(7), &shutdown).await,
        Some(Outcome::Duplicate)
    );
    assert_eq!(
        consumer.apply(&envelope("new"), &at(8), &shutdown).await,
        Some(Outcome::Applied)
    );
    // The same pass again removes nothing more.
    let again = nsk_events::housekeeping::prune(
        &pool,
        nsk_events::housekeeping::OUTBOX_RETENTION,
        nsk_events::housekeeping::PROCESSED_RETENTION,
    )
    .await
    .unwrap();
    assert_eq!(again, nsk_events::housekeeping::Pruned::default());
    assert_eq!(effects(&pool).await, ["old", "recent", "new"]);
}

/// Refuses every event until told to accept them (a bug fixed, a missing reference loaded).
struct Fussy {
    accept: Arc<std::sync::atomic::AtomicBool>,
}

impl EventHandler for Fussy {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        if !self.accept.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(HandlerError::Permanent("the center is unknown here".into()));
        }
        AddRow.handle(conn, event).await
    }
}

#[tokio::test]
async fn an_operator_lists_a_dead_letter_and_replays_it_once_its_cause_is_fixed() {
    let kafka = kafka(&nsk_runtime::testing::unique_prefix("replay"));
    let pool = database("replay").await;
    let settings = settings(&kafka);
    create_topics(&kafka, &settings).await;
    let accept = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let handler = Fussy {
        accept: accept.clone(),
    };
    let running = consuming(&pool, &kafka, &settings, handler);
    let id = uuid::Uuid::now_v7();
    produce(
        &kafka,
        &settings.topics[0],
        &[envelope_with_id("refused", id)],
    )
    .await;

    let deadline = Instant::now() + Duration::from_secs(60);
    let letters = loop {
        let letters = nsk_events::dead_letters::list(
            &kafka,
            &settings.dead_letter_topic,
            Duration::from_secs(5),
        )
        .unwrap();
        if !letters.is_empty() {
            break letters;
        }
        assert!(
            Instant::now() < deadline,
            "the refused event never reached the dead letters"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert!(letter.letter.error.contains("the center is unknown here"));
    assert_eq!(letter.letter.source_topic, settings.topics[0]);
    assert_eq!(letter.envelope.as_ref().unwrap().event_id, id.to_string());
    assert!(effects(&pool).await.is_empty());

    // No such letter: nothing replayed.
    assert!(
        nsk_events::dead_letters::replay(&kafka, &settings.dead_letter_topic, 99)
            .await
            .unwrap()
            .is_none()
    );
    // The cause fixed, the operator replays it: applied, once.
    accept.store(true, std::sync::atomic::Ordering::SeqCst);
    let replayed =
        nsk_events::dead_letters::replay(&kafka, &settings.dead_letter_topic, letter.offset)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(replayed.envelope.unwrap().event_id, id.to_string());
    wait_for_effects(&pool, 1, "the replayed event").await;
    assert_eq!(effects(&pool).await, ["refused"]);

    running.stop().await;
}

/// The consumer's topic and dead-letter topic, created.
async fn create_topics(kafka: &KafkaConfig, settings: &ConsumerSettings) {
    nsk_events::kafka::ensure_topics(
        kafka,
        &[
            settings.topics[0].clone(),
            settings.dead_letter_topic.clone(),
        ],
    )
    .await
    .unwrap();
}

/// A consumer running until [`Running::stop`].
struct Running {
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap();
    }
}

fn consuming<H: EventHandler>(
    pool: &PgPool,
    kafka: &KafkaConfig,
    settings: &ConsumerSettings,
    handler: H,
) -> Running {
    let consumer = Consumer::new(pool.clone(), kafka, settings.clone(), handler).unwrap();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { consumer.run(shutdown).await }
    });
    Running { shutdown, task }
}

//! The first flow across services, through real processes: an authorized-body administrator
//! registers a profession at the gateway; the professions service stores it with its event in
//! one transaction; the relay publishes the event; the documents service consumes it into its
//! own read model, which the test reads through the gateway.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use nsk_e2e::Platform;
use nsk_identity::Role;
use nsk_proto::nsk::events::v1::EventEnvelope;
use nsk_proto::nsk::professions::v1 as professions;
use prost::Message as _;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::Headers as _;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Message as _;
use serde_json::{json, Value};

fn welder(nkz: &str) -> Value {
    json!({
        "names": {"kk": "Дәнекерлеуші", "ru": "Сварщик", "en": "Welder"},
        "nkzCode": nkz,
        "okedCode": "25110",
        "nqfLevels": [3, 4],
        "documentValidityMonths": 60,
        "qualificationRequirementsApply": true,
        "inclusionBasis": {"number": "12", "date": "2026-02-16", "title": "Recommendation of the National council"}
    })
}

async fn register(platform: &Platform, body: &Value) -> Value {
    let reply = platform
        .http
        .post(platform.url("/v1/professions"))
        .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = reply.status();
    let json: Value = reply.json().await.unwrap();
    assert_eq!(status, 200, "{json}");
    json
}

/// What the documents service knows of a profession, through the gateway; `None` until it knows.
async fn known_to_documents(platform: &Platform, id: &str) -> Option<Value> {
    let reply = platform
        .http
        .get(platform.url(&format!("/v1/document-registry/professions/{id}")))
        .send()
        .await
        .ok()?;
    if reply.status() == 404 {
        return None;
    }
    let status = reply.status();
    let json: Value = reply.json().await.ok()?;
    assert_eq!(status, 200, "{json}");
    Some(json)
}

#[tokio::test]
async fn a_profession_registered_at_the_gateway_reaches_the_documents_registry() {
    let platform = Platform::start("flow").await;
    let created = register(&platform, &welder("72120001")).await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["status"], "PROFESSION_STATUS_ACTIVE");
    assert_eq!(created["version"], "1");

    let read: Value = platform
        .http
        .get(platform.url(&format!("/v1/professions/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read, created);

    let known = platform
        .eventually(
            Duration::from_secs(30),
            "the documents registry learning the profession",
            || known_to_documents(&platform, &id),
        )
        .await;
    assert_eq!(known["nkzCode"], "72120001");
    assert_eq!(known["okedCode"], "25110");
    assert_eq!(known["nqfLevels"], json!([3, 4]));
    assert_eq!(known["documentValidityMonths"], 60);
    assert_eq!(known["names"]["ru"], "Сварщик");
    assert_eq!(known["active"], true);
    assert_eq!(known["knownVersions"], json!(["1"]));
}

#[tokio::test]
async fn a_replayed_event_is_applied_once() {
    let platform = Platform::start("replay").await;
    let created = register(&platform, &welder("72120002")).await;
    let id = created["id"].as_str().unwrap().to_string();
    platform
        .eventually(Duration::from_secs(30), "the first delivery", || {
            known_to_documents(&platform, &id)
        })
        .await;

    // Take the event exactly as the relay published it.
    let (kafka, topic, raw) = first_published_event(&platform).await;
    assert_eq!(
        EventEnvelope::decode(raw.as_slice()).unwrap().aggregate_id,
        id
    );

    // Deliver it twice more, then a new event for the same profession on the same key (so the
    // same partition, after the replays): once that one shows, the replays were processed.
    let producer: FutureProducer = nsk_events::kafka::idempotent_producer_config(&kafka)
        .create()
        .unwrap();
    for _ in 0..2 {
        producer
            .send(
                FutureRecord::to(&topic).key(&id).payload(&raw),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
    }
    let mut amended = EventEnvelope::decode(raw.as_slice()).unwrap();
    let mut registered =
        professions::ProfessionRegistered::decode(amended.payload.as_slice()).unwrap();
    let mut profession = registered.profession.take().unwrap();
    profession.version = 2;
    profession.names.as_mut().unwrap().en = "Welder (gas)".into();
    amended.event_id = uuid::Uuid::now_v7().to_string();
    amended.event_type = "nsk.professions.v1.ProfessionAmended".into();
    amended.aggregate_version = 2;
    amended.payload = professions::ProfessionAmended {
        profession: Some(profession),
        changed_fields: vec!["names.en".into()],
        reason: "clarified name".into(),
        basis: None,
        effective_from: registered.effective_from.clone(),
    }
    .encode_to_vec();
    producer
        .send(
            FutureRecord::to(&topic)
                .key(&id)
                .payload(&amended.encode_to_vec()),
            Duration::from_secs(10),
        )
        .await
        .unwrap();

    let known = platform
        .eventually(
            Duration::from_secs(30),
            "the amendment after the replays",
            || async {
                known_to_documents(&platform, &id)
                    .await
                    .filter(|k| k["version"] == "2")
            },
        )
        .await;
    assert_eq!(known["names"]["en"], "Welder (gas)");
    assert_eq!(
        known["knownVersions"],
        json!(["1", "2"]),
        "a replayed event was applied again"
    );
}

/// The first event on the platform's professions topic, as raw bytes, with the broker settings.
async fn first_published_event(platform: &Platform) -> (nsk_config::KafkaConfig, String, Vec<u8>) {
    let kafka = nsk_config::ServiceConfig::load(
        "documents",
        &nsk_config::Env::from_pairs([
            ("KAFKA_BROKERS", nsk_runtime::testing::kafka_brokers()),
            ("NSK_TOPIC_PREFIX", platform.prefix.clone()),
            ("NSK_PROFILE", "development".to_string()),
            (
                "NSK_JWT_PUBLIC_KEY_FILE",
                nsk_runtime::testing::workspace_root()
                    .join(nsk_identity::dev::PUBLIC_KEY)
                    .display()
                    .to_string(),
            ),
            (
                "NSK_GATEWAY_PUBLIC_KEY_FILE",
                nsk_runtime::testing::workspace_root()
                    .join(nsk_identity::dev::GATEWAY_PUBLIC_KEY)
                    .display()
                    .to_string(),
            ),
        ]),
    )
    .unwrap()
    .kafka;
    let topic = kafka.topic_of("professions");
    let reader: StreamConsumer = nsk_events::kafka::base_config(&kafka)
        .set("group.id", format!("{topic}.test-reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    reader.subscribe(&[&topic]).unwrap();
    let message = tokio::time::timeout(Duration::from_secs(30), reader.recv())
        .await
        .unwrap()
        .unwrap();
    let raw = message.payload().unwrap().to_vec();
    let traceparent = message.headers().and_then(|h| {
        h.iter()
            .find(|h| h.key == "traceparent")
            .and_then(|h| h.value)
            .map(<[u8]>::to_vec)
    });
    let envelope = EventEnvelope::decode(raw.as_slice()).unwrap();
    assert_eq!(
        traceparent.as_deref(),
        Some(envelope.traceparent.as_bytes()),
        "the Kafka header and the envelope carry the same trace context"
    );
    (kafka, topic, raw)
}

#[tokio::test]
async fn the_callers_trace_context_travels_with_the_event() {
    let platform = Platform::start("trace").await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let reply = platform
        .http
        .post(platform.url("/v1/professions"))
        .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&welder("72120003"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let (_, _, raw) = first_published_event(&platform).await;
    let envelope = EventEnvelope::decode(raw.as_slice()).unwrap();
    assert!(
        envelope.traceparent.starts_with(&format!("00-{trace_id}-")),
        "the event belongs to the caller's trace: {:?}",
        envelope.traceparent
    );
}

#[tokio::test]
async fn an_amendment_reaches_the_documents_registry_with_its_history() {
    let platform = Platform::start("amend").await;
    let created = register(&platform, &welder("72120004")).await;
    let id = created["id"].as_str().unwrap().to_string();
    let reply = platform
        .http
        .patch(platform.url(&format!("/v1/professions/{id}")))
        .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
        .json(&json!({
            "profession": {"names": {"en": "Gas welder"}, "nqfLevels": [3, 4, 5]},
            "updateMask": ["names.en", "nqfLevels"],
            "expectedVersion": "1",
            "reason": "yearly update",
            "basis": {"number": "44", "date": "2026-11-16", "title": "Order of the Minister"}
        }))
        .send()
        .await
        .unwrap();
    let amended: Value = reply.json().await.unwrap();
    assert_eq!(amended["version"], "2", "{amended}");

    let known = platform
        .eventually(
            Duration::from_secs(30),
            "the amendment reaching the documents registry",
            || async {
                known_to_documents(&platform, &id)
                    .await
                    .filter(|k| k["version"] == "2")
            },
        )
        .await;
    assert_eq!(known["names"]["en"], "Gas welder");
    assert_eq!(known["nqfLevels"], json!([3, 4, 5]));
    assert_eq!(known["knownVersions"], json!(["1", "2"]));

    // As of today the registry judges by the amended entry; before the registration it knew nothing.
    let today = known["effectiveFrom"].as_str().unwrap().to_string();
    let as_of_today: Value = platform
        .http
        .get(platform.url(&format!(
            "/v1/document-registry/professions/{id}?asOf={today}"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(as_of_today["version"], "2");
    let before = platform
        .http
        .get(platform.url(&format!(
            "/v1/document-registry/professions/{id}?asOf=2026-01-01"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(before.status(), 404);

    let history: Value = platform
        .http
        .get(platform.url(&format!("/v1/professions/{id}/history")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        history["changes"][1]["changedFields"],
        json!(["names.en", "nqf_levels"])
    );
    assert_eq!(history["changes"][0]["entry"]["names"]["en"], "Welder");
}

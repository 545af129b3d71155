//! A profession rests only on an approved, current standard version; when a version is
//! superseded, the entries resting on it are flagged for review (an event and a query). The
//! standards service's events are published to the real broker by the test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use nsk_identity::Role;
use nsk_proto::nsk::common::v1::{BasisDocument, LocalizedText};
use nsk_proto::nsk::events::v1::EventEnvelope;
use nsk_proto::nsk::professions::v1 as pb;
use nsk_proto::nsk::professions::v1::profession_registry_client::ProfessionRegistryClient;
use nsk_proto::nsk::standards::v1 as standards;
use prost::{Message as _, Name};
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::Message as _;
use tonic::transport::Channel;
use tonic::{Code, Request};

fn admin<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    let token = nsk_runtime::testing::token("admin-3", &[Role::AuthorizedBodyAdmin], None);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn on_standard(nkz: &str, standard_id: &str, version: i32) -> pb::RegisterProfessionRequest {
    pb::RegisterProfessionRequest {
        request_id: String::new(),
        profession: Some(pb::Profession {
            names: Some(LocalizedText {
                kk: "Кондитер".into(),
                ru: "Кондитер".into(),
                en: "Confectioner".into(),
            }),
            nkz_code: nkz.into(),
            oked_code: "10710".into(),
            nqf_levels: vec![3],
            document_validity_months: 60,
            standard: Some(pb::StandardReference {
                standard_id: standard_id.into(),
                version,
            }),
            inclusion_basis: Some(BasisDocument {
                number: "9".into(),
                date: "2026-10-01".into(),
                title: String::new(),
            }),
            ..Default::default()
        }),
    }
}

async fn publish<M: prost::Message + Name>(
    producer: &FutureProducer,
    topic: &str,
    key: &str,
    event: &M,
) {
    let envelope = EventEnvelope {
        event_id: uuid::Uuid::now_v7().to_string(),
        event_type: M::full_name(),
        aggregate_type: "standard".into(),
        aggregate_id: key.into(),
        producer: "standards".into(),
        payload: event.encode_to_vec(),
        ..Default::default()
    };
    producer
        .send(
            FutureRecord::to(topic)
                .key(key)
                .payload(&envelope.encode_to_vec()),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_superseded_standard_flags_the_professions_resting_on_it_for_review() {
    let prefix = nsk_runtime::testing::unique_prefix("std");
    let config = nsk_runtime::testing::service_config("professions", &prefix).await;
    let app = nsk_professions::build(config.clone()).await.unwrap();
    let addr = app.grpc_addr();
    tokio::spawn(app.run());
    let mut client = ProfessionRegistryClient::new(
        Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap(),
    );

    let standard_id = uuid::Uuid::now_v7().to_string();
    let refused = client
        .register_profession(admin(on_standard("75120001", &standard_id, 1)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("not in the list of approved"),
        "{}",
        refused.message()
    );

    let standards_topic = config.kafka.topic_of("standards");
    nsk_events::kafka::ensure_topics(&config.kafka, std::slice::from_ref(&standards_topic))
        .await
        .unwrap();
    let producer: FutureProducer = nsk_events::kafka::idempotent_producer_config(&config.kafka)
        .create()
        .unwrap();
    let published = |version| standards::StandardPublished {
        standard: Some(standards::Standard {
            id: standard_id.clone(),
            version,
            ..Default::default()
        }),
    };
    publish(&producer, &standards_topic, &standard_id, &published(1)).await;

    // Once the register has learned of version 1, entries may rest on it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        match client
            .register_profession(admin(on_standard("75120001", &standard_id, 1)))
            .await
        {
            Ok(reply) => break reply.into_inner(),
            Err(status) if Instant::now() < deadline && status.code() == Code::InvalidArgument => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(status) => panic!("the approved standard never became usable: {status:?}"),
        }
    };
    let second = client
        .register_profession(admin(on_standard("75120002", &standard_id, 1)))
        .await
        .unwrap()
        .into_inner();

    let superseded = standards::StandardSuperseded {
        standard_id: standard_id.clone(),
        superseded_version: 1,
        superseding_version: 2,
    };
    publish(&producer, &standards_topic, &standard_id, &superseded).await;
    publish(&producer, &standards_topic, &standard_id, &published(2)).await;

    let review = || pb::ListProfessionsRequest {
        needs_review: true,
        ..Default::default()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let flagged = client
            .list_professions(review())
            .await
            .unwrap()
            .into_inner();
        if flagged.total_size == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the entries were never flagged: {flagged:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The flags are events too.
    let reader: StreamConsumer = nsk_events::kafka::base_config(&config.kafka)
        .set("group.id", format!("{prefix}reader"))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    reader
        .subscribe(&[&config.kafka.topic_of("professions")])
        .unwrap();
    let mut flagged_ids = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while flagged_ids.len() < 2 {
        assert!(
            Instant::now() < deadline,
            "flag events missing; saw {flagged_ids:?}"
        );
        let message = tokio::time::timeout(Duration::from_secs(30), reader.recv())
            .await
            .unwrap()
            .unwrap();
        let envelope = EventEnvelope::decode(message.payload().unwrap()).unwrap();
        if envelope.event_type == pb::ProfessionReviewFlagged::full_name() {
            let flag = pb::ProfessionReviewFlagged::decode(envelope.payload.as_slice()).unwrap();
            assert_eq!((flag.superseded_version, flag.superseding_version), (1, 2));
            flagged_ids.push(flag.profession_id);
        }
    }
    flagged_ids.sort();
    let mut expected = vec![first.id.clone(), second.id.clone()];
    expected.sort();
    assert_eq!(flagged_ids, expected);

    // A new entry may not rest on the superseded version.
    let stale = client
        .register_profession(admin(on_standard("75120003", &standard_id, 1)))
        .await
        .unwrap_err();
    assert!(
        stale.message().contains("superseded by version 2"),
        "{}",
        stale.message()
    );

    // Moving an entry onto the new version ends its review; the entry itself was not changed.
    assert_eq!(
        client
            .get_profession(pb::GetProfessionRequest {
                id: first.id.clone(),
                as_of: String::new()
            })
            .await
            .unwrap()
            .into_inner()
            .version,
        1
    );
    let amend = pb::AmendProfessionRequest {
        id: first.id.clone(),
        profession: Some(pb::Profession {
            standard: Some(pb::StandardReference {
                standard_id: standard_id.clone(),
                version: 2,
            }),
            ..Default::default()
        }),
        update_mask: vec!["standard".into()],
        reason: "reviewed after the standard's new version".into(),
        basis: Some(BasisDocument {
            number: "31".into(),
            date: "2026-11-20".into(),
            title: String::new(),
        }),
        ..Default::default()
    };
    client.amend_profession(admin(amend)).await.unwrap();
    let remaining = client
        .list_professions(review())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        remaining
            .professions
            .iter()
            .map(|p| p.id.clone())
            .collect::<Vec<_>>(),
        [second.id]
    );
}

#[tokio::test]
async fn a_withdrawn_standard_flags_its_professions_and_grounds_no_new_ones() {
    let prefix = nsk_runtime::testing::unique_prefix("stdw");
    let config = nsk_runtime::testing::service_config("professions", &prefix).await;
    let app = nsk_professions::build(config.clone()).await.unwrap();
    let addr = app.grpc_addr();
    tokio::spawn(app.run());
    let mut client = ProfessionRegistryClient::new(
        Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap(),
    );
    let standard_id = uuid::Uuid::now_v7().to_string();
    let standards_topic = config.kafka.topic_of("standards");
    nsk_events::kafka::ensure_topics(&config.kafka, std::slice::from_ref(&standards_topic))
        .await
        .unwrap();
    let producer: FutureProducer = nsk_events::kafka::idempotent_producer_config(&config.kafka)
        .create()
        .unwrap();
    let published = standards::StandardPublished {
        standard: Some(standards::Standard {
            id: standard_id.clone(),
            version: 1,
            ..Default::default()
        }),
    };
    publish(&producer, &standards_topic, &standard_id, &published).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let entry = loop {
        match client
            .register_profession(admin(on_standard("75130001", &standard_id, 1)))
            .await
        {
            Ok(reply) => break reply.into_inner(),
            Err(status) if Instant::now() < deadline && status.code() == Code::InvalidArgument => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(status) => panic!("the approved standard never became usable: {status:?}"),
        }
    };

    // The authorized body withdraws version 1 from the list, with no successor.
    let archived = standards::StandardArchived {
        standard_id: standard_id.clone(),
        version: 1,
        reason: "withdrawn".into(),
    };
    publish(&producer, &standards_topic, &standard_id, &archived).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let flagged = client
            .list_professions(pb::ListProfessionsRequest {
                needs_review: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        if flagged.total_size == 1 {
            assert_eq!(flagged.professions[0].id, entry.id);
            break;
        }
        assert!(Instant::now() < deadline, "never flagged: {flagged:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused = client
        .register_profession(admin(on_standard("75130002", &standard_id, 1)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("withdrawn"),
        "{}",
        refused.message()
    );
}

#[tokio::test]
async fn an_entry_resting_on_a_standard_lists_only_the_skills_the_standard_allows_art_20_2() {
    let prefix = nsk_runtime::testing::unique_prefix("stdskills");
    let config = nsk_runtime::testing::service_config("professions", &prefix).await;
    let app = nsk_professions::build(config.clone()).await.unwrap();
    let addr = app.grpc_addr();
    tokio::spawn(app.run());
    let mut client = ProfessionRegistryClient::new(
        Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap(),
    );
    let standards_topic = config.kafka.topic_of("standards");
    nsk_events::kafka::ensure_topics(&config.kafka, std::slice::from_ref(&standards_topic))
        .await
        .unwrap();
    let producer: FutureProducer = nsk_events::kafka::idempotent_producer_config(&config.kafka)
        .create()
        .unwrap();
    // Standard A lets "Temper chocolate" be recognised separately; standard B lets nothing.
    let (a, b) = (
        uuid::Uuid::now_v7().to_string(),
        uuid::Uuid::now_v7().to_string(),
    );
    for (id, skills) in [(&a, vec!["Temper chocolate".to_string()]), (&b, vec![])] {
        let event = standards::StandardPublished {
            standard: Some(standards::Standard {
                id: id.clone(),
                version: 1,
                separately_recognisable_skills: skills,
                ..Default::default()
            }),
        };
        publish(&producer, &standards_topic, id, &event).await;
    }
    let with_skills = |nkz: &str, standard: &str, skills: &[&str]| {
        let mut request = on_standard(nkz, standard, 1);
        let p = request.profession.as_mut().unwrap();
        p.separate_skills_allowed = true;
        p.separate_skills = skills.iter().map(|s| s.to_string()).collect();
        request
    };
    // Wait until both standards are known: a plain entry on B registers.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match client
            .register_profession(admin(on_standard("75120011", &b, 1)))
            .await
        {
            Ok(_) => break,
            Err(status) if Instant::now() < deadline && status.code() == Code::InvalidArgument => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(status) => panic!("standard B never became usable: {status:?}"),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let ok = loop {
        match client
            .register_profession(admin(with_skills("75120012", &a, &["Temper chocolate"])))
            .await
        {
            Ok(reply) => break reply.into_inner(),
            Err(status) if Instant::now() < deadline && status.code() == Code::InvalidArgument => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(status) => panic!("standard A never became usable: {status:?}"),
        }
    };
    assert_eq!(ok.separate_skills, ["Temper chocolate"]);

    let wider = client
        .register_profession(admin(with_skills(
            "75120013",
            &a,
            &["Temper chocolate", "Juggle plates"],
        )))
        .await
        .unwrap_err();
    assert_eq!(wider.code(), Code::InvalidArgument);
    assert!(
        wider.message().contains("profession.separate_skills"),
        "{wider:?}"
    );
    assert!(wider.message().contains("Juggle plates"), "{wider:?}");
    assert!(
        !wider.message().contains("\"Temper chocolate\""),
        "{wider:?}"
    );
    let none_allowed = client
        .register_profession(admin(with_skills("75120014", &b, &["Temper chocolate"])))
        .await
        .unwrap_err();
    assert!(
        none_allowed.message().contains("Art. 20.2"),
        "{none_allowed:?}"
    );
}

//! A profession rests only on an approved, current standard version; when a version is
//! superseded, the entries resting on it are flagged for review (an event and a query). The
//! standards service's events are published to the real broker by the test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use nsk_identity::Role;
use nsk_proto::nsk::common::v1::{BasisDocument, LocalizedText};
use nsk_proto::nsk::professions::v1 as pb;
use nsk_proto::nsk::professions::v1::profession_registry_client::ProfessionRegistryClient;
use nsk_proto::nsk::standards::v1 as standards;
use nsk_runtime::testing;
use prost::{Message as _, Name};
use tonic::{Code, Request};

fn admin<T>(message: T) -> Request<T> {
    testing::bearer(
        message,
        &testing::token("admin-3", &[Role::AuthorizedBodyAdmin], None),
    )
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

#[tokio::test]
async fn a_superseded_standard_flags_the_professions_resting_on_it_for_review() {
    let (config, channel) = testing::spawn("professions", "std", nsk_professions::build).await;
    let mut client = ProfessionRegistryClient::new(channel);

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

    let published = |version| standards::StandardPublished {
        standard: Some(standards::Standard {
            id: standard_id.clone(),
            version,
            ..Default::default()
        }),
    };
    testing::publish(&config, "standards", &standard_id, &published(1)).await;

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
    testing::publish(&config, "standards", &standard_id, &superseded).await;
    testing::publish(&config, "standards", &standard_id, &published(2)).await;

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
    let flagged_ids: Vec<String> = testing::read_events(&config, "professions", 4)
        .await
        .into_iter()
        .filter(|e| e.event_type == pb::ProfessionReviewFlagged::full_name())
        .map(|e| {
            // A flag is no new version: the envelope carries the version the entry is at.
            assert_eq!(e.aggregate_version, 1, "{e:?}");
            let flag = pb::ProfessionReviewFlagged::decode(e.payload.as_slice()).unwrap();
            assert_eq!((flag.superseded_version, flag.superseding_version), (1, 2));
            flag.profession_id
        })
        .collect();
    let mut flagged_ids = flagged_ids;
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
    let (config, channel) = testing::spawn("professions", "stdw", nsk_professions::build).await;
    let mut client = ProfessionRegistryClient::new(channel);
    let standard_id = uuid::Uuid::now_v7().to_string();
    let published = standards::StandardPublished {
        standard: Some(standards::Standard {
            id: standard_id.clone(),
            version: 1,
            ..Default::default()
        }),
    };
    testing::publish(&config, "standards", &standard_id, &published).await;
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
    testing::publish(&config, "standards", &standard_id, &archived).await;
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
    let (config, channel) =
        testing::spawn("professions", "stdskills", nsk_professions::build).await;
    let mut client = ProfessionRegistryClient::new(channel);
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
        testing::publish(&config, "standards", id, &event).await;
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

//! The register of professions through its gRPC API, against the real PostgreSQL and broker.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_identity::Role;
use nsk_proto::nsk::common::v1::{BasisDocument, LocalizedText};
use nsk_proto::nsk::professions::v1 as pb;
use nsk_proto::nsk::professions::v1::profession_registry_client::ProfessionRegistryClient;
use nsk_runtime::testing;
use prost::Message as _;
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_types::StatusExt;

struct TestApp {
    client: ProfessionRegistryClient<Channel>,
    config: nsk_config::ServiceConfig,
}

async fn spawn_app() -> TestApp {
    let (config, channel) = testing::spawn("professions", "prof", nsk_professions::build).await;
    TestApp {
        client: ProfessionRegistryClient::new(channel),
        config,
    }
}

fn with_token<T>(message: T, roles: &[Role]) -> Request<T> {
    testing::bearer(message, &testing::token("admin-1", roles, None))
}

fn programmer(nkz: &str) -> pb::Profession {
    pb::Profession {
        names: Some(LocalizedText {
            kk: "Бағдарламашы".into(),
            ru: "Программист".into(),
            en: "Software developer".into(),
        }),
        nkz_code: nkz.into(),
        oked_code: "62011".into(),
        nqf_levels: vec![5, 6],
        document_validity_months: 60,
        qualification_requirements_apply: true,
        inclusion_basis: Some(BasisDocument {
            number: "7".into(),
            date: "2026-03-02".into(),
            title: String::new(),
        }),
        ..Default::default()
    }
}

fn register(profession: pb::Profession, request_id: &str) -> pb::RegisterProfessionRequest {
    pb::RegisterProfessionRequest {
        request_id: request_id.into(),
        profession: Some(profession),
    }
}

#[tokio::test]
async fn a_registered_profession_can_be_read_back_as_it_was_stored() {
    let mut app = spawn_app().await;
    let created = app
        .client
        .register_profession(with_token(
            register(programmer("25111001"), ""),
            &[Role::AuthorizedBodyAdmin],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.version, 1);
    assert_eq!(created.status, pb::ProfessionStatus::Active as i32);
    let read = app
        .client
        .get_profession(pb::GetProfessionRequest {
            id: created.id.clone(),
            as_of: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, created);
}

#[tokio::test]
async fn a_retried_request_returns_the_first_entry_instead_of_a_second() {
    let mut app = spawn_app().await;
    let first = app
        .client
        .register_profession(with_token(
            register(programmer("25111002"), "retry-1"),
            &[Role::AuthorizedBodyAdmin],
        ))
        .await
        .unwrap()
        .into_inner();
    let again = app
        .client
        .register_profession(with_token(
            register(programmer("25111002"), "retry-1"),
            &[Role::AuthorizedBodyAdmin],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.id, again.id);
    let listed = app
        .client
        .list_professions(pb::ListProfessionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_size, 1);
}

#[tokio::test]
async fn a_second_entry_with_the_same_nkz_code_already_exists_but_zero_codes_may_repeat() {
    let mut app = spawn_app().await;
    let admin = [Role::AuthorizedBodyAdmin];
    app.client
        .register_profession(with_token(register(programmer("25111003"), ""), &admin))
        .await
        .unwrap();
    let err = app
        .client
        .register_profession(with_token(register(programmer("25111003"), ""), &admin))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert!(err.message().contains("25111003"), "{}", err.message());
    app.client
        .register_profession(with_token(register(programmer("0"), ""), &admin))
        .await
        .unwrap();
    app.client
        .register_profession(with_token(register(programmer("0"), ""), &admin))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_malformed_entry_is_refused_with_every_field_and_rule_named() {
    let mut app = spawn_app().await;
    let mut bad = programmer("123");
    bad.names.as_mut().unwrap().en.clear();
    bad.nqf_levels = vec![9];
    let err = app
        .client
        .register_profession(with_token(register(bad, ""), &[Role::AuthorizedBodyAdmin]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let details = err.get_error_details();
    let fields: Vec<&str> = details
        .bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "profession.names.en",
            "profession.nkz_code",
            "profession.nqf_levels"
        ]
    );
    assert!(
        err.message().contains("must be 8 digits"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn only_the_authorized_body_may_register() {
    let mut app = spawn_app().await;
    let anonymous = app
        .client
        .register_profession(register(programmer("25111004"), ""))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let officer = app
        .client
        .register_profession(with_token(
            register(programmer("25111004"), ""),
            &[Role::NceOfficer],
        ))
        .await
        .unwrap_err();
    assert_eq!(officer.code(), Code::PermissionDenied);
    assert!(
        officer.message().contains("authorized-body-admin"),
        "{}",
        officer.message()
    );
    let mut forged = Request::new(register(programmer("25111004"), ""));
    forged
        .metadata_mut()
        .insert("authorization", "Bearer not.a.token".parse().unwrap());
    assert_eq!(
        app.client
            .register_profession(forged)
            .await
            .unwrap_err()
            .code(),
        Code::Unauthenticated
    );
}

#[tokio::test]
async fn as_of_a_day_before_registration_finds_nothing() {
    let mut app = spawn_app().await;
    let created = app
        .client
        .register_profession(with_token(
            register(programmer("25111005"), ""),
            &[Role::AuthorizedBodyAdmin],
        ))
        .await
        .unwrap()
        .into_inner();
    let today = nsk_calendar::kazakhstan_date(chrono::Utc::now());
    let yesterday = today.pred_opt().unwrap();
    let before = app
        .client
        .get_profession(pb::GetProfessionRequest {
            id: created.id.clone(),
            as_of: yesterday.to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(before.code(), Code::NotFound);
    assert!(
        before.message().contains("was not in the register"),
        "{}",
        before.message()
    );
    let on_the_day = app
        .client
        .get_profession(pb::GetProfessionRequest {
            id: created.id,
            as_of: today.to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(on_the_day.version, 1);
}

#[tokio::test]
async fn the_list_finds_by_any_name_case_insensitively_and_pages_without_repeats() {
    let mut app = spawn_app().await;
    let admin = [Role::AuthorizedBodyAdmin];
    for (i, en) in ["Welder", "Crane operator", "Electric welder"]
        .iter()
        .enumerate()
    {
        let mut p = programmer(&format!("7212000{i}"));
        p.names.as_mut().unwrap().en = en.to_string();
        app.client
            .register_profession(with_token(register(p, ""), &admin))
            .await
            .unwrap();
    }
    let found = app
        .client
        .list_professions(pb::ListProfessionsRequest {
            name: "WELD".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.total_size, 2);
    let russian = app
        .client
        .list_professions(pb::ListProfessionsRequest {
            name: "программ".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(russian.total_size, 3);

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .client
            .list_professions(pb::ListProfessionsRequest {
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.professions.into_iter().map(|p| p.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (3, 3));
    let bad = app
        .client
        .list_professions(pb::ListProfessionsRequest {
            page_size: 501,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn a_registration_is_published_to_the_professions_topic() {
    let mut app = spawn_app().await;
    let created = app
        .client
        .register_profession(with_token(
            register(programmer("25111006"), "pub-1"),
            &[Role::AuthorizedBodyAdmin],
        ))
        .await
        .unwrap()
        .into_inner();
    let envelope = testing::read_events(&app.config, "professions", 1)
        .await
        .remove(0);
    assert_eq!(envelope.aggregate_id, created.id);
    assert_eq!(
        envelope.event_type,
        "nsk.professions.v1.ProfessionRegistered"
    );
    assert_eq!(envelope.request_id, "pub-1");
    assert_eq!(envelope.actor, "admin-1");
    let event = pb::ProfessionRegistered::decode(envelope.payload.as_slice()).unwrap();
    assert_eq!(event.profession.unwrap(), created);
}

#[tokio::test]
async fn the_list_sorts_by_any_key_both_ways_and_pages_in_that_order() {
    let mut app = spawn_app().await;
    let admin = [Role::AuthorizedBodyAdmin];
    for (nkz, ru) in [
        ("81110003", "Бурильщик"),
        ("81110001", "Аппаратчик"),
        ("81110002", "Вальцовщик"),
    ] {
        let mut p = programmer(nkz);
        p.names.as_mut().unwrap().ru = ru.into();
        app.client
            .register_profession(with_token(register(p, ""), &admin))
            .await
            .unwrap();
    }
    let collect = |order_by: &'static str| {
        let mut client = app.client.clone();
        async move {
            let mut seen = Vec::new();
            let mut token = String::new();
            loop {
                let page = client
                    .list_professions(pb::ListProfessionsRequest {
                        page_size: 2,
                        page_token: token,
                        order_by: order_by.into(),
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_inner();
                seen.extend(page.professions.into_iter().map(|p| p.nkz_code));
                if page.next_page_token.is_empty() {
                    return seen;
                }
                token = page.next_page_token;
            }
        }
    };
    assert_eq!(
        collect("nkz_code").await,
        ["81110001", "81110002", "81110003"]
    );
    assert_eq!(
        collect("nkz_code desc").await,
        ["81110003", "81110002", "81110001"]
    );
    assert_eq!(
        collect("name_ru").await,
        ["81110001", "81110003", "81110002"]
    );
    assert_eq!(
        collect("").await,
        ["81110003", "81110001", "81110002"],
        "default: the order of entry"
    );

    let first = app
        .client
        .list_professions(pb::ListProfessionsRequest {
            page_size: 1,
            order_by: "nkz_code".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mismatched = app
        .client
        .list_professions(pb::ListProfessionsRequest {
            page_size: 1,
            order_by: "name_ru".into(),
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(mismatched.code(), Code::InvalidArgument);
    let bad = app
        .client
        .list_professions(pb::ListProfessionsRequest {
            order_by: "salary".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(bad.message().contains("order_by"), "{}", bad.message());
}

#[tokio::test]
async fn the_list_as_of_a_day_shows_the_register_as_it_stood() {
    let mut app = spawn_app().await;
    app.client
        .register_profession(with_token(
            register(programmer("81120001"), ""),
            &[Role::AuthorizedBodyAdmin],
        ))
        .await
        .unwrap();
    let today = nsk_calendar::kazakhstan_date(chrono::Utc::now());
    let list = |as_of: String| pb::ListProfessionsRequest {
        as_of,
        ..Default::default()
    };
    let now = app
        .client
        .list_professions(list(today.to_string()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now.total_size, 1);
    let before = app
        .client
        .list_professions(list(today.pred_opt().unwrap().to_string()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before.total_size, 0);
}

#[tokio::test]
async fn a_search_by_name_counts_up_to_a_thousand_and_says_when_there_are_more() {
    let mut app = spawn_app().await;
    // 1,005 welders and 3 cooks, imported at once.
    let rows: Vec<pb::ImportProfessionsRequest> = (0..1008)
        .map(|i| {
            let (kk, ru, en) = if i < 1005 {
                ("Дәнекерлеуші", "Сварщик", "Welder")
            } else {
                ("Аспаз", "Повар", "Cook")
            };
            pb::ImportProfessionsRequest {
                row: i + 1,
                request_id: String::new(),
                profession: Some(pb::Profession {
                    names: Some(LocalizedText {
                        kk: format!("{kk} {i}"),
                        ru: format!("{ru} {i}"),
                        en: format!("{en} {i}"),
                    }),
                    nkz_code: format!("{:08}", 20_000_000 + i),
                    ..programmer("0")
                }),
            }
        })
        .collect();
    let imported = app
        .client
        .import_professions(with_token(
            futures::stream::iter(rows),
            &[Role::AuthorizedBodyAdmin],
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(imported.imported, 1008);
    let search = |name: &str| pb::ListProfessionsRequest {
        name: name.into(),
        page_size: 20,
        ..Default::default()
    };
    let welders = app
        .client
        .list_professions(search("свар"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (welders.total_size, welders.total_size_capped),
        (1000, true),
        "more than a thousand: counted to a thousand, and said so"
    );
    assert_eq!(welders.professions.len(), 20);
    let cooks = app
        .client
        .list_professions(search("повар"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((cooks.total_size, cooks.total_size_capped), (3, false));
    // Without a name, the register is counted whole.
    let all = app
        .client
        .list_professions(pb::ListProfessionsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((all.total_size, all.total_size_capped), (1008, false));
}

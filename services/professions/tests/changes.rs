//! Amending, excluding and reinstating entries, and their history, through the gRPC API
//! against the real PostgreSQL and broker.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_identity::Role;
use nsk_proto::nsk::common::v1::{BasisDocument, LocalizedText};
use nsk_proto::nsk::professions::v1 as pb;
use nsk_proto::nsk::professions::v1::profession_registry_client::ProfessionRegistryClient;
use nsk_runtime::testing;
use tonic::transport::Channel;
use tonic::{Code, Request};

async fn client() -> ProfessionRegistryClient<Channel> {
    let (_, channel) = testing::spawn("professions", "chg", nsk_professions::build).await;
    ProfessionRegistryClient::new(channel)
}

fn admin<T>(message: T) -> Request<T> {
    testing::bearer(
        message,
        &testing::token("admin-2", &[Role::AuthorizedBodyAdmin], None),
    )
}

fn basis(number: &str) -> Option<BasisDocument> {
    Some(BasisDocument {
        number: number.into(),
        date: "2026-11-02".into(),
        title: "Order".into(),
    })
}

async fn registered(client: &mut ProfessionRegistryClient<Channel>, nkz: &str) -> pb::Profession {
    let profession = pb::Profession {
        names: Some(LocalizedText {
            kk: "Тігінші".into(),
            ru: "Швея".into(),
            en: "Seamstress".into(),
        }),
        nkz_code: nkz.into(),
        oked_code: "14131".into(),
        nqf_levels: vec![2, 3],
        document_validity_months: 60,
        qualification_requirements_apply: true,
        inclusion_basis: basis("1"),
        ..Default::default()
    };
    let request = pb::RegisterProfessionRequest {
        request_id: String::new(),
        profession: Some(profession),
    };
    client
        .register_profession(admin(request))
        .await
        .unwrap()
        .into_inner()
}

fn amend(id: &str, expected_version: i64, en: &str) -> pb::AmendProfessionRequest {
    pb::AmendProfessionRequest {
        id: id.into(),
        request_id: String::new(),
        profession: Some(pb::Profession {
            names: Some(LocalizedText {
                en: en.into(),
                ..Default::default()
            }),
            document_validity_months: 36,
            ..Default::default()
        }),
        update_mask: vec!["names.en".into(), "documentValidityMonths".into()],
        expected_version,
        reason: "yearly update of the register".into(),
        basis: basis("15"),
        effective_from: String::new(),
    }
}

#[tokio::test]
async fn an_amendment_makes_a_new_version_and_keeps_the_old_in_the_history() {
    let mut client = client().await;
    let created = registered(&mut client, "75310001").await;
    let amended = client
        .amend_profession(admin(amend(&created.id, 1, "Sewing machine operator")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(amended.version, 2);
    assert_eq!(
        amended.names.as_ref().unwrap().en,
        "Sewing machine operator"
    );
    assert_eq!(
        amended.names.as_ref().unwrap().ru,
        "Швея",
        "fields outside the mask stay"
    );
    assert_eq!(amended.document_validity_months, 36);

    let history = client
        .list_profession_history(pb::ListProfessionHistoryRequest {
            id: created.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let kinds: Vec<&str> = history.changes.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(kinds, ["registered", "amended"]);
    let change = &history.changes[1];
    assert_eq!(
        change.changed_fields,
        ["names.en", "document_validity_months"]
    );
    assert_eq!(change.stamp.as_ref().unwrap().actor, "admin-2");
    assert_eq!(
        change.stamp.as_ref().unwrap().reason,
        "yearly update of the register"
    );
    assert_eq!(change.basis.as_ref().unwrap().number, "15");
    assert_eq!(
        history.changes[0]
            .entry
            .as_ref()
            .unwrap()
            .names
            .as_ref()
            .unwrap()
            .en,
        "Seamstress"
    );
}

#[tokio::test]
async fn a_change_against_a_stale_version_is_aborted() {
    let mut client = client().await;
    let created = registered(&mut client, "75310002").await;
    client
        .amend_profession(admin(amend(&created.id, 1, "First")))
        .await
        .unwrap();
    let stale = client
        .amend_profession(admin(amend(&created.id, 1, "Second")))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert!(stale.message().contains("version 2"), "{}", stale.message());
}

#[tokio::test]
async fn exclusion_and_reinstatement_follow_the_state_of_the_entry() {
    let mut client = client().await;
    let created = registered(&mut client, "75310003").await;
    let exclude = || pb::ExcludeProfessionRequest {
        effective_from: String::new(),
        id: created.id.clone(),
        request_id: String::new(),
        reason: "no longer practised".into(),
        basis: basis("20"),
        expected_version: 0,
    };
    let excluded = client
        .exclude_profession(admin(exclude()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(excluded.status, pb::ProfessionStatus::Excluded as i32);

    let again = client
        .exclude_profession(admin(exclude()))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert!(
        again.message().contains("already excluded"),
        "{}",
        again.message()
    );
    let amend_excluded = client
        .amend_profession(admin(amend(&created.id, 0, "X")))
        .await
        .unwrap_err();
    assert_eq!(amend_excluded.code(), Code::FailedPrecondition);
    assert!(
        amend_excluded.message().contains("reinstate"),
        "{}",
        amend_excluded.message()
    );

    let excluded_only = client
        .list_professions(pb::ListProfessionsRequest {
            status: pb::ProfessionStatus::Excluded as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(excluded_only.total_size, 1);

    let reinstate = pb::ReinstateProfessionRequest {
        effective_from: String::new(),
        id: created.id.clone(),
        request_id: String::new(),
        reason: "recommended again".into(),
        basis: basis("21"),
        expected_version: 2,
    };
    let reinstated = client
        .reinstate_profession(admin(reinstate))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (reinstated.status, reinstated.version),
        (pb::ProfessionStatus::Active as i32, 3)
    );
}

#[tokio::test]
async fn a_change_without_reason_or_basis_is_refused_naming_them() {
    let mut client = client().await;
    let created = registered(&mut client, "75310004").await;
    let mut request = amend(&created.id, 0, "Y");
    request.reason.clear();
    request.basis = None;
    let err = client.amend_profession(admin(request)).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("reason") && err.message().contains("basis.number"),
        "{}",
        err.message()
    );
    let missing = client
        .exclude_profession(admin(pb::ExcludeProfessionRequest {
            id: "0193f5f0-0000-7000-8000-000000000000".into(),
            reason: "r".into(),
            basis: basis("1"),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}

#[tokio::test]
async fn an_amendment_may_not_take_another_entrys_nkz_code() {
    let mut client = client().await;
    registered(&mut client, "75310005").await;
    let second = registered(&mut client, "75310006").await;
    let request = pb::AmendProfessionRequest {
        id: second.id,
        profession: Some(pb::Profession {
            nkz_code: "75310005".into(),
            ..Default::default()
        }),
        update_mask: vec!["nkz_code".into()],
        reason: "merge".into(),
        basis: basis("3"),
        ..Default::default()
    };
    let err = client.amend_profession(admin(request)).await.unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn an_amendment_takes_effect_on_the_day_its_order_names_and_reads_follow_it() {
    let mut client = client().await;
    let created = registered(&mut client, "75310009").await;
    let today = nsk_calendar::kazakhstan_date(chrono::Utc::now());
    let from = today + chrono::Days::new(10);
    let mut later = amend(&created.id, 1, "Garment maker");
    later.effective_from = from.to_string();
    let amended = client
        .amend_profession(admin(later))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(amended.version, 2);

    // Today the register in force is still version 1; from the named day, version 2.
    let now = client
        .get_profession(pb::GetProfessionRequest {
            id: created.id.clone(),
            as_of: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now.version, 1);
    assert_eq!(now.names.as_ref().unwrap().en, "Seamstress");
    let then = client
        .get_profession(pb::GetProfessionRequest {
            id: created.id.clone(),
            as_of: from.to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(then.version, 2);
    assert_eq!(then.names.as_ref().unwrap().en, "Garment maker");
    let listed = client
        .list_professions(pb::ListProfessionsRequest {
            nkz_code: "75310009".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.professions[0].version, 1,
        "the list shows what is in force"
    );
    let history = client
        .list_profession_history(pb::ListProfessionHistoryRequest {
            id: created.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        history.changes.last().unwrap().effective_from,
        from.to_string()
    );

    // Not retroactive, and not before the pending amendment.
    let mut back = amend(&created.id, 2, "Tailor");
    back.effective_from = (today - chrono::Days::new(1)).to_string();
    let refused = client.amend_profession(admin(back)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("effective_from"), "{refused:?}");
    let refused = client
        .exclude_profession(admin(pb::ExcludeProfessionRequest {
            id: created.id.clone(),
            request_id: String::new(),
            reason: "no longer needed".into(),
            basis: basis("16"),
            expected_version: 2,
            effective_from: String::new(),
        }))
        .await
        .unwrap_err();
    assert!(refused.message().contains(&from.to_string()), "{refused:?}");
}

#[tokio::test]
async fn a_search_by_name_counts_and_finds_an_entry_by_the_names_it_has_now() {
    let mut client = client().await;
    let renamed = registered(&mut client, "75310011").await;
    let kept = registered(&mut client, "75310012").await;
    let reader = client.clone();
    let search = async |name: &str, status: pb::ProfessionStatus| {
        let found = reader
            .clone()
            .list_professions(pb::ListProfessionsRequest {
                name: name.into(),
                status: status as i32,
                page_size: 20,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let ids: Vec<String> = found.professions.into_iter().map(|p| p.id).collect();
        (found.total_size, ids)
    };
    // By the name alone (counted in the narrow search table) and with a status beside it
    // (counted in the register itself): the same answers.
    for status in [
        pb::ProfessionStatus::Unspecified,
        pb::ProfessionStatus::Active,
    ] {
        assert_eq!(
            search("seamstress", status).await,
            (2, sorted([&renamed.id, &kept.id]))
        );
    }
    client
        .amend_profession(admin(amend(&renamed.id, 1, "Saddler")))
        .await
        .unwrap();
    client
        .amend_profession(admin(amend(&renamed.id, 2, "Upholsterer")))
        .await
        .unwrap();
    for status in [
        pb::ProfessionStatus::Unspecified,
        pb::ProfessionStatus::Active,
    ] {
        assert_eq!(
            search("SEAMSTRESS", status).await,
            (1, vec![kept.id.clone()])
        );
        assert_eq!(
            search("saddler", status).await,
            (0, vec![]),
            "a name the entry had"
        );
        assert_eq!(
            search("upholst", status).await,
            (1, vec![renamed.id.clone()])
        );
        assert_eq!(
            search("швея", status).await,
            (2, sorted([&renamed.id, &kept.id])),
            "the names not amended are still found"
        );
    }
}

fn sorted<const N: usize>(ids: [&String; N]) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().cloned().collect();
    ids.sort();
    ids
}

//! The approval of professional standards (Art. 5.5) through the gRPC API, against the real
//! PostgreSQL and broker.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_identity::Role;
use nsk_proto::nsk::common::v1::{BasisDocument, LocalizedText};
use nsk_proto::nsk::standards::v1 as pb;
use nsk_proto::nsk::standards::v1::standards_service_client::StandardsServiceClient;
use nsk_runtime::testing;
use pb::StandardStatus as S;
use prost::Name as _;
use tonic::transport::Channel;
use tonic::{Code, Request};

type Client = StandardsServiceClient<Channel>;

struct TestApp {
    client: Client,
    config: nsk_config::ServiceConfig,
}

async fn spawn_app(label: &str) -> TestApp {
    let (config, channel) = testing::spawn("standards", label, nsk_standards::build).await;
    TestApp {
        client: StandardsServiceClient::new(channel),
        config,
    }
}

fn as_role<T>(message: T, subject: &str, role: Role) -> Request<T> {
    testing::bearer(message, &testing::token(subject, &[role], None))
}

fn sectoral<T>(message: T) -> Request<T> {
    let token = testing::sector_token("ministry-of-industry", Role::SectoralBody, "Manufacturing");
    testing::bearer(message, &token)
}

fn council<T>(message: T) -> Request<T> {
    let token = testing::sector_token("metallurgy-council", Role::IndustryCouncil, "Manufacturing");
    testing::bearer(message, &token)
}

fn nce<T>(message: T) -> Request<T> {
    as_role(message, "nce-officer-1", Role::NceOfficer)
}

fn admin<T>(message: T) -> Request<T> {
    as_role(message, "mlsp-admin-1", Role::AuthorizedBodyAdmin)
}

fn document(number: &str) -> Option<BasisDocument> {
    Some(BasisDocument {
        number: number.into(),
        date: "2026-11-16".into(),
        title: "Letter".into(),
    })
}

fn welder() -> pb::Standard {
    pb::Standard {
        title: Some(LocalizedText {
            kk: "Дәнекерлеуші".into(),
            ru: "Сварщик".into(),
            en: "Welder".into(),
        }),
        sector: "Manufacturing".into(),
        nkz_codes: vec!["72120001".into()],
        nqf_levels: vec![3, 4],
        labour_functions: vec![pb::LabourFunction {
            title: "Manual arc welding".into(),
            knowledge: vec!["Welding safety".into()],
            skills: vec!["Weld butt joints".into(), "Read drawings".into()],
            competences: vec!["Works to the drawing".into()],
        }],
        work_experience_requirements: "One year as an assistant".into(),
        education_requirements: "Technical and vocational education".into(),
        non_formal_education_recognised: true,
        separately_recognisable_skills: vec!["Weld butt joints".into()],
        developer_kind: pb::DeveloperKind::SectoralBody as i32,
        developer_name: "Ministry of Industry".into(),
        ..Default::default()
    }
}

fn welder_request() -> pb::CreateStandardRequest {
    pb::CreateStandardRequest {
        request_id: String::new(),
        standard: Some(welder()),
    }
}

async fn create(client: &mut Client, standard: pb::Standard) -> pb::Standard {
    let request = pb::CreateStandardRequest {
        request_id: String::new(),
        standard: Some(standard),
    };
    client
        .create_standard(sectoral(request))
        .await
        .unwrap()
        .into_inner()
}

fn step(id: &str, to: S, number: &str) -> pb::AdvanceStandardRequest {
    pb::AdvanceStandardRequest {
        id: id.into(),
        request_id: String::new(),
        to: to as i32,
        document: document(number),
        remarks: String::new(),
        conclusion: if to == S::NceConclusionRecorded {
            pb::NceConclusion::Negative as i32
        } else {
            0
        },
    }
}

/// Takes the open version of `id` through every step from `from` to publication, each by the
/// party the law names.
async fn approve_from(client: &mut Client, id: &str, from: S) -> pb::Standard {
    let steps = [
        S::Submitted,
        S::NceConclusionRecorded,
        S::AgreedByIndustryCouncil,
        S::AgreedByAuthorizedBody,
        S::Approved,
        S::Published,
    ];
    let mut last = None;
    for to in steps.into_iter().skip_while(|s| *s != from) {
        let request = step(id, to, &format!("{}-{}", to as i32, id.len()));
        let reply = match to {
            S::NceConclusionRecorded => client.advance_standard(nce(request)).await,
            S::AgreedByAuthorizedBody | S::Published => {
                client.advance_standard(admin(request)).await
            }
            S::AgreedByIndustryCouncil => client.advance_standard(council(request)).await,
            _ => client.advance_standard(sectoral(request)).await,
        };
        let standard = reply
            .unwrap_or_else(|s| panic!("{to:?}: {s:?}"))
            .into_inner();
        assert_eq!(standard.status, to as i32);
        last = Some(standard);
    }
    last.unwrap()
}

fn get(id: &str, version: i32) -> pb::GetStandardRequest {
    pb::GetStandardRequest {
        id: id.into(),
        version,
    }
}

#[tokio::test]
async fn the_whole_approval_records_each_step_and_publishes_the_standard() {
    let mut app = spawn_app("std").await;
    let created = create(&mut app.client, welder()).await;
    assert_eq!(created.status, S::Draft as i32);
    assert_eq!(created.version, 1);
    let published = approve_from(&mut app.client, &created.id, S::Submitted).await;
    assert_eq!(published.status, S::Published as i32);

    // One row for the draft, then one per step: who, in which role, on which document.
    let steps = &published.steps;
    assert_eq!(steps.len(), 7, "{steps:?}");
    let roles: Vec<&str> = steps
        .iter()
        .map(|s| s.stamp.as_ref().unwrap().actor_role.as_str())
        .collect();
    assert_eq!(
        roles,
        [
            "sectoral-body",
            "sectoral-body",
            "nce-officer",
            "industry-council",
            "authorized-body-admin",
            "sectoral-body",
            "authorized-body-admin"
        ]
    );
    let conclusion = &steps[2];
    assert_eq!(conclusion.reached, S::NceConclusionRecorded as i32);
    assert_eq!(conclusion.conclusion, pb::NceConclusion::Negative as i32);
    assert_eq!(conclusion.stamp.as_ref().unwrap().actor, "nce-officer-1");
    assert_eq!(conclusion.document.as_ref().unwrap().date, "2026-11-16");

    // The list of approved standards is public: no token needed.
    let public = app
        .client
        .get_standard(get(&created.id, 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(public, published);
    let list = app
        .client
        .list_standards(pb::ListStandardsRequest {
            nkz_code: "72120001".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.standards, [published]);
}

#[tokio::test]
async fn a_negative_nce_conclusion_does_not_block_approval() {
    let mut app = spawn_app("stdneg").await;
    let created = create(&mut app.client, welder()).await;
    // approve_from records a NEGATIVE conclusion; approval goes on regardless (Art. 5.5).
    let published = approve_from(&mut app.client, &created.id, S::Submitted).await;
    assert_eq!(published.status, S::Published as i32);
}

#[tokio::test]
async fn each_step_belongs_to_its_party_and_comes_in_its_order() {
    let mut app = spawn_app("stdord").await;
    let created = create(&mut app.client, welder()).await;

    // The NCE does not submit drafts.
    let denied = app
        .client
        .advance_standard(nce(step(&created.id, S::Submitted, "1")))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    assert!(denied.message().contains("sectoral-body"), "{denied:?}");

    // Approval straight from the draft skips the coordination the law requires.
    let refused = app
        .client
        .advance_standard(sectoral(step(&created.id, S::Approved, "2")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("is draft"), "{refused:?}");
    assert!(refused.message().contains("Art. 5.5"), "{refused:?}");

    // A step without its document is refused naming the field.
    let mut no_document = step(&created.id, S::Submitted, "3");
    no_document.document = None;
    let invalid = app
        .client
        .advance_standard(sectoral(no_document))
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument);
    let details = tonic_types::StatusExt::get_error_details(&invalid);
    let fields: Vec<&str> = details
        .bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, ["document.number", "document.date"]);

    // Recording the NCE conclusion needs the conclusion.
    app.client
        .advance_standard(sectoral(step(&created.id, S::Submitted, "4")))
        .await
        .unwrap();
    let mut without = step(&created.id, S::NceConclusionRecorded, "5");
    without.conclusion = 0;
    let invalid = app.client.advance_standard(nce(without)).await.unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument);
    assert!(invalid.message().contains("conclusion"), "{invalid:?}");
}

#[tokio::test]
async fn an_incomplete_draft_cannot_be_submitted_and_names_what_it_lacks() {
    let mut app = spawn_app("stdinc").await;
    let bare = pb::Standard {
        title: welder().title,
        developer_kind: pb::DeveloperKind::EmployersAssociation as i32,
        developer_name: "Association of welders".into(),
        ..Default::default()
    };
    let created = create(&mut app.client, bare).await;
    let refused = app
        .client
        .advance_standard(sectoral(step(&created.id, S::Submitted, "1")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("labour_functions"),
        "{refused:?}"
    );
    assert!(refused.message().contains("Art. 1.14"), "{refused:?}");

    // Completing it with an update (whole content) lets it go.
    let updated = app
        .client
        .update_draft(sectoral(pb::UpdateDraftRequest {
            id: created.id.clone(),
            request_id: String::new(),
            standard: Some(welder()),
            update_mask: vec![],
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.labour_functions.len(), 1);
    app.client
        .advance_standard(sectoral(step(&created.id, S::Submitted, "2")))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_malformed_standard_is_refused_naming_every_field() {
    let mut app = spawn_app("stdbad").await;
    let mut bad = welder();
    bad.nkz_codes = vec!["7212".into()];
    bad.nqf_levels = vec![9];
    bad.separately_recognisable_skills = vec!["Juggling".into()];
    bad.developer_kind = 0;
    let err = app
        .client
        .create_standard(sectoral(pb::CreateStandardRequest {
            request_id: String::new(),
            standard: Some(bad),
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let details = tonic_types::StatusExt::get_error_details(&err);
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
            "standard.nkz_codes[0]",
            "standard.nqf_levels[0]",
            "standard.separately_recognisable_skills[0]",
            "standard.developer_kind"
        ]
    );
    // Only the sectoral body starts a standard.
    let denied = app
        .client
        .create_standard(nce(pb::CreateStandardRequest {
            request_id: String::new(),
            standard: Some(welder()),
        }))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn drafts_are_visible_only_to_those_who_work_on_standards() {
    let mut app = spawn_app("stdvis").await;
    let created = create(&mut app.client, welder()).await;

    let hidden = app
        .client
        .get_standard(get(&created.id, 0))
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    let public = app
        .client
        .list_standards(pb::ListStandardsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(public.standards.is_empty(), "{public:?}");
    let asked = app
        .client
        .list_standards(pb::ListStandardsRequest {
            status: S::Draft as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(asked.code(), Code::Unauthenticated);

    for request in [
        nce(get(&created.id, 0)),
        admin(get(&created.id, 0)),
        sectoral(get(&created.id, 1)),
    ] {
        let seen = app.client.get_standard(request).await.unwrap().into_inner();
        assert_eq!(seen.status, S::Draft as i32);
    }
}

#[tokio::test]
async fn a_return_for_rework_goes_back_to_draft_with_remarks_and_coordination_starts_again() {
    let mut app = spawn_app("stdret").await;
    let created = create(&mut app.client, welder()).await;
    let id = created.id.clone();
    for (to, request) in [
        (S::Submitted, sectoral(step(&id, S::Submitted, "1"))),
        (
            S::NceConclusionRecorded,
            nce(step(&id, S::NceConclusionRecorded, "2")),
        ),
        (
            S::AgreedByIndustryCouncil,
            council(step(&id, S::AgreedByIndustryCouncil, "3")),
        ),
    ] {
        let reached = app
            .client
            .advance_standard(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reached.status, to as i32);
    }
    let rework = |remarks: &str| pb::ReturnForReworkRequest {
        id: id.clone(),
        request_id: String::new(),
        remarks: remarks.into(),
        document: document("R-1"),
    };
    // The NCE's conclusion is advisory: it cannot send a draft back.
    let denied = app
        .client
        .return_for_rework(nce(rework("no")))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let blank = app
        .client
        .return_for_rework(admin(rework(" ")))
        .await
        .unwrap_err();
    assert_eq!(blank.code(), Code::InvalidArgument);

    // The authorized body, whose agreement is next, returns it.
    let returned = app
        .client
        .return_for_rework(admin(rework("Labour function 2 is missing")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(returned.status, S::Draft as i32);
    let last = returned.steps.last().unwrap();
    assert!(last.returned_for_rework);
    assert_eq!(last.remarks, "Labour function 2 is missing");
    assert_eq!(
        last.stamp.as_ref().unwrap().actor_role,
        "authorized-body-admin"
    );

    // A draft cannot be returned; after rework it goes through every stage again.
    let again = app
        .client
        .return_for_rework(admin(rework("again")))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    let skip = app
        .client
        .advance_standard(council(step(&id, S::AgreedByIndustryCouncil, "4")))
        .await
        .unwrap_err();
    assert_eq!(skip.code(), Code::FailedPrecondition);
    let published = approve_from(&mut app.client, &id, S::Submitted).await;
    assert_eq!(published.steps.len(), 1 + 3 + 1 + 6);
}

#[tokio::test]
async fn a_new_version_supersedes_the_old_one_which_stays_readable_with_a_diff() {
    let mut app = spawn_app("stdver").await;
    let created = create(&mut app.client, welder()).await;
    let id = created.id.clone();
    approve_from(&mut app.client, &id, S::Submitted).await;

    let open = |reason: &str| pb::OpenNewVersionRequest {
        id: id.clone(),
        request_id: String::new(),
        reason: reason.into(),
    };
    let v2 = app
        .client
        .open_new_version(sectoral(open("new welding methods")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((v2.version, v2.status), (2, S::Draft as i32));
    assert!(v2.steps[0].remarks.contains("new welding methods"));
    let twice = app
        .client
        .open_new_version(sectoral(open("again")))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
    assert!(
        twice.message().contains("version 2 is already open"),
        "{twice:?}"
    );

    // While v2 is drafted, the public still reads v1.
    let public = app
        .client
        .get_standard(get(&id, 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(public.version, 1);

    let mut change = welder();
    change.nqf_levels = vec![3, 4, 5];
    change.title.as_mut().unwrap().en = "Welder (arc and gas)".into();
    let updated = app
        .client
        .update_draft(sectoral(pb::UpdateDraftRequest {
            id: id.clone(),
            request_id: String::new(),
            standard: Some(change),
            update_mask: vec!["nqfLevels".into(), "title.en".into()],
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.nqf_levels, [3, 4, 5]);
    assert_eq!(updated.title.as_ref().unwrap().ru, "Сварщик");
    let v2 = approve_from(&mut app.client, &id, S::Submitted).await;
    assert_eq!(v2.version, 2);

    let v1 = app
        .client
        .get_standard(get(&id, 1))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v1.status, S::Superseded as i32);
    let public = app
        .client
        .get_standard(get(&id, 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(public.version, 2);

    let diff = app
        .client
        .diff_versions(pb::DiffVersionsRequest {
            id: id.clone(),
            from_version: 1,
            to_version: 2,
        })
        .await
        .unwrap()
        .into_inner();
    let fields: Vec<(&str, &str, &str)> = diff
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.before.as_str(), f.after.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("title.en", "Welder", "Welder (arc and gas)"),
            ("nqf_levels", "3; 4", "3; 4; 5")
        ]
    );

    // The topic carries the publication of v2 and the supersession of v1, in that order.
    // v1: created, six steps, published; v2: created, updated, six steps, published, superseded.
    let types = event_types(&app.config, 8 + 10).await;
    let published_v2 = types
        .iter()
        .rposition(|t| t == &pb::StandardPublished::full_name())
        .unwrap();
    assert_eq!(types[published_v2 + 1], pb::StandardSuperseded::full_name());
}

/// The type names of the first `count` events on the standards topic.
async fn event_types(config: &nsk_config::ServiceConfig, count: usize) -> Vec<String> {
    testing::read_events(config, "standards", count)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

#[tokio::test]
async fn archiving_a_draft_is_for_its_developer_and_withdrawal_for_the_authorized_body() {
    let mut app = spawn_app("stdarc").await;
    let draft = create(&mut app.client, welder()).await;
    let archive = |id: &str, doc: Option<BasisDocument>| pb::ArchiveStandardRequest {
        id: id.into(),
        request_id: String::new(),
        reason: "abandoned".into(),
        version: 0,
        document: doc,
    };
    let archived = app
        .client
        .archive_standard(sectoral(archive(&draft.id, None)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(archived.status, S::Archived as i32);

    let other = create(&mut app.client, welder()).await;
    approve_from(&mut app.client, &other.id, S::Submitted).await;
    let denied = app
        .client
        .archive_standard(sectoral(archive(&other.id, document("W-1"))))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    let no_document = app
        .client
        .archive_standard(admin(archive(&other.id, None)))
        .await
        .unwrap_err();
    assert_eq!(no_document.code(), Code::InvalidArgument);
    let withdrawn = app
        .client
        .archive_standard(admin(archive(&other.id, document("W-1"))))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(withdrawn.status, S::Archived as i32);
}

#[tokio::test]
async fn a_retried_request_is_applied_once() {
    let mut app = spawn_app("stdretry").await;
    let request = || pb::CreateStandardRequest {
        request_id: "create-welder-1".into(),
        standard: Some(welder()),
    };
    let first = app
        .client
        .create_standard(sectoral(request()))
        .await
        .unwrap()
        .into_inner();
    let second = app
        .client
        .create_standard(sectoral(request()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, second);

    let mut submit = step(&first.id, S::Submitted, "1");
    submit.request_id = "submit-welder-1".into();
    app.client
        .advance_standard(sectoral(submit.clone()))
        .await
        .unwrap();
    let again = app
        .client
        .advance_standard(sectoral(submit))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.status, S::Submitted as i32);
    assert_eq!(again.steps.len(), 2, "one creation and one submission");

    // The same caller's request id for another method is a mistake, not a replay.
    let mut reused = step(&first.id, S::Submitted, "1");
    reused.request_id = "create-welder-1".into();
    let err = app
        .client
        .advance_standard(sectoral(reused))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    assert!(err.message().contains("CreateStandard"), "{err:?}");

    // So is the same id for the same method with other content.
    let mut changed = step(&first.id, S::Submitted, "other letter");
    changed.request_id = "submit-welder-1".into();
    let err = app
        .client
        .advance_standard(sectoral(changed))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    assert!(err.message().contains("different content"), "{err:?}");

    // Another party's request id is its own, whatever its spelling: the NCE's conclusion with
    // the developer's id is recorded, not taken for the developer's call.
    let mut theirs = step(&first.id, S::NceConclusionRecorded, "2");
    theirs.request_id = "create-welder-1".into();
    let concluded = app
        .client
        .advance_standard(nce(theirs))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(concluded.status, S::NceConclusionRecorded as i32);
    assert_eq!(concluded.steps.len(), 3);
}

#[tokio::test]
async fn a_sectoral_body_and_its_council_act_for_their_own_sector_and_each_in_its_own_part_art_5_5()
{
    let mut app = spawn_app("stdsector").await;
    let created = create(&mut app.client, welder()).await;
    let id = created.id.clone();
    let agriculture =
        testing::sector_token("ministry-of-agriculture", Role::SectoralBody, "Agriculture");
    // Another ministry neither rewrites nor submits this ministry's draft.
    let mut rewrite = pb::UpdateDraftRequest {
        id: id.clone(),
        request_id: String::new(),
        standard: Some(welder()),
        update_mask: vec!["sector".into()],
    };
    let refused = app
        .client
        .update_draft(testing::bearer(rewrite.clone(), &agriculture))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("Manufacturing"), "{refused:?}");
    let refused = app
        .client
        .advance_standard(testing::bearer(step(&id, S::Submitted, "1"), &agriculture))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    // Nor may the owner move its draft into another sector.
    rewrite.standard.as_mut().unwrap().sector = "Agriculture".into();
    let refused = app
        .client
        .update_draft(sectoral(rewrite))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    // A sectoral body's token that names no sector acts for none.
    let no_sector = as_role(welder_request(), "ministry-x", Role::SectoralBody);
    let refused = app.client.create_standard(no_sector).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");

    app.client
        .advance_standard(sectoral(step(&id, S::Submitted, "1")))
        .await
        .unwrap();
    app.client
        .advance_standard(nce(step(&id, S::NceConclusionRecorded, "2")))
        .await
        .unwrap();
    // The council agrees; the sectoral body cannot record the council's agreement itself.
    let refused = app
        .client
        .advance_standard(sectoral(step(&id, S::AgreedByIndustryCouncil, "3")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(
        refused.message().contains("industry-council"),
        "{refused:?}"
    );
    // Nor does another sector's council.
    let other_council = testing::sector_token("agro-council", Role::IndustryCouncil, "Agriculture");
    let refused = app
        .client
        .advance_standard(testing::bearer(
            step(&id, S::AgreedByIndustryCouncil, "3"),
            &other_council,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    let agreed = app
        .client
        .advance_standard(council(step(&id, S::AgreedByIndustryCouncil, "3")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(agreed.status, S::AgreedByIndustryCouncil as i32);
    let stamp = agreed.steps.last().unwrap().stamp.clone().unwrap();
    assert_eq!(
        (stamp.actor.as_str(), stamp.actor_role.as_str()),
        ("metallurgy-council", "industry-council")
    );
}

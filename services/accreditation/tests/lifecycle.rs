//! The accreditation of a recognition center through the gRPC API, against the real PostgreSQL
//! and broker: application, examinations, decision, certificate, agreement; refusal and its
//! deadline; revocation, renewal, reissue, re-accreditation; expiry by the scheduled job.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::{Duration, Instant};

use nsk_config::ServiceConfig;
use nsk_identity::Role;
use nsk_proto::nsk::accreditation::v1 as pb;
use nsk_proto::nsk::accreditation::v1::accreditation_service_client::AccreditationServiceClient;
use nsk_proto::nsk::common::v1::BasisDocument;
use nsk_proto::nsk::documents::v1 as documents;
use nsk_proto::nsk::events::v1::EventEnvelope;
use nsk_proto::nsk::professions::v1 as professions;
use nsk_runtime::testing::{bearer, publish, token};
use prost::{Message as _, Name as _};
use tonic::transport::Channel;
use tonic::{Code, Request};

type Client = AccreditationServiceClient<Channel>;

const BIN: &str = "971240001315";
const SUCCESSOR_BIN: &str = "940140000385";

struct TestApp {
    client: Client,
    config: ServiceConfig,
    profession_id: String,
}

/// The service, with one profession (levels 3 and 4) in the register it hears.
async fn spawn_app(label: &str) -> TestApp {
    let (config, channel) =
        nsk_runtime::testing::spawn("accreditation", label, nsk_accreditation::build).await;
    let profession_id = uuid::Uuid::now_v7().to_string();
    publish_profession(&config, &profession_id).await;
    TestApp {
        client: AccreditationServiceClient::new(channel),
        config,
        profession_id,
    }
}

/// The registry of documents announces a document of center `center`.
async fn publish_document(
    config: &ServiceConfig,
    serial: &str,
    center: &str,
    issue_date: &str,
    late: bool,
) {
    let event = documents::DocumentIssued {
        document_id: uuid::Uuid::now_v7().to_string(),
        serial_number: serial.into(),
        profession_id: uuid::Uuid::now_v7().to_string(),
        nqf_level: 4,
        center_number: center.into(),
        issue_date: issue_date.into(),
        valid_until: "2031-11-20".into(),
        procedure_date: issue_date.into(),
        issued_late: late,
        ..Default::default()
    };
    publish(config, "documents", serial, &event).await;
}

/// Waits until the service has heard of `n` documents.
async fn until_heard(config: &ServiceConfig, n: i64) {
    let pool = pool_of(config).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let heard: i64 = sqlx::query_scalar("SELECT count(*) FROM issued_documents")
            .fetch_one(&pool)
            .await
            .unwrap();
        if heard >= n {
            return;
        }
        assert!(Instant::now() < deadline, "heard {heard} of {n} documents");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn publish_profession(config: &ServiceConfig, id: &str) {
    let event = professions::ProfessionRegistered {
        profession: Some(professions::Profession {
            id: id.into(),
            nqf_levels: vec![3, 4],
            status: professions::ProfessionStatus::Active as i32,
            version: 1,
            ..Default::default()
        }),
        effective_from: "2026-11-01".into(),
    };
    publish(config, "professions", id, &event).await;
}

fn officer<T>(message: T) -> Request<T> {
    bearer(message, &token("nce-officer-7", &[Role::NceOfficer], None))
}

fn document(number: &str, date: &str) -> Option<BasisDocument> {
    Some(BasisDocument {
        number: number.into(),
        date: date.into(),
        title: String::new(),
    })
}

fn today() -> String {
    nsk_calendar::kazakhstan_date(chrono::Utc::now()).to_string()
}

fn application(profession_id: &str) -> pb::Application {
    pb::Application {
        applicant_bin: BIN.into(),
        applicant_name: "Welding Qualification Center LLP".into(),
        founders: vec!["Steel Union LLP".into(), "A. Seitkali".into()],
        premises_right: pb::PremisesRight::TemporaryPossession as i32,
        requested_scope: vec![pb::ScopeEntry {
            profession_id: profession_id.into(),
            nqf_levels: vec![3, 4],
        }],
        evidence: [
            "legal_entity",
            "premises_and_equipment",
            "qualification_programmes",
            "qualified_staff",
        ]
        .iter()
        .map(|c| pb::CriterionEvidence {
            criterion: c.to_string(),
            description: format!("{c}: documents attached"),
            document_refs: vec![format!("{c}.pdf")],
        })
        .collect(),
        ..Default::default()
    }
}

/// Files an application, waiting until the service has heard of the profession.
async fn file(app: &mut TestApp, form: pb::Application) -> pb::Application {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let request = pb::CreateApplicationRequest {
            request_id: String::new(),
            application: Some(form.clone()),
        };
        match app.client.create_application(officer(request)).await {
            Ok(reply) => return reply.into_inner(),
            Err(status)
                if Instant::now() < deadline
                    && status.code() == Code::InvalidArgument
                    && status.message().contains("not in the register") =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(status) => panic!("the application was not accepted: {status:?}"),
        }
    }
}

fn report(unmet: &[&str]) -> Vec<pb::CriterionAssessment> {
    [
        "legal_entity",
        "premises_and_equipment",
        "professions_in_register",
        "qualification_programmes",
        "qualified_staff",
    ]
    .iter()
    .map(|c| pb::CriterionAssessment {
        criterion: c.to_string(),
        met: !unmet.contains(c),
        reasoning: format!("{c}: seen on site"),
    })
    .collect()
}

async fn examine(client: &mut Client, id: &str) {
    for on_site in [false, true] {
        client
            .record_examination(officer(pb::RecordExaminationRequest {
                id: id.into(),
                on_site,
                examiner: "B. Nurlanov".into(),
                assessments: if on_site { report(&[]) } else { vec![] },
                ..Default::default()
            }))
            .await
            .unwrap();
    }
}

async fn decide(
    client: &mut Client,
    id: &str,
    accredit: bool,
    decided_on: &str,
) -> pb::Application {
    client
        .decide_application(officer(pb::DecideApplicationRequest {
            id: id.into(),
            accredit,
            reasons: if accredit {
                String::new()
            } else {
                "Qualified staff insufficient".into()
            },
            authorized_body_coordination: document("MLSP-77", decided_on),
            decided_on: decided_on.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

/// An application taken to an issued certificate.
async fn accredited(app: &mut TestApp, form: pb::Application) -> pb::Certificate {
    let filed = file(app, form).await;
    examine(&mut app.client, &filed.id).await;
    decide(&mut app.client, &filed.id, true, &today()).await;
    app.client
        .issue_certificate(officer(pb::IssueCertificateRequest {
            id: filed.id.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_center_goes_from_application_through_the_stages_to_certificate_and_agreement() {
    let mut app = spawn_app("acc").await;
    let profession_id = app.profession_id.clone();
    let filed = file(&mut app, application(&profession_id)).await;
    assert_eq!(filed.stage, pb::ApplicationStage::Accepted as i32);
    assert_eq!(filed.filed_on, today());
    examine(&mut app.client, &filed.id).await;
    let decided = decide(&mut app.client, &filed.id, true, &today()).await;
    assert_eq!(decided.stage, pb::ApplicationStage::Accredited as i32);
    // Art. 25.2: the certificate is due within 10 working days of the decision.
    let due = &decided.deadlines[0];
    assert_eq!(due.article, "Art. 25.2");
    assert_eq!(decided.due_date, due.due_date);
    assert!(!due.late);

    let certificate = app
        .client
        .issue_certificate(officer(pb::IssueCertificateRequest {
            id: filed.id.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(certificate.center_number, "0001");
    assert_eq!(
        certificate.serial_number,
        format!("0001-{}-001", &today()[..4])
    );
    assert_eq!(certificate.status, pb::CertificateStatus::Active as i32);
    assert_eq!(certificate.valid_from, today());
    let from = chrono::NaiveDate::parse_from_str(&certificate.valid_from, "%Y-%m-%d").unwrap();
    let until = chrono::NaiveDate::parse_from_str(&certificate.valid_until, "%Y-%m-%d").unwrap();
    assert_eq!(
        until,
        from.checked_add_months(chrono::Months::new(36)).unwrap(),
        "three years, through the corresponding day"
    );
    assert_eq!(certificate.scope[0].nqf_levels, [3, 4]);

    let concluded = app
        .client
        .conclude_agreement(officer(pb::ConcludeAgreementRequest {
            id: filed.id.clone(),
            request_id: String::new(),
            agreement: document("PA-1", &today()),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        concluded.stage,
        pb::ApplicationStage::AgreementConcluded as i32
    );
    let whats: Vec<&str> = concluded.history.iter().map(|s| s.what.as_str()).collect();
    assert_eq!(whats.len(), 6, "{whats:?}");
    assert!(whats[2].contains("on site by B. Nurlanov"), "{whats:?}");
    assert_eq!(
        concluded.history[3].stamp.as_ref().unwrap().actor,
        "nce-officer-7"
    );
    assert!(concluded
        .deadlines
        .iter()
        .all(|d| !d.met_on.is_empty() && !d.late));

    // The public register, without a token.
    let center = app
        .client
        .get_center(pb::GetCenterRequest {
            center_number: "0001".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(center.status, pb::CertificateStatus::Active as i32);
    assert_eq!(center.certificates.len(), 1);
    assert!(
        center.founders.is_empty(),
        "founders are published only for centers not subject to renewal"
    );
}

#[tokio::test]
async fn what_the_law_forbids_is_refused_naming_the_rule() {
    let mut app = spawn_app("accno").await;
    let profession_id = app.profession_id.clone();

    // Art. 24.2: not at an educational institution.
    let mut at_college = application(&profession_id);
    at_college.at_educational_institution = true;
    let refused = app
        .client
        .create_application(officer(pb::CreateApplicationRequest {
            request_id: String::new(),
            application: Some(at_college),
        }))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("Art. 24.2"), "{refused:?}");

    // Art. 24.1.3: a profession the register does not have.
    let unknown = application(&uuid::Uuid::now_v7().to_string());
    let refused = app
        .client
        .create_application(officer(pb::CreateApplicationRequest {
            request_id: String::new(),
            application: Some(unknown),
        }))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let details = tonic_types::StatusExt::get_error_details(&refused);
    assert_eq!(
        details.bad_request().unwrap().field_violations[0].field,
        "application.requested_scope[0].profession_id"
    );

    // Stages in order, each refusal naming the stage and the article.
    let filed = file(&mut app, application(&profession_id)).await;
    let early = app
        .client
        .decide_application(officer(pb::DecideApplicationRequest {
            id: filed.id.clone(),
            accredit: true,
            authorized_body_coordination: document("MLSP-1", &today()),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition);
    assert!(
        early.message().contains("awaiting examination"),
        "{early:?}"
    );
    assert!(early.message().contains("Art. 25.1"), "{early:?}");

    // Accreditation with a criterion not met is refused; a refusal is not.
    app.client
        .record_examination(officer(pb::RecordExaminationRequest {
            id: filed.id.clone(),
            examiner: "B. Nurlanov".into(),
            ..Default::default()
        }))
        .await
        .unwrap();
    let incomplete = app
        .client
        .record_examination(officer(pb::RecordExaminationRequest {
            id: filed.id.clone(),
            on_site: true,
            examiner: "B. Nurlanov".into(),
            assessments: report(&[])[..3].to_vec(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        incomplete.code(),
        Code::InvalidArgument,
        "the report must assess every criterion"
    );
    app.client
        .record_examination(officer(pb::RecordExaminationRequest {
            id: filed.id.clone(),
            on_site: true,
            examiner: "B. Nurlanov".into(),
            assessments: report(&["qualified_staff"]),
            ..Default::default()
        }))
        .await
        .unwrap();
    let unmet = app
        .client
        .decide_application(officer(pb::DecideApplicationRequest {
            id: filed.id.clone(),
            accredit: true,
            authorized_body_coordination: document("MLSP-2", &today()),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(unmet.code(), Code::FailedPrecondition);
    assert!(unmet.message().contains("qualified_staff"), "{unmet:?}");
    let no_coordination = app
        .client
        .decide_application(officer(pb::DecideApplicationRequest {
            id: filed.id.clone(),
            accredit: false,
            reasons: "staff".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(
        no_coordination.code(),
        Code::InvalidArgument,
        "Art. 25.1 needs the coordination"
    );
}

#[tokio::test]
async fn a_refusal_owes_its_reasons_within_five_working_days_and_shows_overdue() {
    let mut app = spawn_app("accref").await;
    let profession_id = app.profession_id.clone();
    let filed = file(&mut app, application(&profession_id)).await;
    examine(&mut app.client, &filed.id).await;
    let decided = decide(&mut app.client, &filed.id, false, &today()).await;
    assert_eq!(decided.stage, pb::ApplicationStage::Refused as i32);
    let due = chrono::NaiveDate::parse_from_str(&decided.due_date, "%Y-%m-%d").unwrap();
    assert_eq!(decided.deadlines[0].article, "Art. 25.4");

    // The day after the due date, the case is on the officers' overdue list.
    let after = due.succ_opt().unwrap();
    let overdue = app
        .client
        .list_overdue_cases(officer(pb::ListOverdueCasesRequest {
            as_of: after.to_string(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overdue.cases.len(), 1, "{overdue:?}");
    assert_eq!(overdue.cases[0].case_id, filed.id);
    assert_eq!(overdue.cases[0].article, "Art. 25.4");
    let on_time = app
        .client
        .list_overdue_cases(officer(pb::ListOverdueCasesRequest {
            as_of: due.to_string(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(on_time.cases.is_empty(), "due today is not overdue");

    let sent = app
        .client
        .record_refusal_sent(officer(pb::RecordRefusalSentRequest {
            id: filed.id.clone(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sent.stage, pb::ApplicationStage::ReasonsSent as i32);
    let overdue = app
        .client
        .list_overdue_cases(officer(pb::ListOverdueCasesRequest {
            as_of: after.to_string(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(overdue.cases.is_empty());
    // Only officers see cases.
    let public = app
        .client
        .list_overdue_cases(pb::ListOverdueCasesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(public.code(), Code::Unauthenticated);
}

fn revoke(
    id: &str,
    ground: pb::RevocationGround,
    documents: &[&str],
    safety: bool,
) -> pb::RevokeCertificateRequest {
    pb::RevokeCertificateRequest {
        id: id.into(),
        request_id: String::new(),
        ground: ground as i32,
        basis: document("NCE-R-5", &today()),
        document_serial_numbers: documents.iter().map(|d| d.to_string()).collect(),
        concerns_health_or_safety: safety,
        event_detected_on: today(),
        decided_on: String::new(),
    }
}

#[tokio::test]
async fn revocation_on_ground_4_names_the_documents_and_a_safety_violation_bars_renewal() {
    let mut app = spawn_app("accrev").await;
    let profession_id = app.profession_id.clone();
    let certificate = accredited(&mut app, application(&profession_id)).await;

    let no_documents = app
        .client
        .revoke_certificate(officer(revoke(
            &certificate.id,
            pb::RevocationGround::ConfirmedComplaints,
            &[],
            true,
        )))
        .await
        .unwrap_err();
    assert_eq!(no_documents.code(), Code::InvalidArgument);
    assert!(
        no_documents.message().contains("Art. 26.2.4"),
        "{no_documents:?}"
    );

    let serial = "25110-72120001-4-201126-0001-00000001";
    publish_document(&app.config, serial, "0001", &today(), false).await;
    until_heard(&app.config, 1).await;
    let revoked = app
        .client
        .revoke_certificate(officer(revoke(
            &certificate.id,
            pb::RevocationGround::ConfirmedComplaints,
            &[serial],
            true,
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(revoked.status, pb::CertificateStatus::Revoked as i32);
    assert_eq!(
        revoked.revocation.as_ref().unwrap().document_serial_numbers,
        [serial]
    );
    // Art. 26.3 met on the day; Art. 26.4 met too: the copy was delivered via the platform.
    let articles: Vec<(&str, &str, bool)> = revoked
        .deadlines
        .iter()
        .map(|d| (d.article.as_str(), d.met_on.as_str(), d.late))
        .collect();
    assert_eq!(
        articles,
        [
            ("Art. 26.3", today().as_str(), false),
            ("Art. 26.4", today().as_str(), false)
        ]
    );

    let renewal = app
        .client
        .renew_certificate(officer(pb::RenewCertificateRequest {
            id: certificate.id.clone(),
            request_id: String::new(),
            basis: document("C-9", &today()),
        }))
        .await
        .unwrap_err();
    assert_eq!(renewal.code(), Code::FailedPrecondition);
    assert!(
        renewal.message().contains("not subject to renewal"),
        "{renewal:?}"
    );

    let listed = app
        .client
        .list_centers(pb::ListCentersRequest {
            not_renewable_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.centers.len(), 1);
    assert!(listed.centers[0].not_renewable);
    assert_eq!(
        listed.centers[0].founders,
        ["Steel Union LLP", "A. Seitkali"]
    );

    // Art. 26.4: the center reads the copy with its own credentials; another center cannot.
    let notices = |center: &str| {
        let request = pb::ListNoticesRequest {
            center_number: "0001".into(),
        };
        let center_token = token(
            &format!("center-{center}-system"),
            &[Role::RecognitionCenter],
            Some(center),
        );
        bearer(request, &center_token)
    };
    let read = app
        .client
        .list_notices(notices("0001"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.notices.len(), 1);
    let notice = &read.notices[0];
    assert_eq!(notice.kind, pb::NoticeKind::Revocation as i32);
    assert_eq!(notice.delivered_on, today());
    assert_eq!(notice.certificate_serial_number, certificate.serial_number);
    assert!(
        notice.text.contains("ground 4 (Art. 26.2.4)"),
        "{}",
        notice.text
    );
    assert!(notice.text.contains(serial), "{}", notice.text);
    assert!(
        notice.first_read_at.is_empty(),
        "the first read is this one"
    );
    let again = app
        .client
        .list_notices(notices("0001"))
        .await
        .unwrap()
        .into_inner();
    assert!(!again.notices[0].first_read_at.is_empty());
    let other = app.client.list_notices(notices("0002")).await.unwrap_err();
    assert_eq!(other.code(), Code::PermissionDenied);
    let anonymous = app
        .client
        .list_notices(pb::ListNoticesRequest {
            center_number: "0001".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);

    // The event names the documents, for the registry to cancel them.
    let pool = pool_of(&app.config).await;
    let payloads: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT envelope FROM outbox_events WHERE event_type = $1")
            .bind(pb::CertificateRevoked::full_name())
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(payloads.len(), 1);
    let envelope = EventEnvelope::decode(payloads[0].as_slice()).unwrap();
    let event = pb::CertificateRevoked::decode(envelope.payload.as_slice()).unwrap();
    assert_eq!(event.document_serial_numbers, [serial]);
    // The center's events are numbered in the order they committed: issued 1, revoked 2.
    let center_events: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT envelope FROM outbox_events WHERE message_key = $1 ORDER BY seq",
    )
    .bind(&envelope.aggregate_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let versions: Vec<i64> = center_events
        .iter()
        .map(|bytes| {
            EventEnvelope::decode(bytes.as_slice())
                .unwrap()
                .aggregate_version
        })
        .collect();
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
    assert_eq!(envelope.aggregate_version, versions.len() as i64);
    assert_eq!(
        event.ground,
        pb::RevocationGround::ConfirmedComplaints as i32
    );
    assert_eq!(envelope.aggregate_id, "0001");
}

#[tokio::test]
async fn a_certificate_revoked_for_a_procedure_violation_is_renewed() {
    let mut app = spawn_app("accren").await;
    let profession_id = app.profession_id.clone();
    let certificate = accredited(&mut app, application(&profession_id)).await;
    app.client
        .revoke_certificate(officer(revoke(
            &certificate.id,
            pb::RevocationGround::ProcedureViolation,
            &[],
            false,
        )))
        .await
        .unwrap();
    let again = app
        .client
        .revoke_certificate(officer(revoke(
            &certificate.id,
            pb::RevocationGround::ProcedureViolation,
            &[],
            false,
        )))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert!(again.message().contains("revoked"), "{again:?}");
    let renewed = app
        .client
        .renew_certificate(officer(pb::RenewCertificateRequest {
            id: certificate.id.clone(),
            request_id: String::new(),
            basis: document("C-10", &today()),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renewed.status, pb::CertificateStatus::Active as i32);
    assert_eq!(
        renewed.valid_until, certificate.valid_until,
        "renewal restores, it does not extend"
    );
}

#[tokio::test]
async fn a_reissue_on_reorganisation_keeps_the_number_scope_and_validity() {
    let mut app = spawn_app("accreis").await;
    let profession_id = app.profession_id.clone();
    let old = accredited(&mut app, application(&profession_id)).await;
    let new = app
        .client
        .reissue_certificate(officer(pb::ReissueCertificateRequest {
            id: old.id.clone(),
            request_id: "reissue-1".into(),
            form: pb::ReorganisationForm::Transformation as i32,
            new_center_bin: SUCCESSOR_BIN.into(),
            new_center_name: "Welding Qualification Center JSC".into(),
            basis: document("REORG-3", &today()),
            successors: vec![],
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(new.center_number, old.center_number);
    assert_eq!(new.valid_until, old.valid_until);
    assert_eq!(new.scope, old.scope);
    assert_eq!(new.previous_certificate_id, old.id);
    assert_eq!(new.center_bin, SUCCESSOR_BIN);
    assert_ne!(new.serial_number, old.serial_number);
    let replaced = app
        .client
        .get_certificate(pb::GetCertificateRequest { id: old.id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replaced.status, pb::CertificateStatus::Replaced as i32);

    // A retry returns the same new certificate, not a third one.
    let retried = app
        .client
        .reissue_certificate(officer(pb::ReissueCertificateRequest {
            id: old.id.clone(),
            request_id: "reissue-1".into(),
            form: pb::ReorganisationForm::Transformation as i32,
            new_center_bin: SUCCESSOR_BIN.into(),
            new_center_name: "Welding Qualification Center JSC".into(),
            basis: document("REORG-3", &today()),
            successors: vec![],
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried.id, new.id);
}

async fn pool_of(config: &ServiceConfig) -> sqlx::PgPool {
    nsk_db::connect(&config.database, &[]).await.unwrap()
}

#[tokio::test]
async fn documents_issued_and_cancelled_in_one_burst_are_heard_in_their_order_and_once() {
    let app = spawn_app("accburst").await;
    until_heard(&app.config, 0).await;
    // 300 documents of two centers; every third cancelled right after its issue (the same key,
    // so the next event in its partition), every fifth announced twice (a relay's resend).
    let mut burst = Vec::new();
    for n in 1..=300 {
        let center = if n % 2 == 0 { "0042" } else { "0043" };
        let serial = format!("25110-72120011-4-201126-{center}-{n:08}");
        let issued = documents::DocumentIssued {
            document_id: uuid::Uuid::now_v7().to_string(),
            serial_number: serial.clone(),
            profession_id: app.profession_id.clone(),
            nqf_level: 4,
            center_number: center.into(),
            issue_date: "2026-11-20".into(),
            valid_until: "2031-11-20".into(),
            procedure_date: "2026-11-18".into(),
            issued_late: n % 7 == 0,
            ..Default::default()
        };
        let envelope = nsk_runtime::testing::envelope("documents", &serial, &issued);
        if n % 5 == 0 {
            let mut again = envelope.clone();
            again.event_id = uuid::Uuid::now_v7().to_string();
            burst.push((serial.clone(), envelope));
            burst.push((serial.clone(), again));
        } else {
            burst.push((serial.clone(), envelope));
        }
        if n % 3 == 0 {
            let cancelled = documents::DocumentCancelled {
                document_id: issued.document_id.clone(),
                serial_number: serial.clone(),
                cancellation: Some(documents::Cancellation {
                    cancelled_on: "2026-11-23".into(),
                    reason: "court decision".into(),
                    ..Default::default()
                }),
            };
            let envelope = nsk_runtime::testing::envelope("documents", &serial, &cancelled);
            burst.push((serial, envelope));
        }
    }
    nsk_runtime::testing::publish_all(&app.config, "documents", &burst).await;
    until_heard(&app.config, 300).await;
    let pool = pool_of(&app.config).await;
    let heard: Vec<(String, i32, Option<chrono::NaiveDate>, bool)> = sqlx::query_as(
        "SELECT serial_number, center_number, cancelled_on, issued_late FROM issued_documents
          ORDER BY serial_number",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(heard.len(), 300);
    for (serial, center, cancelled_on, late) in &heard {
        let n: u32 = serial[serial.len() - 8..].parse().unwrap();
        assert_eq!(
            *center,
            if n.is_multiple_of(2) { 42 } else { 43 },
            "{serial}"
        );
        assert_eq!(*late, n.is_multiple_of(7), "{serial}");
        let expected = n
            .is_multiple_of(3)
            .then(|| chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert_eq!(*cancelled_on, expected, "{serial}");
    }
}

#[tokio::test]
async fn re_accreditation_keeps_the_number_and_is_refused_within_six_months_of_expiry() {
    let mut app = spawn_app("accre").await;
    let profession_id = app.profession_id.clone();
    let first = accredited(&mut app, application(&profession_id)).await;

    let mut again = application(&profession_id);
    again.previous_certificate_id = first.id.clone();
    let second = accredited(&mut app, again.clone()).await;
    assert_eq!(second.center_number, first.center_number);
    assert_eq!(second.previous_certificate_id, first.id);
    assert_eq!(second.serial_number, format!("0001-{}-002", &today()[..4]));
    let old = app
        .client
        .get_certificate(pb::GetCertificateRequest {
            id: first.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(old.status, pb::CertificateStatus::Replaced as i32);

    // Time passes: the second certificate now ends in five months, inside the last six.
    let pool = pool_of(&app.config).await;
    let in_five_months = nsk_calendar::kazakhstan_date(chrono::Utc::now())
        .checked_add_months(chrono::Months::new(5))
        .unwrap();
    sqlx::query("UPDATE certificates SET valid_until = $2 WHERE id = $1::uuid")
        .bind(&second.id)
        .bind(in_five_months)
        .execute(&pool)
        .await
        .unwrap();
    again.previous_certificate_id = second.id.clone();
    let late = app
        .client
        .create_application(officer(pb::CreateApplicationRequest {
            request_id: String::new(),
            application: Some(again),
        }))
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert!(late.message().contains("Art. 23.5"), "{late:?}");
    assert!(late.message().contains("six months"), "{late:?}");
}

#[tokio::test]
async fn the_expiry_job_expires_a_certificate_once_even_when_two_instances_run() {
    let mut app = spawn_app("accexp").await;
    let profession_id = app.profession_id.clone();
    let certificate = accredited(&mut app, application(&profession_id)).await;
    let pool = pool_of(&app.config).await;
    let outbox = nsk_events::Outbox::new("accreditation", &app.config.kafka);
    let until = chrono::NaiveDate::parse_from_str(&certificate.valid_until, "%Y-%m-%d").unwrap();

    // On its last day it is still valid.
    assert_eq!(
        nsk_accreditation::expiry::expire_due(&pool, &outbox, until)
            .await
            .unwrap(),
        0
    );

    // The day after, two instances of the job run at once.
    let after = until.succ_opt().unwrap();
    let (a, b) = tokio::join!(
        nsk_accreditation::expiry::expire_due(&pool, &outbox, after),
        nsk_accreditation::expiry::expire_due(&pool, &outbox, after)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    let events: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox_events WHERE event_type = $1")
            .bind(pb::CertificateTerminated::full_name())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(events, 1);

    let expired = app
        .client
        .get_certificate(pb::GetCertificateRequest {
            id: certificate.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(expired.status, pb::CertificateStatus::Expired as i32);
    assert_eq!(
        expired.status_since,
        after.to_string(),
        "ceased at the end of its last day"
    );
    assert_eq!(
        expired.termination_ground,
        pb::TerminationGround::Expiry as i32
    );
}

#[tokio::test]
async fn a_monitoring_finding_opens_a_revocation_case_due_in_ten_working_days() {
    let mut app = spawn_app("accmon").await;
    let profession_id = app.profession_id.clone();
    let certificate = accredited(&mut app, application(&profession_id)).await;
    let record = || pb::RecordMonitoringFindingRequest {
        id: certificate.id.clone(),
        request_id: "finding-2026-11-1".into(),
        description: "Protocols signed by an examiner not on the staff list".into(),
        concerns_health_or_safety: false,
        open_revocation_case: true,
        found_on: String::new(),
    };
    let finding = app
        .client
        .record_monitoring_finding(officer(record()))
        .await
        .unwrap()
        .into_inner();
    assert!(!finding.revocation_decision_due.is_empty());
    let retried = app
        .client
        .record_monitoring_finding(officer(record()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        retried, finding,
        "a retry answers with the finding first recorded"
    );
    let due =
        chrono::NaiveDate::parse_from_str(&finding.revocation_decision_due, "%Y-%m-%d").unwrap();
    let overdue = app
        .client
        .list_overdue_cases(officer(pb::ListOverdueCasesRequest {
            as_of: due.succ_opt().unwrap().to_string(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overdue.cases.len(), 1);
    assert_eq!(overdue.cases[0].article, "Art. 26.3");
    assert_eq!(overdue.cases[0].case_id, certificate.id);

    // The revocation closes the case.
    app.client
        .revoke_certificate(officer(revoke(
            &certificate.id,
            pb::RevocationGround::MonitoringViolation,
            &[],
            false,
        )))
        .await
        .unwrap();
    let overdue = app
        .client
        .list_overdue_cases(officer(pb::ListOverdueCasesRequest {
            as_of: due.succ_opt().unwrap().to_string(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        overdue
            .cases
            .iter()
            .filter(|c| c.article == "Art. 26.3")
            .count(),
        0,
        "{overdue:?}"
    );
}

#[tokio::test]
async fn ground_4_names_only_documents_the_revoked_center_issued_and_monitoring_counts_them() {
    let mut app = spawn_app("accg4").await;
    let profession_id = app.profession_id.clone();
    let first = accredited(&mut app, application(&profession_id)).await;
    let mut other = application(&profession_id);
    other.applicant_bin = SUCCESSOR_BIN.into();
    other.applicant_name = "Second Center LLP".into();
    let second = accredited(&mut app, other).await;
    assert_eq!(
        (first.center_number.as_str(), second.center_number.as_str()),
        ("0001", "0002")
    );

    let this_month = &today()[..7];
    let last_month = nsk_calendar::kazakhstan_date(chrono::Utc::now())
        .checked_sub_months(chrono::Months::new(1))
        .unwrap();
    let own = "25110-72120001-4-201126-0001-00000001";
    let own_late = "25110-72120001-4-201126-0001-00000002";
    let foreign = "25110-72120001-4-201126-0002-00000001";
    publish_document(&app.config, own, "0001", &today(), false).await;
    publish_document(&app.config, own_late, "0001", &last_month.to_string(), true).await;
    publish_document(&app.config, foreign, "0002", &today(), false).await;
    until_heard(&app.config, 3).await;

    let unknown = "25110-72120001-4-201126-0001-00000099";
    let refused = app
        .client
        .revoke_certificate(officer(revoke(
            &first.id,
            pb::RevocationGround::ConfirmedComplaints,
            &[own, foreign, unknown],
            false,
        )))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let message = refused.message();
    assert!(message.contains("document_serial_numbers[1]"), "{message}");
    assert!(message.contains("issued at center 0002"), "{message}");
    assert!(message.contains("document_serial_numbers[2]"), "{message}");
    assert!(message.contains(unknown), "{message}");
    assert!(!message.contains("document_serial_numbers[0]"), "{message}");
    // Nothing changed: the certificate is still active.
    let still = app
        .client
        .get_certificate(officer(pb::GetCertificateRequest {
            id: first.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still.status, pb::CertificateStatus::Active as i32);

    app.client
        .revoke_certificate(officer(revoke(
            &first.id,
            pb::RevocationGround::ConfirmedComplaints,
            &[own],
            false,
        )))
        .await
        .unwrap();
    // The registry cancels it and says so.
    let cancelled = documents::DocumentCancelled {
        document_id: uuid::Uuid::now_v7().to_string(),
        serial_number: own.into(),
        cancellation: Some(documents::Cancellation {
            cancelled_on: today(),
            ..Default::default()
        }),
    };
    publish(&app.config, "documents", own, &cancelled).await;

    // Art. 25.3: the NCE sees the center's results per month.
    let results_request = || pb::GetCenterResultsRequest {
        center_number: "0001".into(),
        from_month: last_month.format("%Y-%m").to_string(),
        to_month: this_month.into(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let results = loop {
        let r = app
            .client
            .get_center_results(officer(results_request()))
            .await
            .unwrap()
            .into_inner();
        if r.cancelled == 1 {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "cancellation never counted: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(results.months.len(), 2);
    let months: Vec<(&str, i32, i32, i32)> = results
        .months
        .iter()
        .map(|m| (m.month.as_str(), m.issued, m.issued_late, m.cancelled))
        .collect();
    assert_eq!(
        months,
        [
            (last_month.format("%Y-%m").to_string().as_str(), 1, 1, 0),
            (this_month, 1, 0, 1)
        ]
    );
    assert_eq!((results.issued, results.issued_late), (2, 1));
    // Results are for the NCE, the authorized body and auditors, not the public.
    let public = app
        .client
        .get_center_results(results_request())
        .await
        .unwrap_err();
    assert_eq!(public.code(), Code::Unauthenticated);
    let bad = app
        .client
        .get_center_results(officer(pb::GetCenterResultsRequest {
            center_number: "0001".into(),
            from_month: "2026-13".into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().contains("from_month"), "{bad:?}");
}

#[tokio::test]
async fn the_public_register_shows_the_register_and_none_of_the_case_file_art_23_3_1() {
    let mut app = spawn_app("accconf").await;
    let profession_id = app.profession_id.clone();
    let certificate = accredited(&mut app, application(&profession_id)).await;
    app.client
        .revoke_certificate(officer(revoke(
            &certificate.id,
            pb::RevocationGround::ProcedureViolation,
            &[],
            false,
        )))
        .await
        .unwrap();

    let public = app
        .client
        .get_certificate(pb::GetCertificateRequest {
            id: certificate.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(public.center_number, "0001");
    assert_eq!(public.status, pb::CertificateStatus::Revoked as i32);
    assert_eq!(public.valid_until, certificate.valid_until);
    assert!(public.history.is_empty(), "{:?}", public.history);
    assert!(public.deadlines.is_empty());
    assert!(public.application_id.is_empty());
    let revocation = public.revocation.unwrap();
    assert!(revocation.basis.is_none());
    assert!(revocation.event_detected_on.is_empty());
    assert_eq!(
        revocation.ground,
        pb::RevocationGround::ProcedureViolation as i32
    );
    let statuses: Vec<(i32, String)> = public
        .status_history
        .iter()
        .map(|s| (s.status, s.since.clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (
                pb::CertificateStatus::Active as i32,
                certificate.valid_from.clone()
            ),
            (pb::CertificateStatus::Revoked as i32, today()),
        ]
    );

    for center in [
        app.client
            .get_center(pb::GetCenterRequest {
                center_number: "0001".into(),
            })
            .await
            .unwrap()
            .into_inner(),
        app.client
            .list_centers(pb::ListCentersRequest::default())
            .await
            .unwrap()
            .into_inner()
            .centers
            .remove(0),
    ] {
        let c = &center.certificates[0];
        assert!(c.history.is_empty() && c.deadlines.is_empty());
        assert!(c.application_id.is_empty());
        assert_eq!(c.status_history.len(), 2);
        assert!(
            center.founders.is_empty(),
            "founders only for the not-renewable list"
        );
    }

    // The NCE reads the case.
    let case = app
        .client
        .get_certificate(officer(pb::GetCertificateRequest {
            id: certificate.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(!case.history.is_empty());
    assert!(!case.application_id.is_empty());
    assert_eq!(case.revocation.unwrap().basis.unwrap().number, "NCE-R-5");
}

#[tokio::test]
async fn re_accreditation_counts_the_day_the_applicant_submitted_art_23_5() {
    let mut app = spawn_app("accsub").await;
    let profession_id = app.profession_id.clone();
    let first = accredited(&mut app, application(&profession_id)).await;
    // Time passes: the certificate, issued 30 months before, ends six months after yesterday,
    // so the last day to apply (six months before the end) was yesterday or just before.
    let day = nsk_calendar::kazakhstan_date(chrono::Utc::now());
    let yesterday = day.pred_opt().unwrap();
    let until = yesterday
        .checked_add_months(chrono::Months::new(6))
        .unwrap();
    let last_day = until.checked_sub_months(chrono::Months::new(6)).unwrap();
    let issued = until.checked_sub_months(chrono::Months::new(36)).unwrap();
    let pool = pool_of(&app.config).await;
    sqlx::query(
        "UPDATE certificates SET valid_until = $2, issued_on = $3, valid_from = $3 WHERE id = $1::uuid",
    )
    .bind(&first.id)
    .bind(until)
    .bind(issued)
    .execute(&pool)
    .await
    .unwrap();
    let mut again = application(&profession_id);
    again.previous_certificate_id = first.id.clone();

    // Entered today without the submission day: today counts, and it is late.
    let late = app
        .client
        .create_application(officer(pb::CreateApplicationRequest {
            request_id: String::new(),
            application: Some(again.clone()),
        }))
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert!(late.message().contains("Art. 23.5"), "{late:?}");

    for (filed_on, rule) in [
        (day.succ_opt().unwrap().to_string(), "future"),
        ("2020-01-01".to_string(), "previous certificate"),
        ("yesterday".to_string(), "YYYY-MM-DD"),
    ] {
        again.filed_on = filed_on.clone();
        let refused = app
            .client
            .create_application(officer(pb::CreateApplicationRequest {
                request_id: String::new(),
                application: Some(again.clone()),
            }))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{filed_on}");
        assert!(
            refused.message().contains("application.filed_on"),
            "{refused:?}"
        );
        assert!(refused.message().contains(rule), "{refused:?}");
    }

    // Submitted on the last day, entered today: in time.
    again.filed_on = last_day.to_string();
    let filed = app
        .client
        .create_application(officer(pb::CreateApplicationRequest {
            request_id: String::new(),
            application: Some(again),
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filed.filed_on, last_day.to_string());
    assert_eq!(filed.previous_certificate_id, first.id);
}

#[tokio::test]
async fn a_center_on_the_not_renewable_list_gets_no_new_certificate_art_26_5() {
    let mut app = spawn_app("acclist").await;
    let profession_id = app.profession_id.clone();
    let certificate = accredited(&mut app, application(&profession_id)).await;
    // A re-accreditation is pending when the certificate is revoked for a safety violation.
    let mut again = application(&profession_id);
    again.previous_certificate_id = certificate.id.clone();
    let pending = file(&mut app, again).await;
    examine(&mut app.client, &pending.id).await;
    app.client
        .revoke_certificate(officer(revoke(
            &certificate.id,
            pb::RevocationGround::ProcedureViolation,
            &[],
            true,
        )))
        .await
        .unwrap();

    let decided = app
        .client
        .decide_application(officer(pb::DecideApplicationRequest {
            id: pending.id.clone(),
            accredit: true,
            authorized_body_coordination: document("MLSP-78", &today()),
            decided_on: today(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(decided.code(), Code::FailedPrecondition);
    assert!(decided.message().contains("Art. 26.5"), "{decided:?}");
    assert!(decided.message().contains("center 0001"), "{decided:?}");

    // A new application by the same legal entity.
    let fresh = app
        .client
        .create_application(officer(pb::CreateApplicationRequest {
            request_id: String::new(),
            application: Some(application(&profession_id)),
        }))
        .await
        .unwrap_err();
    assert_eq!(fresh.code(), Code::FailedPrecondition);
    assert!(fresh.message().contains("Art. 26.5"), "{fresh:?}");

    // Another legal entity with a founder of the listed center: accepted, the match shown.
    let mut other = application(&profession_id);
    other.applicant_bin = SUCCESSOR_BIN.into();
    other.founders = vec!["steel  union llp".into(), "New Founder".into()];
    let filed = file(&mut app, other).await;
    assert_eq!(filed.not_renewable_matches.len(), 1);
    let found = &filed.not_renewable_matches[0];
    assert_eq!(found.founder, "steel  union llp");
    assert_eq!(found.center_number, "0001");
    assert_eq!(found.listed_since, today());
}

#[tokio::test]
async fn an_appeal_of_a_refusal_is_recorded_and_a_successful_one_reopens_the_case_art_25_5() {
    let mut app = spawn_app("accappeal").await;
    let profession_id = app.profession_id.clone();
    let filed = file(&mut app, application(&profession_id)).await;
    examine(&mut app.client, &filed.id).await;
    decide(&mut app.client, &filed.id, false, &today()).await;
    app.client
        .record_refusal_sent(officer(pb::RecordRefusalSentRequest {
            id: filed.id.clone(),
            ..Default::default()
        }))
        .await
        .unwrap();
    let appeal = |overturned: bool, reopen_at: pb::ApplicationStage, body: pb::AppealBody| {
        officer(pb::RecordAppealOutcomeRequest {
            id: filed.id.clone(),
            request_id: String::new(),
            body: body as i32,
            refusal_overturned: overturned,
            reopen_at: reopen_at as i32,
            decision: document("APPEAL-1", &today()),
            decided_on: today(),
        })
    };
    use pb::{AppealBody as B, ApplicationStage as S};
    let upheld = app
        .client
        .record_appeal_outcome(appeal(false, S::Unspecified, B::Administrative))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(upheld.stage, S::ReasonsSent as i32);
    assert_eq!(upheld.appeals.len(), 1);
    assert_eq!(
        upheld.appeals[0].refusal_reasons,
        "Qualified staff insufficient"
    );

    let nowhere = app
        .client
        .record_appeal_outcome(appeal(true, S::Unspecified, B::Court))
        .await
        .unwrap_err();
    assert_eq!(nowhere.code(), Code::FailedPrecondition);
    let no_body = app
        .client
        .record_appeal_outcome(appeal(false, S::Unspecified, B::Unspecified))
        .await
        .unwrap_err();
    assert_eq!(no_body.code(), Code::InvalidArgument);
    assert!(no_body.message().contains("body"), "{no_body:?}");

    // The court overturns the refusal; the case reopens after the on-site examination.
    let reopened = app
        .client
        .record_appeal_outcome(appeal(true, S::SiteExamined, B::Court))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reopened.stage, S::SiteExamined as i32);
    assert!(reopened.decision.is_none(), "a new decision is due");
    assert_eq!(reopened.appeals.len(), 2);
    assert_eq!(reopened.appeals[1].reopened_at, S::SiteExamined as i32);
    let accredited = decide(&mut app.client, &filed.id, true, &today()).await;
    assert_eq!(accredited.stage, S::Accredited as i32);
    let late = app
        .client
        .record_appeal_outcome(appeal(false, S::Unspecified, B::Court))
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert!(late.message().contains("Art. 25.5"), "{late:?}");
}

#[tokio::test]
async fn a_division_gives_each_successor_a_certificate_and_the_register_shows_whom_it_came_from_art_26_1(
) {
    let mut app = spawn_app("accdiv").await;
    let profession_id = app.profession_id.clone();
    let old = accredited(&mut app, application(&profession_id)).await;
    let divide = |successors: Vec<pb::Successor>, form: pb::ReorganisationForm| {
        officer(pb::ReissueCertificateRequest {
            id: old.id.clone(),
            request_id: String::new(),
            form: form as i32,
            new_center_bin: SUCCESSOR_BIN.into(),
            new_center_name: "Welding Qualification Center JSC".into(),
            basis: document("REORG-7", &today()),
            successors,
        })
    };
    let third = |levels: Vec<i32>| pb::Successor {
        bin: "050440001239".into(),
        name: "Welding Training North LLP".into(),
        scope: vec![pb::ScopeEntry {
            profession_id: profession_id.clone(),
            nqf_levels: levels,
        }],
    };
    // A division names its further successors; a transformation has none.
    let alone = app
        .client
        .reissue_certificate(divide(vec![], pb::ReorganisationForm::Division))
        .await
        .unwrap_err();
    assert_eq!(alone.code(), Code::FailedPrecondition);
    assert!(alone.message().contains("Art. 26.1"), "{alone:?}");
    let extra = app
        .client
        .reissue_certificate(divide(
            vec![third(vec![4])],
            pb::ReorganisationForm::Transformation,
        ))
        .await
        .unwrap_err();
    assert_eq!(extra.code(), Code::FailedPrecondition);
    // A successor takes a part of the scope, never more.
    let wider = app
        .client
        .reissue_certificate(divide(
            vec![third(vec![4, 5])],
            pb::ReorganisationForm::Division,
        ))
        .await
        .unwrap_err();
    assert_eq!(wider.code(), Code::InvalidArgument);
    assert!(wider.message().contains("levels 5"), "{wider:?}");

    let continuing = app
        .client
        .reissue_certificate(divide(
            vec![third(vec![4])],
            pb::ReorganisationForm::Division,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(continuing.center_number, "0001");
    assert_eq!(continuing.center_bin, SUCCESSOR_BIN);
    assert_eq!(continuing.previous_certificate_id, old.id);

    let predecessor = app
        .client
        .get_center(pb::GetCenterRequest {
            center_number: "0001".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(predecessor.successor_center_numbers, ["0002"]);
    let successor = app
        .client
        .get_center(pb::GetCenterRequest {
            center_number: "0002".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(successor.predecessor_center_number, "0001");
    assert_eq!(successor.bin, "050440001239");
    assert_eq!(successor.status, pb::CertificateStatus::Active as i32);
    assert_eq!(successor.scope[0].nqf_levels, [4]);
    let certificate = &successor.certificates[0];
    assert_eq!(certificate.previous_certificate_id, old.id);
    assert_eq!(
        certificate.valid_until, old.valid_until,
        "the same last day"
    );
    assert_eq!(
        certificate.serial_number,
        format!("0002-{}-001", &today()[..4])
    );
}

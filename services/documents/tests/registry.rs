//! The registry of documents through the gRPC API, against the real PostgreSQL and broker: the
//! register of professions and accreditation are heard from their topics (events published
//! here as those services publish them); centers issue, anyone verifies, officials cancel.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use nsk_config::ServiceConfig;
use nsk_identity::Role;
use nsk_proto::nsk::accreditation::v1 as accreditation;
use nsk_proto::nsk::common::v1::{BasisDocument, LocalizedText};
use nsk_proto::nsk::documents::v1 as pb;
use nsk_proto::nsk::documents::v1::document_registry_client::DocumentRegistryClient;
use nsk_proto::nsk::professions::v1 as professions;
use prost::{Message, Name};
use tonic::transport::Channel;
use tonic::{Code, Request};

type Client = DocumentRegistryClient<Channel>;

const CENTER: &str = "0042";
const CERTIFICATE: &str = "0193f5f0-0000-7000-8000-000000000042";

struct TestApp {
    client: Client,
    config: ServiceConfig,
    profession_id: String,
}

async fn send<M: Message + Name>(app: &TestApp, service: &str, key: &str, event: &M) {
    nsk_runtime::testing::publish(&app.config, service, key, event).await;
}

fn certificate(
    status: accreditation::CertificateStatus,
    since: &str,
    profession_id: &str,
) -> accreditation::Certificate {
    accreditation::Certificate {
        id: CERTIFICATE.into(),
        serial_number: "0042-2026-001".into(),
        center_number: CENTER.into(),
        center_bin: "971240001315".into(),
        center_name: "Welding Qualification Center LLP".into(),
        scope: vec![accreditation::ScopeEntry {
            profession_id: profession_id.into(),
            nqf_levels: vec![3, 4],
        }],
        valid_from: "2026-01-05".into(),
        valid_until: "2029-01-04".into(),
        status: status as i32,
        status_since: since.into(),
        ..Default::default()
    }
}

/// The registry, having heard of a welder (levels 3-4, one separate skill, 60 months) in the
/// register since 1 January 2026, and of center 0042 accredited for it since 5 January.
async fn spawn_app(label: &str) -> TestApp {
    let (config, channel) =
        nsk_runtime::testing::spawn("documents", label, nsk_documents::build).await;
    let app = TestApp {
        client: DocumentRegistryClient::new(channel),
        config,
        profession_id: uuid::Uuid::now_v7().to_string(),
    };
    let registered = professions::ProfessionRegistered {
        profession: Some(professions::Profession {
            id: app.profession_id.clone(),
            names: Some(LocalizedText {
                kk: "Дәнекерлеуші".into(),
                ru: "Сварщик".into(),
                en: "Welder".into(),
            }),
            nkz_code: "72120001".into(),
            oked_code: "25110".into(),
            nqf_levels: vec![3, 4],
            document_validity_months: 60,
            separate_skills_allowed: true,
            separate_skills: vec!["Weld butt joints".into()],
            status: professions::ProfessionStatus::Active as i32,
            version: 1,
            ..Default::default()
        }),
        effective_from: "2026-01-01".into(),
    };
    send(&app, "professions", &app.profession_id, &registered).await;
    let issued = accreditation::CertificateIssued {
        certificate: Some(certificate(
            accreditation::CertificateStatus::Active,
            "2026-01-05",
            &app.profession_id,
        )),
        replaced_certificate_id: String::new(),
    };
    send(&app, "accreditation", CENTER, &issued).await;
    app
}

fn as_role<T>(message: T, role: Role, center: Option<&str>) -> Request<T> {
    let token = nsk_runtime::testing::token("center-0042-system", &[role], center);
    nsk_runtime::testing::bearer(message, &token)
}

fn center<T>(message: T) -> Request<T> {
    as_role(message, Role::RecognitionCenter, Some(CENTER))
}

fn admin<T>(message: T) -> Request<T> {
    as_role(message, Role::AuthorizedBodyAdmin, None)
}

fn today() -> chrono::NaiveDate {
    nsk_calendar::kazakhstan_date(chrono::Utc::now())
}

fn iin(n: u32) -> String {
    nsk_runtime::testing::iin(n)
}

fn document(profession_id: &str, level: i32, procedure: chrono::NaiveDate) -> pb::Document {
    pb::Document {
        holder: Some(pb::Holder {
            iin: iin(11),
            full_name: "Сейткали Айгерим Нурлановна".into(),
            ..Default::default()
        }),
        profession_id: profession_id.into(),
        nqf_level: level,
        procedure_date: procedure.to_string(),
        protocol_number: "P-17".into(),
        protocol_date: procedure.to_string(),
        head_of_center: "K. Abenov".into(),
        ..Default::default()
    }
}

fn issue(doc: pb::Document, request_id: &str) -> pb::IssueDocumentRequest {
    pb::IssueDocumentRequest {
        request_id: request_id.into(),
        document: Some(doc),
    }
}

/// Issues once the registry has heard of the profession and the center.
async fn issued(app: &mut TestApp, doc: pb::Document) -> pb::Document {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match app
            .client
            .issue_document(center(issue(doc.clone(), "")))
            .await
        {
            Ok(reply) => return reply.into_inner(),
            Err(status)
                if Instant::now() < deadline && status.code() == Code::FailedPrecondition =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(status) => panic!("the document was not registered: {status:?}"),
        }
    }
}

/// Issues as center `number` once the registry has heard of it.
async fn issued_by(app: &mut TestApp, number: &str, doc: pb::Document) -> pb::Document {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match app
            .client
            .issue_document(as_role(
                issue(doc.clone(), ""),
                Role::RecognitionCenter,
                Some(number),
            ))
            .await
        {
            Ok(reply) => return reply.into_inner(),
            Err(status)
                if Instant::now() < deadline && status.code() == Code::FailedPrecondition =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(status) => panic!("center {number} could not register: {status:?}"),
        }
    }
}

const SECOND_CERTIFICATE: &str = "0193f5f0-0000-7000-8000-000000000043";

fn second_certificate(
    status: accreditation::CertificateStatus,
    since: &str,
    profession_id: &str,
) -> accreditation::Certificate {
    let mut c = certificate(status, since, profession_id);
    c.id = SECOND_CERTIFICATE.into();
    c.center_number = "0043".into();
    c.serial_number = "0043-2026-001".into();
    c.center_name = "Second Center LLP".into();
    c
}

/// Center 0043, accredited for the same profession since 5 January 2026.
async fn accredit_second_center(app: &TestApp) {
    let issued = accreditation::CertificateIssued {
        certificate: Some(second_certificate(
            accreditation::CertificateStatus::Active,
            "2026-01-05",
            &app.profession_id,
        )),
        replaced_certificate_id: String::new(),
    };
    send(app, "accreditation", "0043", &issued).await;
}

/// Waits until the registry knows center `number` can no longer act today.
async fn until_inactive(app: &mut TestApp, number: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let known = app
            .client
            .get_known_center(pb::GetKnownCenterRequest {
                center_number: number.into(),
                as_of: String::new(),
            })
            .await
            .map(|r| r.into_inner());
        if matches!(&known, Ok(k) if k.active_certificate_id.is_empty()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "center {number} still active: {known:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn after_its_certificate_ends_a_center_registers_only_within_the_rules_deadlines_p_17_18() {
    let mut app = spawn_app("docend").await;
    let profession_id = app.profession_id.clone();
    accredit_second_center(&app).await;
    // Both centers are known: each registers one document while active.
    issued(&mut app, document(&profession_id, 4, today())).await;
    issued_by(&mut app, "0043", document(&profession_id, 4, today())).await;
    let days_ago = |n: u64| today().checked_sub_days(chrono::Days::new(n)).unwrap();
    // 0042 revoked from 12 days ago: its last active day was 13 days ago, and 2 + 3 working
    // days from then have passed.
    let revoked = |c: accreditation::Certificate| accreditation::CertificateRevoked {
        certificate: Some(c),
        ground: accreditation::RevocationGround::ProcedureViolation as i32,
        basis: Some(BasisDocument {
            number: "NCE-R-9".into(),
            date: today().to_string(),
            title: "Decision".into(),
        }),
        ..Default::default()
    };
    send(
        &app,
        "accreditation",
        CENTER,
        &revoked(certificate(
            accreditation::CertificateStatus::Revoked,
            &days_ago(12).to_string(),
            &profession_id,
        )),
    )
    .await;
    // 0043 revoked from today: its last active day was yesterday.
    send(
        &app,
        "accreditation",
        "0043",
        &revoked(second_certificate(
            accreditation::CertificateStatus::Revoked,
            &today().to_string(),
            &profession_id,
        )),
    )
    .await;
    until_inactive(&mut app, CENTER).await;
    until_inactive(&mut app, "0043").await;

    let late = app
        .client
        .issue_document(center(issue(document(&profession_id, 4, days_ago(13)), "")))
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert!(late.message().contains("Rules p. 17-18"), "{late:?}");

    // Yesterday's procedure of 0043, protocol the same day: still within the deadlines.
    let in_time = app
        .client
        .issue_document(as_role(
            issue(document(&profession_id, 3, days_ago(1)), ""),
            Role::RecognitionCenter,
            Some("0043"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_time.procedure_date, days_ago(1).to_string());
    // A protocol "signed" a week after a procedure held before the end: backdated.
    let mut backdated = document(&profession_id, 3, days_ago(8));
    backdated.protocol_date = days_ago(1).to_string();
    let refused = app
        .client
        .issue_document(as_role(
            issue(backdated, ""),
            Role::RecognitionCenter,
            Some("0043"),
        ))
        .await
        .unwrap_err();
    assert!(refused.message().contains("Rules p. 17"), "{refused:?}");
}

fn ddmmyy(day: chrono::NaiveDate) -> String {
    day.format("%d%m%y").to_string()
}

#[tokio::test]
async fn the_serial_carries_the_day_of_the_procedure_not_of_registration_appendix_2() {
    let mut app = spawn_app("serial-date").await;
    let profession_id = app.profession_id.clone();
    // Held on Monday 2 March 2026, protocol on the 3rd, registered today (late, and recorded so).
    let procedure = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let mut sent = document(&profession_id, 4, procedure);
    sent.protocol_date = "2026-03-03".into();
    let doc = issued(&mut app, sent).await;
    assert_ne!(today(), procedure);
    assert_eq!(doc.serial_number, "25110-72120001-4-020326-0042-00000001");
    assert_eq!(doc.procedure_date, "2026-03-02");
    assert_eq!(doc.issue_date, today().to_string());
    // Validity runs from the issue date (Art. 21.5), to the corresponding day.
    assert_eq!(
        doc.valid_until,
        today()
            .checked_add_months(chrono::Months::new(60))
            .unwrap()
            .to_string()
    );
    assert!(doc.issued_late);
    let verified = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: doc.serial_number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(verified.status, pb::DocumentStatus::Valid as i32);
}

#[tokio::test]
async fn a_center_registers_a_document_with_its_serial_and_anyone_verifies_it() {
    let mut app = spawn_app("doc").await;
    let profession_id = app.profession_id.clone();
    let procedure = today();
    let doc = issued(&mut app, document(&profession_id, 4, procedure)).await;
    assert_eq!(
        doc.serial_number,
        format!("25110-72120001-4-{}-0042-00000001", ddmmyy(today()))
    );
    assert_eq!(doc.center_number, CENTER);
    assert_eq!(doc.issue_date, today().to_string());
    let until = today().checked_add_months(chrono::Months::new(60)).unwrap();
    assert_eq!(
        doc.valid_until,
        until.to_string(),
        "Art. 21.5: the register's 60 months"
    );
    assert!(!doc.issued_late);
    assert_eq!(doc.status, pb::DocumentStatus::Valid as i32);

    // Anyone, without a token: the status and what the document says, never the IIN.
    let verified = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: doc.serial_number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(verified.status, pb::DocumentStatus::Valid as i32);
    assert_eq!(verified.holder_masked, "С. А. Н.");
    assert_eq!(verified.profession_name, "Сварщик");
    assert_eq!(verified.nqf_level, 4);
    assert!(!format!("{verified:?}").contains(&iin(11)));

    // A second document takes the next number.
    let next = issued(&mut app, document(&profession_id, 3, procedure)).await;
    assert!(
        next.serial_number.ends_with("-0042-00000002"),
        "{}",
        next.serial_number
    );

    // The center reads its document back, holder and all: the read is in the audit trail,
    // after the registration itself, and the trail is intact.
    app.client
        .get_document(center(pb::GetDocumentRequest { id: doc.id.clone() }))
        .await
        .unwrap();
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    let trail: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor, action, subject FROM audit_log WHERE subject = $1 ORDER BY seq",
    )
    .bind(format!("document/{}", doc.id))
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        trail,
        vec![
            (
                "center-0042-system".to_string(),
                "nsk.documents.v1.DocumentIssued".to_string(),
                format!("document/{}", doc.id)
            ),
            (
                "center-0042-system".to_string(),
                "read:document".to_string(),
                format!("document/{}", doc.id)
            ),
        ]
    );
    assert!(matches!(
        nsk_db::audit::verify(&pool).await.unwrap(),
        nsk_db::audit::Verdict::Intact { .. }
    ));
}

#[tokio::test]
async fn verification_tells_a_malformed_serial_from_an_unknown_one() {
    let mut app = spawn_app("docver").await;
    let malformed = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: "25110-72120001-9-201126-0042-00000001".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert!(
        malformed
            .message()
            .contains("part 3, the NQF level, must be one digit 1-8"),
        "{malformed:?}"
    );
    let unknown = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: "25110-72120001-4-201126-0042-00009999".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(unknown.status, pb::DocumentStatus::Unknown as i32);
    assert!(unknown.holder_masked.is_empty());
}

#[tokio::test]
async fn every_refusal_of_the_law_is_named() {
    let mut app = spawn_app("docno").await;
    let profession_id = app.profession_id.clone();
    // Wait until both read models are in.
    issued(&mut app, document(&profession_id, 4, today())).await;

    let refuse = |doc: pb::Document| issue(doc, "");
    let level_5 = app
        .client
        .issue_document(center(refuse(document(&profession_id, 5, today()))))
        .await
        .unwrap_err();
    assert_eq!(level_5.code(), Code::FailedPrecondition);
    assert!(level_5.message().contains("not level 5"), "{level_5:?}");

    let before_accreditation = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    let early = app
        .client
        .issue_document(center(refuse(document(
            &profession_id,
            4,
            before_accreditation,
        ))))
        .await
        .unwrap_err();
    assert!(
        early
            .message()
            .contains("no active accreditation certificate on 2026-01-02"),
        "{early:?}"
    );

    let unknown = uuid::Uuid::now_v7().to_string();
    let not_registered = app
        .client
        .issue_document(center(refuse(document(&unknown, 4, today()))))
        .await
        .unwrap_err();
    assert!(
        not_registered.message().contains("not in the register"),
        "{not_registered:?}"
    );
    assert!(
        not_registered.message().contains("did not cover"),
        "{not_registered:?}"
    );

    let mut juggling = document(&profession_id, 3, today());
    juggling.separate_skills = vec!["Juggling".into()];
    let skill = app
        .client
        .issue_document(center(refuse(juggling)))
        .await
        .unwrap_err();
    assert!(skill.message().contains("Art. 20"), "{skill:?}");

    let mut bad = document(&profession_id, 4, today());
    bad.holder.as_mut().unwrap().iin = "900101300111".into();
    bad.protocol_number = String::new();
    let invalid = app
        .client
        .issue_document(center(refuse(bad)))
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
    assert_eq!(fields, ["document.holder.iin", "document.protocol_number"]);

    // Only a recognition center, with its number in the token, registers documents.
    let denied = app
        .client
        .issue_document(admin(refuse(document(&profession_id, 4, today()))))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_late_document_is_flagged_not_refused() {
    let mut app = spawn_app("doclate").await;
    let profession_id = app.profession_id.clone();
    let mut doc = document(
        &profession_id,
        4,
        chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
    );
    doc.protocol_date = "2026-03-03".into();
    let late = issued(&mut app, doc).await;
    assert!(
        late.issued_late,
        "Rules p. 18: three working days after the protocol"
    );
    assert_eq!(late.status, pb::DocumentStatus::Valid as i32);
}

#[tokio::test]
async fn a_retried_request_returns_the_same_document() {
    let mut app = spawn_app("docretry").await;
    let profession_id = app.profession_id.clone();
    let first = issued(&mut app, document(&profession_id, 4, today())).await;
    let retried_once = app
        .client
        .issue_document(center(issue(
            document(&profession_id, 3, today()),
            "protocol-17-candidate-4",
        )))
        .await
        .unwrap()
        .into_inner();
    let retried_twice = app
        .client
        .issue_document(center(issue(
            document(&profession_id, 3, today()),
            "protocol-17-candidate-4",
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried_once, retried_twice);
    assert_ne!(retried_once.id, first.id);
    assert!(retried_twice.serial_number.ends_with("-00000002"));
}

#[tokio::test]
async fn many_documents_issued_at_once_for_one_center_number_without_gaps_or_repeats() {
    let mut app = spawn_app("docpar").await;
    let profession_id = app.profession_id.clone();
    issued(&mut app, document(&profession_id, 4, today())).await;
    const PARALLEL: usize = 40;
    let mut tasks = Vec::new();
    for n in 0..PARALLEL {
        let mut client = app.client.clone();
        let mut doc = document(&profession_id, if n % 2 == 0 { 3 } else { 4 }, today());
        doc.holder.as_mut().unwrap().iin = iin(20 + n as u32);
        tasks.push(tokio::spawn(async move {
            client
                .issue_document(center(issue(doc, "")))
                .await
                .unwrap()
                .into_inner()
                .serial_number
        }));
    }
    let mut sequences = BTreeSet::new();
    for task in tasks {
        let serial = task.await.unwrap();
        let sequence: u32 = serial.rsplit('-').next().unwrap().parse().unwrap();
        assert!(
            sequences.insert(sequence),
            "sequence {sequence} given twice"
        );
    }
    let expected: BTreeSet<u32> = (2..=(PARALLEL as u32 + 1)).collect();
    assert_eq!(
        sequences,
        expected,
        "every number from 2 to {} exactly once",
        PARALLEL + 1
    );
}

#[tokio::test]
async fn a_centers_eight_digits_end_at_99_999_999_and_the_next_document_is_refused_appendix_2() {
    let mut app = spawn_app("docfull").await;
    let profession_id = app.profession_id.clone();
    let first = issued(&mut app, document(&profession_id, 4, today())).await;
    assert!(
        first.serial_number.ends_with("-0042-00000001"),
        "{}",
        first.serial_number
    );
    // Center 0042 has (as if) registered 99,999,998 documents.
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    sqlx::query("UPDATE center_sequences SET last_sequence = 99999998 WHERE center_number = 42")
        .execute(&pool)
        .await
        .unwrap();
    let mut doc = document(&profession_id, 3, today());
    doc.holder.as_mut().unwrap().iin = iin(12);
    let last = app
        .client
        .issue_document(center(issue(doc.clone(), "")))
        .await
        .unwrap()
        .into_inner();
    assert!(
        last.serial_number.ends_with("-0042-99999999"),
        "{}",
        last.serial_number
    );
    let fetched = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: last.serial_number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.status, pb::DocumentStatus::Valid as i32);
    doc.holder.as_mut().unwrap().iin = iin(13);
    // Refused, and refused again when retried with the same request id: the refusal left no
    // record of the request behind.
    for attempt in ["", "full-1", "full-1"] {
        let refused = app
            .client
            .issue_document(center(issue(doc.clone(), attempt)))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{attempt:?}");
        assert!(
            refused.message().contains("8 digits is exhausted"),
            "{}",
            refused.message()
        );
    }
    // Nothing of the refused ones stays: no document, the counter where it was, no request.
    let (documents, counter, requests): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM documents WHERE center_number = 42),
                (SELECT last_sequence FROM center_sequences WHERE center_number = 42),
                (SELECT count(*) FROM request_keys WHERE request_id = 'full-1')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((documents, counter, requests), (2, 99_999_999, 0));
}

/// The registry judges a registration on the read models it holds in memory; whatever
/// changes them — here an operator's SQL, not an event — the next registration is judged on
/// what they hold now.
#[tokio::test]
async fn a_registration_is_judged_on_the_read_models_as_they_are_now_not_as_memory_held_them() {
    let mut app = spawn_app("docmemo").await;
    let profession_id = app.profession_id.clone();
    let yesterday = today().pred_opt().unwrap();
    // Registered while the center is active: the service now holds the center and the
    // profession in memory.
    issued(&mut app, document(&profession_id, 4, yesterday)).await;
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    // The certificate suspended from today, written straight into the read model.
    sqlx::query(
        "INSERT INTO known_certificate_statuses (certificate_id, status, since, event_id)
         VALUES ($1::uuid, 'suspended', $2, gen_random_uuid())",
    )
    .bind(CERTIFICATE)
    .bind(today())
    .execute(&pool)
    .await
    .unwrap();
    let mut doc = document(&profession_id, 4, today());
    doc.holder.as_mut().unwrap().iin = iin(12);
    let refused = app
        .client
        .issue_document(center(issue(doc.clone(), "memo-1")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused
            .message()
            .contains("no active accreditation certificate"),
        "{refused:?}"
    );
    // A procedure of yesterday, before the suspension, is still registered.
    let before = app
        .client
        .issue_document(center(issue(
            document(&profession_id, 3, yesterday),
            "memo-2",
        )))
        .await
        .unwrap()
        .into_inner();
    assert!(
        before.serial_number.ends_with("-0042-00000002"),
        "{}",
        before.serial_number
    );
    // The profession's levels narrowed to 3 by a new version in effect from today: a
    // level-4 document for a procedure today is refused, one for yesterday's is not judged
    // by it.
    let snapshot: Vec<u8> = sqlx::query_scalar(
        "SELECT snapshot FROM registered_profession_versions WHERE profession_id = $1::uuid",
    )
    .bind(&profession_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let mut entry = professions::Profession::decode(snapshot.as_slice()).unwrap();
    entry.nqf_levels = vec![3];
    entry.version = 2;
    sqlx::query(
        "INSERT INTO registered_profession_versions (profession_id, version, active, effective_from, snapshot, event_id)
         VALUES ($1::uuid, 2, true, $2, $3, gen_random_uuid())",
    )
    .bind(&profession_id)
    .bind(today())
    .bind(entry.encode_to_vec())
    .execute(&pool)
    .await
    .unwrap();
    // The suspension lifted (an operator's correction), so only the profession can refuse.
    sqlx::query("DELETE FROM known_certificate_statuses WHERE status = 'suspended'")
        .execute(&pool)
        .await
        .unwrap();
    let refused = app
        .client
        .issue_document(center(issue(doc, "memo-3")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("level"), "{refused:?}");
    let mut earlier = document(&profession_id, 4, yesterday);
    earlier.holder.as_mut().unwrap().iin = iin(13);
    let third = app
        .client
        .issue_document(center(issue(earlier, "memo-4")))
        .await
        .unwrap()
        .into_inner();
    assert!(
        third.serial_number.ends_with("-0042-00000003"),
        "{}",
        third.serial_number
    );
    // Nothing of the refused requests stays.
    let (documents, requests): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM documents),
                (SELECT count(*) FROM request_keys WHERE request_id LIKE 'memo-%')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((documents, requests), (3, 2));
}

#[tokio::test]
async fn the_open_data_streams_every_document_once_across_pages_with_its_status_today() {
    let mut app = spawn_app("docexport").await;
    let profession_id = app.profession_id.clone();
    let first = issued(&mut app, document(&profession_id, 4, today())).await;
    // 12,000 more, copied from the first: every 7th cancelled yesterday, every 5th (not
    // cancelled) ended yesterday — more than two pages of the export.
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    sqlx::query(
        "INSERT INTO documents (id, serial_number, center_number, sequence, holder_iin, holder_name,
                profession_id, profession_name, nqf_level, separate_skills, procedure_date,
                protocol_number, protocol_date, issue_date, valid_until, head_of_center, voucher_id,
                issued_late, created_at, center_name, cancelled_on, cancel_reason, cancel_ground)
         SELECT gen_random_uuid(), left(d.serial_number, -8) || lpad((1 + n)::text, 8, '0'),
                d.center_number, 1 + n, d.holder_iin, d.holder_name, d.profession_id,
                d.profession_name, d.nqf_level, d.separate_skills, d.procedure_date,
                d.protocol_number, d.protocol_date, d.issue_date,
                CASE WHEN n % 5 = 0 AND n % 7 <> 0 THEN $2::date ELSE d.valid_until END,
                d.head_of_center, d.voucher_id, d.issued_late, d.created_at, d.center_name,
                CASE WHEN n % 7 = 0 THEN $2::date END,
                CASE WHEN n % 7 = 0 THEN 'court decision' END,
                CASE WHEN n % 7 = 0 THEN 'court_decision' END
           FROM documents d, generate_series(1, 12000) AS n
          WHERE d.serial_number = $1",
    )
    .bind(&first.serial_number)
    // Yesterday in Astana, as the registry counts days (the database's own date may differ).
    .bind(today() - chrono::Days::new(1))
    .execute(&pool)
    .await
    .unwrap();
    let mut stream = app
        .client
        .export_registry(pb::ExportRegistryRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut csv = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.message().await.unwrap() {
        assert_eq!(chunk.content_type, "text/csv; charset=utf-8");
        csv.extend_from_slice(&chunk.data);
        chunks += 1;
    }
    assert!(chunks >= 3, "{chunks} chunks");
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[0], "serial_number");
    assert_eq!(header[7], "status");
    let mut serials = BTreeSet::new();
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    for record in reader.records() {
        let record = record.unwrap();
        assert!(
            serials.insert(record[0].to_string()),
            "{} twice",
            &record[0]
        );
        assert_eq!(&record[1], profession_id.as_str());
        assert_eq!(&record[4], CENTER);
        if &record[7] == "cancelled" {
            assert_eq!(&record[8], (today() - chrono::Days::new(1)).to_string());
        } else {
            assert_eq!(&record[8], "");
        }
        *statuses.entry(record[7].to_string()).or_default() += 1;
    }
    assert_eq!(serials.len(), 12_001);
    let cancelled = (1..=12_000).filter(|n| n % 7 == 0).count();
    let expired = (1..=12_000).filter(|n| n % 5 == 0 && n % 7 != 0).count();
    assert_eq!(statuses["cancelled"], cancelled);
    assert_eq!(statuses["expired"], expired);
    assert_eq!(statuses["valid"], 12_001 - cancelled - expired);
}

/// The open data as the registry streams it, opened.
async fn open_data(app: &mut TestApp) -> tonic::Streaming<nsk_proto::google::api::HttpBody> {
    app.client
        .export_registry(pb::ExportRegistryRequest::default())
        .await
        .unwrap()
        .into_inner()
}

/// What is left of `stream`, appended to `csv`.
async fn read_rest(
    mut stream: tonic::Streaming<nsk_proto::google::api::HttpBody>,
    mut csv: Vec<u8>,
) -> Vec<u8> {
    while let Some(chunk) = stream.message().await.unwrap() {
        csv.extend_from_slice(&chunk.data);
    }
    csv
}

/// Copies of the document `serial` numbered `from..=to` in its center (serials in its series).
async fn copies_of(pool: &sqlx::PgPool, serial: &str, from: i64, to: i64) {
    sqlx::query(
        "INSERT INTO documents (id, serial_number, center_number, sequence, holder_iin, holder_name,
                profession_id, profession_name, nqf_level, separate_skills, procedure_date,
                protocol_number, protocol_date, issue_date, valid_until, head_of_center, voucher_id,
                issued_late, created_at, center_name)
         SELECT gen_random_uuid(), left(d.serial_number, -8) || lpad(n::text, 8, '0'),
                d.center_number, n, d.holder_iin, d.holder_name, d.profession_id,
                d.profession_name, d.nqf_level, d.separate_skills, d.procedure_date,
                d.protocol_number, d.protocol_date, d.issue_date, d.valid_until,
                d.head_of_center, d.voucher_id, d.issued_late, d.created_at, d.center_name
           FROM documents d, generate_series($2::bigint, $3::bigint) AS n
          WHERE d.serial_number = $1",
    )
    .bind(serial)
    .bind(from)
    .bind(to)
    .execute(pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn the_open_data_is_the_registry_at_the_moment_the_export_began() {
    let mut app = spawn_app("docexportsnap").await;
    let profession_id = app.profession_id.clone();
    let first = issued(&mut app, document(&profession_id, 4, today())).await;
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    // 40,000 documents: eight pages of the export, of which the service reads at most a few
    // ahead of a caller that has taken only the first.
    copies_of(&pool, &first.serial_number, 2, 40_000).await;
    let mut stream = open_data(&mut app).await;
    let csv = stream.message().await.unwrap().unwrap().data;
    // While the export streams: 20,000 more registered, and 1,000 of those it began with
    // cancelled.
    copies_of(&pool, &first.serial_number, 40_001, 60_000).await;
    let cancelled = sqlx::query(
        "UPDATE documents SET cancelled_on = $1, cancel_reason = 'court decision',
                cancel_ground = 'court_decision'
          WHERE sequence BETWEEN 39001 AND 40000",
    )
    .bind(today())
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(cancelled.rows_affected(), 1000);
    let csv = read_rest(stream, csv).await;
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let mut sequences = BTreeSet::new();
    for record in reader.records() {
        let record = record.unwrap();
        let sequence: i64 = record[0][record[0].len() - 8..].parse().unwrap();
        assert!(sequences.insert(sequence), "{} twice", &record[0]);
        assert_eq!(&record[7], "valid", "{:?}", record);
    }
    assert_eq!(
        sequences.len(),
        40_000,
        "the export holds what was registered after it began"
    );
    assert_eq!(sequences.last(), Some(&40_000));
    // The next export sees both changes.
    let csv = read_rest(open_data(&mut app).await, Vec::new()).await;
    let mut reader = csv::Reader::from_reader(csv.as_slice());
    let (mut rows, mut cancelled) = (0, 0);
    for record in reader.records() {
        rows += 1;
        cancelled += usize::from(&record.unwrap()[7] == "cancelled");
    }
    assert_eq!((rows, cancelled), (60_000, 1000));
}

#[tokio::test]
async fn an_official_cancels_only_on_a_legal_ground_from_the_closed_list_with_its_basis() {
    let mut app = spawn_app("doccan").await;
    let profession_id = app.profession_id.clone();
    let doc = issued(&mut app, document(&profession_id, 4, today())).await;
    let replacing = issued(&mut app, document(&profession_id, 3, today())).await;
    let mut stranger = document(&profession_id, 3, today());
    stranger.holder = Some(pb::Holder {
        iin: iin(12),
        full_name: "Ахметов Ерлан".into(),
        ..Default::default()
    });
    let strangers = issued(&mut app, stranger).await;
    let cancel = |ground: pb::CancellationGround, replaced_by: &str| pb::CancelDocumentRequest {
        id: doc.id.clone(),
        request_id: String::new(),
        reason: "Level 4 typed for level 3".into(),
        basis: Some(BasisDocument {
            number: "MLSP-C-3".into(),
            date: today().to_string(),
            title: "Order".into(),
        }),
        ground: ground as i32,
        replaced_by_serial_number: replaced_by.into(),
    };
    use pb::CancellationGround as G;
    let denied = app
        .client
        .cancel_document(center(cancel(G::CourtDecision, "")))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    // Free text and a basis alone are not enough; nor is the revocation's own ground.
    for (ground, replaced_by, field) in [
        (G::Unspecified, "", "ground"),
        (G::RevocationOnComplaints, "", "ground"),
        (G::RegisteredInError, "", "replaced_by_serial_number"),
        (
            G::RegisteredInError,
            "25110-72120001-3-020326-0042-00009999",
            "replaced_by_serial_number",
        ),
        (
            G::RegisteredInError,
            strangers.serial_number.as_str(),
            "replaced_by_serial_number",
        ),
        (
            G::RegisteredInError,
            "not-a-serial",
            "replaced_by_serial_number",
        ),
    ] {
        let refused = app
            .client
            .cancel_document(admin(cancel(ground, replaced_by)))
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::InvalidArgument,
            "{ground:?} {replaced_by}"
        );
        assert!(refused.message().contains(field), "{refused:?}");
    }
    let cancelled = app
        .client
        .cancel_document(admin(cancel(
            G::RegisteredInError,
            &replacing.serial_number,
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status, pb::DocumentStatus::Cancelled as i32);
    let again = app
        .client
        .cancel_document(admin(cancel(G::CourtDecision, "")))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);

    let verified = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: doc.serial_number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(verified.status, pb::DocumentStatus::Cancelled as i32);
    let cancellation = verified.cancellation.unwrap();
    assert_eq!(cancellation.cancelled_on, today().to_string());
    assert_eq!(cancellation.ground, G::RegisteredInError as i32);
    assert_eq!(
        cancellation.replaced_by_serial_number,
        replacing.serial_number
    );
    assert_eq!(cancellation.reason, "Level 4 typed for level 3");
    assert_eq!(cancellation.basis.unwrap().number, "MLSP-C-3");

    let public = app
        .client
        .list_cancelled_documents(pb::ListCancelledDocumentsRequest {
            center_number: CENTER.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(public.documents.len(), 1);
    assert_eq!(public.documents[0].serial_number, doc.serial_number);

    // Each event carries the document's version: 1 registered, 2 cancelled.
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    let envelopes: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT envelope FROM outbox_events WHERE message_key = $1 ORDER BY seq",
    )
    .bind(&doc.id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let seen: Vec<(String, i64)> = envelopes
        .iter()
        .map(|bytes| {
            let e = nsk_proto::nsk::events::v1::EventEnvelope::decode(bytes.as_slice()).unwrap();
            (e.event_type, e.aggregate_version)
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (pb::DocumentIssued::full_name(), 1),
            (pb::DocumentCancelled::full_name(), 2)
        ]
    );
}

#[tokio::test]
async fn the_document_carries_appendix_2_the_centers_name_and_the_head_who_signs_it() {
    let mut app = spawn_app("docapp2").await;
    let profession_id = app.profession_id.clone();
    let mut unsigned = document(&profession_id, 4, today());
    unsigned.head_of_center = "  ".into();
    let refused = app
        .client
        .issue_document(center(issue(unsigned, "")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("document.head_of_center"),
        "{refused:?}"
    );
    let doc = issued(&mut app, document(&profession_id, 4, today())).await;
    assert_eq!(doc.center_name, "Welding Qualification Center LLP");
    assert_eq!(doc.head_of_center, "K. Abenov");
    assert_eq!(
        doc.holder.as_ref().unwrap().full_name,
        "Сейткали Айгерим Нурлановна"
    );
    let verified = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: doc.serial_number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(verified.center_name, "Welding Qualification Center LLP");
    assert_eq!(verified.holder_masked, "С. А. Н.");
}

#[tokio::test]
async fn a_revocation_on_ground_4_cancels_the_documents_it_names_and_stops_the_center() {
    let mut app = spawn_app("docrev").await;
    let profession_id = app.profession_id.clone();
    let named = issued(&mut app, document(&profession_id, 4, today())).await;
    let spared = issued(&mut app, document(&profession_id, 3, today())).await;
    // Center 0043, accredited for the same profession, issues a document the revocation of
    // 0042 names by mistake: it is not 0042's, and it stays valid (Art. 26.2.4).
    accredit_second_center(&app).await;
    let foreign = issued_by(&mut app, "0043", document(&profession_id, 4, today())).await;
    assert_eq!(foreign.center_name, "Second Center LLP");
    let revoked = accreditation::CertificateRevoked {
        certificate: Some(certificate(
            accreditation::CertificateStatus::Revoked,
            &today().to_string(),
            &profession_id,
        )),
        ground: accreditation::RevocationGround::ConfirmedComplaints as i32,
        basis: Some(BasisDocument {
            number: "NCE-R-5".into(),
            date: today().to_string(),
            title: "Complaint confirmed".into(),
        }),
        document_serial_numbers: vec![named.serial_number.clone(), foreign.serial_number.clone()],
        revoked_on: today().to_string(),
        ..Default::default()
    };
    send(&app, "accreditation", CENTER, &revoked).await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let verified = loop {
        let v = app
            .client
            .verify_document(pb::VerifyDocumentRequest {
                serial_number: named.serial_number.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        if v.status == pb::DocumentStatus::Cancelled as i32 {
            break v;
        }
        assert!(Instant::now() < deadline, "never cancelled: {v:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let cancellation = verified.cancellation.unwrap();
    assert!(
        cancellation.reason.contains("Art. 26.2.4"),
        "{cancellation:?}"
    );
    assert_eq!(cancellation.basis.unwrap().number, "NCE-R-5");
    let other = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: spared.serial_number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        other.status,
        pb::DocumentStatus::Valid as i32,
        "only the documents named"
    );
    assert_eq!(
        cancellation.ground,
        pb::CancellationGround::RevocationOnComplaints as i32
    );
    let foreign = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: foreign.serial_number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        foreign.status,
        pb::DocumentStatus::Valid as i32,
        "another center's document is not cancelled by 0042's revocation"
    );

    // From the day of revocation the center issues nothing more.
    let refused = app
        .client
        .issue_document(center(issue(document(&profession_id, 4, today()), "")))
        .await
        .unwrap_err();
    assert!(
        refused
            .message()
            .contains("no active accreditation certificate"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_persons_documents_by_iin_are_for_officials_and_each_lookup_is_audited() {
    let mut app = spawn_app("dociin").await;
    let profession_id = app.profession_id.clone();
    issued(&mut app, document(&profession_id, 4, today())).await;
    let by_iin = || pb::ListDocumentsRequest {
        holder_iin: iin(11),
        ..Default::default()
    };
    let denied = app
        .client
        .list_documents(center(by_iin()))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let found = app
        .client
        .list_documents(admin(by_iin()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.documents.len(), 1);
    assert_eq!(found.documents[0].holder.as_ref().unwrap().iin, iin(11));

    let own = app
        .client
        .list_documents(center(pb::ListDocumentsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.documents.len(), 1);

    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    let audited: Vec<(String, String, i32)> =
        sqlx::query_as("SELECT official, iin, found FROM iin_lookups")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(audited, [("center-0042-system".to_string(), iin(11), 1)]);
}

#[tokio::test]
async fn a_holder_without_an_iin_is_identified_by_an_identity_document_and_country_art_2_4() {
    let mut app = spawn_app("docforeign").await;
    let profession_id = app.profession_id.clone();
    let mut foreign = document(&profession_id, 4, today());
    foreign.holder = Some(pb::Holder {
        full_name: "Karimov Aziz".into(),
        identity_document_number: "fa1234567".into(),
        identity_document_country: "uz".into(),
        ..Default::default()
    });
    let doc = issued(&mut app, foreign.clone()).await;
    let holder = doc.holder.clone().unwrap();
    assert_eq!(holder.iin, "");
    assert_eq!(
        (
            holder.identity_document_number.as_str(),
            holder.identity_document_country.as_str()
        ),
        ("FA1234567", "UZ")
    );
    let verified = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: doc.serial_number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(verified.holder_masked, "K. A.");

    // Neither way of identifying, or both: refused, naming the field.
    let mut nobody = foreign.clone();
    nobody.holder = Some(pb::Holder {
        full_name: "Karimov Aziz".into(),
        ..Default::default()
    });
    let refused = app
        .client
        .issue_document(center(issue(nobody, "")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("document.holder.iin"),
        "{refused:?}"
    );
    let mut both = foreign.clone();
    both.holder.as_mut().unwrap().iin = iin(3);
    let refused = app
        .client
        .issue_document(center(issue(both, "")))
        .await
        .unwrap_err();
    assert!(
        refused
            .message()
            .contains("document.holder.identity_document_number"),
        "{refused:?}"
    );

    // Officials find the person's documents by the document; the lookup is audited.
    let by_document = || pb::ListDocumentsRequest {
        holder_document_number: "FA1234567".into(),
        holder_document_country: "UZ".into(),
        ..Default::default()
    };
    let denied = app
        .client
        .list_documents(center(by_document()))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    let found = app
        .client
        .list_documents(admin(by_document()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.documents.len(), 1);
    assert_eq!(found.documents[0].serial_number, doc.serial_number);
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    let audited: Vec<String> = sqlx::query_scalar("SELECT iin FROM iin_lookups")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(audited, ["UZ FA1234567"]);
}

#[tokio::test]
async fn the_authorized_body_migrates_documents_from_before_the_platform_as_they_were() {
    let mut app = spawn_app("docmig").await;
    let profession_id = app.profession_id.clone();
    // The registry knows the profession and center 0042 once one document goes through.
    issued(&mut app, document(&profession_id, 3, today())).await;
    let old =
        |serial: &str, center: &str, procedure: &str, protocol: &str, issue: &str| pb::Document {
            serial_number: serial.into(),
            holder: Some(pb::Holder {
                iin: iin(20),
                full_name: "Абенов Марат".into(),
                ..Default::default()
            }),
            profession_id: profession_id.clone(),
            nqf_level: 4,
            procedure_date: procedure.into(),
            protocol_number: "P-2023-9".into(),
            protocol_date: protocol.into(),
            issue_date: issue.into(),
            valid_until: "2028-09-20".into(),
            center_number: center.into(),
            center_name: "Welding Center of Almaty LLP".into(),
            head_of_center: "S. Nurpeisov".into(),
            ..Default::default()
        };
    let batch = |documents: Vec<pb::Document>| pb::MigrateDocumentsRequest {
        request_id: String::new(),
        basis: Some(BasisDocument {
            number: "MLSP-M-1".into(),
            date: today().to_string(),
            title: "Order on the migration of the 2023-2025 registers".into(),
        }),
        documents,
    };
    let first = old(
        "25110-72120001-4-150923-0007-00000012",
        "0007",
        "2023-09-15",
        "2023-09-18",
        "2023-09-20",
    );
    // Issued five working days after its protocol: late by Rules p. 18, recorded as such.
    let late = old(
        "25110-72120001-4-010224-0042-00000005",
        "0042",
        "2024-02-01",
        "2024-02-02",
        "2024-02-12",
    );
    let denied = app
        .client
        .migrate_documents(center(batch(vec![first.clone()])))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);

    // A batch with bad rows is refused whole, each named; nothing comes in.
    let mut wrong_day = first.clone();
    wrong_day.procedure_date = "2023-09-14".into();
    wrong_day.protocol_date = "2023-09-14".into();
    let too_early = old(
        "25110-72120001-4-150922-0007-00000001",
        "0007",
        "2022-09-15",
        "2022-09-16",
        "2022-09-20",
    );
    let refused = app
        .client
        .migrate_documents(admin(batch(vec![wrong_day, too_early, late.clone()])))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let message = refused.message();
    assert!(message.contains("documents[0].serial_number"), "{message}");
    assert!(message.contains("part 4"), "{message}");
    assert!(message.contains("documents[1].procedure_date"), "{message}");
    assert!(!message.contains("documents[2]"), "{message}");
    let nothing = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: late.serial_number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(nothing.status, pb::DocumentStatus::Unknown as i32);

    let done = app
        .client
        .migrate_documents(admin(batch(vec![first.clone(), late.clone()])))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.migrated, 2);
    let verified = app
        .client
        .verify_document(pb::VerifyDocumentRequest {
            serial_number: first.serial_number.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(verified.status, pb::DocumentStatus::Valid as i32);
    assert_eq!(verified.issue_date, "2023-09-20");
    assert_eq!(verified.procedure_date, "2023-09-15");
    assert_eq!(verified.center_number, "0007");
    assert_eq!(verified.center_name, "Welding Center of Almaty LLP");
    let listed = app
        .client
        .list_documents(admin(pb::ListDocumentsRequest {
            holder_iin: iin(20),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let lateness: Vec<(String, bool)> = listed
        .documents
        .iter()
        .map(|d| (d.serial_number.clone(), d.issued_late))
        .collect();
    assert_eq!(
        lateness,
        [
            (first.serial_number.clone(), false),
            (late.serial_number.clone(), true)
        ]
    );

    // The same batch again: already in the registry.
    let again = app
        .client
        .migrate_documents(admin(batch(vec![first.clone()])))
        .await
        .unwrap_err();
    assert!(
        again.message().contains("already in the registry"),
        "{again:?}"
    );

    // Center 0042's own numbering continues after the number its old document used.
    let next = issued(&mut app, document(&profession_id, 4, today())).await;
    assert!(
        next.serial_number.ends_with("-0042-00000006"),
        "{}",
        next.serial_number
    );

    // The batch is recorded: who, on what basis, how many.
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    let recorded: Vec<(String, i32)> =
        sqlx::query_as("SELECT actor, documents FROM document_migrations")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(recorded, [("center-0042-system".to_string(), 2)]);
}

#[tokio::test]
async fn public_verification_is_counted_per_day_and_never_logged_per_check() {
    let mut app = spawn_app("doccount").await;
    for n in 1..=3 {
        app.client
            .verify_document(pb::VerifyDocumentRequest {
                serial_number: format!("25110-72120001-4-201126-0042-{n:08}"),
            })
            .await
            .unwrap();
    }
    let pool = nsk_db::connect(&app.config.database, &[]).await.unwrap();
    let counted = nsk_runtime::testing::eventually(
        Duration::from_secs(20),
        "the day's count reached the database",
        || {
            let pool = pool.clone();
            async move {
                let n: Option<i64> =
                    sqlx::query_scalar("SELECT count FROM verification_counts WHERE day = $1")
                        .bind(today())
                        .fetch_optional(&pool)
                        .await
                        .ok()
                        .flatten();
                n.filter(|n| *n >= 3)
            }
        },
    )
    .await;
    assert_eq!(counted, 3);
    // Nothing of a single check is kept: no serial in the audit trail.
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE detail LIKE '%0042-0000000%' OR subject LIKE '%0042-0000000%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(logged, 0);
}

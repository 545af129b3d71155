//! Proto <-> domain for accreditation, and the small parsers every command shares (the day of
//! an act, a basis document). One contract for unknown values: an enum number the service
//! does not know is refused where a caller sent it, naming the field. A leaf: handlers, cases,
//! jobs and events import it; it imports none of them.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use nsk_errors::fields::optional_date;
use nsk_errors::{ApiError, FieldViolation};
use nsk_proto::nsk::accreditation::v1 as pb;
use nsk_proto::nsk::common::v1 as common;
use uuid::Uuid;

use crate::domain::application::{self as app, FormDraft, PremisesRight, Stage};
use crate::domain::certificate::{
    self as cert, Reorganisation, RevocationGround, Status as CertStatus, TerminationGround,
};
use crate::domain::deadlines;
use crate::store::{self, Document, Step, StoredApplication, StoredCertificate};

const DEFAULT_PAGE_SIZE: i32 = 50;
const MAX_PAGE_SIZE: i32 = 100;

pub fn today() -> NaiveDate {
    nsk_calendar::today()
}

/// The day an act took place: given, or today; never in the future.
pub fn act_date(raw: &str, field: &str) -> Result<NaiveDate, ApiError> {
    let today = today();
    match optional_date(raw, field)? {
        None => Ok(today),
        Some(day) if day > today => Err(ApiError::invalid_field(
            field,
            format!("must not be in the future (today is {today})"),
        )),
        Some(day) => Ok(day),
    }
}

pub fn not_before(
    day: NaiveDate,
    earliest: NaiveDate,
    field: &str,
    what: &str,
) -> Result<(), ApiError> {
    if day < earliest {
        return Err(ApiError::invalid_field(
            field,
            format!("must not be before {what} ({earliest})"),
        ));
    }
    Ok(())
}

pub fn document(raw: Option<common::BasisDocument>, field: &str) -> Result<Document, ApiError> {
    let raw = raw.unwrap_or_default();
    let parsed = nsk_errors::fields::document(&raw.number, &raw.date, &raw.title, field)?;
    Ok(Document {
        number: parsed.number,
        date: parsed.date,
        title: parsed.title,
    })
}

pub fn document_to_proto(d: &Document) -> common::BasisDocument {
    common::BasisDocument {
        number: d.number.clone(),
        date: d.date.to_string(),
        title: d.title.clone(),
    }
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn calendar_error(err: nsk_calendar::CalendarError) -> ApiError {
    ApiError::failed_precondition(format!(
        "the working-day calendar cannot compute this deadline: {err}"
    ))
}

pub fn stage_to_proto(stage: Stage) -> pb::ApplicationStage {
    use pb::ApplicationStage as P;
    match stage {
        Stage::Accepted => P::Accepted,
        Stage::DocumentsExamined => P::DocumentsExamined,
        Stage::SiteExamined => P::SiteExamined,
        Stage::Accredited => P::Accredited,
        Stage::Refused => P::Refused,
        Stage::ReasonsSent => P::ReasonsSent,
        Stage::CertificateIssued => P::CertificateIssued,
        Stage::AgreementConcluded => P::AgreementConcluded,
    }
}

pub fn stage_from_proto(raw: i32) -> Result<Option<Stage>, ApiError> {
    use pb::ApplicationStage as P;
    Ok(Some(match P::try_from(raw) {
        Ok(P::Unspecified) => return Ok(None),
        Ok(P::Accepted) => Stage::Accepted,
        Ok(P::DocumentsExamined) => Stage::DocumentsExamined,
        Ok(P::SiteExamined) => Stage::SiteExamined,
        Ok(P::Accredited) => Stage::Accredited,
        Ok(P::Refused) => Stage::Refused,
        Ok(P::ReasonsSent) => Stage::ReasonsSent,
        Ok(P::CertificateIssued) => Stage::CertificateIssued,
        Ok(P::AgreementConcluded) => Stage::AgreementConcluded,
        Err(_) => {
            return Err(ApiError::invalid_field(
                "stage",
                "is not a stage of an application",
            ))
        }
    }))
}

pub fn status_to_proto(status: CertStatus) -> pb::CertificateStatus {
    use pb::CertificateStatus as P;
    match status {
        CertStatus::Active => P::Active,
        CertStatus::Revoked => P::Revoked,
        CertStatus::Terminated => P::Terminated,
        CertStatus::Expired => P::Expired,
        CertStatus::Replaced => P::Replaced,
    }
}

pub fn status_from_proto(raw: i32) -> Result<Option<CertStatus>, ApiError> {
    use pb::CertificateStatus as P;
    Ok(Some(match P::try_from(raw) {
        Ok(P::Unspecified) => return Ok(None),
        Ok(P::Active) => CertStatus::Active,
        Ok(P::Revoked) => CertStatus::Revoked,
        Ok(P::Terminated) => CertStatus::Terminated,
        Ok(P::Expired) => CertStatus::Expired,
        Ok(P::Replaced) => CertStatus::Replaced,
        Err(_) => {
            return Err(ApiError::invalid_field(
                "status",
                "is not a status of a certificate",
            ))
        }
    }))
}

pub fn premises_from_proto(raw: i32) -> Option<PremisesRight> {
    use pb::PremisesRight as P;
    match P::try_from(raw).ok()? {
        P::Unspecified => None,
        P::Ownership => Some(PremisesRight::Ownership),
        P::EconomicManagement => Some(PremisesRight::EconomicManagement),
        P::OperationalManagement => Some(PremisesRight::OperationalManagement),
        P::JointActivityAgreement => Some(PremisesRight::JointActivityAgreement),
        P::TemporaryPossession => Some(PremisesRight::TemporaryPossession),
    }
}

pub fn premises_to_proto(right: PremisesRight) -> pb::PremisesRight {
    use pb::PremisesRight as P;
    match right {
        PremisesRight::Ownership => P::Ownership,
        PremisesRight::EconomicManagement => P::EconomicManagement,
        PremisesRight::OperationalManagement => P::OperationalManagement,
        PremisesRight::JointActivityAgreement => P::JointActivityAgreement,
        PremisesRight::TemporaryPossession => P::TemporaryPossession,
    }
}

pub fn ground_from_proto(raw: i32) -> Option<RevocationGround> {
    use pb::RevocationGround as P;
    match P::try_from(raw).ok()? {
        P::Unspecified => None,
        P::OwnRequest => Some(RevocationGround::OwnRequest),
        P::ProcedureViolation => Some(RevocationGround::ProcedureViolation),
        P::MonitoringViolation => Some(RevocationGround::MonitoringViolation),
        P::ConfirmedComplaints => Some(RevocationGround::ConfirmedComplaints),
    }
}

pub fn ground_to_proto(ground: RevocationGround) -> pb::RevocationGround {
    use pb::RevocationGround as P;
    match ground {
        RevocationGround::OwnRequest => P::OwnRequest,
        RevocationGround::ProcedureViolation => P::ProcedureViolation,
        RevocationGround::MonitoringViolation => P::MonitoringViolation,
        RevocationGround::ConfirmedComplaints => P::ConfirmedComplaints,
    }
}

pub fn termination_from_proto(raw: i32) -> Option<TerminationGround> {
    use pb::TerminationGround as P;
    match P::try_from(raw).ok()? {
        P::Unspecified => None,
        P::Revocation => Some(TerminationGround::Revocation),
        P::Expiry => Some(TerminationGround::Expiry),
        P::Liquidation => Some(TerminationGround::Liquidation),
        P::CourtDecision => Some(TerminationGround::CourtDecision),
    }
}

pub fn termination_to_proto(ground: TerminationGround) -> pb::TerminationGround {
    use pb::TerminationGround as P;
    match ground {
        TerminationGround::Revocation => P::Revocation,
        TerminationGround::Expiry => P::Expiry,
        TerminationGround::Liquidation => P::Liquidation,
        TerminationGround::CourtDecision => P::CourtDecision,
    }
}

pub fn reorganisation_from_proto(raw: i32) -> Option<Reorganisation> {
    use pb::ReorganisationForm as P;
    match P::try_from(raw).ok()? {
        P::Unspecified => None,
        P::Merger => Some(Reorganisation::Merger),
        P::Accession => Some(Reorganisation::Accession),
        P::Division => Some(Reorganisation::Division),
        P::Separation => Some(Reorganisation::Separation),
        P::Transformation => Some(Reorganisation::Transformation),
    }
}

pub fn reorganisation_to_proto(form: Reorganisation) -> pb::ReorganisationForm {
    use pb::ReorganisationForm as P;
    match form {
        Reorganisation::Merger => P::Merger,
        Reorganisation::Accession => P::Accession,
        Reorganisation::Division => P::Division,
        Reorganisation::Separation => P::Separation,
        Reorganisation::Transformation => P::Transformation,
    }
}

pub fn scope_to_proto(scope: &[app::ScopeEntry]) -> Vec<pb::ScopeEntry> {
    scope
        .iter()
        .map(|s| pb::ScopeEntry {
            profession_id: s.profession_id.to_string(),
            nqf_levels: s.nqf_levels.iter().map(|l| i32::from(*l)).collect(),
        })
        .collect()
}

pub fn steps_to_proto(steps: &[Step]) -> Vec<pb::CaseStep> {
    steps
        .iter()
        .map(|s| pb::CaseStep {
            what: s.what.clone(),
            stamp: Some(common::ChangeStamp {
                actor: s.actor.clone(),
                actor_role: s.actor_role.clone(),
                at: timestamp(s.at),
                reason: String::new(),
                request_id: s.request_id.clone(),
            }),
            document: s.document.as_ref().map(document_to_proto),
            remarks: s.remarks.clone(),
            acted_on: s.acted_on.to_string(),
        })
        .collect()
}

pub fn deadlines_to_proto(rows: &[store::DeadlineRow], today: NaiveDate) -> Vec<pb::Deadline> {
    rows.iter()
        .map(|d| pb::Deadline {
            what: d.kind.what().to_string(),
            article: d.kind.article().to_string(),
            due_date: d.due.to_string(),
            met_on: d.met_on.map(|m| m.to_string()).unwrap_or_default(),
            late: deadlines::is_late(d.due, d.met_on, today),
        })
        .collect()
}

pub fn application_to_proto(
    a: &StoredApplication,
    steps: &[Step],
    deadline_rows: &[store::DeadlineRow],
) -> pb::Application {
    let f = &a.form;
    let open_due = deadline_rows
        .iter()
        .find(|d| d.met_on.is_none())
        .map(|d| d.due.to_string())
        .unwrap_or_default();
    pb::Application {
        id: a.id.to_string(),
        applicant_bin: f.applicant_bin.to_string(),
        applicant_name: f.applicant_name.clone(),
        at_educational_institution: false,
        requested_scope: scope_to_proto(&f.requested_scope),
        evidence: f
            .evidence
            .iter()
            .map(|e| pb::CriterionEvidence {
                criterion: e.criterion.code().to_string(),
                description: e.description.clone(),
                document_refs: e.document_refs.clone(),
            })
            .collect(),
        stage: stage_to_proto(a.stage()) as i32,
        due_date: open_due,
        previous_certificate_id: f
            .previous_certificate_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        history: steps_to_proto(steps),
        founders: f.founders.clone(),
        premises_right: premises_to_proto(f.premises_right) as i32,
        filed_on: a.filed_on.to_string(),
        site_report: a
            .site_report()
            .iter()
            .copied()
            .flatten()
            .map(|r| pb::CriterionAssessment {
                criterion: r.criterion.code().to_string(),
                met: r.met,
                reasoning: r.reasoning.clone(),
            })
            .collect(),
        decision: a.decision().map(|d| pb::Decision {
            accredit: d.accredit,
            reasons: d.reasons.clone(),
            authorized_body_coordination: Some(document_to_proto(&d.coordination)),
            decided_on: d.decided_on.to_string(),
        }),
        certificate_id: a
            .certificate_id()
            .map(|id| id.to_string())
            .unwrap_or_default(),
        deadlines: deadlines_to_proto(deadline_rows, today()),
        // Set by the reply, which consults the list (Art. 26.5).
        not_renewable_matches: Vec::new(),
        appeals: a
            .appeals()
            .iter()
            .map(|r| pb::AppealOutcome {
                body: match r.body {
                    store::AppealBody::Administrative => pb::AppealBody::Administrative,
                    store::AppealBody::Court => pb::AppealBody::Court,
                } as i32,
                refusal_overturned: r.overturned,
                reopened_at: r
                    .reopened_at
                    .as_deref()
                    .and_then(Stage::from_code)
                    .map_or(pb::ApplicationStage::Unspecified, stage_to_proto)
                    as i32,
                decision: Some(document_to_proto(&r.decision)),
                decided_on: r.decided_on.to_string(),
                refusal_reasons: r
                    .refusal
                    .as_ref()
                    .map(|d| d.reasons.clone())
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

pub fn certificate_to_proto(
    c: &StoredCertificate,
    steps: &[Step],
    deadline_rows: &[store::DeadlineRow],
) -> pb::Certificate {
    pb::Certificate {
        id: c.id.to_string(),
        serial_number: c.serial_number.clone(),
        center_number: c.center_number.to_string(),
        center_bin: c.center_bin.clone(),
        center_name: c.center_name.clone(),
        scope: scope_to_proto(&c.scope),
        valid_from: c.valid_from.to_string(),
        valid_until: c.valid_until.to_string(),
        status: status_to_proto(c.status()) as i32,
        previous_certificate_id: c
            .previous_certificate_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        status_since: c.status_since().to_string(),
        issued_on: c.issued_on.to_string(),
        application_id: c
            .application_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        revocation: c.revocation().map(|r| pb::Revocation {
            ground: ground_to_proto(r.revocation.ground) as i32,
            basis: Some(document_to_proto(&r.basis)),
            document_serial_numbers: r.revocation.documents.clone(),
            concerns_health_or_safety: r.revocation.concerns_health_or_safety,
            event_detected_on: r.detected_on.to_string(),
            decided_on: r.decided_on.to_string(),
        }),
        termination_ground: c
            .termination_ground()
            .map(termination_to_proto)
            .unwrap_or(pb::TerminationGround::Unspecified) as i32,
        history: steps_to_proto(steps),
        deadlines: deadlines_to_proto(deadline_rows, today()),
        reorganisation: c
            .reorganisation
            .map(reorganisation_to_proto)
            .unwrap_or(pb::ReorganisationForm::Unspecified) as i32,
        // Set by the replies, which read the history.
        status_history: Vec::new(),
        route: match c.route {
            cert::Route::Nce => pb::AccreditationRoute::Nce,
            cert::Route::ConformityAssessment => pb::AccreditationRoute::ConformityAssessment,
        } as i32,
    }
}

/// A certificate as events carry it: without the case history.
pub fn certificate_for_event(c: &StoredCertificate) -> pb::Certificate {
    certificate_to_proto(c, &[], &[])
}

pub fn status_history_to_proto(history: &[(CertStatus, NaiveDate)]) -> Vec<pb::StatusChange> {
    history
        .iter()
        .map(|(status, since)| pb::StatusChange {
            status: status_to_proto(*status) as i32,
            since: since.to_string(),
        })
        .collect()
}

/// The certificate as the public register shows it: number, center, scope, validity, statuses
/// and, for a revocation, its ground and day (and the documents cancelled, which Art. 26.2
/// publishes) — none of the case: no acts, officers, remarks, deadlines, application, basis.
pub fn public_certificate(mut c: pb::Certificate) -> pb::Certificate {
    c.history.clear();
    c.deadlines.clear();
    c.application_id.clear();
    if let Some(r) = c.revocation.as_mut() {
        r.basis = None;
        r.event_detected_on.clear();
    }
    c
}

pub fn form_from_proto(a: pb::Application) -> FormDraft {
    FormDraft {
        applicant_bin: a.applicant_bin,
        applicant_name: a.applicant_name,
        founders: a.founders,
        at_educational_institution: a.at_educational_institution,
        premises_right: premises_from_proto(a.premises_right),
        requested_scope: a
            .requested_scope
            .into_iter()
            .map(|s| (s.profession_id, s.nqf_levels))
            .collect(),
        evidence: a
            .evidence
            .into_iter()
            .map(|e| (e.criterion, e.description, e.document_refs))
            .collect(),
        previous_certificate_id: a.previous_certificate_id,
    }
}

pub fn page_size(raw: i32) -> Result<i64, ApiError> {
    match raw {
        0 => Ok(i64::from(DEFAULT_PAGE_SIZE)),
        n if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(i64::from(n)),
        _ => Err(ApiError::invalid_field(
            "page_size",
            "must be from 1 to 100 (0 for 50)",
        )),
    }
}

/// A scope as sent; each entry that is not a profession's UUID with NQF levels 1-8 is a
/// violation under `field`.
pub fn scope_from_proto(
    entries: &[pb::ScopeEntry],
    field: &str,
    violations: &mut Vec<FieldViolation>,
) -> Vec<app::ScopeEntry> {
    let mut scope = Vec::new();
    for (j, entry) in entries.iter().enumerate() {
        let levels = entry
            .nqf_levels
            .iter()
            .map(|l| u8::try_from(*l).ok().filter(|l| (1..=8).contains(l)))
            .collect::<Option<Vec<u8>>>();
        match (Uuid::parse_str(entry.profession_id.trim()), levels) {
            (Ok(profession_id), Some(nqf_levels)) if !nqf_levels.is_empty() => {
                scope.push(app::ScopeEntry {
                    profession_id,
                    nqf_levels,
                })
            }
            _ => violations.push(FieldViolation {
                field: format!("{field}[{j}]"),
                description: "must name a profession by its UUID and NQF levels 1-8".into(),
            }),
        }
    }
    scope
}

pub fn ground_number(ground: RevocationGround) -> u8 {
    match ground {
        RevocationGround::OwnRequest => 1,
        RevocationGround::ProcedureViolation => 2,
        RevocationGround::MonitoringViolation => 3,
        RevocationGround::ConfirmedComplaints => 4,
    }
}

/// A key as it is listed: never its secret nor its hash.
pub fn api_key_to_proto(key: &crate::domain::keys::ApiKey, now: DateTime<Utc>) -> pb::ApiKey {
    use crate::domain::keys::KeyStatus;
    let revocation = key.revocation();
    pb::ApiKey {
        id: key.id().to_string(),
        center_number: key.center().to_string(),
        prefix: key.prefix().to_string(),
        label: key.label().to_string(),
        status: match key.status(now) {
            KeyStatus::Active => pb::ApiKeyStatus::Active,
            KeyStatus::Rotating => pb::ApiKeyStatus::Rotating,
            KeyStatus::Revoked => pb::ApiKeyStatus::Revoked,
            KeyStatus::Expired => pb::ApiKeyStatus::Expired,
        } as i32,
        created_at: timestamp(key.created_at()),
        created_by: key.created_by().to_string(),
        expires_at: timestamp(key.expires_at()),
        last_used_at: key.last_used_at().map(timestamp).unwrap_or_default(),
        revoked_at: revocation.map(|r| timestamp(r.at)).unwrap_or_default(),
        revoked_by: revocation.map(|r| r.by.clone()).unwrap_or_default(),
        revoke_reason: revocation.map(|r| r.reason.clone()).unwrap_or_default(),
        replaced_by: key
            .replaced_by()
            .map(|id| id.to_string())
            .unwrap_or_default(),
        kind: match key.kind() {
            crate::domain::keys::Kind::Secret => pb::ApiKeyKind::Secret,
            crate::domain::keys::Kind::ClientCertificate => pb::ApiKeyKind::ClientCertificate,
        } as i32,
        certificate_sha256: key.certificate_sha256().unwrap_or_default().to_string(),
    }
}

//! The gRPC face of accreditation: proto <-> domain, who may do what, error mapping.

use chrono::{DateTime, NaiveDate, SecondsFormat, SubsecRound, Utc};
use nsk_calendar::SharedCalendar;
use nsk_db::requests::{Once, RequestKey};
use nsk_errors::fields::{optional_date, uuid as parse_id};
use nsk_errors::{ApiError, FieldViolation};
use nsk_events::{EventContext, Outbox};
use nsk_identity::{Caller, Identity, Role, TokenVerifier};
use nsk_proto::nsk::accreditation::v1 as pb;
use nsk_proto::nsk::accreditation::v1::accreditation_service_server::AccreditationService;
use nsk_proto::nsk::common::v1 as common;
use prost::Message as _;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::application::{self as app, ApplicationForm, FormDraft, PremisesRight, Stage};
use crate::domain::certificate::{
    self as cert, Reorganisation, Revocation, RevocationGround, Status as CertStatus,
    TerminationGround,
};
use crate::domain::deadlines::{self, Deadline};
use crate::domain::listing;
use crate::domain::Refused;
use crate::events;
use crate::store::{
    self, Center, DecisionRecord, Document, RevocationRecord, Step, StoredApplication,
    StoredCertificate,
};

const DEFAULT_PAGE_SIZE: i32 = 50;
const MAX_PAGE_SIZE: i32 = 100;

/// Who reads applications, cases and deadlines.
const READERS: [Role; 3] = [Role::NceOfficer, Role::AuthorizedBodyAdmin, Role::Auditor];

pub struct AccreditationApi {
    pool: PgPool,
    outbox: Outbox,
    verifier: TokenVerifier,
    calendar: SharedCalendar,
}

fn refused(err: Refused) -> ApiError {
    ApiError::failed_precondition(err.0)
}

fn now() -> DateTime<Utc> {
    // PostgreSQL keeps microseconds; a reply must equal what a later read returns.
    Utc::now().trunc_subsecs(6)
}

fn today() -> NaiveDate {
    nsk_calendar::today()
}

/// The day an act took place: given, or today; never in the future.
fn act_date(raw: &str, field: &str) -> Result<NaiveDate, ApiError> {
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

fn not_before(
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

fn document(raw: Option<common::BasisDocument>, field: &str) -> Result<Document, ApiError> {
    let raw = raw.unwrap_or_default();
    let parsed = nsk_errors::fields::document(&raw.number, &raw.date, &raw.title, field)?;
    Ok(Document {
        number: parsed.number,
        date: parsed.date,
        title: parsed.title,
    })
}

fn document_to_proto(d: &Document) -> common::BasisDocument {
    common::BasisDocument {
        number: d.number.clone(),
        date: d.date.to_string(),
        title: d.title.clone(),
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn calendar_error(err: nsk_calendar::CalendarError) -> ApiError {
    ApiError::failed_precondition(format!(
        "the working-day calendar cannot compute this deadline: {err}"
    ))
}

/// Who acts, and on which request: what every step records.
struct Actor {
    subject: String,
    role: String,
    request_id: String,
}

impl Actor {
    fn new(identity: &Identity, key: Option<&RequestKey>) -> Self {
        Self {
            subject: identity.subject.clone(),
            role: identity.primary_role().to_string(),
            request_id: key
                .map(|k| k.id().to_string())
                .unwrap_or_else(|| Uuid::now_v7().to_string()),
        }
    }

    fn step(
        &self,
        what: impl Into<String>,
        acted_on: NaiveDate,
        document: Option<Document>,
        remarks: impl Into<String>,
    ) -> Step {
        Step {
            what: what.into(),
            actor: self.subject.clone(),
            actor_role: self.role.clone(),
            document,
            remarks: remarks.into(),
            acted_on,
            request_id: self.request_id.clone(),
            at: now(),
        }
    }

    fn context(&self) -> EventContext {
        EventContext {
            actor: self.subject.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

// ---- proto <-> domain ----

fn stage_to_proto(stage: Stage) -> pb::ApplicationStage {
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

fn stage_from_proto(raw: i32) -> Result<Option<Stage>, ApiError> {
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

fn status_to_proto(status: CertStatus) -> pb::CertificateStatus {
    use pb::CertificateStatus as P;
    match status {
        CertStatus::Active => P::Active,
        CertStatus::Revoked => P::Revoked,
        CertStatus::Terminated => P::Terminated,
        CertStatus::Expired => P::Expired,
        CertStatus::Replaced => P::Replaced,
    }
}

fn status_from_proto(raw: i32) -> Result<Option<CertStatus>, ApiError> {
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

fn premises_from_proto(raw: i32) -> Option<PremisesRight> {
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

fn premises_to_proto(right: PremisesRight) -> pb::PremisesRight {
    use pb::PremisesRight as P;
    match right {
        PremisesRight::Ownership => P::Ownership,
        PremisesRight::EconomicManagement => P::EconomicManagement,
        PremisesRight::OperationalManagement => P::OperationalManagement,
        PremisesRight::JointActivityAgreement => P::JointActivityAgreement,
        PremisesRight::TemporaryPossession => P::TemporaryPossession,
    }
}

fn ground_from_proto(raw: i32) -> Option<RevocationGround> {
    use pb::RevocationGround as P;
    match P::try_from(raw).ok()? {
        P::Unspecified => None,
        P::OwnRequest => Some(RevocationGround::OwnRequest),
        P::ProcedureViolation => Some(RevocationGround::ProcedureViolation),
        P::MonitoringViolation => Some(RevocationGround::MonitoringViolation),
        P::ConfirmedComplaints => Some(RevocationGround::ConfirmedComplaints),
    }
}

fn ground_to_proto(ground: RevocationGround) -> pb::RevocationGround {
    use pb::RevocationGround as P;
    match ground {
        RevocationGround::OwnRequest => P::OwnRequest,
        RevocationGround::ProcedureViolation => P::ProcedureViolation,
        RevocationGround::MonitoringViolation => P::MonitoringViolation,
        RevocationGround::ConfirmedComplaints => P::ConfirmedComplaints,
    }
}

fn termination_from_proto(raw: i32) -> Option<TerminationGround> {
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

fn reorganisation_from_proto(raw: i32) -> Option<Reorganisation> {
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

fn reorganisation_to_proto(form: Reorganisation) -> pb::ReorganisationForm {
    use pb::ReorganisationForm as P;
    match form {
        Reorganisation::Merger => P::Merger,
        Reorganisation::Accession => P::Accession,
        Reorganisation::Division => P::Division,
        Reorganisation::Separation => P::Separation,
        Reorganisation::Transformation => P::Transformation,
    }
}

fn scope_to_proto(scope: &[app::ScopeEntry]) -> Vec<pb::ScopeEntry> {
    scope
        .iter()
        .map(|s| pb::ScopeEntry {
            profession_id: s.profession_id.to_string(),
            nqf_levels: s.nqf_levels.iter().map(|l| i32::from(*l)).collect(),
        })
        .collect()
}

fn steps_to_proto(steps: &[Step]) -> Vec<pb::CaseStep> {
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

fn deadlines_to_proto(rows: &[store::DeadlineRow], today: NaiveDate) -> Vec<pb::Deadline> {
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

fn application_to_proto(
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
        stage: stage_to_proto(a.stage) as i32,
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
            .site_report
            .iter()
            .flatten()
            .map(|r| pb::CriterionAssessment {
                criterion: r.criterion.code().to_string(),
                met: r.met,
                reasoning: r.reasoning.clone(),
            })
            .collect(),
        decision: a.decision.as_ref().map(|d| pb::Decision {
            accredit: d.accredit,
            reasons: d.reasons.clone(),
            authorized_body_coordination: Some(document_to_proto(&d.coordination)),
            decided_on: d.decided_on.to_string(),
        }),
        certificate_id: a
            .certificate_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        deadlines: deadlines_to_proto(deadline_rows, today()),
        // Set by the reply, which consults the list (Art. 26.5).
        not_renewable_matches: Vec::new(),
        appeals: a
            .appeals
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
        status: status_to_proto(c.status) as i32,
        previous_certificate_id: c
            .previous_certificate_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        status_since: c.status_since.to_string(),
        issued_on: c.issued_on.to_string(),
        application_id: c
            .application_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        revocation: c.revocation.as_ref().map(|r| pb::Revocation {
            ground: ground_to_proto(r.revocation.ground) as i32,
            basis: Some(document_to_proto(&r.basis)),
            document_serial_numbers: r.revocation.documents.clone(),
            concerns_health_or_safety: r.revocation.concerns_health_or_safety,
            event_detected_on: r.detected_on.to_string(),
            decided_on: r.decided_on.to_string(),
        }),
        termination_ground: c
            .termination_ground
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

fn status_history_to_proto(history: &[(CertStatus, NaiveDate)]) -> Vec<pb::StatusChange> {
    history
        .iter()
        .map(|(status, since)| pb::StatusChange {
            status: status_to_proto(*status) as i32,
            since: since.to_string(),
        })
        .collect()
}

/// Whether the caller may read the case behind the register: NCE officers, the authorized
/// body, auditors (Art. 23.3.1: the NCE keeps the applicant's documents confidential).
fn reads_case(caller: &Caller) -> bool {
    matches!(caller, Caller::Authenticated(identity) if READERS.iter().any(|r| identity.has(*r)))
}

/// The certificate as the public register shows it: number, center, scope, validity, statuses
/// and, for a revocation, its ground and day (and the documents cancelled, which Art. 26.2
/// publishes) — none of the case: no acts, officers, remarks, deadlines, application, basis.
fn public_certificate(mut c: pb::Certificate) -> pb::Certificate {
    c.history.clear();
    c.deadlines.clear();
    c.application_id.clear();
    if let Some(r) = c.revocation.as_mut() {
        r.basis = None;
        r.event_detected_on.clear();
    }
    c
}

fn form_from_proto(a: pb::Application) -> FormDraft {
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

fn page_size(raw: i32) -> Result<i64, ApiError> {
    match raw {
        0 => Ok(i64::from(DEFAULT_PAGE_SIZE)),
        n if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(i64::from(n)),
        _ => Err(ApiError::invalid_field(
            "page_size",
            "must be from 1 to 100 (0 for 50)",
        )),
    }
}

impl AccreditationApi {
    pub fn new(
        pool: PgPool,
        outbox: Outbox,
        verifier: TokenVerifier,
        calendar: SharedCalendar,
    ) -> Self {
        Self {
            pool,
            outbox,
            verifier,
            calendar,
        }
    }

    fn due(&self, deadline: Deadline, from: NaiveDate) -> Result<NaiveDate, ApiError> {
        deadline
            .due(&self.calendar.current(), from)
            .map_err(calendar_error)
    }

    async fn application_reply(
        &self,
        conn: &mut PgConnection,
        id: Uuid,
    ) -> Result<pb::Application, ApiError> {
        let found = store::get_application(conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application", &id.to_string()))?;
        let steps = store::steps(conn, id).await?;
        let deadline_rows = store::deadlines(conn, id).await?;
        let listed = store::listed_centers(conn).await?;
        let mut reply = application_to_proto(&found, &steps, &deadline_rows);
        reply.not_renewable_matches = listing::founder_matches(&found.form.founders, &listed)
            .into_iter()
            .map(|m| pb::NotRenewableMatch {
                founder: m.founder,
                center_number: m.center_number.to_string(),
                center_name: m.center_name,
                listed_since: m.since.to_string(),
            })
            .collect();
        Ok(reply)
    }

    async fn certificate_reply(
        &self,
        conn: &mut PgConnection,
        id: Uuid,
    ) -> Result<pb::Certificate, ApiError> {
        let found = store::get_certificate(conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found("certificate", &id.to_string()))?;
        let steps = store::steps(conn, id).await?;
        let deadline_rows = store::deadlines(conn, id).await?;
        let history = store::status_history(conn, &[id]).await?;
        let mut reply = certificate_to_proto(&found, &steps, &deadline_rows);
        reply.status_history =
            status_history_to_proto(history.get(&id).map_or(&[][..], Vec::as_slice));
        Ok(reply)
    }

    /// Begins a change: a transaction with the request id recorded. `Err(Some(id))` means the
    /// request was applied before, to resource `id`.
    async fn begin(
        &self,
        key: Option<&RequestKey>,
        resource: Uuid,
    ) -> Result<Result<sqlx::Transaction<'static, sqlx::Postgres>, Uuid>, ApiError> {
        let mut tx = self.pool.begin().await?;
        if let Once::Applied(id) = nsk_db::requests::once(&mut tx, key, resource).await? {
            tx.rollback().await?;
            return Ok(Err(id));
        }
        Ok(Ok(tx))
    }

    /// A change of an application: lock it, let `change` apply the rule and write, commit,
    /// reply with the application as it became.
    async fn change_application<F>(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        method: &'static str,
        change: F,
    ) -> Result<pb::Application, ApiError>
    where
        F: for<'c> FnOnce(
            &'c mut PgConnection,
            StoredApplication,
            Actor,
        ) -> futures::future::BoxFuture<'c, Result<(), ApiError>>,
    {
        let mut tx = match self.begin(key, id).await? {
            Ok(tx) => tx,
            Err(done) => {
                let mut conn = self.pool.acquire().await?;
                return self.application_reply(&mut conn, done).await;
            }
        };
        let current = store::lock_application(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application", &id.to_string()))?;
        change(&mut tx, current, Actor::new(identity, key)).await?;
        tx.commit().await?;
        tracing::info!(application_id = %id, method, "application changed");
        let mut conn = self.pool.acquire().await?;
        self.application_reply(&mut conn, id).await
    }

    /// A change of a certificate; `change` returns the id of the certificate to reply with
    /// (a reissue replies with the new one).
    async fn change_certificate<F>(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        method: &'static str,
        change: F,
    ) -> Result<pb::Certificate, ApiError>
    where
        F: for<'c> FnOnce(
            &'c mut PgConnection,
            StoredCertificate,
            Actor,
        ) -> futures::future::BoxFuture<'c, Result<Uuid, ApiError>>,
    {
        let mut tx = match self.begin(key, id).await? {
            Ok(tx) => tx,
            Err(done) => {
                let mut conn = self.pool.acquire().await?;
                // A reissue replies with the certificate it made.
                let reply_id = if method == "ReissueCertificate" {
                    store::successor(&mut conn, done).await?.unwrap_or(done)
                } else {
                    done
                };
                return self.certificate_reply(&mut conn, reply_id).await;
            }
        };
        let current = store::lock_certificate(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("certificate", &id.to_string()))?;
        let reply_id = change(&mut tx, current, Actor::new(identity, key)).await?;
        tx.commit().await?;
        tracing::info!(certificate_id = %id, method, "certificate changed");
        let mut conn = self.pool.acquire().await?;
        self.certificate_reply(&mut conn, reply_id).await
    }
}

#[tonic::async_trait]
impl AccreditationService for AccreditationApi {
    async fn create_application(
        &self,
        request: Request<pb::CreateApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = self.verifier.caller(&request)?;
        // Art. 23.1: the NCE accredits; its officers accept applications.
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let key = RequestKey::new(
            &identity.subject,
            "CreateApplication",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let application = request.application.unwrap_or_default();
        // Art. 23.5: the applicant's submission day counts, as the officer records it.
        let filed_on =
            optional_date(&application.filed_on, "application.filed_on")?.unwrap_or_else(today);
        listing::check_submission_date(filed_on, today(), None)
            .map_err(|rule| ApiError::invalid_field("application.filed_on", rule))?;
        let draft = form_from_proto(application);
        let form =
            ApplicationForm::parse(&draft, "application.").map_err(ApiError::invalid_fields)?;
        let id = Uuid::now_v7();
        let mut tx = match self.begin(key.as_ref(), id).await? {
            Ok(tx) => tx,
            Err(done) => {
                let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
                return Ok(Response::new(
                    self.application_reply(&mut conn, done).await?,
                ));
            }
        };
        // Art. 24.1.3: the professions are in the register.
        let ids: Vec<Uuid> = form
            .requested_scope
            .iter()
            .map(|s| s.profession_id)
            .collect();
        let known = store::registered_professions(&mut tx, &ids)
            .await
            .map_err(ApiError::from)?;
        let violations = app::check_scope_in_register(
            &form.requested_scope,
            "application.requested_scope",
            |id| known.get(&id).cloned(),
        );
        if !violations.is_empty() {
            return Err(ApiError::invalid_fields(violations).into());
        }
        // Art. 26.5: a center listed as not subject to renewal gets no new certificate.
        let listed = store::listed_centers(&mut tx)
            .await
            .map_err(ApiError::from)?;
        listing::check_not_listed(form.applicant_bin.as_str(), &listed).map_err(refused)?;
        // Art. 23.5: re-accreditation continues an active certificate, applied for in time.
        if let Some(previous) = form.previous_certificate_id {
            let old = store::get_certificate(&mut tx, previous)
                .await
                .map_err(ApiError::from)?
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "application.previous_certificate_id",
                        "names no certificate",
                    )
                })?;
            listing::check_submission_date(filed_on, today(), Some(old.issued_on))
                .map_err(|rule| ApiError::invalid_field("application.filed_on", rule))?;
            cert::check_reaccreditation(old.status, old.valid_until, filed_on).map_err(refused)?;
            if old.center_bin != form.applicant_bin.as_str() {
                return Err(ApiError::failed_precondition(format!(
                    "certificate {previous} belongs to the center with BIN {}; re-accreditation is applied for by the same legal entity (Art. 23.5)",
                    old.center_bin
                ))
                .into());
            }
        }
        let at = now();
        let application = StoredApplication {
            id,
            stage: Stage::Accepted,
            form,
            filed_on,
            site_report: None,
            decision: None,
            agreement: None,
            certificate_id: None,
            created_at: at,
            updated_at: at,
            appeals: Vec::new(),
        };
        let actor = Actor::new(&identity, key.as_ref());
        store::insert_application(&mut tx, &application)
            .await
            .map_err(ApiError::from)?;
        store::add_step(
            &mut tx,
            id,
            &actor.step(
                "accepted for consideration (Art. 23.2.1)",
                filed_on,
                None,
                "",
            ),
        )
        .await
        .map_err(ApiError::from)?;
        let event = pb::ApplicationFiled {
            application: Some(application_to_proto(&application, &[], &[])),
        };
        events::application_event(&self.outbox, &mut tx, &actor.context(), id, &event)
            .await
            .map_err(ApiError::from)?;
        tx.commit().await.map_err(ApiError::from)?;
        tracing::info!(application_id = %id, bin = application.form.applicant_bin.as_str(), "application accepted");
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        Ok(Response::new(self.application_reply(&mut conn, id).await?))
    }

    async fn get_application(
        &self,
        request: Request<pb::GetApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = self.verifier.caller(&request)?;
        caller.require(&READERS)?;
        let id = parse_id(&request.get_ref().id, "id")?;
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        Ok(Response::new(self.application_reply(&mut conn, id).await?))
    }

    async fn list_applications(
        &self,
        request: Request<pb::ListApplicationsRequest>,
    ) -> Result<Response<pb::ListApplicationsResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        caller.require(&READERS)?;
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let stage = stage_from_proto(request.stage)?;
        let after = match request.page_token.as_str() {
            "" => None,
            token => Some(parse_id(token, "page_token")?),
        };
        let bin = Some(request.applicant_bin.trim()).filter(|b| !b.is_empty());
        let found = store::list_applications(&self.pool, stage, bin, after, limit)
            .await
            .map_err(ApiError::from)?;
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        let mut applications = Vec::with_capacity(found.len());
        for a in &found {
            let steps = store::steps(&mut conn, a.id)
                .await
                .map_err(ApiError::from)?;
            let deadline_rows = store::deadlines(&mut conn, a.id)
                .await
                .map_err(ApiError::from)?;
            applications.push(application_to_proto(a, &steps, &deadline_rows));
        }
        let next_page_token = match found.last() {
            Some(last) if found.len() as i64 == limit => last.id.to_string(),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListApplicationsResponse {
            applications,
            next_page_token,
        }))
    }

    async fn record_examination(
        &self,
        request: Request<pb::RecordExaminationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "RecordExamination",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let examined_on = act_date(&request.examined_on, "examined_on")?;
        let examiner = nsk_errors::fields::required(&request.examiner, "examiner", "who examined")?;
        let on_site = request.on_site;
        let report = if on_site {
            let raw: Vec<(String, bool, String)> = request
                .assessments
                .into_iter()
                .map(|a| (a.criterion, a.met, a.reasoning))
                .collect();
            Some(app::parse_report(&raw).map_err(ApiError::invalid_fields)?)
        } else if !request.assessments.is_empty() {
            return Err(ApiError::invalid_field(
                "assessments",
                "belong to the on-site examination (on_site: true); the examination of documents has none",
            )
            .into());
        } else {
            None
        };
        let remarks = request.remarks.trim().to_string();
        let reply = self
            .change_application(
                &identity,
                id,
                key.as_ref(),
                "RecordExamination",
                move |tx, mut a, actor| {
                    Box::pin(async move {
                        not_before(
                            examined_on,
                            a.filed_on,
                            "examined_on",
                            "the filing of the application",
                        )?;
                        let (stage, what) = match report {
                            Some(report) => {
                                let stage = app::examine_on_site(a.stage).map_err(refused)?;
                                a.site_report = Some(report);
                                (
                                    stage,
                                    format!("examined on site by {examiner} (Art. 23.2.3, 23.3)"),
                                )
                            }
                            None => (
                                app::examine_documents(a.stage).map_err(refused)?,
                                format!("documents examined by {examiner} (Art. 23.2.2)"),
                            ),
                        };
                        a.stage = stage;
                        a.updated_at = now();
                        store::save_application(tx, &a).await?;
                        store::add_step(tx, a.id, &actor.step(what, examined_on, None, remarks))
                            .await?;
                        Ok(())
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    async fn decide_application(
        &self,
        request: Request<pb::DecideApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "DecideApplication",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        // Art. 25.1: decided in coordination with the authorized body.
        let coordination = document(
            request.authorized_body_coordination,
            "authorized_body_coordination",
        )?;
        let decided_on = act_date(&request.decided_on, "decided_on")?;
        let reasons = request.reasons.trim().to_string();
        let accredit = request.accredit;
        if !accredit && reasons.is_empty() {
            return Err(ApiError::invalid_field(
                "reasons",
                "is required for a refusal: they are sent to the applicant (Art. 25.4)",
            )
            .into());
        }
        let (deadline, deadline_due) = if accredit {
            (
                Deadline::CertificateIssuance,
                self.due(Deadline::CertificateIssuance, decided_on)?,
            )
        } else {
            (
                Deadline::RefusalReasons,
                self.due(Deadline::RefusalReasons, decided_on)?,
            )
        };
        let outbox = self.outbox.clone();
        let reply = self
            .change_application(
                &identity,
                id,
                key.as_ref(),
                "DecideApplication",
                move |tx, mut a, actor| {
                    Box::pin(async move {
                        not_before(
                            decided_on,
                            a.filed_on,
                            "decided_on",
                            "the filing of the application",
                        )?;
                        let report = a.site_report.clone().unwrap_or_default();
                        a.stage = app::decide(a.stage, accredit, &report).map_err(refused)?;
                        // Art. 26.5: listed while its application was pending: no certificate.
                        if accredit {
                            let listed = store::listed_centers(tx).await?;
                            listing::check_not_listed(a.form.applicant_bin.as_str(), &listed)
                                .map_err(refused)?;
                        }
                        a.decision = Some(DecisionRecord {
                            accredit,
                            reasons: reasons.clone(),
                            coordination: coordination.clone(),
                            decided_on,
                        });
                        a.updated_at = now();
                        store::save_application(tx, &a).await?;
                        let what = if accredit {
                            "decided: accredit (Art. 25.1)"
                        } else {
                            "decided: refuse (Art. 25.1)"
                        };
                        store::add_step(
                            tx,
                            a.id,
                            &actor.step(what, decided_on, Some(coordination), reasons.clone()),
                        )
                        .await?;
                        store::open_deadline(tx, a.id, deadline, decided_on, deadline_due).await?;
                        let event = pb::ApplicationDecided {
                            application: Some(application_to_proto(&a, &[], &[])),
                            accredited: accredit,
                            reasons,
                        };
                        events::application_event(&outbox, tx, &actor.context(), a.id, &event)
                            .await?;
                        Ok(())
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    async fn record_refusal_sent(
        &self,
        request: Request<pb::RecordRefusalSentRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "RecordRefusalSent",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let sent_on = act_date(&request.sent_on, "sent_on")?;
        let reply = self
            .change_application(
                &identity,
                id,
                key.as_ref(),
                "RecordRefusalSent",
                move |tx, mut a, actor| {
                    Box::pin(async move {
                        if let Some(decision) = &a.decision {
                            not_before(sent_on, decision.decided_on, "sent_on", "the decision")?;
                        }
                        a.stage = app::send_refusal_reasons(a.stage).map_err(refused)?;
                        a.updated_at = now();
                        store::save_application(tx, &a).await?;
                        store::meet_deadline(tx, a.id, Deadline::RefusalReasons, sent_on).await?;
                        store::add_step(
                            tx,
                            a.id,
                            &actor.step(
                                "reasons for refusal sent to the applicant (Art. 25.4)",
                                sent_on,
                                None,
                                "",
                            ),
                        )
                        .await?;
                        Ok(())
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    async fn record_appeal_outcome(
        &self,
        request: Request<pb::RecordAppealOutcomeRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "RecordAppealOutcome",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let body = match pb::AppealBody::try_from(request.body) {
            Ok(pb::AppealBody::Administrative) => store::AppealBody::Administrative,
            Ok(pb::AppealBody::Court) => store::AppealBody::Court,
            _ => {
                return Err(ApiError::invalid_field(
                    "body",
                    "is required: APPEAL_BODY_ADMINISTRATIVE or APPEAL_BODY_COURT, who decided the appeal (Art. 25.5)",
                )
                .into())
            }
        };
        let reopen_at = stage_from_proto(request.reopen_at)?;
        let overturned = request.refusal_overturned;
        let decision = document(request.decision, "decision")?;
        let decided_on = act_date(&request.decided_on, "decided_on")?;
        let reply = self
            .change_application(
                &identity,
                id,
                key.as_ref(),
                "RecordAppealOutcome",
                move |tx, mut a, actor| {
                    Box::pin(async move {
                        if let Some(refusal) = &a.decision {
                            not_before(
                                decided_on,
                                refusal.decided_on,
                                "decided_on",
                                "the refusal",
                            )?;
                        }
                        a.stage =
                            app::appeal_outcome(a.stage, overturned, reopen_at).map_err(refused)?;
                        a.appeals.push(store::AppealRecord {
                            body,
                            overturned,
                            reopened_at: reopen_at
                                .filter(|_| overturned)
                                .map(|s| s.code().to_string()),
                            decision: decision.clone(),
                            decided_on,
                            refusal: a.decision.clone(),
                        });
                        let what = if overturned {
                            // The case runs again from the stage named, to a new decision.
                            a.decision = None;
                            format!(
                                "refusal overturned on appeal; reopened at {} (Art. 25.5)",
                                a.stage
                            )
                        } else {
                            "refusal upheld on appeal (Art. 25.5)".to_string()
                        };
                        a.updated_at = now();
                        store::save_application(tx, &a).await?;
                        store::add_step(
                            tx,
                            a.id,
                            &actor.step(what, decided_on, Some(decision), ""),
                        )
                        .await?;
                        Ok(())
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    async fn issue_certificate(
        &self,
        request: Request<pb::IssueCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "IssueCertificate",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let issued_on = act_date(&request.issued_on, "issued_on")?;
        let mut tx = match self.begin(key.as_ref(), id).await? {
            Ok(tx) => tx,
            Err(done) => {
                let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
                let a = store::get_application(&mut conn, done)
                    .await
                    .map_err(ApiError::from)?
                    .and_then(|a| a.certificate_id)
                    .ok_or_else(|| ApiError::internal("a retried issuance lost its certificate"))?;
                return Ok(Response::new(self.certificate_reply(&mut conn, a).await?));
            }
        };
        let mut a = store::lock_application(&mut tx, id)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("application", &id.to_string()))?;
        let stage = app::issue_certificate(a.stage).map_err(refused)?;
        // Art. 26.5: a center listed after the decision still gets no certificate.
        let listed = store::listed_centers(&mut tx)
            .await
            .map_err(ApiError::from)?;
        listing::check_not_listed(a.form.applicant_bin.as_str(), &listed).map_err(refused)?;
        if let Some(decision) = &a.decision {
            not_before(issued_on, decision.decided_on, "issued_on", "the decision")?;
        }
        let actor = Actor::new(&identity, key.as_ref());
        let at = now();
        let (valid_from, valid_until) = cert::validity(issued_on)
            .ok_or_else(|| ApiError::invalid_field("issued_on", "is out of range"))?;
        // The center keeps its number through re-accreditation; a first accreditation gets one.
        let mut replaced = None;
        let center_number = match a.form.previous_certificate_id {
            Some(previous) => {
                let mut old = store::lock_certificate(&mut tx, previous)
                    .await
                    .map_err(ApiError::from)?
                    .ok_or_else(|| {
                        ApiError::internal(format!("certificate {previous} vanished"))
                    })?;
                if old.status == CertStatus::Active {
                    old.status = CertStatus::Replaced;
                    old.status_since = issued_on;
                    old.updated_at = at;
                    store::save_certificate(&mut tx, &old)
                        .await
                        .map_err(ApiError::from)?;
                    store::add_step(
                        &mut tx,
                        old.id,
                        &actor.step(
                            "replaced by the certificate of re-accreditation (Art. 23.5)",
                            issued_on,
                            None,
                            "",
                        ),
                    )
                    .await
                    .map_err(ApiError::from)?;
                }
                let number = old.center_number;
                replaced = Some(old.id);
                number
            }
            None => {
                let number = allocate_center_number(&mut tx).await?;
                let center = Center {
                    number,
                    bin: a.form.applicant_bin.to_string(),
                    name: a.form.applicant_name.clone(),
                    founders: a.form.founders.clone(),
                    not_renewable_since: None,
                    current_certificate_id: None,
                    predecessor_number: None,
                };
                store::insert_center(&mut tx, &center, at)
                    .await
                    .map_err(ApiError::from)?;
                number
            }
        };
        let center_code = center_number.to_string();
        let running = store::count_certificates(&mut tx, center_number)
            .await
            .map_err(ApiError::from)?
            + 1;
        let certificate = StoredCertificate {
            id: Uuid::now_v7(),
            serial_number: format!("{center_code}-{}-{running:03}", issued_on.format("%Y")),
            center_number,
            center_bin: a.form.applicant_bin.to_string(),
            center_name: a.form.applicant_name.clone(),
            scope: a.form.requested_scope.clone(),
            issued_on,
            valid_from,
            valid_until,
            status: CertStatus::Active,
            status_since: issued_on,
            previous_certificate_id: replaced,
            application_id: Some(a.id),
            revocation: None,
            termination_ground: None,
            reorganisation: None,
            created_at: at,
            updated_at: at,
            route: cert::Route::Nce,
        };
        store::insert_certificate(&mut tx, &certificate)
            .await
            .map_err(ApiError::from)?;
        let mut center = store::get_center(&mut tx, center_number)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::internal(format!("center {center_number} vanished")))?;
        center.current_certificate_id = Some(certificate.id);
        center.bin = certificate.center_bin.clone();
        center.name = certificate.center_name.clone();
        store::save_center(&mut tx, &center)
            .await
            .map_err(ApiError::from)?;
        a.stage = stage;
        a.certificate_id = Some(certificate.id);
        a.updated_at = at;
        store::save_application(&mut tx, &a)
            .await
            .map_err(ApiError::from)?;
        // Art. 25.2: within 10 working days of the decision; a late issuance is recorded.
        store::meet_deadline(&mut tx, a.id, Deadline::CertificateIssuance, issued_on)
            .await
            .map_err(ApiError::from)?;
        let what = format!(
            "certificate {} issued (Art. 25.2)",
            certificate.serial_number
        );
        store::add_step(
            &mut tx,
            a.id,
            &actor.step(what.clone(), issued_on, None, ""),
        )
        .await
        .map_err(ApiError::from)?;
        store::add_step(
            &mut tx,
            certificate.id,
            &actor.step(what, issued_on, None, ""),
        )
        .await
        .map_err(ApiError::from)?;
        let event = pb::CertificateIssued {
            certificate: Some(certificate_for_event(&certificate)),
            replaced_certificate_id: replaced.map(|id| id.to_string()).unwrap_or_default(),
        };
        events::center_event(
            &self.outbox,
            &mut tx,
            &actor.context(),
            &center_code,
            &event,
        )
        .await
        .map_err(ApiError::from)?;
        tx.commit().await.map_err(ApiError::from)?;
        tracing::info!(certificate_id = %certificate.id, center = %center_code, serial = %certificate.serial_number, "certificate issued");
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        Ok(Response::new(
            self.certificate_reply(&mut conn, certificate.id).await?,
        ))
    }

    async fn conclude_agreement(
        &self,
        request: Request<pb::ConcludeAgreementRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "ConcludeAgreement",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let agreement = document(request.agreement, "agreement")?;
        let reply = self
            .change_application(
                &identity,
                id,
                key.as_ref(),
                "ConcludeAgreement",
                move |tx, mut a, actor| {
                    Box::pin(async move {
                        a.stage = app::conclude_agreement(a.stage).map_err(refused)?;
                        a.agreement = Some(agreement.clone());
                        a.updated_at = now();
                        store::save_application(tx, &a).await?;
                        let on = agreement.date;
                        store::add_step(
                            tx,
                            a.id,
                            &actor.step(
                                "post-accreditation agreement concluded (Art. 25.2)",
                                on,
                                Some(agreement),
                                "",
                            ),
                        )
                        .await?;
                        Ok(())
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    async fn get_certificate(
        &self,
        request: Request<pb::GetCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.verifier.caller(&request)?;
        let id = parse_id(&request.get_ref().id, "id")?;
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        let reply = self.certificate_reply(&mut conn, id).await?;
        Ok(Response::new(if reads_case(&caller) {
            reply
        } else {
            public_certificate(reply)
        }))
    }

    async fn revoke_certificate(
        &self,
        request: Request<pb::RevokeCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "RevokeCertificate",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let ground = ground_from_proto(request.ground).ok_or_else(|| {
            ApiError::invalid_field(
                "ground",
                "is required: one of the four grounds of Art. 26.2",
            )
        })?;
        let basis = document(request.basis, "basis")?;
        let revocation = Revocation::new(
            ground,
            request.document_serial_numbers,
            request.concerns_health_or_safety,
        )
        .map_err(|(field, rule)| ApiError::invalid_field(field, rule))?;
        let detected_on = match optional_date(&request.event_detected_on, "event_detected_on")? {
            Some(day) => day,
            None => {
                return Err(ApiError::invalid_field(
                    "event_detected_on",
                    "is required: the day of the event or its detection, from which the 10 working days of Art. 26.3 run",
                )
                .into())
            }
        };
        let decided_on = act_date(&request.decided_on, "decided_on")?;
        not_before(
            decided_on,
            detected_on,
            "decided_on",
            "the event or its detection",
        )?;
        let decision_due = self.due(Deadline::RevocationDecision, detected_on)?;
        let copy_due = self.due(Deadline::RevocationCopy, decided_on)?;
        let outbox = self.outbox.clone();
        let reply = self
            .change_certificate(&identity, id, key.as_ref(), "RevokeCertificate", move |tx, mut c, actor| {
                Box::pin(async move {
                    c.route.check_nce_act("revoke").map_err(refused)?;
                    c.status = cert::revoke(c.status).map_err(refused)?;
                    // Art. 26.2.4: only documents the registry holds and this center issued.
                    if !revocation.documents.is_empty() {
                        let held = store::issued::issued_documents(tx, &revocation.documents).await?;
                        revocation.check_documents_of(c.center_number, &held).map_err(|problems| {
                            ApiError::invalid_fields(
                                problems
                                    .into_iter()
                                    .map(|(i, rule)| FieldViolation {
                                        field: format!("document_serial_numbers[{i}]"),
                                        description: rule,
                                    })
                                    .collect(),
                            )
                        })?;
                    }
                    c.status_since = decided_on;
                    let record = RevocationRecord {
                        revocation: revocation.clone(),
                        basis: basis.clone(),
                        detected_on,
                        decided_on,
                    };
                    c.revocation = Some(record);
                    c.updated_at = now();
                    store::save_certificate(tx, &c).await?;
                    // Art. 26.3: the decision was due within 10 working days of the event; a
                    // case opened by monitoring is closed by it, otherwise the deadline is
                    // recorded as met (or late) now.
                    let open = store::deadlines(tx, c.id)
                        .await?
                        .into_iter()
                        .any(|d| d.kind == Deadline::RevocationDecision && d.met_on.is_none());
                    if !open {
                        store::open_deadline(tx, c.id, Deadline::RevocationDecision, detected_on, decision_due).await?;
                    }
                    store::meet_deadline(tx, c.id, Deadline::RevocationDecision, decided_on).await?;
                    // Art. 26.4: a copy to the center within 3 working days, "electronically via
                    // the digital platform": delivered to its notices now, which meets it.
                    store::open_deadline(tx, c.id, Deadline::RevocationCopy, decided_on, copy_due).await?;
                    let text = crate::notices::revocation_text(&c, ground_number(ground), ground.article(), decided_on, &revocation.documents);
                    crate::notices::deliver(tx, &c, crate::notices::Kind::Revocation, decided_on, today(), text, Some(basis.clone())).await?;
                    store::meet_deadline(tx, c.id, Deadline::RevocationCopy, today()).await?;
                    let what = format!("revoked on ground {} ({})", ground_number(ground), ground.article());
                    store::add_step(tx, c.id, &actor.step(what, decided_on, Some(basis), "")).await?;
                    // Art. 26.5: violations of health, life support and safety: listed, with
                    // the founders, as not subject to renewal.
                    if revocation.concerns_health_or_safety {
                        if let Some(mut center) = store::get_center(tx, c.center_number).await? {
                            center.not_renewable_since.get_or_insert(decided_on);
                            store::save_center(tx, &center).await?;
                        }
                    }
                    let certificate = certificate_for_event(&c);
                    let revocation_pb = certificate.revocation.clone().unwrap_or_default();
                    let event = events::revoked(certificate.clone(), &revocation_pb);
                    events::center_event(&outbox, tx, &actor.context(), &certificate.center_number, &event).await?;
                    tracing::info!(certificate_id = %c.id, ground = ground.article(), documents = revocation.documents.len(), "certificate revoked");
                    Ok(c.id)
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn renew_certificate(
        &self,
        request: Request<pb::RenewCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "RenewCertificate",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        // Art. 26.5: the center's report that the violations are eliminated.
        let basis = document(request.basis, "basis")?;
        let outbox = self.outbox.clone();
        let reply = self
            .change_certificate(&identity, id, key.as_ref(), "RenewCertificate", move |tx, mut c, actor| {
                Box::pin(async move {
                    let on = today();
                    let Some(record) = c.revocation.clone() else {
                        return Err(ApiError::failed_precondition(format!(
                            "the certificate is {}; only a revoked certificate can be renewed (Art. 26.5)",
                            c.status
                        )));
                    };
                    c.route.check_nce_act("renew").map_err(refused)?;
                    c.status = cert::renew(c.status, &record.revocation, c.valid_until, on).map_err(refused)?;
                    c.status_since = on;
                    c.updated_at = now();
                    store::save_certificate(tx, &c).await?;
                    store::add_step(tx, c.id, &actor.step("renewed after the violations were eliminated (Art. 26.5)", on, Some(basis.clone()), "")).await?;
                    let text = format!(
                        "By the decision of {on} the National Chamber of Entrepreneurs renewed accreditation certificate {} (Art. 26.5); it is valid until {}.",
                        c.serial_number, c.valid_until
                    );
                    crate::notices::deliver(tx, &c, crate::notices::Kind::Renewal, on, on, text, Some(basis)).await?;
                    let certificate = certificate_for_event(&c);
                    let event = pb::CertificateRenewed {
                        certificate: Some(certificate.clone()),
                    };
                    events::center_event(&outbox, tx, &actor.context(), &certificate.center_number, &event).await?;
                    Ok(c.id)
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn reissue_certificate(
        &self,
        request: Request<pb::ReissueCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "ReissueCertificate",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let mut violations = Vec::new();
        let form = reorganisation_from_proto(request.form);
        if form.is_none() {
            violations.push(FieldViolation {
                field: "form".into(),
                description: "is required: merger, accession, division, separation or transformation (Art. 26.1)".into(),
            });
        }
        let bin = nsk_kz::Bin::parse(&request.new_center_bin)
            .map_err(|rule| {
                violations.push(FieldViolation {
                    field: "new_center_bin".into(),
                    description: format!(
                        "{rule}: the BIN of the legal entity after reorganisation"
                    ),
                })
            })
            .ok();
        let name = request.new_center_name.trim().to_string();
        if name.is_empty() {
            violations.push(FieldViolation {
                field: "new_center_name".into(),
                description: "is required: the name of the legal entity after reorganisation"
                    .into(),
            });
        }
        // Further successors of a division or separation, each with its part of the scope.
        let mut successors = Vec::new();
        for (i, successor) in request.successors.iter().enumerate() {
            let at = |field: &str| format!("successors[{i}].{field}");
            let successor_bin = nsk_kz::Bin::parse(&successor.bin)
                .map_err(|rule| {
                    violations.push(FieldViolation {
                        field: at("bin"),
                        description: format!("{rule}: the BIN of the successor"),
                    })
                })
                .ok();
            let successor_name = successor.name.trim().to_string();
            if successor_name.is_empty() {
                violations.push(FieldViolation {
                    field: at("name"),
                    description: "is required: the name of the successor".into(),
                });
            }
            let scope = scope_from_proto(&successor.scope, &at("scope"), &mut violations);
            if let Some(successor_bin) = successor_bin {
                successors.push((successor_bin, successor_name, scope));
            }
        }
        if !violations.is_empty() {
            return Err(ApiError::invalid_fields(violations).into());
        }
        let basis = document(request.basis, "basis")?;
        let (Some(form), Some(bin)) = (form, bin) else {
            return Err(ApiError::internal("validated fields missing").into());
        };
        cert::check_successors(form, successors.len()).map_err(refused)?;
        let outbox = self.outbox.clone();
        let reply = self
            .change_certificate(
                &identity,
                id,
                key.as_ref(),
                "ReissueCertificate",
                move |tx, mut old, actor| {
                    Box::pin(async move {
                        let on = today();
                        old.route.check_nce_act("reissue").map_err(refused)?;
                        old.status = cert::reissue(old.status).map_err(refused)?;
                        old.status_since = on;
                        old.updated_at = now();
                        store::save_certificate(tx, &old).await?;
                        let center_code =
                            old.center_number.to_string();
                        let running = store::count_certificates(tx, old.center_number).await? + 1;
                        let at = now();
                        // The successor keeps the center number, the scope and the validity.
                        let new = StoredCertificate {
                            id: Uuid::now_v7(),
                            serial_number: format!(
                                "{center_code}-{}-{running:03}",
                                on.format("%Y")
                            ),
                            center_number: old.center_number,
                            center_bin: bin.to_string(),
                            center_name: name,
                            scope: old.scope.clone(),
                            issued_on: on,
                            valid_from: on,
                            valid_until: old.valid_until,
                            status: CertStatus::Active,
                            status_since: on,
                            previous_certificate_id: Some(old.id),
                            application_id: old.application_id,
                            revocation: None,
                            termination_ground: None,
                            reorganisation: Some(form),
                            created_at: at,
                            updated_at: at,
                            route: old.route,
                        };
                        store::insert_certificate(tx, &new).await?;
                        if let Some(mut center) = store::get_center(tx, old.center_number).await? {
                            center.bin = new.center_bin.clone();
                            center.name = new.center_name.clone();
                            center.current_certificate_id = Some(new.id);
                            store::save_center(tx, &center).await?;
                        }
                        let what = format!(
                            "reissued as {} on reorganisation (Art. 26.1)",
                            new.serial_number
                        );
                        store::add_step(tx, old.id, &actor.step(what, on, Some(basis.clone()), ""))
                            .await?;
                        store::add_step(
                            tx,
                            new.id,
                            &actor.step(
                                format!(
                                    "issued on reorganisation, replacing {} (Art. 26.1)",
                                    old.serial_number
                                ),
                                on,
                                Some(basis.clone()),
                                "",
                            ),
                        )
                        .await?;
                        let event = pb::CertificateReissued {
                            certificate: Some(certificate_for_event(&new)),
                            previous_certificate_id: old.id.to_string(),
                            form: reorganisation_to_proto(form) as i32,
                        };
                        events::center_event(&outbox, tx, &actor.context(), &center_code, &event)
                            .await?;
                        // Each further successor: a center of its own, for its part of the scope.
                        for (successor_bin, successor_name, scope) in successors {
                            let problems = cert::scope_within(&old.scope, &scope);
                            if !problems.is_empty() {
                                return Err(ApiError::invalid_fields(
                                    problems
                                        .into_iter()
                                        .map(|(j, rule)| FieldViolation {
                                            field: format!("successors.scope[{j}]"),
                                            description: rule,
                                        })
                                        .collect(),
                                ));
                            }
                            let number = allocate_center_number(tx).await?;
                            let code = number.to_string();
                            let successor = StoredCertificate {
                                id: Uuid::now_v7(),
                                serial_number: format!("{code}-{}-001", on.format("%Y")),
                                center_number: number,
                                center_bin: successor_bin.to_string(),
                                center_name: successor_name.clone(),
                                scope: if scope.is_empty() { old.scope.clone() } else { scope },
                                previous_certificate_id: Some(old.id),
                                ..new.clone()
                            };
                            let center = Center {
                                number,
                                bin: successor.center_bin.clone(),
                                name: successor_name,
                                founders: Vec::new(),
                                not_renewable_since: None,
                                current_certificate_id: None,
                                predecessor_number: Some(old.center_number),
                            };
                            store::insert_center(tx, &center, at).await?;
                            store::insert_certificate(tx, &successor).await?;
                            store::save_center(tx, &Center { current_certificate_id: Some(successor.id), ..center }).await?;
                            store::add_step(tx, successor.id, &actor.step(
                                format!("issued to a successor on {} of center {center_code}, whose certificate {} it continues in part (Art. 26.1)", format!("{form:?}").to_lowercase(), old.serial_number),
                                on,
                                Some(basis.clone()),
                                "",
                            )).await?;
                            let event = pb::CertificateIssued {
                                certificate: Some(certificate_for_event(&successor)),
                                replaced_certificate_id: String::new(),
                            };
                            events::center_event(&outbox, tx, &actor.context(), &code, &event).await?;
                        }
                        Ok(new.id)
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    async fn terminate_certificate(
        &self,
        request: Request<pb::TerminateCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "TerminateCertificate",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let ground = termination_from_proto(request.ground).ok_or_else(|| {
            ApiError::invalid_field("ground", "is required: one of the grounds of Art. 26.6")
        })?;
        let basis = document(request.basis, "basis")?;
        let outbox = self.outbox.clone();
        let reply = self
            .change_certificate(
                &identity,
                id,
                key.as_ref(),
                "TerminateCertificate",
                move |tx, c, actor| {
                    Box::pin(async move {
                        let on = today();
                        let termination = crate::expiry::Termination {
                            ground,
                            on,
                            basis: Some(basis.clone()),
                            actor: &actor.subject,
                            actor_role: &actor.role,
                            request_id: &actor.request_id,
                        };
                        let c = crate::expiry::terminate(tx, &outbox, c, termination).await?;
                        let text = format!(
                            "Accreditation certificate {} is terminated from {on} ({}).",
                            c.serial_number,
                            ground.article()
                        );
                        crate::notices::deliver(
                            tx,
                            &c,
                            crate::notices::Kind::Termination,
                            on,
                            on,
                            text,
                            Some(basis),
                        )
                        .await?;
                        Ok(c.id)
                    })
                },
            )
            .await?;
        Ok(Response::new(reply))
    }

    async fn record_monitoring_finding(
        &self,
        request: Request<pb::RecordMonitoringFindingRequest>,
    ) -> Result<Response<pb::MonitoringFinding>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "RecordMonitoringFinding",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let description = nsk_errors::fields::required(
            &request.description,
            "description",
            "what monitoring found (Art. 25.3)",
        )?;
        let found_on = act_date(&request.found_on, "found_on")?;
        let open_case = request.open_revocation_case;
        let decision_due = self.due(Deadline::RevocationDecision, found_on)?;
        let finding = store::Finding {
            id: Uuid::now_v7(),
            certificate_id: id,
            description,
            concerns_health_or_safety: request.concerns_health_or_safety,
            found_on,
            opened_revocation_case: open_case,
            revocation_decision_due: open_case.then_some(decision_due),
            request_id: key.as_ref().map(|k| k.id().to_string()),
            actor: identity.subject.clone(),
            actor_role: identity.primary_role().to_string(),
            at: now(),
        };
        let recorded = finding.clone();
        self.change_certificate(&identity, id, key.as_ref(), "RecordMonitoringFinding", move |tx, c, actor| {
            Box::pin(async move {
                if c.status != CertStatus::Active {
                    return Err(ApiError::failed_precondition(format!(
                        "the certificate is {}: monitoring under the post-accreditation agreement concerns active centers (Art. 25.3)",
                        c.status
                    )));
                }
                store::insert_finding(tx, &finding).await?;
                let mut what = "monitoring finding recorded (Art. 25.3)".to_string();
                if open_case {
                    let open = store::deadlines(tx, c.id)
                        .await?
                        .into_iter()
                        .any(|d| d.kind == Deadline::RevocationDecision && d.met_on.is_none());
                    if !open {
                        store::open_deadline(tx, c.id, Deadline::RevocationDecision, found_on, decision_due).await?;
                    }
                    what = format!("{what}; revocation case opened, decision due by {decision_due} (Art. 26.3)");
                }
                store::add_step(tx, c.id, &actor.step(what, found_on, None, finding.description.clone())).await?;
                Ok(c.id)
            })
        })
        .await?;
        // A retried request answers with the finding its first attempt recorded.
        let finding = match &key {
            Some(key) => {
                let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
                store::finding_by_request(&mut conn, &identity.subject, key.id())
                    .await
                    .map_err(ApiError::from)?
                    .unwrap_or(recorded)
            }
            None => recorded,
        };
        Ok(Response::new(pb::MonitoringFinding {
            id: finding.id.to_string(),
            certificate_id: finding.certificate_id.to_string(),
            description: finding.description,
            concerns_health_or_safety: finding.concerns_health_or_safety,
            stamp: Some(common::ChangeStamp {
                actor: finding.actor,
                actor_role: finding.actor_role,
                at: timestamp(finding.at),
                reason: String::new(),
                request_id: finding.request_id.unwrap_or_default(),
            }),
            found_on: finding.found_on.to_string(),
            revocation_decision_due: finding
                .revocation_decision_due
                .map(|d| d.to_string())
                .unwrap_or_default(),
        }))
    }

    async fn list_centers(
        &self,
        request: Request<pb::ListCentersRequest>,
    ) -> Result<Response<pb::ListCentersResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let case = reads_case(&caller);
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let status = status_from_proto(request.status)?;
        let profession_id = match request.profession_id.trim() {
            "" => None,
            raw => Some(parse_id(raw, "profession_id")?),
        };
        let after = match request.page_token.as_str() {
            "" => 0,
            token => token.parse::<i32>().map_err(|_| {
                ApiError::invalid_field(
                    "page_token",
                    "must be a next_page_token of an earlier page",
                )
            })?,
        };
        let found = store::list_centers(
            &self.pool,
            status,
            profession_id,
            request.not_renewable_only,
            after,
            limit,
        )
        .await
        .map_err(ApiError::from)?;
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        let mut centers = Vec::with_capacity(found.len());
        for center in &found {
            centers.push(center_to_proto(&mut conn, center, case).await?);
        }
        let next_page_token = match found.last() {
            Some(last) if found.len() as i64 == limit => last.number.to_string(),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListCentersResponse {
            centers,
            next_page_token,
        }))
    }

    async fn get_center(
        &self,
        request: Request<pb::GetCenterRequest>,
    ) -> Result<Response<pb::Center>, Status> {
        let caller = self.verifier.caller(&request)?;
        let raw = request.get_ref().center_number.trim().to_string();
        let number = nsk_kz::CenterNumber::parse(&raw)
            .map_err(|rule| ApiError::invalid_field("center_number", rule))?;
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        let center = store::get_center(&mut conn, number)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("recognition center", &raw))?;
        Ok(Response::new(
            center_to_proto(&mut conn, &center, reads_case(&caller)).await?,
        ))
    }

    async fn register_conformity_center(
        &self,
        request: Request<pb::RegisterConformityCenterRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.verifier.caller(&request)?;
        // Art. 17.1: the accreditation body accredits; the authorized body, which keeps the
        // platform, enters its certificate.
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?.clone();
        let id = crate::conformity::register(
            &self.pool,
            &self.outbox,
            &identity,
            request.into_inner(),
            today(),
        )
        .await?;
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        Ok(Response::new(self.certificate_reply(&mut conn, id).await?))
    }

    async fn list_notices(
        &self,
        request: Request<pb::ListNoticesRequest>,
    ) -> Result<Response<pb::ListNoticesResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let notices = crate::notices::list(&self.pool, &caller, request.get_ref()).await?;
        Ok(Response::new(notices))
    }

    async fn get_center_results(
        &self,
        request: Request<pb::GetCenterResultsRequest>,
    ) -> Result<Response<pb::CenterResults>, Status> {
        let caller = self.verifier.caller(&request)?;
        caller.require(&READERS)?;
        let results =
            crate::monitoring::center_results(&self.pool, request.get_ref(), today()).await?;
        Ok(Response::new(results))
    }

    async fn list_overdue_cases(
        &self,
        request: Request<pb::ListOverdueCasesRequest>,
    ) -> Result<Response<pb::ListOverdueCasesResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        caller.require(&READERS)?;
        let as_of = optional_date(&request.get_ref().as_of, "as_of")?.unwrap_or_else(today);
        let rows = store::overdue(&self.pool, as_of)
            .await
            .map_err(ApiError::from)?;
        let mut cases = Vec::with_capacity(rows.len());
        let calendar = self.calendar.current();
        for row in rows {
            let days_overdue = calendar
                .working_days_between(row.due, as_of)
                .map_err(calendar_error)?;
            cases.push(pb::OverdueCase {
                case_id: row.case_id.to_string(),
                what: row.kind.what().to_string(),
                article: row.kind.article().to_string(),
                due_date: row.due.to_string(),
                days_overdue: i32::try_from(days_overdue).unwrap_or(i32::MAX),
            });
        }
        Ok(Response::new(pb::ListOverdueCasesResponse { cases }))
    }
}

/// A scope as sent; each entry that is not a profession's UUID with NQF levels 1-8 is a
/// violation under `field`.
pub(crate) fn scope_from_proto(
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

/// The next center number of Appendix 2, level 5; they are never reused.
pub(crate) async fn allocate_center_number(
    conn: &mut PgConnection,
) -> Result<nsk_kz::CenterNumber, ApiError> {
    store::allocate_center_number(conn).await.map_err(|err| {
        if matches!(&err, sqlx::Error::Database(db) if db.code().as_deref() == Some("2200H")) {
            ApiError::failed_precondition(
                "all 9999 center numbers are given; the numbering of Appendix 2 has no more",
            )
        } else {
            ApiError::from(err)
        }
    })
}

fn ground_number(ground: RevocationGround) -> u8 {
    match ground {
        RevocationGround::OwnRequest => 1,
        RevocationGround::ProcedureViolation => 2,
        RevocationGround::MonitoringViolation => 3,
        RevocationGround::ConfirmedComplaints => 4,
    }
}

/// A center in the register: no personal data, but the founders of a center not subject to
/// renewal, which the law publishes (Art. 26.5); the case only for those who read it (`case`).
async fn center_to_proto(
    conn: &mut PgConnection,
    center: &Center,
    case: bool,
) -> Result<pb::Center, ApiError> {
    let certificates = store::certificates_of_center(conn, center.number).await?;
    let ids: Vec<Uuid> = certificates.iter().map(|c| c.id).collect();
    let history = store::status_history(conn, &ids).await?;
    let register = |c: &StoredCertificate| {
        let mut reply = certificate_for_event(c);
        reply.status_history =
            status_history_to_proto(history.get(&c.id).map_or(&[][..], Vec::as_slice));
        if case {
            reply
        } else {
            public_certificate(reply)
        }
    };
    let current = certificates
        .iter()
        .find(|c| Some(c.id) == center.current_certificate_id)
        .or(certificates.last());
    Ok(pb::Center {
        center_number: center.number.to_string(),
        bin: center.bin.clone(),
        name: center.name.clone(),
        status: current.map_or(pb::CertificateStatus::Unspecified, |c| {
            status_to_proto(c.status)
        }) as i32,
        scope: current
            .map(|c| scope_to_proto(&c.scope))
            .unwrap_or_default(),
        certificates: certificates.iter().map(register).collect(),
        predecessor_center_number: center
            .predecessor_number
            .map(|n| n.to_string())
            .unwrap_or_default(),
        successor_center_numbers: store::successor_centers(conn, center.number)
            .await?
            .into_iter()
            .map(|n| n.to_string())
            .collect(),
        not_renewable: center.not_renewable_since.is_some(),
        founders: if center.not_renewable_since.is_some() {
            center.founders.clone()
        } else {
            Vec::new()
        },
    })
}

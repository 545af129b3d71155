//! The gRPC face of accreditation: who may call, proto -> domain, a case, domain -> proto.
//! Each handler is a few lines; the rules are in `domain`, the transactions in `cases` (and in
//! `conformity`, `notices`, `monitoring`), the conversions in `convert`.

use chrono::Utc;
use nsk_calendar::SharedCalendar;
use nsk_db::requests::RequestKey;
use nsk_errors::fields::{optional_date, uuid as parse_id};
use nsk_errors::{ApiError, FieldViolation};
use nsk_events::Outbox;
use nsk_identity::{Caller, Identity, Role, TokenVerifier};
use nsk_proto::nsk::accreditation::v1 as pb;
use nsk_proto::nsk::accreditation::v1::accreditation_service_server::AccreditationService;
use nsk_proto::nsk::accreditation::v1::center_keys_server::CenterKeys;
use nsk_proto::nsk::common::v1 as common;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::cases::{
    Accreditation, Appeal, ApplicationFilter, CenterFilter, Decision, Examination, Issued,
    KeyTerms, MonitoringFinding, Reissue, RevocationOrder, Successor,
};
use crate::convert::{
    act_date, api_key_to_proto, document, form_from_proto, ground_from_proto, not_before,
    page_size, reorganisation_from_proto, scope_from_proto, stage_from_proto, status_from_proto,
    termination_from_proto, timestamp, today,
};
use crate::domain::application::{self as app, ApplicationForm};
use crate::domain::certificate::{self as cert, Revocation};
use crate::domain::keys;
use crate::domain::listing;
use crate::store::AppealBody;

/// Who reads applications, cases and deadlines.
const READERS: [Role; 3] = [Role::NceOfficer, Role::AuthorizedBodyAdmin, Role::Auditor];

/// Whether the caller may read the case behind the register: NCE officers, the authorized
/// body, auditors (Art. 23.3.1: the NCE keeps the applicant's documents confidential).
fn reads_case(caller: &Caller) -> bool {
    matches!(caller, Caller::Authenticated(identity) if READERS.iter().any(|r| identity.has(*r)))
}

pub struct AccreditationApi {
    cases: Accreditation,
    verifier: TokenVerifier,
}

impl AccreditationApi {
    pub fn new(
        pool: PgPool,
        outbox: Outbox,
        verifier: TokenVerifier,
        calendar: SharedCalendar,
    ) -> Self {
        Self {
            cases: Accreditation::new(pool, outbox, calendar),
            verifier,
        }
    }

    /// Art. 23.1: the NCE accredits; its officers act on applications and certificates.
    fn officer<T>(&self, request: &Request<T>) -> Result<Identity, ApiError> {
        Ok(self
            .verifier
            .caller(request)?
            .require(&[Role::NceOfficer])?
            .clone())
    }
}

/// The request key of `identity`'s call of `method` with `request`.
fn key_of<M: prost::Message>(
    identity: &Identity,
    method: &str,
    raw_id: &str,
    request: &M,
) -> Result<Option<RequestKey>, ApiError> {
    RequestKey::new(&identity.subject, method, raw_id, &request.encode_to_vec())
}

fn page_token<T: std::str::FromStr>(raw: &str) -> Result<Option<T>, ApiError> {
    match raw {
        "" => Ok(None),
        token => token.parse().map(Some).map_err(|_| {
            ApiError::invalid_field("page_token", "must be a next_page_token of an earlier page")
        }),
    }
}

/// Art. 26.1: a reorganisation as sent — the successor and any further successors of a
/// division or separation, each with its part of the scope — every problem named.
fn reissue_of(request: &pb::ReissueCertificateRequest) -> Result<Reissue, ApiError> {
    let mut violations = Vec::new();
    let violation = |field: String, description: String| FieldViolation { field, description };
    let form = reorganisation_from_proto(request.form);
    if form.is_none() {
        violations.push(violation(
            "form".into(),
            "is required: merger, accession, division, separation or transformation (Art. 26.1)"
                .into(),
        ));
    }
    let bin = match nsk_kz::Bin::parse(&request.new_center_bin) {
        Ok(bin) => Some(bin),
        Err(rule) => {
            violations.push(violation(
                "new_center_bin".into(),
                format!("{rule}: the BIN of the legal entity after reorganisation"),
            ));
            None
        }
    };
    let name = request.new_center_name.trim().to_string();
    if name.is_empty() {
        violations.push(violation(
            "new_center_name".into(),
            "is required: the name of the legal entity after reorganisation".into(),
        ));
    }
    let mut successors = Vec::new();
    for (i, successor) in request.successors.iter().enumerate() {
        let at = |field: &str| format!("successors[{i}].{field}");
        let successor_bin = match nsk_kz::Bin::parse(&successor.bin) {
            Ok(bin) => Some(bin),
            Err(rule) => {
                violations.push(violation(
                    at("bin"),
                    format!("{rule}: the BIN of the successor"),
                ));
                None
            }
        };
        let successor_name = successor.name.trim().to_string();
        if successor_name.is_empty() {
            violations.push(violation(
                at("name"),
                "is required: the name of the successor".into(),
            ));
        }
        let scope = scope_from_proto(&successor.scope, &at("scope"), &mut violations);
        if let Some(bin) = successor_bin {
            successors.push(Successor {
                bin,
                name: successor_name,
                scope,
            });
        }
    }
    if !violations.is_empty() {
        return Err(ApiError::invalid_fields(violations));
    }
    let basis = document(request.basis.clone(), "basis")?;
    let (Some(form), Some(bin)) = (form, bin) else {
        return Err(ApiError::internal("validated fields missing"));
    };
    cert::check_successors(form, successors.len())
        .map_err(|r| ApiError::failed_precondition(r.0))?;
    Ok(Reissue {
        form,
        bin,
        name,
        successors,
        basis,
    })
}

#[tonic::async_trait]
impl AccreditationService for AccreditationApi {
    async fn create_application(
        &self,
        request: Request<pb::CreateApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        // Art. 23.1: the NCE accredits; its officers accept applications.
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let key = key_of(
            &identity,
            "CreateApplication",
            &request.request_id,
            &request,
        )?;
        let application = request.application.unwrap_or_default();
        // Art. 23.5: the applicant's submission day counts, as the officer records it.
        let filed_on =
            optional_date(&application.filed_on, "application.filed_on")?.unwrap_or_else(today);
        listing::check_submission_date(filed_on, today(), None)
            .map_err(|rule| ApiError::invalid_field("application.filed_on", rule))?;
        let form = ApplicationForm::parse(&form_from_proto(application), "application.")
            .map_err(ApiError::invalid_fields)?;
        let reply = self
            .cases
            .create_application(&identity, key.as_ref(), form, filed_on)
            .await?;
        Ok(Response::new(reply))
    }

    async fn get_application(
        &self,
        request: Request<pb::GetApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        self.verifier.caller(&request)?.require(&READERS)?;
        let id = parse_id(&request.get_ref().id, "id")?;
        Ok(Response::new(self.cases.application(id).await?))
    }

    async fn list_applications(
        &self,
        request: Request<pb::ListApplicationsRequest>,
    ) -> Result<Response<pb::ListApplicationsResponse>, Status> {
        self.verifier.caller(&request)?.require(&READERS)?;
        let request = request.into_inner();
        let filter = ApplicationFilter {
            stage: stage_from_proto(request.stage)?,
            bin: Some(request.applicant_bin.trim()).filter(|b| !b.is_empty()),
            after: match request.page_token.as_str() {
                "" => None,
                token => Some(parse_id(token, "page_token")?),
            },
            limit: page_size(request.page_size)?,
        };
        let applications = self.cases.applications(&filter).await?;
        let next_page_token = match applications.last() {
            Some(last) if applications.len() as i64 == filter.limit => last.id.clone(),
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
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity,
            "RecordExamination",
            &request.request_id,
            &request,
        )?;
        let report = if request.on_site {
            let raw: Vec<(String, bool, String)> = request
                .assessments
                .iter()
                .map(|a| (a.criterion.clone(), a.met, a.reasoning.clone()))
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
        let exam = Examination {
            examined_on: act_date(&request.examined_on, "examined_on")?,
            examiner: nsk_errors::fields::required(&request.examiner, "examiner", "who examined")?,
            report,
            remarks: request.remarks.trim().to_string(),
        };
        let reply = self
            .cases
            .record_examination(&identity, id, key.as_ref(), exam)
            .await?;
        Ok(Response::new(reply))
    }

    async fn decide_application(
        &self,
        request: Request<pb::DecideApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity,
            "DecideApplication",
            &request.request_id,
            &request,
        )?;
        let decision = Decision {
            accredit: request.accredit,
            reasons: request.reasons.trim().to_string(),
            // Art. 25.1: decided in coordination with the authorized body.
            coordination: document(
                request.authorized_body_coordination,
                "authorized_body_coordination",
            )?,
            decided_on: act_date(&request.decided_on, "decided_on")?,
        };
        if !decision.accredit && decision.reasons.is_empty() {
            return Err(ApiError::invalid_field(
                "reasons",
                "is required for a refusal: they are sent to the applicant (Art. 25.4)",
            )
            .into());
        }
        let reply = self
            .cases
            .decide(&identity, id, key.as_ref(), decision)
            .await?;
        Ok(Response::new(reply))
    }

    async fn record_refusal_sent(
        &self,
        request: Request<pb::RecordRefusalSentRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity,
            "RecordRefusalSent",
            &request.request_id,
            &request,
        )?;
        let sent_on = act_date(&request.sent_on, "sent_on")?;
        let reply = self
            .cases
            .record_refusal_sent(&identity, id, key.as_ref(), sent_on)
            .await?;
        Ok(Response::new(reply))
    }

    async fn record_appeal_outcome(
        &self,
        request: Request<pb::RecordAppealOutcomeRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity,
            "RecordAppealOutcome",
            &request.request_id,
            &request,
        )?;
        let body = match pb::AppealBody::try_from(request.body) {
            Ok(pb::AppealBody::Administrative) => AppealBody::Administrative,
            Ok(pb::AppealBody::Court) => AppealBody::Court,
            _ => {
                return Err(ApiError::invalid_field(
                    "body",
                    "is required: APPEAL_BODY_ADMINISTRATIVE or APPEAL_BODY_COURT, who decided the appeal (Art. 25.5)",
                )
                .into())
            }
        };
        let appeal = Appeal {
            body,
            overturned: request.refusal_overturned,
            reopen_at: stage_from_proto(request.reopen_at)?,
            decision: document(request.decision, "decision")?,
            decided_on: act_date(&request.decided_on, "decided_on")?,
        };
        let reply = self
            .cases
            .record_appeal_outcome(&identity, id, key.as_ref(), appeal)
            .await?;
        Ok(Response::new(reply))
    }

    async fn issue_certificate(
        &self,
        request: Request<pb::IssueCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(&identity, "IssueCertificate", &request.request_id, &request)?;
        let issued_on = act_date(&request.issued_on, "issued_on")?;
        let reply = self
            .cases
            .issue_certificate(&identity, id, key.as_ref(), issued_on)
            .await?;
        Ok(Response::new(reply))
    }

    async fn conclude_agreement(
        &self,
        request: Request<pb::ConcludeAgreementRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity,
            "ConcludeAgreement",
            &request.request_id,
            &request,
        )?;
        let agreement = document(request.agreement, "agreement")?;
        let reply = self
            .cases
            .conclude_agreement(&identity, id, key.as_ref(), agreement)
            .await?;
        Ok(Response::new(reply))
    }

    async fn get_certificate(
        &self,
        request: Request<pb::GetCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let caller = self.verifier.caller(&request)?;
        let id = parse_id(&request.get_ref().id, "id")?;
        let reply = self.cases.certificate(id).await?;
        Ok(Response::new(if reads_case(&caller) {
            reply
        } else {
            crate::convert::public_certificate(reply)
        }))
    }

    async fn revoke_certificate(
        &self,
        request: Request<pb::RevokeCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity,
            "RevokeCertificate",
            &request.request_id,
            &request,
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
        let detected_on = optional_date(&request.event_detected_on, "event_detected_on")?
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "event_detected_on",
                    "is required: the day of the event or its detection, from which the 10 working days of Art. 26.3 run",
                )
            })?;
        let decided_on = act_date(&request.decided_on, "decided_on")?;
        not_before(
            decided_on,
            detected_on,
            "decided_on",
            "the event or its detection",
        )?;
        let order = RevocationOrder {
            revocation,
            basis,
            detected_on,
            decided_on,
        };
        let reply = self
            .cases
            .revoke(&identity, id, key.as_ref(), order)
            .await?;
        Ok(Response::new(reply))
    }

    async fn renew_certificate(
        &self,
        request: Request<pb::RenewCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(&identity, "RenewCertificate", &request.request_id, &request)?;
        // Art. 26.5: the center's report that the violations are eliminated.
        let basis = document(request.basis, "basis")?;
        let reply = self.cases.renew(&identity, id, key.as_ref(), basis).await?;
        Ok(Response::new(reply))
    }

    async fn reissue_certificate(
        &self,
        request: Request<pb::ReissueCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity,
            "ReissueCertificate",
            &request.request_id,
            &request,
        )?;
        let reissue = reissue_of(&request)?;
        let reply = self
            .cases
            .reissue(&identity, id, key.as_ref(), reissue)
            .await?;
        Ok(Response::new(reply))
    }

    async fn terminate_certificate(
        &self,
        request: Request<pb::TerminateCertificateRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity,
            "TerminateCertificate",
            &request.request_id,
            &request,
        )?;
        let ground = termination_from_proto(request.ground).ok_or_else(|| {
            ApiError::invalid_field("ground", "is required: one of the grounds of Art. 26.6")
        })?;
        let basis = document(request.basis, "basis")?;
        let reply = self
            .cases
            .terminate(&identity, id, key.as_ref(), ground, basis)
            .await?;
        Ok(Response::new(reply))
    }

    async fn record_monitoring_finding(
        &self,
        request: Request<pb::RecordMonitoringFindingRequest>,
    ) -> Result<Response<pb::MonitoringFinding>, Status> {
        let identity = self.officer(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity,
            "RecordMonitoringFinding",
            &request.request_id,
            &request,
        )?;
        let found = MonitoringFinding {
            description: nsk_errors::fields::required(
                &request.description,
                "description",
                "what monitoring found (Art. 25.3)",
            )?,
            concerns_health_or_safety: request.concerns_health_or_safety,
            found_on: act_date(&request.found_on, "found_on")?,
            open_revocation_case: request.open_revocation_case,
        };
        let finding = self
            .cases
            .record_finding(&identity, id, key.as_ref(), found)
            .await?;
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
        let case = reads_case(&self.verifier.caller(&request)?);
        let request = request.into_inner();
        let filter = CenterFilter {
            status: status_from_proto(request.status)?,
            profession_id: match request.profession_id.trim() {
                "" => None,
                raw => Some(parse_id(raw, "profession_id")?),
            },
            not_renewable_only: request.not_renewable_only,
            after: page_token::<i32>(&request.page_token)?.unwrap_or(0),
            limit: page_size(request.page_size)?,
        };
        let centers = self.cases.centers(&filter, case).await?;
        let next_page_token = match centers.last() {
            Some(last) if centers.len() as i64 == filter.limit => last.center_number.clone(),
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
        let case = reads_case(&self.verifier.caller(&request)?);
        let number = nsk_kz::CenterNumber::parse(request.get_ref().center_number.trim())
            .map_err(|rule| ApiError::invalid_field("center_number", rule))?;
        Ok(Response::new(self.cases.center(number, case).await?))
    }

    async fn register_conformity_center(
        &self,
        request: Request<pb::RegisterConformityCenterRequest>,
    ) -> Result<Response<pb::Certificate>, Status> {
        // Art. 17.1: the accreditation body accredits; the authorized body, which keeps the
        // platform, enters its certificate.
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?.clone();
        let id = crate::conformity::register(
            self.cases.pool(),
            self.cases.outbox(),
            &identity,
            request.into_inner(),
            today(),
        )
        .await?;
        Ok(Response::new(self.cases.certificate(id).await?))
    }

    async fn list_notices(
        &self,
        request: Request<pb::ListNoticesRequest>,
    ) -> Result<Response<pb::ListNoticesResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let notices = crate::notices::list(self.cases.pool(), &caller, request.get_ref()).await?;
        Ok(Response::new(notices))
    }

    async fn get_center_results(
        &self,
        request: Request<pb::GetCenterResultsRequest>,
    ) -> Result<Response<pb::CenterResults>, Status> {
        self.verifier.caller(&request)?.require(&READERS)?;
        let results =
            crate::monitoring::center_results(self.cases.pool(), request.get_ref(), today())
                .await?;
        Ok(Response::new(results))
    }

    async fn list_overdue_cases(
        &self,
        request: Request<pb::ListOverdueCasesRequest>,
    ) -> Result<Response<pb::ListOverdueCasesResponse>, Status> {
        self.verifier.caller(&request)?.require(&READERS)?;
        let as_of = optional_date(&request.get_ref().as_of, "as_of")?.unwrap_or_else(today);
        let cases = self.cases.overdue(as_of).await?;
        Ok(Response::new(pb::ListOverdueCasesResponse { cases }))
    }
}

/// The API keys of centers: the handlers of `CenterKeys`.
pub struct CenterKeysApi {
    cases: Accreditation,
    verifier: TokenVerifier,
}

impl CenterKeysApi {
    pub fn new(
        pool: PgPool,
        outbox: Outbox,
        verifier: TokenVerifier,
        calendar: SharedCalendar,
    ) -> Self {
        Self {
            cases: Accreditation::new(pool, outbox, calendar),
            verifier,
        }
    }
}

fn center_number(raw: &str) -> Result<nsk_kz::CenterNumber, ApiError> {
    nsk_kz::CenterNumber::parse(raw.trim())
        .map_err(|rule| ApiError::invalid_field("center_number", rule))
}

fn key_terms(label: &str, valid_days: i32, label_required: bool) -> Result<KeyTerms, ApiError> {
    let label = match keys::label(label) {
        Ok(label) => label,
        Err(_) if !label_required && label.trim().is_empty() => String::new(),
        Err(rule) => return Err(ApiError::invalid_field("label", rule)),
    };
    let valid_days =
        keys::valid_days(valid_days).map_err(|rule| ApiError::invalid_field("valid_days", rule))?;
    Ok(KeyTerms { label, valid_days })
}

fn issued(issued: Issued) -> pb::IssuedApiKey {
    pb::IssuedApiKey {
        key: Some(api_key_to_proto(&issued.key, Utc::now())),
        secret: issued.secret.unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl CenterKeys for CenterKeysApi {
    async fn issue_api_key(
        &self,
        request: Request<pb::IssueApiKeyRequest>,
    ) -> Result<Response<pb::IssuedApiKey>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?;
        let request = request.into_inner();
        let center = center_number(&request.center_number)?;
        let terms = key_terms(&request.label, request.valid_days, true)?;
        let key = key_of(identity, "IssueApiKey", &request.request_id, &request)?;
        let made = self
            .cases
            .issue_key(identity, center, key.as_ref(), terms)
            .await?;
        Ok(Response::new(issued(made)))
    }

    async fn register_client_certificate(
        &self,
        request: Request<pb::RegisterClientCertificateRequest>,
    ) -> Result<Response<pb::ApiKey>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?;
        let request = request.into_inner();
        let center = center_number(&request.center_number)?;
        let terms = key_terms(&request.label, request.valid_days, true)?;
        let certificate = keys::CertificateFingerprint::from_pem(&request.certificate_pem)
            .map_err(|rule| ApiError::invalid_field("certificate_pem", rule))?;
        let key = key_of(
            identity,
            "RegisterClientCertificate",
            &request.request_id,
            &request,
        )?;
        let registered = self
            .cases
            .register_certificate(identity, center, key.as_ref(), certificate, terms)
            .await?;
        Ok(Response::new(api_key_to_proto(&registered, Utc::now())))
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::ListApiKeysRequest>,
    ) -> Result<Response<pb::ListApiKeysResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity =
            caller.require(&[Role::NceOfficer, Role::Auditor, Role::RecognitionCenter])?;
        let center = center_number(&request.get_ref().center_number)?;
        let now = Utc::now();
        let keys = self.cases.keys_of(identity, center).await?;
        let keys = keys.iter().map(|k| api_key_to_proto(k, now)).collect();
        Ok(Response::new(pb::ListApiKeysResponse { keys }))
    }

    async fn rotate_api_key(
        &self,
        request: Request<pb::RotateApiKeyRequest>,
    ) -> Result<Response<pb::IssuedApiKey>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer])?;
        let request = request.into_inner();
        let id = parse_id(&request.key_id, "key_id")?;
        let overlap = keys::overlap_days(request.overlap_days)
            .map_err(|rule| ApiError::invalid_field("overlap_days", rule))?;
        let terms = key_terms(&request.label, request.valid_days, false)?;
        let key = key_of(identity, "RotateApiKey", &request.request_id, &request)?;
        let made = self
            .cases
            .rotate_key(identity, id, key.as_ref(), overlap, terms)
            .await?;
        Ok(Response::new(issued(made)))
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<pb::ApiKey>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::NceOfficer, Role::RecognitionCenter])?;
        let request = request.into_inner();
        let id = parse_id(&request.key_id, "key_id")?;
        let reason = request.reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 500 {
            let rule = "is required, 1-500 characters: why the key is stopped";
            return Err(ApiError::invalid_field("reason", rule).into());
        }
        let key = key_of(identity, "RevokeApiKey", &request.request_id, &request)?;
        let revoked = self
            .cases
            .revoke_key(identity, id, key.as_ref(), reason)
            .await?;
        Ok(Response::new(api_key_to_proto(&revoked, Utc::now())))
    }

    async fn authenticate_api_key(
        &self,
        request: Request<pb::AuthenticateApiKeyRequest>,
    ) -> Result<Response<pb::AuthenticatedApiKey>, Status> {
        // Only the gateway trades keys: anyone else learns nothing, not even that keys exist.
        match self.verifier.caller(&request)? {
            Caller::Authenticated(identity) if identity.is_gateway() => {}
            _ => return Err(Status::not_found("no such method")),
        }
        let presented = request.get_ref();
        let key = if presented.certificate_sha256.is_empty() {
            self.cases.authenticate_key(&presented.key).await?
        } else {
            self.cases
                .authenticate_certificate(&presented.certificate_sha256)
                .await?
        };
        Ok(Response::new(pb::AuthenticatedApiKey {
            key_id: key.id().to_string(),
            center_number: key.center().to_string(),
            expires_at: key.expires_at().to_rfc3339(),
        }))
    }
}

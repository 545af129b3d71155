//! The `RecognitionProcedure` handlers: who may call (the role; the case checks whose
//! application), the case, the answer.

use nsk_calendar::SharedCalendar;
use nsk_errors::ApiError;
use nsk_events::Outbox;
use nsk_identity::{Role, TokenVerifier};
use nsk_proto::nsk::recognition::v1 as pb;
use nsk_proto::nsk::recognition::v1::recognition_procedure_server::RecognitionProcedure;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::cases::{acts, key_of, Cases};
use crate::convert;
use crate::domain::applicant::{CONSENT_KK, CONSENT_RU, CONSENT_VERSION};

pub struct RecognitionApi {
    cases: Cases,
    verifier: TokenVerifier,
}

impl RecognitionApi {
    pub fn new(
        pool: PgPool,
        outbox: Outbox,
        verifier: TokenVerifier,
        calendar: SharedCalendar,
    ) -> Self {
        Self {
            cases: Cases::new(pool, outbox, calendar),
            verifier,
        }
    }
}

fn id(raw: &str) -> Result<Uuid, ApiError> {
    nsk_errors::fields::uuid(raw, "id")
}

const READERS: [Role; 5] = [
    Role::Candidate,
    Role::RecognitionCenter,
    Role::NceOfficer,
    Role::AuthorizedBodyAdmin,
    Role::Auditor,
];

type Answer = Result<Response<pb::Application>, Status>;

#[tonic::async_trait]
impl RecognitionProcedure for RecognitionApi {
    async fn get_consent_text(
        &self,
        _request: Request<pb::GetConsentTextRequest>,
    ) -> Result<Response<pb::ConsentText>, Status> {
        Ok(Response::new(pb::ConsentText {
            version: CONSENT_VERSION.into(),
            text_ru: CONSENT_RU.into(),
            text_kk: CONSENT_KK.into(),
        }))
    }

    async fn submit_application(&self, request: Request<pb::SubmitApplicationRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::Candidate, Role::RecognitionCenter])?;
        let stored = self.cases.submit(identity, request.into_inner()).await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn get_application(&self, request: Request<pb::GetApplicationRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&READERS)?;
        let stored = self.cases.get(identity, id(&request.get_ref().id)?).await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn list_applications(
        &self,
        request: Request<pb::ListApplicationsRequest>,
    ) -> Result<Response<pb::ListApplicationsResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&READERS)?;
        let (found, next_page_token) = self.cases.list(identity, request.get_ref()).await?;
        Ok(Response::new(pb::ListApplicationsResponse {
            applications: found.iter().map(|s| self.cases.answer(s)).collect(),
            next_page_token,
        }))
    }

    async fn conclude_contract(&self, request: Request<pb::ConcludeContractRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let request = request.into_inner();
        let key = key_of(identity, "ConcludeContract", &request.request_id, &request)?;
        let today = self.cases.today();
        let stored = self
            .cases
            .act(identity, id(&request.id)?, key, acts::center(), |s, cal| {
                s.procedure
                    .conclude_contract(cal, today)
                    .map_err(acts::refused)
            })
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn send_remarks(&self, request: Request<pb::SendRemarksRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let request = request.into_inner();
        let key = key_of(identity, "SendRemarks", &request.request_id, &request)?;
        let remarks = nsk_errors::fields::required(
            &request.remarks,
            "remarks",
            "what the candidate must fix: missing documents, a wrongly filled form (Rules p. 5)",
        )?;
        let today = self.cases.today();
        let stored = self
            .cases
            .act(identity, id(&request.id)?, key, acts::center(), |s, cal| {
                s.procedure
                    .send_remarks(cal, remarks, today)
                    .map_err(acts::refused)
            })
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn resubmit(&self, request: Request<pb::ResubmitRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::Candidate])?;
        let request = request.into_inner();
        let key = key_of(identity, "Resubmit", &request.request_id, &request)?;
        let mut attachments = Vec::new();
        let mut problems = Vec::new();
        for (i, a) in request.attachments.iter().enumerate() {
            match crate::domain::applicant::attachment(
                &a.kind,
                &a.name,
                &a.reference,
                &a.sha256,
                &format!("attachments[{i}]."),
            ) {
                Ok(a) => attachments.push(a),
                Err(v) => problems.extend(v),
            }
        }
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(
                problems
                    .into_iter()
                    .map(|(field, description)| nsk_errors::FieldViolation { field, description })
                    .collect(),
            )
            .into());
        }
        let today = self.cases.today();
        let stored = self
            .cases
            .act(
                identity,
                id(&request.id)?,
                key,
                acts::candidate(),
                |s, cal| {
                    // The fixed documents replace those of the same kind; the rest stay.
                    for fixed in attachments {
                        s.attachments.retain(|a| a.kind != fixed.kind);
                        s.attachments.push(fixed);
                    }
                    s.procedure.resubmit(cal, today).map_err(acts::refused)
                },
            )
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn refuse_contract(&self, request: Request<pb::RefuseContractRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let request = request.into_inner();
        let key = key_of(identity, "RefuseContract", &request.request_id, &request)?;
        let reasons = nsk_errors::fields::required(
            &request.reasons,
            "reasons",
            "why the contract is refused: a reasoned refusal (Rules p. 5)",
        )?;
        let signed_by = nsk_errors::fields::required(
            &request.signed_by,
            "signed_by",
            "the head of the center who signs the refusal (Rules p. 5)",
        )?;
        let today = self.cases.today();
        let stored = self
            .cases
            .act(identity, id(&request.id)?, key, acts::center(), |s, cal| {
                s.procedure
                    .refuse(cal, reasons, &signed_by, today)
                    .map_err(acts::refused)
            })
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn schedule_procedure(&self, request: Request<pb::ScheduleProcedureRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let request = request.into_inner();
        let key = key_of(identity, "ScheduleProcedure", &request.request_id, &request)?;
        let (date, time) = acts::schedule_parts(&request.date, &request.time)?;
        let venue = nsk_errors::fields::required(
            &request.venue,
            "venue",
            "where the procedure is held: an address, or the link online (Rules p. 6, 11)",
        )?;
        let today = self.cases.today();
        let stored = self
            .cases
            .act(identity, id(&request.id)?, key, acts::center(), |s, cal| {
                s.procedure
                    .schedule(cal, date, time, venue, today)
                    .map_err(acts::refused)
            })
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn reschedule_procedure(
        &self,
        request: Request<pb::RescheduleProcedureRequest>,
    ) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let request = request.into_inner();
        let key = key_of(
            identity,
            "RescheduleProcedure",
            &request.request_id,
            &request,
        )?;
        let (date, time) = acts::schedule_parts(&request.date, &request.time)?;
        let reason =
            acts::reschedule_reason(&request.sick_leave_sheet, &request.technical_failure)?;
        let venue =
            nsk_errors::fields::required(&request.venue, "venue", "where the procedure is held")?;
        let today = self.cases.today();
        let stored = self
            .cases
            .act(identity, id(&request.id)?, key, acts::center(), |s, cal| {
                s.procedure
                    .reschedule(cal, reason, date, time, venue, today)
                    .map_err(acts::refused)
            })
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn record_result(&self, request: Request<pb::RecordResultRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let request = request.into_inner();
        let key = key_of(identity, "RecordResult", &request.request_id, &request)?;
        let result = acts::result(&request, self.cases.today())?;
        let stored = self
            .cases
            .act(identity, id(&request.id)?, key, acts::center(), |s, cal| {
                s.procedure
                    .record_result(cal, result)
                    .map_err(acts::refused)
            })
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn notify_failure(&self, request: Request<pb::NotifyFailureRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let request = request.into_inner();
        let key = key_of(identity, "NotifyFailure", &request.request_id, &request)?;
        let recommendations = nsk_errors::fields::required(
            &request.recommendations,
            "recommendations",
            "how the candidate can improve their knowledge, abilities and skills (Rules p. 19)",
        )?;
        let today = self.cases.today();
        let stored = self
            .cases
            .act(identity, id(&request.id)?, key, acts::center(), |s, cal| {
                s.procedure
                    .notify_failure(cal, recommendations, today)
                    .map_err(acts::refused)
            })
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn file_appeal(&self, request: Request<pb::FileAppealRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::Candidate])?;
        let request = request.into_inner();
        let key = key_of(identity, "FileAppeal", &request.request_id, &request)?;
        let grounds = nsk_errors::fields::required(
            &request.grounds,
            "grounds",
            "why the candidate disagrees with the examination commission's decision (Rules p. 20)",
        )?;
        let today = self.cases.today();
        let stored = self
            .cases
            .act(
                identity,
                id(&request.id)?,
                key,
                acts::candidate(),
                |s, cal| {
                    s.procedure
                        .appeal(cal, grounds, today)
                        .map_err(acts::refused)
                },
            )
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn decide_appeal(&self, request: Request<pb::DecideAppealRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let request = request.into_inner();
        let key = key_of(identity, "DecideAppeal", &request.request_id, &request)?;
        let outcome = acts::outcome(request.outcome)?;
        let protocol = nsk_errors::fields::required(
            &request.protocol_number,
            "protocol_number",
            "the appeal commission's protocol (Rules p. 22)",
        )?;
        let commission: Vec<String> = request
            .commission
            .iter()
            .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|m| !m.is_empty())
            .collect();
        let today = self.cases.today();
        let stored = self
            .cases
            .act(identity, id(&request.id)?, key, acts::center(), |s, cal| {
                s.procedure
                    .decide_appeal(cal, outcome, protocol, commission, today)
                    .map_err(acts::refused)
            })
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }

    async fn publish_offer(
        &self,
        request: Request<pb::PublishOfferRequest>,
    ) -> Result<Response<pb::Offer>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let offer = self
            .cases
            .publish_offer(identity, request.into_inner())
            .await?;
        Ok(Response::new(convert::offer_to_proto(&offer, None)))
    }

    async fn withdraw_offer(
        &self,
        request: Request<pb::WithdrawOfferRequest>,
    ) -> Result<Response<pb::Offer>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let offer = self
            .cases
            .withdraw_offer(identity, request.into_inner())
            .await?;
        Ok(Response::new(convert::offer_to_proto(&offer, None)))
    }

    async fn search_offers(
        &self,
        request: Request<pb::SearchOffersRequest>,
    ) -> Result<Response<pb::SearchOffersResponse>, Status> {
        let offers = self.cases.search_offers(request.get_ref()).await?;
        Ok(Response::new(pb::SearchOffersResponse { offers }))
    }

    async fn get_center_monitoring(
        &self,
        request: Request<pb::GetCenterMonitoringRequest>,
    ) -> Result<Response<pb::CenterMonitoring>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[
            Role::NceOfficer,
            Role::AuthorizedBodyAdmin,
            Role::Auditor,
            Role::RecognitionCenter,
        ])?;
        let report = self.cases.monitoring(identity, request.get_ref()).await?;
        Ok(Response::new(report))
    }

    async fn list_notices(
        &self,
        request: Request<pb::ListNoticesRequest>,
    ) -> Result<Response<pb::ListNoticesResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::Candidate, Role::RecognitionCenter])?;
        let (rows, next_page_token) = self.cases.notices(identity, request.get_ref()).await?;
        Ok(Response::new(pb::ListNoticesResponse {
            notices: rows.iter().map(convert::notice_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn list_due(
        &self,
        request: Request<pb::ListDueRequest>,
    ) -> Result<Response<pb::ListDueResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[
            Role::RecognitionCenter,
            Role::NceOfficer,
            Role::AuthorizedBodyAdmin,
            Role::Auditor,
        ])?;
        let items = self.cases.due(identity, request.get_ref()).await?;
        Ok(Response::new(pb::ListDueResponse { items }))
    }
}

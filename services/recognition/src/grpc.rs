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

/// An act on an application: the method (for the request key), the application and the
/// caller's request id.
struct Act<'a> {
    method: &'a str,
    id: &'a str,
    request_id: &'a str,
}

impl RecognitionApi {
    /// Runs `decide` on the application as its case: who may (`who`), once per request id,
    /// dated today; answers the application as it now stands.
    async fn step<M: prost::Message>(
        &self,
        identity: &nsk_identity::Identity,
        act: Act<'_>,
        message: &M,
        who: fn(&nsk_identity::Identity, &crate::store::StoredApplication) -> Result<(), ApiError>,
        decide: impl FnOnce(
            &mut crate::domain::procedure::Procedure,
            &nsk_calendar::WorkingCalendar,
            chrono::NaiveDate,
        ) -> Result<crate::domain::procedure::Notice, crate::domain::Refused>,
    ) -> Answer {
        let key = key_of(identity, act.method, act.request_id, message)?;
        let today = self.cases.today();
        let stored = self
            .cases
            .act(identity, id(act.id)?, key, who, |s, cal| {
                decide(&mut s.procedure, cal, today).map_err(acts::refused)
            })
            .await?;
        Ok(Response::new(self.cases.answer(&stored)))
    }
}

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
        let r = request.into_inner();
        let act = Act {
            method: "ConcludeContract",
            id: &r.id,
            request_id: &r.request_id,
        };
        self.step(identity, act, &r, acts::center(), |p, cal, today| {
            p.conclude_contract(cal, today)
        })
        .await
    }

    async fn send_remarks(&self, request: Request<pb::SendRemarksRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let r = request.into_inner();
        let remarks = nsk_errors::fields::required(
            &r.remarks,
            "remarks",
            "what the candidate must fix: missing documents, a wrongly filled form (Rules p. 5)",
        )?;
        let act = Act {
            method: "SendRemarks",
            id: &r.id,
            request_id: &r.request_id,
        };
        self.step(identity, act, &r, acts::center(), |p, cal, today| {
            p.send_remarks(cal, remarks, today)
        })
        .await
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
        let r = request.into_inner();
        let reasons = nsk_errors::fields::required(
            &r.reasons,
            "reasons",
            "why the contract is refused: a reasoned refusal (Rules p. 5)",
        )?;
        let signed_by = nsk_errors::fields::required(
            &r.signed_by,
            "signed_by",
            "the head of the center who signs the refusal (Rules p. 5)",
        )?;
        let act = Act {
            method: "RefuseContract",
            id: &r.id,
            request_id: &r.request_id,
        };
        self.step(identity, act, &r, acts::center(), |p, cal, today| {
            p.refuse(cal, reasons, &signed_by, today)
        })
        .await
    }

    async fn schedule_procedure(&self, request: Request<pb::ScheduleProcedureRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let r = request.into_inner();
        let (date, time) = acts::schedule_parts(&r.date, &r.time)?;
        let venue = nsk_errors::fields::required(
            &r.venue,
            "venue",
            "where the procedure is held: an address, or the link online (Rules p. 6, 11)",
        )?;
        let act = Act {
            method: "ScheduleProcedure",
            id: &r.id,
            request_id: &r.request_id,
        };
        self.step(identity, act, &r, acts::center(), |p, cal, today| {
            p.schedule(cal, date, time, venue, today)
        })
        .await
    }

    async fn reschedule_procedure(
        &self,
        request: Request<pb::RescheduleProcedureRequest>,
    ) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let r = request.into_inner();
        let (date, time) = acts::schedule_parts(&r.date, &r.time)?;
        let reason = acts::reschedule_reason(&r.sick_leave_sheet, &r.technical_failure)?;
        let venue = nsk_errors::fields::required(&r.venue, "venue", "where the procedure is held")?;
        let act = Act {
            method: "RescheduleProcedure",
            id: &r.id,
            request_id: &r.request_id,
        };
        self.step(identity, act, &r, acts::center(), |p, cal, today| {
            p.reschedule(cal, reason, date, time, venue, today)
        })
        .await
    }

    async fn record_result(&self, request: Request<pb::RecordResultRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let r = request.into_inner();
        let result = acts::result(&r, self.cases.today())?;
        let act = Act {
            method: "RecordResult",
            id: &r.id,
            request_id: &r.request_id,
        };
        self.step(identity, act, &r, acts::center(), |p, cal, _| {
            p.record_result(cal, result)
        })
        .await
    }

    async fn notify_failure(&self, request: Request<pb::NotifyFailureRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let r = request.into_inner();
        let recommendations = nsk_errors::fields::required(
            &r.recommendations,
            "recommendations",
            "how the candidate can improve their knowledge, abilities and skills (Rules p. 19)",
        )?;
        let act = Act {
            method: "NotifyFailure",
            id: &r.id,
            request_id: &r.request_id,
        };
        self.step(identity, act, &r, acts::center(), |p, cal, today| {
            p.notify_failure(cal, recommendations, today)
        })
        .await
    }

    async fn file_appeal(&self, request: Request<pb::FileAppealRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::Candidate])?;
        let r = request.into_inner();
        let grounds = nsk_errors::fields::required(
            &r.grounds,
            "grounds",
            "why the candidate disagrees with the examination commission's decision (Rules p. 20)",
        )?;
        let act = Act {
            method: "FileAppeal",
            id: &r.id,
            request_id: &r.request_id,
        };
        self.step(identity, act, &r, acts::candidate(), |p, cal, today| {
            p.appeal(cal, grounds, today)
        })
        .await
    }

    async fn decide_appeal(&self, request: Request<pb::DecideAppealRequest>) -> Answer {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?;
        let r = request.into_inner();
        let outcome = acts::outcome(r.outcome)?;
        let protocol = nsk_errors::fields::required(
            &r.protocol_number,
            "protocol_number",
            "the appeal commission's protocol (Rules p. 22)",
        )?;
        let commission: Vec<String> = r
            .commission
            .iter()
            .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|m| !m.is_empty())
            .collect();
        let act = Act {
            method: "DecideAppeal",
            id: &r.id,
            request_id: &r.request_id,
        };
        self.step(identity, act, &r, acts::center(), |p, cal, today| {
            p.decide_appeal(cal, outcome, protocol, commission, today)
        })
        .await
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

//! One function per command, one transaction each: load, let the domain decide, store,
//! deliver the notice, append the event. Reads check who may see whom and audit the reads of
//! personal data.

use chrono::{DateTime, NaiveDate, NaiveTime, SubsecRound, Utc};
use nsk_calendar::SharedCalendar;
use nsk_db::requests::RequestKey;
use nsk_errors::{ApiError, FieldViolation};
use nsk_events::{EventContext, Outbox};
use nsk_identity::{Identity, Role};
use nsk_kz::CenterNumber;
use nsk_proto::nsk::recognition::v1 as pb;
use sqlx::PgPool;
use uuid::Uuid;

use crate::convert;
use crate::domain::applicant::{self, Applicant, ApplicantInput, CONSENT_VERSION};
use crate::domain::procedure::{
    AppealOutcome, Channel, Facts, Notice, Procedure, RescheduleReason, Result as ExamResult,
};
use crate::domain::Refused;
use crate::store::{self, Scope, StoredApplication};

mod monitoring;
mod offers;

/// The aggregate types in event envelopes.
pub const APPLICATION: &str = "application";
pub const OFFER: &str = "offer";
/// A pass told to the registry of documents, numbered on its own.
pub const PASSED: &str = "passed_procedure";
/// A voucher sent to its register with an application, numbered on its own.
pub const VOUCHER_PRESENTED: &str = "voucher_presentation";

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn refused(r: Refused) -> ApiError {
    match r.field {
        Some(field) => ApiError::invalid_field(field, r.message),
        None => ApiError::failed_precondition(r.message),
    }
}

fn context(identity: &Identity, key: Option<&RequestKey>) -> EventContext {
    EventContext {
        actor: identity.subject.clone(),
        request_id: key
            .map(|k| k.id().to_string())
            .unwrap_or_else(|| Uuid::now_v7().to_string()),
    }
}

/// The request key of `identity`'s call of `method` with `request`.
pub fn key_of<M: prost::Message>(
    identity: &Identity,
    method: &str,
    raw_id: &str,
    request: &M,
) -> Result<Option<RequestKey>, ApiError> {
    RequestKey::new(&identity.subject, method, raw_id, &request.encode_to_vec())
}

fn violations(list: Vec<(String, String)>) -> ApiError {
    ApiError::invalid_fields(
        list.into_iter()
            .map(|(field, description)| FieldViolation { field, description })
            .collect(),
    )
}

fn date(raw: &str, field: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid_field(field, "is required, as YYYY-MM-DD"))
}

fn time(raw: &str, field: &str) -> Result<NaiveTime, ApiError> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M")
        .map_err(|_| ApiError::invalid_field(field, "is required, as HH:MM (24-hour)"))
}

/// Who may see and act on an application: its candidate, its center, and (to read) the NCE,
/// the authorized body and auditors.
fn may_see(identity: &Identity, stored: &StoredApplication) -> Result<(), ApiError> {
    if identity.has(Role::NceOfficer)
        || identity.has(Role::AuthorizedBodyAdmin)
        || identity.has(Role::Auditor)
    {
        return Ok(());
    }
    if identity.has(Role::RecognitionCenter) {
        let own = identity.own_center()?;
        return if own == stored.procedure.facts().center {
            Ok(())
        } else {
            Err(ApiError::permission_denied(format!(
                "center {own} sees the applications made to it, not those of center {}",
                stored.procedure.facts().center
            )))
        };
    }
    let person = identity.person()?;
    if person.subject() == stored.person {
        Ok(())
    } else {
        Err(ApiError::permission_denied(
            "a candidate sees their own applications only",
        ))
    }
}

/// The center's acts are the center's own: its token for its own center.
fn center_acts(identity: &Identity, stored: &StoredApplication) -> Result<(), ApiError> {
    let own = identity.own_center()?;
    if own == stored.procedure.facts().center {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!(
            "center {own} acts on the applications made to it, not on those of center {}",
            stored.procedure.facts().center
        )))
    }
}

/// The candidate's acts are their own.
fn candidate_acts(identity: &Identity, stored: &StoredApplication) -> Result<(), ApiError> {
    if identity.person()?.subject() == stored.person {
        Ok(())
    } else {
        Err(ApiError::permission_denied(
            "a candidate acts on their own applications only",
        ))
    }
}

pub struct Cases {
    pool: PgPool,
    outbox: Outbox,
    calendar: SharedCalendar,
}

impl Cases {
    pub fn new(pool: PgPool, outbox: Outbox, calendar: SharedCalendar) -> Self {
        Self {
            pool,
            outbox,
            calendar,
        }
    }

    pub fn today(&self) -> NaiveDate {
        nsk_calendar::today()
    }

    pub fn answer(&self, stored: &StoredApplication) -> pb::Application {
        convert::application_to_proto(stored, &self.calendar.current(), self.today())
    }

    /// p. 4, Appendix 1: a candidate applies, or a center enters an application from paper.
    pub async fn submit(
        &self,
        identity: &Identity,
        request: pb::SubmitApplicationRequest,
    ) -> Result<StoredApplication, ApiError> {
        let key = key_of(identity, "SubmitApplication", &request.request_id, &request)?;
        let today = self.today();
        let mut problems: Vec<(String, String)> = Vec::new();
        let center = CenterNumber::parse(&request.center_number)
            .map_err(|rule| problems.push(("center_number".into(), rule.into())))
            .ok();
        let profession_id = Uuid::parse_str(request.profession_id.trim())
            .map_err(|_| {
                problems.push((
                    "profession_id".into(),
                    "must be the id of a profession in the register".into(),
                ))
            })
            .ok();
        if !(1..=8).contains(&request.nqf_level) {
            problems.push(("nqf_level".into(), "must be an NQF level, 1-8".into()));
        }
        let language = convert::language_from_proto(request.language);
        if language.is_none() {
            problems.push((
                "language".into(),
                "is required: LANGUAGE_KAZAKH or LANGUAGE_RUSSIAN, at the candidate's choice (Rules p. 9)".into(),
            ));
        }
        let mode = convert::mode_from_proto(request.mode);
        if mode.is_none() {
            problems.push((
                "mode".into(),
                "is required: MODE_OFFLINE or MODE_ONLINE (Rules p. 9)".into(),
            ));
        }
        // Appendix 1: "Согласен(а) на обработку персональных данных ... и даю согласие на
        // размещение на цифровой платформе НСК моих персональных данных".
        if request.consent_text_version.trim() != CONSENT_VERSION {
            problems.push((
                "consent_text_version".into(),
                format!("is required: the candidate's consent to the processing and the posting of their personal data (Appendix 1), naming the text agreed to — version {CONSENT_VERSION} (GET /v1/recognition/consent)"),
            ));
        }
        let candidate = request.candidate.clone().unwrap_or_default();
        let applicant = Applicant::parse(
            &ApplicantInput {
                iin: &candidate.iin,
                foreign_document_number: &candidate.foreign_document_number,
                foreign_document_country: &candidate.foreign_document_country,
                full_name: &candidate.full_name,
                birth_date: &candidate.birth_date,
                address: &candidate.address,
                email: &candidate.email,
                phone: &candidate.phone,
            },
            "candidate.",
        )
        .map_err(|v| problems.extend(v))
        .ok();
        let mut attachments = Vec::new();
        for (i, a) in request.attachments.iter().enumerate() {
            match applicant::attachment(
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
        let earlier = match request.earlier_document_valid_until.trim() {
            "" => None,
            raw => date(raw, "earlier_document_valid_until")
                .map_err(|_| {
                    problems.push((
                        "earlier_document_valid_until".into(),
                        "must be a date, YYYY-MM-DD".into(),
                    ))
                })
                .ok(),
        };
        let voucher_id = match request.voucher_id.trim() {
            "" => None,
            raw => Uuid::parse_str(raw)
                .map_err(|_| {
                    problems.push(("voucher_id".into(), "must be the voucher's id".into()))
                })
                .ok(),
        };
        // Who files it: the candidate, for themselves; or the center, from paper, for itself.
        let channel = if identity.has(Role::Candidate) {
            Channel::Platform
        } else {
            Channel::Paper
        };
        let registered_on = match (channel, request.received_on.trim()) {
            (_, "") => today,
            (Channel::Paper, raw) => match date(raw, "received_on") {
                Ok(day) if day <= today => day,
                _ => {
                    problems.push((
                        "received_on".into(),
                        format!("must be the day the paper application was received, YYYY-MM-DD, not after today ({today})"),
                    ));
                    today
                }
            },
            (Channel::Platform, _) => {
                problems.push((
                    "received_on".into(),
                    "is for a center entering a paper application; the platform registers a candidate's on the day it is sent".into(),
                ));
                today
            }
        };
        let (Some(center), Some(profession_id), Some(language), Some(mode), Some(applicant)) =
            (center, profession_id, language, mode, applicant)
        else {
            return Err(violations(problems));
        };
        if voucher_id.is_some() {
            if let Err(r) = crate::domain::voucher::may_present(applicant.iin.is_some()) {
                problems.push((r.field.unwrap_or("voucher_id").into(), r.message));
            }
        }
        if !problems.is_empty() {
            return Err(violations(problems));
        }
        match channel {
            Channel::Platform => {
                if identity.person()?.subject() != applicant.person() {
                    return Err(ApiError::permission_denied(
                        "a candidate applies for themselves: the candidate's IIN or document must be the one the token names",
                    ));
                }
            }
            Channel::Paper => {
                let own = identity.own_center()?;
                if own != center {
                    return Err(ApiError::permission_denied(format!(
                        "center {own} enters the paper applications made to it, not to center {center}"
                    )));
                }
            }
        }
        let facts = Facts {
            center,
            profession_id,
            nqf_level: request.nqf_level,
            language,
            mode,
            channel,
            voucher_id,
        };
        let (procedure, notice) = Procedure::register(facts, registered_on);
        let stored = StoredApplication {
            person: applicant.person(),
            procedure,
            applicant,
            earlier_document_valid_until: earlier,
            knowledge: request.knowledge.trim().to_string(),
            skills: request.skills.trim().to_string(),
            attachments,
            consent_version: CONSENT_VERSION.to_string(),
            consent_given_at: now(),
            voucher: voucher_id.map(|_| crate::domain::voucher::Standing::Presented),
        };
        let mut tx = self.pool.begin().await?;
        if let nsk_db::requests::Once::Applied(done) =
            nsk_db::requests::once(&mut tx, key.as_ref(), stored.procedure.id()).await?
        {
            tx.rollback().await?;
            return self.get_raw(done).await;
        }
        let profession_levels = store::heard::profession_levels(&mut tx, profession_id).await?;
        let center_levels =
            store::heard::center_scope_on(&mut tx, center, profession_id, registered_on).await?;
        crate::domain::admission::admissible(
            center,
            registered_on,
            request.nqf_level,
            profession_levels.as_deref(),
            center_levels.as_deref(),
        )
        .map_err(refused)?;
        store::insert_application(&mut tx, &stored).await?;
        store::deliver(&mut tx, &stored, &notice, now()).await?;
        self.outbox
            .append(
                &mut tx,
                nsk_events::Aggregate {
                    kind: APPLICATION,
                    id: &stored.procedure.id().to_string(),
                    version: stored.procedure.version(),
                },
                &context(identity, key.as_ref()),
                &convert::advanced(&stored.procedure),
            )
            .await?;
        // Art. 29.2: the voucher goes to its register, which redeems it for this application.
        if let Some(presented) = convert::presented(&stored) {
            self.outbox
                .append_next(
                    &mut tx,
                    VOUCHER_PRESENTED,
                    &stored.procedure.id().to_string(),
                    &context(identity, key.as_ref()),
                    &presented,
                )
                .await?;
        }
        tx.commit().await?;
        tracing::info!(application = %stored.procedure.id(), %center, "application registered");
        Ok(stored)
    }

    async fn get_raw(&self, id: Uuid) -> Result<StoredApplication, ApiError> {
        store::get_application(&self.pool, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application", &id.to_string()))
    }

    /// One application, for those who may see it; the read is audited.
    pub async fn get(&self, identity: &Identity, id: Uuid) -> Result<StoredApplication, ApiError> {
        let stored = self.get_raw(id).await?;
        may_see(identity, &stored)?;
        store::audit_read(
            &self.pool,
            &identity.subject,
            identity.primary_role(),
            &[id],
        )
        .await?;
        Ok(stored)
    }

    /// A page of applications: the candidate's own, a center's own, or (officials) any center's.
    pub async fn list(
        &self,
        identity: &Identity,
        request: &pb::ListApplicationsRequest,
    ) -> Result<(Vec<StoredApplication>, String), ApiError> {
        let asked = match request.center_number.trim() {
            "" => None,
            raw => Some(
                CenterNumber::parse(raw)
                    .map_err(|rule| ApiError::invalid_field("center_number", rule))?,
            ),
        };
        let scope = if identity.has(Role::NceOfficer)
            || identity.has(Role::AuthorizedBodyAdmin)
            || identity.has(Role::Auditor)
        {
            asked.map_or(Scope::All, Scope::Center)
        } else if identity.has(Role::RecognitionCenter) {
            let own = identity.own_center()?;
            if asked.is_some_and(|c| c != own) {
                return Err(ApiError::permission_denied(format!(
                    "center {own} lists the applications made to it only"
                )));
            }
            Scope::Center(own)
        } else {
            Scope::Person(identity.person()?.subject())
        };
        let stage = match request.stage {
            0 => None,
            raw => Some(convert::stage_from_proto(raw).ok_or_else(|| {
                ApiError::invalid_field("stage", "is not a stage of the procedure")
            })?),
        };
        let limit = match request.page_size {
            0 => 50,
            n => i64::from(n.clamp(1, 200)),
        };
        let after = match request.page_token.trim() {
            "" => None,
            token => Some(page_token(token)?),
        };
        let found = store::list_applications(&self.pool, &scope, stage, after, limit).await?;
        let next = match found.last() {
            Some(last) if found.len() as i64 == limit => {
                format!("{}_{}", last.procedure.registered_on(), last.procedure.id())
            }
            _ => String::new(),
        };
        let ids: Vec<Uuid> = found.iter().map(|s| s.procedure.id()).collect();
        store::audit_read(&self.pool, &identity.subject, identity.primary_role(), &ids).await?;
        Ok((found, next))
    }

    /// An act on application `id`: who may do it is checked by `who`, what it does by the
    /// domain in `act`, which yields the notice the other side receives.
    pub async fn act(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<RequestKey>,
        who: fn(&Identity, &StoredApplication) -> Result<(), ApiError>,
        act: impl FnOnce(
            &mut StoredApplication,
            &nsk_calendar::WorkingCalendar,
        ) -> Result<Notice, ApiError>,
    ) -> Result<StoredApplication, ApiError> {
        let calendar = self.calendar.current();
        let mut tx = self.pool.begin().await?;
        if let nsk_db::requests::Once::Applied(done) =
            nsk_db::requests::once(&mut tx, key.as_ref(), id).await?
        {
            tx.rollback().await?;
            return self.get_raw(done).await;
        }
        let mut stored = store::lock_application(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application", &id.to_string()))?;
        who(identity, &stored)?;
        let notice = act(&mut stored, &calendar)?;
        store::save_application(&mut tx, &stored).await?;
        store::deliver(&mut tx, &stored, &notice, now()).await?;
        self.outbox
            .append(
                &mut tx,
                nsk_events::Aggregate {
                    kind: APPLICATION,
                    id: &id.to_string(),
                    version: stored.procedure.version(),
                },
                &context(identity, key.as_ref()),
                &convert::advanced(&stored.procedure),
            )
            .await?;
        // A pass, or an upheld appeal: the registry of documents learns whom to register the
        // document for (Rules p. 18, 23).
        if let Some(passed) = convert::passed(&stored) {
            self.outbox
                .append_next(
                    &mut tx,
                    PASSED,
                    &id.to_string(),
                    &context(identity, key.as_ref()),
                    &passed,
                )
                .await?;
        }
        tx.commit().await?;
        tracing::info!(application = %id, stage = stored.procedure.stage().code(), "application advanced");
        Ok(stored)
    }

    /// The caller's inbox, newest first; what it lists is marked read.
    pub async fn notices(
        &self,
        identity: &Identity,
        request: &pb::ListNoticesRequest,
    ) -> Result<(Vec<store::NoticeRow>, String), ApiError> {
        let scope = if identity.has(Role::RecognitionCenter) {
            Scope::Center(identity.own_center()?)
        } else {
            Scope::Person(identity.person()?.subject())
        };
        let limit = match request.page_size {
            0 => 50,
            n => i64::from(n.clamp(1, 200)),
        };
        let after = match request.page_token.trim() {
            "" => None,
            token => {
                let (at, id) = token
                    .split_once('_')
                    .and_then(|(at, id)| {
                        Some((
                            DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
                            Uuid::parse_str(id).ok()?,
                        ))
                    })
                    .ok_or_else(|| {
                        ApiError::invalid_field("page_token", "is not a token this list gave")
                    })?;
                Some((at, id))
            }
        };
        let rows = store::inbox(&self.pool, &scope, after, limit).await?;
        let next = match rows.last() {
            Some(last) if rows.len() as i64 == limit => format!(
                "{}_{}",
                last.delivered_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                last.id
            ),
            _ => String::new(),
        };
        Ok((rows, next))
    }

    /// What is due and overdue: a center's own, or (the NCE, Art. 25.3) any center's.
    pub async fn due(
        &self,
        identity: &Identity,
        request: &pb::ListDueRequest,
    ) -> Result<Vec<pb::DueApplication>, ApiError> {
        let asked = match request.center_number.trim() {
            "" => None,
            raw => Some(
                CenterNumber::parse(raw)
                    .map_err(|rule| ApiError::invalid_field("center_number", rule))?,
            ),
        };
        let center = if identity.has(Role::RecognitionCenter) {
            let own = identity.own_center()?;
            if asked.is_some_and(|c| c != own) {
                return Err(ApiError::permission_denied(format!(
                    "center {own} sees what is due at its own center only"
                )));
            }
            Some(own)
        } else {
            asked
        };
        let calendar = self.calendar.current();
        let today = self.today();
        let open = store::open_applications(&self.pool, center).await?;
        let mut items: Vec<pb::DueApplication> = open
            .iter()
            .filter_map(|s| {
                let due = convert::due_to_proto(&s.procedure, &calendar, today)?;
                (!request.overdue_only || due.days_overdue > 0).then(|| pb::DueApplication {
                    application_id: s.procedure.id().to_string(),
                    center_number: s.procedure.facts().center.to_string(),
                    stage: convert::stage_to_proto(s.procedure.stage()) as i32,
                    due: Some(due),
                })
            })
            .collect();
        items.sort_by(|a, b| {
            let day = |x: &pb::DueApplication| x.due.as_ref().map(|d| d.due_date.clone());
            day(a).cmp(&day(b))
        });
        Ok(items)
    }
}

fn page_token(token: &str) -> Result<(NaiveDate, Uuid), ApiError> {
    token
        .split_once('_')
        .and_then(|(day, id)| {
            Some((
                NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?,
                Uuid::parse_str(id).ok()?,
            ))
        })
        .ok_or_else(|| ApiError::invalid_field("page_token", "is not a token this list gave"))
}

/// The acts, each with who may do it and the domain's decision.
pub mod acts {
    use super::*;

    pub fn center() -> fn(&Identity, &StoredApplication) -> Result<(), ApiError> {
        center_acts
    }

    pub fn candidate() -> fn(&Identity, &StoredApplication) -> Result<(), ApiError> {
        candidate_acts
    }

    pub fn schedule_parts(
        date_raw: &str,
        time_raw: &str,
    ) -> Result<(NaiveDate, NaiveTime), ApiError> {
        Ok((date(date_raw, "date")?, time(time_raw, "time")?))
    }

    pub fn reschedule_reason(
        sick_leave_sheet: &str,
        technical_failure: &str,
    ) -> Result<RescheduleReason, ApiError> {
        match (sick_leave_sheet.trim(), technical_failure.trim()) {
            (sheet, "") if !sheet.is_empty() => Ok(RescheduleReason::TemporaryDisability {
                sick_leave_sheet: sheet.to_string(),
            }),
            ("", what) if !what.is_empty() => Ok(RescheduleReason::TechnicalFailure {
                what_failed: what.to_string(),
            }),
            ("", "") => Err(ApiError::invalid_field(
                "sick_leave_sheet",
                "is required, or technical_failure: a procedure moves for the candidate's temporary disability (Rules p. 7) or a technical failure online (p. 11)",
            )),
            _ => Err(ApiError::invalid_field(
                "technical_failure",
                "give one reason: sick_leave_sheet (p. 7) or technical_failure (p. 11)",
            )),
        }
    }

    pub fn result(
        request: &pb::RecordResultRequest,
        today: NaiveDate,
    ) -> Result<ExamResult, ApiError> {
        let held_on = date(&request.held_on, "held_on")?;
        let signed = date(&request.protocol_date, "protocol_date")?;
        if signed > today || held_on > today {
            return Err(ApiError::invalid_field(
                if held_on > today { "held_on" } else { "protocol_date" },
                format!("is after today ({today}): a result is recorded once the procedure is held and the protocol signed"),
            ));
        }
        let theory = u8::try_from(request.theory_percent)
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| ApiError::invalid_field("theory_percent", "must be 0-100"))?;
        let commission: Vec<String> = request
            .commission
            .iter()
            .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|m| !m.is_empty())
            .collect();
        Ok(ExamResult {
            held_on,
            theory_percent: theory,
            practical_passed: request.practical_passed,
            protocol_number: nsk_errors::fields::required(
                &request.protocol_number,
                "protocol_number",
                "the examination commission's protocol (Rules p. 17)",
            )?,
            protocol_signed_on: signed,
            commission,
        })
    }

    pub fn outcome(raw: i32) -> Result<AppealOutcome, ApiError> {
        convert::outcome_from_proto(raw).ok_or_else(|| {
            ApiError::invalid_field(
                "outcome",
                "is required: APPEAL_OUTCOME_UPHELD, APPEAL_OUTCOME_REPEAT_PROCEDURE or APPEAL_OUTCOME_REJECTED (Rules p. 22-23)",
            )
        })
    }

    pub fn refused(r: Refused) -> ApiError {
        super::refused(r)
    }
}

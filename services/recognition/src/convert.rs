//! Contract <-> domain: the application as the contract shows it, the enums both ways.

use chrono::{NaiveDate, SecondsFormat};
use nsk_calendar::WorkingCalendar;
use nsk_proto::nsk::recognition::v1 as pb;

use crate::domain::deadlines::{Deadline, Party};
use crate::domain::procedure::{
    AppealOutcome, Channel, Language, Mode, Procedure, RescheduleReason, Stage,
};
use crate::domain::voucher::Standing;
use crate::store::{NoticeRow, StoredApplication};

pub fn stage_to_proto(stage: Stage) -> pb::Stage {
    match stage {
        Stage::Registered => pb::Stage::Registered,
        Stage::RemarksSent => pb::Stage::RemarksSent,
        Stage::Resubmitted => pb::Stage::Resubmitted,
        Stage::Refused => pb::Stage::Refused,
        Stage::Contracted => pb::Stage::Contracted,
        Stage::Scheduled => pb::Stage::Scheduled,
        Stage::Passed => pb::Stage::Passed,
        Stage::Failed => pb::Stage::Failed,
        Stage::FailureNotified => pb::Stage::FailureNotified,
        Stage::Appealed => pb::Stage::Appealed,
        Stage::AppealUpheld => pb::Stage::AppealUpheld,
        Stage::AppealRejected => pb::Stage::AppealRejected,
        Stage::DocumentIssued => pb::Stage::DocumentIssued,
    }
}

pub fn stage_from_proto(raw: i32) -> Option<Stage> {
    let stage = pb::Stage::try_from(raw).ok()?;
    Stage::ALL.into_iter().find(|s| stage_to_proto(*s) == stage)
}

pub fn language_from_proto(raw: i32) -> Option<Language> {
    match pb::Language::try_from(raw).ok()? {
        pb::Language::Kazakh => Some(Language::Kazakh),
        pb::Language::Russian => Some(Language::Russian),
        pb::Language::Unspecified => None,
    }
}

pub fn mode_from_proto(raw: i32) -> Option<Mode> {
    match pb::Mode::try_from(raw).ok()? {
        pb::Mode::Offline => Some(Mode::Offline),
        pb::Mode::Online => Some(Mode::Online),
        pb::Mode::Unspecified => None,
    }
}

pub fn outcome_from_proto(raw: i32) -> Option<AppealOutcome> {
    match pb::AppealOutcome::try_from(raw).ok()? {
        pb::AppealOutcome::Upheld => Some(AppealOutcome::Upheld),
        pb::AppealOutcome::RepeatProcedure => Some(AppealOutcome::RepeatProcedure),
        pb::AppealOutcome::Rejected => Some(AppealOutcome::Rejected),
        pb::AppealOutcome::Unspecified => None,
    }
}

fn outcome_to_proto(outcome: AppealOutcome) -> pb::AppealOutcome {
    match outcome {
        AppealOutcome::Upheld => pb::AppealOutcome::Upheld,
        AppealOutcome::RepeatProcedure => pb::AppealOutcome::RepeatProcedure,
        AppealOutcome::Rejected => pb::AppealOutcome::Rejected,
    }
}

fn party(party: Party) -> &'static str {
    match party {
        Party::Center => "center",
        Party::Candidate => "candidate",
    }
}

/// What is due now for `procedure`, as of `today`.
pub fn due_to_proto(
    procedure: &Procedure,
    calendar: &WorkingCalendar,
    today: NaiveDate,
) -> Option<pb::Due> {
    let (deadline, due) = procedure.due(calendar)?;
    // The remarks' window over, the refusal is what is due (Rules p. 5).
    let (deadline, due) = match (deadline, procedure.refusal_due(calendar)) {
        (Deadline::RemarksFixed, Some(refusal)) if today > due => (Deadline::Refusal, refusal),
        other => (other.0, due),
    };
    let overdue = if today > due {
        calendar.working_days_between(due, today).unwrap_or(0)
    } else {
        0
    };
    Some(pb::Due {
        deadline: deadline.code().into(),
        what: deadline.what().into(),
        party: party(deadline.party()).into(),
        due_date: due.to_string(),
        rule: deadline.rule().into(),
        days_overdue: i32::try_from(overdue).unwrap_or(i32::MAX),
    })
}

/// The application as its candidate, its center and officials see it.
pub fn application_to_proto(
    stored: &StoredApplication,
    calendar: &WorkingCalendar,
    today: NaiveDate,
) -> pb::Application {
    let p = &stored.procedure;
    let facts = p.facts();
    let a = &stored.applicant;
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    pb::Application {
        id: p.id().to_string(),
        center_number: facts.center.to_string(),
        candidate: Some(pb::Candidate {
            iin: a.iin.clone().unwrap_or_default(),
            foreign_document_number: a
                .foreign_document
                .as_ref()
                .map(|d| d.number.clone())
                .unwrap_or_default(),
            foreign_document_country: a
                .foreign_document
                .as_ref()
                .map(|d| d.country.clone())
                .unwrap_or_default(),
            full_name: a.full_name.clone(),
            birth_date: a.birth_date.to_string(),
            address: a.address.clone(),
            email: a.email.clone(),
            phone: a.phone.clone(),
        }),
        profession_id: facts.profession_id.to_string(),
        nqf_level: facts.nqf_level,
        earlier_document_valid_until: day(stored.earlier_document_valid_until),
        knowledge: stored.knowledge.clone(),
        skills: stored.skills.clone(),
        attachments: stored
            .attachments
            .iter()
            .map(|x| pb::Attachment {
                kind: x.kind.clone(),
                name: x.name.clone(),
                reference: x.reference.clone(),
                sha256: x.sha256.clone(),
            })
            .collect(),
        language: language_to_proto(facts.language) as i32,
        mode: mode_to_proto(facts.mode) as i32,
        channel: match facts.channel {
            Channel::Platform => pb::Channel::Platform,
            Channel::Paper => pb::Channel::Paper,
        } as i32,
        voucher_id: facts.voucher_id.map(|v| v.to_string()).unwrap_or_default(),
        consent: Some(pb::Consent {
            text_version: stored.consent_version.clone(),
            given_at: stored
                .consent_given_at
                .to_rfc3339_opts(SecondsFormat::Secs, true),
        }),
        registered_on: p.registered_on().to_string(),
        stage: stage_to_proto(p.stage()) as i32,
        due: due_to_proto(p, calendar, today),
        remarks: p.remarks().unwrap_or_default().to_string(),
        schedule: p.scheduled().map(|s| pb::Schedule {
            date: s.date.to_string(),
            time: s.time.format("%H:%M").to_string(),
            venue: s.venue.clone(),
            sent_on: s.sent_on.to_string(),
            moved_because: match &s.reason {
                None => String::new(),
                Some(RescheduleReason::TemporaryDisability { sick_leave_sheet }) => {
                    format!(
                        "temporary disability, sick-leave sheet {sick_leave_sheet} (Rules p. 7)"
                    )
                }
                Some(RescheduleReason::TechnicalFailure { what_failed }) => {
                    format!("technical failure online: {what_failed} (Rules p. 11)")
                }
            },
        }),
        result: p.result().map(|r| pb::Result {
            held_on: r.held_on.to_string(),
            theory_percent: i32::from(r.theory_percent),
            practical_passed: r.practical_passed,
            passed: r.passed(),
            protocol_number: r.protocol_number.clone(),
            protocol_date: r.protocol_signed_on.to_string(),
            commission: r.commission.clone(),
        }),
        appeal: p.appeal_record().map(|a| {
            let decision = a.decision.as_ref();
            pb::AppealRecord {
                filed_on: a.filed_on.to_string(),
                grounds: a.grounds.clone(),
                outcome: decision
                    .map(|d| outcome_to_proto(d.outcome))
                    .unwrap_or(pb::AppealOutcome::Unspecified) as i32,
                decided_on: day(decision.map(|d| d.decided_on)),
                protocol_number: decision
                    .map(|d| d.protocol_number.clone())
                    .unwrap_or_default(),
                commission: decision.map(|d| d.commission.clone()).unwrap_or_default(),
                keep_protocol_until: day(decision.map(|d| d.keep_until)),
            }
        }),
        document_serial: p.document_serial().unwrap_or_default().to_string(),
        steps: p
            .steps()
            .iter()
            .map(|s| pb::Step {
                stage: stage_to_proto(s.stage) as i32,
                on: s.on.to_string(),
                deadline: s
                    .deadline
                    .map(|d| d.0.code().to_string())
                    .unwrap_or_default(),
                due_date: s.deadline.map(|d| d.1.to_string()).unwrap_or_default(),
                days_late: s
                    .deadline
                    .map(|d| i32::try_from(d.2).unwrap_or(i32::MAX))
                    .unwrap_or(0),
            })
            .collect(),
        version: p.version(),
        voucher_standing: stored
            .voucher
            .as_ref()
            .map_or(pb::VoucherStanding::Unspecified, standing_to_proto)
            as i32,
        voucher_note: match &stored.voucher {
            Some(Standing::NotRedeemed { reason }) => reason.clone(),
            _ => String::new(),
        },
    }
}

pub fn standing_to_proto(standing: &Standing) -> pb::VoucherStanding {
    match standing {
        Standing::Presented => pb::VoucherStanding::Presented,
        Standing::Redeemed => pb::VoucherStanding::Redeemed,
        Standing::NotRedeemed { .. } => pb::VoucherStanding::NotRedeemed,
        Standing::Released => pb::VoucherStanding::Released,
        Standing::Used => pb::VoucherStanding::Used,
    }
}

/// The event that asks the register of vouchers to redeem the voucher applied with (Art.
/// 29.2); `None` without one.
pub fn presented(stored: &StoredApplication) -> Option<pb::VoucherPresented> {
    let p = &stored.procedure;
    let facts = p.facts();
    Some(pb::VoucherPresented {
        application_id: p.id().to_string(),
        voucher_id: facts.voucher_id?.to_string(),
        center_number: facts.center.to_string(),
        profession_id: facts.profession_id.to_string(),
        nqf_level: facts.nqf_level,
        on: p.registered_on().to_string(),
        holder_iin: stored.applicant.iin.clone()?,
    })
}

/// The event of the step `procedure` just took.
pub fn advanced(procedure: &Procedure) -> pb::ProcedureAdvanced {
    let facts = procedure.facts();
    let step = procedure.steps().last();
    let deadline = step.and_then(|s| s.deadline);
    pb::ProcedureAdvanced {
        application_id: procedure.id().to_string(),
        center_number: facts.center.to_string(),
        profession_id: facts.profession_id.to_string(),
        nqf_level: facts.nqf_level,
        stage: stage_to_proto(procedure.stage()) as i32,
        on: step.map(|s| s.on.to_string()).unwrap_or_default(),
        deadline: deadline.map(|d| d.0.code().to_string()).unwrap_or_default(),
        due_date: deadline.map(|d| d.1.to_string()).unwrap_or_default(),
        days_late: deadline
            .map(|d| i32::try_from(d.2).unwrap_or(i32::MAX))
            .unwrap_or(0),
        voucher_id: facts.voucher_id.map(|v| v.to_string()).unwrap_or_default(),
        channel: match facts.channel {
            Channel::Platform => pb::Channel::Platform,
            Channel::Paper => pb::Channel::Paper,
        } as i32,
    }
}

pub fn notice_to_proto(row: &NoticeRow) -> pb::Notice {
    pb::Notice {
        id: row.id.to_string(),
        application_id: row.application_id.to_string(),
        kind: row.kind.clone(),
        text: row.text.clone(),
        center_number: row.center_number.to_string(),
        delivered_at: row.delivered_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        read_at: row
            .read_at
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            .unwrap_or_default(),
    }
}

fn language_to_proto(language: Language) -> pb::Language {
    match language {
        Language::Kazakh => pb::Language::Kazakh,
        Language::Russian => pb::Language::Russian,
    }
}

fn mode_to_proto(mode: Mode) -> pb::Mode {
    match mode {
        Mode::Offline => pb::Mode::Offline,
        Mode::Online => pb::Mode::Online,
    }
}

/// An offer as the public sees it; `earliest` is the day a procedure could be held if one
/// applied today.
pub fn offer_to_proto(
    offer: &crate::domain::offer::Offer,
    earliest: Option<NaiveDate>,
) -> pb::Offer {
    let t = &offer.terms;
    pb::Offer {
        id: offer.id.to_string(),
        center_number: offer.center.to_string(),
        profession_id: t.profession_id.to_string(),
        nqf_level: t.nqf_level,
        price_tenge: t.price_tenge,
        languages: t
            .languages
            .iter()
            .map(|l| language_to_proto(*l) as i32)
            .collect(),
        modes: t.modes.iter().map(|m| mode_to_proto(*m) as i32).collect(),
        region: t.region.clone(),
        venue: t.venue.clone(),
        documents_required: t.documents_required.clone(),
        retake_terms: t.retake_terms.clone(),
        lead_working_days: t.lead_working_days,
        earliest_date: earliest.map(|d| d.to_string()).unwrap_or_default(),
        status: offer.status.code().into(),
        published_on: offer.published_on.to_string(),
    }
}

/// The event of a pass or an upheld appeal, for the registry of documents; `None` at any other
/// stage.
pub fn passed(stored: &StoredApplication) -> Option<pb::ProcedurePassed> {
    let p = &stored.procedure;
    if !matches!(p.stage(), Stage::Passed | Stage::AppealUpheld) {
        return None;
    }
    let result = p.result()?;
    // The document rests on the protocol that decided the pass: the examination commission's
    // (p. 17), or the appeal commission's when it upheld the appeal (p. 22-23).
    let (protocol_number, protocol_date) = match p.appeal_record().and_then(|a| a.decision.as_ref())
    {
        Some(d) if p.stage() == Stage::AppealUpheld => (d.protocol_number.clone(), d.decided_on),
        _ => (result.protocol_number.clone(), result.protocol_signed_on),
    };
    let facts = p.facts();
    let holder = &stored.applicant;
    Some(pb::ProcedurePassed {
        application_id: p.id().to_string(),
        center_number: facts.center.to_string(),
        profession_id: facts.profession_id.to_string(),
        nqf_level: facts.nqf_level,
        held_on: result.held_on.to_string(),
        protocol_number,
        protocol_date: protocol_date.to_string(),
        holder_iin: holder.iin.clone().unwrap_or_default(),
        holder_document_number: holder
            .foreign_document
            .as_ref()
            .map(|d| d.number.clone())
            .unwrap_or_default(),
        holder_document_country: holder
            .foreign_document
            .as_ref()
            .map(|d| d.country.clone())
            .unwrap_or_default(),
        voucher_id: facts.voucher_id.map(|v| v.to_string()).unwrap_or_default(),
    })
}

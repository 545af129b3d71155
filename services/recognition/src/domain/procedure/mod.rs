//! One candidate's application to one center, from registration to the document, the refusal,
//! or the appeal's end (Rules p. 4-23). The aggregate: its fields change only through its acts,
//! each of which checks the stage it may happen in, dates itself, records whether its deadline
//! was met (or by how many working days it was missed), and yields the notice the other side
//! receives through the platform.

use chrono::{NaiveDate, NaiveTime};
use nsk_calendar::WorkingCalendar;
use uuid::Uuid;

use super::deadlines::{notice_period, Deadline, NOTICE_MAX_WORKING_DAYS, NOTICE_MIN_WORKING_DAYS};
use super::Refused;

mod kinds;
#[cfg(test)]
mod tests;

pub use kinds::*;

/// What the candidate applied with (Appendix 1); its text fields are checked at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub center: nsk_kz::CenterNumber,
    pub profession_id: Uuid,
    pub nqf_level: i32,
    pub language: Language,
    pub mode: Mode,
    pub channel: Channel,
    /// The voucher the candidate applies with (Art. 29), if any.
    pub voucher_id: Option<Uuid>,
}

/// One application and its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Procedure {
    id: Uuid,
    facts: Facts,
    registered_on: NaiveDate,
    stage: Stage,
    /// The day the stage's clock starts: what its deadline counts from.
    since: NaiveDate,
    remarks: Option<String>,
    schedule: Option<Schedule>,
    result: Option<Result>,
    appeal: Option<Appeal>,
    document_serial: Option<String>,
    steps: Vec<Step>,
    version: i64,
}

/// The stored fields of a procedure, to restore it.
pub struct Stored {
    pub id: Uuid,
    pub facts: Facts,
    pub registered_on: NaiveDate,
    pub stage: Stage,
    pub since: NaiveDate,
    pub remarks: Option<String>,
    pub schedule: Option<Schedule>,
    pub result: Option<Result>,
    pub appeal: Option<Appeal>,
    pub document_serial: Option<String>,
    pub steps: Vec<Step>,
    pub version: i64,
}

fn calendar_refused(err: nsk_calendar::CalendarError) -> Refused {
    Refused::new(format!("the working-day calendar cannot count this: {err}"))
}

impl Procedure {
    /// An application registered on `on` (p. 4-5): the completeness check is due.
    pub fn register(facts: Facts, on: NaiveDate) -> (Self, Notice) {
        let channel = match facts.channel {
            Channel::Platform => "through the platform",
            Channel::Paper => "on paper, entered by the center",
        };
        let notice = Notice {
            kind: NoticeKind::Application,
            to: super::deadlines::Party::Center,
            text: format!(
                "an application for recognition at NQF level {}, {channel}",
                facts.nqf_level
            ),
            sent_on: on,
        };
        let procedure = Self {
            id: Uuid::now_v7(),
            facts,
            registered_on: on,
            stage: Stage::Registered,
            since: on,
            remarks: None,
            schedule: None,
            result: None,
            appeal: None,
            document_serial: None,
            steps: vec![Step {
                stage: Stage::Registered,
                on,
                deadline: None,
            }],
            version: 1,
        };
        (procedure, notice)
    }

    pub fn restore(stored: Stored) -> Self {
        Self {
            id: stored.id,
            facts: stored.facts,
            registered_on: stored.registered_on,
            stage: stored.stage,
            since: stored.since,
            remarks: stored.remarks,
            schedule: stored.schedule,
            result: stored.result,
            appeal: stored.appeal,
            document_serial: stored.document_serial,
            steps: stored.steps,
            version: stored.version,
        }
    }

    /// What is due now, and its last day; `None` when nothing is (a closed procedure, or one
    /// scheduled and waiting for its day).
    pub fn due(&self, calendar: &WorkingCalendar) -> Option<(Deadline, NaiveDate)> {
        let deadline = match self.stage {
            Stage::Registered | Stage::Resubmitted => Deadline::Completeness,
            Stage::RemarksSent => Deadline::RemarksFixed,
            Stage::Contracted => Deadline::Notice,
            Stage::Scheduled => return None,
            Stage::Passed | Stage::AppealUpheld => Deadline::Document,
            Stage::Failed => Deadline::FailureNotice,
            Stage::FailureNotified => Deadline::Appeal,
            Stage::Appealed => Deadline::AppealDecision,
            Stage::Refused | Stage::AppealRejected | Stage::DocumentIssued => return None,
        };
        deadline
            .due(calendar, self.since)
            .ok()
            .map(|day| (deadline, day))
    }

    /// p. 5: when the remarks were not fixed in the candidate's three days, the center's three
    /// days for the refusal, counted from the end of the candidate's.
    pub fn refusal_due(&self, calendar: &WorkingCalendar) -> Option<NaiveDate> {
        if self.stage != Stage::RemarksSent {
            return None;
        }
        let fixes_due = Deadline::RemarksFixed.due(calendar, self.since).ok()?;
        Deadline::Refusal.due(calendar, fixes_due).ok()
    }

    fn only_in(&self, stages: &[Stage], act: &str, rule: &str) -> std::result::Result<(), Refused> {
        if stages.contains(&self.stage) {
            Ok(())
        } else {
            Err(Refused::new(format!(
                "the application is {}: {act} only when it is {} ({rule})",
                self.stage.words(),
                stages
                    .iter()
                    .map(|s| s.words())
                    .collect::<Vec<_>>()
                    .join(", or ")
            )))
        }
    }

    /// Moves to `stage` on `on`, answering `deadline` (due `due`): records the step and
    /// whether it was on time.
    fn step(
        &mut self,
        calendar: &WorkingCalendar,
        stage: Stage,
        on: NaiveDate,
        deadline: Option<(Deadline, NaiveDate)>,
    ) -> std::result::Result<(), Refused> {
        if on < self.since {
            return Err(Refused::field(
                "acted_on",
                format!(
                    "is {on}, before {}, the day the application's current stage began",
                    self.since
                ),
            ));
        }
        let deadline = match deadline {
            Some((deadline, due)) => {
                let late = calendar
                    .working_days_between(due, on)
                    .map_err(calendar_refused)?
                    .max(0);
                Some((deadline, due, late))
            }
            None => None,
        };
        self.steps.push(Step {
            stage,
            on,
            deadline,
        });
        self.stage = stage;
        self.since = on;
        self.version += 1;
        Ok(())
    }

    /// p. 5: the documents are complete and the form right: the contract is concluded.
    pub fn conclude_contract(
        &mut self,
        calendar: &WorkingCalendar,
        on: NaiveDate,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(
            &[Stage::Registered, Stage::Resubmitted],
            "a contract is concluded",
            "Rules p. 5",
        )?;
        let due = self.due(calendar);
        self.step(calendar, Stage::Contracted, on, due)?;
        Ok(self.notice(
            NoticeKind::Contract,
            "the contract on the recognition of your qualification is concluded; the notice of the date, time and venue follows within five working days (Rules p. 6)".into(),
            on,
        ))
    }

    /// p. 5: incomplete documents, a wrongly filled form or unreliable information: the
    /// remarks, which the candidate fixes within three working days.
    pub fn send_remarks(
        &mut self,
        calendar: &WorkingCalendar,
        remarks: String,
        on: NaiveDate,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(
            &[Stage::Registered, Stage::Resubmitted],
            "remarks are sent",
            "Rules p. 5",
        )?;
        let due = self.due(calendar);
        self.step(calendar, Stage::RemarksSent, on, due)?;
        let fix_by = Deadline::RemarksFixed
            .due(calendar, on)
            .map_err(calendar_refused)?;
        self.remarks = Some(remarks.clone());
        Ok(self.notice(
            NoticeKind::Remarks,
            format!("remarks to fix by {fix_by} (three working days, Rules p. 5): {remarks}"),
            on,
        ))
    }

    /// p. 5: the candidate fixes the remarks and sends the documents again, within three
    /// working days of the remarks; later, the center refuses instead.
    pub fn resubmit(
        &mut self,
        calendar: &WorkingCalendar,
        on: NaiveDate,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(
            &[Stage::RemarksSent],
            "the documents are sent again",
            "Rules p. 5",
        )?;
        let (deadline, due) = self
            .due(calendar)
            .ok_or_else(|| Refused::new("no deadline for the fixes"))?;
        if on > due {
            return Err(Refused::new(format!(
                "the remarks had to be fixed by {due}, three working days after they were sent (Rules p. 5); the center now sends a reasoned refusal"
            )));
        }
        self.step(calendar, Stage::Resubmitted, on, Some((deadline, due)))?;
        Ok(self.notice(
            NoticeKind::Resubmission,
            "the candidate fixed the remarks and sent the documents again; check them within three working days (Rules p. 5)".into(),
            on,
        ))
    }

    /// p. 5: the reasoned refusal, signed by the head of the center, once the candidate's three
    /// days for the fixes have passed without them.
    pub fn refuse(
        &mut self,
        calendar: &WorkingCalendar,
        reasons: String,
        signed_by: &str,
        on: NaiveDate,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(
            &[Stage::RemarksSent],
            "the contract is refused",
            "Rules p. 5",
        )?;
        let fixes_due = Deadline::RemarksFixed
            .due(calendar, self.since)
            .map_err(calendar_refused)?;
        if on <= fixes_due {
            return Err(Refused::new(format!(
                "the candidate may fix the remarks until {fixes_due} (three working days, Rules p. 5); a refusal comes after that"
            )));
        }
        let due = Deadline::Refusal
            .due(calendar, fixes_due)
            .map_err(calendar_refused)?;
        self.step(calendar, Stage::Refused, on, Some((Deadline::Refusal, due)))?;
        Ok(self.notice(
            NoticeKind::Refusal,
            format!("the center refuses to conclude the contract, signed by {signed_by}: {reasons}. The refusal may be appealed under the Administrative Procedural Code (Rules p. 5)"),
            on,
        ))
    }

    /// p. 6: the notice of the date, time and venue, 10 to 20 working days ahead; p. 23 the
    /// same after an appeal that sends the procedure to be repeated.
    pub fn schedule(
        &mut self,
        calendar: &WorkingCalendar,
        date: NaiveDate,
        time: NaiveTime,
        venue: String,
        on: NaiveDate,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(&[Stage::Contracted], "the date is notified", "Rules p. 6")?;
        let (days, within) = notice_period(calendar, on, date).map_err(calendar_refused)?;
        if !within {
            let earliest = calendar
                .add_working_days(on, NOTICE_MIN_WORKING_DAYS as u32)
                .map_err(calendar_refused)?;
            let latest = calendar
                .add_working_days(on, NOTICE_MAX_WORKING_DAYS as u32)
                .map_err(calendar_refused)?;
            return Err(Refused::field(
                "date",
                format!(
                    "is {days} working days after the notice of {on}; the procedure is held 10 to 20 working days after it (Rules p. 6): from {earliest} to {latest}"
                ),
            ));
        }
        let due = self.due(calendar);
        self.step(calendar, Stage::Scheduled, on, due)?;
        self.schedule = Some(Schedule {
            date,
            time,
            venue: venue.clone(),
            sent_on: on,
            reason: None,
        });
        Ok(self.notice(
            NoticeKind::Schedule,
            format!(
                "the procedure is on {date} at {}, {venue}",
                time.format("%H:%M")
            ),
            on,
        ))
    }

    /// p. 7 (temporary disability, shown by the sick-leave sheet) and p. 11 (a technical failure
    /// online): another date, which the 10-20 days of p. 6 do not bind.
    pub fn reschedule(
        &mut self,
        calendar: &WorkingCalendar,
        reason: RescheduleReason,
        date: NaiveDate,
        time: NaiveTime,
        venue: String,
        on: NaiveDate,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(
            &[Stage::Scheduled],
            "the procedure is moved",
            "Rules p. 7, 11",
        )?;
        if matches!(reason, RescheduleReason::TechnicalFailure { .. })
            && self.facts.mode != Mode::Online
        {
            return Err(Refused::field(
                "technical_failure",
                "moves only an online procedure (Rules p. 11); an offline one is moved for the candidate's temporary disability (p. 7)",
            ));
        }
        if date <= on {
            return Err(Refused::field(
                "date",
                format!("is {date}: the new day must come after the notice of {on}"),
            ));
        }
        let why = match &reason {
            RescheduleReason::TemporaryDisability { sick_leave_sheet } => {
                format!("the candidate's temporary disability, sick-leave sheet {sick_leave_sheet} (Rules p. 7)")
            }
            RescheduleReason::TechnicalFailure { what_failed } => {
                format!(
                    "a technical failure during the online procedure: {what_failed} (Rules p. 11)"
                )
            }
        };
        self.step(calendar, Stage::Scheduled, on, None)?;
        self.schedule = Some(Schedule {
            date,
            time,
            venue: venue.clone(),
            sent_on: on,
            reason: Some(reason),
        });
        Ok(self.notice(
            NoticeKind::Schedule,
            format!(
                "the procedure is moved to {date} at {}, {venue}, for {why}",
                time.format("%H:%M")
            ),
            on,
        ))
    }

    /// p. 15-17: the result of the procedure held on its day, and the protocol signed within
    /// two working days.
    pub fn record_result(
        &mut self,
        calendar: &WorkingCalendar,
        result: Result,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(&[Stage::Scheduled], "a result is recorded", "Rules p. 17")?;
        let scheduled = self
            .schedule
            .as_ref()
            .map(|s| s.date)
            .ok_or_else(|| Refused::new("the procedure has no date"))?;
        if result.held_on != scheduled {
            return Err(Refused::field(
                "held_on",
                format!("is {}, but the procedure was notified for {scheduled}; a procedure moves only by a new notice (Rules p. 7, 11)", result.held_on),
            ));
        }
        if result.theory_percent > 100 {
            return Err(Refused::field("theory_percent", "must be 0-100"));
        }
        let admitted = result.theory_percent > THEORY_PASS_ABOVE_PERCENT;
        match (admitted, result.practical_passed) {
            (false, Some(_)) => {
                return Err(Refused::field(
                    "practical_passed",
                    format!(
                        "is given, but {} % of correct answers does not admit to the practical stage: more than 70 % does (Rules p. 15)",
                        result.theory_percent
                    ),
                ))
            }
            (true, None) => {
                return Err(Refused::field(
                    "practical_passed",
                    "is required: more than 70 % admits to the practical stage, judged against the technology map (Rules p. 15-17)",
                ))
            }
            _ => {}
        }
        if result.protocol_signed_on < result.held_on {
            return Err(Refused::field(
                "protocol_date",
                "is before the procedure: the protocol records it (Rules p. 17)",
            ));
        }
        if result.commission.is_empty() {
            return Err(Refused::field(
                "commission",
                "is required: the members of the examination commission (Rules p. 9) — the appeal commission may not include them (p. 21-1)",
            ));
        }
        let due = Deadline::Protocol
            .due(calendar, result.held_on)
            .map_err(calendar_refused)?;
        let passed = result.passed();
        let signed = result.protocol_signed_on;
        let stage = if passed { Stage::Passed } else { Stage::Failed };
        // The clock of p. 18-19 starts from the protocol; the step records whether the
        // protocol itself was on time.
        self.step(calendar, stage, signed, Some((Deadline::Protocol, due)))?;
        let text = format!(
            "the result: {} % of correct answers at the theory stage{}; protocol {} of {signed}: {}",
            result.theory_percent,
            match result.practical_passed {
                Some(true) => ", the practical task done as the technology map requires",
                Some(false) => ", the practical task not done as the technology map requires",
                None => ", not admitted to the practical stage",
            },
            result.protocol_number,
            if passed { "passed" } else { "not passed" }
        );
        self.result = Some(result);
        Ok(self.notice(NoticeKind::Result, text, signed))
    }

    /// p. 19: the notice of failure, with recommendations and the option of a retake.
    pub fn notify_failure(
        &mut self,
        calendar: &WorkingCalendar,
        recommendations: String,
        on: NaiveDate,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(&[Stage::Failed], "the failure is notified", "Rules p. 19")?;
        let due = self.due(calendar);
        self.step(calendar, Stage::FailureNotified, on, due)?;
        let appeal_by = Deadline::Appeal
            .due(calendar, on)
            .map_err(calendar_refused)?;
        Ok(self.notice(
            NoticeKind::Failure,
            format!("the procedure is not passed. Recommendations: {recommendations}. The theory and practical stages may be retaken. The decision may be appealed to the center by {appeal_by} (five working days, Rules p. 20)"),
            on,
        ))
    }

    /// p. 20: the candidate's appeal, within five working days of learning the result.
    pub fn appeal(
        &mut self,
        calendar: &WorkingCalendar,
        grounds: String,
        on: NaiveDate,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(
            &[Stage::FailureNotified],
            "an appeal is filed",
            "Rules p. 20",
        )?;
        let (deadline, due) = self
            .due(calendar)
            .ok_or_else(|| Refused::new("no deadline for an appeal"))?;
        if on > due {
            return Err(Refused::new(format!(
                "an appeal is filed within five working days of receiving the result, by {due} (Rules p. 20, Law Art. 22.1)"
            )));
        }
        self.step(calendar, Stage::Appealed, on, Some((deadline, due)))?;
        self.appeal = Some(Appeal {
            filed_on: on,
            grounds: grounds.clone(),
            decision: None,
        });
        Ok(self.notice(
            NoticeKind::Appeal,
            format!("an appeal against the examination commission's decision, registered {on}; the appeal commission decides within five working days (Rules p. 21-22): {grounds}"),
            on,
        ))
    }

    /// p. 21-1, 22-23: the appeal commission — none of the examination commission — decides.
    pub fn decide_appeal(
        &mut self,
        calendar: &WorkingCalendar,
        outcome: AppealOutcome,
        protocol_number: String,
        commission: Vec<String>,
        on: NaiveDate,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(&[Stage::Appealed], "an appeal is decided", "Rules p. 22")?;
        if commission.is_empty() {
            return Err(Refused::field(
                "commission",
                "is required: the members of the appeal commission (Rules p. 21-1)",
            ));
        }
        let examiners = self
            .result
            .as_ref()
            .map(|r| r.commission.clone())
            .unwrap_or_default();
        let normal = |name: &str| {
            name.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        };
        if let Some(both) = commission
            .iter()
            .find(|member| examiners.iter().any(|e| normal(e) == normal(member)))
        {
            return Err(Refused::field(
                "commission",
                format!("{both} sat on the examination commission; the appeal commission is formed separately from it (Rules p. 21-1)"),
            ));
        }
        let due = self.due(calendar);
        let stage = match outcome {
            AppealOutcome::Upheld => Stage::AppealUpheld,
            AppealOutcome::RepeatProcedure => Stage::Contracted,
            AppealOutcome::Rejected => Stage::AppealRejected,
        };
        self.step(calendar, stage, on, due)?;
        let keep_until = nsk_calendar::period_end(on, 12 * APPEAL_PROTOCOL_RETENTION_YEARS)
            .ok_or_else(|| Refused::new("the retention period cannot be counted"))?;
        if let Some(appeal) = self.appeal.as_mut() {
            appeal.decision = Some(AppealDecision {
                outcome,
                decided_on: on,
                protocol_number: protocol_number.clone(),
                commission,
                keep_until,
            });
        }
        if outcome == AppealOutcome::RepeatProcedure {
            // p. 23: repeated as p. 6-17 say: a new notice, a new day, a new result.
            self.schedule = None;
            self.result = None;
        }
        let text = match outcome {
            AppealOutcome::Upheld => format!("the appeal is upheld (protocol {protocol_number}): the document is issued within three working days (Rules p. 23, 18)"),
            AppealOutcome::RepeatProcedure => format!("technical discrepancies not of your making were found (protocol {protocol_number}): the procedure is repeated; the notice of the new date follows within five working days (Rules p. 23, 6)"),
            AppealOutcome::Rejected => format!("the appeal is rejected (protocol {protocol_number}); the examination commission's decision stands (Rules p. 22)"),
        };
        Ok(self.notice(NoticeKind::AppealDecision, text, on))
    }

    /// p. 18: the document, registered in the registry under `serial`, for a pass or an appeal
    /// upheld.
    pub fn record_document(
        &mut self,
        calendar: &WorkingCalendar,
        serial: String,
        on: NaiveDate,
    ) -> std::result::Result<Notice, Refused> {
        self.only_in(
            &[Stage::Passed, Stage::AppealUpheld],
            "a document is issued",
            "Rules p. 18, 23",
        )?;
        let due = self.due(calendar);
        self.step(calendar, Stage::DocumentIssued, on, due)?;
        self.document_serial = Some(serial.clone());
        Ok(self.notice(
            NoticeKind::Document,
            format!("the document on recognition of your qualification is issued: {serial}"),
            on,
        ))
    }

    fn notice(&self, kind: NoticeKind, text: String, on: NaiveDate) -> Notice {
        let to = match kind {
            NoticeKind::Application | NoticeKind::Resubmission | NoticeKind::Appeal => {
                super::deadlines::Party::Center
            }
            _ => super::deadlines::Party::Candidate,
        };
        Notice {
            kind,
            to,
            text,
            sent_on: on,
        }
    }

    pub fn id(&self) -> Uuid {
        self.id
    }
    pub fn facts(&self) -> &Facts {
        &self.facts
    }
    pub fn registered_on(&self) -> NaiveDate {
        self.registered_on
    }
    pub fn stage(&self) -> Stage {
        self.stage
    }
    pub fn since(&self) -> NaiveDate {
        self.since
    }
    pub fn remarks(&self) -> Option<&str> {
        self.remarks.as_deref()
    }
    /// The date, time and venue notified, if any.
    pub fn scheduled(&self) -> Option<&Schedule> {
        self.schedule.as_ref()
    }
    pub fn result(&self) -> Option<&Result> {
        self.result.as_ref()
    }
    pub fn appeal_record(&self) -> Option<&Appeal> {
        self.appeal.as_ref()
    }
    pub fn document_serial(&self) -> Option<&str> {
        self.document_serial.as_deref()
    }
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
    pub fn version(&self) -> i64 {
        self.version
    }
}

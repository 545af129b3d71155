//! One candidate's application to one center, from registration to the document, the refusal,
//! or the appeal's end (Rules p. 4-23). The aggregate: its fields change only through its acts,
//! each of which checks the stage it may happen in, dates itself, records whether its deadline
//! was met (or by how many working days it was missed), and yields the notice the other side
//! receives through the platform.

use chrono::{NaiveDate, NaiveTime};
use nsk_calendar::WorkingCalendar;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::deadlines::{notice_period, Deadline, NOTICE_MAX_WORKING_DAYS, NOTICE_MIN_WORKING_DAYS};
use super::Refused;

/// p. 15: "Кандидат, набравший более семидесяти процентов верных ответов ... допускается к
/// сдаче практического этапа".
pub const THEORY_PASS_ABOVE_PERCENT: u8 = 70;
/// p. 22: "Протокол апелляционной комиссии хранится в центре признания в течение трех лет".
pub const APPEAL_PROTOCOL_RETENTION_YEARS: u32 = 3;

/// How the application reached the center (p. 4: "в бумажной форме или посредством цифровой
/// платформы").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Platform,
    Paper,
}

/// p. 9: in the state language or Russian, at the candidate's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Kazakh,
    Russian,
}

/// p. 9: offline or online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Offline,
    Online,
}

/// Where the application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Registered; the completeness check is due (p. 5).
    Registered,
    /// Remarks sent; the candidate fixes them (p. 5).
    RemarksSent,
    /// The candidate sent the documents again; checked anew (p. 5).
    Resubmitted,
    /// The center refused the contract, with reasons (p. 5). The end.
    Refused,
    /// The contract is concluded; the notice of the date is due (p. 6).
    Contracted,
    /// The notice of the date, time and venue is sent (p. 6, 7, 11).
    Scheduled,
    /// Passed: the protocol is signed; the document is due (p. 17-18).
    Passed,
    /// Failed: the protocol is signed; the notice of failure is due (p. 17, 19).
    Failed,
    /// The candidate knows the failure and may appeal within five working days (p. 19-20).
    FailureNotified,
    /// Appealed; the appeal commission decides (p. 20-22).
    Appealed,
    /// The appeal is upheld; the document is due (p. 23, 18).
    AppealUpheld,
    /// The appeal is rejected (p. 22). The end.
    AppealRejected,
    /// The document is issued (p. 18). The end.
    DocumentIssued,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Registered => "registered",
            Stage::RemarksSent => "remarks_sent",
            Stage::Resubmitted => "resubmitted",
            Stage::Refused => "refused",
            Stage::Contracted => "contracted",
            Stage::Scheduled => "scheduled",
            Stage::Passed => "passed",
            Stage::Failed => "failed",
            Stage::FailureNotified => "failure_notified",
            Stage::Appealed => "appealed",
            Stage::AppealUpheld => "appeal_upheld",
            Stage::AppealRejected => "appeal_rejected",
            Stage::DocumentIssued => "document_issued",
        }
    }

    pub const ALL: [Stage; 13] = [
        Stage::Registered,
        Stage::RemarksSent,
        Stage::Resubmitted,
        Stage::Refused,
        Stage::Contracted,
        Stage::Scheduled,
        Stage::Passed,
        Stage::Failed,
        Stage::FailureNotified,
        Stage::Appealed,
        Stage::AppealUpheld,
        Stage::AppealRejected,
        Stage::DocumentIssued,
    ];

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// In words, for a refusal that names the stage.
    pub fn words(self) -> &'static str {
        match self {
            Stage::Registered => "registered and awaiting the completeness check",
            Stage::RemarksSent => "awaiting the candidate's fixes of the remarks",
            Stage::Resubmitted => "resubmitted and awaiting the completeness check",
            Stage::Refused => "refused",
            Stage::Contracted => "under contract and awaiting the notice of the date",
            Stage::Scheduled => "scheduled",
            Stage::Passed => "passed and awaiting the document",
            Stage::Failed => "failed and awaiting the notice of the result",
            Stage::FailureNotified => "failed, the candidate informed",
            Stage::Appealed => "under appeal",
            Stage::AppealUpheld => "upheld on appeal and awaiting the document",
            Stage::AppealRejected => "closed: the appeal was rejected",
            Stage::DocumentIssued => "closed: the document is issued",
        }
    }
}

/// Why a procedure is moved to another day (p. 7, p. 11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RescheduleReason {
    /// p. 7: the candidate's temporary disability, shown by the sick-leave sheet's number.
    TemporaryDisability { sick_leave_sheet: String },
    /// p. 11: a technical failure during an online procedure.
    TechnicalFailure { what_failed: String },
}

/// The appeal commission's decision (p. 22-23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealOutcome {
    /// p. 23: the document is issued as p. 18 says.
    Upheld,
    /// p. 23: technical discrepancies not of the candidate's making: the procedure is repeated
    /// as p. 6-17 say.
    RepeatProcedure,
    /// The decision stands.
    Rejected,
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// To the center: an application, on the platform or entered from paper (p. 4).
    Application,
    /// To the candidate: the contract is concluded (p. 5).
    Contract,
    /// To the candidate: remarks to fix (p. 5).
    Remarks,
    /// To the center: the documents sent again (p. 5).
    Resubmission,
    /// To the candidate: the reasoned refusal (p. 5).
    Refusal,
    /// To the candidate: date, time and venue (p. 6), or a new one (p. 7, 11, 23).
    Schedule,
    /// To the candidate: the result and the protocol (p. 17).
    Result,
    /// To the candidate: the failure, recommendations, the retake option (p. 19).
    Failure,
    /// To the candidate: the document issued (p. 18).
    Document,
    /// To the center: an appeal (p. 20).
    Appeal,
    /// To the candidate: the appeal commission's decision (p. 22).
    AppealDecision,
}

/// A message between candidate and center, delivered through the platform the moment it is
/// sent: a deadline is met when its notice is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// Whom it is for.
    pub to: super::deadlines::Party,
    pub text: String,
    pub sent_on: NaiveDate,
}

/// An act and whether it met its deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub stage: Stage,
    pub on: NaiveDate,
    /// The deadline the act answered, its last day, and the working days it was late (0: on
    /// time).
    pub deadline: Option<(Deadline, NaiveDate, i64)>,
}

/// The examination's result as the commission records it (p. 15-17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Result {
    pub held_on: NaiveDate,
    /// Per cent of correct answers of the theory stage, 0-100.
    pub theory_percent: u8,
    /// The practical stage against the technology map; `None` when not admitted (p. 15).
    pub practical_passed: Option<bool>,
    pub protocol_number: String,
    pub protocol_signed_on: NaiveDate,
    /// The examination commission (p. 9), whom the appeal commission may not include (p. 21-1).
    pub commission: Vec<String>,
}

impl Result {
    /// p. 15-17: more than 70 % and the practical task done per the technology map.
    pub fn passed(&self) -> bool {
        self.theory_percent > THEORY_PASS_ABOVE_PERCENT && self.practical_passed == Some(true)
    }
}

/// The date, time and venue the candidate is told (p. 6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub date: NaiveDate,
    pub time: NaiveTime,
    /// An address offline, the link online (p. 11).
    pub venue: String,
    pub sent_on: NaiveDate,
    /// Set when moved (p. 7, 11) rather than first scheduled.
    pub reason: Option<RescheduleReason>,
}

/// The appeal and its decision (p. 20-23).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    pub filed_on: NaiveDate,
    pub grounds: String,
    pub decision: Option<AppealDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealDecision {
    pub outcome: AppealOutcome,
    pub decided_on: NaiveDate,
    pub protocol_number: String,
    pub commission: Vec<String>,
    /// p. 22: kept three years from signing.
    pub keep_until: NaiveDate,
}

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

/// Whether an application for `level` of a profession may go to a center on `day`: the
/// profession is in the register with that level (Art. 21: documents are issued for professions
/// of the register), and the center holds an active accreditation certificate whose scope
/// covers them (Art. 17, 25.2: a center recognises within what it is accredited for).
/// `profession_levels` is `None` when the register does not hold the profession (or excluded
/// it); `center_levels` is `None` when the center has no active certificate that day.
pub fn admissible(
    center: nsk_kz::CenterNumber,
    day: NaiveDate,
    level: i32,
    profession_levels: Option<&[i32]>,
    center_levels: Option<&[u8]>,
) -> std::result::Result<(), Refused> {
    let Some(levels) = profession_levels else {
        return Err(Refused::field(
            "profession_id",
            "is not a profession in the register (or it was excluded): recognition is for the professions of the register (Art. 21)",
        ));
    };
    if !levels.contains(&level) {
        return Err(Refused::field(
            "nqf_level",
            format!(
                "is {level}, not a level of the profession in the register ({})",
                levels
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let Some(scope) = center_levels else {
        return Err(Refused::new(format!(
            "center {center} holds no active accreditation certificate on {day}: it cannot take applications (Art. 17, 25.2)"
        )));
    };
    if !scope.iter().any(|l| i32::from(*l) == level) {
        return Err(Refused::new(format!(
            "center {center} is not accredited for this profession at level {level}{} (Art. 17, 25.2)",
            if scope.is_empty() {
                String::new()
            } else {
                format!(
                    "; its scope has levels {}",
                    scope.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
                )
            }
        )));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadlines::Party;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
    }

    fn nine() -> NaiveTime {
        NaiveTime::from_hms_opt(9, 0, 0).expect("a time")
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::kazakhstan().expect("the shipped calendar")
    }

    fn facts(mode: Mode) -> Facts {
        Facts {
            center: nsk_kz::CenterNumber::from_i32(42).expect("a center"),
            profession_id: Uuid::now_v7(),
            nqf_level: 4,
            language: Language::Kazakh,
            mode,
            channel: Channel::Platform,
            voucher_id: None,
        }
    }

    fn result(held_on: &str, theory: u8, practical: Option<bool>, signed: &str) -> Result {
        Result {
            held_on: day(held_on),
            theory_percent: theory,
            practical_passed: practical,
            protocol_number: "EK-17".into(),
            protocol_signed_on: day(signed),
            commission: vec!["A. Seitkali".into(), "B. Omarov".into()],
        }
    }

    /// Registered Monday 2 November 2026, contract Wednesday 4th, notice Friday 6th for
    /// Monday 23rd (11 working days).
    fn scheduled(mode: Mode) -> Procedure {
        let cal = calendar();
        let (mut p, notice) = Procedure::register(facts(mode), day("2026-11-02"));
        assert_eq!(notice.to, Party::Center);
        p.conclude_contract(&cal, day("2026-11-04"))
            .expect("contract");
        p.schedule(
            &cal,
            day("2026-11-23"),
            nine(),
            "Almaty, Abai 10".into(),
            day("2026-11-06"),
        )
        .expect("scheduled");
        p
    }

    fn late_of(p: &Procedure) -> Option<(Deadline, NaiveDate, i64)> {
        p.steps().last().and_then(|s| s.deadline)
    }

    #[test]
    fn the_completeness_check_is_due_three_working_days_after_registration_and_met_or_late_p5() {
        let cal = calendar();
        // Registered Friday 20 November 2026: due Wednesday 25th.
        let (mut p, _) = Procedure::register(facts(Mode::Offline), day("2026-11-20"));
        assert_eq!(
            p.due(&cal),
            Some((Deadline::Completeness, day("2026-11-25")))
        );
        // A contract on Friday 27th is two working days late.
        let notice = p.conclude_contract(&cal, day("2026-11-27")).unwrap();
        assert_eq!(notice.kind, NoticeKind::Contract);
        assert_eq!(notice.to, Party::Candidate);
        assert_eq!(
            late_of(&p),
            Some((Deadline::Completeness, day("2026-11-25"), 2))
        );
        assert_eq!(p.stage(), Stage::Contracted);
        // Now the notice of the date: five working days from the contract.
        assert_eq!(p.due(&cal), Some((Deadline::Notice, day("2026-12-04"))));
    }

    #[test]
    fn remarks_fixed_in_time_are_checked_anew_and_late_fixes_are_refused_p5() {
        let cal = calendar();
        let (mut p, _) = Procedure::register(facts(Mode::Offline), day("2026-11-02"));
        let remarks = p
            .send_remarks(
                &cal,
                "the copy of the work record book is missing".into(),
                day("2026-11-03"),
            )
            .unwrap();
        assert!(remarks.text.contains("by 2026-11-06"), "{}", remarks.text);
        assert_eq!(
            p.due(&cal),
            Some((Deadline::RemarksFixed, day("2026-11-06")))
        );
        // Fixed on the last day: a new check, three working days from it.
        let mut fixed = p.clone();
        let notice = fixed.resubmit(&cal, day("2026-11-06")).unwrap();
        assert_eq!(notice.to, Party::Center);
        assert_eq!(
            fixed.due(&cal),
            Some((Deadline::Completeness, day("2026-11-11")))
        );
        fixed.conclude_contract(&cal, day("2026-11-09")).unwrap();
        assert_eq!(
            late_of(&fixed),
            Some((Deadline::Completeness, day("2026-11-11"), 0))
        );
        // A day later is too late: the center refuses, not before the candidate's time is over.
        let late = p.clone().resubmit(&cal, day("2026-11-09")).unwrap_err();
        assert!(late.message.contains("2026-11-06"), "{late}");
        let early = p
            .clone()
            .refuse(&cal, "not fixed".into(), "D. Omarov", day("2026-11-06"))
            .unwrap_err();
        assert!(early.message.contains("until 2026-11-06"), "{early}");
        // The refusal: three working days after the candidate's three, by Wednesday 11th.
        assert_eq!(p.refusal_due(&cal), Some(day("2026-11-11")));
        let refusal = p
            .refuse(
                &cal,
                "the work record book was not sent".into(),
                "D. Omarov",
                day("2026-11-12"),
            )
            .unwrap();
        assert!(refusal.text.contains("signed by D. Omarov"));
        assert_eq!(late_of(&p), Some((Deadline::Refusal, day("2026-11-11"), 1)));
        assert_eq!(p.stage(), Stage::Refused);
        assert_eq!(p.due(&cal), None);
    }

    #[test]
    fn a_procedure_is_notified_10_to_20_working_days_ahead_and_never_outside_p6() {
        let cal = calendar();
        let (mut p, _) = Procedure::register(facts(Mode::Offline), day("2026-11-02"));
        p.conclude_contract(&cal, day("2026-11-04")).unwrap();
        // Notice on Friday 6 November: 10 working days is Friday 20th, 20 is Friday 4 December.
        for (date, field_error) in [("2026-11-19", true), ("2026-12-07", true)] {
            let refused = p
                .clone()
                .schedule(&cal, day(date), nine(), "Almaty".into(), day("2026-11-06"))
                .unwrap_err();
            assert_eq!(refused.field, Some("date"), "{refused}");
            assert_eq!(
                field_error,
                refused.message.contains("from 2026-11-20 to 2026-12-04"),
                "{refused}"
            );
        }
        for date in ["2026-11-20", "2026-12-04"] {
            let mut ok = p.clone();
            let notice = ok
                .schedule(
                    &cal,
                    day(date),
                    nine(),
                    "Almaty, Abai 10".into(),
                    day("2026-11-06"),
                )
                .unwrap();
            assert!(
                notice.text.contains(date) && notice.text.contains("09:00"),
                "{}",
                notice.text
            );
            assert_eq!(late_of(&ok), Some((Deadline::Notice, day("2026-11-11"), 0)));
        }
    }

    #[test]
    fn a_notice_across_nauryz_counts_only_working_days_p6() {
        let cal = calendar();
        let (mut p, _) = Procedure::register(facts(Mode::Offline), day("2026-03-16"));
        p.conclude_contract(&cal, day("2026-03-17")).unwrap();
        // Notice Wednesday 18 March 2026: 19, 20, (21-25 off), 26, 27, 30, 31 March, 1, 2, 3, 6
        // April — the tenth working day is Monday 6 April, not Saturday 28 March.
        let refused = p
            .clone()
            .schedule(
                &cal,
                day("2026-04-03"),
                nine(),
                "Almaty".into(),
                day("2026-03-18"),
            )
            .unwrap_err();
        assert!(refused.message.contains("is 9 working days"), "{refused}");
        p.schedule(
            &cal,
            day("2026-04-06"),
            nine(),
            "Almaty".into(),
            day("2026-03-18"),
        )
        .unwrap();
    }

    #[test]
    fn a_procedure_moves_for_sick_leave_and_an_online_one_for_a_technical_failure_p7_p11() {
        let cal = calendar();
        let mut offline = scheduled(Mode::Offline);
        let refused = offline
            .clone()
            .reschedule(
                &cal,
                RescheduleReason::TechnicalFailure {
                    what_failed: "proctoring".into(),
                },
                day("2026-11-30"),
                nine(),
                "x".into(),
                day("2026-11-23"),
            )
            .unwrap_err();
        assert_eq!(refused.field, Some("technical_failure"));
        // Sick leave moves it to a day outside the 10-20 of p. 6: allowed (p. 7).
        let notice = offline
            .reschedule(
                &cal,
                RescheduleReason::TemporaryDisability {
                    sick_leave_sheet: "ЛН-123456".into(),
                },
                day("2026-11-26"),
                nine(),
                "Almaty, Abai 10".into(),
                day("2026-11-23"),
            )
            .unwrap();
        assert!(notice.text.contains("ЛН-123456") && notice.text.contains("2026-11-26"));
        assert_eq!(offline.scheduled().unwrap().date, day("2026-11-26"));
        let mut online = scheduled(Mode::Online);
        online
            .reschedule(
                &cal,
                RescheduleReason::TechnicalFailure {
                    what_failed: "the proctoring link dropped".into(),
                },
                day("2026-11-24"),
                nine(),
                "https://skills.enbek.kz/exam/1".into(),
                day("2026-11-23"),
            )
            .unwrap();
        assert_eq!(online.stage(), Stage::Scheduled);
    }

    #[test]
    fn more_than_70_percent_admits_to_the_practical_stage_and_the_protocol_is_due_in_2_days_p15_p17(
    ) {
        let cal = calendar();
        let p = scheduled(Mode::Offline);
        // Exactly 70 % does not admit: no practical result may be given.
        let refused = p
            .clone()
            .record_result(&cal, result("2026-11-23", 70, Some(true), "2026-11-24"))
            .unwrap_err();
        assert_eq!(refused.field, Some("practical_passed"));
        let refused = p
            .clone()
            .record_result(&cal, result("2026-11-23", 71, None, "2026-11-24"))
            .unwrap_err();
        assert_eq!(refused.field, Some("practical_passed"));
        // Not the notified day: refused.
        let refused = p
            .clone()
            .record_result(&cal, result("2026-11-24", 90, Some(true), "2026-11-24"))
            .unwrap_err();
        assert_eq!(refused.field, Some("held_on"));
        // 70 %: failed without the practical stage; the protocol a day late (due Wed 25th).
        let mut failed = p.clone();
        failed
            .record_result(&cal, result("2026-11-23", 70, None, "2026-11-26"))
            .unwrap();
        assert_eq!(failed.stage(), Stage::Failed);
        assert_eq!(
            late_of(&failed),
            Some((Deadline::Protocol, day("2026-11-25"), 1))
        );
        assert_eq!(
            failed.due(&cal),
            Some((Deadline::FailureNotice, day("2026-12-01")))
        );
        // 71 % and the practical task done: passed; the document due three days after the protocol.
        let mut passed = p;
        let notice = passed
            .record_result(&cal, result("2026-11-23", 71, Some(true), "2026-11-24"))
            .unwrap();
        assert!(notice.text.contains("passed"));
        assert_eq!(passed.stage(), Stage::Passed);
        assert_eq!(
            passed.due(&cal),
            Some((Deadline::Document, day("2026-11-27")))
        );
        passed
            .record_document(
                &cal,
                "25110-72120001-4-231126-0042-00000001".into(),
                day("2026-11-27"),
            )
            .unwrap();
        assert_eq!(passed.stage(), Stage::DocumentIssued);
        assert_eq!(
            late_of(&passed),
            Some((Deadline::Document, day("2026-11-27"), 0))
        );
    }

    fn failed_and_notified() -> Procedure {
        let cal = calendar();
        let mut p = scheduled(Mode::Offline);
        p.record_result(&cal, result("2026-11-23", 85, Some(false), "2026-11-24"))
            .unwrap();
        let notice = p
            .notify_failure(
                &cal,
                "practise root welding of pipes".into(),
                day("2026-11-25"),
            )
            .unwrap();
        assert!(
            notice.text.contains("retaken") && notice.text.contains("by 2026-12-02"),
            "{}",
            notice.text
        );
        p
    }

    #[test]
    fn an_appeal_is_filed_within_five_working_days_of_the_result_p20() {
        let cal = calendar();
        let p = failed_and_notified();
        assert_eq!(p.due(&cal), Some((Deadline::Appeal, day("2026-12-02"))));
        let refused = p
            .clone()
            .appeal(
                &cal,
                "the task differed from the map".into(),
                day("2026-12-03"),
            )
            .unwrap_err();
        assert!(refused.message.contains("by 2026-12-02"), "{refused}");
        let mut appealed = p;
        let notice = appealed
            .appeal(
                &cal,
                "the task differed from the map".into(),
                day("2026-12-02"),
            )
            .unwrap();
        assert_eq!(notice.to, Party::Center);
        assert_eq!(
            appealed.due(&cal),
            Some((Deadline::AppealDecision, day("2026-12-09")))
        );
    }

    #[test]
    fn the_appeal_commission_excludes_the_examiners_and_its_decision_leads_on_p21_1_p22_p23() {
        let cal = calendar();
        let mut p = failed_and_notified();
        p.appeal(
            &cal,
            "the task differed from the map".into(),
            day("2026-11-30"),
        )
        .unwrap();
        let refused = p
            .clone()
            .decide_appeal(
                &cal,
                AppealOutcome::Upheld,
                "AK-3".into(),
                vec!["C. Zhumabek".into(), "b.  OMAROV".into()],
                day("2026-12-02"),
            )
            .unwrap_err();
        assert_eq!(refused.field, Some("commission"));
        let commission = vec!["C. Zhumabek".into(), "D. Akhmetova".into()];
        // Upheld: the document within three working days (p. 23, 18); the protocol kept 3 years.
        let mut upheld = p.clone();
        upheld
            .decide_appeal(
                &cal,
                AppealOutcome::Upheld,
                "AK-3".into(),
                commission.clone(),
                day("2026-12-02"),
            )
            .unwrap();
        assert_eq!(
            upheld.due(&cal),
            Some((Deadline::Document, day("2026-12-07")))
        );
        let decision = upheld.appeal_record().unwrap().decision.clone().unwrap();
        assert_eq!(decision.keep_until, day("2029-12-02"));
        // A technical discrepancy: repeated from the notice (p. 23, 6).
        let mut repeat = p.clone();
        repeat
            .decide_appeal(
                &cal,
                AppealOutcome::RepeatProcedure,
                "AK-3".into(),
                commission.clone(),
                day("2026-12-02"),
            )
            .unwrap();
        assert_eq!(repeat.stage(), Stage::Contracted);
        assert_eq!(
            repeat.due(&cal),
            Some((Deadline::Notice, day("2026-12-09")))
        );
        assert!(repeat.result().is_none());
        // Rejected, and late: due Monday 7 December, decided Tuesday 8th.
        let mut rejected = p;
        rejected
            .decide_appeal(
                &cal,
                AppealOutcome::Rejected,
                "AK-3".into(),
                commission,
                day("2026-12-08"),
            )
            .unwrap();
        assert_eq!(
            late_of(&rejected),
            Some((Deadline::AppealDecision, day("2026-12-07"), 1))
        );
        assert_eq!(rejected.due(&cal), None);
    }

    #[test]
    fn an_application_goes_to_a_center_accredited_for_the_profession_and_level_art_17() {
        let center = nsk_kz::CenterNumber::from_i32(42).unwrap();
        let day = day("2026-11-20");
        assert_eq!(
            admissible(center, day, 4, Some(&[3, 4]), Some(&[4])),
            Ok(())
        );
        let not_registered = admissible(center, day, 4, None, Some(&[4])).unwrap_err();
        assert_eq!(not_registered.field, Some("profession_id"));
        let no_level = admissible(center, day, 5, Some(&[3, 4]), Some(&[4, 5])).unwrap_err();
        assert_eq!(no_level.field, Some("nqf_level"));
        let no_certificate = admissible(center, day, 4, Some(&[3, 4]), None).unwrap_err();
        assert!(no_certificate
            .message
            .contains("no active accreditation certificate on 2026-11-20"));
        let outside = admissible(center, day, 4, Some(&[3, 4]), Some(&[3])).unwrap_err();
        assert!(
            outside.message.contains("its scope has levels 3"),
            "{outside}"
        );
        let other_profession = admissible(center, day, 4, Some(&[3, 4]), Some(&[])).unwrap_err();
        assert!(other_profession
            .message
            .contains("not accredited for this profession"));
    }

    #[test]
    fn each_act_names_the_stage_that_forbids_it() {
        let cal = calendar();
        let (mut p, _) = Procedure::register(facts(Mode::Offline), day("2026-11-02"));
        let refused = p.appeal(&cal, "x".into(), day("2026-11-03")).unwrap_err();
        assert!(
            refused.message.starts_with("the application is registered"),
            "{refused}"
        );
        let refused = p
            .record_document(&cal, "x".into(), day("2026-11-03"))
            .unwrap_err();
        assert!(refused.message.contains("Rules p. 18"), "{refused}");
        // Nothing is dated before the stage it follows.
        let refused = p.conclude_contract(&cal, day("2026-11-01")).unwrap_err();
        assert_eq!(refused.field, Some("acted_on"));
    }
}

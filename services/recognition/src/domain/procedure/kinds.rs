//! What a procedure is made of: how it came in, its stages, the notices between candidate and
//! center, its result, schedule and appeal (Rules p. 4-23).

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::domain::deadlines::{Deadline, Party};

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
    /// To either: what the register of vouchers answered (Art. 29.2).
    Voucher,
}

/// A message between candidate and center, delivered through the platform the moment it is
/// sent: a deadline is met when its notice is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// Whom it is for.
    pub to: Party,
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

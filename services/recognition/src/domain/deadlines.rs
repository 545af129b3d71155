//! The deadlines of the recognition procedure (Rules p. 5-23), in working days of the calendar
//! (which is data). Each counts from a day — the day itself not counted — to the last day the
//! act is on time.

use chrono::NaiveDate;
use nsk_calendar::{CalendarError, WorkingCalendar};
use serde::{Deserialize, Serialize};

/// Who must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Center,
    Candidate,
}

/// A deadline of the procedure: what must be done, within how many working days of what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    /// p. 5: "в течение трех рабочих дней после дня регистрации заявления проверяет полноту"
    /// — the completeness check, then the contract or the remarks; counted again from a
    /// resubmission after remarks.
    Completeness,
    /// p. 5: "Кандидат в течение трех рабочих дней после дня направления уведомления устраняет
    /// замечания".
    RemarksFixed,
    /// p. 5: the reasoned refusal "в течение трех рабочих дней", when the remarks are not fixed.
    /// Read from the end of the candidate's three days: the same words count it "после дня
    /// направления уведомления", which would leave the center no day on which the candidate's
    /// time is over and its own is not.
    Refusal,
    /// p. 6: "В течение пяти рабочих дней после дня заключения ... договора ... направляет
    /// кандидату ... уведомление о дате, времени и месте"; p. 23 sends a repeat the same way,
    /// from the appeal commission's decision.
    Notice,
    /// p. 17: "Решения экзаменационной комиссии оформляются протоколом в течение двух рабочих
    /// дней после завершения процедуры".
    Protocol,
    /// p. 18: the document "в течение трех рабочих дней после дня подписания протокола"; p. 23,
    /// after an upheld appeal, the same from the appeal commission's protocol.
    Document,
    /// p. 19: the notice of failure, the retake option and recommendations, within three working
    /// days of the protocol.
    FailureNotice,
    /// p. 20 (Art. 22.1): the candidate appeals "в течение пяти рабочих дней после дня получения
    /// результатов".
    Appeal,
    /// p. 22 (Art. 22.2): the appeal commission decides "в течение пяти рабочих дней после дня
    /// получения заявления кандидата".
    AppealDecision,
}

impl Deadline {
    pub const ALL: [Deadline; 9] = [
        Deadline::Completeness,
        Deadline::RemarksFixed,
        Deadline::Refusal,
        Deadline::Notice,
        Deadline::Protocol,
        Deadline::Document,
        Deadline::FailureNotice,
        Deadline::Appeal,
        Deadline::AppealDecision,
    ];

    pub fn working_days(self) -> u32 {
        match self {
            Deadline::Protocol => 2,
            Deadline::Completeness
            | Deadline::RemarksFixed
            | Deadline::Refusal
            | Deadline::Document
            | Deadline::FailureNotice => 3,
            Deadline::Notice | Deadline::Appeal | Deadline::AppealDecision => 5,
        }
    }

    pub fn party(self) -> Party {
        match self {
            Deadline::RemarksFixed | Deadline::Appeal => Party::Candidate,
            _ => Party::Center,
        }
    }

    pub fn rule(self) -> &'static str {
        match self {
            Deadline::Completeness | Deadline::RemarksFixed | Deadline::Refusal => "Rules p. 5",
            Deadline::Notice => "Rules p. 6",
            Deadline::Protocol => "Rules p. 17",
            Deadline::Document => "Rules p. 18",
            Deadline::FailureNotice => "Rules p. 19",
            Deadline::Appeal => "Rules p. 20, Law Art. 22.1",
            Deadline::AppealDecision => "Rules p. 22, Law Art. 22.2",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Deadline::Completeness => "completeness",
            Deadline::RemarksFixed => "remarks_fixed",
            Deadline::Refusal => "refusal",
            Deadline::Notice => "notice",
            Deadline::Protocol => "protocol",
            Deadline::Document => "document",
            Deadline::FailureNotice => "failure_notice",
            Deadline::Appeal => "appeal",
            Deadline::AppealDecision => "appeal_decision",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    /// What is due, in words, for the lists of what is due and overdue.
    pub fn what(self) -> &'static str {
        match self {
            Deadline::Completeness => "check the application's completeness: contract or remarks",
            Deadline::RemarksFixed => "fix the remarks and send the documents again",
            Deadline::Refusal => "send the reasoned refusal signed by the head of the center",
            Deadline::Notice => "send the notice of the date, time and venue of the procedure",
            Deadline::Protocol => "sign the examination commission's protocol",
            Deadline::Document => "issue the document on recognition",
            Deadline::FailureNotice => {
                "send the notice of the result with recommendations and the retake option"
            }
            Deadline::Appeal => "appeal the examination commission's decision",
            Deadline::AppealDecision => "decide the appeal in the appeal commission",
        }
    }

    /// The last day to meet the deadline that starts on `from` (the day itself not counted).
    pub fn due(
        self,
        calendar: &WorkingCalendar,
        from: NaiveDate,
    ) -> Result<NaiveDate, CalendarError> {
        calendar.add_working_days(from, self.working_days())
    }
}

/// p. 6: "Период между датой направления уведомления и датой проведения признания ...
/// составляет не менее десяти рабочих дней и не более двадцати рабочих дней".
pub const NOTICE_MIN_WORKING_DAYS: i64 = 10;
pub const NOTICE_MAX_WORKING_DAYS: i64 = 20;

/// The working days from a notice sent on `notice` to a procedure on `procedure`, and whether
/// they are within the 10-20 of p. 6.
pub fn notice_period(
    calendar: &WorkingCalendar,
    notice: NaiveDate,
    procedure: NaiveDate,
) -> Result<(i64, bool), CalendarError> {
    let days = calendar.working_days_between(notice, procedure)?;
    Ok((
        days,
        (NOTICE_MIN_WORKING_DAYS..=NOTICE_MAX_WORKING_DAYS).contains(&days),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::kazakhstan().expect("the shipped calendar")
    }

    #[test]
    fn each_deadline_has_its_days_party_and_paragraph() {
        assert_eq!(Deadline::Completeness.working_days(), 3);
        assert_eq!(Deadline::Notice.working_days(), 5);
        assert_eq!(Deadline::Protocol.working_days(), 2);
        assert_eq!(Deadline::AppealDecision.working_days(), 5);
        assert_eq!(Deadline::Appeal.party(), Party::Candidate);
        assert_eq!(Deadline::RemarksFixed.party(), Party::Candidate);
        assert_eq!(Deadline::Document.party(), Party::Center);
        assert_eq!(Deadline::Protocol.rule(), "Rules p. 17");
        for deadline in Deadline::ALL {
            assert_eq!(Deadline::from_code(deadline.code()), Some(deadline));
        }
    }

    #[test]
    fn an_application_registered_before_nauryz_is_checked_after_it_p5() {
        // Nauryz 2026: 21-23 March, with the weekend's days off moved to 24 and 25 March:
        // 21-25 March are all off. Registered Thursday 19 March: Fri 20 (1), Thu 26 (2), Fri 27 (3).
        let cal = calendar();
        assert_eq!(
            Deadline::Completeness.due(&cal, day("2026-03-19")).unwrap(),
            day("2026-03-27")
        );
        // The notice, five days from a contract of Friday 20 March: 26, 27, 30, 31 March, 1 April.
        assert_eq!(
            Deadline::Notice.due(&cal, day("2026-03-20")).unwrap(),
            day("2026-04-01")
        );
    }

    #[test]
    fn a_protocol_due_over_new_year_skips_the_first_two_days_of_january_p17() {
        // A procedure on Wednesday 30 December 2026: Thu 31 (1); 1-2 January are holidays,
        // 2 January a Saturday whose day off moves to Monday 4 January; Tue 5 January 2027 (2).
        let cal = calendar();
        assert_eq!(
            Deadline::Protocol.due(&cal, day("2026-12-30")).unwrap(),
            day("2027-01-05")
        );
    }

    #[test]
    fn the_procedure_is_10_to_20_working_days_after_the_notice_p6() {
        let cal = calendar();
        // A notice on Monday 2 November 2026: ten working days later is Monday 16 November,
        // twenty is Monday 30 November.
        let notice = day("2026-11-02");
        assert_eq!(
            notice_period(&cal, notice, day("2026-11-13")).unwrap(),
            (9, false)
        );
        assert_eq!(
            notice_period(&cal, notice, day("2026-11-16")).unwrap(),
            (10, true)
        );
        assert_eq!(
            notice_period(&cal, notice, day("2026-11-30")).unwrap(),
            (20, true)
        );
        assert_eq!(
            notice_period(&cal, notice, day("2026-12-01")).unwrap(),
            (21, false)
        );
        // A Saturday between counts for nothing: Saturday 14 November is still 9 days.
        assert_eq!(
            notice_period(&cal, notice, day("2026-11-14")).unwrap(),
            (9, false)
        );
    }
}

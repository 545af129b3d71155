//! The deadlines the law sets the NCE, in working days of the calendar (which is data).

use chrono::NaiveDate;
use nsk_calendar::{CalendarError, WorkingCalendar};

/// A statutory deadline: what must be done, within how many working days of what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deadline {
    /// Art. 25.2: the certificate, within 10 working days of the positive decision.
    CertificateIssuance,
    /// Art. 25.4: the reasons for refusal, within 5 working days of the decision.
    RefusalReasons,
    /// Art. 26.3: the decision to revoke, within 10 working days of the event or detection.
    RevocationDecision,
    /// Art. 26.4: a copy of the revocation to the center, within 3 working days of the decision.
    RevocationCopy,
}

impl Deadline {
    pub const ALL: [Deadline; 4] = [
        Deadline::CertificateIssuance,
        Deadline::RefusalReasons,
        Deadline::RevocationDecision,
        Deadline::RevocationCopy,
    ];

    pub fn working_days(self) -> u32 {
        match self {
            Deadline::CertificateIssuance | Deadline::RevocationDecision => 10,
            Deadline::RefusalReasons => 5,
            Deadline::RevocationCopy => 3,
        }
    }

    pub fn article(self) -> &'static str {
        match self {
            Deadline::CertificateIssuance => "Art. 25.2",
            Deadline::RefusalReasons => "Art. 25.4",
            Deadline::RevocationDecision => "Art. 26.3",
            Deadline::RevocationCopy => "Art. 26.4",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Deadline::CertificateIssuance => "certificate_issuance",
            Deadline::RefusalReasons => "refusal_reasons",
            Deadline::RevocationDecision => "revocation_decision",
            Deadline::RevocationCopy => "revocation_copy",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    /// What is due, in words, for the officers' list.
    pub fn what(self) -> &'static str {
        match self {
            Deadline::CertificateIssuance => "issue the accreditation certificate",
            Deadline::RefusalReasons => "send the applicant the reasons for refusal",
            Deadline::RevocationDecision => "decide on revoking the certificate",
            Deadline::RevocationCopy => "send the center a copy of the revocation decision",
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

/// Whether something due on `due` and done on `done_on` (or not yet, as of `today`) is late.
pub fn is_late(due: NaiveDate, done_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    done_on.unwrap_or(today) > due
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::kazakhstan().unwrap()
    }

    #[test]
    fn a_decision_made_on_a_friday_counts_from_the_monday() {
        // Friday 20 November 2026; no holidays in the next two weeks.
        let friday = day("2026-11-20");
        let cal = calendar();
        assert_eq!(
            Deadline::RevocationCopy.due(&cal, friday).unwrap(),
            day("2026-11-25")
        );
        assert_eq!(
            Deadline::RefusalReasons.due(&cal, friday).unwrap(),
            day("2026-11-27")
        );
        assert_eq!(
            Deadline::CertificateIssuance.due(&cal, friday).unwrap(),
            day("2026-12-04")
        );
    }

    #[test]
    fn deadlines_skip_nauryz_and_its_transferred_days_off() {
        // Nauryz 2026: 21-23 March, with Saturday the 21st and Sunday the 22nd moved to 24 and
        // 25 March; so 21-25 March are all days off.
        let cal = calendar();
        let thursday = day("2026-03-19");
        // Fri 20 (1), Thu 26 (2), Fri 27 (3), Mon 30 (4), Tue 31 (5).
        assert_eq!(
            Deadline::RefusalReasons.due(&cal, thursday).unwrap(),
            day("2026-03-31")
        );
        // ... Wed 1 (6), Thu 2 (7), Fri 3 (8), Mon 6 (9), Tue 7 April (10).
        assert_eq!(
            Deadline::RevocationDecision.due(&cal, thursday).unwrap(),
            day("2026-04-07")
        );
    }

    #[test]
    fn deadlines_skip_the_new_year_holidays() {
        // 1-2 January are holidays; 2 January 2027 is a Saturday, so Monday 4 January is off
        // instead; 7 January (Orthodox Christmas) is a holiday without transfer.
        let cal = calendar();
        let friday = day("2026-12-25");
        // Mon 28 (1), Tue 29 (2), Wed 30 (3), Thu 31 (4), Tue 5 (5), Wed 6 (6), Fri 8 (7),
        // Mon 11 (8), Tue 12 (9), Wed 13 January (10).
        assert_eq!(
            Deadline::CertificateIssuance.due(&cal, friday).unwrap(),
            day("2027-01-13")
        );
        assert_eq!(
            Deadline::RevocationCopy
                .due(&cal, day("2026-12-30"))
                .unwrap(),
            day("2027-01-06")
        );
    }

    #[test]
    fn a_year_without_calendar_data_is_an_error_not_a_guess() {
        assert!(Deadline::RefusalReasons
            .due(&calendar(), day("2022-12-20"))
            .is_err());
    }

    #[test]
    fn lateness_is_judged_by_the_day_of_doing_or_today_if_not_done() {
        let due = day("2026-11-25");
        assert!(!is_late(due, Some(due), day("2026-12-31")));
        assert!(is_late(due, Some(day("2026-11-26")), day("2026-11-26")));
        assert!(!is_late(due, None, due));
        assert!(is_late(due, None, day("2026-11-26")));
    }

    #[test]
    fn every_deadline_names_its_article_and_reads_back_from_its_code() {
        for deadline in Deadline::ALL {
            assert!(deadline.article().starts_with("Art. 2"));
            assert_eq!(Deadline::from_code(deadline.code()), Some(deadline));
        }
    }
}

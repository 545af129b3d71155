//! Art. 25.3: the NCE monitors the results of the procedures a center runs. For one center and
//! a period: what came in, how it ended, the appeals and their outcomes, every deadline missed
//! (with the working days), the procedures moved off their notified day, and what is overdue now.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use nsk_calendar::WorkingCalendar;

use super::deadlines::Deadline;
use super::procedure::{Procedure, Stage};

/// Missed deadlines of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Missed {
    pub times: u32,
    pub working_days: i64,
}

/// One center's period.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Registered in the period.
    pub applications: u32,
    pub refused: u32,
    pub contracted: u32,
    pub passed: u32,
    pub failed: u32,
    pub appeals: u32,
    pub appeals_upheld: u32,
    pub appeals_repeated: u32,
    pub appeals_rejected: u32,
    pub documents_issued: u32,
    /// Procedures moved off their notified day (Rules p. 7, 11).
    pub rescheduled: u32,
    /// The center's own deadlines missed in the period, by deadline.
    pub missed: BTreeMap<Deadline, Missed>,
    /// Open now and past their due date (as of `today`).
    pub overdue_now: u32,
}

/// The summary of `procedures` (one center's) for the steps taken from `from` to `to`.
pub fn summarize(
    procedures: &[&Procedure],
    from: NaiveDate,
    to: NaiveDate,
    calendar: &WorkingCalendar,
    today: NaiveDate,
) -> Summary {
    let mut s = Summary::default();
    let within = |day: NaiveDate| from <= day && day <= to;
    for p in procedures {
        if within(p.registered_on()) {
            s.applications += 1;
        }
        let mut last_stage = None;
        for step in p.steps() {
            if within(step.on) {
                match step.stage {
                    Stage::Refused => s.refused += 1,
                    Stage::Contracted if last_stage != Some(Stage::Appealed) => s.contracted += 1,
                    Stage::Scheduled if last_stage == Some(Stage::Scheduled) => s.rescheduled += 1,
                    Stage::Passed => s.passed += 1,
                    Stage::Failed => s.failed += 1,
                    Stage::Appealed => s.appeals += 1,
                    Stage::AppealUpheld => s.appeals_upheld += 1,
                    Stage::Contracted => s.appeals_repeated += 1,
                    Stage::AppealRejected => s.appeals_rejected += 1,
                    Stage::DocumentIssued => s.documents_issued += 1,
                    _ => {}
                }
                if let Some((deadline, _, late)) = step.deadline {
                    if late > 0 && deadline.party() == super::deadlines::Party::Center {
                        let m = s.missed.entry(deadline).or_default();
                        m.times += 1;
                        m.working_days += late;
                    }
                }
            }
            last_stage = Some(step.stage);
        }
        if let Some((deadline, due)) = p.due(calendar) {
            if deadline.party() == super::deadlines::Party::Center && today > due {
                s.overdue_now += 1;
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::procedure::{
        AppealOutcome, Channel, Facts, Language, Mode, Result as ExamResult,
    };
    use chrono::NaiveTime;
    use uuid::Uuid;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn facts() -> Facts {
        Facts {
            center: nsk_kz::CenterNumber::from_i32(42).unwrap(),
            profession_id: Uuid::now_v7(),
            nqf_level: 4,
            language: Language::Russian,
            mode: Mode::Offline,
            channel: Channel::Platform,
            voucher_id: None,
        }
    }

    #[test]
    fn a_period_counts_outcomes_appeals_and_each_missed_deadline_with_its_days_art_25_3() {
        let cal = WorkingCalendar::kazakhstan().unwrap();
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        // Registered Monday 2 November 2026; the contract two working days late (due the 5th).
        let (mut late, _) = Procedure::register(facts(), day("2026-11-02"));
        late.conclude_contract(&cal, day("2026-11-09")).unwrap();
        late.schedule(
            &cal,
            day("2026-11-24"),
            nine,
            "Almaty".into(),
            day("2026-11-10"),
        )
        .unwrap();
        late.record_result(
            &cal,
            ExamResult {
                held_on: day("2026-11-24"),
                theory_percent: 50,
                practical_passed: None,
                protocol_number: "1".into(),
                protocol_signed_on: day("2026-11-24"),
                commission: vec!["A".into()],
            },
        )
        .unwrap();
        late.notify_failure(&cal, "read more".into(), day("2026-11-25"))
            .unwrap();
        late.appeal(&cal, "unfair".into(), day("2026-11-26"))
            .unwrap();
        late.decide_appeal(
            &cal,
            AppealOutcome::RepeatProcedure,
            "2".into(),
            vec!["B".into()],
            day("2026-11-27"),
        )
        .unwrap();
        // Registered Friday 20 November and never checked: overdue on 1 December (due the 25th).
        let (waiting, _) = Procedure::register(facts(), day("2026-11-20"));
        // Registered in October: outside the period, but not its steps within it.
        let (mut older, _) = Procedure::register(facts(), day("2026-10-30"));
        older
            .send_remarks(&cal, "x".into(), day("2026-11-02"))
            .unwrap();
        let s = summarize(
            &[&late, &waiting, &older],
            day("2026-11-01"),
            day("2026-11-30"),
            &cal,
            day("2026-12-01"),
        );
        assert_eq!(s.applications, 2);
        assert_eq!((s.contracted, s.failed, s.passed), (1, 1, 0));
        assert_eq!((s.appeals, s.appeals_repeated, s.appeals_upheld), (1, 1, 0));
        assert_eq!(
            s.missed.get(&Deadline::Completeness),
            Some(&Missed {
                times: 1,
                working_days: 2
            })
        );
        assert_eq!(s.missed.len(), 1, "{:?}", s.missed);
        // The repeated procedure awaits its notice (due 4 December); the unchecked one is overdue.
        assert_eq!(s.overdue_now, 1);
    }
}

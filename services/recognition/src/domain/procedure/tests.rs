//! The procedure's acts, each against the paragraph of the Rules it applies.

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
fn more_than_70_percent_admits_to_the_practical_stage_and_the_protocol_is_due_in_2_days_p15_p17() {
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

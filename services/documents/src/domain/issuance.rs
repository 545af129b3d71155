//! Issuing a document on recognition of a qualification: who may, for what, on which day
//! (Law Art. 20.3, 21.5, 23-26; Rules p. 18), its validity, and how it reads to the public.

use chrono::NaiveDate;
use nsk_calendar::{CalendarError, WorkingCalendar};

/// Rules p. 18: the center issues the document and enters it on the platform within three
/// working days after the day the protocol is signed.
pub const ISSUE_WORKING_DAYS: u32 = 3;

/// The register of professions as it stood on the day of the procedure, for one profession.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfessionOnDay {
    pub active: bool,
    pub oked: String,
    pub nkz: String,
    pub nqf_levels: Vec<u8>,
    /// Art. 21.5: how long documents for this profession are valid.
    pub validity_months: u32,
    /// Art. 20: whether separate skills may be recognised, and which.
    pub separate_skills_allowed: bool,
    pub separate_skills: Vec<String>,
}

/// What accreditation said of the center on the day of the procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CenterOnDay {
    /// Its certificate was valid and active that day.
    pub certificate_active: bool,
    /// The levels at which its scope covered the profession that day; `None` if not at all.
    pub scope_levels: Option<Vec<u8>>,
}

/// What the center asks to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuance {
    pub center: String,
    pub level: u8,
    pub procedure_date: NaiveDate,
    pub skills: Vec<String>,
}

/// Every reason the law refuses the document; empty when it may be issued.
pub fn refusals(
    issuance: &Issuance,
    center: &CenterOnDay,
    profession: Option<&ProfessionOnDay>,
) -> Vec<String> {
    let day = issuance.procedure_date;
    let mut reasons = Vec::new();
    // Art. 23, 25.2: only an accredited center recognises qualifications.
    if !center.certificate_active {
        reasons.push(format!(
            "center {} had no active accreditation certificate on {day}, the day of the procedure (Art. 25.2, 26)",
            issuance.center
        ));
    }
    match &center.scope_levels {
        None => reasons.push(format!(
            "the accreditation of center {} did not cover this profession on {day}",
            issuance.center
        )),
        Some(levels) if !levels.contains(&issuance.level) => reasons.push(format!(
            "the accreditation of center {} covered this profession at levels {} on {day}, not level {}",
            issuance.center,
            join(levels),
            issuance.level
        )),
        Some(_) => {}
    }
    match profession {
        None => reasons.push(format!(
            "the profession was not in the register of professions on {day} (Art. 5.6)"
        )),
        Some(p) if !p.active => reasons.push(format!(
            "the profession was excluded from the register of professions on {day} (Art. 5.6)"
        )),
        Some(p) => {
            if !p.nqf_levels.contains(&issuance.level) {
                reasons.push(format!(
                    "the register recognised this profession at levels {} on {day}, not level {}",
                    join(&p.nqf_levels),
                    issuance.level
                ));
            }
            // Art. 20: separate skills only where the register allows them, and only those.
            if !issuance.skills.is_empty() {
                if !p.separate_skills_allowed {
                    reasons.push(
                        "the register does not allow separate skills to be recognised for this profession (Art. 20)"
                            .to_string(),
                    );
                } else {
                    for skill in &issuance.skills {
                        if !p.separate_skills.contains(skill) {
                            reasons.push(format!(
                                "\"{skill}\" is not among the skills the register allows to be recognised separately for this profession (Art. 20)"
                            ));
                        }
                    }
                }
            }
        }
    }
    reasons
}

fn join(levels: &[u8]) -> String {
    levels
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Art. 21.5: valid from the issue date for the months the register set, through the
/// corresponding day of the last month (DOMAIN.md "Periods": the Civil Code's rule).
pub fn valid_until(issue_date: NaiveDate, months: u32) -> Option<NaiveDate> {
    nsk_calendar::period_end(issue_date, months)
}

/// Rules p. 18: whether a document entered on `issue_date` came later than three working days
/// after the protocol was signed. Lateness is recorded, not refused: the holder is not to
/// suffer for the center's delay.
pub fn issued_late(
    calendar: &WorkingCalendar,
    protocol_date: NaiveDate,
    issue_date: NaiveDate,
) -> Result<bool, CalendarError> {
    Ok(issue_date > calendar.add_working_days(protocol_date, ISSUE_WORKING_DAYS)?)
}

/// Rules p. 17: the protocol is drawn up within two working days after the procedure.
pub const PROTOCOL_WORKING_DAYS: u32 = 2;

/// Once a center's certificate has ended (its last day of activity `last_active`), it may still
/// register a document for a procedure it held while active — but only within the Rules'
/// deadlines counted from the end: the protocol within 2 working days of the procedure
/// (p. 17), the document within 3 more (p. 18). Anything later would be a backdated document of
/// a center that can no longer act. Empty when it may be registered.
pub fn refusals_after_end(
    calendar: &WorkingCalendar,
    last_active: NaiveDate,
    procedure_date: NaiveDate,
    protocol_date: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<String>, CalendarError> {
    let mut reasons = Vec::new();
    let protocol_due = calendar.add_working_days(procedure_date, PROTOCOL_WORKING_DAYS)?;
    if protocol_date > protocol_due {
        reasons.push(format!(
            "the center's accreditation ended after {last_active}: a protocol dated {protocol_date} is later than two working days after the procedure ({protocol_due}, Rules p. 17)"
        ));
    }
    let registration_due = calendar.add_working_days(
        calendar.add_working_days(last_active, PROTOCOL_WORKING_DAYS)?,
        ISSUE_WORKING_DAYS,
    )?;
    if today > registration_due {
        reasons.push(format!(
            "the center's accreditation ended after {last_active}: its documents could be registered until {registration_due} (2 working days for the protocol and 3 for the document, Rules p. 17-18); a document from before the platform comes in through the authorized body's migration"
        ));
    }
    Ok(reasons)
}

/// A certificate as the registry knows it: valid from, valid until, and its statuses in order
/// with the day each began.
pub type KnownPeriod = (NaiveDate, NaiveDate, Vec<(String, NaiveDate)>);

/// The last day, from `from` to `today`, on which a center with these certificates could act,
/// when it cannot act `today`; `None` while it still can (or never could from `from`).
pub fn last_active_day(
    certificates: &[KnownPeriod],
    from: NaiveDate,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let active = |day: NaiveDate| {
        certificates
            .iter()
            .any(|(f, u, s)| super::certificate_active_on(*f, *u, s, day))
    };
    if active(today) {
        return None;
    }
    let mut last = None;
    let mut day = from;
    while day < today {
        if active(day) {
            last = Some(day);
        }
        day = day.succ_opt()?;
    }
    last
}

/// The status of a document on `day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Valid,
    Expired,
    Cancelled,
}

pub fn status_on(
    valid_until: NaiveDate,
    cancelled_on: Option<NaiveDate>,
    day: NaiveDate,
) -> Status {
    match cancelled_on {
        Some(cancelled) if cancelled <= day => Status::Cancelled,
        _ if day > valid_until => Status::Expired,
        _ => Status::Valid,
    }
}

/// The holder's name as the public sees it: initials only.
pub fn masked_name(full_name: &str) -> String {
    full_name
        .split_whitespace()
        .filter_map(|part| part.chars().next())
        .map(|initial| format!("{initial}."))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn welder() -> ProfessionOnDay {
        ProfessionOnDay {
            active: true,
            oked: "25110".into(),
            nkz: "72120001".into(),
            nqf_levels: vec![3, 4],
            validity_months: 60,
            separate_skills_allowed: true,
            separate_skills: vec!["Weld butt joints".into()],
        }
    }

    fn accredited() -> CenterOnDay {
        CenterOnDay {
            certificate_active: true,
            scope_levels: Some(vec![3, 4]),
        }
    }

    fn issuance(level: u8, skills: &[&str]) -> Issuance {
        Issuance {
            center: "0042".into(),
            level,
            procedure_date: day("2026-11-16"),
            skills: skills.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn an_accredited_center_issues_for_a_profession_in_its_scope_and_the_register() {
        assert!(refusals(&issuance(4, &[]), &accredited(), Some(&welder())).is_empty());
        assert!(refusals(
            &issuance(3, &["Weld butt joints"]),
            &accredited(),
            Some(&welder())
        )
        .is_empty());
    }

    #[test]
    fn a_center_without_an_active_certificate_that_day_is_refused() {
        let revoked = CenterOnDay {
            certificate_active: false,
            ..accredited()
        };
        let reasons = refusals(&issuance(4, &[]), &revoked, Some(&welder()));
        assert_eq!(reasons.len(), 1);
        assert!(reasons[0].contains("no active accreditation certificate on 2026-11-16"));
    }

    #[test]
    fn a_profession_or_level_outside_the_centers_scope_is_refused() {
        let elsewhere = CenterOnDay {
            scope_levels: None,
            ..accredited()
        };
        assert!(
            refusals(&issuance(4, &[]), &elsewhere, Some(&welder()))[0].contains("did not cover")
        );
        let level_3_only = CenterOnDay {
            scope_levels: Some(vec![3]),
            ..accredited()
        };
        assert!(
            refusals(&issuance(4, &[]), &level_3_only, Some(&welder()))[0].contains("not level 4")
        );
    }

    #[test]
    fn the_register_as_it_stood_that_day_must_hold_the_profession_at_that_level() {
        assert!(refusals(&issuance(4, &[]), &accredited(), None)[0].contains("not in the register"));
        let excluded = ProfessionOnDay {
            active: false,
            ..welder()
        };
        assert!(
            refusals(&issuance(4, &[]), &accredited(), Some(&excluded))[0].contains("excluded")
        );
        let reasons = refusals(
            &issuance(5, &[]),
            &CenterOnDay {
                scope_levels: Some(vec![5]),
                ..accredited()
            },
            Some(&welder()),
        );
        assert_eq!(reasons.len(), 1);
        assert!(reasons[0].contains("levels 3, 4"), "{reasons:?}");
    }

    #[test]
    fn separate_skills_only_where_the_register_allows_them_art_20() {
        let no_skills = ProfessionOnDay {
            separate_skills_allowed: false,
            separate_skills: vec![],
            ..welder()
        };
        let reasons = refusals(
            &issuance(3, &["Weld butt joints"]),
            &accredited(),
            Some(&no_skills),
        );
        assert!(reasons[0].contains("Art. 20"), "{reasons:?}");
        let reasons = refusals(&issuance(3, &["Juggling"]), &accredited(), Some(&welder()));
        assert!(reasons[0].contains("Juggling"), "{reasons:?}");
    }

    #[test]
    fn every_refusal_is_given_at_once() {
        let none = CenterOnDay {
            certificate_active: false,
            scope_levels: None,
        };
        assert_eq!(refusals(&issuance(4, &[]), &none, None).len(), 3);
    }

    #[test]
    fn validity_runs_the_registers_months_to_the_corresponding_day_art_21_5() {
        assert_eq!(valid_until(day("2026-11-20"), 60), Some(day("2031-11-20")));
        // A month with no such day ends on its last day.
        assert_eq!(valid_until(day("2026-01-31"), 1), Some(day("2026-02-28")));
        assert_eq!(valid_until(day("2027-08-31"), 6), Some(day("2028-02-29")));
    }

    #[test]
    fn a_document_later_than_three_working_days_after_the_protocol_is_late_rules_p_18() {
        let calendar = WorkingCalendar::kazakhstan().unwrap();
        // Protocol on Friday 20 November 2026: Mon 23, Tue 24, Wed 25.
        let protocol = day("2026-11-20");
        assert!(!issued_late(&calendar, protocol, day("2026-11-25")).unwrap());
        assert!(issued_late(&calendar, protocol, day("2026-11-26")).unwrap());
        // Across Nauryz 2026 (21-25 March off): protocol Thu 19, Fri 20 (1), Thu 26 (2), Fri 27 (3).
        assert!(!issued_late(&calendar, day("2026-03-19"), day("2026-03-27")).unwrap());
        assert!(issued_late(&calendar, day("2026-03-19"), day("2026-03-30")).unwrap());
    }

    #[test]
    fn after_its_certificate_ends_a_center_registers_only_within_the_rules_deadlines_p_17_18() {
        let calendar = WorkingCalendar::kazakhstan().unwrap();
        // Revoked from Thursday 19 November 2026: last active day Wednesday 18. Protocol by
        // Fri 20 (2 working days), document by Wed 25 (3 more: Mon 23, Tue 24, Wed 25).
        let last = day("2026-11-18");
        let procedure = day("2026-11-18");
        let ok = refusals_after_end(
            &calendar,
            last,
            procedure,
            day("2026-11-20"),
            day("2026-11-25"),
        )
        .unwrap();
        assert!(ok.is_empty(), "{ok:?}");
        let late = refusals_after_end(
            &calendar,
            last,
            procedure,
            day("2026-11-20"),
            day("2026-11-26"),
        )
        .unwrap();
        assert_eq!(late.len(), 1);
        assert!(late[0].contains("until 2026-11-25"), "{late:?}");
        // A protocol "signed" a week after the procedure, after the end: backdating.
        let backdated = refusals_after_end(
            &calendar,
            last,
            day("2026-11-11"),
            day("2026-11-18"),
            day("2026-11-19"),
        )
        .unwrap();
        assert_eq!(backdated.len(), 1);
        assert!(backdated[0].contains("Rules p. 17"), "{backdated:?}");
    }

    #[test]
    fn the_last_active_day_is_found_only_once_the_center_can_no_longer_act() {
        let statuses = vec![
            ("active".to_string(), day("2026-01-05")),
            ("revoked".to_string(), day("2026-11-19")),
        ];
        let certs = vec![(day("2026-01-05"), day("2029-01-05"), statuses)];
        assert_eq!(
            last_active_day(&certs, day("2026-11-02"), day("2026-11-23")),
            Some(day("2026-11-18"))
        );
        assert_eq!(
            last_active_day(&certs, day("2026-11-02"), day("2026-11-18")),
            None
        );
        // Expiry: valid through 4 January 2029.
        let expired = vec![(
            day("2026-01-05"),
            day("2029-01-04"),
            vec![("active".to_string(), day("2026-01-05"))],
        )];
        assert_eq!(
            last_active_day(&expired, day("2028-12-20"), day("2029-01-10")),
            Some(day("2029-01-04"))
        );
    }

    #[test]
    fn a_document_is_valid_then_expired_and_cancelled_from_its_cancellation() {
        let until = day("2031-11-19");
        assert_eq!(status_on(until, None, day("2031-11-19")), Status::Valid);
        assert_eq!(status_on(until, None, day("2031-11-20")), Status::Expired);
        let cancelled = Some(day("2027-01-15"));
        assert_eq!(
            status_on(until, cancelled, day("2027-01-14")),
            Status::Valid
        );
        assert_eq!(
            status_on(until, cancelled, day("2027-01-15")),
            Status::Cancelled
        );
        assert_eq!(
            status_on(until, cancelled, day("2032-01-01")),
            Status::Cancelled
        );
    }

    #[test]
    fn the_public_sees_initials_never_the_name() {
        assert_eq!(masked_name("Сейткали Айгерим Нурлановна"), "С. А. Н.");
        assert_eq!(masked_name("  John   Smith "), "J. S.");
        assert_eq!(masked_name(""), "");
    }
}

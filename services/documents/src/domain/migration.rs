//! Documents issued before the platform, brought in by the authorized body (the register of
//! issued documents covers them too, Art. 6.1.8). A separate, audited path: the center, the dates
//! and the serial number stay as they were; what is checked is that the record is whole and
//! agrees with itself — the serial's parts with the fields, the dates in their order, from
//! 2023 on, when the Law took effect.

use chrono::NaiveDate;
use nsk_kz::CenterNumber;

use super::holder::HolderId;
use super::serial::SerialNumber;

/// The first day a migrated document's procedure may have been held: the Law took effect in
/// 2023.
pub const FIRST_DAY: (i32, u32, u32) = (2023, 1, 1);

/// A migrated document, as the authorized body sent it, with its fields read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub serial: SerialNumber,
    pub holder: HolderId,
    pub level: u8,
    pub center: CenterNumber,
    pub procedure_date: NaiveDate,
    pub protocol_date: NaiveDate,
    pub issue_date: NaiveDate,
    pub valid_until: NaiveDate,
}

/// Every way the record disagrees with itself or the law, each with the field it concerns.
pub fn problems(m: &Migrated, today: NaiveDate) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let (y, mo, d) = FIRST_DAY;
    let first = NaiveDate::from_ymd_opt(y, mo, d).unwrap_or(NaiveDate::MIN);
    if m.serial.level != m.level {
        out.push((
            "serial_number",
            format!(
                "part 3 says level {}, the document level {}",
                m.serial.level, m.level
            ),
        ));
    }
    if m.serial.date != m.procedure_date {
        out.push((
            "serial_number",
            format!(
                "part 4 says the procedure was on {}, the document on {} (Appendix 2: the date of the procedure)",
                m.serial.date, m.procedure_date
            ),
        ));
    }
    if m.serial.center != m.center {
        out.push((
            "serial_number",
            format!(
                "part 5 says center {}, the document center {}",
                m.serial.center, m.center
            ),
        ));
    }
    if m.procedure_date < first {
        out.push((
            "procedure_date",
            format!("must not be before {first}: the Law took effect in 2023"),
        ));
    }
    if m.protocol_date < m.procedure_date {
        out.push((
            "protocol_date",
            format!("must not be before the procedure ({})", m.procedure_date),
        ));
    }
    if m.issue_date < m.protocol_date {
        out.push((
            "issue_date",
            format!("must not be before the protocol ({})", m.protocol_date),
        ));
    }
    if m.issue_date > today {
        out.push((
            "issue_date",
            format!("must not be in the future (today is {today})"),
        ));
    }
    if m.valid_until <= m.issue_date {
        out.push((
            "valid_until",
            format!("must be after the issue date ({})", m.issue_date),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn migrated() -> Migrated {
        Migrated {
            serial: "25110-72120001-4-150923-0007-00000012".parse().unwrap(),
            holder: HolderId::parse("900101300037", "", "").unwrap(),
            level: 4,
            center: CenterNumber::new(7).unwrap(),
            procedure_date: day("2023-09-15"),
            protocol_date: day("2023-09-18"),
            issue_date: day("2023-09-20"),
            valid_until: day("2028-09-20"),
        }
    }

    #[test]
    fn a_migrated_document_keeps_its_serial_and_dates_and_agrees_with_itself() {
        assert!(problems(&migrated(), day("2026-11-23")).is_empty());
        let wrong_day = Migrated {
            procedure_date: day("2023-09-14"),
            protocol_date: day("2023-09-14"),
            ..migrated()
        };
        let found = problems(&wrong_day, day("2026-11-23"));
        assert_eq!(found.len(), 1);
        assert!(found[0].1.contains("part 4"), "{found:?}");
        let other_center = Migrated {
            center: CenterNumber::new(8).unwrap(),
            ..migrated()
        };
        assert!(problems(&other_center, day("2026-11-23"))[0]
            .1
            .contains("part 5"));
    }

    #[test]
    fn a_migrated_document_is_from_2023_on_with_its_dates_in_order() {
        let early = Migrated {
            serial: "25110-72120001-4-150922-0007-00000012".parse().unwrap(),
            procedure_date: day("2022-09-15"),
            ..migrated()
        };
        let fields: Vec<&str> = problems(&early, day("2026-11-23"))
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["procedure_date"]);
        let disorder = Migrated {
            issue_date: day("2023-09-17"),
            valid_until: day("2023-09-17"),
            ..migrated()
        };
        let fields: Vec<&str> = problems(&disorder, day("2026-11-23"))
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["issue_date", "valid_until"]);
    }
}

//! The registry of documents as the law describes it (Law Art. 6.1.6, 21, 26.2; Rules p. 18,
//! Appendix 2). Issuance, serial numbers, validity and cancellation land with their issue;
//! what is here is the registry's view of the register of professions.

pub mod cancellation;
pub mod holder;
pub mod issuance;
pub mod migration;
pub mod procedure;
pub mod serial;
pub mod voucher;

use chrono::NaiveDate;

/// A version of a register entry as the registry received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfessionVersion {
    pub version: i64,
    pub active: bool,
    pub effective_from: NaiveDate,
}

/// The version that governs a document whose procedure took place on `date`: the latest
/// version effective on or before that day (Art. 21.5: the register as it stood then).
pub fn version_on(versions: &[ProfessionVersion], date: NaiveDate) -> Option<&ProfessionVersion> {
    versions
        .iter()
        .filter(|v| v.effective_from <= date)
        .max_by_key(|v| v.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(version: i64, y: i32, m: u32, d: u32) -> ProfessionVersion {
        ProfessionVersion {
            version,
            active: true,
            effective_from: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
        }
    }

    #[test]
    fn the_register_as_it_stood_on_the_day_governs() {
        let versions = [v(1, 2026, 1, 10), v(2, 2026, 6, 1), v(3, 2026, 9, 1)];
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(version_on(&versions, day(1, 9)), None);
        assert_eq!(version_on(&versions, day(1, 10)).unwrap().version, 1);
        assert_eq!(version_on(&versions, day(8, 31)).unwrap().version, 2);
        assert_eq!(version_on(&versions, day(12, 31)).unwrap().version, 3);
    }
}

/// Whether a certificate valid from `valid_from` to `valid_until`, with `statuses` (status,
/// day it took effect) in the order they took effect, let its center act on `day`: within its
/// validity, and active by the last status that had taken effect by then.
pub fn certificate_active_on(
    valid_from: chrono::NaiveDate,
    valid_until: chrono::NaiveDate,
    statuses: &[(String, chrono::NaiveDate)],
    day: chrono::NaiveDate,
) -> bool {
    (valid_from..=valid_until).contains(&day)
        && statuses
            .iter()
            .rev()
            .find(|(_, since)| *since <= day)
            .is_some_and(|(status, _)| status == "active")
}

#[cfg(test)]
mod center_tests {
    use super::certificate_active_on;
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_center_acts_on_the_days_its_certificate_was_valid_and_active() {
        let statuses = vec![
            ("active".to_string(), day("2026-01-10")),
            ("revoked".to_string(), day("2026-06-01")),
            ("active".to_string(), day("2026-07-01")),
        ];
        let (from, until) = (day("2026-01-10"), day("2029-01-09"));
        assert!(!certificate_active_on(
            from,
            until,
            &statuses,
            day("2026-01-09")
        ));
        assert!(certificate_active_on(
            from,
            until,
            &statuses,
            day("2026-01-10")
        ));
        assert!(certificate_active_on(
            from,
            until,
            &statuses,
            day("2026-05-31")
        ));
        assert!(!certificate_active_on(
            from,
            until,
            &statuses,
            day("2026-06-15")
        ));
        assert!(certificate_active_on(
            from,
            until,
            &statuses,
            day("2026-07-01")
        ));
        assert!(certificate_active_on(
            from,
            until,
            &statuses,
            day("2029-01-09")
        ));
        assert!(!certificate_active_on(
            from,
            until,
            &statuses,
            day("2029-01-10")
        ));
    }
}

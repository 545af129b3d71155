//! The rules of vouchers the authorized body sets for a year (Art. 29.4: "in accordance with the
//! rules ... of issuance, financing and distribution among the regions"): how long a voucher is
//! valid, how much a center is reimbursed in each region, and each region's budget — a count of
//! vouchers and an amount. Kept as data, versioned; a voucher keeps the terms it was issued under.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};

use super::Refused;

pub use nsk_kz::regions::{is_region, REGIONS};

/// One region's part of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionTerms {
    /// What a center is paid for the passage of one procedure, in tiyn.
    pub rate_tiyn: i64,
    /// How many vouchers the region may issue in the year.
    pub budget_count: i64,
    /// How much the region may commit in the year, in tiyn.
    pub budget_tiyn: i64,
}

/// The terms of one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearTerms {
    pub year: i32,
    /// Calendar days a voucher is valid after the day of issue.
    pub validity_days: u32,
    pub regions: BTreeMap<String, RegionTerms>,
}

impl YearTerms {
    /// Checks the terms as set; each problem names the field and the rule.
    pub fn check(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        if !(2023..=2100).contains(&self.year) {
            problems.push(("year".into(), "must be a year from 2023 to 2100".into()));
        }
        if !(1..=730).contains(&self.validity_days) {
            problems.push((
                "validity_days".into(),
                "must be 1 to 730 calendar days".into(),
            ));
        }
        for (region, t) in &self.regions {
            let at = |f: &str| format!("regions[{region}].{f}");
            if !is_region(region) {
                problems.push((
                    format!("regions[{region}]"),
                    format!("is not a region; one of {}", REGIONS.join(", ")),
                ));
            }
            if t.rate_tiyn <= 0 {
                problems.push((at("rate_tiyn"), "must be more than 0".into()));
            }
            if t.budget_count < 0 {
                problems.push((at("budget_count"), "must not be negative".into()));
            }
            if t.budget_tiyn < 0 {
                problems.push((at("budget_tiyn"), "must not be negative".into()));
            }
        }
        problems
    }

    /// The last day of validity of a voucher issued on `issued_on`: a period in days runs from
    /// the day after the day it starts (Civil Code Art. 171), so `validity_days` days later.
    pub fn valid_until(&self, issued_on: NaiveDate) -> Option<NaiveDate> {
        issued_on.checked_add_days(Days::new(u64::from(self.validity_days)))
    }
}

/// What a region has committed of its budget in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Committed {
    pub count: i64,
    pub tiyn: i64,
}

/// Whether `region` may issue one more voucher in `terms`' year, having committed `committed`:
/// the voucher commits one of the count and the region's rate of the amount.
pub fn check_budget(
    terms: &YearTerms,
    region: &str,
    committed: Committed,
) -> Result<RegionTerms, Refused> {
    let Some(t) = terms.regions.get(region) else {
        return Err(Refused::new(format!(
            "no budget is set for region {region} in {}: the authorized body sets it first (Art. 29.4)",
            terms.year
        )));
    };
    if committed.count + 1 > t.budget_count {
        return Err(Refused::new(format!(
            "the budget of region {region} for {} is exhausted: {} of {} vouchers committed (Art. 29.4)",
            terms.year, committed.count, t.budget_count
        )));
    }
    if committed.tiyn + t.rate_tiyn > t.budget_tiyn {
        return Err(Refused::new(format!(
            "the budget of region {region} for {} is exhausted: {} of {} tiyn committed, a voucher needs {} (Art. 29.4)",
            terms.year, committed.tiyn, t.budget_tiyn, t.rate_tiyn
        )));
    }
    Ok(*t)
}

/// The calendar year a voucher issued on `day` counts against (Art. 29.1: "once a year").
pub fn year_of(day: NaiveDate) -> i32 {
    day.year()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn terms() -> YearTerms {
        YearTerms {
            year: 2026,
            validity_days: 90,
            regions: BTreeMap::from([(
                "karaganda".to_string(),
                RegionTerms {
                    rate_tiyn: 4_500_000,
                    budget_count: 2,
                    budget_tiyn: 10_000_000,
                },
            )]),
        }
    }

    #[test]
    fn a_voucher_is_valid_its_days_after_the_day_of_issue() {
        assert_eq!(terms().valid_until(d("2026-11-23")), Some(d("2027-02-21")));
        assert_eq!(terms().valid_until(d("2026-12-31")), Some(d("2027-03-31")));
    }

    #[test]
    fn a_region_issues_within_its_budget_count_and_amount_art_29_4() {
        let t = terms();
        assert!(check_budget(&t, "karaganda", Committed::default()).is_ok());
        let count = check_budget(&t, "karaganda", Committed { count: 2, tiyn: 0 }).unwrap_err();
        assert!(count.0.contains("2 of 2 vouchers"), "{count}");
        let amount = check_budget(
            &t,
            "karaganda",
            Committed {
                count: 1,
                tiyn: 6_000_000,
            },
        )
        .unwrap_err();
        assert!(amount.0.contains("6000000 of 10000000 tiyn"), "{amount}");
        let none = check_budget(&t, "atyrau", Committed::default()).unwrap_err();
        assert!(none
            .0
            .contains("no budget is set for region atyrau in 2026"));
    }

    #[test]
    fn terms_name_each_bad_field() {
        let mut bad = terms();
        bad.validity_days = 0;
        bad.regions.insert(
            "narnia".into(),
            RegionTerms {
                rate_tiyn: 0,
                budget_count: -1,
                budget_tiyn: 1,
            },
        );
        let fields: Vec<String> = bad.check().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "validity_days",
                "regions[narnia]",
                "regions[narnia].rate_tiyn",
                "regions[narnia].budget_count"
            ]
        );
        assert_eq!(REGIONS.len(), 20);
        assert!(terms().check().is_empty());
    }
}

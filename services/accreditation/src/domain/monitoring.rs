//! Monitoring of centers' results (Art. 25.3): the period asked for, month by month.

use chrono::{Datelike, Months, NaiveDate};

/// The longest period one request covers: ten years of months.
pub const MAX_MONTHS: usize = 120;

/// A month as `YYYY-MM`, read as its first day.
pub fn parse_month(raw: &str) -> Option<NaiveDate> {
    let (year, month) = raw.trim().split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)
}

pub fn format_month(first_day: NaiveDate) -> String {
    format!("{:04}-{:02}", first_day.year(), first_day.month())
}

/// The first day of the month of `day`.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Every month from `from` to `to`, both first days, inclusive; `Err` names the rule broken.
pub fn months(from: NaiveDate, to: NaiveDate) -> Result<Vec<NaiveDate>, String> {
    if from > to {
        return Err(format!("must not be after to_month ({})", format_month(to)));
    }
    let mut out = Vec::new();
    let mut month = from;
    while month <= to {
        if out.len() == MAX_MONTHS {
            return Err(format!(
                "the period covers more than {MAX_MONTHS} months; ask for a shorter one"
            ));
        }
        out.push(month);
        month = match month.checked_add_months(Months::new(1)) {
            Some(next) => next,
            None => break,
        };
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, 1).unwrap()
    }

    #[test]
    fn a_period_lists_every_month_across_the_new_year() {
        assert_eq!(
            months(d(2026, 11), d(2027, 2)).unwrap(),
            vec![d(2026, 11), d(2026, 12), d(2027, 1), d(2027, 2)]
        );
        assert_eq!(months(d(2026, 3), d(2026, 3)).unwrap(), vec![d(2026, 3)]);
        assert!(months(d(2026, 4), d(2026, 3))
            .unwrap_err()
            .contains("after"));
        assert!(months(d(2000, 1), d(2026, 3)).unwrap_err().contains("120"));
    }

    #[test]
    fn months_read_as_yyyy_mm() {
        assert_eq!(parse_month("2026-03"), Some(d(2026, 3)));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("2026-3"), None);
        assert_eq!(parse_month("26-03"), None);
        assert_eq!(format_month(d(2027, 1)), "2027-01");
        assert_eq!(
            month_of(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()),
            d(2026, 2)
        );
    }
}

//! The working-day calendar of Kazakhstan, as data per year (DOMAIN.md "Working days").
//!
//! Statutory deadlines count working days: Saturday and Sunday are off, and so are the public
//! holidays. The holidays follow fixed rules (a non-religious holiday falling on a weekend moves
//! to the next working day), but two things change every year and so come from data: the first
//! day of Kurban Ait, and the government's decree moving days off. A [`YearData`] file per year
//! holds them (`data/kz/<year>.json`, embedded; an administrator can load amended ones), and
//! [`WorkingCalendar`] answers questions only for years it has data for — a deadline in a year
//! nobody has loaded is an error, not a guess.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The data an administrator maintains for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearData {
    pub year: i32,
    /// Where the data comes from (decree number, publication).
    #[serde(default)]
    pub source: String,
    /// First day of Kurban Ait: a religious holiday, never moved.
    pub kurban_ait: NaiveDate,
    /// Days off added by decree (usually a bridge day between a holiday and a weekend).
    #[serde(default)]
    pub extra_days_off: Vec<NaiveDate>,
    /// Weekend days made working days by decree (the compensation for a bridge day).
    #[serde(default)]
    pub extra_working_days: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the working-day calendar has no data for {0}: the authorized body loads the year with PUT /v1/calendar/years/{0} (its Kurban Ait and the decree's transfers)")]
    YearNotLoaded(i32),
    #[error("calendar data for {year} is invalid: {problem}")]
    InvalidData { year: i32, problem: String },
}

/// Non-religious public holidays (month, day) that move to the next working day when they fall
/// on a weekend.
const FIXED_HOLIDAYS: [(u32, u32); 13] = [
    (1, 1),
    (1, 2),
    (3, 8),
    (3, 21),
    (3, 22),
    (3, 23),
    (5, 1),
    (5, 7),
    (5, 9),
    (7, 6),
    (8, 30),
    (10, 25),
    (12, 16),
];

/// Religious holidays that do not move: Orthodox Christmas (7 January); Kurban Ait comes from data.
const FIXED_RELIGIOUS_HOLIDAYS: [(u32, u32); 1] = [(1, 7)];

/// The years that ship with the platform: the Law took effect in 2023, so documents from 2023
/// on can be migrated in. Later years, and amendments, are loaded at run time.
const SHIPPED: [&str; 5] = [
    include_str!("../data/kz/2023.json"),
    include_str!("../data/kz/2024.json"),
    include_str!("../data/kz/2025.json"),
    include_str!("../data/kz/2026.json"),
    include_str!("../data/kz/2027.json"),
];

/// The data of the years that ship with the platform.
pub fn shipped_years() -> Result<Vec<YearData>, CalendarError> {
    SHIPPED
        .iter()
        .map(|raw| {
            serde_json::from_str(raw).map_err(|e| CalendarError::InvalidData {
                year: 0,
                problem: e.to_string(),
            })
        })
        .collect()
}

/// Days off of one year, computed from the rules and amended by its data.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Year {
    days_off: BTreeSet<NaiveDate>,
    working_weekend_days: BTreeSet<NaiveDate>,
}

impl Year {
    fn from_data(data: &YearData) -> Result<Self, CalendarError> {
        let invalid = |problem: String| CalendarError::InvalidData {
            year: data.year,
            problem,
        };
        let date = |m, d| {
            NaiveDate::from_ymd_opt(data.year, m, d)
                .ok_or_else(|| invalid(format!("no such date {m}-{d}")))
        };
        for d in std::iter::once(&data.kurban_ait)
            .chain(&data.extra_days_off)
            .chain(&data.extra_working_days)
        {
            if d.year() != data.year {
                return Err(invalid(format!("{d} is not in {}", data.year)));
            }
        }
        let mut days_off = BTreeSet::new();
        for (m, d) in FIXED_RELIGIOUS_HOLIDAYS {
            days_off.insert(date(m, d)?);
        }
        days_off.insert(data.kurban_ait);
        // Holidays that fall on a weekend give a day off on the next weekday not already off;
        // Nauryz 21-23 March on Sat-Sun-Mon thus gives the 24th and 25th.
        let mut moved = Vec::new();
        for (m, d) in FIXED_HOLIDAYS {
            let holiday = date(m, d)?;
            days_off.insert(holiday);
            if is_weekend(holiday) {
                moved.push(holiday);
            }
        }
        for holiday in moved {
            let mut candidate = holiday;
            loop {
                candidate = candidate
                    .checked_add_days(Days::new(1))
                    .ok_or_else(|| invalid("date overflow".into()))?;
                if !is_weekend(candidate) && !days_off.contains(&candidate) {
                    break;
                }
            }
            days_off.insert(candidate);
        }
        days_off.extend(data.extra_days_off.iter().copied());
        let working_weekend_days: BTreeSet<NaiveDate> =
            data.extra_working_days.iter().copied().collect();
        if let Some(both) = working_weekend_days
            .iter()
            .find(|d| data.extra_days_off.contains(d))
        {
            return Err(invalid(format!(
                "{both} is both an extra day off and an extra working day"
            )));
        }
        Ok(Self {
            days_off,
            working_weekend_days,
        })
    }

    fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.working_weekend_days.contains(&date) {
            return true;
        }
        !is_weekend(date) && !self.days_off.contains(&date)
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The working-day calendar: which days are working days, for every year loaded.
#[derive(Debug, Clone, Default)]
pub struct WorkingCalendar {
    years: BTreeMap<i32, Year>,
}

impl WorkingCalendar {
    /// The calendar of Kazakhstan with the years shipped in `data/kz/`.
    pub fn kazakhstan() -> Result<Self, CalendarError> {
        let mut calendar = Self::default();
        for raw in SHIPPED {
            let data: YearData =
                serde_json::from_str(raw).map_err(|e| CalendarError::InvalidData {
                    year: 0,
                    problem: e.to_string(),
                })?;
            calendar.load_year(&data)?;
        }
        Ok(calendar)
    }

    /// Loads (or replaces, when amended) one year.
    pub fn load_year(&mut self, data: &YearData) -> Result<(), CalendarError> {
        self.years.insert(data.year, Year::from_data(data)?);
        Ok(())
    }

    /// Years with data, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// The days off of `year` that are not Saturdays or Sundays, and the weekend days made
    /// working, ascending: what a person checks against the published calendar.
    pub fn exceptions(&self, year: i32) -> Result<(Vec<NaiveDate>, Vec<NaiveDate>), CalendarError> {
        let y = self
            .years
            .get(&year)
            .ok_or(CalendarError::YearNotLoaded(year))?;
        let off = y
            .days_off
            .iter()
            .copied()
            .filter(|d| !is_weekend(*d) && !y.working_weekend_days.contains(d))
            .collect();
        Ok((off, y.working_weekend_days.iter().copied().collect()))
    }

    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.years
            .get(&date.year())
            .map(|y| y.is_working_day(date))
            .ok_or(CalendarError::YearNotLoaded(date.year()))
    }

    /// The `n`-th working day after `date` (the day itself does not count): the last day of a
    /// deadline of "within n working days" of an event on `date`. `n = 0` returns `date`.
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        let mut remaining = n;
        while remaining > 0 {
            day = next_day(day)?;
            if self.is_working_day(day)? {
                remaining -= 1;
            }
        }
        Ok(day)
    }

    /// The first working day on or after `date`.
    pub fn next_working_day_from(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        while !self.is_working_day(day)? {
            day = next_day(day)?;
        }
        Ok(day)
    }

    /// Working days in `(from, to]`: how many working days passed from `from` to `to`.
    /// Negative when `to` is before `from`.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<i64, CalendarError> {
        let (start, end, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut count = 0i64;
        let mut day = start;
        while day < end {
            day = next_day(day)?;
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(sign * count)
    }
}

/// The last day of a period of `months` months (a year is twelve) that starts on `start`: the
/// corresponding day of the last month, or that month's last day where it has no such day —
/// the general rule of the Civil Code (Art. 170). A certificate issued 20.11.2026 for three years
/// runs through 20.11.2029; one month from 31.01.2026 ends 28.02.2026. `None` past year 262143.
pub fn period_end(start: NaiveDate, months: u32) -> Option<NaiveDate> {
    start.checked_add_months(chrono::Months::new(months))
}

/// The day `months` months before `end`, counted back by the same rule as [`period_end`]:
/// "no later than six months before" 31.08.2029 is 28.02.2029.
pub fn period_start_before(end: NaiveDate, months: u32) -> Option<NaiveDate> {
    end.checked_sub_months(chrono::Months::new(months))
}

/// The calendar every part of a service reads, amended while it runs: a reader takes the
/// current one (a cheap `Arc` clone) and computes on it without holding a lock.
#[derive(Debug, Clone)]
pub struct SharedCalendar {
    inner: std::sync::Arc<std::sync::RwLock<std::sync::Arc<WorkingCalendar>>>,
}

impl SharedCalendar {
    pub fn new(calendar: WorkingCalendar) -> Self {
        Self {
            inner: std::sync::Arc::new(std::sync::RwLock::new(std::sync::Arc::new(calendar))),
        }
    }

    /// The calendar as it is now.
    pub fn current(&self) -> std::sync::Arc<WorkingCalendar> {
        match self.inner.read() {
            Ok(guard) => guard.clone(),
            // A writer panicked mid-swap; the Arc it left is whole either way.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads (or replaces) one year; readers see it from their next `current()`.
    pub fn load_year(&self, data: &YearData) -> Result<(), CalendarError> {
        let mut next = (*self.current()).clone();
        next.load_year(data)?;
        let next = std::sync::Arc::new(next);
        match self.inner.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        Ok(())
    }
}

/// Days added to the process's calendar date (`NSK_CLOCK_OFFSET_DAYS`): 0 but in rehearsals
/// and tests that must see a later day.
static CLOCK_OFFSET_DAYS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Sets the offset of [`today`] for this process.
pub fn set_clock_offset_days(days: i64) {
    CLOCK_OFFSET_DAYS.store(days, std::sync::atomic::Ordering::Relaxed);
}

/// Today in Kazakhstan for this process: the date changes are stamped with.
pub fn today() -> NaiveDate {
    let offset = CLOCK_OFFSET_DAYS.load(std::sync::atomic::Ordering::Relaxed);
    kazakhstan_date(chrono::Utc::now() + chrono::Duration::days(offset))
}

/// The calendar date in Kazakhstan (Asia/Almaty, UTC+5 all year since 1 March 2024, no daylight
/// saving) at the instant `now`: the date a change takes effect in the registers.
pub fn kazakhstan_date(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (now + chrono::Duration::hours(5)).date_naive()
}

fn next_day(date: NaiveDate) -> Result<NaiveDate, CalendarError> {
    date.checked_add_days(Days::new(1))
        .ok_or(CalendarError::InvalidData {
            year: date.year(),
            problem: "date overflow".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn kz() -> WorkingCalendar {
        WorkingCalendar::kazakhstan().unwrap()
    }

    #[test]
    fn the_2026_days_off_match_the_published_calendar() {
        let cal = kz();
        // Published for 2026: 1-2 Jan, 7 Jan, 9 Mar (for 8 Mar, a Sunday), 21-25 Mar (Nauryz on
        // Sat-Mon, plus the 24th and 25th), 1, 7, 11 May (9 May a Saturday), 27 May (Kurban Ait),
        // 6 Jul, 31 Aug (30 Aug a Sunday), 26 Oct (25 Oct a Sunday), 16 Dec.
        for off in [
            d(2026, 1, 1),
            d(2026, 1, 2),
            d(2026, 1, 7),
            d(2026, 3, 9),
            d(2026, 3, 23),
            d(2026, 3, 24),
            d(2026, 3, 25),
            d(2026, 5, 1),
            d(2026, 5, 7),
            d(2026, 5, 11),
            d(2026, 5, 27),
            d(2026, 7, 6),
            d(2026, 8, 31),
            d(2026, 10, 26),
            d(2026, 12, 16),
        ] {
            assert!(
                !cal.is_working_day(off).unwrap(),
                "{off} should be a day off"
            );
        }
        for working in [
            d(2026, 1, 5),
            d(2026, 3, 10),
            d(2026, 3, 26),
            d(2026, 5, 8),
            d(2026, 12, 17),
        ] {
            assert!(
                cal.is_working_day(working).unwrap(),
                "{working} should be a working day"
            );
        }
    }

    #[test]
    fn ten_working_days_across_nauryz() {
        // A decision on Friday 20 March 2026; 23-25 March are off, so the ten working days are
        // 26, 27, 30, 31 March and 1, 2, 3, 6, 7, 8 April.
        assert_eq!(
            kz().add_working_days(d(2026, 3, 20), 10).unwrap(),
            d(2026, 4, 8)
        );
    }

    #[test]
    fn three_working_days_from_a_friday_skip_the_weekend() {
        // Friday 13 November 2026 -> Mon 16, Tue 17, Wed 18.
        assert_eq!(
            kz().add_working_days(d(2026, 11, 13), 3).unwrap(),
            d(2026, 11, 18)
        );
    }

    #[test]
    fn five_working_days_across_new_year() {
        // Wednesday 30 December 2026: 31 Dec, then 1-2 Jan 2027 (Fri-Sat; 2 Jan on a Saturday
        // moves to Mon 4 Jan), 7 Jan (Thu) off: 31 Dec, 5, 6, 8, 11 Jan.
        assert_eq!(
            kz().add_working_days(d(2026, 12, 30), 5).unwrap(),
            d(2027, 1, 11)
        );
    }

    #[test]
    fn zero_days_is_the_same_day_and_between_counts_back() {
        let cal = kz();
        assert_eq!(
            cal.add_working_days(d(2026, 6, 1), 0).unwrap(),
            d(2026, 6, 1)
        );
        assert_eq!(
            cal.working_days_between(d(2026, 3, 20), d(2026, 4, 8))
                .unwrap(),
            10
        );
        assert_eq!(
            cal.working_days_between(d(2026, 4, 8), d(2026, 3, 20))
                .unwrap(),
            -10
        );
        assert_eq!(
            cal.next_working_day_from(d(2026, 3, 21)).unwrap(),
            d(2026, 3, 26)
        );
    }

    #[test]
    fn a_period_ends_on_the_corresponding_day_or_the_months_last_day() {
        assert_eq!(period_end(d(2026, 11, 20), 36), Some(d(2029, 11, 20)));
        assert_eq!(period_end(d(2026, 1, 31), 1), Some(d(2026, 2, 28)));
        assert_eq!(period_end(d(2028, 2, 29), 12), Some(d(2029, 2, 28)));
        assert_eq!(period_end(d(2028, 1, 31), 1), Some(d(2028, 2, 29)));
        assert_eq!(period_end(d(2026, 3, 31), 6), Some(d(2026, 9, 30)));
        assert_eq!(period_start_before(d(2029, 8, 31), 6), Some(d(2029, 2, 28)));
        assert_eq!(
            period_start_before(d(2029, 11, 20), 6),
            Some(d(2029, 5, 20))
        );
    }

    #[test]
    fn kazakhstan_date_turns_at_19_00_utc() {
        use chrono::TimeZone;
        let before = chrono::Utc
            .with_ymd_and_hms(2026, 11, 20, 18, 59, 59)
            .unwrap();
        let after = chrono::Utc
            .with_ymd_and_hms(2026, 11, 20, 19, 0, 0)
            .unwrap();
        assert_eq!(kazakhstan_date(before), d(2026, 11, 20));
        assert_eq!(kazakhstan_date(after), d(2026, 11, 21));
    }

    #[test]
    fn a_year_without_data_is_an_error_naming_the_year_and_how_to_load_it() {
        let err = kz().add_working_days(d(2027, 12, 28), 10).unwrap_err();
        assert_eq!(err, CalendarError::YearNotLoaded(2028));
        assert!(
            err.to_string().contains("PUT /v1/calendar/years/2028"),
            "{err}"
        );
    }

    #[test]
    fn the_years_since_the_law_took_effect_ship_with_the_platform() {
        let cal = kz();
        assert_eq!(
            cal.years().collect::<Vec<_>>(),
            [2023, 2024, 2025, 2026, 2027]
        );
        // Kurban Ait 2024 fell on Sunday 16 June: a religious holiday does not move.
        assert!(!cal.is_working_day(d(2024, 6, 16)).unwrap());
        assert!(cal.is_working_day(d(2024, 6, 17)).unwrap());
        // 2025: Kurban Ait Friday 6 June; 8 March on a Saturday moves to Monday 10 March.
        assert!(!cal.is_working_day(d(2025, 6, 6)).unwrap());
        assert!(!cal.is_working_day(d(2025, 3, 10)).unwrap());
        // 2023: Nauryz 21-23 March on Tuesday-Thursday.
        assert!(!cal.is_working_day(d(2023, 3, 22)).unwrap());
        assert!(cal.is_working_day(d(2023, 3, 24)).unwrap());
        // The published transfers: Sat 1 July -> Fri 7 July 2023; Sat 4 May -> Wed 8 May 2024;
        // Sun 5 January -> Fri 3 January 2025.
        for (off, working) in [
            (d(2023, 7, 7), d(2023, 7, 1)),
            (d(2024, 5, 8), d(2024, 5, 4)),
            (d(2025, 1, 3), d(2025, 1, 5)),
        ] {
            assert!(!cal.is_working_day(off).unwrap(), "{off} is off");
            assert!(cal.is_working_day(working).unwrap(), "{working} is worked");
        }
        assert!(
            cal.is_working_day(d(2025, 5, 8)).unwrap(),
            "not moved in 2025"
        );
    }

    #[test]
    fn a_shared_calendar_takes_a_new_year_while_readers_keep_theirs() {
        let shared = SharedCalendar::new(kz());
        let before = shared.current();
        let year_2028 = YearData {
            year: 2028,
            source: "test".into(),
            kurban_ait: d(2028, 5, 5),
            extra_days_off: vec![],
            extra_working_days: vec![],
        };
        shared.load_year(&year_2028).unwrap();
        assert!(before.is_working_day(d(2028, 1, 3)).is_err());
        // Monday 27 December 2027 + 10 working days: Tue 28 - Fri 31 Dec (4); 1-2 January 2028
        // fall on Saturday-Sunday and move to Monday 3 and Tuesday 4; 7 January (Friday) is
        // off: Wed 5, Thu 6, Mon 10, Tue 11, Wed 12, Thu 13.
        assert_eq!(
            shared
                .current()
                .add_working_days(d(2027, 12, 27), 10)
                .unwrap(),
            d(2028, 1, 13)
        );
        let (off, _) = shared.current().exceptions(2028).unwrap();
        assert!(off.contains(&d(2028, 5, 5)));
    }

    #[test]
    fn a_decree_amends_the_year() {
        let mut cal = kz();
        // Suppose a decree makes Friday 8 May 2026 a day off and Saturday 16 May a working day.
        cal.load_year(&YearData {
            year: 2026,
            source: "test decree".into(),
            kurban_ait: d(2026, 5, 27),
            extra_days_off: vec![d(2026, 5, 8)],
            extra_working_days: vec![d(2026, 5, 16)],
        })
        .unwrap();
        assert!(!cal.is_working_day(d(2026, 5, 8)).unwrap());
        assert!(cal.is_working_day(d(2026, 5, 16)).unwrap());
    }

    #[test]
    fn data_for_the_wrong_year_is_refused() {
        let err = WorkingCalendar::default()
            .load_year(&YearData {
                year: 2026,
                source: String::new(),
                kurban_ait: d(2025, 6, 6),
                extra_days_off: vec![],
                extra_working_days: vec![],
            })
            .unwrap_err();
        assert!(matches!(err, CalendarError::InvalidData { year: 2026, .. }));
    }
}

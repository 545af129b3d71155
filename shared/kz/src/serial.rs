//! The serial number of a document on recognition of a qualification (Rules, Appendix 2):
//! `OKED(5)-NKZ(8)-level(1)-DDMMYY(6)-center(4)-sequence(8)`, e.g.
//! `25110-72120001-4-201126-0042-00000017`.
//!
//! Level 4 is "дата проведения процедуры признания" — the day of the recognition procedure,
//! not the day the document is registered. Level 2 is the NKZ code, "цифра «0»" where the
//! profession has none: the platform prints eight zeros so that every level keeps its count of
//! elements, and reads a lone `0` typed by a person as the same thing.

use std::fmt;
use std::str::FromStr;

use crate::CenterNumber;
use chrono::{Datelike, NaiveDate};

/// A parsed serial number; [`fmt::Display`] prints it back exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SerialNumber {
    /// The OKED subclass of the profession: 5 digits.
    pub oked: String,
    /// The NKZ code of the profession: 8 digits; `00000000` for a profession without one.
    pub nkz: String,
    /// The NQF level recognised, 1-8.
    pub level: u8,
    /// The date of the recognition procedure (printed DDMMYY, years 2000-2099).
    pub date: NaiveDate,
    /// The center number from accreditation, 0001-9999.
    pub center: CenterNumber,
    /// The center's running number of documents, from 1, without gaps.
    pub sequence: u32,
}

/// Why a text is not a serial number, naming the part and its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MalformedSerial(pub String);

fn digits(part: &str, n: usize) -> bool {
    part.len() == n && part.bytes().all(|b| b.is_ascii_digit())
}

impl SerialNumber {
    /// The NKZ code as the serial prints it: the register's "0" becomes eight zeros.
    pub fn nkz_part(nkz_code: &str) -> String {
        if nkz_code == "0" {
            "00000000".to_string()
        } else {
            nkz_code.to_string()
        }
    }
}

impl FromStr for SerialNumber {
    type Err = MalformedSerial;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let bad = |m: &str| Err(MalformedSerial(m.to_string()));
        let parts: Vec<&str> = raw.trim().split('-').collect();
        if parts.len() != 6 {
            return bad("a serial number has six parts separated by '-': OKED(5)-NKZ(8)-level(1)-DDMMYY(6)-center(4)-sequence(8)");
        }
        let [oked, nkz, level, date, center, sequence] =
            [parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]];
        if !digits(oked, 5) {
            return bad("part 1, the OKED subclass, must be 5 digits");
        }
        // Appendix 2: "0" where the profession has no NKZ code; stored and printed as 8 zeros.
        let nkz = if nkz == "0" { "00000000" } else { nkz };
        if !digits(nkz, 8) {
            return bad(
                "part 2, the NKZ code, must be 8 digits (or 0 where the profession has none)",
            );
        }
        let level = match level.as_bytes() {
            [b @ b'1'..=b'8'] => b - b'0',
            _ => return bad("part 3, the NQF level, must be one digit 1-8"),
        };
        if !digits(date, 6) {
            return bad("part 4, the date of the recognition procedure, must be 6 digits DDMMYY");
        }
        let number = |s: &str| s.parse::<u32>().unwrap_or(0);
        let Some(date) = NaiveDate::from_ymd_opt(
            2000 + number(&date[4..6]) as i32,
            number(&date[2..4]),
            number(&date[0..2]),
        ) else {
            return bad("part 4, the date of the recognition procedure DDMMYY, is not a date");
        };
        let Ok(center) = CenterNumber::parse(center) else {
            return bad("part 5, the center number, must be 4 digits from 0001 to 9999");
        };
        if !digits(sequence, 8) || sequence == "00000000" {
            return bad("part 6, the center's sequence, must be 8 digits from 00000001");
        }
        Ok(Self {
            oked: oked.to_string(),
            nkz: nkz.to_string(),
            level,
            date,
            center,
            sequence: number(sequence),
        })
    }
}

impl SerialNumber {
    /// The serial up to the center's running number, with its dash (`25110-72120001-4-201126-0042-`):
    /// what the registry completes with the number it takes when it registers the document.
    pub fn prefix(&self) -> String {
        format!(
            "{}-{}-{}-{:02}{:02}{:02}-{}-",
            self.oked,
            self.nkz,
            self.level,
            self.date.day(),
            self.date.month(),
            self.date.year() % 100,
            self.center,
        )
    }
}

impl fmt::Display for SerialNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:08}", self.prefix(), self.sequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_prefix_is_the_serial_without_its_running_number() {
        let serial: SerialNumber = "25110-72120001-4-201126-0042-00000017".parse().unwrap();
        assert_eq!(serial.prefix(), "25110-72120001-4-201126-0042-");
        assert_eq!(format!("{}{:08}", serial.prefix(), 17), serial.to_string());
    }

    #[test]
    fn the_example_of_appendix_2_reads_and_prints_back() {
        let raw = "25110-72120001-4-201126-0042-00000017";
        let serial: SerialNumber = raw.parse().unwrap();
        assert_eq!(serial.oked, "25110");
        assert_eq!(serial.nkz, "72120001");
        assert_eq!(serial.level, 4);
        assert_eq!(serial.date, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(serial.center.get(), 42);
        assert_eq!(serial.sequence, 17);
        assert_eq!(serial.to_string(), raw);
    }

    #[test]
    fn each_malformed_part_is_named_with_its_rule() {
        let cases = [
            ("25110-72120001-4-201126-0042", "six parts"),
            ("2511-72120001-4-201126-0042-00000017", "part 1"),
            ("25110-7212000-4-201126-0042-00000017", "part 2"),
            (
                "25110-72120001-9-201126-0042-00000017",
                "part 3, the NQF level, must be one digit 1-8",
            ),
            ("25110-72120001-44-201126-0042-00000017", "part 3"),
            ("25110-72120001-4-20112-0042-00000017", "part 4"),
            ("25110-72120001-4-311126-0042-00000017", "is not a date"),
            ("25110-72120001-4-201126-0000-00000017", "part 5"),
            ("25110-72120001-4-201126-0042-00000000", "part 6"),
        ];
        for (raw, expected) in cases {
            let err = raw.parse::<SerialNumber>().unwrap_err();
            assert!(err.0.contains(expected), "{raw}: {err}");
        }
    }

    #[test]
    fn a_lone_zero_typed_for_a_profession_without_an_nkz_code_reads_as_eight_zeros_appendix_2() {
        let typed: SerialNumber = "62011-0-5-020326-0042-00000137".parse().unwrap();
        let printed: SerialNumber = "62011-00000000-5-020326-0042-00000137".parse().unwrap();
        assert_eq!(typed, printed);
        assert_eq!(typed.to_string(), "62011-00000000-5-020326-0042-00000137");
        assert!("62011-00-5-020326-0042-00000137"
            .parse::<SerialNumber>()
            .unwrap_err()
            .0
            .contains("part 2"));
    }

    #[test]
    fn a_profession_without_an_nkz_code_prints_eight_zeros() {
        assert_eq!(SerialNumber::nkz_part("0"), "00000000");
        assert_eq!(SerialNumber::nkz_part("72120001"), "72120001");
    }

    proptest! {
        #[test]
        fn every_serial_prints_and_parses_back_to_itself(
            oked in "[0-9]{5}",
            nkz in "[0-9]{8}",
            level in 1u8..=8,
            days in 0i64..36_524,
            center in 1u16..=9999,
            sequence in 1u32..=99_999_999,
        ) {
            let date = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Duration::days(days);
            let center = CenterNumber::new(center).unwrap();
            let serial = SerialNumber { oked, nkz, level, date, center, sequence };
            let printed = serial.to_string();
            prop_assert_eq!(printed.len(), 5 + 8 + 1 + 6 + 4 + 8 + 5);
            prop_assert_eq!(printed.parse::<SerialNumber>().unwrap(), serial);
        }

        #[test]
        fn no_text_makes_the_parser_panic(raw in "\\PC{0,60}") {
            let _ = raw.parse::<SerialNumber>();
        }
    }
}

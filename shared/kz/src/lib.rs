//! Kazakhstan's twelve-digit identification numbers: the BIN of a legal entity and the IIN of
//! a person. Both end in a check digit computed the same way; each parser says which rule a
//! malformed number breaks. And the country's regions, by the codes the platform uses, and the
//! serial number of a document on recognition of a qualification.

pub mod regions;
pub mod serial;

use std::fmt;

use serde::{Deserialize, Serialize};

/// The check digit of the first eleven digits: their weighted sum modulo 11 with weights
/// 1..11, or, when that gives 10, with weights 3..11, 1, 2; `None` when the second also gives
/// 10 (no number is issued with such digits).
fn check_digit(digits: &[u8; 12]) -> Option<u8> {
    let weighted = |weights: [u32; 11]| -> u32 {
        digits[..11]
            .iter()
            .zip(weights)
            .map(|(d, w)| u32::from(*d) * w)
            .sum::<u32>()
            % 11
    };
    let first = weighted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    let check = if first == 10 {
        weighted([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])
    } else {
        first
    };
    u8::try_from(check).ok().filter(|c| *c < 10)
}

fn twelve_digits(raw: &str) -> Option<[u8; 12]> {
    let raw = raw.trim();
    if raw.len() != 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut digits = [0u8; 12];
    for (d, b) in digits.iter_mut().zip(raw.bytes()) {
        *d = b - b'0';
    }
    Some(digits)
}

/// Business identification number of a legal entity: YYMM of registration, the kind of entity
/// (4 resident, 5 non-resident legal entity; 6, a joint individual entrepreneurship, has a BIN
/// but is not a legal entity), a further attribute, a sequence and the check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bin(String);

impl Bin {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let digits = twelve_digits(raw).ok_or("a BIN is 12 digits")?;
        let month = digits[2] * 10 + digits[3];
        if !(1..=12).contains(&month) {
            return Err("digits 3-4 of a BIN are the month of registration, 01-12");
        }
        // Art. 1.18, 24.1.1: an applicant is a legal entity. A joint individual
        // entrepreneurship (6) has a BIN but is not one.
        if digits[4] == 6 {
            return Err("digit 5 of this BIN is 6, a joint individual entrepreneurship, which is not a legal entity (Art. 1.18, 24.1.1): only a legal entity (4 resident, 5 non-resident) may apply");
        }
        if !matches!(digits[4], 4 | 5) {
            return Err(
                "digit 5 of a BIN is 4 or 5 (a legal entity); this is not a BIN of a legal entity",
            );
        }
        if check_digit(&digits) != Some(digits[11]) {
            return Err(
                "the check digit (the last) of the BIN does not match: a digit is mistyped",
            );
        }
        Ok(Self(raw.trim().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Individual identification number of a person: date of birth YYMMDD, century and sex
/// (1-6), a sequence and the check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Iin(String);

impl Iin {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let digits = twelve_digits(raw).ok_or("an IIN is 12 digits")?;
        let century = match digits[6] {
            1 | 2 => 1800,
            3 | 4 => 1900,
            5 | 6 => 2000,
            _ => return Err("digit 7 of an IIN is the century and sex of the person, 1-6"),
        };
        let two = |i: usize| i32::from(digits[i]) * 10 + i32::from(digits[i + 1]);
        let birth = chrono::NaiveDate::from_ymd_opt(
            century + two(0),
            u32::try_from(two(2)).unwrap_or(0),
            u32::try_from(two(4)).unwrap_or(0),
        );
        if birth.is_none() {
            return Err("digits 1-6 of an IIN are the date of birth YYMMDD, and this is no date");
        }
        if check_digit(&digits) != Some(digits[11]) {
            return Err(
                "the check digit (the last) of the IIN does not match: a digit is mistyped",
            );
        }
        Ok(Self(raw.trim().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The number of a recognition center "received at its accreditation" (Rules, Appendix 2,
/// level 5 of the serial number): 0001 to 9999, printed with four digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CenterNumber(u16);

impl CenterNumber {
    pub const RULE: &'static str = "must be a center number of 4 digits, 0001-9999";

    /// From its four digits as written.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.len() != 4 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Self::RULE);
        }
        raw.parse::<u16>()
            .ok()
            .and_then(Self::new)
            .ok_or(Self::RULE)
    }

    /// From the number as stored; `None` outside 1-9999.
    pub fn new(n: u16) -> Option<Self> {
        (1..=9999).contains(&n).then_some(Self(n))
    }

    pub fn from_i32(n: i32) -> Option<Self> {
        u16::try_from(n).ok().and_then(Self::new)
    }

    pub fn get(self) -> i32 {
        i32::from(self.0)
    }
}

impl std::str::FromStr for CenterNumber {
    type Err = &'static str;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl fmt::Display for CenterNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

/// Stored as an `integer`; a stored number outside 1-9999 is a decoding error, not a center.
#[cfg(feature = "sqlx")]
mod center_number_in_postgres {
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
    use sqlx::{Decode, Encode, Postgres, Type};

    use super::CenterNumber;

    impl Type<Postgres> for CenterNumber {
        fn type_info() -> PgTypeInfo {
            <i32 as Type<Postgres>>::type_info()
        }
    }

    impl Encode<'_, Postgres> for CenterNumber {
        fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
            <i32 as Encode<Postgres>>::encode_by_ref(&self.get(), buf)
        }
    }

    impl<'r> Decode<'r, Postgres> for CenterNumber {
        fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
            let n = <i32 as Decode<Postgres>>::decode(value)?;
            CenterNumber::from_i32(n)
                .ok_or_else(|| format!("stored center number {n} is outside 0001-9999").into())
        }
    }
}

macro_rules! string_conversions {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = &'static str;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }
        impl From<$t> for String {
            fn from(value: $t) -> String {
                value.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_conversions!(Bin);
string_conversions!(Iin);

#[cfg(test)]
mod tests {
    use super::*;

    // BINs of two banks, as published on their own sites.
    const KASPI_BANK: &str = "971240001315";
    const HALYK_BANK: &str = "940140000385";

    #[test]
    fn published_bins_of_real_legal_entities_are_valid() {
        assert_eq!(Bin::parse(KASPI_BANK).unwrap().as_str(), KASPI_BANK);
        assert!(Bin::parse(HALYK_BANK).is_ok());
        assert!(
            Bin::parse(" 971240001315 ").is_ok(),
            "surrounding spaces are trimmed"
        );
    }

    #[test]
    fn a_mistyped_digit_breaks_the_check_digit() {
        // Digit 11 weighs 11, which is 0 modulo 11: the algorithm cannot see a typo there.
        for position in 0..10 {
            let mut digits: Vec<u8> = KASPI_BANK.bytes().collect();
            digits[position] = if digits[position] == b'9' {
                b'8'
            } else {
                digits[position] + 1
            };
            let typo = String::from_utf8(digits).unwrap();
            assert!(Bin::parse(&typo).is_err(), "{typo}");
        }
        assert!(Bin::parse("971240001316")
            .unwrap_err()
            .contains("check digit"));
    }

    #[test]
    fn a_bin_names_the_rule_it_breaks() {
        assert_eq!(Bin::parse("97124000131").unwrap_err(), "a BIN is 12 digits");
        assert!(Bin::parse("97124000131x").is_err());
        assert!(Bin::parse("971340001315").unwrap_err().contains("month"));
        // A person's IIN in the place of a BIN: digit 5 is a day, not the kind of entity.
        assert!(Bin::parse("900101300038").unwrap_err().contains("digit 5"));
    }

    #[test]
    fn a_joint_individual_entrepreneurship_is_not_a_legal_entity_art_1_18() {
        // Digit 5 is 6, and the check digit is right: the number is well formed, the entity
        // is the wrong kind.
        let err = Bin::parse("080560001237").unwrap_err();
        assert!(err.contains("joint individual entrepreneurship"), "{err}");
        assert!(err.contains("Art. 1.18"), "{err}");
        assert!(Bin::parse("150960004569").is_err());
        // The same digits with 4 (a resident legal entity) differ only in the kind.
        assert!(Bin::parse(KASPI_BANK).is_ok());
    }

    #[test]
    fn a_center_number_is_four_digits_from_0001_to_9999_appendix_2() {
        assert_eq!(CenterNumber::parse("0042").unwrap().get(), 42);
        assert_eq!(CenterNumber::parse(" 9999 ").unwrap().to_string(), "9999");
        for bad in ["42", "0000", "00042", "-042", "4a42", ""] {
            assert_eq!(CenterNumber::parse(bad), Err(CenterNumber::RULE), "{bad}");
        }
        assert_eq!(CenterNumber::from_i32(7).unwrap().to_string(), "0007");
        assert_eq!(CenterNumber::from_i32(10_000), None);
    }

    #[test]
    fn the_second_weights_decide_when_the_first_sum_gives_ten() {
        // 00000000001x: the first weighted sum is 11*1 = 11 % 11 = 0 -> check 0.
        let digits = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0];
        assert_eq!(check_digit(&digits), Some(0));
        // 0000000001 0 x: 10*1 = 10 -> second weights: 1*1 = 1.
        let digits = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0];
        assert_eq!(check_digit(&digits), Some(1));
    }

    #[test]
    fn an_iin_is_a_date_of_birth_a_century_and_a_check_digit() {
        let iin = with_check_digit("90010130003");
        assert!(Iin::parse(&iin).is_ok(), "{iin}");
        assert!(Iin::parse(&with_check_digit("90023130003"))
            .unwrap_err()
            .contains("date of birth"));
        assert!(Iin::parse(&with_check_digit("90010170003"))
            .unwrap_err()
            .contains("century"));
        let mut wrong = iin.clone().into_bytes();
        wrong[11] = if wrong[11] == b'9' {
            b'0'
        } else {
            wrong[11] + 1
        };
        assert!(Iin::parse(&String::from_utf8(wrong).unwrap())
            .unwrap_err()
            .contains("check digit"));
    }

    /// The eleven digits followed by their check digit (the test picks digits where it exists).
    fn with_check_digit(eleven: &str) -> String {
        let mut digits = [0u8; 12];
        for (d, b) in digits.iter_mut().zip(eleven.bytes()) {
            *d = b - b'0';
        }
        format!("{eleven}{}", check_digit(&digits).unwrap())
    }

    // Fuzzing by property: whatever text arrives, the parsers answer, and what they accept
    // prints back to the same value.
    proptest::proptest! {
        #[test]
        fn no_text_makes_a_parser_panic_and_what_parses_prints_back(raw in "\\PC{0,40}") {
            if let Ok(iin) = Iin::parse(&raw) {
                proptest::prop_assert_eq!(Iin::parse(iin.as_str()).ok(), Some(iin.clone()));
            }
            if let Ok(bin) = Bin::parse(&raw) {
                proptest::prop_assert_eq!(Bin::parse(bin.as_str()).ok(), Some(bin.clone()));
            }
            if let Ok(center) = CenterNumber::parse(&raw) {
                proptest::prop_assert_eq!(CenterNumber::parse(&center.to_string()), Ok(center));
            }
        }

        #[test]
        fn twelve_digits_are_judged_without_panic(raw in "[0-9]{12}") {
            let _ = Iin::parse(&raw);
            let _ = Bin::parse(&raw);
        }
    }
}

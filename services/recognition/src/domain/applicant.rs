//! The application's form (Rules p. 4, Appendix 1): who applies, how to reach them, what they
//! attach, and their consent to the processing and the posting of their personal data.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The consent an application must carry, as Appendix 1 words it, and its version: an
/// application names the version its candidate agreed to.
pub const CONSENT_VERSION: &str = "2025-01-27";
pub const CONSENT_RU: &str = "Согласен(а) на обработку персональных данных при прохождении процедуры признания профессиональной квалификации и даю согласие на размещение на цифровой платформе НСК моих персональных данных.";
pub const CONSENT_KK: &str = "Кәсіптік біліктілікті тану рәсімінен өту кезінде дербес деректерімді өңдеуге келісемін және ҰБЖ цифрлық платформасында дербес деректерімді орналастыруға келісім беремін.";

/// Who applies: an IIN, or a foreigner's or stateless person's identity document (Art. 2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    pub iin: Option<String>,
    pub foreign_document: Option<ForeignDocument>,
    pub full_name: String,
    pub birth_date: NaiveDate,
    pub address: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignDocument {
    pub country: String,
    pub number: String,
}

/// An attached document: where it is kept and its SHA-256, never its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub kind: String,
    pub name: String,
    pub reference: String,
    pub sha256: String,
}

/// The form as sent, its texts untrimmed.
pub struct ApplicantInput<'a> {
    pub iin: &'a str,
    pub foreign_document_number: &'a str,
    pub foreign_document_country: &'a str,
    pub full_name: &'a str,
    pub birth_date: &'a str,
    pub address: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
}

/// A field (as the contract names it) and the rule it breaks.
pub type Violation = (String, String);

impl Applicant {
    /// The key that finds a person's applications: `iin:<IIN>` or `doc:<country>:<number>`,
    /// the form a candidate's token names them by.
    pub fn person(&self) -> String {
        match (&self.iin, &self.foreign_document) {
            (Some(iin), _) => format!("iin:{iin}"),
            (None, Some(doc)) => format!("doc:{}:{}", doc.country, doc.number),
            (None, None) => String::new(),
        }
    }

    /// Appendix 1's fields, each checked; every broken rule named (`prefix` before each field).
    pub fn parse(input: &ApplicantInput<'_>, prefix: &str) -> Result<Self, Vec<Violation>> {
        let mut violations: Vec<Violation> = Vec::new();
        let mut violate =
            |field: &str, rule: String| violations.push((format!("{prefix}{field}"), rule));
        let iin = input.iin.trim();
        let (doc_number, doc_country) = (
            input.foreign_document_number.trim(),
            input.foreign_document_country.trim(),
        );
        let mut iin_birth = None;
        let (iin, foreign_document) = match (iin.is_empty(), doc_number.is_empty()) {
            (false, true) => match nsk_kz::Iin::parse(iin) {
                Ok(parsed) => {
                    iin_birth = birth_date_of(parsed.as_str());
                    (Some(parsed.as_str().to_string()), None)
                }
                Err(rule) => {
                    violate("iin", rule.to_string());
                    (None, None)
                }
            },
            (true, false) => {
                let country_ok =
                    doc_country.len() == 2 && doc_country.bytes().all(|b| b.is_ascii_uppercase());
                if !country_ok {
                    violate(
                        "foreign_document_country",
                        "is required with a foreign document: the issuing country, two capital letters (ISO 3166-1), e.g. UZ".into(),
                    );
                }
                let number_ok = (1..=30).contains(&doc_number.len())
                    && doc_number
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if !number_ok {
                    violate(
                        "foreign_document_number",
                        "must be the document's number: 1-30 letters, digits and '-'".into(),
                    );
                }
                (
                    None,
                    Some(ForeignDocument {
                        country: doc_country.to_string(),
                        number: doc_number.to_string(),
                    }),
                )
            }
            (false, false) => {
                violate(
                    "foreign_document_number",
                    "is only for a person without an IIN (Art. 2.4): give the IIN or the foreign document, not both".into(),
                );
                (None, None)
            }
            (true, true) => {
                violate(
                    "iin",
                    "is required (Appendix 1), or for a foreigner or stateless person without one the identity document's number and country (Art. 2.4)".into(),
                );
                (None, None)
            }
        };
        let full_name = input
            .full_name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if full_name.is_empty() || full_name.chars().count() > 300 {
            violate(
                "full_name",
                "is required: the candidate's full name, at most 300 characters".into(),
            );
        }
        let birth_date = match NaiveDate::parse_from_str(input.birth_date.trim(), "%Y-%m-%d") {
            Ok(date) => {
                if let Some(from_iin) = iin_birth.filter(|d| *d != date) {
                    violate(
                        "birth_date",
                        format!("is {date}, but the IIN's first six digits give {from_iin}"),
                    );
                }
                Some(date)
            }
            Err(_) => {
                violate(
                    "birth_date",
                    "is required, as YYYY-MM-DD (Appendix 1)".into(),
                );
                None
            }
        };
        let address = input.address.trim().to_string();
        if address.is_empty() {
            violate(
                "address",
                "is required: where the candidate lives (Appendix 1)".into(),
            );
        }
        let email = input.email.trim().to_string();
        let email_ok = email.is_empty()
            || email.split_once('@').is_some_and(|(user, host)| {
                !user.is_empty()
                    && host.contains('.')
                    && !host.starts_with('.')
                    && !host.ends_with('.')
                    && !email.contains(char::is_whitespace)
            });
        if !email_ok {
            violate(
                "email",
                "must be an e-mail address, name@host.domain".into(),
            );
        }
        let phone = input.phone.trim().to_string();
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let phone_ok = (10..=15).contains(&digits)
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
        if !phone_ok {
            violate(
                "phone",
                "must be a phone number of 10-15 digits, e.g. +7 701 234 56 78".into(),
            );
        }
        match birth_date {
            Some(birth_date) if violations.is_empty() => Ok(Self {
                iin,
                foreign_document,
                full_name,
                birth_date,
                address,
                email,
                phone,
            }),
            _ => Err(violations),
        }
    }
}

/// The date of birth an IIN's first six digits and its seventh (the century) give.
fn birth_date_of(iin: &str) -> Option<NaiveDate> {
    let digit = |i: usize| iin.as_bytes().get(i).map(|b| i32::from(b - b'0'));
    let century = match digit(6)? {
        1 | 2 => 1800,
        3 | 4 => 1900,
        5 | 6 => 2000,
        _ => return None,
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let date = NaiveDate::from_ymd_opt(
        century + two(0)?,
        u32::try_from(two(2)?).ok()?,
        u32::try_from(two(4)?).ok()?,
    )?;
    (date.year() >= 1800).then_some(date)
}

/// An attachment's fields checked: a reference and a SHA-256 of 64 hex digits.
pub fn attachment(
    kind: &str,
    name: &str,
    reference: &str,
    sha256: &str,
    prefix: &str,
) -> Result<Attachment, Vec<Violation>> {
    let mut violations = Vec::new();
    let field = |f: &str| format!("{prefix}{f}");
    for (f, value) in [("kind", kind), ("name", name), ("reference", reference)] {
        if value.trim().is_empty() {
            violations.push((field(f), "is required".to_string()));
        }
    }
    let sha = sha256.trim().to_ascii_lowercase();
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        violations.push((
            field("sha256"),
            "must be the SHA-256 of the file, 64 hex digits".to_string(),
        ));
    }
    if violations.is_empty() {
        Ok(Attachment {
            kind: kind.trim().to_string(),
            name: name.trim().to_string(),
            reference: reference.trim().to_string(),
            sha256: sha,
        })
    } else {
        Err(violations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(iin: &'a str, birth: &'a str) -> ApplicantInput<'a> {
        ApplicantInput {
            iin,
            foreign_document_number: "",
            foreign_document_country: "",
            full_name: "  Сейткали   Айгерим Нурлановна ",
            birth_date: birth,
            address: "Almaty, Abai 10, kv. 5",
            email: "aigerim@example.kz",
            phone: "+7 701 234 56 78",
        }
    }

    fn fields(err: Vec<Violation>) -> Vec<String> {
        err.into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn an_iin_candidate_is_known_by_it_and_the_birth_date_agrees_with_it_appendix_1() {
        let ok = Applicant::parse(&input("900101300037", "1990-01-01"), "candidate.").unwrap();
        assert_eq!(ok.person(), "iin:900101300037");
        assert_eq!(ok.full_name, "Сейткали Айгерим Нурлановна");
        let wrong_birth =
            Applicant::parse(&input("900101300037", "1990-01-02"), "candidate.").unwrap_err();
        assert_eq!(fields(wrong_birth.clone()), ["candidate.birth_date"]);
        assert!(wrong_birth[0].1.contains("1990-01-01"));
        let typo =
            Applicant::parse(&input("900101300038", "1990-01-01"), "candidate.").unwrap_err();
        assert_eq!(fields(typo), ["candidate.iin"]);
    }

    #[test]
    fn a_foreigner_applies_with_the_identity_document_and_its_country_art_2_4() {
        let mut form = input("", "1988-05-17");
        form.foreign_document_number = "AA1234567";
        form.foreign_document_country = "UZ";
        let ok = Applicant::parse(&form, "").unwrap();
        assert_eq!(ok.person(), "doc:UZ:AA1234567");
        form.foreign_document_country = "Uzbekistan";
        assert_eq!(
            fields(Applicant::parse(&form, "").unwrap_err()),
            ["foreign_document_country"]
        );
        // Neither, or both: each named.
        assert_eq!(
            fields(Applicant::parse(&input("", "1988-05-17"), "").unwrap_err()),
            ["iin"]
        );
        let mut both = input("900101300037", "1990-01-01");
        both.foreign_document_number = "AA1234567";
        assert_eq!(
            fields(Applicant::parse(&both, "").unwrap_err()),
            ["foreign_document_number"]
        );
    }

    #[test]
    fn contacts_are_checked_and_every_broken_rule_named() {
        let mut form = input("900101300037", "");
        form.email = "aigerim@localhost";
        form.phone = "call me";
        form.address = " ";
        assert_eq!(
            fields(Applicant::parse(&form, "").unwrap_err()),
            ["birth_date", "address", "email", "phone"]
        );
        let ok = attachment(
            "education",
            "diploma.pdf",
            "s3://candidates/1/diploma.pdf",
            &"AB".repeat(32),
            "attachments[0].",
        )
        .unwrap();
        assert_eq!(ok.sha256, "ab".repeat(32));
        let bad = attachment("", "x", "y", "abc", "attachments[1].").unwrap_err();
        assert_eq!(
            fields(bad),
            ["attachments[1].kind", "attachments[1].sha256"]
        );
    }
}

//! Who a document is issued to. Art. 2.4: "Foreigners and stateless persons have the right to
//! undergo the procedure of recognition of professional qualifications". A person with an IIN
//! is identified by it; one without (a foreigner or stateless person who has none) by the
//! number of an identity document and the country that issued it.

use std::fmt;

use nsk_kz::Iin;

/// How the holder is identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HolderId {
    Iin(Iin),
    /// An identity document: its number and the issuing country (ISO 3166-1 alpha-2).
    Document {
        number: String,
        country: String,
    },
}

impl HolderId {
    /// From the fields as sent: an IIN, or a document number with its country, not both.
    /// Each refusal names the field of the holder and the rule.
    pub fn parse(
        iin: &str,
        number: &str,
        country: &str,
    ) -> Result<Self, Vec<(&'static str, String)>> {
        let (iin, number, country) = (iin.trim(), number.trim(), country.trim());
        match (iin.is_empty(), number.is_empty() && country.is_empty()) {
            (false, false) => Err(vec![(
                "identity_document_number",
                "give the IIN or, for a person who has none, an identity document — not both".into(),
            )]),
            (false, true) => Iin::parse(iin)
                .map(HolderId::Iin)
                .map_err(|rule| vec![("iin", rule.to_string())]),
            (true, true) => Err(vec![(
                "iin",
                "is required: the holder's IIN, or for a foreigner or stateless person without one the identity document's number and issuing country (Art. 2.4)".into(),
            )]),
            (true, false) => {
                let mut problems = Vec::new();
                let number_ok = (1..=30).contains(&number.chars().count())
                    && number
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ');
                if !number_ok {
                    problems.push((
                        "identity_document_number",
                        "must be the document's number: 1-30 letters, digits, '-' or spaces".into(),
                    ));
                }
                let country_ok =
                    country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic());
                if !country_ok {
                    problems.push((
                        "identity_document_country",
                        "must be the issuing country as two letters (ISO 3166-1 alpha-2, e.g. UZ)".into(),
                    ));
                }
                if problems.is_empty() {
                    Ok(HolderId::Document {
                        number: number.to_ascii_uppercase(),
                        country: country.to_ascii_uppercase(),
                    })
                } else {
                    Err(problems)
                }
            }
        }
    }

    pub fn iin(&self) -> Option<&str> {
        match self {
            HolderId::Iin(iin) => Some(iin.as_str()),
            HolderId::Document { .. } => None,
        }
    }

    pub fn document(&self) -> Option<(&str, &str)> {
        match self {
            HolderId::Iin(_) => None,
            HolderId::Document { number, country } => Some((number, country)),
        }
    }
}

impl fmt::Display for HolderId {
    /// One text per person, for comparing holders: `IIN 900101300038`, `UZ AB1234567`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HolderId::Iin(iin) => write!(f, "IIN {iin}"),
            HolderId::Document { number, country } => write!(f, "{country} {number}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_without_an_iin_is_identified_by_document_and_country_art_2_4() {
        let foreigner = HolderId::parse("", " ab 123-4567 ", "uz").unwrap();
        assert_eq!(foreigner.document(), Some(("AB 123-4567", "UZ")));
        assert_eq!(foreigner.iin(), None);
        assert_eq!(foreigner.to_string(), "UZ AB 123-4567");
        let citizen = HolderId::parse("900101300037", "", "").unwrap();
        assert_eq!(citizen.iin(), Some("900101300037"));
    }

    #[test]
    fn one_way_of_identifying_each_field_named() {
        let fields = |r: Result<HolderId, Vec<(&'static str, String)>>| {
            r.unwrap_err()
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(HolderId::parse("", "", "")), ["iin"]);
        assert_eq!(
            fields(HolderId::parse("900101300037", "AB1", "UZ")),
            ["identity_document_number"]
        );
        assert_eq!(
            fields(HolderId::parse("", "AB1", "")),
            ["identity_document_country"]
        );
        assert_eq!(
            fields(HolderId::parse("", "", "UZ")),
            ["identity_document_number"]
        );
        assert_eq!(
            fields(HolderId::parse("", "AB\u{0}1", "UZB")),
            ["identity_document_number", "identity_document_country"]
        );
        assert_eq!(fields(HolderId::parse("900101300038", "", "")), ["iin"]);
    }
}

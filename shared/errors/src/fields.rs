//! Parsing of the request fields every service shares (ids, request ids, dates), each refusal
//! naming the field and the rule.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::ApiError;

/// A text the caller must give, trimmed; `rule` says what it is for.
pub fn required(raw: &str, field: &str, rule: &str) -> Result<String, ApiError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(ApiError::invalid_field(
            field,
            format!("is required: {rule}"),
        ));
    }
    Ok(text.to_string())
}

/// An optional idempotency key: empty means none.
pub fn request_id(raw: &str) -> Result<Option<&str>, ApiError> {
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.len() > 100
        || !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ApiError::invalid_field(
            "request_id",
            "must be 1-100 characters of letters, digits, '-' and '_'",
        ));
    }
    Ok(Some(raw))
}

/// A resource id.
pub fn uuid(raw: &str, field: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::invalid_field(field, "must be a UUID"))
}

/// A calendar date; empty means none.
pub fn optional_date(raw: &str, field: &str) -> Result<Option<NaiveDate>, ApiError> {
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ApiError::invalid_field(field, "must be a date as YYYY-MM-DD"))
}

/// The document an act rests on (a decision, an order, a letter, a protocol), as parsed: its
/// number and date are required. The one shape every service stores and sends.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    pub number: String,
    pub date: NaiveDate,
    pub title: String,
}

/// A basis document sent as `field` (number, date, title), both number and date required.
pub fn document(number: &str, date: &str, title: &str, field: &str) -> Result<Document, ApiError> {
    let mut violations = Vec::new();
    let number = number.trim().to_string();
    if number.is_empty() {
        violations.push(crate::FieldViolation {
            field: format!("{field}.number"),
            description: "is required: the number of the document the act rests on".into(),
        });
    }
    let date = match optional_date(date, &format!("{field}.date")) {
        Ok(Some(date)) => Some(date),
        Ok(None) => {
            violations.push(crate::FieldViolation {
                field: format!("{field}.date"),
                description: "is required: the date of the document, as YYYY-MM-DD".into(),
            });
            None
        }
        Err(mut err) => {
            violations.append(&mut err.violations);
            None
        }
    };
    match date {
        Some(date) if violations.is_empty() => Ok(Document {
            number,
            date,
            title: title.trim().to_string(),
        }),
        _ => Err(ApiError::invalid_fields(violations)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_names_the_field() {
        assert_eq!(required(" x ", "reason", "why").unwrap(), "x");
        let err = required("  ", "reason", "why the entry is changed").unwrap_err();
        assert_eq!(err.violations[0].field, "reason");
        assert_eq!(
            err.violations[0].description,
            "is required: why the entry is changed"
        );
        assert_eq!(request_id("").unwrap(), None);
        assert_eq!(request_id("a-1_B").unwrap(), Some("a-1_B"));
        assert_eq!(
            request_id("a b").unwrap_err().violations[0].field,
            "request_id"
        );
        assert_eq!(uuid("x", "id").unwrap_err().violations[0].field, "id");
        assert_eq!(optional_date("", "as_of").unwrap(), None);
        let err = optional_date("2026-13-01", "as_of").unwrap_err();
        assert_eq!(err.violations[0].field, "as_of");
        let err = document(" ", "", "", "basis").unwrap_err();
        let fields: Vec<&str> = err.violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["basis.number", "basis.date"]);
        let ok = document("12-П", "2026-11-20", " Order ", "basis").unwrap();
        assert_eq!((ok.number.as_str(), ok.title.as_str()), ("12-П", "Order"));
    }
}

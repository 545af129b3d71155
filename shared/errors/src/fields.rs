//! Parsing of the request fields every service shares (ids, request ids, dates), each refusal
//! naming the field and the rule.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::ApiError;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_names_the_field() {
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
    }
}

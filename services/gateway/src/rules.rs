//! The forms of the contract's identifiers and dates, by field name: one table that both the
//! OpenAPI document states (as `pattern`) and the gateway enforces on every request (400
//! naming the field as the caller wrote it), so that the two cannot disagree. An empty value
//! means "not given" and is left to the service, which knows whether the field is required;
//! the service also checks what a pattern cannot say (check digits, calendars, the law).

use nsk_errors::{ApiError, FieldViolation};
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, ReflectMessage, Value};

/// A form a text field must have when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Exactly this many decimal digits.
    Digits(usize),
    /// NKZ: eight digits, or "0" for a profession without a code.
    Nkz,
    /// A calendar day, YYYY-MM-DD.
    Date,
    /// A UUID in its hyphenated form.
    Uuid,
}

/// Fields named alike hold the same thing throughout the contract.
const DATES: [&str; 26] = [
    "date",
    "as_of",
    "effective_from",
    "valid_from",
    "valid_until",
    "previous_valid_until",
    "decided_on",
    "issued_on",
    "issue_date",
    "due_date",
    "procedure_date",
    "protocol_date",
    "found_on",
    "event_detected_on",
    "terminated_on",
    "sent_on",
    "revoked_on",
    "met_on",
    "issued_from",
    "flagged_on",
    "filed_on",
    "examined_on",
    "delivered_on",
    "cancelled_on",
    "cancelled_from",
    "acted_on",
];

const UUIDS: [&str; 11] = [
    "profession_id",
    "standard_id",
    "certificate_id",
    "previous_certificate_id",
    "replaced_certificate_id",
    "active_certificate_id",
    "key_id",
    "document_id",
    "migration_id",
    "case_id",
    "application_id",
];

impl Form {
    /// The form of a text field called `name`, if the contract gives it one.
    pub fn of(name: &str) -> Option<Self> {
        match name {
            "iin" | "holder_iin" => Some(Form::Digits(12)),
            "bin" | "applicant_bin" | "center_bin" | "new_center_bin" => Some(Form::Digits(12)),
            "center_number" | "predecessor_center_number" => Some(Form::Digits(4)),
            "nkz_code" => Some(Form::Nkz),
            n if DATES.contains(&n) => Some(Form::Date),
            n if UUIDS.contains(&n) => Some(Form::Uuid),
            _ => None,
        }
    }

    /// The same rule as a regular expression, for the document (empty: not given).
    pub fn pattern(self) -> String {
        match self {
            Form::Digits(n) => format!("^([0-9]{{{n}}})?$"),
            Form::Nkz => "^([0-9]{8}|0)?$".into(),
            Form::Date => "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$".into(),
            Form::Uuid => {
                "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"
                    .into()
            }
        }
    }

    /// What the caller is told when a value breaks it.
    pub fn rule(self) -> String {
        match self {
            Form::Digits(n) => format!("must be {n} digits"),
            Form::Nkz => "must be 8 digits, or \"0\" where the profession has no NKZ code".into(),
            Form::Date => "must be a date, YYYY-MM-DD".into(),
            Form::Uuid => {
                "must be an id (a UUID, e.g. 0192f5a4-1c2e-7d3a-9b1f-5e2d7c4a1b90)".into()
            }
        }
    }

    pub fn accepts(self, value: &str) -> bool {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if value.is_empty() {
            return true;
        }
        match self {
            Form::Digits(n) => digits(value, n),
            Form::Nkz => value == "0" || digits(value, 8),
            Form::Date => {
                let b = value.as_bytes();
                b.len() == 10
                    && b[4] == b'-'
                    && b[7] == b'-'
                    && digits(&value[..4], 4)
                    && digits(&value[5..7], 2)
                    && digits(&value[8..], 2)
            }
            Form::Uuid => {
                let b = value.as_bytes();
                b.len() == 36
                    && b.iter().enumerate().all(|(i, c)| match i {
                        8 | 13 | 18 | 23 => *c == b'-',
                        _ => c.is_ascii_hexdigit(),
                    })
            }
        }
    }
}

/// Every given text field of `message` (nested messages and lists too) in its form; all that
/// break one are named.
pub fn check(message: &DynamicMessage) -> Result<(), ApiError> {
    let mut violations = Vec::new();
    walk(message, "", &mut violations);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid_fields(violations))
    }
}

fn walk(message: &DynamicMessage, prefix: &str, out: &mut Vec<FieldViolation>) {
    for (field, value) in message.fields() {
        let path = format!("{prefix}{}", field.json_name());
        match value {
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    one(&field, item, &format!("{path}[{i}]"), out);
                }
            }
            item => one(&field, item, &path, out),
        }
    }
}

fn one(field: &FieldDescriptor, value: &Value, path: &str, out: &mut Vec<FieldViolation>) {
    match value {
        Value::String(text) => {
            if let Some(form) = Form::of(field.name()).filter(|f| !f.accepts(text)) {
                out.push(FieldViolation {
                    field: path.to_string(),
                    description: form.rule(),
                });
            }
        }
        Value::Message(inner) if matches!(field.kind(), Kind::Message(_)) => {
            let descriptor = inner.descriptor();
            // Well-known types carry no fields of the contract.
            if !descriptor.full_name().starts_with("google.") {
                walk(inner, &format!("{path}."), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_accepts_what_its_pattern_says_and_nothing_else() {
        let cases = [
            (Form::Digits(12), "900101300037", true),
            (Form::Digits(12), "90010130003", false),
            (Form::Digits(12), "90010130003a", false),
            (Form::Digits(4), "0042", true),
            (Form::Digits(4), "42", false),
            (Form::Nkz, "0", true),
            (Form::Nkz, "72120001", true),
            (Form::Nkz, "7212000", false),
            (Form::Date, "2026-12-31", true),
            (Form::Date, "2026-1-31", false),
            (Form::Date, "31.12.2026", false),
            (Form::Uuid, "0192f5a4-1c2e-7d3a-9b1f-5e2d7c4a1b90", true),
            (Form::Uuid, "0192f5a41c2e7d3a9b1f5e2d7c4a1b90", false),
            (Form::Uuid, "0192f5a4-1c2e-7d3a-9b1f-5e2d7c4a1bzz", false),
            (Form::Date, "", true),
        ];
        for (form, value, ok) in cases {
            assert_eq!(form.accepts(value), ok, "{form:?} {value:?}");
            // The document's pattern says the same as the gateway's check.
            let pattern = regex::Regex::new(&form.pattern()).unwrap();
            assert_eq!(pattern.is_match(value), ok, "{} {value:?}", form.pattern());
        }
    }
}

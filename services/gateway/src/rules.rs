//! What a request's fields must be, from two sources, each stated in the OpenAPI document and
//! enforced by the gateway on every REST request (400 naming each field), so that the two
//! cannot disagree:
//!
//! - the forms of the contract's identifiers and dates, by field name ([`Form`]): an empty
//!   value means "not given" and is left to the service;
//! - what a field's option `(nsk.common.v1.field)` in `proto/` says ([`Limits`]): required,
//!   lengths, ranges.
//!
//! The services check again, with what neither can state (check digits, calendars, the law).

use std::collections::HashMap;
use std::sync::OnceLock;

use nsk_errors::{ApiError, FieldViolation};
use prost_reflect::{DescriptorPool, DynamicMessage, FieldDescriptor, Kind, ReflectMessage, Value};

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
    /// An idempotency key: letters, digits, '-' and '_', at most 100.
    RequestId,
    /// One of the regions' codes.
    Region,
    /// A document's serial number (Rules, Appendix 2), its shape: the parts' dates and
    /// numbers are the registry's to check.
    Serial,
}

/// Fields named alike hold the same thing throughout the contract.
const DATES: [&str; 32] = [
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
    "issued_to",
    "cancelled_to",
    "held_on",
    "birth_date",
    "earlier_document_valid_until",
    "received_on",
];

const UUIDS: [&str; 12] = [
    "id",
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
            "request_id" => Some(Form::RequestId),
            "region" => Some(Form::Region),
            "serial_number"
            | "replaced_by_serial_number"
            | "document_serial_numbers"
            | "document_serial" => Some(Form::Serial),
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
            Form::RequestId => "^([A-Za-z0-9_-]{1,100})?$".into(),
            Form::Region => format!("^({})?$", nsk_kz::regions::REGIONS.join("|")),
            Form::Serial => "^([0-9]{5}-([0-9]{8}|0)-[1-8]-[0-9]{6}-[0-9]{4}-[0-9]{8})?$".into(),
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
            Form::RequestId => "must be 1-100 characters of letters, digits, '-' and '_'".into(),
            Form::Region => format!(
                "must be a region code: one of {}",
                nsk_kz::regions::REGIONS.join(", ")
            ),
            Form::Serial => "must be a serial number, OKED(5)-NKZ(8)-level(1)-DDMMYY(6)-center(4)-sequence(8), e.g. 25110-72120001-4-201126-0042-00000017".into(),
        }
    }

    /// What the caller is told about `value`, which this form does not accept: a serial number
    /// names the part it breaks, as the registry would.
    pub fn refusal(self, value: &str) -> String {
        match self {
            Form::Serial => value
                .parse::<nsk_kz::serial::SerialNumber>()
                .err()
                .map(|malformed| malformed.0)
                .unwrap_or_else(|| self.rule()),
            _ => self.rule(),
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
            Form::RequestId => {
                value.len() <= 100
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            }
            Form::Region => nsk_kz::regions::is_region(value),
            Form::Serial => {
                let parts: Vec<&str> = value.split('-').collect();
                parts.len() == 6
                    && digits(parts[0], 5)
                    && (parts[1] == "0" || digits(parts[1], 8))
                    && matches!(parts[2].as_bytes(), [b'1'..=b'8'])
                    && digits(parts[3], 6)
                    && digits(parts[4], 4)
                    && digits(parts[5], 8)
            }
        }
    }
}

/// What a field's `(nsk.common.v1.field)` option says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    pub required: bool,
    pub min_length: u32,
    pub max_length: Option<u32>,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
}

impl Limits {
    /// Its rule in words, for the caller and the document.
    pub fn rule(&self) -> String {
        let mut parts = Vec::new();
        if self.required {
            parts.push("is required".to_string());
        }
        match (
            self.min_length.max(u32::from(self.required)),
            self.max_length,
        ) {
            (0, Some(max)) => parts.push(format!("at most {max} characters")),
            (min, Some(max)) if min > 1 => parts.push(format!("{min}-{max} characters")),
            (_, Some(max)) => parts.push(format!("1-{max} characters")),
            (min, None) if min > 1 => parts.push(format!("at least {min} characters")),
            _ => {}
        }
        match (self.minimum, self.maximum) {
            (Some(lo), Some(hi)) => parts.push(format!("from {lo} to {hi}")),
            (Some(lo), None) => parts.push(format!("at least {lo}")),
            (None, Some(hi)) => parts.push(format!("at most {hi}")),
            (None, None) => {}
        }
        parts.join(", ")
    }
}

/// Every field of the contract with an option, by full name, read once.
fn table() -> &'static HashMap<String, Limits> {
    static TABLE: OnceLock<HashMap<String, Limits>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        let Ok(pool) = DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET) else {
            return table;
        };
        let Some(ext) = pool.get_extension_by_name("nsk.common.v1.field") else {
            return table;
        };
        for message in pool.all_messages() {
            for field in message.fields() {
                let options = field.options();
                if !options.has_extension(&ext) {
                    continue;
                }
                let Value::Message(rule) = options.get_extension(&ext).into_owned() else {
                    continue;
                };
                let get = |name: &str| rule.get_field_by_name(name).map(|v| v.into_owned());
                let limits = Limits {
                    required: matches!(get("required"), Some(Value::Bool(true))),
                    min_length: match get("min_length") {
                        Some(Value::U32(n)) => n,
                        _ => 0,
                    },
                    max_length: match get("max_length") {
                        Some(Value::U32(n)) if n > 0 => Some(n),
                        _ => None,
                    },
                    minimum: rule
                        .has_field_by_name("minimum")
                        .then(|| get("minimum"))
                        .flatten()
                        .and_then(|v| v.as_i64()),
                    maximum: rule
                        .has_field_by_name("maximum")
                        .then(|| get("maximum"))
                        .flatten()
                        .and_then(|v| v.as_i64()),
                };
                table.insert(field.full_name().to_string(), limits);
            }
        }
        table
    })
}

/// The limits of `field`, if its option states any.
pub fn limits_of(field: &FieldDescriptor) -> Option<Limits> {
    table().get(field.full_name()).copied()
}

/// Every field of `message` (nested messages and lists too) in its form and within its
/// limits; all that are not are named.
pub fn check(message: &DynamicMessage) -> Result<(), ApiError> {
    let mut violations = Vec::new();
    required(message, "", &mut violations);
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

/// The required fields of `message` that were not given (the walk sees only given ones).
fn required(message: &DynamicMessage, prefix: &str, out: &mut Vec<FieldViolation>) {
    for field in message.descriptor().fields() {
        let Some(limits) = limits_of(&field).filter(|l| l.required) else {
            continue;
        };
        if !message.has_field(&field) {
            out.push(FieldViolation {
                field: format!("{prefix}{}", field.json_name()),
                description: limits.rule(),
            });
        }
    }
}

fn within(limits: Limits, value: &Value) -> bool {
    match value {
        Value::String(text) => {
            let n = text.chars().count() as u32;
            (text.is_empty() && !limits.required)
                || (n >= limits.min_length.max(u32::from(limits.required))
                    && limits.max_length.is_none_or(|max| n <= max))
        }
        other => match other.as_i64().or_else(|| other.as_i32().map(i64::from)) {
            Some(n) => {
                limits.minimum.is_none_or(|lo| n >= lo) && limits.maximum.is_none_or(|hi| n <= hi)
            }
            None => true,
        },
    }
}

fn one(field: &FieldDescriptor, value: &Value, path: &str, out: &mut Vec<FieldViolation>) {
    if let Some(limits) = limits_of(field).filter(|l| !within(*l, value)) {
        out.push(FieldViolation {
            field: path.to_string(),
            description: limits.rule(),
        });
        return;
    }
    match value {
        Value::String(text) => {
            if let Some(form) = Form::of(field.name()).filter(|f| !f.accepts(text)) {
                out.push(FieldViolation {
                    field: path.to_string(),
                    description: form.refusal(text),
                });
            }
        }
        Value::Message(inner) if matches!(field.kind(), Kind::Message(_)) => {
            let descriptor = inner.descriptor();
            // Well-known types carry no fields of the contract.
            if !descriptor.full_name().starts_with("google.") {
                required(inner, &format!("{path}."), out);
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
            (Form::RequestId, "issue-2026_12-06", true),
            (Form::RequestId, "issue 1", false),
            (Form::RequestId, &"r".repeat(101), false),
            (Form::Region, "almaty-region", true),
            (Form::Region, "Almaty", false),
            (Form::Region, "almaty-regionx", false),
            (Form::Serial, "25110-72120001-4-201126-0042-00000017", true),
            (Form::Serial, "25110-0-4-201126-0042-00000017", true),
            (Form::Serial, "25110-72120001-9-201126-0042-00000017", false),
            (Form::Serial, "25110-72120001-4-201126-0042-0000017", false),
            (Form::Serial, "25110-72120001-4-201126-0042", false),
        ];
        for (form, value, ok) in cases {
            assert_eq!(form.accepts(value), ok, "{form:?} {value:?}");
            // The document's pattern says the same as the gateway's check.
            let pattern = regex::Regex::new(&form.pattern()).unwrap();
            assert_eq!(pattern.is_match(value), ok, "{} {value:?}", form.pattern());
        }
    }

    fn message(name: &str) -> DynamicMessage {
        let pool = DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET).unwrap();
        DynamicMessage::new(pool.get_message_by_name(name).unwrap())
    }

    fn fields(err: ApiError) -> Vec<String> {
        err.violations.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn the_options_in_the_contract_are_read_and_held_to() {
        let mut issue = message("nsk.accreditation.v1.IssueApiKeyRequest");
        let label = issue.descriptor().get_field_by_name("label").unwrap();
        let limits = limits_of(&label).unwrap();
        assert!(limits.required);
        assert_eq!(limits.max_length, Some(100));
        assert_eq!(limits.rule(), "is required, 1-100 characters");
        // Not given, too long, and a lifetime out of range: each named.
        issue.set_field_by_name("valid_days", Value::I32(400));
        assert_eq!(fields(check(&issue).unwrap_err()), ["label", "validDays"]);
        issue.set_field_by_name("label", Value::String("x".repeat(101)));
        issue.set_field_by_name("valid_days", Value::I32(366));
        assert_eq!(fields(check(&issue).unwrap_err()), ["label"]);
        issue.set_field_by_name("label", Value::String("exam system".into()));
        assert!(check(&issue).is_ok());
        // Each service's page size, as its own rule says: accreditation 100, documents 500.
        let mut applications = message("nsk.accreditation.v1.ListApplicationsRequest");
        applications.set_field_by_name("page_size", Value::I32(101));
        assert_eq!(fields(check(&applications).unwrap_err()), ["pageSize"]);
        let mut documents = message("nsk.documents.v1.ListDocumentsRequest");
        documents.set_field_by_name("page_size", Value::I32(500));
        assert!(check(&documents).is_ok());
    }
}

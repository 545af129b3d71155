//! Errors as callers see them.
//!
//! Services return [`ApiError`]: a [`ErrorKind`], a message a person can act on, and for bad
//! input the field violations (which field, which rule). [`ErrorKind`] is the one table that
//! says what each kind becomes on gRPC and on HTTP; the gateway turns a gRPC status back into
//! an RFC 9457 problem document with [`Problem::from_status`]. Internal failures are logged with
//! an incident id and reach the caller only as that id.

pub mod fields;

use serde::Serialize;
use tonic::Code;
use tonic_types::{ErrorDetails, StatusExt};

/// What went wrong, from the caller's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorKind {
    /// The request itself is wrong: a field is missing or breaks a rule.
    InvalidArgument,
    /// The request is well-formed but the current state forbids it.
    FailedPrecondition,
    NotFound,
    AlreadyExists,
    /// The caller is known but may not do this.
    PermissionDenied,
    /// No valid credentials.
    Unauthenticated,
    /// A concurrent change won (stale version); retry after re-reading.
    Aborted,
    /// A dependency is down; retry later.
    Unavailable,
    /// A method of the contract that is not built yet.
    NotImplemented,
    /// HTTP only: the path exists, not for this method (the answer says which are allowed).
    MethodNotAllowed,
    /// HTTP only: the body is not of a media type the call takes.
    UnsupportedMediaType,
    /// The body is larger than the call takes.
    PayloadTooLarge,
    /// HTTP only: a header (a token, say) is larger than the platform reads.
    HeadersTooLarge,
    /// Too many requests from this caller; retry after the time the answer names.
    RateLimited,
    /// A fault of ours; the caller can do nothing but report the incident id.
    Internal,
}

impl ErrorKind {
    /// The gRPC code and HTTP status of each kind: the single table the platform uses.
    pub const fn codes(self) -> (Code, u16) {
        match self {
            Self::InvalidArgument => (Code::InvalidArgument, 400),
            Self::FailedPrecondition => (Code::FailedPrecondition, 409),
            Self::NotFound => (Code::NotFound, 404),
            Self::AlreadyExists => (Code::AlreadyExists, 409),
            Self::PermissionDenied => (Code::PermissionDenied, 403),
            Self::Unauthenticated => (Code::Unauthenticated, 401),
            Self::Aborted => (Code::Aborted, 409),
            Self::Unavailable => (Code::Unavailable, 503),
            Self::NotImplemented => (Code::Unimplemented, 501),
            Self::MethodNotAllowed => (Code::Unimplemented, 405),
            Self::UnsupportedMediaType => (Code::InvalidArgument, 415),
            Self::PayloadTooLarge => (Code::ResourceExhausted, 413),
            Self::HeadersTooLarge => (Code::InvalidArgument, 431),
            Self::RateLimited => (Code::ResourceExhausted, 429),
            Self::Internal => (Code::Internal, 500),
        }
    }

    pub const fn grpc_code(self) -> Code {
        self.codes().0
    }

    pub const fn http_status(self) -> u16 {
        self.codes().1
    }

    /// The kind a gRPC code stands for; codes the platform does not produce count as internal,
    /// except deadline and cancellation, which a caller may retry.
    pub fn from_grpc_code(code: Code) -> Self {
        match code {
            Code::InvalidArgument | Code::OutOfRange => Self::InvalidArgument,
            Code::FailedPrecondition => Self::FailedPrecondition,
            Code::NotFound => Self::NotFound,
            Code::AlreadyExists => Self::AlreadyExists,
            Code::PermissionDenied => Self::PermissionDenied,
            Code::Unauthenticated => Self::Unauthenticated,
            Code::Aborted => Self::Aborted,
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => Self::Unavailable,
            Code::ResourceExhausted => Self::RateLimited,
            Code::Unimplemented => Self::NotImplemented,
            _ => Self::Internal,
        }
    }
}

/// One broken rule of one field of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldViolation {
    /// Path of the field in the request, e.g. `profession.nkz_code`.
    pub field: String,
    /// The rule it breaks, e.g. `must be 8 digits, or "0" where the profession has no NKZ code`.
    pub description: String,
}

/// An error a service returns to its caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    pub violations: Vec<FieldViolation>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            violations: Vec::new(),
        }
    }

    /// One field breaks one rule.
    pub fn invalid_field(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self::invalid_fields(vec![FieldViolation {
            field: field.into(),
            description: rule.into(),
        }])
    }

    /// Several fields break rules; the message names them all.
    pub fn invalid_fields(violations: Vec<FieldViolation>) -> Self {
        let message = violations
            .iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            kind: ErrorKind::InvalidArgument,
            message,
            violations,
        }
    }

    pub fn failed_precondition(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::FailedPrecondition, message)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(ErrorKind::NotFound, format!("{what} {id} does not exist"))
    }

    pub fn already_exists(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::AlreadyExists, message)
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::PermissionDenied, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, message)
    }

    pub fn aborted(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Aborted, message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }

    /// A fault of ours. The cause is logged with an incident id; the caller sees only the id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let incident = uuid::Uuid::now_v7();
        tracing::error!(%incident, error = %cause, "internal error");
        Self::new(
            ErrorKind::Internal,
            format!("internal error; quote incident {incident} to support"),
        )
    }
}

impl From<sqlx::Error> for ApiError {
    /// Database errors the caller can cause map by SQLSTATE; the rest are internal.
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            match db.code().as_deref() {
                // unique_violation
                Some("23505") => {
                    let constraint = db.constraint().unwrap_or("a unique key");
                    return Self::already_exists(format!(
                        "a record with the same {constraint} already exists"
                    ));
                }
                // character_not_in_repertoire, untranslatable_character: a NUL in a text.
                Some("22021") | Some("22P05") => {
                    return Self::invalid_field(
                        "body",
                        "a text contains the NUL character (\\u0000), which the register does not store",
                    );
                }
                // serialization_failure, deadlock_detected: a concurrent change won.
                Some("40001") | Some("40P01") => {
                    return Self::aborted("a concurrent change won; read again and retry");
                }
                _ => {}
            }
        }
        if matches!(err, sqlx::Error::PoolTimedOut | sqlx::Error::Io(_)) {
            tracing::warn!(error = %err, "database unavailable");
            return Self::unavailable("the database is unavailable; retry later");
        }
        Self::internal(err)
    }
}

/// Field violations carried in one status, at most. Details travel in an HTTP/2 trailer, and
/// header lists are limited (16 KiB by default): past this many, the rest are counted, not listed.
pub const MAX_LISTED_VIOLATIONS: usize = 50;

/// The longest message carried in one status, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// The bytes the listed violations may take (field and rule, before encoding). With the message
/// (percent-encoded in `grpc-message`, once more inside `grpc-status-details-bin`, base64 there)
/// a status stays under 10 KiB of headers, well inside the 16 KiB a peer accepts.
pub const MAX_VIOLATION_BYTES: usize = 4096;

/// What one violation adds to the details besides its two strings (protobuf tags and lengths).
const VIOLATION_OVERHEAD: usize = 8;

fn bounded(mut message: String) -> String {
    if message.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str(" ...");
    }
    message
}

impl From<ApiError> for tonic::Status {
    fn from(err: ApiError) -> Self {
        let code = err.kind.grpc_code();
        // The message travels in headers (`grpc-message`, and again in the details), and may
        // name what the caller sent (10,000 serial numbers, say): the whole status is bounded,
        // or the header list overflows and the caller gets a protocol error instead of the answer.
        let mut message = bounded(err.message);
        if err.violations.is_empty() {
            return tonic::Status::new(code, message);
        }
        let total = err.violations.len();
        let mut spent = 0;
        let violations = err
            .violations
            .into_iter()
            .take(MAX_LISTED_VIOLATIONS)
            .map(|v| {
                let field = bounded(v.field);
                let rule = bounded(v.description);
                (field, rule)
            })
            .take_while(|(field, rule)| {
                spent += field.len() + rule.len() + VIOLATION_OVERHEAD;
                spent <= MAX_VIOLATION_BYTES
            })
            .map(|(field, rule)| tonic_types::FieldViolation::new(field, rule))
            .collect::<Vec<_>>();
        if violations.len() < total {
            let listed = violations.len();
            message = format!("{message} (the first {listed} of {total} problems are listed)");
        }
        tonic::Status::with_error_details(code, message, ErrorDetails::with_bad_request(violations))
    }
}

/// An RFC 9457 problem document (`application/problem+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The stable error code, the same as the gRPC code name.
    pub code: ErrorKind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<FieldViolation>,
}

impl Problem {
    pub const CONTENT_TYPE: &'static str = "application/problem+json";

    pub fn new(
        kind: ErrorKind,
        detail: impl Into<String>,
        violations: Vec<FieldViolation>,
    ) -> Self {
        let status = kind.http_status();
        Self {
            type_uri: "about:blank".into(),
            title: title_of(status).into(),
            status,
            detail: detail.into(),
            code: kind,
            violations,
        }
    }

    /// The problem document for a gRPC status, field violations included.
    pub fn from_status(status: &tonic::Status) -> Self {
        let kind = ErrorKind::from_grpc_code(status.code());
        let violations = status
            .get_error_details()
            .bad_request()
            .map(|br| {
                br.field_violations
                    .iter()
                    .map(|v| FieldViolation {
                        field: v.field.clone(),
                        description: v.description.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Transport failures carry library text; the caller gets a plain sentence instead.
        let detail = match status.code() {
            Code::Unavailable | Code::Unknown | Code::DeadlineExceeded
                if status.message().is_empty() =>
            {
                "the service is unavailable; retry later".to_string()
            }
            _ => status.message().to_string(),
        };
        Self::new(kind, detail, violations)
    }

    pub fn to_json(&self) -> String {
        // Serialising plain strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

impl From<&ApiError> for Problem {
    fn from(err: &ApiError) -> Self {
        Self::new(err.kind, err.message.clone(), err.violations.clone())
    }
}

fn title_of(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_not_built_yet_is_501_not_a_server_fault() {
        let status = tonic::Status::unimplemented("VoucherService/RedeemVoucher is not built yet");
        let problem = Problem::from_status(&status);
        assert_eq!(problem.status, 501);
        assert_eq!(
            ErrorKind::from_grpc_code(Code::Unimplemented).http_status(),
            501
        );
    }

    #[test]
    fn every_kind_round_trips_through_its_grpc_code() {
        for kind in [
            ErrorKind::InvalidArgument,
            ErrorKind::FailedPrecondition,
            ErrorKind::NotFound,
            ErrorKind::AlreadyExists,
            ErrorKind::PermissionDenied,
            ErrorKind::Unauthenticated,
            ErrorKind::Aborted,
            ErrorKind::Unavailable,
            ErrorKind::Internal,
        ] {
            assert_eq!(ErrorKind::from_grpc_code(kind.grpc_code()), kind);
        }
    }

    #[test]
    fn field_violations_survive_the_trip_through_grpc_to_problem_json() {
        let err = ApiError::invalid_field("profession.nkz_code", "must be 8 digits, or \"0\"");
        let status = tonic::Status::from(err);
        assert_eq!(status.code(), Code::InvalidArgument);
        let problem = Problem::from_status(&status);
        assert_eq!(problem.status, 400);
        assert_eq!(problem.violations[0].field, "profession.nkz_code");
        let json: serde_json::Value = serde_json::from_str(&problem.to_json()).unwrap();
        assert_eq!(json["code"], "INVALID_ARGUMENT");
        assert_eq!(
            json["violations"][0]["description"],
            "must be 8 digits, or \"0\""
        );
    }

    #[test]
    fn a_message_naming_what_the_caller_sent_is_bounded() {
        // 10,000 serial numbers named in one refusal, no field violation.
        let serials: Vec<String> = (0..10_000)
            .map(|n| format!("25110-72120011-4-150326-0020-{n:08}"))
            .collect();
        let err = ApiError::failed_precondition(format!(
            "accreditation has not heard of: {}",
            serials.join(", ")
        ));
        let status = tonic::Status::from(err);
        assert!(status.message().len() <= MAX_MESSAGE_BYTES + 4);
        assert!(status.message().ends_with(" ..."));
        assert!(status
            .message()
            .starts_with("accreditation has not heard of: 25110"));
    }

    #[test]
    fn a_long_list_of_violations_is_bounded_and_counted() {
        let many = (1..=300)
            .map(|row| FieldViolation {
                field: format!("rows[{row}].nkz_code"),
                description: "is taken".into(),
            })
            .collect();
        let status = tonic::Status::from(ApiError::invalid_fields(many));
        let listed = status
            .get_error_details()
            .bad_request()
            .unwrap()
            .field_violations
            .len();
        assert_eq!(listed, MAX_LISTED_VIOLATIONS);
        assert!(
            status.message().contains("of 300 problems"),
            "{}",
            status.message()
        );
        assert!(status.message().len() < 4200);
    }

    #[test]
    fn ten_thousand_refused_serials_fit_in_the_headers_a_peer_accepts() {
        // What accreditation answers an officer naming 10,000 documents it has not heard of:
        // one violation each, every rule naming the serial and the article, the message all of
        // them joined; some in Cyrillic, which percent-encoding triples.
        let violations = (0..10_000)
            .map(|n| FieldViolation {
                field: format!("document_serial_numbers[{n}]"),
                description: format!(
                    "25110-72120011-4-150326-0020-{n:08} is not a document in the registry of issued documents; документ не найден (Art. 26.2.4)"
                ),
            })
            .collect();
        let status = tonic::Status::from(ApiError::invalid_fields(violations));
        let mut headers = tonic::codegen::http::HeaderMap::new();
        status
            .add_header(&mut headers)
            .expect("a status renders as headers");
        // HTTP/2 counts each header as name + value + 32 bytes (RFC 9113 §6.5.2).
        let size: usize = headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 32)
            .sum();
        assert!(size < 12 * 1024, "{size} bytes of headers");
        let listed = status
            .get_error_details()
            .bad_request()
            .expect("the violations travel")
            .field_violations
            .len();
        assert!(listed >= 10, "only {listed} listed");
        assert!(
            status.message().ends_with(&format!(
                "(the first {listed} of 10000 problems are listed)"
            )),
            "{}",
            status.message()
        );
        // The problem document the gateway makes of it keeps the count and the first violations.
        let problem = Problem::from_status(&status);
        assert_eq!(problem.status, 400);
        assert_eq!(problem.violations.len(), listed);
        assert_eq!(problem.violations[0].field, "document_serial_numbers[0]");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err =
            ApiError::internal("connection to 10.1.2.3 refused: password authentication failed");
        assert_eq!(err.kind, ErrorKind::Internal);
        assert!(!err.message.contains("10.1.2.3"));
        assert!(err.message.contains("incident"));
    }

    #[test]
    fn precondition_maps_to_conflict() {
        let status = tonic::Status::from(ApiError::failed_precondition("certificate is revoked"));
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(Problem::from_status(&status).status, 409);
    }
}

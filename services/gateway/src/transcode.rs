//! REST/JSON <-> gRPC: builds the request message from the path, the query string and the body
//! (proto3 JSON mapping), forwards it, and renders the reply or the error.

use bytes::{Buf, BufMut, Bytes};
use nsk_errors::{ApiError, FieldViolation, Problem};
use prost::Message;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, Kind, MessageDescriptor, SerializeOptions, Value,
};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

use crate::routes::{BodyMapping, Route};

/// Builds the gRPC request message of `route`.
pub fn request_message(
    route: &Route,
    bound: &[(String, String)],
    query: Option<&str>,
    body: &[u8],
) -> Result<DynamicMessage, ApiError> {
    let input = route.input();
    let mut message = match &route.body {
        BodyMapping::Whole => parse_json(&input, body, "")?,
        BodyMapping::Field(field_name) => {
            let mut message = DynamicMessage::new(input.clone());
            let field = input
                .get_field_by_name(field_name)
                .ok_or_else(|| ApiError::internal(format!("body field {field_name} vanished")))?;
            let Kind::Message(field_type) = field.kind() else {
                return Err(ApiError::internal(format!(
                    "body field {field_name} is not a message"
                )));
            };
            let value = parse_json(&field_type, body, &format!("{field_name}."))?;
            message.set_field(&field, Value::Message(value));
            message
        }
        BodyMapping::None => {
            if !body.is_empty() && body.iter().any(|b| !b.is_ascii_whitespace()) {
                return Err(ApiError::invalid_field(
                    "body",
                    "this call takes no body; pass fields in the query string",
                ));
            }
            DynamicMessage::new(input.clone())
        }
    };
    // Query parameters fill top-level scalar fields the path and the body did not set.
    if let Some(query) = query {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = url_decode(key);
            let value = url_decode(value);
            let field = input
                .get_field_by_json_name(&key)
                .or_else(|| input.get_field_by_name(&key))
                .ok_or_else(|| {
                    ApiError::invalid_field(key.clone(), "is not a parameter of this call")
                })?;
            if matches!(&route.body, BodyMapping::Field(f) if f == field.name()) {
                return Err(ApiError::invalid_field(
                    key,
                    "is sent in the body, not the query string",
                ));
            }
            let parsed = scalar(&field.kind(), &value)
                .map_err(|rule| ApiError::invalid_field(key.clone(), rule))?;
            if field.is_list() {
                if let Value::List(list) = message.get_field_mut(&field) {
                    list.push(parsed);
                }
            } else {
                message.set_field(&field, parsed);
            }
        }
    }
    // A NUL is no character of any register: refused here, naming the field, before it
    // reaches a service (PostgreSQL cannot store it).
    let mut nul = Vec::new();
    nul_fields(&message, "", &mut nul);
    if !nul.is_empty() {
        return Err(ApiError::invalid_fields(
            nul.into_iter()
                .map(|field| FieldViolation {
                    field,
                    description: "must not contain the NUL character (\\u0000)".into(),
                })
                .collect(),
        ));
    }
    // Path variables win over anything the body said.
    for (name, raw) in bound {
        let field = input
            .get_field_by_name(name)
            .ok_or_else(|| ApiError::internal(format!("path variable {name} has no field")))?;
        let value = scalar(&field.kind(), raw)
            .map_err(|rule| ApiError::invalid_field(name.clone(), rule))?;
        message.set_field(&field, value);
    }
    Ok(message)
}

/// The JSON paths of every text in `message` that holds a NUL.
fn nul_fields(message: &DynamicMessage, prefix: &str, out: &mut Vec<String>) {
    for (field, value) in message.fields() {
        let path = format!("{prefix}{}", field.json_name());
        match value {
            Value::String(text) if text.contains('\0') => out.push(path),
            Value::Message(inner) => nul_fields(inner, &format!("{path}."), out),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(text) if text.contains('\0') => {
                            out.push(format!("{path}[{i}]"))
                        }
                        Value::Message(inner) => nul_fields(inner, &format!("{path}[{i}]."), out),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

/// The field paths of a problem as the caller wrote them: the services name fields by their
/// proto names (`profession.nkz_code`), a REST caller by their JSON names
/// (`profession.nkzCode`); the detail says the same.
pub fn json_field_names(problem: &mut Problem) {
    for violation in &mut problem.violations {
        let json = json_path(&violation.field);
        if json != violation.field {
            problem.detail = problem
                .detail
                .replace(&format!("{}: ", violation.field), &format!("{json}: "));
            violation.field = json;
        }
    }
}

/// `rows[3].nkz_code` -> `rows[3].nkzCode`: each segment in lower camel case (the proto3 JSON
/// names), indexes kept.
pub fn json_path(path: &str) -> String {
    path.split('.')
        .map(|segment| {
            let mut out = String::with_capacity(segment.len());
            let mut upper = false;
            for c in segment.chars() {
                if c == '_' {
                    upper = true;
                } else if upper {
                    out.extend(c.to_uppercase());
                    upper = false;
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn parse_json(
    desc: &MessageDescriptor,
    body: &[u8],
    prefix: &str,
) -> Result<DynamicMessage, ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(DynamicMessage::new(desc.clone()));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let message = DynamicMessage::deserialize_with_options(
        desc.clone(),
        &mut deserializer,
        &DeserializeOptions::new(),
    )
    .map_err(|e| json_error(prefix, &e.to_string()))?;
    deserializer
        .end()
        .map_err(|e| json_error(prefix, &e.to_string()))?;
    Ok(message)
}

/// A JSON error as a field violation. serde messages name the field when one is at fault
/// ("unknown field `nkzCod`"), which is what the caller needs.
fn json_error(prefix: &str, message: &str) -> ApiError {
    let field = if prefix.is_empty() {
        "body".to_string()
    } else {
        prefix.trim_end_matches('.').to_string()
    };
    ApiError::invalid_fields(vec![FieldViolation {
        field,
        description: format!("is not valid JSON for this call: {message}"),
    }])
}

fn scalar(kind: &Kind, raw: &str) -> Result<Value, String> {
    let number = |what: &str| format!("must be {what}");
    Ok(match kind {
        Kind::String => Value::String(raw.to_string()),
        Kind::Bool => match raw {
            "true" | "1" | "" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err("must be true or false".into()),
        },
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::I32(raw.parse().map_err(|_| number("a whole number"))?)
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            Value::I64(raw.parse().map_err(|_| number("a whole number"))?)
        }
        Kind::Uint32 | Kind::Fixed32 => {
            Value::U32(raw.parse().map_err(|_| number("a whole number >= 0"))?)
        }
        Kind::Uint64 | Kind::Fixed64 => {
            Value::U64(raw.parse().map_err(|_| number("a whole number >= 0"))?)
        }
        Kind::Double => Value::F64(raw.parse().map_err(|_| number("a number"))?),
        Kind::Float => Value::F32(raw.parse().map_err(|_| number("a number"))?),
        Kind::Enum(e) => {
            // By name only, as the document states it: a number says nothing to a reader.
            let value = e.get_value_by_name(raw).ok_or_else(|| {
                let names: Vec<String> = e.values().map(|v| v.name().to_string()).collect();
                format!("must be one of {}", names.join(", "))
            })?;
            Value::EnumNumber(value.number())
        }
        Kind::Bytes | Kind::Message(_) => {
            return Err("cannot be set from the path or the query string".into())
        }
    })
}

/// A query-string component: '+' is a space, then %XX escapes.
fn url_decode(s: &str) -> String {
    crate::routes::percent_decode(&s.replace('+', " "))
}

/// Renders a reply as proto3 JSON, with default values included so clients see every field.
pub fn response_json(desc: MessageDescriptor, reply: &[u8]) -> Result<Vec<u8>, ApiError> {
    let message = DynamicMessage::decode(desc, reply)
        .map_err(|e| ApiError::internal(format!("upstream reply does not decode: {e}")))?;
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut out);
    message
        .serialize_with_options(
            &mut serializer,
            &SerializeOptions::new().skip_default_fields(false),
        )
        .map_err(|e| ApiError::internal(format!("cannot render reply: {e}")))?;
    Ok(out)
}

/// The problem document of an error, as an HTTP response.
pub fn problem_response(problem: &Problem) -> axum::response::Response {
    use axum::response::IntoResponse;
    let status = http::StatusCode::from_u16(problem.status)
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(http::header::CONTENT_TYPE, Problem::CONTENT_TYPE)],
        problem.to_json(),
    )
        .into_response()
}

/// A gRPC codec that passes encoded messages through untouched: the gateway encodes and
/// decodes with descriptors, not generated types.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = tonic::Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Self::Error> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Self::Error> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// Encodes a request message for the wire.
pub fn encode(message: &DynamicMessage) -> Bytes {
    Bytes::from(message.encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_path_reads_as_the_json_the_caller_sent() {
        assert_eq!(json_path("profession.nkz_code"), "profession.nkzCode");
        assert_eq!(json_path("rows[3].nkz_code"), "rows[3].nkzCode");
        assert_eq!(
            json_path("successors[0].scope[1]"),
            "successors[0].scope[1]"
        );
        assert_eq!(json_path("sick_leave.to"), "sickLeave.to");
        assert_eq!(json_path("id"), "id");
    }

    fn register_route() -> crate::routes::Route {
        let pool = prost_reflect::DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET).unwrap();
        crate::routes::load(&pool)
            .unwrap()
            .into_iter()
            .find(|r| r.grpc_path.ends_with("/RegisterProfession"))
            .unwrap()
    }

    // Fuzzing by property: whatever a caller sends as a query string or a body, the
    // transcoder answers a message or an error naming the problem; it never panics.
    proptest::proptest! {
        #[test]
        fn no_query_or_body_makes_the_transcoder_panic(
            query in "\\PC{0,80}",
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        ) {
            let route = register_route();
            let _ = request_message(&route, &[], Some(&query), &body);
        }

        #[test]
        fn no_json_shape_makes_the_transcoder_panic(body in "\\PC{0,120}") {
            let route = register_route();
            let _ = request_message(&route, &[], None, body.as_bytes());
        }

        #[test]
        fn percent_decoding_answers_every_text_and_keeps_text_without_escapes(raw in "\\PC{0,60}") {
            let decoded = crate::routes::percent_decode(&raw);
            if !raw.contains('%') {
                proptest::prop_assert_eq!(decoded, raw);
            }
        }
    }
}

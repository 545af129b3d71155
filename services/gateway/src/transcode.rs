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
            let value = e
                .get_value_by_name(raw)
                .or_else(|| raw.parse().ok().and_then(|n| e.get_value(n)))
                .ok_or_else(|| {
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

//! The OpenAPI 3 document, generated from the same annotations and descriptors as the routes.

use std::collections::BTreeMap;

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{json, Map, Value};

use crate::routes::{BodyMapping, Route};

pub fn document(routes: &[Route], access: &crate::access::Access) -> Value {
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut schemas: BTreeMap<String, Value> = BTreeMap::new();
    for route in routes {
        let input = route.input();
        let path_vars: Vec<&str> = route.path.variables().collect();
        let mut parameters: Vec<Value> = path_vars
            .iter()
            .map(|v| {
                // A path variable is never empty: its form, when it has one, without "not given".
                let schema = match crate::rules::Form::of(v) {
                    Some(form) => {
                        let pattern = form.pattern();
                        let given = format!("^{}$", &pattern[2..pattern.len() - 3]);
                        json!({"type": "string", "pattern": given, "description": form.rule()})
                    }
                    None => json!({"type": "string"}),
                };
                json!({"name": v, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        let body_field = match &route.body {
            BodyMapping::Field(f) => Some(f.as_str()),
            _ => None,
        };
        if route.body != BodyMapping::Whole {
            for field in input.fields() {
                let scalar_or_list = !matches!(field.kind(), Kind::Message(_));
                if scalar_or_list
                    && !path_vars.contains(&field.name())
                    && body_field != Some(field.name())
                {
                    parameters.push(json!({
                        "name": field.json_name(),
                        "in": "query",
                        "required": false,
                        "schema": field_schema(&field, Side::Request, &mut schemas),
                    }));
                }
            }
        }
        // A method answering google.api.HttpBody sends raw bytes (an image, a file), not JSON.
        let ok_content = if route.returns_http_body() {
            http_body_content(route.method.name())
        } else {
            json!({"application/json": {"schema": message_ref(&route.output(), Side::Response, &mut schemas)}})
        };
        let mut operation = json!({
            "operationId": route.method.name(),
            "tags": [route.service],
            "summary": doc_comment(&route.method),
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": ok_content,
                },
                "default": {
                    "description": "An error, as an RFC 9457 problem document",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                },
            },
        });
        let body_schema = match &route.body {
            BodyMapping::None => None,
            BodyMapping::Whole => Some(message_ref(&input, Side::Request, &mut schemas)),
            BodyMapping::Field(f) => input
                .get_field_by_name(f)
                .map(|field| field_schema(&field, Side::Request, &mut schemas)),
        };
        if let Some(schema) = body_schema {
            operation["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": schema}}});
        }
        // Who may call it, from the same table the gateway enforces.
        if let Some(crate::access::Allowed::Roles(roles)) = access.allowed(&route.grpc_path) {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            // A center's integration may use its API key instead of a token.
            operation["security"] = if roles.contains(&nsk_identity::Role::RecognitionCenter) {
                json!([{"bearer": []}, {"apiKey": []}])
            } else {
                json!([{"bearer": []}])
            };
            operation["x-roles"] = json!(names);
            operation["responses"]["401"] = json!({"description": "No valid token"});
            operation["responses"]["403"] =
                json!({"description": format!("The token's role is none of {}", names.join(", "))});
        }
        let path = openapi_path(route);
        paths
            .entry(path)
            .or_default()
            .insert(route.http_method.as_str().to_ascii_lowercase(), operation);
    }
    schemas.insert(
        "Problem".into(),
        json!({
            "type": "object",
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "code": {"type": "string"},
                "violations": {"type": "array", "items": {"type": "object", "properties": {
                    "field": {"type": "string"}, "description": {"type": "string"}}}},
            },
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "NSK Registry",
            "version": "v1",
            "description": "The digital registers of the national qualifications system: professions, \
                professional standards, accreditation of recognition centers, one-time vouchers, and \
                issued and cancelled documents. Reads of public registers need no token; changes need \
                a bearer token with the right role; a recognition center's integration may send its API key \
                in X-API-Key instead.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                    "description": "A recognition center's API key, nsk_<prefix>_<secret>, issued by the NCE"},
            },
        },
    })
}

fn openapi_path(route: &Route) -> String {
    // OpenAPI has no notion of custom verbs; the ":verb" suffix stays a literal part of the path.
    route.path.template.clone()
}

fn doc_comment(method: &prost_reflect::MethodDescriptor) -> String {
    method
        .parent_file()
        .file_descriptor_proto()
        .source_code_info
        .as_ref()
        .and_then(|info| {
            let path = method.path();
            info.location
                .iter()
                .find(|l| l.path == path)
                .map(|l| l.leading_comments().trim().to_string())
        })
        .unwrap_or_default()
}

/// Which way a message travels. A request's schema states the rules the gateway enforces
/// (forms, required fields, lengths, ranges); a response's states the types only, since what the
/// registers answer may predate a rule (a migrated document, a masked IIN). A message that
/// travels both ways (a profession registered and answered) has one schema each way, the
/// request's named `...Input`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

fn schema_name(desc: &MessageDescriptor, side: Side) -> String {
    let name = desc.full_name();
    match side {
        Side::Response => name.to_string(),
        Side::Request if desc.name().ends_with("Request") => name.to_string(),
        Side::Request => format!("{name}Input"),
    }
}

fn message_ref(
    desc: &MessageDescriptor,
    side: Side,
    schemas: &mut BTreeMap<String, Value>,
) -> Value {
    if let Some(wkt) = well_known(desc) {
        return wkt;
    }
    let name = schema_name(desc, side);
    if !schemas.contains_key(&name) {
        // Insert a placeholder first so that recursive messages terminate.
        schemas.insert(name.clone(), json!({}));
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in desc.fields() {
            properties.insert(
                field.json_name().to_string(),
                field_schema(&field, side, schemas),
            );
            if side == Side::Request && crate::rules::limits_of(&field).is_some_and(|l| l.required)
            {
                required.push(field.json_name().to_string());
            }
        }
        let mut schema = json!({"type": "object", "properties": properties});
        if !required.is_empty() {
            schema["required"] = json!(required);
        }
        schemas.insert(name.clone(), schema);
    }
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn well_known(desc: &MessageDescriptor) -> Option<Value> {
    match desc.full_name() {
        "google.protobuf.Timestamp" => Some(json!({"type": "string", "format": "date-time"})),
        "google.protobuf.Duration" => Some(json!({"type": "string"})),
        _ => None,
    }
}

fn field_schema(
    field: &FieldDescriptor,
    side: Side,
    schemas: &mut BTreeMap<String, Value>,
) -> Value {
    let form = match side {
        Side::Request => crate::rules::Form::of(field.name()),
        Side::Response => None,
    };
    let item = match field.kind() {
        Kind::String => match form {
            Some(form) => {
                json!({"type": "string", "pattern": form.pattern(), "description": form.rule()})
            }
            None => json!({"type": "string"}),
        },
        Kind::Bytes => json!({"type": "string", "format": "byte"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32 => {
            json!({"type": "integer", "format": "int32"})
        }
        // proto3 JSON writes 64-bit integers as strings.
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
            json!({"type": "string", "format": "int64"})
        }
        Kind::Float | Kind::Double => json!({"type": "number"}),
        Kind::Enum(e) => {
            json!({"type": "string", "enum": e.values().map(|v| v.name().to_string()).collect::<Vec<_>>()})
        }
        Kind::Message(m) => message_ref(&m, side, schemas),
    };
    let mut item = item;
    let limits = crate::rules::limits_of(field).filter(|_| side == Side::Request);
    if let (Some(limits), Some(schema)) = (limits, item.as_object_mut()) {
        if field.kind() == Kind::String {
            let min = limits.min_length.max(u32::from(limits.required));
            if min > 0 {
                schema.insert("minLength".into(), json!(min));
            }
            if let Some(max) = limits.max_length {
                schema.insert("maxLength".into(), json!(max));
            }
        }
        if let Some(lo) = limits.minimum {
            schema.insert("minimum".into(), json!(lo));
        }
        if let Some(hi) = limits.maximum {
            schema.insert("maximum".into(), json!(hi));
        }
        schema.insert("description".into(), json!(limits.rule()));
    }
    if field.is_list() {
        json!({"type": "array", "items": item})
    } else {
        item
    }
}

/// What a method answering google.api.HttpBody sends: bytes, except the platform's keys, a JSON
/// Web Key Set (`+json`, which clients and schemathesis parse).
fn http_body_content(method: &str) -> Value {
    match method {
        "GetCredentialKeys" => json!({"application/jwk-set+json": {"schema": {
            "type": "object",
            "required": ["keys"],
            "properties": {"keys": {"type": "array", "items": {
                "type": "object",
                "required": ["kty", "crv", "x", "kid"],
                "properties": {
                    "kty": {"type": "string"}, "crv": {"type": "string"},
                    "x": {"type": "string"}, "kid": {"type": "string"},
                    "alg": {"type": "string"}, "use": {"type": "string"}
                }
            }}}
        }}}),
        _ => json!({"*/*": {"schema": {"type": "string", "format": "binary"}}}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_the_register_routes_and_their_schemas() {
        let pool = prost_reflect::DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET).unwrap();
        let access = crate::access::Access::load(crate::access::MATRIX, &pool).unwrap();
        let doc = document(&crate::routes::load(&pool).unwrap(), &access);
        let post = &doc["paths"]["/v1/professions"]["post"];
        assert_eq!(post["operationId"], "RegisterProfession");
        assert_eq!(post["security"][0]["bearer"], json!([]));
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/nsk.professions.v1.ProfessionInput"
        );
        let profession =
            &doc["components"]["schemas"]["nsk.professions.v1.ProfessionInput"]["properties"];
        assert_eq!(profession["nkzCode"]["type"], "string");
        assert_eq!(profession["nqfLevels"]["type"], "array");
        // The request states the form it must have; the answer, which may be older than a rule,
        // states its type only.
        assert_eq!(profession["nkzCode"]["pattern"], "^([0-9]{8}|0)?$");
        let answered = &doc["components"]["schemas"]["nsk.professions.v1.Profession"]["properties"];
        assert_eq!(answered["nkzCode"], json!({"type": "string"}));
        let get = &doc["paths"]["/v1/professions"]["get"];
        assert!(get["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "pageSize"));
        assert!(get.get("security").is_none());
        // A read for some roles only says so too, with the roles.
        let documents = &doc["paths"]["/v1/documents"]["get"];
        assert_eq!(documents["security"][0]["bearer"], json!([]));
        assert_eq!(
            documents["x-roles"],
            json!([
                "recognition-center",
                "authorized-body-admin",
                "auditor",
                "candidate"
            ])
        );
        assert_eq!(post["x-roles"], json!(["authorized-body-admin"]));
        assert!(post["summary"].as_str().unwrap().contains("Art. 5.6"));
    }
}

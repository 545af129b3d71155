//! What a caller gets for a bad request at the gateway: the right status and a message that
//! names the problem, over REST and over gRPC.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

fn profession() -> Value {
    json!({
        "names": {"kk": "Крановщик", "ru": "Машинист крана", "en": "Crane operator"},
        "nkzCode": "83430001",
        "okedCode": "43990",
        "nqfLevels": [3],
        "documentValidityMonths": 36,
        "qualificationRequirementsApply": true,
        "inclusionBasis": {"number": "3", "date": "2026-01-20"}
    })
}

async fn post(platform: &Platform, token: Option<String>, body: &Value) -> (u16, Value) {
    let mut request = platform
        .http
        .post(platform.url("/v1/professions"))
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    let content_type = reply.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    let json: Value = reply.json().await.unwrap();
    if status >= 400 {
        assert_eq!(content_type, "application/problem+json");
    }
    (status, json)
}

#[tokio::test]
async fn malformed_requests_get_a_status_that_names_the_problem() {
    let platform = Platform::start("errors").await;
    let admin = Some(platform.token(&[Role::AuthorizedBodyAdmin]));

    // A missing field.
    let mut missing = profession();
    missing["names"].as_object_mut().unwrap().remove("en");
    let (status, problem) = post(&platform, admin.clone(), &missing).await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["code"], "INVALID_ARGUMENT");
    assert_eq!(problem["violations"][0]["field"], "profession.names.en");
    assert!(problem["violations"][0]["description"]
        .as_str()
        .unwrap()
        .contains("required"));

    // A bad NKZ code.
    let mut bad_code = profession();
    bad_code["nkzCode"] = json!("8343-01");
    let (status, problem) = post(&platform, admin.clone(), &bad_code).await;
    assert_eq!(status, 400, "{problem}");
    // Named as the caller wrote it (JSON), not as the service calls it (proto).
    assert_eq!(problem["violations"][0]["field"], "profession.nkzCode");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("must be 8 digits"),
        "{problem}"
    );

    // A field that does not exist (a typo).
    let mut typo = profession();
    typo["nkzCod"] = json!("83430001");
    let (status, problem) = post(&platform, admin.clone(), &typo).await;
    assert_eq!(status, 400, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("nkzCod"),
        "{problem}"
    );

    // No token.
    let (status, problem) = post(&platform, None, &profession()).await;
    assert_eq!(status, 401, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("Bearer"),
        "{problem}"
    );

    // A token that is not one.
    let (status, problem) = post(&platform, Some("abc.def.ghi".into()), &profession()).await;
    assert_eq!(status, 401, "{problem}");

    // The wrong role.
    let (status, problem) = post(
        &platform,
        Some(platform.token(&[Role::NceOfficer])),
        &profession(),
    )
    .await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["code"], "PERMISSION_DENIED");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("authorized-body-admin"),
        "{problem}"
    );

    // An unknown id and a malformed one.
    let reply = platform
        .http
        .get(platform.url("/v1/professions/0193f5f0-0000-7000-8000-000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);
    let reply = platform
        .http
        .get(platform.url("/v1/professions/not-an-id"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    let problem: Value = reply.json().await.unwrap();
    assert_eq!(problem["violations"][0]["field"], "id");

    // A route that does not exist.
    let reply = platform
        .http
        .get(platform.url("/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 404);

    // And the same request, well-formed, succeeds.
    let (status, created) = post(&platform, admin, &profession()).await;
    assert_eq!(status, 200, "{created}");
}

#[tokio::test]
async fn grpc_through_the_gateway_is_checked_the_same_way() {
    use nsk_proto::nsk::professions::v1 as pb;
    use nsk_proto::nsk::professions::v1::profession_registry_client::ProfessionRegistryClient;

    let platform = Platform::start("grpc").await;
    let channel = tonic::transport::Channel::from_shared(platform.gateway.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = ProfessionRegistryClient::new(channel);
    let request = pb::RegisterProfessionRequest {
        request_id: String::new(),
        profession: Some(pb::Profession {
            names: Some(nsk_proto::nsk::common::v1::LocalizedText {
                kk: "Электрик".into(),
                ru: "Электрик".into(),
                en: "Electrician".into(),
            }),
            nkz_code: "74110001".into(),
            oked_code: "43210".into(),
            nqf_levels: vec![4],
            document_validity_months: 60,
            qualification_requirements_apply: true,
            inclusion_basis: Some(nsk_proto::nsk::common::v1::BasisDocument {
                number: "5".into(),
                date: "2026-04-01".into(),
                title: String::new(),
            }),
            ..Default::default()
        }),
    };
    let anonymous = client
        .register_profession(request.clone())
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);

    let mut authorized = tonic::Request::new(request);
    let token = platform.token(&[Role::AuthorizedBodyAdmin]);
    authorized
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let created = client
        .register_profession(authorized)
        .await
        .unwrap()
        .into_inner();
    let read = client
        .get_profession(pb::GetProfessionRequest {
            id: created.id.clone(),
            as_of: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, created);
}

#[tokio::test]
async fn health_readiness_and_the_openapi_document_are_served() {
    let platform = Platform::start("meta").await;
    let health: Value = platform
        .http
        .get(platform.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let ready: Value = platform
        .http
        .get(platform.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["ready"], true);
    for service in nsk_config::SERVICES {
        assert_eq!(ready["services"][service], "serving", "{ready}");
    }
    let openapi: Value = platform
        .http
        .get(platform.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(openapi["openapi"], "3.0.3");
    assert!(openapi["paths"]["/v1/professions"]["post"].is_object());
    assert!(openapi["paths"]["/v1/verify/{serial_number}"]["get"].is_object());
}

#[tokio::test]
async fn grpc_reflection_lists_every_service_through_the_gateway() {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;

    let platform = Platform::start("reflect").await;
    let channel = tonic::transport::Channel::from_shared(platform.gateway.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().expect("one reply");
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("unexpected reply {reply:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "nsk.professions.v1.ProfessionRegistry",
        "nsk.standards.v1.StandardsService",
        "nsk.accreditation.v1.AccreditationService",
        "nsk.vouchers.v1.VoucherService",
        "nsk.documents.v1.DocumentRegistry",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn identifiers_and_dates_are_held_to_the_forms_the_document_states() {
    let platform = Platform::start("gw-forms").await;
    let center = nsk_e2e::walk::center_token("0042");
    // Every field out of form is named at once, by its JSON name, under the body's field
    // (`document`), as the service names its own violations.
    let document = json!({
        "holder": {"iin": "90010130003", "fullName": "Сейткали Айгерим"},
        "professionId": "not-an-id",
        "nqfLevel": 3,
        "procedureDate": "31.12.2026",
        "protocolNumber": "P-1",
        "protocolDate": "2026-12-31",
        "headOfCenter": "D. Omarov"
    });
    let reply = platform
        .http
        .post(platform.url("/v1/documents"))
        .bearer_auth(&center)
        .json(&document)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 400);
    let problem: Value = reply.json().await.unwrap();
    let mut fields: Vec<&str> = problem["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "document.holder.iin",
            "document.procedureDate",
            "document.professionId"
        ],
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("12 digits"),
        "{problem}"
    );
    // In the query string and the path too; an empty value is "not given", left to the service.
    let (status, _) = nsk_e2e::walk::call(
        &platform,
        Some(Role::AuthorizedBodyAdmin),
        "/v1/professions?asOf=2026-13",
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, reply) = nsk_e2e::walk::call(&platform, None, "/v1/centers/42", None).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["violations"][0]["field"], "centerNumber", "{reply}");
    let (status, reply) = nsk_e2e::walk::call(&platform, None, "/v1/professions?asOf=", None).await;
    assert_eq!(status, 200, "{reply}");
    // A request id, a region and a serial number, each in its form.
    let (status, reply) = nsk_e2e::walk::call(
        &platform,
        Some(Role::AuthorizedBodyAdmin),
        "/v1/documents/0192f5a4-1c2e-7d3a-9b1f-5e2d7c4a1b90:cancel",
        Some(&json!({"requestId": "cancel one", "reason": "court"})),
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["violations"][0]["field"], "requestId", "{reply}");
    let (status, reply) = nsk_e2e::walk::call(
        &platform,
        Some(Role::AuthorizedBodyAdmin),
        "/v1/vouchers?region=Almaty",
        None,
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["violations"][0]["field"], "region", "{reply}");
    assert!(
        reply["violations"][0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("almaty-region")),
        "{reply}"
    );
    let (status, reply) = nsk_e2e::walk::call(
        &platform,
        None,
        "/v1/verify/25110-72120001-9-201126-0042-1",
        None,
    )
    .await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["violations"][0]["field"], "serialNumber", "{reply}");
    // A well-formed serial the registry does not hold is unknown, not malformed.
    let (status, reply) = nsk_e2e::walk::call(
        &platform,
        None,
        "/v1/verify/25110-72120001-4-201126-0042-00000017",
        None,
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["status"], "DOCUMENT_STATUS_UNKNOWN", "{reply}");
    // The document says the same.
    let doc: Value = platform
        .http
        .get(platform.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // A holder sent with a document states the form; one answered (masked) states its type.
    let schemas = &doc["components"]["schemas"];
    let holder = &schemas["nsk.documents.v1.HolderInput"]["properties"]["iin"];
    assert_eq!(holder["pattern"], "^([0-9]{12})?$", "{holder}");
    let answered = &schemas["nsk.documents.v1.Holder"]["properties"]["iin"];
    assert_eq!(answered, &json!({"type": "string"}), "{answered}");
    let center_param = doc["paths"]["/v1/centers/{center_number}"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "center_number")
        .unwrap()
        .clone();
    assert_eq!(
        center_param["schema"]["pattern"], "^[0-9]{4}$",
        "{center_param}"
    );
}

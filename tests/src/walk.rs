//! Calls and walks shared by the cross-service tests, all through the gateway's REST API.

use std::time::Duration;

use nsk_identity::Role;
use serde_json::{json, Value};

use crate::Platform;

/// Today in Kazakhstan, the day the services stamp on what they do.
pub fn today() -> String {
    nsk_calendar::kazakhstan_date(chrono::Utc::now()).to_string()
}

/// GET (no body) or POST (a body) `path` as `role` (or anonymously): the status and the
/// JSON answered (`Null` when the answer is not JSON).
pub async fn call(
    platform: &Platform,
    role: Option<Role>,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let token = role.map(|role| platform.token(&[role]));
    call_as(platform, token.as_deref(), path, body).await
}

/// As [`call`], with the bearer `token` given (or none).
pub async fn call_as(
    platform: &Platform,
    token: Option<&str>,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let url = platform.url(path);
    let mut request = match body {
        Some(body) => platform.http.post(url).json(body),
        None => platform.http.get(url),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

/// A candidate's token: `subject` names the person (iin:<IIN> or doc:<country>:<number>).
pub fn candidate_token(subject: &str) -> String {
    nsk_runtime::testing::token(subject, &[Role::Candidate], None)
}

/// A recognition center's token, for center `number`.
pub fn center_token(number: &str) -> String {
    nsk_runtime::testing::token(
        &format!("center-{number}-system"),
        &[Role::RecognitionCenter],
        Some(number),
    )
}

/// POST as an NCE officer, expecting success.
pub async fn nce(platform: &Platform, path: &str, body: Value) -> Value {
    let (status, reply) = call(platform, Some(Role::NceOfficer), path, Some(&body)).await;
    assert_eq!(status, 200, "{path}: {reply}");
    reply
}

/// Registers a welder (levels 3 and 4, 60 months) with NKZ code `nkz`; returns its id.
pub async fn register_welder(platform: &Platform, nkz: &str) -> String {
    let (status, profession) = call(
        platform,
        Some(Role::AuthorizedBodyAdmin),
        "/v1/professions",
        Some(&json!({
            "names": {"kk": "Дәнекерлеуші", "ru": "Сварщик", "en": "Welder"},
            "nkzCode": nkz, "okedCode": "25110", "nqfLevels": [3, 4],
            "documentValidityMonths": 60, "qualificationRequirementsApply": true,
            "inclusionBasis": {"number": "12", "date": "2026-02-16"}
        })),
    )
    .await;
    assert_eq!(status, 200, "{profession}");
    profession["id"].as_str().unwrap().to_string()
}

/// An application of a welding center for `profession_id`, levels 3 and 4.
pub fn application(profession_id: &str) -> Value {
    let evidence: Vec<Value> = [
        "legal_entity",
        "premises_and_equipment",
        "qualification_programmes",
        "qualified_staff",
    ]
    .iter()
    .map(|c| json!({"criterion": c, "description": format!("{c}: documents attached")}))
    .collect();
    json!({
        "applicantBin": "971240001315",
        "applicantName": "Welding Qualification Center LLP",
        "founders": ["Steel Union LLP"],
        "premisesRight": "PREMISES_RIGHT_OWNERSHIP",
        "requestedScope": [{"professionId": profession_id, "nqfLevels": [3, 4]}],
        "evidence": evidence
    })
}

/// Takes an applicant for `profession_id` through every stage of Art. 23.2 to a certificate
/// and the agreement; returns the certificate.
pub async fn accredit(platform: &Platform, profession_id: &str) -> Value {
    accredit_center(platform, application(profession_id)).await
}

/// As [`accredit`], for the applicant `form` (see [`application`]).
pub async fn accredit_center(platform: &Platform, form: Value) -> Value {
    let filed = platform
        .eventually(
            Duration::from_secs(30),
            "accreditation hearing of the profession",
            || async {
                let body = form.clone();
                let (status, reply) = call(
                    platform,
                    Some(Role::NceOfficer),
                    "/v1/applications",
                    Some(&body),
                )
                .await;
                (status == 200).then_some(reply)
            },
        )
        .await;
    let id = filed["id"].as_str().unwrap().to_string();
    nce(
        platform,
        &format!("/v1/applications/{id}:recordExamination"),
        json!({"examiner": "B. Nurlanov"}),
    )
    .await;
    let report: Vec<Value> = [
        "legal_entity",
        "premises_and_equipment",
        "professions_in_register",
        "qualification_programmes",
        "qualified_staff",
    ]
    .iter()
    .map(|c| json!({"criterion": c, "met": true, "reasoning": "seen on site"}))
    .collect();
    nce(
        platform,
        &format!("/v1/applications/{id}:recordExamination"),
        json!({"onSite": true, "examiner": "B. Nurlanov", "assessments": report}),
    )
    .await;
    nce(
        platform,
        &format!("/v1/applications/{id}:decide"),
        json!({"accredit": true, "authorizedBodyCoordination": {"number": "MLSP-77", "date": today()}}),
    )
    .await;
    let certificate = nce(
        platform,
        &format!("/v1/applications/{id}:issueCertificate"),
        json!({}),
    )
    .await;
    nce(
        platform,
        &format!("/v1/applications/{id}:concludeAgreement"),
        json!({"agreement": {"number": "PA-1", "date": today()}}),
    )
    .await;
    certificate
}

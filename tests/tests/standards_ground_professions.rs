//! Professional standards and the register of professions, through real processes and the
//! gateway: a standard approved along Art. 5.5 can ground a profession; a draft cannot; when a
//! new version supersedes it, the professions resting on it are flagged for review, not changed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

async fn call(
    platform: &Platform,
    role: Option<Role>,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let url = platform.url(path);
    let mut request = match method {
        "GET" => platform.http.get(url),
        "PATCH" => platform.http.patch(url).json(body),
        _ => platform.http.post(url).json(body),
    };
    if let Some(role) = role {
        // The sectoral body and the council of the standard's sector (Art. 5.5).
        let token = match role {
            Role::SectoralBody | Role::IndustryCouncil => {
                nsk_runtime::testing::sector_token("e2e-user", role, "Manufacturing")
            }
            _ => platform.token(&[role]),
        };
        request = request.bearer_auth(token);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

fn welder_standard() -> Value {
    json!({
        "title": {"kk": "Дәнекерлеуші", "ru": "Сварщик", "en": "Welder"},
        "sector": "Manufacturing",
        "nkzCodes": ["72120005"],
        "nqfLevels": [3, 4],
        "labourFunctions": [{
            "title": "Manual arc welding",
            "knowledge": ["Welding safety"],
            "skills": ["Weld butt joints"],
            "competences": ["Works to the drawing"]
        }],
        "workExperienceRequirements": "One year",
        "educationRequirements": "Technical and vocational",
        "nonFormalEducationRecognised": true,
        "developerKind": "DEVELOPER_KIND_SECTORAL_BODY",
        "developerName": "Ministry of Industry"
    })
}

/// Takes the open version of standard `id` through every step of Art. 5.5, each by its party.
async fn approve(platform: &Platform, id: &str) -> Value {
    let steps = [
        ("STANDARD_STATUS_SUBMITTED", Role::SectoralBody),
        ("STANDARD_STATUS_NCE_CONCLUSION_RECORDED", Role::NceOfficer),
        (
            "STANDARD_STATUS_AGREED_BY_INDUSTRY_COUNCIL",
            Role::IndustryCouncil,
        ),
        (
            "STANDARD_STATUS_AGREED_BY_AUTHORIZED_BODY",
            Role::AuthorizedBodyAdmin,
        ),
        ("STANDARD_STATUS_APPROVED", Role::SectoralBody),
        ("STANDARD_STATUS_PUBLISHED", Role::AuthorizedBodyAdmin),
    ];
    let mut last = Value::Null;
    for (n, (to, role)) in steps.into_iter().enumerate() {
        let mut body = json!({
            "to": to,
            "document": {"number": format!("{}-{n}", &id[..8]), "date": "2026-11-18"}
        });
        if role == Role::NceOfficer {
            body["conclusion"] = json!("NCE_CONCLUSION_POSITIVE");
        }
        let (status, reply) = call(
            platform,
            Some(role),
            "POST",
            &format!("/v1/standards/{id}:advance"),
            &body,
        )
        .await;
        assert_eq!(status, 200, "{to}: {reply}");
        assert_eq!(reply["status"], to);
        last = reply;
    }
    last
}

fn profession_on(standard_id: &str, version: i32, nkz: &str) -> Value {
    json!({
        "names": {"kk": "Дәнекерлеуші", "ru": "Сварщик", "en": "Welder"},
        "nkzCode": nkz,
        "okedCode": "25110",
        "nqfLevels": [3, 4],
        "documentValidityMonths": 60,
        "standard": {"standardId": standard_id, "version": version},
        "inclusionBasis": {"number": "14", "date": "2026-11-19", "title": "Recommendation of the National council"}
    })
}

#[tokio::test]
async fn an_approved_standard_grounds_a_profession_and_its_successor_flags_it_for_review() {
    let platform = Platform::start("stdprof").await;
    let (status, created) = call(
        &platform,
        Some(Role::SectoralBody),
        "POST",
        "/v1/standards",
        &welder_standard(),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_string();

    // A draft is not in the list of approved standards: no profession may rest on it.
    let (status, refused) = call(
        &platform,
        Some(Role::AuthorizedBodyAdmin),
        "POST",
        "/v1/professions",
        &profession_on(&id, 1, "72120005"),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused.to_string().contains("profession.standard"),
        "{refused}"
    );

    let published = approve(&platform, &id).await;
    assert_eq!(published["version"], 1);
    // The public reads the list of approved standards without a token.
    let (status, public) = call(
        &platform,
        None,
        "GET",
        "/v1/standards?nkzCode=72120005",
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["standards"][0]["id"], id.as_str());

    // Once the register has heard of the publication, the profession may rest on version 1.
    let profession = platform
        .eventually(
            Duration::from_secs(30),
            "the register accepting the published standard",
            || async {
                let (status, reply) = call(
                    &platform,
                    Some(Role::AuthorizedBodyAdmin),
                    "POST",
                    "/v1/professions",
                    &profession_on(&id, 1, "72120005"),
                )
                .await;
                (status == 200).then_some(reply)
            },
        )
        .await;
    let profession_id = profession["id"].as_str().unwrap().to_string();

    // The sectoral body updates the standard: a new version, approved and published again.
    let (status, v2) = call(
        &platform,
        Some(Role::SectoralBody),
        "POST",
        &format!("/v1/standards/{id}:openNewVersion"),
        &json!({"reason": "new welding methods"}),
    )
    .await;
    assert_eq!(status, 200, "{v2}");
    assert_eq!(v2["version"], 2);
    let (status, updated) = call(
        &platform,
        Some(Role::SectoralBody),
        "PATCH",
        &format!("/v1/standards/{id}"),
        &json!({"standard": {"nqfLevels": [3, 4, 5]}, "updateMask": ["nqfLevels"]}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    approve(&platform, &id).await;

    // The profession is flagged for review, and is otherwise untouched.
    let flagged = platform
        .eventually(
            Duration::from_secs(30),
            "the profession being flagged for review",
            || async {
                let (status, reply) = call(
                    &platform,
                    None,
                    "GET",
                    "/v1/professions?needsReview=true",
                    &Value::Null,
                )
                .await;
                assert_eq!(status, 200, "{reply}");
                let listed = reply["professions"].as_array().cloned().unwrap_or_default();
                (!listed.is_empty()).then_some(listed)
            },
        )
        .await;
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0]["id"], profession_id.as_str());
    assert_eq!(
        flagged[0]["version"], "1",
        "the entry itself did not change"
    );
    assert_eq!(flagged[0]["standard"]["version"], 1);

    // Version 1 is still readable, as superseded, and the diff names what changed.
    let (status, v1) = call(
        &platform,
        None,
        "GET",
        &format!("/v1/standards/{id}?version=1"),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{v1}");
    assert_eq!(v1["status"], "STANDARD_STATUS_SUPERSEDED");
    let (status, diff) = call(
        &platform,
        None,
        "GET",
        &format!("/v1/standards/{id}:diff?fromVersion=1&toVersion=2"),
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{diff}");
    assert_eq!(
        diff["fields"],
        json!([{"field": "nqf_levels", "before": "3; 4", "after": "3; 4; 5"}])
    );

    // No new entry may rest on the superseded version.
    let (status, refused) = call(
        &platform,
        Some(Role::AuthorizedBodyAdmin),
        "POST",
        "/v1/professions",
        &profession_on(&id, 1, "72120006"),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused.to_string().contains("superseded by version 2"),
        "{refused}"
    );
}

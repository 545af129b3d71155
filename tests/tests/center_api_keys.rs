//! Machine credentials of recognition centers, through real processes and the gateway: the NCE
//! issues a center an API key (shown once, kept hashed); the center's system registers a
//! document with it in `X-API-Key`, acting for its own center and no other; a rotation hands
//! over to a new key; a revocation — by the NCE or by the center itself — stops a key within
//! the gateway's memory of it; the internal method that trades keys is not reachable from
//! outside.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use nsk_e2e::walk::{accredit_center, application, call, call_as, center_token, today};
use nsk_e2e::{walk::register_welder, Platform};
use nsk_identity::Role;
use serde_json::{json, Value};

/// A call with `key` in X-API-Key (and no token): status and JSON.
async fn with_key(
    platform: &Platform,
    key: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let url = platform.url(path);
    let request = match body {
        Some(body) => platform.http.post(url).json(body),
        None => platform.http.get(url),
    };
    let reply = request.header("x-api-key", key).send().await.unwrap();
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

fn document(profession_id: &str, protocol: &str) -> Value {
    json!({
        "holder": {"iin": "900101300037", "fullName": "Сейткали Айгерим Нурлановна"},
        "professionId": profession_id,
        "nqfLevel": 3,
        "procedureDate": today(),
        "protocolNumber": protocol,
        "protocolDate": today(),
        "headOfCenter": "D. Omarov"
    })
}

#[tokio::test]
async fn a_center_works_with_the_key_the_nce_issued_it_and_stops_when_it_is_revoked() {
    // The gateway remembers a checked key for half a second: a revocation bites within that.
    let platform =
        Platform::start_with("apikeys", &[("gateway", "NSK_API_KEY_CACHE_MS", "500")]).await;
    let profession_id = register_welder(&platform, "72120041").await;
    let first = accredit_center(&platform, application(&profession_id)).await;
    let mut other_form = application(&profession_id);
    other_form["applicantBin"] = json!("050440001239");
    other_form["applicantName"] = json!("Second Welding Center LLP");
    let second = accredit_center(&platform, other_form).await;
    let (center, other) = (
        first["centerNumber"].as_str().unwrap().to_string(),
        second["centerNumber"].as_str().unwrap().to_string(),
    );
    assert_ne!(center, other);

    // Only the NCE issues keys; a center cannot give itself one.
    let order = json!({"label": "exam system, production", "requestId": "key-1", "validDays": 90});
    let keys_path = format!("/v1/centers/{center}/api-keys");
    let (status, refused) = call_as(
        &platform,
        Some(&center_token(&center)),
        &keys_path,
        Some(&order),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    let (status, issued) = call(&platform, Some(Role::NceOfficer), &keys_path, Some(&order)).await;
    assert_eq!(status, 200, "{issued}");
    let key = issued["secret"].as_str().unwrap().to_string();
    let key_id = issued["key"]["id"].as_str().unwrap().to_string();
    let prefix = issued["key"]["prefix"].as_str().unwrap().to_string();
    assert!(key.starts_with(&format!("{prefix}_")), "{key} / {prefix}");
    assert_eq!(issued["key"]["status"], "API_KEY_STATUS_ACTIVE");
    assert_eq!(issued["key"]["centerNumber"], center.as_str());
    // A retry of the same request answers the same key, without showing the secret again.
    let (status, again) = call(&platform, Some(Role::NceOfficer), &keys_path, Some(&order)).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["key"]["id"], key_id.as_str());
    assert!(
        again["secret"].as_str().unwrap_or_default().is_empty(),
        "{again}"
    );
    // No center has a key for a center that is not in the register.
    let (status, missing) = call(
        &platform,
        Some(Role::NceOfficer),
        "/v1/centers/0999/api-keys",
        Some(&json!({"label": "x"})),
    )
    .await;
    assert_eq!(status, 404, "{missing}");
    // A bad lifetime is named by its field.
    let (status, bad) = call(
        &platform,
        Some(Role::NceOfficer),
        &keys_path,
        Some(&json!({"label": "x", "validDays": 400})),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["violations"][0]["field"], "validDays", "{bad}");

    // The center's system registers a document with its key, as its own center.
    let registered = platform
        .eventually(
            Duration::from_secs(30),
            "the registry hearing the center",
            || async {
                let (status, reply) = with_key(
                    &platform,
                    &key,
                    "/v1/documents",
                    Some(&document(&profession_id, "P-1")),
                )
                .await;
                // 409 until the registry hears the center's certificate.
                assert!(status == 200 || status == 409, "{status}: {reply}");
                (status == 200).then_some(reply)
            },
        )
        .await;
    assert_eq!(registered["centerNumber"], center.as_str(), "{registered}");
    // The key is its center's: it lists its own keys, never another center's.
    let (status, listed) = with_key(&platform, &key, &keys_path, None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["keys"].as_array().unwrap().len(), 1);
    assert!(
        !listed.to_string().contains(&key[13..]),
        "the secret was listed"
    );
    assert!(
        !listed.to_string().contains("argon2"),
        "the hash was listed"
    );
    let (status, foreign) = with_key(
        &platform,
        &key,
        &format!("/v1/centers/{other}/api-keys"),
        None,
    )
    .await;
    assert_eq!(status, 403, "{foreign}");

    // A key of the right form with a wrong secret, a key of no form, and two credentials at
    // once: 401, each saying what to send.
    let forged = format!("{prefix}_{}", "0".repeat(48));
    let (status, reply) = with_key(&platform, &forged, &keys_path, None).await;
    assert_eq!(status, 401, "{reply}");
    assert!(
        reply["detail"].as_str().unwrap().contains("not accepted"),
        "{reply}"
    );
    let (status, reply) = with_key(&platform, "let-me-in", &keys_path, None).await;
    assert_eq!(status, 401, "{reply}");
    let both = platform
        .http
        .get(platform.url(&keys_path))
        .header("x-api-key", &key)
        .bearer_auth(center_token(&center))
        .send()
        .await
        .unwrap();
    assert_eq!(both.status().as_u16(), 401);

    // Rotation with no overlap: the new key works, the old one stops.
    let (status, rotated) = call(
        &platform,
        Some(Role::NceOfficer),
        &format!("/v1/api-keys/{key_id}:rotate"),
        Some(&json!({"overlapDays": 0, "requestId": "rotate-1"})),
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let new_key = rotated["secret"].as_str().unwrap().to_string();
    let new_id = rotated["key"]["id"].as_str().unwrap().to_string();
    assert_eq!(rotated["key"]["label"], "exam system, production");
    let (status, _) = with_key(&platform, &new_key, &keys_path, None).await;
    assert_eq!(status, 200);
    platform
        .eventually(
            Duration::from_secs(5),
            "the rotated key stopping",
            || async {
                let (status, _) = with_key(&platform, &key, &keys_path, None).await;
                (status == 401).then_some(())
            },
        )
        .await;
    let (status, twice) = call(
        &platform,
        Some(Role::NceOfficer),
        &format!("/v1/api-keys/{key_id}:rotate"),
        Some(&json!({})),
    )
    .await;
    assert_eq!(status, 409, "a stopped key rotated again: {twice}");

    // Another center cannot revoke this center's key; the center itself can, with the key.
    let revoke = format!("/v1/api-keys/{new_id}:revoke");
    let (status, refused) = call_as(
        &platform,
        Some(&center_token(&other)),
        &revoke,
        Some(&json!({"reason": "not ours"})),
    )
    .await;
    assert_eq!(status, 403, "{refused}");
    let (status, revoked) = with_key(
        &platform,
        &new_key,
        &revoke,
        Some(&json!({"reason": "found in a build log"})),
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "API_KEY_STATUS_REVOKED");
    assert_eq!(revoked["revokeReason"], "found in a build log");
    platform
        .eventually(
            Duration::from_secs(5),
            "the revoked key stopping",
            || async {
                let (status, _) = with_key(
                    &platform,
                    &new_key,
                    "/v1/documents",
                    Some(&document(&profession_id, "P-2")),
                )
                .await;
                (status == 401).then_some(())
            },
        )
        .await;
    let (status, again) = call(
        &platform,
        Some(Role::NceOfficer),
        &revoke,
        Some(&json!({"reason": "again"})),
    )
    .await;
    assert_eq!(status, 409, "{again}");
    // The NCE's list shows the story: one revoked, one expired by its rotation, last use kept.
    let (status, listed) = call(&platform, Some(Role::NceOfficer), &keys_path, None).await;
    assert_eq!(status, 200, "{listed}");
    let statuses: Vec<&str> = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["API_KEY_STATUS_REVOKED", "API_KEY_STATUS_EXPIRED"]
    );
    assert!(!listed["keys"][1]["lastUsedAt"].as_str().unwrap().is_empty());
    assert_eq!(listed["keys"][1]["replacedBy"], new_id.as_str());
}

#[tokio::test]
async fn the_method_that_trades_keys_is_not_reachable_from_outside() {
    use nsk_proto::nsk::accreditation::v1 as pb;
    let platform = Platform::start("apikeys-internal").await;
    let channel = |url: String| {
        tonic::transport::Endpoint::from_shared(url)
            .unwrap()
            .connect_lazy()
    };
    let mut client = pb::center_keys_client::CenterKeysClient::new(channel(platform.url("")));
    let key = format!("nsk_0123abcd_{}", "0".repeat(48));
    // Through the gateway, even with an official's token.
    let mut request = tonic::Request::new(pb::AuthenticateApiKeyRequest {
        key: key.clone(),
        ..Default::default()
    });
    let token = platform.token(&[Role::NceOfficer]);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let status = client.authenticate_api_key(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
    // And at the service itself, bypassing the gateway.
    let direct = platform.service_url("accreditation");
    let mut client = pb::center_keys_client::CenterKeysClient::new(channel(direct));
    let status = client
        .authenticate_api_key(pb::AuthenticateApiKeyRequest {
            key,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
}

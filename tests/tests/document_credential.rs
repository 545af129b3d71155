//! A document as a signed credential, checked offline as an employer would (W3C VC 2.0 as
//! JOSE, EdDSA; the Bitstring Status List): the holder downloads it; `nsk-verify --refresh`
//! caches the platform's keys and the center's status list; offline, `nsk-verify` says VALID;
//! the document is cancelled and the very next status list fetched has its entry set; the
//! cached list, once older than its lifetime, gives "could not check the status" — never
//! "valid"; refreshed, NOT VALID. An altered credential is refused; another person does not get
//! the holder's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_e2e::seed::{public_data, HOLDER_IIN};
use nsk_e2e::walk::{call, candidate_token};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

async fn get(platform: &Platform, token: Option<&str>, path: &str) -> (u16, String, String) {
    let mut request = platform.http.get(platform.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status().as_u16();
    let kind = reply
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, kind, reply.text().await.unwrap())
}

/// Runs nsk-verify with `args`: its exit code and what it printed.
fn nsk_verify(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(nsk_e2e::binary("nsk-verify"))
        .args(args)
        .output()
        .expect("nsk-verify is built with the workspace's binaries");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn an_employer_verifies_the_credential_offline_and_a_cancellation_flips_its_status_entry() {
    let platform = Platform::start("credential").await;
    let data = public_data(&platform).await;
    let holder = candidate_token(&format!("iin:{HOLDER_IIN}"));
    let (status, kind, credential) = get(
        &platform,
        Some(&holder),
        &format!("/v1/documents/{}/credential", data.valid_id),
    )
    .await;
    assert_eq!(status, 200, "{credential}");
    assert_eq!(kind, "application/vc+jwt");
    let (status, _, _) = get(
        &platform,
        Some(&candidate_token("iin:880515400018")),
        &format!("/v1/documents/{}/credential", data.valid_id),
    )
    .await;
    assert_eq!(
        status, 404,
        "another person's credential does not exist for them"
    );

    // The platform's keys: the signing key and the one it replaced.
    let (status, kind, keys) = get(&platform, None, "/v1/credential-keys").await;
    assert_eq!(status, 200);
    assert_eq!(kind, "application/jwk-set+json");
    let jwks: Value = serde_json::from_str(&keys).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "{jwks}");
    let (header, vc) = nsk_credentials::verify(&credential, &jwks).unwrap();
    assert_eq!(header["typ"], "vc+jwt");
    assert_eq!(
        header["kid"], jwks["keys"][0]["kid"],
        "signed by the current key"
    );
    assert_eq!(
        vc["credentialSubject"]["qualification"]["serialNumber"],
        data.valid.as_str()
    );
    assert_eq!(vc["credentialStatus"]["type"], "BitstringStatusListEntry");
    let index: u64 = vc["credentialStatus"]["statusListIndex"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    // The employer caches the keys and the list, then checks offline.
    let dir = tempdir("credential");
    let cache = dir.join("cache");
    let file = dir.join("credential.jwt");
    std::fs::write(&file, &credential).unwrap();
    let (cache, file) = (cache.to_str().unwrap(), file.to_str().unwrap());
    let (code, out) = nsk_verify(&["--cache", cache, "--refresh", &platform.gateway, file]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = nsk_verify(&["--cache", cache, &data.valid]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("VALID") && out.contains("Сейткали Айгерим Нурлановна"),
        "{out}"
    );
    let mut altered = credential.clone().into_bytes();
    let at = altered.len() / 3;
    altered[at] = if altered[at] == b'x' { b'y' } else { b'x' };
    let forged = dir.join("forged.jwt");
    std::fs::write(&forged, &altered).unwrap();
    let (code, out) = nsk_verify(&["--cache", cache, forged.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("NOT VALID"), "{out}");

    // Cancelled: the next list fetched has the entry set.
    let (status, _) = call(
        &platform,
        Some(Role::AuthorizedBodyAdmin),
        &format!("/v1/documents/{}:cancel", data.valid_id),
        Some(&json!({
            "reason": "the court found the procedure void",
            "ground": "CANCELLATION_GROUND_COURT_DECISION",
            "basis": {"number": "2-3001/2026", "date": nsk_e2e::walk::today(), "title": "Decision"}
        })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, list) = get(
        &platform,
        None,
        &format!("/v1/status-lists/{}", data.center),
    )
    .await;
    assert_eq!(status, 200);
    let (_, list) = nsk_credentials::verify(&list, &jwks).unwrap();
    let encoded = list["credentialSubject"]["encodedList"].as_str().unwrap();
    assert!(
        nsk_credentials::bit_at(encoded, index).unwrap(),
        "entry {index} set"
    );
    let other: u64 = data.cancelled.rsplit('-').next().unwrap().parse().unwrap();
    assert!(
        nsk_credentials::bit_at(encoded, other).unwrap(),
        "the other cancelled one too"
    );
    assert!(!nsk_credentials::bit_at(encoded, index + 5).unwrap());
    let (status, _, _) = get(&platform, None, "/v1/status-lists/0999").await;
    assert_eq!(
        status, 404,
        "a center the registry does not know has no list"
    );

    // Offline, the employer's cached list is still within its lifetime: it says what it knew
    // then. Past its lifetime: "could not check", never "valid". Refreshed: not valid.
    let (code, out) = nsk_verify(&["--cache", cache, &data.valid]);
    assert_eq!(code, 0, "offline, within the list's five minutes: {out}");
    assert!(out.contains("status as of"), "{out}");
    let later = (chrono::Utc::now() + chrono::Duration::minutes(6)).to_rfc3339();
    let (code, out) = nsk_verify(&["--cache", cache, "--at", &later, &data.valid]);
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("COULD NOT CHECK THE STATUS"), "{out}");
    let (code, out) = nsk_verify(&["--cache", cache, "--refresh", &platform.gateway, file]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = nsk_verify(&["--cache", cache, &data.valid]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("NOT VALID: cancelled"), "{out}");
}

fn tempdir(label: &str) -> std::path::PathBuf {
    let dir = nsk_runtime::testing::workspace_root()
        .join("target/credentials")
        .join(format!("{label}-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

//! Staff tokens checked against an identity provider's JSON Web Key Set, served by a local
//! issuer over real HTTP: the keys are fetched at start, a key the provider adds is picked up
//! when a token first names it, a key it withdraws stops verifying, keys it keeps keep
//! verifying, and until a set arrives the answer is "retry" rather than "no".

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use nsk_errors::ErrorKind;
use nsk_identity::{dev, Role, TokenRequest, TokenSigner, TokenVerifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The JWK of an Ed25519 public key in PEM (SubjectPublicKeyInfo: the key is its last 32 bytes).
fn jwk(public_pem: &str, kid: &str) -> serde_json::Value {
    let pem = std::fs::read_to_string(root().join(public_pem)).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&der[der.len() - 32..]);
    serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig"})
}

/// A local issuer: answers every request with the set it holds now (or 500 while it has none).
async fn issuer(set: Arc<Mutex<Option<serde_json::Value>>>, fetches: Arc<Mutex<u32>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let set = set.clone();
            let fetches = fetches.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                *fetches.lock().unwrap() += 1;
                let current = set.lock().unwrap().clone();
                let reply = match current {
                    Some(set) => {
                        let body = set.to_string();
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    }
                    None => "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string(),
                };
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/realms/nsk/protocol/openid-connect/certs")
}

fn verifier(url: String) -> TokenVerifier {
    TokenVerifier::from_config(&nsk_config::AuthConfig {
        public_key_file: PathBuf::new(),
        issuer: "https://idp.test/realms/nsk".into(),
        audience: dev::AUDIENCE.into(),
        jwks_url: Some(url),
        jwks_refresh: Duration::from_secs(1),
        gateway_public_key_file: root().join(dev::GATEWAY_PUBLIC_KEY),
        gateway_issuer: dev::GATEWAY_ISSUER.into(),
    })
    .unwrap()
}

fn token(private_pem: &str, kid: Option<&str>) -> String {
    let mut signer = TokenSigner::from_pem_file(
        &root().join(private_pem),
        "https://idp.test/realms/nsk",
        dev::AUDIENCE,
    )
    .unwrap();
    if let Some(kid) = kid {
        signer = signer.with_key_id(kid);
    }
    signer
        .mint(&TokenRequest {
            subject: "officer-1".into(),
            roles: vec![Role::NceOfficer],
            ttl: Duration::from_secs(600),
            ..Default::default()
        })
        .unwrap()
}

async fn until<F: Fn() -> bool>(what: &str, f: F) {
    for _ in 0..100 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 10 s");
}

#[tokio::test]
async fn the_identity_providers_published_keys_verify_staff_tokens_through_a_rotation() {
    let set = Arc::new(Mutex::new(None));
    let fetches = Arc::new(Mutex::new(0));
    let url = issuer(set.clone(), fetches.clone()).await;
    let v = verifier(url);
    let old = token(dev::PRIVATE_KEY, Some("2026-a"));
    let new = token(dev::GATEWAY_PRIVATE_KEY, Some("2026-b"));

    // The issuer is down at start: "retry", never "valid" and never "forged".
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(v.verify(&old).unwrap_err().kind, ErrorKind::Unavailable);

    // It comes up with one key.
    *set.lock().unwrap() = Some(serde_json::json!({"keys": [jwk(dev::PUBLIC_KEY, "2026-a")]}));
    until("the first set", || v.verify(&old).is_ok()).await;
    let identity = v.verify(&old).unwrap();
    assert_eq!(identity.subject, "officer-1");
    assert!(identity.has(Role::NceOfficer));

    // A token signed by a key the provider does not publish (yet) is refused by name.
    let refused = v.verify(&new).unwrap_err();
    assert_eq!(refused.kind, ErrorKind::Unauthenticated);
    assert!(refused.message.contains("2026-b"), "{refused:?}");
    // A token that names no key, or names the published one but was signed by another, too.
    let unnamed = v.verify(&token(dev::PRIVATE_KEY, None)).unwrap_err();
    assert!(unnamed.message.contains("kid"), "{unnamed:?}");
    let forged = v
        .verify(&token(dev::GATEWAY_PRIVATE_KEY, Some("2026-a")))
        .unwrap_err();
    assert!(forged.message.contains("signature"), "{forged:?}");

    // The provider rotates: the new key is published beside the old one. Both verify.
    *set.lock().unwrap() = Some(serde_json::json!({"keys": [
        jwk(dev::PUBLIC_KEY, "2026-a"), jwk(dev::GATEWAY_PUBLIC_KEY, "2026-b")]}));
    until("the new key", || v.verify(&new).is_ok()).await;
    assert!(
        v.verify(&old).is_ok(),
        "the old key stopped while still published"
    );

    // The old key is withdrawn: tokens it signed stop verifying; the new key's go on.
    *set.lock().unwrap() =
        Some(serde_json::json!({"keys": [jwk(dev::GATEWAY_PUBLIC_KEY, "2026-b")]}));
    until("the old key withdrawn", || v.verify(&old).is_err()).await;
    assert!(v.verify(&new).is_ok());
    assert!(*fetches.lock().unwrap() >= 3);
}

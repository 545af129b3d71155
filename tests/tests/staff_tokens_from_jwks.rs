//! Staff sign in through the state's identity provider: the gateway and every service fetch
//! the provider's keys from its JWKS (served here by a local issuer over HTTP) and check the
//! same token with them — the gateway at the door, the service again behind it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use base64::Engine as _;
use nsk_e2e::walk::call_as;
use nsk_e2e::Platform;
use nsk_identity::{dev, Role, TokenRequest, TokenSigner};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ISSUER: &str = "https://idp.test/realms/nsk";

/// Serves the JWKS of the development key, as key "staff-2026".
async fn issuer() -> String {
    let pem = std::fs::read_to_string(nsk_runtime::testing::workspace_root().join(dev::PUBLIC_KEY))
        .unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&der[der.len() - 32..]);
    let set = serde_json::json!({"keys": [
        {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "staff-2026", "alg": "EdDSA", "use": "sig"}
    ]})
    .to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let set = set.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{set}",
                    set.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/certs")
}

fn staff_token(kid: Option<&str>) -> String {
    let root = nsk_runtime::testing::workspace_root();
    let mut signer =
        TokenSigner::from_pem_file(&root.join(dev::PRIVATE_KEY), ISSUER, dev::AUDIENCE).unwrap();
    if let Some(kid) = kid {
        signer = signer.with_key_id(kid);
    }
    signer
        .mint(&TokenRequest {
            subject: "officer-jwks".into(),
            roles: vec![Role::NceOfficer],
            ttl: Duration::from_secs(600),
            ..Default::default()
        })
        .unwrap()
}

#[tokio::test]
async fn the_gateway_and_the_services_check_staff_tokens_with_the_providers_published_keys() {
    let url = issuer().await;
    let mut env = Vec::new();
    for process in [
        "gateway",
        "professions",
        "standards",
        "accreditation",
        "vouchers",
        "documents",
    ] {
        env.push((process, "NSK_JWT_JWKS_URL", url.as_str()));
        env.push((process, "NSK_JWT_ISSUER", ISSUER));
    }
    let platform = Platform::start_with("jwks", &env).await;
    let good = staff_token(Some("staff-2026"));
    let reply = platform
        .eventually(Duration::from_secs(20), "the published keys", || async {
            let (status, reply) = call_as(&platform, Some(&good), "/v1/applications", None).await;
            assert!(status == 200 || status == 503, "{status}: {reply}");
            (status == 200).then_some(reply)
        })
        .await;
    assert!(
        reply.get("applications").is_some() || reply.as_object().is_some(),
        "{reply}"
    );
    // The same key without its id, and a key id the provider does not publish: 401.
    for token in [staff_token(None), staff_token(Some("staff-2019"))] {
        let (status, reply) = call_as(&platform, Some(&token), "/v1/applications", None).await;
        assert_eq!(status, 401, "{reply}");
    }
    // The service behind the gateway checks with its own copy of the keys: a call straight to
    // it with the good token gets through, a forged one does not.
    use nsk_proto::nsk::accreditation::v1 as pb;
    let channel = tonic::transport::Endpoint::from_shared(platform.service_url("accreditation"))
        .unwrap()
        .connect_lazy();
    let mut client = pb::accreditation_service_client::AccreditationServiceClient::new(channel);
    let mut request = tonic::Request::new(pb::ListApplicationsRequest::default());
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {good}").parse().unwrap());
    client.list_applications(request).await.unwrap();
    let mut request = tonic::Request::new(pb::ListApplicationsRequest::default());
    let forged = staff_token(Some("staff-2019"));
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {forged}").parse().unwrap());
    let status = client.list_applications(request).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
}

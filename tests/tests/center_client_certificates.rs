//! Mutual TLS for recognition centers, through real processes: the gateway serves TLS itself
//! and asks for client certificates from an authority; the NCE registers a center's
//! certificate; a connection presenting it acts for that center — registers a document as that
//! center, lists its own credentials and no other center's — until the NCE revokes it. A
//! certificate of the same authority that nobody registered is refused; one from another
//! authority fails the handshake; a connection without one reads the public registers.
//! Certificates are made for the test with the openssl command.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use nsk_e2e::walk::{accredit_center, application, call, register_welder, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A P-256 key and a certificate for `subject`, signed by the authority `ca` (its `ca.pem` and
/// `ca.key`), or self-signed when `ca` is `None`; `usage` is serverAuth or clientAuth.
fn certificate(dir: &Path, name: &str, subject: &str, ca: Option<&str>, usage: &str) {
    let key = format!("{name}.key");
    let pem = format!("{name}.pem");
    let ext = format!("{name}.ext");
    let san = if usage == "serverAuth" {
        "subjectAltName=IP:127.0.0.1\n"
    } else {
        ""
    };
    std::fs::write(dir.join(&ext), format!("{san}extendedKeyUsage={usage}\n")).unwrap();
    match ca {
        Some(ca) => {
            let csr = format!("{name}.csr");
            openssl(
                dir,
                &[
                    "req",
                    "-new",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    &key,
                    "-out",
                    &csr,
                    "-subj",
                    subject,
                ],
            );
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    &format!("{ca}.pem"),
                    "-CAkey",
                    &format!("{ca}.key"),
                    "-CAcreateserial",
                    "-out",
                    &pem,
                    "-days",
                    "30",
                    "-extfile",
                    &ext,
                ],
            );
        }
        None => openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &pem,
                "-subj",
                subject,
                "-days",
                "30",
                "-addext",
                &format!("extendedKeyUsage={usage}"),
            ],
        ),
    }
}

/// The SHA-256 fingerprint openssl computes, as 64 lowercase hex digits.
fn fingerprint(dir: &Path, name: &str) -> String {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args([
            "x509",
            "-in",
            &format!("{name}.pem"),
            "-noout",
            "-fingerprint",
            "-sha256",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "")
        .to_ascii_lowercase()
}

fn credentials() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "nsk-mtls-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    // The authority centers' certificates come from, which signs the gateway's too.
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/O=NSK test authority",
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    certificate(&dir, "server", "/CN=127.0.0.1", Some("ca"), "serverAuth");
    certificate(
        &dir,
        "center",
        "/O=Welding Qualification Center LLP/CN=exam system",
        Some("ca"),
        "clientAuth",
    );
    certificate(
        &dir,
        "stranger",
        "/O=Not registered/CN=x",
        Some("ca"),
        "clientAuth",
    );
    certificate(
        &dir,
        "rogue",
        "/O=Another authority/CN=x",
        None,
        "clientAuth",
    );
    dir
}

/// A client of the gateway that presents `name`'s certificate (or none) and trusts the authority.
fn client(dir: &Path, name: Option<&str>) -> reqwest::Client {
    let ca = std::fs::read(dir.join("ca.pem")).unwrap();
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap());
    if let Some(name) = name {
        let mut pem = std::fs::read(dir.join(format!("{name}.pem"))).unwrap();
        pem.extend(std::fs::read(dir.join(format!("{name}.key"))).unwrap());
        builder = builder.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    builder.build().unwrap()
}

async fn send(
    client: &reqwest::Client,
    platform: &Platform,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let url = platform.url(path);
    let request = match body {
        Some(body) => client.post(url).json(body),
        None => client.get(url),
    };
    let reply = request.send().await.expect("the gateway answers");
    let status = reply.status().as_u16();
    (status, reply.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_center_acts_through_the_client_certificate_the_nce_registered_until_it_is_revoked() {
    let dir = credentials();
    let file = |name: &str| dir.join(name).display().to_string();
    let (cert, key, ca) = (file("server.pem"), file("server.key"), file("ca.pem"));
    let platform = Platform::start_with(
        "mtls",
        &[
            ("gateway", "NSK_TLS_CERT_FILE", &cert),
            ("gateway", "NSK_TLS_KEY_FILE", &key),
            ("gateway", "NSK_TLS_CLIENT_CA_FILE", &ca),
            ("gateway", "NSK_API_KEY_CACHE_MS", "500"),
        ],
    )
    .await;
    assert!(platform.gateway.starts_with("https://"));
    let profession_id = register_welder(&platform, "72120043").await;
    let first = accredit_center(&platform, application(&profession_id)).await;
    let mut other_form = application(&profession_id);
    other_form["applicantBin"] = json!("050440001239");
    other_form["applicantName"] = json!("Second Welding Center LLP");
    let second = accredit_center(&platform, other_form).await;
    let center = first["centerNumber"].as_str().unwrap().to_string();
    let other = second["centerNumber"].as_str().unwrap().to_string();

    // The NCE registers the center's certificate; the answer names its fingerprint.
    let pem = std::fs::read_to_string(dir.join("center.pem")).unwrap();
    let order = json!({"label": "exam system", "certificatePem": pem, "requestId": "crt-1"});
    let path = format!("/v1/centers/{center}/client-certificates");
    let (status, registered) = call(&platform, Some(Role::NceOfficer), &path, Some(&order)).await;
    assert_eq!(status, 200, "{registered}");
    let sha = fingerprint(&dir, "center");
    assert_eq!(registered["kind"], "API_KEY_KIND_CLIENT_CERTIFICATE");
    assert_eq!(registered["certificateSha256"], sha.as_str());
    assert_eq!(registered["prefix"], format!("crt_{}", &sha[..8]));
    let credential = registered["id"].as_str().unwrap().to_string();
    // Registered once: the same certificate for another center is refused.
    let again = json!({"label": "x", "certificatePem": pem});
    let (status, twice) = call(
        &platform,
        Some(Role::NceOfficer),
        &format!("/v1/centers/{other}/client-certificates"),
        Some(&again),
    )
    .await;
    assert_eq!(status, 409, "{twice}");
    assert!(
        twice["detail"].as_str().unwrap().contains(&center),
        "{twice}"
    );
    // What is not a certificate is named by its field.
    let (status, bad) = call(
        &platform,
        Some(Role::NceOfficer),
        &path,
        Some(&json!({"label": "x", "certificatePem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"})),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["violations"][0]["field"], "certificatePem", "{bad}");
    // A certificate is not rotated.
    let (status, rotated) = call(
        &platform,
        Some(Role::NceOfficer),
        &format!("/v1/api-keys/{credential}:rotate"),
        Some(&json!({})),
    )
    .await;
    assert_eq!(status, 409, "{rotated}");

    // The center's system, presenting its certificate, registers a document as its center.
    let by_center = client(&dir, Some("center"));
    let document = json!({
        "holder": {"iin": "900101300037", "fullName": "Сейткали Айгерим Нурлановна"},
        "professionId": profession_id,
        "nqfLevel": 3,
        "procedureDate": today(),
        "protocolNumber": "P-1",
        "protocolDate": today(),
        "headOfCenter": "D. Omarov"
    });
    let issued = platform
        .eventually(
            Duration::from_secs(30),
            "the registry hearing the center",
            || async {
                let (status, reply) =
                    send(&by_center, &platform, "/v1/documents", Some(&document)).await;
                assert!(status == 200 || status == 409, "{status}: {reply}");
                (status == 200).then_some(reply)
            },
        )
        .await;
    assert_eq!(issued["centerNumber"], center.as_str(), "{issued}");
    // It lists its own credentials, with the certificate's last use; never another center's.
    let (status, listed) = send(
        &by_center,
        &platform,
        &format!("/v1/centers/{center}/api-keys"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["keys"][0]["certificateSha256"],
        sha.as_str(),
        "{listed}"
    );
    assert!(
        !listed["keys"][0]["lastUsedAt"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{listed}"
    );
    let (status, refused) = send(
        &by_center,
        &platform,
        &format!("/v1/centers/{other}/api-keys"),
        None,
    )
    .await;
    assert_eq!(status, 403, "{refused}");

    // A certificate of the same authority that the NCE did not register speaks for nobody.
    let stranger = client(&dir, Some("stranger"));
    let (status, unknown) = send(
        &stranger,
        &platform,
        &format!("/v1/centers/{center}/api-keys"),
        None,
    )
    .await;
    assert_eq!(status, 401, "{unknown}");
    assert!(
        unknown["detail"]
            .as_str()
            .unwrap()
            .contains("not registered"),
        "{unknown}"
    );
    // One from another authority does not get through the handshake.
    let rogue = client(&dir, Some("rogue"));
    assert!(rogue
        .get(platform.url("/v1/professions"))
        .send()
        .await
        .is_err());
    // Without a certificate, the public reads over TLS, told to keep to https.
    let public = client(&dir, None);
    let reply = public
        .get(platform.url("/v1/professions"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status().as_u16(), 200);
    assert!(reply.headers().contains_key("strict-transport-security"));

    // Revoked by the NCE, the certificate stops within the gateway's memory of it.
    let (status, revoked) = call(
        &platform,
        Some(Role::NceOfficer),
        &format!("/v1/api-keys/{credential}:revoke"),
        Some(&json!({"reason": "the center's private key was lost"})),
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "API_KEY_STATUS_REVOKED");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (status, stopped) = send(
        &by_center,
        &platform,
        &format!("/v1/centers/{center}/api-keys"),
        None,
    )
    .await;
    assert_eq!(status, 401, "{stopped}");
    std::fs::remove_dir_all(&dir).ok();
}

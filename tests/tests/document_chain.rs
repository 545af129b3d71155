//! The whole chain through real processes and the gateway: a profession is registered, a
//! center accredited; the center registers a document; anyone verifies it, fetches its QR code
//! and the open data; the NCE revokes the center's certificate on ground 4 naming that
//! document; verification then answers "cancelled", with the date and the reason.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use nsk_e2e::walk::{accredit, accredit_center, application, call, nce, register_welder, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

fn center_token() -> String {
    token_of("0001")
}

fn token_of(center: &str) -> String {
    nsk_e2e::walk::center_token(center)
}

#[tokio::test]
async fn a_document_issued_by_a_center_is_cancelled_when_its_certificate_is_revoked_on_ground_4() {
    let platform = Platform::start("docchain").await;
    let profession_id = register_welder(&platform, "72120010").await;
    let certificate = accredit(&platform, &profession_id).await;
    let certificate_id = certificate["id"].as_str().unwrap().to_string();

    // The center registers the document once the registry has heard of it and its profession.
    let document = json!({
        "holder": {"iin": "900101300037", "fullName": "Сейткали Айгерим Нурлановна"},
        "professionId": profession_id,
        "nqfLevel": 4,
        "procedureDate": today(),
        "protocolNumber": "P-17",
        "protocolDate": today(),
        "headOfCenter": "K. Abenov"
    });
    let issued: Value = platform
        .eventually(
            Duration::from_secs(30),
            "the registry accepting the center's document",
            || async {
                let reply = platform
                    .http
                    .post(platform.url("/v1/documents"))
                    .bearer_auth(center_token())
                    .json(&document)
                    .send()
                    .await
                    .unwrap();
                let ok = reply.status().is_success();
                let body: Value = reply.json().await.unwrap();
                ok.then_some(body)
            },
        )
        .await;
    let serial = issued["serialNumber"].as_str().unwrap().to_string();
    let ddmmyy = chrono::NaiveDate::parse_from_str(&today(), "%Y-%m-%d")
        .unwrap()
        .format("%d%m%y")
        .to_string();
    assert_eq!(serial, format!("25110-72120010-4-{ddmmyy}-0001-00000001"));

    let (status, verified) = call(&platform, None, &format!("/v1/verify/{serial}"), None).await;
    assert_eq!(status, 200, "{verified}");
    assert_eq!(verified["status"], "DOCUMENT_STATUS_VALID");
    assert_eq!(verified["centerName"], "Welding Qualification Center LLP");
    assert_eq!(verified["holderMasked"], "С. А. Н.");
    assert!(
        !verified.to_string().contains("900101300037"),
        "never the IIN: {verified}"
    );
    let (status, malformed) = call(
        &platform,
        None,
        "/v1/verify/25110-72120010-9-201126-0001-00000001",
        None,
    )
    .await;
    assert_eq!(status, 400, "{malformed}");
    assert!(
        malformed.to_string().contains("part 3, the NQF level"),
        "{malformed}"
    );

    // The QR code, as PNG and SVG.
    let png = platform
        .http
        .get(platform.url(&format!("/v1/verify/{serial}/qr")))
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let bytes = png.bytes().await.unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let svg = platform
        .http
        .get(platform.url(&format!("/v1/verify/{serial}/qr?format=svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().contains("<svg"));

    // Open data: CSV and JSON lines, no personal data.
    let csv = platform
        .http
        .get(platform.url("/v1/open-data/documents"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("serial_number,profession_id"), "{csv}");
    assert!(lines[1].starts_with(&serial), "{csv}");
    assert!(
        !csv.contains("900101300037") && !csv.contains("Сейткали"),
        "{csv}"
    );
    let json_lines = platform
        .http
        .get(platform.url("/v1/open-data/documents?format=json"))
        .send()
        .await
        .unwrap();
    let row: Value =
        serde_json::from_str(json_lines.text().await.unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(row["serial_number"], serial.as_str());
    assert_eq!(row["status"], "valid");
    assert_eq!(row["nqf_level"], 4);
    assert!(row["cancelled_on"].is_null());

    // A second center issues a document of its own.
    let mut second = application(&profession_id);
    second["applicantBin"] = json!("940140000385");
    second["applicantName"] = json!("Second Center LLP");
    accredit_center(&platform, second).await;
    let foreign: Value = platform
        .eventually(
            Duration::from_secs(30),
            "the registry accepting the second center's document",
            || async {
                let reply = platform
                    .http
                    .post(platform.url("/v1/documents"))
                    .bearer_auth(token_of("0002"))
                    .json(&document)
                    .send()
                    .await
                    .unwrap();
                let ok = reply.status().is_success();
                let body: Value = reply.json().await.unwrap();
                ok.then_some(body)
            },
        )
        .await;
    let foreign = foreign["serialNumber"].as_str().unwrap().to_string();
    assert!(foreign.contains("-0002-00000001"), "{foreign}");

    // Art. 26.2.4: the revocation of center 0001 may not name 0002's document, once
    // accreditation has heard of both.
    let revoke = |serials: Vec<&str>| {
        json!({
            "ground": "REVOCATION_GROUND_CONFIRMED_COMPLAINTS",
            "basis": {"number": "NCE-R-9", "date": today(), "title": "Complaint of the employer, confirmed"},
            "documentSerialNumbers": serials,
            "eventDetectedOn": today()
        })
    };
    let refused = platform
        .eventually(
            Duration::from_secs(30),
            "accreditation refusing another center's document",
            || async {
                let (status, reply) = call(
                    &platform,
                    Some(Role::NceOfficer),
                    &format!("/v1/certificates/{certificate_id}:revoke"),
                    Some(&revoke(vec![&serial, &foreign])),
                )
                .await;
                assert_ne!(
                    status, 200,
                    "revoked naming another center's document: {reply}"
                );
                reply
                    .to_string()
                    .contains("issued at center 0002")
                    .then_some((status, reply))
            },
        )
        .await;
    assert_eq!(refused.0, 400, "{}", refused.1);
    assert!(
        refused.1.to_string().contains("documentSerialNumbers[1]")
            || refused.1.to_string().contains("document_serial_numbers[1]"),
        "{}",
        refused.1
    );

    // Ground 4: complaints against the holder confirmed; the document is named.
    nce(
        &platform,
        &format!("/v1/certificates/{certificate_id}:revoke"),
        revoke(vec![&serial]),
    )
    .await;
    let cancelled = platform
        .eventually(
            Duration::from_secs(30),
            "verification answering cancelled",
            || async {
                let (_, v) = call(&platform, None, &format!("/v1/verify/{serial}"), None).await;
                (v["status"] == "DOCUMENT_STATUS_CANCELLED").then_some(v)
            },
        )
        .await;
    assert_eq!(cancelled["cancellation"]["cancelledOn"], today());
    assert!(
        cancelled["cancellation"]["reason"]
            .as_str()
            .unwrap()
            .contains("Art. 26.2.4"),
        "{cancelled}"
    );
    assert_eq!(cancelled["cancellation"]["basis"]["number"], "NCE-R-9");
    let (_, public) = call(
        &platform,
        None,
        "/v1/cancelled-documents?centerNumber=0001",
        None,
    )
    .await;
    assert_eq!(public["documents"][0]["serialNumber"], serial.as_str());
    assert_eq!(
        cancelled["cancellation"]["ground"],
        "CANCELLATION_GROUND_REVOCATION_ON_COMPLAINTS"
    );
    let (_, still) = call(&platform, None, &format!("/v1/verify/{foreign}"), None).await;
    assert_eq!(still["status"], "DOCUMENT_STATUS_VALID", "{still}");
}

//! A recognition center accredited under conformity-assessment law (Art. 17.1), through real
//! processes and the gateway: the authorized body enters the accreditation body's certificate;
//! the center gets a number and registers a document like any other; the NCE does not revoke
//! what it did not issue.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use nsk_e2e::walk::{call, call_as, center_token, register_welder, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::json;

#[tokio::test]
async fn a_center_accredited_by_the_accreditation_body_registers_documents_like_the_others() {
    let platform = Platform::start("conformity").await;
    let profession_id = register_welder(&platform, "72120031").await;
    let entry = json!({
        "bin": "050440001239",
        "name": "Industrial Testing Laboratory LLP",
        "founders": ["Testing Holding LLP"],
        "accreditationCertificateNumber": "KZ.T.02.0412",
        "validFrom": "2025-03-01",
        "validUntil": "2030-02-28",
        "scope": [{"professionId": profession_id, "nqfLevels": [3, 4]}],
        "basis": {"number": "AB-77", "date": "2025-03-01", "title": "Accreditation body's decision"}
    });
    // Only the authorized body enters it.
    let (status, denied) = call(
        &platform,
        Some(Role::NceOfficer),
        "/v1/conformity-centers",
        Some(&entry),
    )
    .await;
    assert_eq!(status, 403, "{denied}");
    let certificate = platform
        .eventually(
            Duration::from_secs(30),
            "accreditation hearing of the profession",
            || async {
                let (status, reply) = call(
                    &platform,
                    Some(Role::AuthorizedBodyAdmin),
                    "/v1/conformity-centers",
                    Some(&entry),
                )
                .await;
                assert!(status == 200 || status == 400, "{reply}");
                (status == 200).then_some(reply)
            },
        )
        .await;
    assert_eq!(
        certificate["route"],
        "ACCREDITATION_ROUTE_CONFORMITY_ASSESSMENT"
    );
    assert_eq!(certificate["centerNumber"], "0001");
    assert_eq!(certificate["serialNumber"], "KZ.T.02.0412");
    assert_eq!(certificate["status"], "CERTIFICATE_STATUS_ACTIVE");
    let (status, again) = call(
        &platform,
        Some(Role::AuthorizedBodyAdmin),
        "/v1/conformity-centers",
        Some(&entry),
    )
    .await;
    assert_eq!(status, 409, "the same certificate twice: {again}");

    // The center registers a document for a procedure it held today.
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
            "the registry accepting the center's document",
            || async {
                let token = center_token("0001");
                let (status, reply) =
                    call_as(&platform, Some(&token), "/v1/documents", Some(&document)).await;
                (status == 200).then_some(reply)
            },
        )
        .await;
    assert!(
        issued["serialNumber"]
            .as_str()
            .unwrap()
            .contains("-0001-00000001"),
        "{issued}"
    );
    assert_eq!(issued["centerName"], "Industrial Testing Laboratory LLP");

    // The NCE revokes what it issued, not this.
    let id = certificate["id"].as_str().unwrap();
    let (status, refused) = call(
        &platform,
        Some(Role::NceOfficer),
        &format!("/v1/certificates/{id}:revoke"),
        Some(&json!({
            "ground": "REVOCATION_GROUND_PROCEDURE_VIOLATION",
            "basis": {"number": "NCE-R-1", "date": today()},
            "eventDetectedOn": today()
        })),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused.to_string().contains("Art. 17.1"), "{refused}");
}

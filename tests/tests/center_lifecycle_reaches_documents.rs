//! A recognition center's lifecycle through real processes and the gateway: a profession is
//! registered; an NCE officer takes an applicant through the stages of Art. 23.2 to a
//! certificate; revokes it on ground 4 for a safety violation, naming a document; renewal is
//! refused and the center is listed as not subject to renewal; the documents registry's read
//! model follows every status change and holds the document to cancel.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use nsk_e2e::walk::{accredit, call, nce, register_welder, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

/// The documents registry's view of center 0001, once `ready` holds for it.
async fn registry_view(platform: &Platform, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    platform
        .eventually(Duration::from_secs(30), what, || async {
            let (status, view) =
                call(platform, None, "/v1/document-registry/centers/0001", None).await;
            (status == 200 && ready(&view)).then_some(view)
        })
        .await
}

#[tokio::test]
async fn a_center_accredited_then_revoked_on_ground_4_reaches_the_documents_registry() {
    let platform = Platform::start("center").await;
    let profession_id = register_welder(&platform, "72120009").await;
    let certificate = accredit(&platform, &profession_id).await;
    assert_eq!(certificate["centerNumber"], "0001");
    let certificate_id = certificate["id"].as_str().unwrap().to_string();

    let active = registry_view(&platform, "the registry learning of the certificate", |v| {
        v["activeCertificateId"] == certificate_id.as_str()
    })
    .await;
    assert_eq!(
        active["certificates"][0]["statuses"],
        json!([{"status": "active", "since": today()}])
    );

    // Ground 4, a safety violation, one document confirmed in complaints.
    let serial = "25110-72120009-4-201126-0001-00000001";
    let revoked = nce(
        &platform,
        &format!("/v1/certificates/{certificate_id}:revoke"),
        json!({
            "ground": "REVOCATION_GROUND_CONFIRMED_COMPLAINTS",
            "basis": {"number": "NCE-R-5", "date": today(), "title": "Complaint of the employer, confirmed"},
            "documentSerialNumbers": [serial],
            "concernsHealthOrSafety": true,
            "eventDetectedOn": today()
        }),
    )
    .await;
    assert_eq!(revoked["status"], "CERTIFICATE_STATUS_REVOKED");

    let (status, refused) = call(
        &platform,
        Some(Role::NceOfficer),
        &format!("/v1/certificates/{certificate_id}:renew"),
        Some(&json!({"basis": {"number": "C-9", "date": today()}})),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused.to_string().contains("not subject to renewal"),
        "{refused}"
    );
    let (status, listed) = call(&platform, None, "/v1/centers?notRenewableOnly=true", None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["centers"][0]["centerNumber"], "0001");
    assert_eq!(listed["centers"][0]["founders"], json!(["Steel Union LLP"]));

    let revoked_view = registry_view(&platform, "the registry learning of the revocation", |v| {
        v["certificates"][0]["statuses"]
            .as_array()
            .is_some_and(|s| s.len() == 2)
    })
    .await;
    assert_eq!(
        revoked_view["certificates"][0]["statuses"][1]["status"],
        "revoked"
    );
    assert!(
        revoked_view
            .get("activeCertificateId")
            .is_none_or(|v| v == ""),
        "{revoked_view}"
    );
    assert_eq!(revoked_view["documentsToCancel"], json!([serial]));
}

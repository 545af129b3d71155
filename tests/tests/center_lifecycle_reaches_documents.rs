//! A recognition center's lifecycle through real processes and the gateway: a profession is
//! registered; an NCE officer takes an applicant through the stages of Art. 23.2 to a
//! certificate; the center registers a document; the officer revokes the certificate on ground
//! 4 for a safety violation, naming that document (accreditation knows it from the registry's
//! events); the center reads the copy of the decision on the platform (Art. 26.4), the public
//! sees the register without the case (Art. 23.3.1); renewal is refused and the center is
//! listed as not subject to renewal; the documents registry's read model follows every status
//! change and holds the document to cancel.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use nsk_e2e::walk::{accredit, call, call_as, center_token, register_welder, today};
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

    // The center registers a document, once the registry has heard of it.
    let document = json!({
        "holder": {"iin": "900101300037", "fullName": "Сейткали Айгерим Нурлановна"},
        "professionId": profession_id,
        "nqfLevel": 4,
        "procedureDate": today(),
        "protocolNumber": "P-3",
        "protocolDate": today(),
        "headOfCenter": "K. Abenov"
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
    let serial = issued["serialNumber"].as_str().unwrap().to_string();

    // A revocation naming 5,000 documents the registry never issued (a list pasted from the
    // wrong file) is refused with 400 naming the first of them: the refusal carries thousands
    // of rules, and still reaches the officer whole, not as a protocol error.
    let unknown: Vec<String> = (0..5_000)
        .map(|n| format!("25110-72120009-4-010126-0001-{n:08}"))
        .collect();
    let wrong_file = json!({
        "ground": "REVOCATION_GROUND_CONFIRMED_COMPLAINTS",
        "basis": {"number": "NCE-R-4", "date": today(), "title": "Complaints, the wrong list"},
        "documentSerialNumbers": unknown,
        "concernsHealthOrSafety": true,
        "eventDetectedOn": today()
    });
    let (status, refused) = call(
        &platform,
        Some(Role::NceOfficer),
        &format!("/v1/certificates/{certificate_id}:revoke"),
        Some(&wrong_file),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    let listed = refused["violations"].as_array().unwrap();
    assert!(listed.len() >= 10, "{refused}");
    assert_eq!(listed[0]["field"], "documentSerialNumbers[0]", "{refused}");
    assert!(
        listed[0]["description"]
            .as_str()
            .unwrap()
            .contains(&unknown[0]),
        "{refused}"
    );
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("the first {} of 5000 problems", listed.len())),
        "{refused}"
    );

    // Ground 4, a safety violation, that document confirmed in complaints: accepted once
    // accreditation has heard of the document.
    let revoke = json!({
        "ground": "REVOCATION_GROUND_CONFIRMED_COMPLAINTS",
        "basis": {"number": "NCE-R-5", "date": today(), "title": "Complaint of the employer, confirmed"},
        "documentSerialNumbers": [serial],
        "concernsHealthOrSafety": true,
        "eventDetectedOn": today()
    });
    let revoked = platform
        .eventually(
            Duration::from_secs(30),
            "accreditation hearing of the document",
            || async {
                let (status, reply) = call(
                    &platform,
                    Some(Role::NceOfficer),
                    &format!("/v1/certificates/{certificate_id}:revoke"),
                    Some(&revoke),
                )
                .await;
                assert!(status == 200 || status == 400, "{reply}");
                (status == 200).then_some(reply)
            },
        )
        .await;
    assert_eq!(revoked["status"], "CERTIFICATE_STATUS_REVOKED");

    // Art. 26.4: the copy of the decision is on the platform for the center, delivered today.
    let (status, notices) = call_as(
        &platform,
        Some(&center_token("0001")),
        "/v1/centers/0001/notices",
        None,
    )
    .await;
    assert_eq!(status, 200, "{notices}");
    assert_eq!(notices["notices"][0]["kind"], "NOTICE_KIND_REVOCATION");
    assert_eq!(notices["notices"][0]["deliveredOn"], today());
    assert!(
        notices["notices"][0]["text"]
            .as_str()
            .unwrap()
            .contains(&serial),
        "{notices}"
    );
    let (status, denied) = call_as(
        &platform,
        Some(&center_token("0002")),
        "/v1/centers/0001/notices",
        None,
    )
    .await;
    assert_eq!(status, 403, "{denied}");
    let deadlines = revoked["deadlines"].as_array().unwrap();
    assert!(
        deadlines
            .iter()
            .any(|d| d["article"] == "Art. 26.4" && d["metOn"] == today().as_str()),
        "{revoked}"
    );

    // Art. 23.3.1: the public sees the register, not the case.
    let (status, public) = call(
        &platform,
        None,
        &format!("/v1/certificates/{certificate_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["status"], "CERTIFICATE_STATUS_REVOKED");
    assert!(
        public.get("history").is_none_or(|h| h == &json!([])),
        "{public}"
    );
    assert!(
        public.get("applicationId").is_none_or(|a| a == ""),
        "{public}"
    );
    assert!(!public.to_string().contains("NCE-R-5"), "{public}");
    assert_eq!(
        public["statusHistory"].as_array().unwrap().len(),
        2,
        "{public}"
    );

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

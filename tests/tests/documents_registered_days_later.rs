//! Registering a document days after its procedure, through real processes: the registry runs
//! twenty days ahead of the rest (NSK_CLOCK_OFFSET_DAYS), accreditation three. The serial's
//! fourth part is the day of the procedure, not of registration (Appendix 2); and once the
//! center's certificate is revoked, a procedure it held while active can no longer be
//! registered after the Rules' deadlines counted from the end (p. 17-18).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::{Days, NaiveDate};
use nsk_e2e::walk::{application, call, call_as, center_token, nce, register_welder, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};

#[tokio::test]
async fn a_document_registered_later_carries_its_procedure_day_and_ends_with_the_certificate() {
    let platform = Platform::start_with(
        "later",
        &[
            ("documents", "NSK_CLOCK_OFFSET_DAYS", "20"),
            ("accreditation", "NSK_CLOCK_OFFSET_DAYS", "3"),
        ],
    )
    .await;
    let t = NaiveDate::parse_from_str(&today(), "%Y-%m-%d").unwrap();
    let day = |n: u64| t.checked_add_days(Days::new(n)).unwrap().to_string();
    let profession_id = register_welder(&platform, "72120041").await;

    // Accredited on day T: filed, examined, decided and issued on T, recorded at T+3.
    let mut form = application(&profession_id);
    form["filedOn"] = json!(day(0));
    let filed: Value = platform
        .eventually(
            Duration::from_secs(30),
            "accreditation hearing of the profession",
            || async {
                let (status, reply) = call(
                    &platform,
                    Some(Role::NceOfficer),
                    "/v1/applications",
                    Some(&form),
                )
                .await;
                (status == 200).then_some(reply)
            },
        )
        .await;
    let id = filed["id"].as_str().unwrap();
    let report: Vec<Value> = [
        "legal_entity",
        "premises_and_equipment",
        "professions_in_register",
        "qualification_programmes",
        "qualified_staff",
    ]
    .iter()
    .map(|c| json!({"criterion": c, "met": true, "reasoning": "seen on site"}))
    .collect();
    for body in [
        json!({"examiner": "B. Nurlanov", "examinedOn": day(0)}),
        json!({"onSite": true, "examiner": "B. Nurlanov", "assessments": report, "examinedOn": day(0)}),
    ] {
        nce(
            &platform,
            &format!("/v1/applications/{id}:recordExamination"),
            body,
        )
        .await;
    }
    nce(
        &platform,
        &format!("/v1/applications/{id}:decide"),
        json!({"accredit": true, "decidedOn": day(0),
               "authorizedBodyCoordination": {"number": "MLSP-77", "date": day(0)}}),
    )
    .await;
    let certificate = nce(
        &platform,
        &format!("/v1/applications/{id}:issueCertificate"),
        json!({"issuedOn": day(0)}),
    )
    .await;
    assert_eq!(certificate["validFrom"], day(0));

    // The procedure on T, the protocol on T, registered at the registry's today, T+20.
    let document = |procedure: String| {
        json!({
            "holder": {"iin": "900101300037", "fullName": "Сейткали Айгерим Нурлановна"},
            "professionId": profession_id,
            "nqfLevel": 4,
            "procedureDate": procedure,
            "protocolNumber": "P-7",
            "protocolDate": procedure,
            "headOfCenter": "K. Abenov"
        })
    };
    let issued = platform
        .eventually(
            Duration::from_secs(30),
            "the registry accepting the center's document",
            || async {
                let token = center_token("0001");
                let (status, reply) = call_as(
                    &platform,
                    Some(&token),
                    "/v1/documents",
                    Some(&document(day(0))),
                )
                .await;
                (status == 200).then_some(reply)
            },
        )
        .await;
    let ddmmyy = t.format("%d%m%y").to_string();
    assert_eq!(
        issued["serialNumber"],
        format!("25110-72120041-4-{ddmmyy}-0001-00000001")
    );
    assert_eq!(issued["procedureDate"], day(0));
    assert_eq!(issued["issueDate"], day(20));
    assert_eq!(issued["issuedLate"], true, "{issued}");

    // Revoked at accreditation's today, T+3: the center could act T, T+1, T+2.
    let certificate_id = certificate["id"].as_str().unwrap();
    nce(
        &platform,
        &format!("/v1/certificates/{certificate_id}:revoke"),
        json!({"ground": "REVOCATION_GROUND_PROCEDURE_VIOLATION",
               "basis": {"number": "NCE-R-2", "date": day(3)},
               "eventDetectedOn": day(3)}),
    )
    .await;
    platform
        .eventually(
            Duration::from_secs(30),
            "the registry hearing of the revocation",
            || async {
                let (_, view) =
                    call(&platform, None, "/v1/document-registry/centers/0001", None).await;
                view.to_string().contains("\"revoked\"").then_some(())
            },
        )
        .await;
    let token = center_token("0001");
    let refused = call_as(
        &platform,
        Some(&token),
        "/v1/documents",
        Some(&document(day(1))),
    )
    .await;
    assert_eq!(refused.0, 409, "{}", refused.1);
    assert!(
        refused.1.to_string().contains(&day(2)),
        "the last active day: {}",
        refused.1
    );
}

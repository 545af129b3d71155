//! A voucher through the procedure on the platform, through real processes (Art. 29.2, 29.4;
//! Rules p. 4-18): a registered unemployed person applies to the center she chose with her
//! voucher, and the register of vouchers redeems it for that application; remarks, fixed; the
//! contract; the notice of the day; a pass, recorded on an instance whose clock has reached the
//! day after; the voucher is used by the pass, and the document — registered naming the
//! procedure only, on its protocol — carries the voucher, whose claim gets the serial. Beside
//! it: another person's voucher is not redeemed (both sides are told why), a candidate without
//! an IIN holds none, and a refused application gives its voucher back. Each candidate reads
//! their own vouchers and documents, and nobody else's.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use docs::document_registry_client::DocumentRegistryClient;
use nsk_calendar::WorkingCalendar;
use nsk_e2e::walk::{accredit_center, application, call_as, candidate_token, center_token};
use nsk_e2e::walk::{register_welder, today};
use nsk_e2e::Platform;
use nsk_identity::Role;
use nsk_proto::nsk::documents::v1 as docs;
use nsk_proto::nsk::recognition::v1 as pb;
use pb::recognition_procedure_client::RecognitionProcedureClient;
use serde_json::{json, Value};

const AIGERIM: &str = "900101300037";
const BOLAT: &str = "880515400018";

fn form(center: &str, profession: &str, iin: &str, voucher: &str, request_id: &str) -> Value {
    json!({
        "requestId": request_id,
        "centerNumber": center,
        "candidate": {
            "iin": iin,
            "fullName": "Сейткали Айгерим Нурлановна",
            "birthDate": format!("19{}-{}-{}", &iin[..2], &iin[2..4], &iin[4..6]),
            "address": "Karaganda, Bukhar-Zhyrau 12, kv. 3",
            "email": "candidate@example.kz",
            "phone": "+7 701 234 56 78"
        },
        "professionId": profession,
        "nqfLevel": 3,
        "attachments": [{
            "kind": "work record",
            "name": "work-record.pdf",
            "reference": "https://files.example.kz/work-record.pdf",
            "sha256": "5f".repeat(32)
        }],
        "language": "LANGUAGE_RUSSIAN",
        "mode": "MODE_OFFLINE",
        "voucherId": voucher,
        "consentTextVersion": "2025-01-27"
    })
}

fn request<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Sets this year's terms for Karaganda and issues a voucher to `iin`; its id.
async fn voucher_for(platform: &Platform, iin: &str, registration: &str) -> String {
    let office = nsk_runtime::testing::office_token("office-karaganda", "karaganda");
    let (status, voucher) = call_as(
        platform,
        Some(&office),
        "/v1/vouchers",
        Some(&json!({
            "holderIin": iin, "holderName": "Registered Unemployed", "region": "karaganda",
            "registration": {"number": registration, "date": today(), "office": "Employment center of Karaganda"}
        })),
    )
    .await;
    assert_eq!(status, 200, "{voucher}");
    voucher["id"].as_str().unwrap().to_string()
}

/// The application `path` once its voucher stands as `standing`.
async fn standing(platform: &Platform, token: &str, path: &str, standing: &str) -> Value {
    platform
        .eventually(
            Duration::from_secs(30),
            &format!("the voucher {standing}"),
            || async {
                let (_, seen) = call_as(platform, Some(token), path, None).await;
                (seen["voucherStanding"] == standing).then_some(seen)
            },
        )
        .await
}

#[tokio::test]
async fn a_voucher_is_redeemed_for_the_application_used_by_the_pass_and_carried_by_the_document() {
    let mut platform = Platform::start("recvoucher").await;
    let profession_id = register_welder(&platform, "72120051").await;
    let center = accredit_center(&platform, application(&profession_id)).await["centerNumber"]
        .as_str()
        .unwrap()
        .to_string();
    let by_center = center_token(&center);
    let aigerim = candidate_token(&format!("iin:{AIGERIM}"));
    let bolat = candidate_token(&format!("iin:{BOLAT}"));
    let calendar = WorkingCalendar::kazakhstan().unwrap();
    let today_date = nsk_calendar::today();
    let year: i32 = today()[..4].parse().unwrap();
    let terms = platform
        .http
        .put(platform.url(&format!("/v1/voucher-terms/{year}")))
        .bearer_auth(platform.token(&[Role::AuthorizedBodyAdmin]))
        .json(&json!({
            "validityDays": 90,
            "regions": [{"region": "karaganda", "rateTiyn": "4500000",
                         "budgetCount": "10", "budgetTiyn": "100000000"}],
            "basis": {"number": "MLSP-V-1", "date": today()}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(terms.status().as_u16(), 200, "{:?}", terms.text().await);
    let voucher = voucher_for(&platform, AIGERIM, "U-77").await;
    let bolats_voucher = voucher_for(&platform, BOLAT, "U-78").await;

    // A candidate known by a foreign document holds no voucher (Art. 1.11).
    let mut foreign = form(&center, &profession_id, AIGERIM, &voucher, "foreign-1");
    foreign["candidate"]["iin"] = json!("");
    foreign["candidate"]["foreignDocumentNumber"] = json!("N1234567");
    foreign["candidate"]["foreignDocumentCountry"] = json!("UZ");
    let (status, refused) = call_as(
        &platform,
        Some(&candidate_token("doc:UZ:N1234567")),
        "/v1/recognition/applications",
        Some(&foreign),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["violations"][0]["field"], "voucherId", "{refused}");

    // Aigerim applies with her voucher, once recognition has heard of the center; the register
    // of vouchers redeems it for the application, and she is told.
    let applied = platform
        .eventually(
            Duration::from_secs(30),
            "recognition hearing the center",
            || async {
                let (status, reply) = call_as(
                    &platform,
                    Some(&aigerim),
                    "/v1/recognition/applications",
                    Some(&form(&center, &profession_id, AIGERIM, &voucher, "apply-1")),
                )
                .await;
                (status == 200).then_some(reply)
            },
        )
        .await;
    let id = applied["id"].as_str().unwrap().to_string();
    let path = format!("/v1/recognition/applications/{id}");
    assert_eq!(applied["voucherId"], voucher.as_str());
    let redeemed = standing(&platform, &aigerim, &path, "VOUCHER_STANDING_REDEEMED").await;
    assert_eq!(redeemed["voucherNote"], "", "{redeemed}");
    let (status, own) = call_as(
        &platform,
        Some(&aigerim),
        &format!("/v1/vouchers/{voucher}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["status"], "VOUCHER_STATUS_REDEEMED");
    assert_eq!(own["applicationId"], id.as_str());
    assert_eq!(own["centerNumber"], center.as_str());
    // A voucher redeemed for a procedure on the platform follows it: the center does not
    // release it, nor report it failed, beside the procedure.
    let (status, refused) = call_as(
        &platform,
        Some(&by_center),
        &format!("/v1/vouchers/{voucher}:release"),
        Some(&json!({})),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused.to_string().contains(&id), "{refused}");

    // Bolat tries her voucher: not redeemed, and both sides are told why. He reads his own
    // voucher, not hers.
    let (status, borrowed) = call_as(
        &platform,
        Some(&bolat),
        "/v1/recognition/applications",
        Some(&form(&center, &profession_id, BOLAT, &voucher, "apply-b")),
    )
    .await;
    assert_eq!(status, 200, "{borrowed}");
    let borrowed_path = format!(
        "/v1/recognition/applications/{}",
        borrowed["id"].as_str().unwrap()
    );
    let not = standing(
        &platform,
        &bolat,
        &borrowed_path,
        "VOUCHER_STANDING_NOT_REDEEMED",
    )
    .await;
    let note = not["voucherNote"].as_str().unwrap();
    assert_eq!(
        note, "the voucher is its holder's alone: the IIN does not match (Art. 1.11)",
        "nothing else of her voucher: not that it is redeemed, nor where"
    );
    for token in [&bolat, &by_center] {
        let (_, inbox) = call_as(&platform, Some(token), "/v1/recognition/notices", None).await;
        assert!(
            inbox["notices"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "voucher" && n["text"].as_str().unwrap().contains(note)),
            "{inbox}"
        );
    }
    let (status, _) = call_as(
        &platform,
        Some(&bolat),
        &format!("/v1/vouchers/{voucher}"),
        None,
    )
    .await;
    assert_eq!(
        status, 404,
        "another person's voucher does not exist for him"
    );
    let (status, his) = call_as(&platform, Some(&bolat), "/v1/vouchers", None).await;
    assert_eq!(status, 200, "{his}");
    let ids: Vec<&str> = his["vouchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [bolats_voucher.as_str()]);
    // Bolat applies with his own: redeemed; the center sends remarks he does not fix.
    let (status, his_application) = call_as(
        &platform,
        Some(&bolat),
        "/v1/recognition/applications",
        Some(&form(
            &center,
            &profession_id,
            BOLAT,
            &bolats_voucher,
            "apply-b2",
        )),
    )
    .await;
    assert_eq!(status, 200, "{his_application}");
    let his_id = his_application["id"].as_str().unwrap().to_string();
    let his_path = format!("/v1/recognition/applications/{his_id}");
    standing(&platform, &bolat, &his_path, "VOUCHER_STANDING_REDEEMED").await;
    let (status, remarked) = call_as(
        &platform,
        Some(&by_center),
        &format!("{his_path}:sendRemarks"),
        Some(&json!({"remarks": "the work record is not certified"})),
    )
    .await;
    assert_eq!(status, 200, "{remarked}");

    // Aigerim: remarks, fixed; the contract; the day, 12 working days ahead.
    let (status, _) = call_as(
        &platform,
        Some(&by_center),
        &format!("{path}:sendRemarks"),
        Some(&json!({"remarks": "the copy of the diploma is missing"})),
    )
    .await;
    assert_eq!(status, 200);
    let fixed = json!({"attachments": [{"kind": "education", "name": "diploma.pdf",
        "reference": "https://files.example.kz/aigerim/diploma.pdf", "sha256": "a1".repeat(32)}]});
    let (status, _) = call_as(
        &platform,
        Some(&aigerim),
        &format!("{path}:resubmit"),
        Some(&fixed),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call_as(
        &platform,
        Some(&by_center),
        &format!("{path}:concludeContract"),
        Some(&json!({})),
    )
    .await;
    assert_eq!(status, 200);
    let day = calendar.add_working_days(today_date, 12).unwrap();
    let (status, scheduled) = call_as(
        &platform,
        Some(&by_center),
        &format!("{path}:schedule"),
        Some(&json!({"date": day.to_string(), "time": "10:00", "venue": "Karaganda, Erubaeva 20"})),
    )
    .await;
    assert_eq!(status, 200, "{scheduled}");

    // The day after the procedure, on an instance whose clock has reached it: a pass (p. 15:
    // more than 70 % of the theory, then the practical stage).
    let after = day.succ_opt().unwrap();
    let offset = (after - today_date).num_days().to_string();
    let url = platform.start_instance(
        "recognition",
        "recognition-later",
        &[("NSK_CLOCK_OFFSET_DAYS", &offset)],
    );
    let mut later = RecognitionProcedureClient::new(
        tonic::transport::Endpoint::from_shared(url)
            .unwrap()
            .connect_lazy(),
    );
    let result = pb::RecordResultRequest {
        id: id.clone(),
        held_on: day.to_string(),
        theory_percent: 85,
        practical_passed: Some(true),
        protocol_number: "EK-21".into(),
        protocol_date: after.to_string(),
        commission: vec!["A. Seitkali".into(), "B. Omarov".into()],
        ..Default::default()
    };
    let passed = platform
        .eventually(
            Duration::from_secs(30),
            "the later instance serving",
            || {
                let mut later = later.clone();
                let result = result.clone();
                let by_center = by_center.clone();
                async move { later.record_result(request(result, &by_center)).await.ok() }
            },
        )
        .await
        .into_inner();
    assert_eq!(passed.stage, pb::Stage::Passed as i32);
    // Bolat's three working days for the fixes have passed: the reasoned refusal gives his
    // voucher back (Rules p. 5).
    let refused = later
        .refuse_contract(request(
            pb::RefuseContractRequest {
                id: his_id.clone(),
                reasons: "the work record was not certified within three working days".into(),
                signed_by: "K. Abenov, director".into(),
                ..Default::default()
            },
            &by_center,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.stage, pb::Stage::Refused as i32);

    // The pass uses Aigerim's voucher (Art. 29.4); the application says so.
    standing(&platform, &aigerim, &path, "VOUCHER_STANDING_USED").await;
    let office = nsk_runtime::testing::office_token("office-karaganda", "karaganda");
    let (_, used) = call_as(
        &platform,
        Some(&office),
        &format!("/v1/vouchers/{voucher}"),
        None,
    )
    .await;
    assert_eq!(used["status"], "VOUCHER_STATUS_USED", "{used}");
    // Bolat's is his again, free for another application.
    standing(&platform, &bolat, &his_path, "VOUCHER_STANDING_RELEASED").await;
    let (_, his) = call_as(
        &platform,
        Some(&bolat),
        &format!("/v1/vouchers/{bolats_voucher}"),
        None,
    )
    .await;
    assert_eq!(his["status"], "VOUCHER_STATUS_ISSUED", "{his}");
    assert_eq!(his["applicationId"], "", "{his}");

    // The document, on the registry's later instance, names the procedure and not the voucher:
    // the wrong protocol is refused; the right one carries the voucher applied with.
    let docs_url = platform.start_instance(
        "documents",
        "documents-later",
        &[("NSK_CLOCK_OFFSET_DAYS", &offset)],
    );
    let mut registry = DocumentRegistryClient::new(
        tonic::transport::Endpoint::from_shared(docs_url)
            .unwrap()
            .connect_lazy(),
    );
    let document = |protocol: &str, request_id: &str| docs::IssueDocumentRequest {
        request_id: request_id.into(),
        document: Some(docs::Document {
            holder: Some(docs::Holder {
                iin: AIGERIM.into(),
                full_name: "Сейткали Айгерим Нурлановна".into(),
                ..Default::default()
            }),
            profession_id: profession_id.clone(),
            nqf_level: 3,
            procedure_date: day.to_string(),
            protocol_number: protocol.into(),
            protocol_date: after.to_string(),
            head_of_center: "K. Abenov".into(),
            procedure_id: id.clone(),
            ..Default::default()
        }),
    };
    let wrong = platform
        .eventually(
            Duration::from_secs(30),
            "the registry hearing the pass",
            || {
                let mut registry = registry.clone();
                let by_center = by_center.clone();
                let wrong = document("EK-99", "doc-wrong");
                async move {
                    let status = registry
                        .issue_document(request(wrong, &by_center))
                        .await
                        .unwrap_err();
                    status.message().contains("protocol").then_some(status)
                }
            },
        )
        .await;
    assert!(wrong.message().contains("EK-21"), "{wrong:?}");
    let issued = registry
        .issue_document(request(document("EK-21", "doc-1"), &by_center))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(issued.procedure_id, id);
    assert_eq!(
        issued.voucher_id, voucher,
        "the document carries the voucher applied with"
    );

    // The center's claim gets the document's serial; the amount is the region's rate.
    let claims = platform
        .eventually(
            Duration::from_secs(30),
            "the claim learning the serial",
            || async {
                let (_, claims) =
                    call_as(&platform, Some(&by_center), "/v1/reimbursements", None).await;
                (claims["reimbursements"][0]["documentSerial"] == issued.serial_number.as_str())
                    .then_some(claims)
            },
        )
        .await;
    let claims = claims["reimbursements"].as_array().unwrap();
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert_eq!(claims[0]["voucherId"], voucher.as_str());
    assert_eq!(claims[0]["amountTiyn"], "4500000");

    // Each candidate reads their own documents; nobody else's.
    let (status, hers) = call_as(&platform, Some(&aigerim), "/v1/documents", None).await;
    assert_eq!(status, 200, "{hers}");
    assert_eq!(
        hers["documents"][0]["serialNumber"],
        issued.serial_number.as_str()
    );
    let (status, his) = call_as(&platform, Some(&bolat), "/v1/documents", None).await;
    assert_eq!(status, 200, "{his}");
    assert_eq!(his["documents"].as_array().map_or(0, Vec::len), 0, "{his}");
    let (status, _) = call_as(
        &platform,
        Some(&bolat),
        &format!("/v1/documents?holderIin={AIGERIM}"),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let one = format!("/v1/documents/{}", issued.id);
    let (status, mine) = call_as(&platform, Some(&aigerim), &one, None).await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["voucherId"], voucher.as_str());
    let (status, _) = call_as(&platform, Some(&bolat), &one, None).await;
    assert_eq!(status, 404);
}

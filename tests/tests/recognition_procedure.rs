//! The recognition procedure through real processes (Rules p. 4-23): a candidate applies with
//! consent through the gateway; the center sends remarks, the candidate fixes them, the
//! contract is concluded, the day notified within 10-20 working days (a day outside refused);
//! later — an instance of the service whose clock runs on to the day after the procedure — the
//! result fails, the candidate appeals and an appeal commission without the examiners upholds
//! it; every message lands in the other side's inbox; a paper application left unchecked
//! appears on the NCE's overdue list; nobody sees another's application; nobody applies to a
//! center for what it is not accredited.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::time::Duration;

use docs::document_registry_client::DocumentRegistryClient;
use nsk_calendar::WorkingCalendar;
use nsk_e2e::walk::{
    accredit_center, application, call, call_as, candidate_token, center_token, register_welder,
};
use nsk_e2e::Platform;
use nsk_identity::Role;
use nsk_proto::nsk::documents::v1 as docs;
use nsk_proto::nsk::recognition::v1 as pb;
use pb::recognition_procedure_client::RecognitionProcedureClient;
use serde_json::{json, Value};

const AIGERIM: &str = "iin:900101300037";

fn form(center: &str, profession_id: &str, consent: &str) -> Value {
    json!({
        "requestId": "apply-1",
        "centerNumber": center,
        "candidate": {
            "iin": "900101300037",
            "fullName": "Сейткали Айгерим Нурлановна",
            "birthDate": "1990-01-01",
            "address": "Almaty, Abai 10, kv. 5",
            "email": "aigerim@example.kz",
            "phone": "+7 701 234 56 78"
        },
        "professionId": profession_id,
        "nqfLevel": 3,
        "knowledge": "welding of low-carbon steel",
        "skills": "manual arc welding in all positions",
        "attachments": [{
            "kind": "work record",
            "name": "work-record.pdf",
            "reference": "https://files.example.kz/aigerim/work-record.pdf",
            "sha256": "5f".repeat(32)
        }],
        "language": "LANGUAGE_KAZAKH",
        "mode": "MODE_OFFLINE",
        "consentTextVersion": consent
    })
}

async fn post(platform: &Platform, token: &str, path: &str, body: Value) -> (u16, Value) {
    call_as(platform, Some(token), path, Some(&body)).await
}

fn request<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

#[tokio::test]
async fn a_candidate_goes_from_application_through_remarks_and_a_failed_result_to_an_upheld_appeal()
{
    let mut platform = Platform::start("recognition").await;
    let profession_id = register_welder(&platform, "72120051").await;
    let center = accredit_center(&platform, application(&profession_id)).await["centerNumber"]
        .as_str()
        .unwrap()
        .to_string();
    let by_center = center_token(&center);
    let aigerim = candidate_token(AIGERIM);
    let calendar = WorkingCalendar::kazakhstan().unwrap();
    let today = nsk_calendar::today();

    // The consent text is public, with its version; without it nothing is registered.
    let (status, consent) = call(&platform, None, "/v1/recognition/consent", None).await;
    assert_eq!(status, 200, "{consent}");
    assert!(consent["textRu"]
        .as_str()
        .unwrap()
        .contains("Согласен(а) на обработку"));
    let version = consent["version"].as_str().unwrap().to_string();
    let (status, refused) = post(
        &platform,
        &aigerim,
        "/v1/recognition/applications",
        form(&center, &profession_id, ""),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused.to_string().contains("consentTextVersion"),
        "{refused}"
    );
    // A candidate applies for themselves only.
    let someone = candidate_token("iin:880515400018");
    let (status, refused) = post(
        &platform,
        &someone,
        "/v1/recognition/applications",
        form(&center, &profession_id, &version),
    )
    .await;
    assert_eq!(status, 403, "{refused}");

    // Before recognition hears the center's certificate it refuses; then it registers.
    let applied = platform
        .eventually(
            Duration::from_secs(30),
            "recognition hearing the center",
            || async {
                let (status, reply) = post(
                    &platform,
                    &aigerim,
                    "/v1/recognition/applications",
                    form(&center, &profession_id, &version),
                )
                .await;
                assert!(
                    status == 200 || status == 409 || status == 400,
                    "{status}: {reply}"
                );
                (status == 200).then_some(reply)
            },
        )
        .await;
    // A level the center is not accredited for, a center without a certificate: refused.
    let mut level_five = form(&center, &profession_id, &version);
    level_five["nqfLevel"] = json!(5);
    level_five["requestId"] = json!("apply-5");
    let (status, refused) = post(
        &platform,
        &aigerim,
        "/v1/recognition/applications",
        level_five,
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["violations"][0]["field"], "nqfLevel", "{refused}");
    let mut elsewhere = form("0999", &profession_id, &version);
    elsewhere["requestId"] = json!("apply-0999");
    let (status, refused) = post(
        &platform,
        &aigerim,
        "/v1/recognition/applications",
        elsewhere,
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("no active accreditation certificate"),
        "{refused}"
    );
    let id = applied["id"].as_str().unwrap().to_string();
    assert_eq!(applied["stage"], "STAGE_REGISTERED");
    assert_eq!(applied["channel"], "CHANNEL_PLATFORM");
    assert_eq!(applied["consent"]["textVersion"], version.as_str());
    let completeness_due = calendar.add_working_days(today, 3).unwrap();
    assert_eq!(applied["due"]["deadline"], "completeness");
    assert_eq!(applied["due"]["dueDate"], completeness_due.to_string());
    // The center finds it in its inbox; no other center, no other candidate sees it.
    let (status, inbox) =
        call_as(&platform, Some(&by_center), "/v1/recognition/notices", None).await;
    assert_eq!(status, 200, "{inbox}");
    assert_eq!(inbox["notices"][0]["applicationId"], id.as_str());
    assert_eq!(inbox["notices"][0]["kind"], "application");
    let path = format!("/v1/recognition/applications/{id}");
    let (status, _) = call_as(&platform, Some(&center_token("0999")), &path, None).await;
    assert_eq!(status, 403);
    let (status, _) = call_as(&platform, Some(&someone), &path, None).await;
    assert_eq!(status, 403);

    // Remarks, fixed by the candidate, and the contract.
    let (status, remarked) = post(
        &platform,
        &by_center,
        &format!("{path}:sendRemarks"),
        json!({"remarks": "the copy of the diploma is missing"}),
    )
    .await;
    assert_eq!(status, 200, "{remarked}");
    assert_eq!(remarked["due"]["party"], "candidate");
    let (status, inbox) = call_as(&platform, Some(&aigerim), "/v1/recognition/notices", None).await;
    assert_eq!(status, 200, "{inbox}");
    assert!(
        inbox["notices"][0]["text"]
            .as_str()
            .unwrap()
            .contains("diploma"),
        "{inbox}"
    );
    let fixed = json!({"attachments": [{"kind": "education", "name": "diploma.pdf",
        "reference": "https://files.example.kz/aigerim/diploma.pdf", "sha256": "a1".repeat(32)}]});
    let (status, resubmitted) = post(&platform, &aigerim, &format!("{path}:resubmit"), fixed).await;
    assert_eq!(status, 200, "{resubmitted}");
    assert_eq!(resubmitted["attachments"].as_array().unwrap().len(), 2);
    let (status, contracted) = post(
        &platform,
        &by_center,
        &format!("{path}:concludeContract"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{contracted}");
    assert_eq!(contracted["due"]["deadline"], "notice");

    // The day: 10 to 20 working days after the notice; a week ahead is refused.
    let too_soon = calendar.add_working_days(today, 5).unwrap();
    let (status, refused) = post(
        &platform,
        &by_center,
        &format!("{path}:schedule"),
        json!({"date": too_soon.to_string(), "time": "10:00", "venue": "Almaty, Tole bi 100"}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["violations"][0]["field"], "date", "{refused}");
    let day = calendar.add_working_days(today, 12).unwrap();
    let (status, scheduled) = post(
        &platform,
        &by_center,
        &format!("{path}:schedule"),
        json!({"date": day.to_string(), "time": "10:00", "venue": "Almaty, Tole bi 100"}),
    )
    .await;
    assert_eq!(status, 200, "{scheduled}");
    assert_eq!(scheduled["schedule"]["date"], day.to_string());

    // The center enters a paper application received today, and leaves it unchecked; a paper
    // application cannot be dated after today.
    let mut paper = form(&center, &profession_id, &version);
    paper["requestId"] = json!("paper-1");
    paper["receivedOn"] = json!(calendar.add_working_days(today, 1).unwrap().to_string());
    paper["candidate"]["iin"] = json!("880515400018");
    paper["candidate"]["birthDate"] = json!("1988-05-15");
    let (status, refused) = post(
        &platform,
        &by_center,
        "/v1/recognition/applications",
        paper.clone(),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["violations"][0]["field"], "receivedOn", "{refused}");
    paper["receivedOn"] = json!(today.to_string());
    let (status, entered) =
        post(&platform, &by_center, "/v1/recognition/applications", paper).await;
    assert_eq!(status, 200, "{entered}");
    assert_eq!(entered["channel"], "CHANNEL_PAPER");

    // The day after the procedure, on an instance whose calendar has reached it.
    let after = day.succ_opt().unwrap();
    let offset = (after - today).num_days().to_string();
    let url = platform.start_instance(
        "recognition",
        "recognition-later",
        &[("NSK_CLOCK_OFFSET_DAYS", &offset)],
    );
    let channel = tonic::transport::Endpoint::from_shared(url)
        .unwrap()
        .connect_lazy();
    let mut later = RecognitionProcedureClient::new(channel);
    let commission = vec!["A. Seitkali".to_string(), "B. Omarov".to_string()];
    let result = pb::RecordResultRequest {
        id: id.clone(),
        held_on: day.to_string(),
        theory_percent: 64,
        practical_passed: None,
        protocol_number: "EK-17".into(),
        protocol_date: after.to_string(),
        commission: commission.clone(),
        ..Default::default()
    };
    let failed = platform
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
    assert_eq!(failed.stage, pb::Stage::Failed as i32);
    assert!(!failed.result.as_ref().unwrap().passed);
    let notified = later
        .notify_failure(request(
            pb::NotifyFailureRequest {
                id: id.clone(),
                recommendations: "practise root passes on pipes".into(),
                ..Default::default()
            },
            &by_center,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(notified.due.as_ref().unwrap().deadline, "appeal");
    let appealed = later
        .file_appeal(request(
            pb::FileAppealRequest {
                id: id.clone(),
                grounds: "question 12 had two right answers".into(),
                ..Default::default()
            },
            &aigerim,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(appealed.stage, pb::Stage::Appealed as i32);
    // p. 21-1: nobody of the examination commission sits on the appeal commission.
    let decide = |members: Vec<String>| pb::DecideAppealRequest {
        id: id.clone(),
        outcome: pb::AppealOutcome::Upheld as i32,
        protocol_number: "AK-3".into(),
        commission: members,
        ..Default::default()
    };
    let refused = later
        .decide_appeal(request(
            decide(vec!["C. Zhumabek".into(), "B. Omarov".into()]),
            &by_center,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    let upheld = later
        .decide_appeal(request(
            decide(vec!["C. Zhumabek".into(), "D. Akhmetova".into()]),
            &by_center,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(upheld.stage, pb::Stage::AppealUpheld as i32);
    let document_due = calendar.add_working_days(after, 3).unwrap();
    assert_eq!(
        upheld.due.as_ref().unwrap().due_date,
        document_due.to_string()
    );

    // The center registers the document (Rules p. 23, 18), naming the procedure: the registry
    // — its clock on the same day — checks it is this candidate's passed procedure, once it has
    // heard of it; another person's document may not name it.
    let docs_url = platform.start_instance(
        "documents",
        "documents-later",
        &[("NSK_CLOCK_OFFSET_DAYS", &offset)],
    );
    let docs_channel = tonic::transport::Endpoint::from_shared(docs_url)
        .unwrap()
        .connect_lazy();
    let mut registry = DocumentRegistryClient::new(docs_channel);
    let document = |iin: &str, name: &str, request_id: &str| docs::IssueDocumentRequest {
        request_id: request_id.into(),
        document: Some(docs::Document {
            holder: Some(docs::Holder {
                iin: iin.into(),
                full_name: name.into(),
                ..Default::default()
            }),
            profession_id: profession_id.clone(),
            nqf_level: 3,
            procedure_date: day.to_string(),
            protocol_number: "AK-3".into(),
            protocol_date: after.to_string(),
            head_of_center: "D. Omarov".into(),
            procedure_id: id.clone(),
            ..Default::default()
        }),
    };
    let refused = platform
        .eventually(
            Duration::from_secs(30),
            "the registry hearing the pass",
            || {
                let mut registry = registry.clone();
                let by_center = by_center.clone();
                let wrong = document("880515400018", "Другой Человек", "doc-wrong");
                async move {
                    let status = registry
                        .issue_document(request(wrong, &by_center))
                        .await
                        .unwrap_err();
                    status
                        .message()
                        .contains("another person's")
                        .then_some(status)
                }
            },
        )
        .await;
    assert_eq!(
        refused.code(),
        tonic::Code::FailedPrecondition,
        "{refused:?}"
    );
    // After an appeal upheld, the document rests on the appeal commission's protocol, not on
    // the examination's (p. 22-23).
    let mut on_exam_protocol = document("900101300037", "Сейткали Айгерим Нурлановна", "doc-ek");
    if let Some(d) = on_exam_protocol.document.as_mut() {
        d.protocol_number = "EK-17".into();
    }
    let refused = registry
        .issue_document(request(on_exam_protocol, &by_center))
        .await
        .unwrap_err();
    assert!(refused.message().contains("protocol AK-3"), "{refused:?}");
    let issued = registry
        .issue_document(request(
            document("900101300037", "Сейткали Айгерим Нурлановна", "doc-1"),
            &by_center,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(issued.procedure_id, id);
    // The procedure hears it and ends; a second document for it is refused.
    let ended = platform
        .eventually(
            Duration::from_secs(30),
            "the procedure hearing its document",
            || async {
                let (_, seen) = call_as(&platform, Some(&aigerim), &path, None).await;
                (seen["stage"] == "STAGE_DOCUMENT_ISSUED").then_some(seen)
            },
        )
        .await;
    assert_eq!(ended["documentSerial"], issued.serial_number.as_str());
    let twice = registry
        .issue_document(request(
            document("900101300037", "Сейткали Айгерим Нурлановна", "doc-2"),
            &by_center,
        ))
        .await
        .unwrap_err();
    assert!(
        twice.message().contains("one procedure, one document"),
        "{twice:?}"
    );

    // The candidate reads it all in their inbox, newest first.
    let (status, inbox) = call_as(&platform, Some(&aigerim), "/v1/recognition/notices", None).await;
    assert_eq!(status, 200, "{inbox}");
    let kinds: Vec<&str> = inbox["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "document",
            "appeal_decision",
            "failure",
            "result",
            "schedule",
            "contract",
            "remarks"
        ]
    );
    // And the steps, each with its deadline and whether it was met.
    let (status, seen) = call_as(&platform, Some(&aigerim), &path, None).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["steps"].as_array().unwrap().len(), 10, "{seen}");
    // p. 22: the appeal protocol is kept three years from its signing.
    assert_eq!(
        seen["appeal"]["keepProtocolUntil"],
        nsk_calendar::period_end(after, 36).unwrap().to_string()
    );

    // On the later day the paper application, never checked, is overdue on the NCE's list by
    // the working days since its third (Rules p. 5); the appealed one is not (its document is
    // due later).
    let nce = platform.token(&[Role::NceOfficer]);
    let due = later
        .list_due(request(
            pb::ListDueRequest {
                overdue_only: true,
                ..Default::default()
            },
            &nce,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(due.items.len(), 1, "{due:?}");
    assert_eq!(due.items[0].application_id, entered["id"].as_str().unwrap());
    let overdue = due.items[0].due.clone().unwrap();
    let was_due = calendar.add_working_days(today, 3).unwrap();
    assert_eq!(overdue.deadline, "completeness");
    assert_eq!(overdue.due_date, was_due.to_string());
    let late = calendar.working_days_between(was_due, after).unwrap();
    assert!(late >= 5, "{late}");
    assert_eq!(i64::from(overdue.days_overdue), late);
    // Art. 25.3: the NCE's monitoring of the center over the period — two applications, one
    // contract, one failure appealed and upheld, no deadline missed, one overdue now.
    let report = later
        .get_center_monitoring(request(
            pb::GetCenterMonitoringRequest {
                center_number: center.clone(),
                from: today.to_string(),
                to: after.to_string(),
            },
            &nce,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            report.applications,
            report.contracted,
            report.passed,
            report.failed
        ),
        (2, 1, 0, 1),
        "{report:?}"
    );
    assert_eq!(
        (report.appeals, report.appeals_upheld),
        (1, 1),
        "{report:?}"
    );
    assert!(report.missed.is_empty(), "{report:?}");
    assert_eq!(report.overdue_now, 1, "{report:?}");
    let (status, _) = call_as(
        &platform,
        Some(&center_token("0999")),
        &format!("/v1/recognition/centers/{center}/monitoring"),
        None,
    )
    .await;
    assert_eq!(status, 403);
    // A center sees its own list; a candidate has none.
    let (status, _) = call_as(&platform, Some(&by_center), "/v1/recognition/due", None).await;
    assert_eq!(status, 200);
    let (status, _) = call_as(&platform, Some(&aigerim), "/v1/recognition/due", None).await;
    assert_eq!(status, 403);
}

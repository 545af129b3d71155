//! Auditors read each service's audit trail through the gateway: the entries of the acts,
//! filtered by actor, action and subject, page by page; the walk of the chain, which names
//! the entry someone edited behind the platform's back; nobody but an auditor reads it; and
//! reading it is itself entered.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_e2e::walk::{call, call_as, register_welder};
use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::Value;

/// An int64 of the JSON mapping: a string of digits.
fn int(v: &Value) -> i64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an int64: {v}"))
}

fn actions(page: &Value) -> Vec<String> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn auditors_read_and_verify_each_services_trail_and_no_one_else_does() {
    let platform = Platform::start("audit-api").await;
    register_welder(&platform, "72120051").await;
    register_welder(&platform, "72120052").await;
    let auditor = nsk_runtime::testing::token("auditor-7", &[Role::Auditor], None);
    let entries = "/v1/audit/professions/entries";

    // Not for officials, nor for the public.
    let (status, denied) = call(&platform, Some(Role::AuthorizedBodyAdmin), entries, None).await;
    assert_eq!(status, 403, "{denied}");
    let (status, denied) = call(&platform, None, entries, None).await;
    assert_eq!(status, 401, "{denied}");

    // The two registrations, newest first, by the official who made them.
    let (status, page) = call_as(&platform, Some(&auditor), entries, None).await;
    assert_eq!(status, 200, "{page}");
    let registered: Vec<&Value> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "nsk.professions.v1.ProfessionRegistered")
        .collect();
    assert_eq!(registered.len(), 2, "{page}");
    assert_eq!(registered[0]["actor"], "e2e-user");
    assert!(int(&registered[0]["seq"]) > int(&registered[1]["seq"]));
    assert_eq!(registered[0]["hash"].as_str().unwrap().len(), 64);

    // Page by page: one entry a page, the second page older than the first.
    let (_, first) = call_as(
        &platform,
        Some(&auditor),
        &format!("{entries}?action=nsk.professions.v1.ProfessionRegistered&pageSize=1"),
        None,
    )
    .await;
    let token = first["nextPageToken"].as_str().unwrap().to_string();
    assert!(!token.is_empty(), "{first}");
    let (_, second) = call_as(
        &platform,
        Some(&auditor),
        &format!(
            "{entries}?action=nsk.professions.v1.ProfessionRegistered&pageSize=1&pageToken={token}"
        ),
        None,
    )
    .await;
    assert!(
        int(&second["entries"][0]["seq"]) < int(&first["entries"][0]["seq"]),
        "{first} / {second}"
    );

    // Reading the trail is entered in it, under the auditor's name.
    let (_, reads) = call_as(
        &platform,
        Some(&auditor),
        &format!("{entries}?actor=auditor-7&action=read:*"),
        None,
    )
    .await;
    let read = actions(&reads);
    assert!(read.len() >= 3, "{reads}");
    assert!(read.iter().all(|a| a == "read:audit-trail"), "{read:?}");

    // Bad filters are named by their fields; a service that does not exist is 404.
    let (status, bad) = call_as(
        &platform,
        Some(&auditor),
        &format!("{entries}?from=yesterday"),
        None,
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["violations"][0]["field"], "from", "{bad}");
    let (status, _) = call_as(&platform, Some(&auditor), "/v1/audit/payroll/entries", None).await;
    assert_eq!(status, 404);

    // The chain is intact; an entry edited behind the platform's back is named.
    let verify = "/v1/audit/professions/verification";
    let (status, verdict) = call_as(&platform, Some(&auditor), verify, None).await;
    assert_eq!(status, 200, "{verdict}");
    assert_eq!(verdict["intact"], true, "{verdict}");
    assert!(int(&verdict["entries"]) >= 2);
    let edited = int(&registered[1]["seq"]);
    let pool = sqlx::PgPool::connect(&platform.database_url("professions"))
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'somebody-else' WHERE seq = $1")
        .bind(edited)
        .execute(&mut *conn)
        .await
        .unwrap();
    let (status, verdict) = call_as(&platform, Some(&auditor), verify, None).await;
    assert_eq!(status, 200, "{verdict}");
    assert_eq!(verdict["intact"], false, "{verdict}");
    assert_eq!(int(&verdict["brokenAt"]), edited, "{verdict}");
    assert!(
        verdict["why"].as_str().unwrap().contains("changed"),
        "{verdict}"
    );

    // Another service's trail is its own, reached the same way (and over gRPC by metadata).
    let (status, documents) = call_as(
        &platform,
        Some(&auditor),
        "/v1/audit/documents/verification",
        None,
    )
    .await;
    assert_eq!(status, 200, "{documents}");
    assert_eq!(documents["intact"], true, "{documents}");
    use nsk_proto::nsk::audit::v1 as pb;
    let channel = tonic::transport::Endpoint::from_shared(platform.url(""))
        .unwrap()
        .connect_lazy();
    let mut client = pb::audit_trail_client::AuditTrailClient::new(channel);
    let mut request = tonic::Request::new(pb::VerifyAuditTrailRequest::default());
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {auditor}").parse().unwrap(),
    );
    request
        .metadata_mut()
        .insert("x-nsk-service", "vouchers".parse().unwrap());
    let verdict = client
        .verify_audit_trail(request)
        .await
        .unwrap()
        .into_inner();
    assert!(verdict.intact, "{verdict:?}");
}

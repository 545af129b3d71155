//! The one idempotency contract, against the real PostgreSQL: a request id is the caller's own;
//! it runs its command once, a retry gets the resource it made, and the same caller's id for
//! another method or with other content is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_db::requests::{once, Once, OnceError, RequestKey};
use uuid::Uuid;

fn key(caller: &str, method: &str, id: &str, content: &[u8]) -> Option<RequestKey> {
    RequestKey::new(caller, method, id, content).unwrap()
}

async fn pool() -> sqlx::PgPool {
    let cfg = nsk_db::testing::fresh_database("once").await.unwrap();
    nsk_db::connect(&cfg, &[nsk_db::requests::migrator()])
        .await
        .unwrap()
}

#[tokio::test]
async fn a_request_id_runs_once_replays_its_resource_and_refuses_another_method() {
    let pool = pool().await;
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    let issue = key("office-almaty", "IssueVoucher", "r-1", b"voucher for A");

    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(&mut tx, issue.as_ref(), first).await.unwrap(),
        Once::First
    );
    tx.commit().await.unwrap();

    // A retry of the same call, with a new resource in hand, is told the first one.
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(&mut tx, issue.as_ref(), second).await.unwrap(),
        Once::Applied(first)
    );
    tx.rollback().await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    let cancel = key("office-almaty", "CancelVoucher", "r-1", b"voucher for A");
    match once(&mut tx, cancel.as_ref(), second).await {
        Err(OnceError::Reused { method, .. }) => assert_eq!(method, "IssueVoucher"),
        other => panic!("another method's id was accepted: {other:?}"),
    }
    tx.rollback().await.unwrap();

    // Without a request id every call runs.
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(
            &mut tx,
            key("office-almaty", "IssueVoucher", "", b"x").as_ref(),
            second
        )
        .await
        .unwrap(),
        Once::First
    );
    tx.rollback().await.unwrap();

    // A rolled-back first call leaves the id free.
    let r2 = key("office-almaty", "IssueVoucher", "r-2", b"voucher for B");
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(&mut tx, r2.as_ref(), first).await.unwrap(),
        Once::First
    );
    tx.rollback().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(&mut tx, r2.as_ref(), second).await.unwrap(),
        Once::First
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_same_id_with_other_content_is_refused_and_another_callers_id_is_their_own() {
    let pool = pool().await;
    let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    let mut tx = pool.begin().await.unwrap();
    let first = key("admin-1", "RegisterProfession", "42", b"welder");
    assert_eq!(
        once(&mut tx, first.as_ref(), mine).await.unwrap(),
        Once::First
    );
    tx.commit().await.unwrap();

    // The same caller, method and id, other content: a different call, not a retry.
    let mut tx = pool.begin().await.unwrap();
    let changed = key("admin-1", "RegisterProfession", "42", b"plumber");
    match once(&mut tx, changed.as_ref(), theirs).await {
        Err(err @ OnceError::Changed { .. }) => {
            let api: nsk_errors::ApiError = err.into();
            assert_eq!(api.kind, nsk_errors::ErrorKind::AlreadyExists);
            assert!(api.message.contains("different content"), "{api:?}");
        }
        other => panic!("a changed call passed for a retry: {other:?}"),
    }
    tx.rollback().await.unwrap();

    // Another official who happens to pick the same id makes their own entry.
    let mut tx = pool.begin().await.unwrap();
    let other = key("admin-2", "RegisterProfession", "42", b"plumber");
    assert_eq!(
        once(&mut tx, other.as_ref(), theirs).await.unwrap(),
        Once::First
    );
    tx.commit().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(&mut tx, other.as_ref(), Uuid::now_v7()).await.unwrap(),
        Once::Applied(theirs)
    );
    assert_eq!(
        once(&mut tx, first.as_ref(), Uuid::now_v7()).await.unwrap(),
        Once::Applied(mine)
    );
    tx.rollback().await.unwrap();
}

#[test]
fn a_malformed_request_id_is_refused_naming_the_field() {
    let err = RequestKey::new("a", "M", "bad id\0", b"").unwrap_err();
    assert_eq!(err.kind, nsk_errors::ErrorKind::InvalidArgument);
    assert!(format!("{err:?}").contains("request_id"), "{err:?}");
}

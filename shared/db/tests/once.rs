//! The one idempotency contract, against the real PostgreSQL: a request id runs its command
//! once, a retry gets the resource it made, and the same id for another method is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_db::requests::{once, Once, OnceError};
use uuid::Uuid;

#[tokio::test]
async fn a_request_id_runs_once_replays_its_resource_and_refuses_another_method() {
    let cfg = nsk_db::testing::fresh_database("once").await.unwrap();
    let pool = nsk_db::connect(&cfg, &[]).await.unwrap();
    sqlx::query(
        "CREATE TABLE applied_requests (request_id text PRIMARY KEY, method text NOT NULL,
             resource_id uuid NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());

    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(&mut tx, Some("r-1"), "IssueVoucher", first)
            .await
            .unwrap(),
        Once::First
    );
    tx.commit().await.unwrap();

    // A retry of the same call, with a new resource in hand, is told the first one.
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(&mut tx, Some("r-1"), "IssueVoucher", second)
            .await
            .unwrap(),
        Once::Applied(first)
    );
    tx.rollback().await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    match once(&mut tx, Some("r-1"), "CancelVoucher", second).await {
        Err(OnceError::Reused { method, .. }) => assert_eq!(method, "IssueVoucher"),
        other => panic!("another method's id was accepted: {other:?}"),
    }
    tx.rollback().await.unwrap();

    // Without a request id every call runs.
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(&mut tx, None, "IssueVoucher", second).await.unwrap(),
        Once::First
    );
    tx.rollback().await.unwrap();

    // A rolled-back first call leaves the id free.
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(&mut tx, Some("r-2"), "IssueVoucher", first)
            .await
            .unwrap(),
        Once::First
    );
    tx.rollback().await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    assert_eq!(
        once(&mut tx, Some("r-2"), "IssueVoucher", second)
            .await
            .unwrap(),
        Once::First
    );
    tx.commit().await.unwrap();
}

//! Connections held aside for a busy statement, against the real PostgreSQL: a connection whose
//! statement was answered (a row or a refusal) is used again; one whose caller went away in
//! the middle of its statement is closed, never handed to the next caller half-way through;
//! and no more than the number asked for are open at once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::collections::HashSet;
use std::time::Duration;

use nsk_db::held::HeldConnections;
use sqlx::Row;

async fn pool() -> sqlx::PgPool {
    let cfg = nsk_db::testing::fresh_database("held").await.unwrap();
    nsk_db::connect(&cfg, &[]).await.unwrap()
}

async fn backend(held: &HeldConnections) -> i32 {
    let row = held
        .fetch_one(sqlx::query("SELECT pg_backend_pid() AS pid"))
        .await
        .unwrap();
    row.get("pid")
}

#[tokio::test]
async fn an_answered_statement_leaves_its_connection_for_the_next_even_a_refused_one() {
    let held = HeldConnections::new(pool().await, 1);
    let first = backend(&held).await;
    assert_eq!(backend(&held).await, first, "the connection is used again");

    // Refused by the server (division by zero): the connection is ready for the next one.
    let refused = held
        .fetch_one(sqlx::query("SELECT 1 / $1 AS n").bind(0_i32))
        .await
        .unwrap_err();
    assert!(matches!(refused, sqlx::Error::Database(_)), "{refused:?}");
    assert_eq!(backend(&held).await, first, "kept after a refusal");
}

#[tokio::test]
async fn a_statement_abandoned_half_way_closes_its_connection() {
    let pool = pool().await;
    let held = HeldConnections::new(pool.clone(), 1);
    let first = backend(&held).await;

    // The caller goes away while the server is still working on its statement.
    let abandoned = tokio::time::timeout(
        Duration::from_millis(200),
        held.fetch_one(sqlx::query("SELECT pg_sleep(2)")),
    )
    .await;
    assert!(abandoned.is_err(), "the statement was still running");

    // The next caller gets a connection of its own, which answers its own statement (not the
    // sleep's late row).
    let next = held
        .fetch_one(sqlx::query("SELECT pg_backend_pid() AS pid, 42 AS answer"))
        .await
        .unwrap();
    assert_ne!(next.get::<i32, _>("pid"), first, "a new connection");
    assert_eq!(next.get::<i32, _>("answer"), 42);

    // The abandoned connection is gone from the server, not left sleeping.
    let mut gone = false;
    for _ in 0..100 {
        let still: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
                .bind(first)
                .fetch_one(&pool)
                .await
                .unwrap();
        if !still {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        gone,
        "backend {first} still open 10 s after its caller left"
    );
}

#[tokio::test]
async fn no_more_connections_than_asked_for_are_open_at_once() {
    let held = std::sync::Arc::new(HeldConnections::new(pool().await, 2));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let held = held.clone();
        tasks.push(tokio::spawn(async move {
            let row = held
                .fetch_one(sqlx::query(
                    "SELECT pg_backend_pid() AS pid, pg_sleep(0.05)::text AS slept",
                ))
                .await
                .unwrap();
            row.get::<i32, _>("pid")
        }));
    }
    let mut pids = HashSet::new();
    for task in tasks {
        pids.insert(task.await.unwrap());
    }
    assert!(
        !pids.is_empty() && pids.len() <= 2,
        "eight statements on at most two connections: {pids:?}"
    );
}

//! The audit trail nobody can rewrite, against the real PostgreSQL: entries chained in commit
//! order under concurrency; the services' role may append but not change or remove; the owner
//! is stopped by the trigger; and an entry edited or removed by someone who gets past both is
//! named by the verifier, and by the `nsk-audit` command.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_db::audit::{self, Entry, Verdict};

async fn database() -> (nsk_config::DatabaseConfig, sqlx::PgPool) {
    let cfg = nsk_db::testing::fresh_database("audit").await.unwrap();
    let admin = nsk_db::connect(&cfg, &[nsk_db::requests::migrator()])
        .await
        .unwrap();
    audit::separate_roles(&admin).await.unwrap();
    (cfg, admin)
}

fn entry<'a>(actor: &'a str, subject: &'a str) -> Entry<'a> {
    Entry {
        actor,
        action: "read:document",
        subject,
        detail: "as auditor",
    }
}

#[tokio::test]
async fn concurrent_appends_chain_in_commit_order_and_verify_intact() {
    let (cfg, _admin) = database().await;
    let app = nsk_db::connect_as_app(&cfg).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..40 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let actor = format!("official-{}", n % 4);
            let subject = format!("document/{n}");
            audit::record(&app, &entry(&actor, &subject)).await.unwrap()
        }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (1..=40).collect::<Vec<i64>>());
    // A rolled-back act leaves no entry and no gap.
    let mut tx = app.begin().await.unwrap();
    audit::append(&mut tx, &entry("official-9", "document/x"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(
        audit::verify(&app).await.unwrap(),
        Verdict::Intact { entries: 40 }
    );
}

#[tokio::test]
async fn the_services_role_appends_but_cannot_rewrite_and_the_owner_is_stopped_too() {
    let (cfg, admin) = database().await;
    let app = nsk_db::connect_as_app(&cfg).await.unwrap();
    audit::record(&app, &entry("official-1", "document/1"))
        .await
        .unwrap();
    for statement in [
        "UPDATE audit_log SET detail = 'nothing to see'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    ] {
        let err = sqlx::query(statement).execute(&app).await.unwrap_err();
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.to_string());
        assert_eq!(code.as_deref(), Some("42501"), "{statement}: {err}");
    }
    // Even the database's administrator meets the trigger.
    let err = sqlx::query("UPDATE audit_log SET detail = 'nothing to see'")
        .execute(&admin)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_eq!(
        audit::verify(&app).await.unwrap(),
        Verdict::Intact { entries: 1 }
    );
}

#[tokio::test]
async fn an_edited_or_removed_entry_is_named_by_the_verifier_and_the_command() {
    let (cfg, admin) = database().await;
    // Entries 1 to 5 from one connection: one lane, numbered 1 to 5 in it.
    let mut conn = admin.acquire().await.unwrap();
    for n in 1..=5 {
        let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
        audit::append(&mut tx, &entry("official-1", &format!("document/{n}")))
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    // Someone with the server's superuser gets past the trigger and edits entry 3.
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor = 'somebody-else' WHERE seq = 3")
        .execute(&mut *conn)
        .await
        .unwrap();
    match audit::verify(&admin).await.unwrap() {
        Verdict::Broken { seq, why } => {
            assert_eq!(seq, 3);
            assert!(why.contains("changed"), "{why}");
        }
        intact => panic!("an edited entry passed: {intact:?}"),
    }
    let binary = nsk_runtime_bin("nsk-audit");
    let output = std::process::Command::new(&binary)
        .args(["verify", "--database", &cfg.name])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("broken at entry 3"), "{printed}");

    // Put back, then remove entry 4: the gap is named.
    sqlx::query("UPDATE audit_log SET actor = 'official-1' WHERE seq = 3")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = 4")
        .execute(&mut *conn)
        .await
        .unwrap();
    match audit::verify(&admin).await.unwrap() {
        Verdict::Broken { seq, why } => {
            assert_eq!(seq, 5, "{why}");
            assert!(why.contains("entry 4 is missing"), "{why}");
        }
        intact => panic!("a removed entry passed: {intact:?}"),
    }
    // And the last one removed: the head tells.
    sqlx::query("INSERT INTO audit_log (seq, lane, lane_seq, at, actor, action, subject, detail, prev_hash, hash) SELECT 4, lane, 4, at, actor, action, 'document/4', detail, prev_hash, hash FROM audit_log WHERE seq = 3")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq >= 4")
        .execute(&mut *conn)
        .await
        .unwrap();
    match audit::verify(&admin).await.unwrap() {
        Verdict::Broken { why, .. } => assert!(why.contains("removed at the end"), "{why}"),
        intact => panic!("a truncated trail passed: {intact:?}"),
    }
}

/// A binary of the workspace, built by `make test` before the tests run.
fn nsk_runtime_bin(name: &str) -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target")
        });
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first (make test does)",
        path.display()
    );
    path
}

#[tokio::test]
async fn entries_in_kazakh_and_russian_chain_and_verify_as_the_verifier_hashes_them() {
    // The database computes each link; the verifier recomputes it in Rust: lengths are bytes
    // of UTF-8, not characters, or every entry in Cyrillic would read as tampered.
    let (cfg, _admin) = database().await;
    let app = nsk_db::connect_as_app(&cfg).await.unwrap();
    for (actor, detail) in [
        ("оператор-1", "Сейткали Айгерим Нурлановна"),
        ("official-2", "Дәнекерлеуші, 4-деңгей"),
        ("", ""),
    ] {
        let entry = Entry {
            actor,
            action: "read:document",
            subject: "document/ә",
            detail,
        };
        audit::record(&app, &entry).await.unwrap();
    }
    assert_eq!(
        audit::verify(&app).await.unwrap(),
        Verdict::Intact { entries: 3 }
    );
}

#[tokio::test]
async fn many_entries_appended_at_once_chain_between_single_ones_and_verify() {
    let (cfg, _admin) = database().await;
    let app = nsk_db::connect_as_app(&cfg).await.unwrap();
    audit::record(&app, &entry("official-1", "document/before"))
        .await
        .unwrap();
    let subjects: Vec<String> = (0..1_000).map(|n| format!("document/{n}")).collect();
    let entries: Vec<Entry<'_>> = subjects
        .iter()
        .map(|s| Entry {
            actor: "nce-officer-7",
            action: "nsk.documents.v1.DocumentCancelled",
            subject: s,
            detail: "отозван: Art. 26.2.4",
        })
        .collect();
    let mut tx = app.begin().await.unwrap();
    assert_eq!(audit::append_all(&mut tx, &entries).await.unwrap(), 1_001);
    assert_eq!(audit::append_all(&mut tx, &[]).await.unwrap(), 0);
    tx.commit().await.unwrap();
    assert_eq!(
        audit::record(&app, &entry("official-1", "document/after"))
            .await
            .unwrap(),
        1_002
    );
    assert_eq!(
        audit::verify(&app).await.unwrap(),
        Verdict::Intact { entries: 1_002 }
    );
}

/// The lane a connection appends to, as the trail computes it.
async fn lane_of(conn: &mut sqlx::PgConnection) -> i32 {
    sqlx::query_scalar("SELECT 1 + pg_backend_pid() % $1")
        .bind(audit::LANES)
        .fetch_one(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn two_lanes_commit_without_waiting_for_each_other_and_an_entry_moved_between_lanes_is_named()
{
    let (cfg, admin) = database().await;
    let app = nsk_db::connect_as_app(&cfg).await.unwrap();
    // Two connections in different lanes (a connection's lane follows its server process).
    let mut first = app.acquire().await.unwrap();
    let first_lane = lane_of(&mut first).await;
    let mut held = Vec::new();
    let mut second = loop {
        let mut conn = app.acquire().await.unwrap();
        if lane_of(&mut conn).await != first_lane {
            break conn;
        }
        held.push(conn);
    };
    let second_lane = lane_of(&mut second).await;
    drop(held);
    // The first holds its lane's head, uncommitted; the second appends and commits meanwhile.
    let mut open = sqlx::Connection::begin(&mut *first).await.unwrap();
    let early = audit::append(&mut open, &entry("official-1", "document/slow"))
        .await
        .unwrap();
    let mut tx = sqlx::Connection::begin(&mut *second).await.unwrap();
    let quick = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        audit::append(&mut tx, &entry("official-2", "document/quick")),
    )
    .await
    .expect("a lane waited for another lane's transaction")
    .unwrap();
    tx.commit().await.unwrap();
    assert!(quick > early, "numbered in the order appended");
    open.commit().await.unwrap();
    // Then a thousand at once in the second, and more in the first.
    let subjects: Vec<String> = (0..1_000).map(|n| format!("document/b{n}")).collect();
    let many: Vec<Entry<'_>> = subjects.iter().map(|s| entry("official-2", s)).collect();
    audit::append_all(&mut second, &many).await.unwrap();
    for n in 0..3 {
        audit::append(&mut first, &entry("official-1", &format!("document/a{n}")))
            .await
            .unwrap();
    }
    assert_eq!(
        audit::verify(&app).await.unwrap(),
        Verdict::Intact { entries: 1_005 }
    );
    let per_lane: Vec<(i16, i64, i64)> = sqlx::query_as(
        "SELECT lane, count(*), max(lane_seq) FROM audit_log GROUP BY lane ORDER BY lane",
    )
    .fetch_all(&app)
    .await
    .unwrap();
    let mut expected = vec![
        (first_lane as i16, 4, 4),
        (second_lane as i16, 1_001, 1_001),
    ];
    expected.sort();
    assert_eq!(per_lane, expected);
    // The first lane's last entry carried into the second, numbered to follow its last one,
    // the heads adjusted: the link it carries is the first lane's, and that is named.
    let mut conn = admin.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET lane = $1, lane_seq = 1002 WHERE subject = 'document/a2'")
        .bind(second_lane as i16)
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = $1")
        .bind(second_lane)
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = seq - 1 WHERE id = $1")
        .bind(first_lane)
        .execute(&mut *conn)
        .await
        .unwrap();
    match audit::verify(&admin).await.unwrap() {
        Verdict::Broken { why, .. } => assert!(why.contains("does not carry the hash"), "{why}"),
        intact => panic!("an entry moved between lanes passed: {intact:?}"),
    }
}

/// A connection of the app's role in `lane`: connections are opened (and closed) until one
/// lands there — a connection's lane follows its server process.
async fn connection_in_lane(app: &sqlx::PgPool, lane: i32) -> sqlx::PgConnection {
    for _ in 0..500 {
        let mut conn = app.acquire().await.unwrap().detach();
        if lane_of(&mut conn).await == lane {
            return conn;
        }
        sqlx::Connection::close(conn).await.unwrap();
    }
    panic!("no connection in lane {lane} after 500");
}

#[tokio::test]
async fn an_append_that_waits_for_its_lane_chains_after_the_entry_that_held_it() {
    let (cfg, _admin) = database().await;
    let app = nsk_db::connect_as_app(&cfg).await.unwrap();
    let mut first = app.acquire().await.unwrap().detach();
    let lane = lane_of(&mut first).await;
    let mut second = connection_in_lane(&app, lane).await;
    // The first appends and keeps its transaction open: the lane's head is its until it ends.
    let mut open = sqlx::Connection::begin(&mut first).await.unwrap();
    let held = audit::append(&mut open, &entry("official-1", "document/first"))
        .await
        .unwrap();
    let waiting = tokio::spawn(async move {
        let mut tx = sqlx::Connection::begin(&mut second).await.unwrap();
        let seq = audit::append(&mut tx, &entry("official-2", "document/second"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        seq
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !waiting.is_finished(),
        "an append in a lane whose head another transaction holds did not wait"
    );
    open.commit().await.unwrap();
    let after = waiting.await.unwrap();
    assert!(after > held);
    // The waiting append took the head as the first left it: the next number in the lane and
    // the first's hash as its link.
    let rows: Vec<(String, i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
        "SELECT subject, lane_seq, prev_hash, hash FROM audit_log WHERE lane = $1 ORDER BY lane_seq",
    )
    .bind(lane as i16)
    .fetch_all(&app)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, "document/first");
    assert_eq!(
        (rows[1].0.as_str(), rows[1].1),
        ("document/second", rows[0].1 + 1)
    );
    assert_eq!(rows[1].2, rows[0].3, "the second carries the first's hash");
    assert_eq!(
        audit::verify(&app).await.unwrap(),
        Verdict::Intact { entries: 2 }
    );
}

//! The short form of `make chaos`, in `make test`: the platform on a durable broker of its own,
//! two centers registering, an official cancelling, the authorized body amending, the NCE
//! revoking a third center on ground 4, and five faults drawn from a fixed seed — among them
//! the broker down for 8 seconds (every write must still succeed, its events waiting in the
//! outboxes), the registry killed while its relay publishes and accreditation while its
//! consumer applies. Then the checker: nothing lost, nothing twice, nothing unexpected, every
//! read model equal to its source.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_e2e::chaos::{checker, Options, Run};

#[tokio::test]
async fn under_faults_nothing_acknowledged_is_lost_or_doubled_and_writes_go_on_without_the_broker()
{
    let options = Options::short(20261206);
    let mut run = Run::start(options).await;
    let report = run.report().await;
    println!("{}", report.summary());
    assert!(report.faults >= 5, "{} faults", report.faults);
    assert!(
        report.acknowledged > 100,
        "{} commands acknowledged",
        report.acknowledged
    );
    assert!(
        report.outage_tried > 0,
        "no write was tried while the broker was down"
    );
    assert_eq!(
        report.outage_acknowledged, report.outage_tried,
        "writes refused while the broker was down"
    );
    assert!(report.clean(), "the checker found faults");

    // And the checker tells: a document accreditation forgot, and a registration changed behind
    // the ledger's back, are each counted.
    let accreditation = sqlx::PgPool::connect(&run.platform.database_url("accreditation"))
        .await
        .unwrap();
    sqlx::query(
        "DELETE FROM issued_documents WHERE serial_number =
           (SELECT serial_number FROM issued_documents ORDER BY serial_number LIMIT 1)",
    )
    .execute(&accreditation)
    .await
    .unwrap();
    let documents = sqlx::PgPool::connect(&run.platform.database_url("documents"))
        .await
        .unwrap();
    sqlx::query(
        "UPDATE documents SET protocol_number = 'CH-0001-999999'
          WHERE id = (SELECT id FROM documents WHERE cancelled_on IS NULL ORDER BY id LIMIT 1)",
    )
    .execute(&documents)
    .await
    .unwrap();
    // And a document the revocation named, its cancellation undone behind the ledger's back.
    sqlx::query(
        "UPDATE documents SET cancelled_on = NULL, cancel_ground = NULL
          WHERE id = (SELECT id FROM documents WHERE cancel_ground = 'revocation_on_complaints'
                       ORDER BY id LIMIT 1)",
    )
    .execute(&documents)
    .await
    .unwrap();
    let verdict = checker::check(&run.platform, &run.ledger()).await;
    println!("{}", verdict.table());
    // The renamed registration: its protocol lost, an unexpected one present.
    assert_eq!(verdict.lines[0].lost, 1, "{}", verdict.table());
    assert_eq!(verdict.lines[0].unexpected, 1, "{}", verdict.table());
    // Accreditation: the forgotten document missing, and the un-cancelled one no longer as
    // the registry has it.
    assert_eq!(verdict.lines[2].lost, 2, "{}", verdict.table());
    // The revocation's cancellation missing.
    assert_eq!(verdict.lines[3].lost, 1, "{}", verdict.table());
    assert!(!verdict.clean());
}

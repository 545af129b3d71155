//! Termination of certificates (Art. 26.6), and the scheduled job that lets certificates expire
//! at the end of their last day (Art. 26.6.2), each exactly once however many instances run.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use nsk_errors::ApiError;
use nsk_events::{EventContext, Outbox};
use nsk_proto::nsk::accreditation::v1 as pb;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use crate::domain::certificate::TerminationGround;
use crate::store::{self, Document, Step, StoredCertificate};

/// Who terminates, on what, and when.
pub struct Termination<'a> {
    pub ground: TerminationGround,
    pub on: NaiveDate,
    pub basis: Option<Document>,
    pub actor: &'a str,
    pub actor_role: &'a str,
    pub request_id: &'a str,
}

/// Terminates `c` (locked by the caller) on `t.ground`, with its step and event, in the
/// caller's transaction.
pub async fn terminate(
    conn: &mut PgConnection,
    outbox: &Outbox,
    mut c: StoredCertificate,
    t: Termination<'_>,
) -> Result<StoredCertificate, ApiError> {
    c.terminate(t.ground, t.on, Utc::now())
        .map_err(|refused| ApiError::failed_precondition(refused.0))?;
    store::save_certificate(conn, &c).await?;
    let what = match t.ground {
        TerminationGround::Revocation => "terminated after the decision to revoke (Art. 26.6.1)",
        TerminationGround::Expiry => "expired at the end of its last day (Art. 26.6.2)",
        TerminationGround::Liquidation => "terminated: the center's activity ended (Art. 26.6.3)",
        TerminationGround::CourtDecision => {
            "terminated: a court decision prohibits the activity (Art. 26.6.4)"
        }
    };
    let step = Step {
        what: what.to_string(),
        actor: t.actor.to_string(),
        actor_role: t.actor_role.to_string(),
        document: t.basis,
        remarks: String::new(),
        acted_on: c.status_since(),
        request_id: t.request_id.to_string(),
        at: Utc::now(),
    };
    store::add_step(conn, c.id, &step).await?;
    let certificate = crate::convert::certificate_for_event(&c);
    let event = pb::CertificateTerminated {
        ground: crate::convert::termination_to_proto(t.ground) as i32,
        terminated_on: c.status_since().to_string(),
        certificate: Some(certificate.clone()),
    };
    let context = EventContext {
        actor: t.actor.to_string(),
        request_id: t.request_id.to_string(),
    };
    crate::events::center_event(outbox, conn, &context, &certificate.center_number, &event).await?;
    tracing::info!(certificate_id = %c.id, ground = ?t.ground, since = %c.status_since(), "certificate terminated");
    Ok(c)
}

/// Who the job acts as in steps and events.
pub const JOB_ACTOR: &str = "nsk-accreditation/expiry-job";

/// Expires every live certificate whose last day is before `today`, in batches; returns how
/// many it expired. Certificates another instance is expiring at the same moment are skipped
/// (it holds their locks), and once it commits they are no longer live: each expires once.
pub async fn expire_due(
    pool: &PgPool,
    outbox: &Outbox,
    today: NaiveDate,
) -> Result<usize, ApiError> {
    let mut total = 0;
    loop {
        let mut tx = pool.begin().await?;
        let batch = store::lock_expired(&mut tx, today, 100).await?;
        if batch.is_empty() {
            tx.rollback().await?;
            return Ok(total);
        }
        for c in batch {
            let request_id = format!("expiry-{}", c.id);
            let termination = Termination {
                ground: TerminationGround::Expiry,
                on: today,
                basis: None,
                actor: JOB_ACTOR,
                actor_role: "system",
                request_id: &request_id,
            };
            terminate(&mut tx, outbox, c, termination).await?;
            total += 1;
        }
        tx.commit().await?;
    }
}

/// Runs [`expire_due`] every `interval` with today's date in Kazakhstan, until shutdown.
pub async fn run(pool: PgPool, outbox: Outbox, interval: Duration, shutdown: CancellationToken) {
    loop {
        let today = nsk_calendar::today();
        let run = expire_due(&pool, &outbox, today).await;
        nsk_metrics::metrics().job("certificate-expiry", run.is_ok());
        match run {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, %today, "certificates expired"),
            Err(err) => {
                tracing::warn!(error = %err, "the expiry job failed; it runs again at the next tick")
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

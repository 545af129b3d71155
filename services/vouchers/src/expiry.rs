//! The job that ends vouchers not used within their validity (Art. 29.3: "cancelled if not
//! used within its validity period"): each exactly once however many instances run, its
//! budget released to its region and `VoucherExpired` published, in one transaction.

use std::time::Duration;

use chrono::{NaiveDate, SubsecRound, Utc};
use nsk_errors::ApiError;
use nsk_events::{EventContext, Outbox};
use nsk_proto::nsk::vouchers::v1 as pb;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::convert::voucher_to_proto;
use crate::store;

/// How many vouchers one transaction ends.
const BATCH: i64 = 100;
/// The actor in the events of the job.
pub const JOB_ACTOR: &str = "voucher-expiry-job";

/// Ends every issued, unredeemed voucher whose last day is before `today`; returns how many.
pub async fn expire_due(pool: &PgPool, outbox: &Outbox, today: NaiveDate) -> Result<u64, ApiError> {
    let mut total = 0;
    loop {
        let mut tx = pool.begin().await?;
        // SKIP LOCKED: another instance's batch is its own; each voucher ends once.
        let due = store::lock_due_batch(&mut tx, today, BATCH).await?;
        if due.is_empty() {
            tx.commit().await?;
            return Ok(total);
        }
        for id in due {
            let Some(mut stored) = store::get_voucher(&mut tx, id).await? else {
                continue;
            };
            if stored.voucher.expire(today).is_err() {
                continue;
            }
            stored.status_since = today;
            stored.updated_at = Utc::now().trunc_subsecs(6);
            store::save_voucher(&mut tx, &stored).await?;
            store::release_budget(
                &mut tx,
                stored.year,
                &stored.voucher.region,
                stored.voucher.rate_tiyn,
            )
            .await?;
            let key = id.to_string();
            let context = EventContext {
                actor: JOB_ACTOR.to_string(),
                request_id: format!("expiry-{key}"),
            };
            let event = pb::VoucherExpired {
                voucher: Some(voucher_to_proto(&stored)),
            };
            outbox
                .append_next(&mut tx, crate::cases::VOUCHER, &key, &context, &event)
                .await?;
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
        nsk_metrics::metrics().job("voucher-expiry", run.is_ok());
        match run {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, %today, "vouchers expired"),
            Err(err) => {
                tracing::warn!(error = %err, "the voucher expiry job failed; it runs again at the next tick")
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}

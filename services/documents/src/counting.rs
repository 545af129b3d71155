//! Public verification counted in aggregate: each check adds one to today's count in memory;
//! a task adds the counts to `verification_counts` every few seconds (and at shutdown). No
//! serial, address or time of a single check is kept anywhere.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::NaiveDate;
use sqlx::PgPool;

use crate::store;

/// How often the counts go to the database.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct VerificationCounter {
    pending: Mutex<BTreeMap<NaiveDate, i64>>,
}

impl VerificationCounter {
    /// One check, on `day`.
    pub fn count(&self, day: NaiveDate) {
        // A poisoned lock only means a panic elsewhere mid-update; the counts are numbers.
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *pending.entry(day).or_default() += 1;
    }

    /// Adds what was counted since the last time to the database; kept for the next time if
    /// the database does not answer.
    pub async fn flush(&self, pool: &PgPool) {
        let taken = std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        for (day, n) in taken {
            if let Err(err) = store::add_verifications(pool, day, n).await {
                tracing::warn!(error = %err, %day, n, "verification counts not saved; kept for the next flush");
                self.count_many(day, n);
            }
        }
    }

    /// `n` checks on `day` (the gateway's, answered from its memory).
    pub fn count_many(&self, day: NaiveDate, n: i64) {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *pending.entry(day).or_default() += n;
    }

    /// Flushes every [`FLUSH_EVERY`] until shutdown, then once more.
    pub async fn run(
        self: std::sync::Arc<Self>,
        pool: PgPool,
        shutdown: nsk_runtime::CancellationToken,
    ) {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(FLUSH_EVERY) => self.flush(&pool).await,
            }
        }
        self.flush(&pool).await;
    }
}

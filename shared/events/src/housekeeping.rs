//! Housekeeping of the events' tables, on a schedule in every service: sent events older than
//! [`OUTBOX_RETENTION`] leave the outbox, and the ids of events applied
//! more than [`PROCESSED_RETENTION`] ago go too, their offsets kept as a watermark per
//! partition (migration `4_housekeeping`).
//!
//! Why 30 days of ids is enough: an event comes again only when the relay publishes it twice
//! (it is recorded sent seconds after it is published, and a crash in between republishes it at
//! once) or when a consumer group re-reads a partition; a re-read starts from the group's
//! committed offset — before it, at worst, the events of one batch — or, when the broker has
//! expired the group's offsets (7 days of inactivity in Apache Kafka's default), from the
//! beginning, which the watermark answers for every event older than the ids kept.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// Sent events stay in the outbox this long (to see what a service said, and when).
pub const OUTBOX_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Applied events' ids are kept this long; older ones live on in the watermarks.
pub const PROCESSED_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Rows deleted per statement, so that pruning never holds locks long.
const CHUNK: i64 = 5_000;

/// What one pass removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub outbox: u64,
    pub processed: u64,
}

/// Removes published events older than `outbox_keep` and applied ids older than
/// `processed_keep`, raising the watermarks to cover the ids removed.
pub async fn prune(
    pool: &PgPool,
    outbox_keep: Duration,
    processed_keep: Duration,
) -> Result<Pruned, sqlx::Error> {
    let mut pruned = Pruned::default();
    let seconds = |d: Duration| d.as_secs_f64();
    // The events old enough are a prefix of the table (numbered as written), found from its
    // start by the primary key; an event not yet sent stays, however old.
    loop {
        let gone = sqlx::query(
            "DELETE FROM outbox
              WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT $1)
                AND created_at < now() - make_interval(secs => $2)
                AND outbox_is_sent(xid, seq, (SELECT r FROM outbox_relay r))",
        )
        .bind(CHUNK)
        .bind(seconds(outbox_keep))
        .execute(pool)
        .await?
        .rows_affected();
        pruned.outbox += gone;
        if gone < CHUNK as u64 {
            break;
        }
    }
    loop {
        let gone: i64 = sqlx::query_scalar(
            "WITH gone AS (
                 DELETE FROM processed_events WHERE ctid IN (
                     SELECT ctid FROM processed_events
                      WHERE processed_at < now() - make_interval(secs => $2) LIMIT $1)
                 RETURNING consumer, topic, partition, \"offset\"),
             raised AS (
                 INSERT INTO processed_watermarks (consumer, topic, partition, \"offset\")
                 SELECT consumer, topic, partition, max(\"offset\") FROM gone GROUP BY 1, 2, 3
                 ON CONFLICT (consumer, topic, partition) DO UPDATE
                    SET \"offset\" = GREATEST(processed_watermarks.\"offset\", EXCLUDED.\"offset\"))
             SELECT count(*) FROM gone",
        )
        .bind(CHUNK)
        .bind(seconds(processed_keep))
        .fetch_one(pool)
        .await?;
        let gone = u64::try_from(gone).unwrap_or(0);
        pruned.processed += gone;
        if gone < CHUNK as u64 {
            break;
        }
    }
    Ok(pruned)
}

/// Prunes every `every` until shutdown (the first pass at start).
pub async fn run(pool: PgPool, every: Duration, shutdown: CancellationToken) {
    loop {
        let pass = prune(&pool, OUTBOX_RETENTION, PROCESSED_RETENTION).await;
        nsk_metrics::metrics().job("events-housekeeping", pass.is_ok());
        match pass {
            Ok(Pruned {
                outbox: 0,
                processed: 0,
            }) => {}
            Ok(pruned) => tracing::info!(
                outbox = pruned.outbox,
                processed = pruned.processed,
                "pruned sent events and old event ids"
            ),
            Err(err) => {
                tracing::warn!(error = %err, "housekeeping failed; it runs again at the next tick")
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

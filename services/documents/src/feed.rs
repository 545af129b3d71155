//! The verification feed: every change to a document's public answer, as it commits, for the
//! gateway's verification cache.
//!
//! The table's trigger (migration `verification_feed`) announces each changed row's serial on
//! the channel `nsk_verification`; PostgreSQL delivers notifications after commit and in commit
//! order. One listener per instance forwards them to every watcher. Every [`BEAT`] the
//! instance also announces itself on the same channel, stamped with its clock: when that
//! announcement comes back, every change committed before the stamp has come before it, so the
//! watcher learns how complete its picture is. A listener that loses its connection may have
//! missed changes: its watchers are told to reset.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nsk_proto::nsk::documents::v1 as pb;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::broadcast;

/// The channel the trigger announces on.
pub const CHANNEL: &str = "nsk_verification";

/// How often the instance stamps the feed. The gateway answers from memory only while its last
/// stamp is recent (its freshness window), so this must be well inside that window.
pub const BEAT: Duration = Duration::from_millis(200);

/// What watchers hear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// These serials' answers changed.
    Serials(Vec<String>),
    /// Every change committed before this instant (ms since the epoch) has been sent.
    CompleteThrough(i64),
    /// Changes may have been missed: forget everything.
    Reset,
}

/// The feed of one instance.
#[derive(Clone)]
pub struct Feed {
    sender: broadcast::Sender<Change>,
    /// This instance's mark on its own stamps (other instances' stamps are theirs).
    instance: Arc<str>,
}

impl Default for Feed {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(4096);
        Self {
            sender,
            instance: uuid::Uuid::now_v7().simple().to_string().into(),
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A stamp's payload: `~<instance>:<ms>`. No serial number starts with `~`.
fn stamp(instance: &str, ms: i64) -> String {
    format!("~{instance}:{ms}")
}

/// What a payload on the channel means to `instance`: `None` for another instance's stamp.
pub fn read(payload: &str, instance: &str) -> Option<Change> {
    match payload.strip_prefix('~') {
        None if payload.is_empty() => None,
        None => Some(Change::Serials(vec![payload.to_string()])),
        Some(stamp) => {
            let (whose, ms) = stamp.split_once(':')?;
            (whose == instance)
                .then(|| ms.parse().ok().map(Change::CompleteThrough))
                .flatten()
        }
    }
}

impl Feed {
    /// A new watcher: it hears everything sent from now on.
    pub fn watch(&self) -> broadcast::Receiver<Change> {
        self.sender.subscribe()
    }

    fn send(&self, change: Change) {
        // No watcher is not an error: the gateway may not be up yet.
        let _ = self.sender.send(change);
    }

    /// Listens and stamps until shutdown.
    pub async fn run(self, pool: PgPool, shutdown: nsk_runtime::CancellationToken) {
        let stamping = {
            let (pool, instance, shutdown) =
                (pool.clone(), self.instance.clone(), shutdown.clone());
            async move {
                let mut beat = tokio::time::interval(BEAT);
                beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        _ = beat.tick() => {}
                    }
                    let payload = stamp(&instance, now_ms());
                    if let Err(err) = crate::store::notify(&pool, CHANNEL, &payload).await {
                        tracing::debug!(error = %err, "verification feed: cannot stamp");
                    }
                }
            }
        };
        let listening = async {
            loop {
                if shutdown.is_cancelled() {
                    break;
                }
                self.listen(&pool, &shutdown).await;
                // Whatever was missed while reconnecting, watchers must not trust.
                self.send(Change::Reset);
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        };
        tokio::join!(stamping, listening);
    }

    /// One connection's life: forwards what it hears until the connection or shutdown ends it.
    async fn listen(&self, pool: &PgPool, shutdown: &nsk_runtime::CancellationToken) {
        let mut listener = match PgListener::connect_with(pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "verification feed: cannot connect to listen");
                return;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %err, "verification feed: cannot listen");
            return;
        }
        // From here on nothing is missed; what came before, watchers forget.
        self.send(Change::Reset);
        loop {
            let heard = tokio::select! {
                () = shutdown.cancelled() => return,
                heard = listener.try_recv() => heard,
            };
            match heard {
                Ok(Some(notification)) => {
                    if let Some(change) = read(notification.payload(), &self.instance) {
                        self.send(change);
                    }
                }
                Ok(None) => {
                    tracing::warn!("verification feed: the listening connection was lost");
                    return;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "verification feed: listening failed");
                    return;
                }
            }
        }
    }
}

/// A watcher's messages: a reset first, then what the feed sends; a watcher too slow to keep
/// up is told to reset rather than left with a gap.
pub fn changes(
    receiver: broadcast::Receiver<Change>,
) -> impl futures::Stream<Item = Result<pb::VerificationChanges, tonic::Status>> + Send {
    let first = futures::stream::once(async { Ok(message(Change::Reset)) });
    let rest = futures::stream::unfold(receiver, |mut receiver| async move {
        let change = match receiver.recv().await {
            Ok(change) => change,
            Err(broadcast::error::RecvError::Lagged(_)) => Change::Reset,
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(message(change)), receiver))
    });
    futures::StreamExt::chain(first, rest)
}

fn message(change: Change) -> pb::VerificationChanges {
    match change {
        Change::Serials(serial_numbers) => pb::VerificationChanges {
            serial_numbers,
            ..Default::default()
        },
        Change::CompleteThrough(ms) => pb::VerificationChanges {
            complete_through_unix_ms: ms,
            ..Default::default()
        },
        Change::Reset => pb::VerificationChanges {
            reset: true,
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_serial_is_a_change_and_only_the_own_stamp_counts() {
        let serial = "25110-72120011-4-150326-0101-00000001";
        assert_eq!(
            read(serial, "a"),
            Some(Change::Serials(vec![serial.to_string()]))
        );
        assert_eq!(
            read(&stamp("a", 42), "a"),
            Some(Change::CompleteThrough(42))
        );
        assert_eq!(read(&stamp("b", 42), "a"), None);
        assert_eq!(read("~a:not-a-number", "a"), None);
        assert_eq!(read("", "a"), None);
    }
}

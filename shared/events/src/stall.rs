//! A consumer that holds no partition while its topics wait unread joins its group again.
//!
//! A group coordinator may leave a member without partitions after another member died
//! (seen with the local broker: a service killed and started again within the dead member's
//! session is given nothing, and nobody reads the group's partitions). A healthy group moves:
//! someone commits, or nothing waits. So a consumer that has held nothing for
//! [`STALL_AFTER`] looks at the group's committed offsets and the partitions' ends; if events
//! wait and no committed offset moved between two looks, it leaves and joins again as a new
//! member. An extra instance beside a working group (more instances than partitions) sees the
//! offsets move, or nothing waiting, and stays as it is.

use std::time::{Duration, Instant};

use rdkafka::{Offset, TopicPartitionList};

/// How long a consumer holds no partition before it looks whether its group is stuck.
pub const STALL_AFTER: Duration = Duration::from_secs(20);

/// How often the consumer looks.
pub const LOOK_EVERY: Duration = Duration::from_secs(10);

/// What the broker answers within this, or the look is skipped (the broker may be down).
const ASK_WITHIN: Duration = Duration::from_secs(3);

/// One partition's committed offset for the group and its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub topic: String,
    pub partition: i32,
    pub committed: i64,
    pub end: i64,
}

/// Whether events wait unread and nothing moved since the last look.
#[derive(Debug, Default)]
pub struct StallWatch {
    idle_since: Option<Instant>,
    last: Option<Vec<Position>>,
}

impl StallWatch {
    /// Called every [`LOOK_EVERY`] with whether the consumer holds partitions: true when it has
    /// held none for [`STALL_AFTER`], and the group's positions should be looked at.
    pub fn wants_look(&mut self, holds_partitions: bool, now: Instant) -> bool {
        if holds_partitions {
            *self = Self::default();
            return false;
        }
        let since = *self.idle_since.get_or_insert(now);
        now.duration_since(since) >= STALL_AFTER
    }

    /// The group's positions as the broker gave them (None when it could not): true when
    /// events wait and nothing moved since the last look — join again.
    pub fn stuck(&mut self, positions: Option<Vec<Position>>) -> bool {
        let Some(positions) = positions else {
            return false;
        };
        let waiting = positions.iter().any(|p| p.committed < p.end);
        // Moved: some committed offset changed (the ends grow as events come; that is not the
        // group moving).
        let committed = |ps: &[Position]| -> Vec<(String, i32, i64)> {
            ps.iter()
                .map(|p| (p.topic.clone(), p.partition, p.committed))
                .collect()
        };
        let unmoved = self
            .last
            .as_deref()
            .is_some_and(|last| committed(last) == committed(&positions));
        self.last = Some(positions);
        waiting && unmoved
    }
}

/// The group's committed offset and the end of every partition of `topics` (blocking: run it
/// off the runtime's threads).
pub fn positions<C, K>(consumer: &K, topics: &[String]) -> Result<Vec<Position>, String>
where
    C: rdkafka::consumer::ConsumerContext,
    K: rdkafka::consumer::Consumer<C>,
{
    let mut list = TopicPartitionList::new();
    for topic in topics {
        let metadata = consumer
            .fetch_metadata(Some(topic), ASK_WITHIN)
            .map_err(|e| format!("metadata of {topic}: {e}"))?;
        for t in metadata.topics() {
            for p in t.partitions() {
                list.add_partition(t.name(), p.id());
            }
        }
    }
    let committed = consumer
        .committed_offsets(list, ASK_WITHIN)
        .map_err(|e| format!("committed offsets: {e}"))?;
    let mut out = Vec::new();
    for e in committed.elements() {
        let (low, end) = consumer
            .fetch_watermarks(e.topic(), e.partition(), ASK_WITHIN)
            .map_err(|err| format!("end of {}/{}: {err}", e.topic(), e.partition()))?;
        // Nothing committed yet: the group would start at the partition's beginning.
        let committed = match e.offset() {
            Offset::Offset(o) => o,
            _ => low,
        };
        out.push(Position {
            topic: e.topic().to_string(),
            partition: e.partition(),
            committed,
            end,
        });
    }
    out.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(committed: i64, end: i64) -> Option<Vec<Position>> {
        Some(vec![Position {
            topic: "t".into(),
            partition: 0,
            committed,
            end,
        }])
    }

    #[test]
    fn a_member_without_partitions_rejoins_only_when_events_wait_and_nothing_moves() {
        let start = Instant::now();
        let mut watch = StallWatch::default();
        // Holding nothing for less than STALL_AFTER: no look.
        assert!(!watch.wants_look(false, start));
        assert!(!watch.wants_look(false, start + LOOK_EVERY));
        assert!(watch.wants_look(false, start + STALL_AFTER));
        // First look: events wait, but there is nothing to compare with yet.
        assert!(!watch.stuck(at(5, 9)));
        // The group moved (someone else reads): not stuck.
        assert!(!watch.stuck(at(7, 12)));
        // Nothing waits: an idle extra instance, not stuck.
        assert!(!watch.stuck(at(12, 12)));
        assert!(!watch.stuck(at(12, 12)));
        // The broker could not be asked: no verdict, and the last look stands.
        assert!(!watch.stuck(None));
        // Events came, and nobody committed since the last look: stuck.
        assert!(watch.stuck(at(12, 20)));
        // Someone committed meanwhile: moving, however many wait.
        assert!(!watch.stuck(at(15, 26)));
        // The ends grow, the committed offsets stand still: stuck.
        assert!(watch.stuck(at(15, 31)));
    }

    #[test]
    fn holding_partitions_starts_the_watch_again() {
        let start = Instant::now();
        let mut watch = StallWatch::default();
        assert!(!watch.wants_look(false, start));
        assert!(watch.wants_look(false, start + STALL_AFTER));
        assert!(!watch.stuck(at(0, 3)));
        // Partitions given: forgotten, the last look too.
        assert!(!watch.wants_look(true, start + STALL_AFTER + LOOK_EVERY));
        // Idle again: the time counts from now, not from the first idle look.
        let again = start + STALL_AFTER + LOOK_EVERY * 2;
        assert!(!watch.wants_look(false, again));
        assert!(!watch.wants_look(false, again + LOOK_EVERY));
        assert!(watch.wants_look(false, again + STALL_AFTER));
        assert!(!watch.stuck(at(0, 3)));
        assert!(watch.stuck(at(0, 3)));
    }
}

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
//!
//! A consumer whose looks the broker does not answer, [`UNANSWERED_LOOKS`] in a row, joins
//! again too, on new connections: seen with the local broker after it came back from a kill, a
//! member left without partitions whose every metadata request timed out for two minutes
//! while the broker served the other services, until a look got through and it rejoined (it
//! was given its partitions at once).

use std::time::{Duration, Instant};

use rdkafka::{Offset, TopicPartitionList};

/// How long a consumer holds no partition before it looks whether its group is stuck.
pub const STALL_AFTER: Duration = Duration::from_secs(20);

/// How often the consumer looks.
pub const LOOK_EVERY: Duration = Duration::from_secs(10);

/// What the broker answers within this, or the look is skipped (the broker may be down).
const ASK_WITHIN: Duration = Duration::from_secs(3);

/// Looks in a row the broker did not answer after which a consumer holding nothing joins
/// again, on new connections, without knowing whether events wait.
pub const UNANSWERED_LOOKS: u32 = 3;

/// One partition's committed offset for the group and its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub topic: String,
    pub partition: i32,
    pub committed: i64,
    pub end: i64,
}

/// Why a consumer holding nothing joins its group again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stuck {
    /// Events wait and no committed offset moved between two looks.
    Unmoved,
    /// The broker answered none of [`UNANSWERED_LOOKS`] looks in a row.
    Unanswered,
}

impl Stuck {
    /// For the log: what the consumer saw.
    pub fn reason(self) -> &'static str {
        match self {
            Stuck::Unmoved => "events wait and the group's offsets do not move",
            Stuck::Unanswered => "the broker answered none of its last looks at the group",
        }
    }
}

/// Whether events wait unread and nothing moved since the last look.
#[derive(Debug, Default)]
pub struct StallWatch {
    idle_since: Option<Instant>,
    last: Option<Vec<Position>>,
    /// Looks in a row the broker did not answer.
    unanswered: u32,
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
    /// events wait and nothing moved since the last look, or when the broker has not answered
    /// [`UNANSWERED_LOOKS`] looks in a row — join again.
    pub fn stuck(&mut self, positions: Option<Vec<Position>>) -> Option<Stuck> {
        let Some(positions) = positions else {
            // No verdict on the group; the last look stands. But a client the broker stopped
            // answering is better replaced than left holding nothing.
            self.unanswered += 1;
            return (self.unanswered >= UNANSWERED_LOOKS).then_some(Stuck::Unanswered);
        };
        self.unanswered = 0;
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
        (waiting && unmoved).then_some(Stuck::Unmoved)
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
        assert_eq!(watch.stuck(at(5, 9)), None);
        // The group moved (someone else reads): not stuck.
        assert_eq!(watch.stuck(at(7, 12)), None);
        // Nothing waits: an idle extra instance, not stuck.
        assert_eq!(watch.stuck(at(12, 12)), None);
        assert_eq!(watch.stuck(at(12, 12)), None);
        // The broker could not be asked: no verdict, and the last look stands.
        assert_eq!(watch.stuck(None), None);
        // Events came, and nobody committed since the last look: stuck.
        assert_eq!(watch.stuck(at(12, 20)), Some(Stuck::Unmoved));
        // Someone committed meanwhile: moving, however many wait.
        assert_eq!(watch.stuck(at(15, 26)), None);
        // The ends grow, the committed offsets stand still: stuck.
        assert_eq!(watch.stuck(at(15, 31)), Some(Stuck::Unmoved));
    }

    #[test]
    fn a_member_the_broker_does_not_answer_rejoins_after_three_looks_in_a_row() {
        let mut watch = StallWatch::default();
        // Two unanswered looks, then an answer: the count starts again.
        assert_eq!(watch.stuck(None), None);
        assert_eq!(watch.stuck(None), None);
        assert_eq!(watch.stuck(at(12, 12)), None);
        assert_eq!(watch.stuck(None), None);
        assert_eq!(watch.stuck(None), None);
        // The third in a row: join again, whatever the group's last known positions.
        assert_eq!(watch.stuck(None), Some(Stuck::Unanswered));
        // Holding partitions forgets the count with the rest.
        let mut watch = StallWatch::default();
        assert_eq!(watch.stuck(None), None);
        assert_eq!(watch.stuck(None), None);
        assert!(!watch.wants_look(true, Instant::now()));
        assert_eq!(watch.stuck(None), None);
        assert_eq!(watch.stuck(None), None);
        assert_eq!(watch.stuck(None), Some(Stuck::Unanswered));
    }

    #[test]
    fn holding_partitions_starts_the_watch_again() {
        let start = Instant::now();
        let mut watch = StallWatch::default();
        assert!(!watch.wants_look(false, start));
        assert!(watch.wants_look(false, start + STALL_AFTER));
        assert_eq!(watch.stuck(at(0, 3)), None);
        // Partitions given: forgotten, the last look too.
        assert!(!watch.wants_look(true, start + STALL_AFTER + LOOK_EVERY));
        // Idle again: the time counts from now, not from the first idle look.
        let again = start + STALL_AFTER + LOOK_EVERY * 2;
        assert!(!watch.wants_look(false, again));
        assert!(!watch.wants_look(false, again + LOOK_EVERY));
        assert!(watch.wants_look(false, again + STALL_AFTER));
        assert_eq!(watch.stuck(at(0, 3)), None);
        assert_eq!(watch.stuck(at(0, 3)), Some(Stuck::Unmoved));
    }
}

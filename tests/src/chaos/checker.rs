//! The checker, in the style of Jepsen's queue checker: every command the platform acknowledged
//! has its effect exactly once in its source and in every read model that should hold it;
//! nothing appears that nobody asked for; every read model equals its source (a checksum per
//! aggregate); no event waits in an outbox or lies in a dead-letter topic.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sqlx::PgPool;

use super::Ledger;
use crate::Platform;

/// How the registry records a cancellation by a revocation on confirmed complaints.
const REVOCATION_GROUND: &str = "revocation_on_complaints";

/// One line of the checker's table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub what: String,
    pub expected: usize,
    pub present: usize,
    pub lost: usize,
    pub duplicated: usize,
    pub unexpected: usize,
}

/// What the checker found.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub lines: Vec<Line>,
}

impl Verdict {
    pub fn lost(&self) -> usize {
        self.lines.iter().map(|l| l.lost).sum()
    }
    pub fn duplicated(&self) -> usize {
        self.lines.iter().map(|l| l.duplicated).sum()
    }
    pub fn unexpected(&self) -> usize {
        self.lines.iter().map(|l| l.unexpected).sum()
    }
    pub fn clean(&self) -> bool {
        self.lost() + self.duplicated() + self.unexpected() == 0
    }

    /// The table, one line per source or read model.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<58} {:>8} {:>8} {:>6} {:>10} {:>10}\n",
            "effect", "expected", "present", "lost", "duplicated", "unexpected"
        );
        for l in &self.lines {
            out.push_str(&format!(
                "{:<58} {:>8} {:>8} {:>6} {:>10} {:>10}\n",
                l.what, l.expected, l.present, l.lost, l.duplicated, l.unexpected
            ));
        }
        out
    }
}

/// Compares `expected` with `present` (keys that may occur more than once) and what may
/// be there without being required (`allowed`).
fn compare<K: Ord + Clone>(
    what: &str,
    expected: &BTreeSet<K>,
    allowed: &BTreeSet<K>,
    present: &[K],
) -> Line {
    let mut counts: BTreeMap<&K, usize> = BTreeMap::new();
    for k in present {
        *counts.entry(k).or_default() += 1;
    }
    Line {
        what: what.to_string(),
        expected: expected.len(),
        present: counts.len(),
        lost: expected.iter().filter(|k| !counts.contains_key(k)).count(),
        duplicated: counts.values().filter(|n| **n > 1).count(),
        unexpected: counts
            .keys()
            .filter(|k| !expected.contains(k) && !allowed.contains(k))
            .count(),
    }
}

async fn rows<T>(pool: &PgPool, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(sql)
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The one text column of every row of `sql`.
async fn strings(pool: &PgPool, sql: &str) -> Vec<String> {
    rows::<(String,)>(pool, sql)
        .await
        .into_iter()
        .map(|(s,)| s)
        .collect()
}

/// Checks everything once.
pub async fn check(platform: &Platform, ledger: &Ledger) -> Verdict {
    let mut pools: BTreeMap<&str, PgPool> = BTreeMap::new();
    for service in nsk_config::SERVICES {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&platform.database_url(service))
            .await
            .unwrap();
        pools.insert(service, pool);
    }
    let mut lines = Vec::new();

    // 1. The registry: each acknowledged registration once (by its protocol number, unique
    //    to the command), each acknowledged cancellation in effect.
    let answered: BTreeSet<String> = ledger
        .issued
        .iter()
        .filter_map(|i| i.answer.as_ref().map(|(_, serial)| serial.clone()))
        .collect();
    let registry: Vec<(String, String, bool, String, String)> = rows(
        &pools["documents"],
        "SELECT serial_number, protocol_number, cancelled_on IS NOT NULL, id::text,
                COALESCE(cancel_ground, '')
           FROM documents WHERE protocol_number LIKE 'CH-%'",
    )
    .await;
    let protocols: BTreeSet<String> = ledger
        .issued
        .iter()
        .filter(|i| i.answer.is_some())
        .map(|i| i.protocol.clone())
        .collect();
    let mut line = compare(
        "documents: registrations (by protocol)",
        &protocols,
        &BTreeSet::new(),
        &registry.iter().map(|r| r.1.clone()).collect::<Vec<_>>(),
    );
    // An answered serial the registry does not hold is lost too.
    let held: BTreeSet<&String> = registry.iter().map(|r| &r.0).collect();
    line.lost += answered.iter().filter(|s| !held.contains(s)).count();
    lines.push(line);
    let cancelled: BTreeSet<String> = ledger.cancelled.iter().cloned().collect();
    let maybe_cancelled: BTreeSet<String> = ledger.cancel_unknown.iter().cloned().collect();
    // (The revocations' cancellations are counted on their own, below.)
    lines.push(compare(
        "documents: cancellations",
        &cancelled,
        &maybe_cancelled,
        &registry
            .iter()
            .filter(|r| r.2 && r.4 != REVOCATION_GROUND)
            .map(|r| r.3.clone())
            .collect::<Vec<_>>(),
    ));

    // 2. Accreditation's read model of the registry: every document once, cancelled as the
    //    registry has it.
    let source: BTreeSet<(String, bool)> = registry.iter().map(|r| (r.0.clone(), r.2)).collect();
    let heard: Vec<(String, bool)> = rows(
        &pools["accreditation"],
        "SELECT serial_number, cancelled_on IS NOT NULL FROM issued_documents",
    )
    .await;
    lines.push(compare(
        "accreditation: documents heard, with their cancellation",
        &source,
        &BTreeSet::new(),
        &heard,
    ));

    // The registry cancels what a revocation on ground 4 names (Art. 26.2.4), and nothing else
    // on that ground.
    let named = |acknowledged: bool| -> BTreeSet<String> {
        ledger
            .revocations
            .iter()
            .filter(|r| r.acknowledged == acknowledged)
            .flat_map(|r| r.serials.iter().cloned())
            .collect()
    };
    lines.push(compare(
        "documents: cancelled by revocations on ground 4",
        &named(true),
        &named(false),
        &registry
            .iter()
            .filter(|r| r.2 && r.4 == REVOCATION_GROUND)
            .map(|r| r.0.clone())
            .collect::<Vec<_>>(),
    ));

    // 3. The profession: the register's version everywhere it is read; the register's own
    //    version counts every acknowledged amendment.
    let register: Vec<(String, i64)> = rows(
        &pools["professions"],
        "SELECT id::text, version FROM professions",
    )
    .await;
    let versions: BTreeSet<(String, i64)> = register.iter().cloned().collect();
    let (low, high) = (
        1 + i64::from(ledger.amended),
        1 + i64::from(ledger.amended + ledger.amend_unknown),
    );
    let amended_ok = register.iter().all(|(_, v)| (low..=high).contains(v));
    lines.push(Line {
        what: format!(
            "professions: versions ({} acknowledged, {} unanswered)",
            ledger.amended, ledger.amend_unknown
        ),
        expected: register.len(),
        present: register.len(),
        lost: usize::from(!amended_ok && register.iter().any(|(_, v)| *v < low)),
        duplicated: 0,
        unexpected: usize::from(!amended_ok && register.iter().any(|(_, v)| *v > high)),
    });
    for service in ["accreditation", "documents", "recognition", "vouchers"] {
        let read: Vec<(String, i64)> = rows(
            &pools[service],
            "SELECT profession_id::text, version FROM registered_professions",
        )
        .await;
        lines.push(compare(
            &format!("{service}: professions read (id, version)"),
            &versions,
            &BTreeSet::new(),
            &read,
        ));
    }
    // The registry keeps each version of a profession once.
    let kept: Vec<(String, i64)> = rows(
        &pools["documents"],
        "SELECT profession_id::text, version FROM registered_profession_versions",
    )
    .await;
    let all_versions: BTreeSet<(String, i64)> = kept.iter().cloned().collect();
    let mut line = compare(
        "documents: profession versions kept",
        &all_versions,
        &BTreeSet::new(),
        &kept,
    );
    line.lost = versions.difference(&all_versions).count();
    lines.push(line);

    // 4. Certificates: accreditation's, with their status, wherever they are read.
    let certificates: BTreeSet<(String, String)> = rows(
        &pools["accreditation"],
        "SELECT id::text, status FROM certificates",
    )
    .await
    .into_iter()
    .collect();
    for service in ["recognition", "vouchers"] {
        let read: Vec<(String, String)> = rows(
            &pools[service],
            "SELECT certificate_id::text, status FROM known_certificates",
        )
        .await;
        lines.push(compare(
            &format!("{service}: certificates read (id, status)"),
            &certificates,
            &BTreeSet::new(),
            &read,
        ));
    }
    let ids: BTreeSet<String> = certificates.iter().map(|(id, _)| id.clone()).collect();
    let read = strings(
        &pools["documents"],
        "SELECT certificate_id::text FROM known_certificates",
    )
    .await;
    lines.push(compare(
        "documents: certificates read",
        &ids,
        &BTreeSet::new(),
        &read,
    ));

    // 4b. Vouchers: the registry's read model of them equals the register, and every voucher
    //     an acknowledged registration used is used, with its center's claim, once.
    let vouchers: Vec<(String, String)> =
        // The registry knows a used voucher as used, whatever the procedure's outcome.
        rows(
            &pools["vouchers"],
            "SELECT id::text, CASE WHEN status LIKE 'used%' THEN 'used' ELSE status END FROM vouchers",
        )
        .await;
    let read: Vec<(String, String)> = rows(
        &pools["documents"],
        "SELECT voucher_id::text, status FROM known_vouchers",
    )
    .await;
    lines.push(compare(
        "documents: vouchers read (id, status)",
        &vouchers.iter().cloned().collect(),
        &BTreeSet::new(),
        &read,
    ));
    let used: BTreeSet<String> = ledger
        .voucher_documents
        .iter()
        .filter(|(index, _)| ledger.issued[*index].answer.is_some())
        .map(|(_, id)| id.clone())
        .collect();
    let claimed = strings(
        &pools["vouchers"],
        "SELECT c.voucher_id::text FROM claims c JOIN vouchers v ON v.id = c.voucher_id
          WHERE v.status = 'used_passed' AND c.document_serial IS NOT NULL",
    )
    .await;
    lines.push(compare(
        "vouchers: used by a document, with the center's claim",
        &used,
        &BTreeSet::new(),
        &claimed,
    ));

    // 5. Nothing waits in an outbox.
    let mut waiting = Vec::new();
    for (service, pool) in &pools {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM outbox_waiting")
            .fetch_one(pool)
            .await
            .unwrap();
        for _ in 0..n {
            waiting.push(service.to_string());
        }
    }
    lines.push(Line {
        what: "outboxes: events not yet published".into(),
        expected: 0,
        present: waiting.len(),
        lost: waiting.len(),
        duplicated: 0,
        unexpected: 0,
    });

    // 6. Nothing in a dead-letter topic. The broker is asked only once everything else is in
    // place: while the consumers catch up, a client per service at every check (every quarter
    // second) would queue before their fetches at a broker that serves its storage one request
    // at a time; until then the consumers' logs tell.
    let settled = lines
        .iter()
        .all(|l| l.lost + l.duplicated + l.unexpected == 0);
    let letters = dead_letters(platform, settled).await;
    lines.push(Line {
        what: "dead-letter topics: events given up on".into(),
        expected: 0,
        present: letters,
        lost: letters,
        duplicated: 0,
        unexpected: 0,
    });
    for pool in pools.values() {
        pool.close().await;
    }
    Verdict { lines }
}

/// The services that consume events, each with its dead-letter topic.
const CONSUMERS: [&str; 5] = [
    "accreditation",
    "documents",
    "professions",
    "recognition",
    "vouchers",
];

/// Events given up on: the letters in each consuming service's dead-letter topic, and the
/// dead-letterings its log records (each is logged as it is decided, across restarts; the log
/// stands in where the broker does not answer for the topic), whichever is more; the logs
/// alone unless `ask_broker`.
async fn dead_letters(platform: &Platform, ask_broker: bool) -> usize {
    let brokers = platform
        .env_of("documents", "KAFKA_BROKERS")
        .unwrap_or_else(nsk_runtime::testing::kafka_brokers);
    let kafka = nsk_config::KafkaConfig {
        brokers,
        topic_prefix: platform.prefix.clone(),
        partitions: 1,
        replication: 1,
        fetch_wait_ms: nsk_config::DEFAULT_FETCH_WAIT_MS,
        session_timeout_ms: nsk_config::DEFAULT_SESSION_TIMEOUT_MS,
    };
    let mut total = 0;
    for service in CONSUMERS {
        let topic = kafka.dead_letter_topic_of(service);
        let kafka = kafka.clone();
        let read = if ask_broker {
            tokio::task::spawn_blocking(move || count_messages(&kafka, &topic))
                .await
                .unwrap()
        } else {
            None
        };
        let log = std::fs::read_to_string(platform.log_dir.join(format!("{service}.log")))
            .unwrap_or_default();
        let logged = log.matches("event dead-lettered").count();
        total += read.unwrap_or(logged).max(logged);
    }
    total
}

/// The messages of `topic` (one partition), from its watermarks; `None` when the broker does
/// not answer for it within 5 s.
fn count_messages(kafka: &nsk_config::KafkaConfig, topic: &str) -> Option<usize> {
    use rdkafka::consumer::{BaseConsumer, Consumer as _};
    let consumer: BaseConsumer = nsk_events::kafka::base_config(kafka)
        .set("group.id", format!("{topic}.checker"))
        .create()
        .ok()?;
    let (low, high) = consumer
        .fetch_watermarks(topic, 0, Duration::from_secs(5))
        .ok()?;
    usize::try_from(high - low).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comparison_counts_lost_duplicated_and_unexpected_apart_from_the_allowed() {
        let expected: BTreeSet<u32> = [1, 2, 3, 4].into();
        let allowed: BTreeSet<u32> = [9].into();
        // 1 twice, 2 and 4 once, 3 missing, 9 allowed, 7 nobody asked for.
        let line = compare("t", &expected, &allowed, &[1, 1, 2, 4, 9, 7]);
        assert_eq!(
            (
                line.expected,
                line.present,
                line.lost,
                line.duplicated,
                line.unexpected
            ),
            (4, 5, 1, 1, 1)
        );
        assert!(
            compare("t", &expected, &allowed, &[4, 3, 2, 1])
                == Line {
                    what: "t".into(),
                    expected: 4,
                    present: 4,
                    ..Line::default()
                }
        );
    }
}

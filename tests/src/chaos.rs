//! The fault harness (`make chaos`; a short run in `make test`): the platform as real processes
//! on a durable broker (Tansu on SQLite), a mixed workload through the gateway — two centers
//! registering documents, an official cancelling some, the authorized body amending a
//! profession — and faults injected at points drawn from a seed: the broker killed (`kill -9`,
//! restarted on its data) or down for a long outage, a service killed while its relay publishes
//! or its consumer applies a batch, PostgreSQL restarted. Then the checker ([`checker`]), in
//! the style of Jepsen's queue checker.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::process::Command;

use crate::walk::{accredit, accredit_center, application, register_welder};
use crate::Platform;

mod broker;
pub mod checker;
mod workload;

pub use broker::DurableBroker;
use workload::{amender, canceller, document, issuer, revoker, voucherer, PlatformHandle};

/// What a run does.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    /// Faults injected, spread over the workload.
    pub faults: usize,
    /// How long the workload runs.
    pub workload: Duration,
    /// The long broker outage, taken once per run.
    pub outage: Duration,
    /// Whether PostgreSQL (the machine's server, shared by every database) is restarted: only
    /// in `make chaos`, which runs alone.
    pub restart_postgres: bool,
    /// Centers accredited for the run whose certificates the NCE revokes on ground 4 during
    /// it, naming documents they registered (Art. 26.2.4).
    pub revocations: usize,
    /// How long a consumer may go unheard by its group's coordinator
    /// (`NSK_CONSUMER_SESSION_TIMEOUT_MS`; see [`Run::start`]).
    pub session_timeout_ms: u32,
}

impl Options {
    /// `make chaos`: at least 20 faults over eight minutes, a 60-second broker outage,
    /// PostgreSQL restarts.
    pub fn full(seed: u64) -> Self {
        Self {
            seed,
            faults: 24,
            workload: Duration::from_secs(480),
            outage: Duration::from_secs(60),
            restart_postgres: true,
            revocations: 3,
            session_timeout_ms: 30_000,
        }
    }

    /// The run in `make test`: a few faults in about a minute, an 8-second outage.
    pub fn short(seed: u64) -> Self {
        Self {
            seed,
            faults: 5,
            workload: Duration::from_secs(50),
            outage: Duration::from_secs(8),
            restart_postgres: false,
            revocations: 1,
            // A short run does not leave the broker far behind.
            session_timeout_ms: nsk_config::DEFAULT_SESSION_TIMEOUT_MS,
        }
    }
}

/// The `k`-th valid BIN (from 0) of a resident legal entity registered in January 2026.
fn legal_entity_bin(k: usize) -> String {
    (0..)
        .flat_map(|n: u32| (0..10).map(move |d| format!("2601400{n:04}{d}")))
        .filter(|candidate| nsk_kz::Bin::parse(candidate).is_ok())
        .nth(k)
        .unwrap_or_else(|| panic!("no BIN number {k}"))
}

/// A small, seeded generator (SplitMix64): the same seed draws the same faults at the same
/// points.
#[derive(Debug, Clone)]
pub struct Draw(u64);

impl Draw {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn number(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.number() % n.max(1)
    }

    /// A duration between `from` and `to`.
    pub fn between(&mut self, from: Duration, to: Duration) -> Duration {
        let span = (to - from).as_millis() as u64;
        from + Duration::from_millis(self.below(span + 1))
    }
}

/// One fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The broker down for [`Options::outage`].
    Outage,
    /// The broker killed and back within seconds.
    BrokerKill,
    /// A service killed (`kill -9`) and started again: the registry while its relay publishes
    /// what the centers keep registering, accreditation while its consumer applies them.
    ServiceKill(&'static str),
    /// The machine's PostgreSQL restarted.
    PostgresRestart,
}

/// The faults of a run, in order: one of each kind first (the registry and accreditation
/// killed, the broker killed, the long outage, PostgreSQL restarted where allowed) at drawn
/// places among the rest, which are drawn from every kind but the outage.
pub fn plan(options: &Options, draw: &mut Draw) -> Vec<Fault> {
    let mut every = vec![
        Fault::ServiceKill("documents"),
        Fault::ServiceKill("accreditation"),
        Fault::BrokerKill,
        Fault::Outage,
    ];
    if options.restart_postgres {
        every.push(Fault::PostgresRestart);
    }
    let mut others = vec![
        Fault::BrokerKill,
        Fault::ServiceKill("documents"),
        Fault::ServiceKill("accreditation"),
        Fault::ServiceKill("professions"),
        Fault::ServiceKill("recognition"),
        Fault::ServiceKill("vouchers"),
    ];
    if options.restart_postgres {
        others.push(Fault::PostgresRestart);
    }
    let mut plan = every.clone();
    while plan.len() < options.faults {
        plan.push(others[draw.below(others.len() as u64) as usize]);
    }
    // Shuffled (Fisher-Yates), so the long outage may come early or late.
    for i in (1..plan.len()).rev() {
        plan.swap(i, draw.below(i as u64 + 1) as usize);
    }
    plan
}

/// What the workload was told, command by command.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    /// Registrations: (center, protocol number) -> the serial answered, once answered.
    pub issued: Vec<Issue>,
    /// Documents whose cancellation was acknowledged (by id).
    pub cancelled: Vec<String>,
    /// Cancellations asked and not acknowledged (by id): their effect may be there or not.
    pub cancel_unknown: Vec<String>,
    /// Amendments of the profession acknowledged, and those whose answer never came.
    pub amended: u32,
    pub amend_unknown: u32,
    /// Vouchers issued (acknowledged), and each registration naming a voucher: (its place in
    /// `issued`, the voucher's id).
    pub vouchers_issued: u32,
    pub voucher_documents: Vec<(usize, String)>,
    /// Writes tried and acknowledged while the broker was down.
    pub outage_tried: u32,
    pub outage_acknowledged: u32,
    /// Revocations on ground 4, each with the serials it named.
    pub revocations: Vec<Revocation>,
}

/// A certificate revoked on ground 4 (confirmed complaints), naming documents of its center.
#[derive(Debug, Clone)]
pub struct Revocation {
    pub certificate_id: String,
    pub center: String,
    pub serials: Vec<String>,
    /// Whether the platform said it was done (or, its answer lost, showed the certificate
    /// revoked); otherwise its effect may be there or not.
    pub acknowledged: bool,
}

#[derive(Debug, Clone)]
pub struct Issue {
    pub center: &'static str,
    pub protocol: String,
    pub request_id: String,
    pub body: Value,
    /// (id, serial) once acknowledged.
    pub answer: Option<(String, String)>,
}

impl Ledger {
    /// Commands acknowledged so far.
    pub fn acknowledged(&self) -> usize {
        self.issued.iter().filter(|i| i.answer.is_some()).count()
            + self.cancelled.len()
            + self.amended as usize
            + self.vouchers_issued as usize
            + self.revocations.iter().filter(|r| r.acknowledged).count()
    }
}

/// The world the workload and the faults share.
pub struct Run {
    pub options: Options,
    pub platform: Platform,
    pub broker: DurableBroker,
    pub ledger: Arc<Mutex<Ledger>>,
    pub profession_id: String,
    /// The certificates to revoke during the run: (certificate id, center number).
    revocable: Vec<(String, String)>,
    /// Whether the broker is down now (writes then count for availability).
    broker_down: Arc<std::sync::atomic::AtomicBool>,
    /// The faults, as they happened.
    pub faults: Vec<String>,
    /// When the last fault had ended and the workload stopped: convergence is counted from
    /// here.
    pub last_fault_end: Instant,
    pub dir: PathBuf,
    /// Whether the broker's data and log stay when the run ends (a run the checker failed).
    kept: bool,
}

/// How long the services' fetches wait at the durable local broker (see [`Run::start`]).
const CHAOS_FETCH_WAIT_MS: &str = "500";

impl Run {
    /// The broker's data and log stay after the run, and the end says where they and the
    /// processes' logs are.
    pub fn keep(&mut self) {
        self.kept = true;
    }

    /// The broker, the platform on it, a profession and two accredited centers.
    pub async fn start(options: Options) -> Self {
        let dir =
            std::env::temp_dir().join(format!("nsk-chaos-{}-{}", options.seed, std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let broker = DurableBroker::start(&dir).await;
        let brokers = broker.address();
        // The durable local broker (Tansu on SQLite) holds every fetch for its full wait and
        // answers it with queries per partition and per event: idle consumers asking every
        // 100 ms kept it near a full core, and once behind (after the outage) it stopped
        // answering heartbeats in time. They ask every 500 ms here. And it serves every
        // request of its storage one after another (Tansu 0.6's SQLite engine: fetches,
        // offset commits and the groups' state alike), so behind, it answers a heartbeat or an
        // offset commit 10 s late or more: a group whose members it did not hear for the usual
        // 10 s broke up and rebalanced — more requests for the same queue. In the long run,
        // consumers may go unheard for 30 s.
        let session_timeout = options.session_timeout_ms.to_string();
        let extra: Vec<(&str, &str, &str)> = nsk_config::SERVICES
            .iter()
            .flat_map(|s| {
                [
                    (*s, "KAFKA_BROKERS", brokers.as_str()),
                    (*s, "NSK_CONSUMER_FETCH_WAIT_MS", CHAOS_FETCH_WAIT_MS),
                    (
                        *s,
                        "NSK_CONSUMER_SESSION_TIMEOUT_MS",
                        session_timeout.as_str(),
                    ),
                ]
            })
            .collect();
        let platform = Platform::start_with("chaos", &extra).await;
        let profession_id = register_welder(&platform, "72120051").await;
        accredit(&platform, &profession_id).await;
        let mut second = application(&profession_id);
        second["applicantBin"] = json!("940140000385");
        second["applicantName"] = json!("Second Center LLP");
        accredit_center(&platform, second).await;
        let mut revocable = Vec::new();
        for k in 0..options.revocations {
            let mut form = application(&profession_id);
            form["applicantBin"] = json!(legal_entity_bin(k));
            form["applicantName"] = json!(format!("Complained-about Center {k} LLP"));
            let certificate = accredit_center(&platform, form).await;
            revocable.push((
                certificate["id"].as_str().unwrap().to_string(),
                certificate["centerNumber"].as_str().unwrap().to_string(),
            ));
        }
        // The year's voucher terms: one region, budget enough for the run (Art. 29).
        let year = &crate::walk::today()[..4];
        let reply = platform
            .http
            .put(platform.url(&format!("/v1/voucher-terms/{year}")))
            .bearer_auth(platform.token(&[nsk_identity::Role::AuthorizedBodyAdmin]))
            .json(&json!({
                "validityDays": 90,
                "regions": [{"region": "karaganda", "rateTiyn": "4500000",
                             "budgetCount": "100000", "budgetTiyn": "450000000000"}],
                "basis": {"number": "MLSP-V-1", "date": crate::walk::today()}
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{:?}", reply.text().await);
        Self {
            options,
            platform,
            broker,
            ledger: Arc::default(),
            profession_id,
            revocable,
            broker_down: Arc::default(),
            faults: Vec::new(),
            last_fault_end: Instant::now(),
            dir,
            kept: false,
        }
    }

    /// Runs the workload with the faults among it; returns when both are done and every
    /// command whose answer was lost has been asked again.
    pub async fn drive(&mut self) {
        let platform = Arc::new(PlatformHandle::new(&self.platform));
        // Both centers heard of by the registry before the clock starts: each registers its
        // first document.
        for center in ["0001", "0002"] {
            let issue = Issue {
                center,
                protocol: format!("CH-{center}-0"),
                request_id: format!("chaos-{center}-0"),
                body: document(&self.profession_id, center, 0),
                answer: None,
            };
            let answer = platform
                .registered(
                    &self.platform,
                    &issue,
                    "the registry hearing of both centers",
                )
                .await;
            self.ledger.lock().unwrap().issued.push(Issue {
                answer: Some(answer),
                ..issue
            });
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut workers = Vec::new();
        for center in ["0001", "0002"] {
            workers.push(tokio::spawn(issuer(
                platform.clone(),
                self.ledger.clone(),
                self.broker_down.clone(),
                stop.clone(),
                center,
                self.profession_id.clone(),
            )));
        }
        workers.push(tokio::spawn(canceller(
            platform.clone(),
            self.ledger.clone(),
            self.broker_down.clone(),
            stop.clone(),
        )));
        workers.push(tokio::spawn(voucherer(
            platform.clone(),
            self.ledger.clone(),
            stop.clone(),
            self.profession_id.clone(),
        )));
        workers.push(tokio::spawn(revoker(
            platform.clone(),
            self.ledger.clone(),
            stop.clone(),
            self.revocable.clone(),
            self.options.workload,
            self.profession_id.clone(),
        )));
        workers.push(tokio::spawn(amender(
            platform.clone(),
            self.ledger.clone(),
            self.broker_down.clone(),
            stop.clone(),
            self.profession_id.clone(),
        )));
        self.inject_faults().await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for worker in workers {
            worker.await.unwrap();
        }
        // From here on the platform only has to catch up.
        self.last_fault_end = Instant::now();
        self.settle_unanswered().await;
    }

    /// The faults, one after another at drawn points of the workload.
    async fn inject_faults(&mut self) {
        let mut draw = Draw::new(self.options.seed);
        let plan = plan(&self.options, &mut draw);
        let started = Instant::now();
        let slot = self.options.workload / plan.len() as u32;
        for (i, fault) in plan.into_iter().enumerate() {
            // Each fault somewhere in the first half of its slot of the workload.
            let at = slot * i as u32 + draw.between(Duration::ZERO, slot / 2);
            if let Some(wait) = at.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
            let began = started.elapsed();
            let what = match fault {
                Fault::Outage => {
                    let down = self.options.outage;
                    self.broker_outage(down).await;
                    format!(
                        "broker down {} s (kill -9, then back on its data)",
                        down.as_secs()
                    )
                }
                Fault::BrokerKill => {
                    let down = draw.between(Duration::from_millis(300), Duration::from_secs(3));
                    self.broker_outage(down).await;
                    format!("broker kill -9, back after {:.1} s", down.as_secs_f64())
                }
                Fault::ServiceKill(service) => self.kill_service(service, &mut draw).await,
                Fault::PostgresRestart => self.restart_postgres().await,
            };
            println!(
                "  fault {:>2} at {:>5.1} s: {what}",
                i + 1,
                began.as_secs_f64()
            );
            self.faults.push(what);
        }
        if let Some(rest) = self.options.workload.checked_sub(started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
    }

    async fn broker_outage(&mut self, down: Duration) {
        self.broker_down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.broker.kill().await;
        tokio::time::sleep(down).await;
        self.broker.restart().await;
        self.broker_down
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    async fn kill_service(&mut self, service: &str, draw: &mut Draw) -> String {
        let down = draw.between(Duration::from_millis(200), Duration::from_secs(2));
        self.platform.stop(service).await;
        tokio::time::sleep(down).await;
        self.platform.restart(service);
        self.platform.wait_ready(Duration::from_secs(60)).await;
        format!(
            "{service} kill -9, restarted after {:.1} s",
            down.as_secs_f64()
        )
    }

    /// Restarts the machine's PostgreSQL cluster (the first `pg_lsclusters` names).
    async fn restart_postgres(&mut self) -> String {
        let clusters = Command::new("pg_lsclusters")
            .arg("-h")
            .output()
            .await
            .expect("pg_lsclusters: make chaos restarts this machine's PostgreSQL");
        let listed = String::from_utf8_lossy(&clusters.stdout).to_string();
        let mut fields = listed.split_whitespace();
        let (version, cluster) = (
            fields.next().unwrap_or("15").to_string(),
            fields.next().unwrap_or("main").to_string(),
        );
        let done = Command::new("pg_ctlcluster")
            .args([version.as_str(), cluster.as_str(), "restart"])
            .output()
            .await;
        match done {
            Ok(out) if out.status.success() => {
                self.platform.wait_ready(Duration::from_secs(60)).await;
                format!("PostgreSQL restarted (pg_ctlcluster {version} {cluster} restart)")
            }
            Ok(out) => panic!(
                "PostgreSQL could not be restarted: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(err) => panic!("pg_ctlcluster: {err}"),
        }
    }

    /// Every registration whose answer never came is sent again with its request id until it
    /// is answered: the platform returns the document the first attempt made, or makes it
    /// now. (A cancellation or amendment without an answer stays unknown: the checker allows
    /// its effect, and does not require it.)
    async fn settle_unanswered(&mut self) {
        let open: Vec<usize> = {
            let ledger = self.ledger.lock().unwrap();
            (0..ledger.issued.len())
                .filter(|&i| ledger.issued[i].answer.is_none())
                .collect()
        };
        let platform = PlatformHandle::new(&self.platform);
        for i in open {
            let issue = self.ledger.lock().unwrap().issued[i].clone();
            let answer = platform
                .registered(
                    &self.platform,
                    &issue,
                    "a registration asked again with its request id",
                )
                .await;
            self.ledger.lock().unwrap().issued[i].answer = Some(answer);
        }
    }
}

impl Run {
    /// What the workload was told so far.
    pub fn ledger(&self) -> Ledger {
        self.ledger.lock().unwrap().clone()
    }
}

impl Drop for Run {
    /// The broker's data and log go with a run that ended well; a failed run (a panic, or
    /// what the checker found) leaves them.
    fn drop(&mut self) {
        if std::thread::panicking() || self.kept {
            eprintln!(
                "the broker's data and log are kept in {}; the processes' logs in {}\n{}",
                self.dir.display(),
                self.platform.log_dir.display(),
                self.platform.log_tails()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// What a run found.
#[derive(Debug, Clone)]
pub struct Report {
    pub seed: u64,
    pub faults: usize,
    pub acknowledged: usize,
    pub verdict: checker::Verdict,
    /// Seconds from the end of the last fault and of the workload until every check passed
    /// (or the checks gave up).
    pub converged_s: f64,
    pub outage_tried: u32,
    pub outage_acknowledged: u32,
    /// How many times the checker looked before everything was in place.
    pub checks: u32,
}

impl Report {
    pub fn clean(&self) -> bool {
        self.verdict.clean()
    }

    /// The checker's table, availability during the broker's outages, and the
    /// machine-readable last line.
    pub fn summary(&self) -> String {
        let share = if self.outage_tried == 0 {
            "none tried".to_string()
        } else {
            format!(
                "{} of {} acknowledged ({:.0} %)",
                self.outage_acknowledged,
                self.outage_tried,
                100.0 * f64::from(self.outage_acknowledged) / f64::from(self.outage_tried)
            )
        };
        format!(
            "\n{}\nwrites while the broker was down: {share}\nchecks until converged: {}\nchecker: faults={} acknowledged={} lost={} duplicated={} unexpected={} converged_s={:.1}",
            self.verdict.table(),
            self.checks,
            self.faults,
            self.acknowledged,
            self.verdict.lost(),
            self.verdict.duplicated(),
            self.verdict.unexpected(),
            self.converged_s
        )
    }
}

impl Run {
    /// The workload among the faults, then the checks until the platform has converged
    /// (every check passing) or two minutes have passed.
    pub async fn report(&mut self) -> Report {
        self.drive().await;
        let ledger = self.ledger();
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut checks = 0;
        let (verdict, converged) = loop {
            checks += 1;
            // Converged when a check that started then finds everything in place.
            let asked = Instant::now();
            let verdict = checker::check(&self.platform, &ledger).await;
            if verdict.clean() || Instant::now() > deadline {
                break (verdict, asked);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        Report {
            seed: self.options.seed,
            faults: self.faults.len(),
            acknowledged: ledger.acknowledged(),
            verdict,
            converged_s: converged
                .saturating_duration_since(self.last_fault_end)
                .as_secs_f64(),
            outage_tried: ledger.outage_tried,
            outage_acknowledged: ledger.outage_acknowledged,
            checks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_holds_every_kind_of_fault_and_the_same_seed_draws_the_same_plan() {
        let full = plan(&Options::full(7), &mut Draw::new(7));
        assert_eq!(full.len(), 24);
        for kind in [
            Fault::Outage,
            Fault::BrokerKill,
            Fault::ServiceKill("documents"),
            Fault::ServiceKill("accreditation"),
            Fault::PostgresRestart,
        ] {
            assert!(full.contains(&kind), "{kind:?} missing from {full:?}");
        }
        assert_eq!(full.iter().filter(|f| **f == Fault::Outage).count(), 1);
        assert_eq!(full, plan(&Options::full(7), &mut Draw::new(7)));
        assert_ne!(full, plan(&Options::full(8), &mut Draw::new(8)));
        // The short run in make test never restarts the shared PostgreSQL.
        let short = plan(&Options::short(7), &mut Draw::new(7));
        assert_eq!(short.len(), 5);
        assert!(!short.contains(&Fault::PostgresRestart));
        assert!(short.contains(&Fault::Outage));
    }
}

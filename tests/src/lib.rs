//! Starts the whole platform — the five services and the gateway, as the real binaries — for
//! one test, against the real PostgreSQL and the broker at `KAFKA_BROKERS`.
//!
//! Each [`Platform`] has its own databases, topic prefix and ports, so tests run in parallel.
//! Process output goes to `target/e2e-logs/<label>/<process>.log`; when the platform does not
//! become ready, the error quotes the end of each log. The binaries must be built first
//! (`make test` builds them).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: a failure here is a test failure

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nsk_identity::Role;
use tokio::process::{Child, Command};

const SERVICES: [&str; 6] = nsk_config::SERVICES;

pub struct Platform {
    children: Vec<(String, Child)>,
    /// The environment each service was started with, for more instances of it.
    envs: Vec<(String, Vec<(String, String)>)>,
    pub gateway: String,
    pub service_addrs: Vec<(String, String)>,
    /// Where each process serves its Prometheus metrics: (service or "gateway", address).
    pub metrics_addrs: Vec<(String, String)>,
    /// The database of each service: (service, database name).
    pub databases: Vec<(String, String)>,
    pub prefix: String,
    pub log_dir: PathBuf,
    pub http: reqwest::Client,
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| nsk_runtime::testing::workspace_root().join("target"))
}

/// Where the binaries are: `NSK_BIN_DIR`, or the debug build (benchmarks point at release).
pub fn binary(name: &str) -> PathBuf {
    let dir = std::env::var_os("NSK_BIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("debug"));
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first (cargo build --workspace --bins; make test does)",
        path.display()
    );
    path
}

/// A port free now and not handed out before in this process: the processes bind their ports
/// only once started, so without the record two of them could be given the same one.
fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut given = GIVEN
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

impl Platform {
    /// Starts every process and waits until the gateway reports all services ready.
    pub async fn start(label: &str) -> Self {
        Self::start_with(label, &[]).await
    }

    /// As [`Platform::start`], with more environment for some services: (service, name, value);
    /// the service may be `gateway`.
    pub async fn start_with(label: &str, extra: &[(&str, &str, &str)]) -> Self {
        let prefix = nsk_runtime::testing::unique_prefix(label);
        let log_dir = target_dir()
            .join("e2e-logs")
            .join(prefix.trim_end_matches('.'));
        std::fs::create_dir_all(&log_dir).unwrap();
        let root = nsk_runtime::testing::workspace_root();
        let database_url = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let common = [
            ("DATABASE_URL".to_string(), database_url),
            (
                "KAFKA_BROKERS".to_string(),
                // A platform on a broker of its own names it for its services.
                extra
                    .iter()
                    .find(|(_, name, _)| *name == "KAFKA_BROKERS")
                    .map(|(_, _, brokers)| brokers.to_string())
                    .unwrap_or_else(nsk_runtime::testing::kafka_brokers),
            ),
            ("NSK_TOPIC_PREFIX".to_string(), prefix.clone()),
            ("NSK_RELAY_INTERVAL_MS".to_string(), "20".to_string()),
            ("NSK_PROFILE".to_string(), "development".to_string()),
            (
                "NSK_JWT_PUBLIC_KEY_FILE".to_string(),
                root.join(nsk_identity::dev::PUBLIC_KEY)
                    .display()
                    .to_string(),
            ),
            (
                "NSK_GATEWAY_PUBLIC_KEY_FILE".to_string(),
                root.join(nsk_identity::dev::GATEWAY_PUBLIC_KEY)
                    .display()
                    .to_string(),
            ),
            (
                "NSK_GATEWAY_SIGNING_KEY_FILE".to_string(),
                root.join(nsk_identity::dev::GATEWAY_PRIVATE_KEY)
                    .display()
                    .to_string(),
            ),
            ("NSK_LOG_FORMAT".to_string(), "json".to_string()),
            ("RUST_LOG".to_string(), "info".to_string()),
        ];
        // The gateway's address is known before the services start: they print it as the
        // platform's public address (QR codes, credentials, status lists).
        let gateway_addr = format!("127.0.0.1:{}", free_port());
        let tls = extra
            .iter()
            .any(|(s, n, _)| *s == "gateway" && *n == "NSK_TLS_CERT_FILE");
        let public_url = format!("{}://{gateway_addr}", if tls { "https" } else { "http" });
        let mut common = common.to_vec();
        common.push(("NSK_PUBLIC_URL".to_string(), public_url));
        let mut children = Vec::new();
        let mut service_addrs = Vec::new();
        let mut databases = Vec::new();
        let mut envs = Vec::new();
        let mut metrics_addrs = Vec::new();
        for service in SERVICES {
            let db = nsk_db::testing::fresh_database(service).await.unwrap();
            databases.push((service.to_string(), db.name.clone()));
            let addr = format!("127.0.0.1:{}", free_port());
            let mut env = common.to_vec();
            env.push(("NSK_GRPC_ADDR".into(), addr.clone()));
            let metrics = format!("127.0.0.1:{}", free_port());
            env.push(("NSK_METRICS_ADDR".into(), metrics.clone()));
            metrics_addrs.push((service.to_string(), metrics));
            env.push(("NSK_DATABASE_NAME".into(), db.name));
            env.push(("NSK_CONSUMER_GROUP".into(), format!("{prefix}{service}")));
            for (_, name, value) in extra.iter().filter(|(s, _, _)| *s == service) {
                env.push((name.to_string(), value.to_string()));
            }
            children.push((
                service.to_string(),
                spawn(&format!("nsk-{service}"), &env, &log_dir),
            ));
            envs.push((service.to_string(), env));
            service_addrs.push((service.to_string(), addr));
        }
        let mut env = common.to_vec();
        env.push(("NSK_HTTP_ADDR".into(), gateway_addr.clone()));
        let metrics = format!("127.0.0.1:{}", free_port());
        env.push(("NSK_METRICS_ADDR".into(), metrics.clone()));
        metrics_addrs.push(("gateway".to_string(), metrics));
        // The tests drive the platform faster than any one person would: no abuse limits
        // unless a test sets them (("gateway", "NSK_RATE_PER_IP", "5"), say).
        env.push(("NSK_RATE_PER_CALLER".into(), "0".into()));
        env.push(("NSK_RATE_PER_IP".into(), "0".into()));
        for (_, name, value) in extra.iter().filter(|(s, _, _)| *s == "gateway") {
            env.push((name.to_string(), value.to_string()));
        }
        for (service, addr) in &service_addrs {
            env.push((
                format!("NSK_{}_URL", service.to_ascii_uppercase()),
                format!("http://{addr}"),
            ));
        }
        children.push(("gateway".into(), spawn("nsk-gateway", &env, &log_dir)));
        // A gateway given its own TLS is reached over https, trusting the authority a test
        // names in NSK_TLS_CLIENT_CA_FILE (its tests sign the server's certificate with it too).
        let setting = |name: &str| {
            extra
                .iter()
                .find(|(s, n, _)| *s == "gateway" && *n == name)
                .map(|(_, _, v)| v.to_string())
        };
        let mut http = reqwest::Client::builder().timeout(Duration::from_secs(30));
        let scheme = match setting("NSK_TLS_CERT_FILE") {
            None => "http",
            Some(_) => {
                let ca = setting("NSK_TLS_CLIENT_CA_FILE").expect("the authority to trust");
                let pem = std::fs::read(ca).expect("the authority's certificate");
                http = http.add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap());
                "https"
            }
        };
        let platform = Self {
            children,
            envs,
            gateway: format!("{scheme}://{gateway_addr}"),
            service_addrs,
            metrics_addrs,
            databases,
            prefix,
            log_dir,
            http: http.build().unwrap(),
        };
        platform.wait_ready(Duration::from_secs(90)).await;
        platform
    }

    /// Waits until the gateway reports every service ready.
    pub async fn wait_ready(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(reply) = self
                .http
                .get(format!("{}/readyz", self.gateway))
                .send()
                .await
            {
                if reply.status().is_success() {
                    return;
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "the platform was not ready within {within:?}\n{}",
                    self.log_tails()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Kills `service`'s process, as an outage would; the gateway stays.
    pub async fn stop(&mut self, service: &str) {
        for (name, child) in &mut self.children {
            if name == service {
                let _ = child.kill().await;
            }
        }
    }

    /// Starts `service` again as it was started (its port, database and environment), after
    /// [`Platform::stop`]; its log goes on in the same file.
    pub fn restart(&mut self, service: &str) {
        let (_, env) = self
            .envs
            .iter()
            .find(|(s, _)| s == service)
            .unwrap_or_else(|| panic!("no service {service}"));
        let child = spawn(&format!("nsk-{service}"), env, &self.log_dir);
        match self.children.iter_mut().find(|(name, _)| name == service) {
            Some((_, running)) => *running = child,
            None => self.children.push((service.to_string(), child)),
        }
    }

    /// The value of `name` in `service`'s environment.
    pub fn env_of(&self, service: &str, name: &str) -> Option<String> {
        self.envs
            .iter()
            .find(|(s, _)| s == service)
            .and_then(|(_, env)| env.iter().rev().find(|(k, _)| k == name))
            .map(|(_, v)| v.clone())
    }

    /// The process id of `service` (or `gateway`), while it runs.
    pub fn pid(&self, service: &str) -> Option<u32> {
        self.children
            .iter()
            .find(|(name, _)| name == service)
            .and_then(|(_, child)| child.id())
    }

    /// The last lines of every process's log, for a failure message.
    pub fn log_tails(&self) -> String {
        let mut out = String::new();
        for (name, _) in &self.children {
            // Lossy: a library's line may hold bytes that are not UTF-8.
            let log = std::fs::read(self.log_dir.join(format!("{name}.log"))).unwrap_or_default();
            let log = String::from_utf8_lossy(&log);
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            out.push_str(&format!("--- {name} ---\n"));
            for line in tail.into_iter().rev() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// Starts one more instance of `service` as `name` (its log is `name.log`): the same database,
    /// topics and consumer group, its own port, with `extra` environment on top. The instance
    /// stops with the platform. Returns its gRPC URL.
    pub fn start_instance(&mut self, service: &str, name: &str, extra: &[(&str, &str)]) -> String {
        let (_, env) = self
            .envs
            .iter()
            .find(|(s, _)| s == service)
            .unwrap_or_else(|| panic!("no service {service}"));
        let mut env = env.clone();
        env.retain(|(k, _)| k != "NSK_GRPC_ADDR" && k != "NSK_METRICS_ADDR");
        let addr = format!("127.0.0.1:{}", free_port());
        env.push((
            "NSK_METRICS_ADDR".into(),
            format!("127.0.0.1:{}", free_port()),
        ));
        env.push(("NSK_GRPC_ADDR".into(), addr.clone()));
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let log = std::fs::File::create(self.log_dir.join(format!("{name}.log"))).unwrap();
        let err = log.try_clone().unwrap();
        let child = Command::new(binary(&format!("nsk-{service}")))
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .current_dir(nsk_runtime::testing::workspace_root())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        self.children.push((name.to_string(), child));
        format!("http://{addr}")
    }

    /// The URL of `service`'s database, for checks a test makes beside the API.
    pub fn database_url(&self, service: &str) -> String {
        let (_, name) = self
            .databases
            .iter()
            .find(|(s, _)| s == service)
            .unwrap_or_else(|| panic!("no service {service}"));
        let server = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        format!("{base}/{name}")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway)
    }

    /// The gRPC endpoint of `service` itself, behind the gateway's back.
    pub fn service_url(&self, service: &str) -> String {
        let (_, addr) = self
            .service_addrs
            .iter()
            .find(|(s, _)| s == service)
            .unwrap_or_else(|| panic!("no service {service}"));
        format!("http://{addr}")
    }

    pub fn token(&self, roles: &[Role]) -> String {
        nsk_runtime::testing::token("e2e-user", roles, None)
    }

    /// Polls `probe` until it returns `Some`, or fails the test with the logs after `within`.
    pub async fn eventually<T, F, Fut>(&self, within: Duration, what: &str, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + within;
        loop {
            if let Some(value) = probe().await {
                return value;
            }
            if Instant::now() > deadline {
                panic!(
                    "{what} did not happen within {within:?}\n{}",
                    self.log_tails()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn spawn(binary_name: &str, env: &[(String, String)], log_dir: &std::path::Path) -> Child {
    let name = binary_name.trim_start_matches("nsk-");
    // Appended to: a service started again writes on after its first life.
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_dir.join(format!("{name}.log")))
        .unwrap();
    let err = log.try_clone().unwrap();
    Command::new(binary(binary_name))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .current_dir(nsk_runtime::testing::workspace_root())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err))
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

impl Drop for Platform {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.start_kill();
        }
    }
}

pub mod bench;
pub mod chaos;
pub mod seed;

/// Runs `pgbench` with `script` against `db_url` for `seconds` with `clients` (prepared
/// statements when `prepared`): the baseline of the benchmarks. Returns (tps, average ms).
pub fn pgbench(
    script: &std::path::Path,
    db_url: &str,
    clients: usize,
    seconds: u32,
    prepared: bool,
) -> (f64, f64) {
    run_pgbench(script, db_url, clients, seconds, prepared, None)
}

/// [`pgbench`], with each transaction's latency logged: (tps, average ms, the latencies in ms).
pub fn pgbench_latencies(
    script: &std::path::Path,
    db_url: &str,
    clients: usize,
    seconds: u32,
    prepared: bool,
) -> (f64, f64, Vec<f64>) {
    let dir = std::env::temp_dir().join(format!("nsk-pgbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let run = run_pgbench(script, db_url, clients, seconds, prepared, Some(&dir));
    // Each line: client, transaction, latency in µs, script, epoch s, µs.
    let mut latencies = Vec::new();
    for file in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap_or_default();
        latencies.extend(
            text.lines()
                .filter_map(|l| l.split_whitespace().nth(2)?.parse::<f64>().ok())
                .map(|us| us / 1000.0),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    (run.0, run.1, latencies)
}

fn run_pgbench(
    script: &std::path::Path,
    db_url: &str,
    clients: usize,
    seconds: u32,
    prepared: bool,
    log_into: Option<&std::path::Path>,
) -> (f64, f64) {
    let mut command = std::process::Command::new("pgbench");
    command.args(["-n", "-T", &seconds.to_string()]);
    if prepared {
        command.args(["-M", "prepared"]);
    }
    if let Some(dir) = log_into {
        command
            .arg("-l")
            .arg(format!("--log-prefix={}", dir.join("log").display()));
    }
    let output = command
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(2).to_string(),
        ])
        .arg("-f")
        .arg(script)
        .arg(db_url)
        .output()
        .unwrap_or_else(|e| panic!("pgbench does not run: {e}"));
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let tps: f64 = text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "pgbench said: {text}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let latency: f64 = text
        .lines()
        .find(|l| l.starts_with("latency average = "))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    (tps, latency)
}

/// A process's resident memory in KiB (`VmRSS`), if it runs.
pub fn resident_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// What one `wrk` run measured.
#[derive(Debug, Clone, Copy)]
pub struct Wrk {
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests: u64,
    /// Answers that were not 2xx/3xx.
    pub failures: u64,
    /// Connections wrk saw fail (connect, read, write, timeout).
    pub socket_errors: u64,
}

/// Runs `wrk` (HTTP/1.1, keep-alive) against `url` with `clients` connections for `seconds`,
/// the Lua `script` given `args`: the HTTP load of the benchmarks, a C client as `pgbench` is.
pub fn wrk(
    url: &str,
    script: &std::path::Path,
    args: &[&str],
    clients: usize,
    seconds: u32,
) -> Wrk {
    let output = std::process::Command::new("wrk")
        .args([
            "--latency",
            "-t",
            &clients.min(2).to_string(),
            "-c",
            &clients.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--timeout",
            "10s",
        ])
        .arg("-s")
        .arg(script)
        .arg(url)
        .arg("--")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("wrk does not run (make deps installs it): {e}"));
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let number = |prefix: &str| -> Option<f64> {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    // "  99%    3.21ms": microseconds, milliseconds or seconds.
    let millis = |quantile: &str| -> f64 {
        let value = text
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(quantile))
            .map(str::trim)
            .unwrap_or("");
        let (number, unit) = value.split_at(
            value
                .find(|c: char| c.is_alphabetic())
                .unwrap_or(value.len()),
        );
        let number: f64 = number.parse().unwrap_or(f64::NAN);
        match unit {
            "us" => number / 1e3,
            "ms" => number,
            "s" => number * 1e3,
            "m" => number * 60e3,
            _ => f64::NAN,
        }
    };
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "wrk said: {text}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let socket_errors: u64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Socket errors:"))
        .map(|l| {
            l.split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Wrk {
        per_second: number("Requests/sec:").unwrap_or(f64::NAN),
        p50_ms: millis("50%"),
        p99_ms: millis("99%"),
        requests,
        failures: number("Non-2xx or 3xx responses:").unwrap_or(0.0) as u64,
        socket_errors,
    }
}

pub mod walk;

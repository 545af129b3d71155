//! Configuration of NSK processes: defaults, overridden by environment variables, validated once
//! at start so that a bad value stops the process with one line per problem.
//!
//! - [`Env`] — where variables come from; tests build one from pairs instead of `set_var`.
//! - [`ServiceConfig`] — what every domain service reads (`NSK_GRPC_ADDR`, `DATABASE_URL`, ...).
//! - [`GatewayConfig`] — what the gateway reads (`NSK_HTTP_ADDR`, upstream addresses, ...).
//! - [`AuthConfig`] — JWT issuer, audience and verification key, shared by both.
//! - `NSK_CREDENTIAL_KEY_FILES` — the keys documents' credentials are signed with (the
//!   registry of documents only).

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

mod credentials;
mod gateway;

pub use gateway::{GatewayConfig, Limits, Tls};

/// The six domain services, in the order of their default ports (50051..50056).
pub const SERVICES: [&str; 6] = [
    "professions",
    "standards",
    "accreditation",
    "vouchers",
    "documents",
    "recognition",
];

/// A source of configuration variables.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// An explicit set of variables (tests, embedding).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A copy with one more variable set.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

/// One bad variable: which, what it held, and what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub variable: String,
    pub value: String,
    pub rule: String,
}

/// Every problem found while loading, so a person fixes them all in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration:")?;
        for p in &self.problems {
            write!(f, "\n  {}={:?}: {}", p.variable, p.value, p.rule)?;
        }
        Ok(())
    }
}

/// Reads variables, collecting every problem instead of stopping at the first.
struct Reader<'a> {
    env: &'a Env,
    problems: Vec<ConfigProblem>,
}

impl<'a> Reader<'a> {
    fn new(env: &'a Env) -> Self {
        Self {
            env,
            problems: Vec::new(),
        }
    }

    fn string(&self, key: &str, default: &str) -> String {
        self.env.get(key).unwrap_or(default).to_string()
    }

    fn parse<T: FromStr>(&mut self, key: &str, default: T, rule: &str) -> T {
        match self.env.get(key) {
            None => default,
            Some(raw) => match raw.trim().parse() {
                Ok(v) => v,
                Err(_) => {
                    self.problem(key, raw, rule);
                    default
                }
            },
        }
    }

    fn problem(&mut self, key: &str, value: &str, rule: &str) {
        let problem = ConfigProblem {
            variable: key.to_string(),
            value: value.to_string(),
            rule: rule.to_string(),
        };
        // A variable read twice (the profile) is reported once.
        if !self.problems.contains(&problem) {
            self.problems.push(problem);
        }
    }

    fn finish<T>(self, value: T) -> Result<T, ConfigError> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(ConfigError {
                problems: self.problems,
            })
        }
    }
}

/// How logs are written to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Pretty,
    /// One JSON object per line, for a log collector.
    Json,
}

impl FromStr for LogFormat {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "pretty" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            _ => Err(()),
        }
    }
}

/// How callers' JWTs are checked: by the gateway, and again by every service.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// PEM file with the issuer's Ed25519 public key (`NSK_JWT_PUBLIC_KEY_FILE`).
    pub public_key_file: PathBuf,
    /// Expected `iss` claim (`NSK_JWT_ISSUER`).
    pub issuer: String,
    /// Expected `aud` claim (`NSK_JWT_AUDIENCE`).
    pub audience: String,
    /// The identity provider's JSON Web Key Set (`NSK_JWT_JWKS_URL`, its OpenID Connect
    /// `jwks_uri`): when set, its keys verify staff tokens instead of `public_key_file`.
    pub jwks_url: Option<String>,
    /// `NSK_JWKS_REFRESH_SECS`: how often the set is fetched again (also soon after a token
    /// names a key id the set lacks).
    pub jwks_refresh: Duration,
    /// PEM file with the gateway's Ed25519 public key (`NSK_GATEWAY_PUBLIC_KEY_FILE`): the
    /// gateway signs the short-lived tokens it trades for centers' API keys.
    pub gateway_public_key_file: PathBuf,
    /// The `iss` of the gateway's tokens (`NSK_GATEWAY_TOKEN_ISSUER`).
    pub gateway_issuer: String,
}

/// The development key pair's public half, committed with the project: anyone can sign with
/// its private half, so production refuses it.
const DEV_PUBLIC_KEY: &str = include_str!("../../../deploy/dev-keys/dev-jwt.pub.pem");
const DEV_GATEWAY_PUBLIC_KEY: &str = include_str!("../../../deploy/dev-keys/dev-gateway.pub.pem");
const DEV_GATEWAY_PRIVATE_KEY: &str = include_str!("../../../deploy/dev-keys/dev-gateway.key.pem");

/// Whether the committed development profile is chosen (`NSK_PROFILE`).
fn development(r: &mut Reader<'_>) -> bool {
    let profile = r.string("NSK_PROFILE", "production");
    match profile.as_str() {
        "development" => true,
        "production" => false,
        other => {
            r.problem("NSK_PROFILE", other, "must be production or development");
            false
        }
    }
}

/// A key file: required in production and never the committed development key there; in
/// development it defaults to that key.
fn key_file(
    r: &mut Reader<'_>,
    development: bool,
    var: &str,
    dev_path: &str,
    dev_pem: &str,
    what: &str,
) -> PathBuf {
    let path = PathBuf::from(r.string(var, if development { dev_path } else { "" }));
    let shown = path.display().to_string();
    if !development && path.as_os_str().is_empty() {
        r.problem(
            var,
            "",
            &format!("is required in production: the PEM file of {what}"),
        );
    } else if !development
        && std::fs::read_to_string(&path).is_ok_and(|pem| pem.trim() == dev_pem.trim())
    {
        r.problem(
            var,
            &shown,
            &format!(
                "is the development key, published with the project: production needs {what} \
                 (NSK_PROFILE=development is for local use)"
            ),
        );
    } else if !path.is_file() {
        r.problem(
            var,
            &shown,
            &format!("must name a readable PEM file: {what}"),
        );
    }
    path
}

impl AuthConfig {
    /// `NSK_PROFILE`: `production` (the default) needs the identity provider's key in
    /// `NSK_JWT_PUBLIC_KEY_FILE` and refuses the development key; `development` (what `make run`
    /// and the tests set) defaults to it.
    fn read(r: &mut Reader<'_>) -> Self {
        let development = development(r);
        let jwks_url = Some(r.string("NSK_JWT_JWKS_URL", "")).filter(|u| !u.is_empty());
        if let Some(url) = &jwks_url {
            let secure = url.starts_with("https://");
            if !(secure || url.starts_with("http://")) {
                r.problem(
                    "NSK_JWT_JWKS_URL",
                    url,
                    "must be an http:// or https:// URL",
                );
            } else if !secure && !development {
                r.problem(
                    "NSK_JWT_JWKS_URL",
                    url,
                    "must be https:// in production: the keys that let staff in travel over it",
                );
            }
        }
        // With a JWKS the key file is not needed; without one it is.
        let public_key_file = if jwks_url.is_some() {
            PathBuf::from(r.string("NSK_JWT_PUBLIC_KEY_FILE", ""))
        } else {
            key_file(
                r,
                development,
                "NSK_JWT_PUBLIC_KEY_FILE",
                "deploy/dev-keys/dev-jwt.pub.pem",
                DEV_PUBLIC_KEY,
                "the identity provider's Ed25519 public key (or set NSK_JWT_JWKS_URL)",
            )
        };
        let jwks_refresh = Duration::from_secs(
            r.parse::<u64>(
                "NSK_JWKS_REFRESH_SECS",
                300,
                "must be a whole number of seconds",
            )
            .max(1),
        );
        let gateway_public_key_file = key_file(
            r,
            development,
            "NSK_GATEWAY_PUBLIC_KEY_FILE",
            "deploy/dev-keys/dev-gateway.pub.pem",
            DEV_GATEWAY_PUBLIC_KEY,
            "the gateway's Ed25519 public key",
        );
        Self {
            public_key_file,
            issuer: r.string("NSK_JWT_ISSUER", "nsk-dev"),
            audience: r.string("NSK_JWT_AUDIENCE", "nsk-registry"),
            jwks_url,
            jwks_refresh,
            gateway_public_key_file,
            gateway_issuer: r.string("NSK_GATEWAY_TOKEN_ISSUER", "nsk-gateway"),
        }
    }
}

/// Where a service keeps its data: a PostgreSQL server and the database name on it.
#[derive(Clone)]
pub struct DatabaseConfig {
    /// Server URL (`DATABASE_URL`); the database part is replaced by `name`.
    pub server_url: SecretString,
    /// The service's own database (`NSK_DATABASE_NAME`, default `nsk_<service>`), created if missing.
    pub name: String,
    pub max_connections: u32,
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("server_url", &redact_url(self.server_url.expose_secret()))
            .field("name", &self.name)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// A URL with any password replaced by `***`, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The broker and the topic naming of this deployment.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `KAFKA_BROKERS`: comma-separated host:port list.
    pub brokers: String,
    /// `NSK_TOPIC_PREFIX`: prepended to every topic name, so that parallel test runs share a broker.
    pub topic_prefix: String,
    /// `NSK_TOPIC_PARTITIONS`: partitions of topics the service creates (default 3).
    pub partitions: i32,
    /// `NSK_TOPIC_REPLICATION`: replication factor of topics the service creates (default 1;
    /// 3 on a production cluster).
    pub replication: i32,
    /// `NSK_CONSUMER_FETCH_WAIT_MS`: how long a consumer's fetch may wait at the broker for
    /// events (default [`DEFAULT_FETCH_WAIT_MS`]). Apache Kafka answers as soon as an event
    /// comes; a broker that does not (Tansu) holds every fetch this long, so it is the most an
    /// event waits for an idle consumer, and it sets how often idle consumers ask.
    pub fetch_wait_ms: u32,
    /// `NSK_CONSUMER_SESSION_TIMEOUT_MS`: how long a consumer may go unheard by its group's
    /// coordinator before the group takes its partitions away (default
    /// [`DEFAULT_SESSION_TIMEOUT_MS`]). Short, a dead consumer's partitions move on sooner; long,
    /// a coordinator that answers late (a broker catching up) does not break the group up.
    pub session_timeout_ms: u32,
}

/// What [`KafkaConfig::fetch_wait_ms`] is unless configured.
pub const DEFAULT_FETCH_WAIT_MS: u32 = 100;

/// What [`KafkaConfig::session_timeout_ms`] is unless configured.
pub const DEFAULT_SESSION_TIMEOUT_MS: u32 = 10_000;

impl KafkaConfig {
    /// The broker settings alone (`KAFKA_BROKERS`, `NSK_TOPIC_PREFIX`, ...), for tools that
    /// need nothing else.
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        let mut r = Reader::new(env);
        let kafka = Self::read(&mut r);
        r.finish(kafka)
    }

    fn read(r: &mut Reader<'_>) -> Self {
        let brokers = r.string("KAFKA_BROKERS", "127.0.0.1:9092");
        if brokers.split(',').any(|b| {
            b.trim()
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u16>().ok())
                .is_none()
        }) {
            r.problem(
                "KAFKA_BROKERS",
                &brokers,
                "must be a comma-separated list of host:port",
            );
        }
        let topic_prefix = r.string("NSK_TOPIC_PREFIX", "");
        if !topic_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            r.problem(
                "NSK_TOPIC_PREFIX",
                &topic_prefix,
                "may hold only letters, digits, '.', '_' and '-'",
            );
        }
        let partitions: i32 = r.parse("NSK_TOPIC_PARTITIONS", 3, "must be a whole number");
        if !(1..=1000).contains(&partitions) {
            r.problem(
                "NSK_TOPIC_PARTITIONS",
                &partitions.to_string(),
                "must be between 1 and 1000",
            );
        }
        let replication: i32 = r.parse("NSK_TOPIC_REPLICATION", 1, "must be a whole number");
        if !(1..=10).contains(&replication) {
            r.problem(
                "NSK_TOPIC_REPLICATION",
                &replication.to_string(),
                "must be between 1 and 10",
            );
        }
        let fetch_wait_ms: u32 = r.parse(
            "NSK_CONSUMER_FETCH_WAIT_MS",
            DEFAULT_FETCH_WAIT_MS,
            "must be a whole number of milliseconds",
        );
        if !(1..=5000).contains(&fetch_wait_ms) {
            r.problem(
                "NSK_CONSUMER_FETCH_WAIT_MS",
                &fetch_wait_ms.to_string(),
                "must be between 1 and 5000",
            );
        }
        let session_timeout_ms: u32 = r.parse(
            "NSK_CONSUMER_SESSION_TIMEOUT_MS",
            DEFAULT_SESSION_TIMEOUT_MS,
            "must be a whole number of milliseconds",
        );
        // Apache Kafka's brokers accept 6 s to 5 min (group.min/max.session.timeout.ms).
        if !(6_000..=300_000).contains(&session_timeout_ms) {
            r.problem(
                "NSK_CONSUMER_SESSION_TIMEOUT_MS",
                &session_timeout_ms.to_string(),
                "must be between 6000 and 300000",
            );
        }
        Self {
            brokers,
            topic_prefix,
            partitions,
            replication,
            fetch_wait_ms,
            session_timeout_ms,
        }
    }

    /// The topic a service publishes to: `<prefix>nsk.<service>.v1`.
    pub fn topic_of(&self, service: &str) -> String {
        format!("{}nsk.{service}.v1", self.topic_prefix)
    }

    /// The dead-letter topic of a consuming service: `<prefix>nsk.<service>.v1.dlq`.
    pub fn dead_letter_topic_of(&self, service: &str) -> String {
        format!("{}.dlq", self.topic_of(service))
    }
}

/// Everything a domain service needs to start.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub service: String,
    /// `NSK_GRPC_ADDR`, default 127.0.0.1:5005x by service; port 0 picks a free one.
    pub grpc_addr: SocketAddr,
    /// `NSK_METRICS_ADDR`: where Prometheus metrics are served (`GET /metrics`); unset, none.
    pub metrics_addr: Option<SocketAddr>,
    pub database: DatabaseConfig,
    pub kafka: KafkaConfig,
    /// `NSK_CONSUMER_GROUP`, default `nsk-<service>`.
    pub consumer_group: String,
    /// `NSK_RELAY_INTERVAL_MS`: how often the outbox relay looks for unsent events when idle.
    pub relay_interval: Duration,
    pub auth: AuthConfig,
    pub log_format: LogFormat,
    /// `NSK_PUBLIC_URL`: where the public reaches the gateway, e.g. `https://nsk.enbek.kz`;
    /// printed in QR codes of documents. Default `http://127.0.0.1:8080`.
    pub public_url: String,
    /// `NSK_CLOCK_OFFSET_DAYS`: days added to the service's calendar date, for rehearsals and
    /// tests that must see a later day (a document registered days after its procedure).
    /// Default 0; never set in production.
    pub clock_offset_days: i64,
    /// The registry of documents only: the keys its credentials are signed with, the current one
    /// first (`NSK_CREDENTIAL_KEY_FILES`); empty for the other services, and in development
    /// when none are named (see [`ServiceConfig::credential_key_pems`]).
    pub credential_key_files: Vec<PathBuf>,
}

impl ServiceConfig {
    /// Loads the configuration of `service` (one of [`SERVICES`]).
    pub fn load(service: &str, env: &Env) -> Result<Self, ConfigError> {
        let mut r = Reader::new(env);
        let default_port = default_grpc_port(service);
        let grpc_addr = r.parse(
            "NSK_GRPC_ADDR",
            SocketAddr::from(([127, 0, 0, 1], default_port)),
            "must be an address like 127.0.0.1:50051 (port 0 picks a free one)",
        );
        let metrics_addr = read_metrics_addr(&mut r);
        let database = read_database(&mut r, service);
        let kafka = KafkaConfig::read(&mut r);
        let consumer_group = r.string("NSK_CONSUMER_GROUP", &format!("nsk-{service}"));
        let relay_ms: u64 = r.parse(
            "NSK_RELAY_INTERVAL_MS",
            100,
            "must be a whole number of milliseconds",
        );
        if relay_ms == 0 || relay_ms > 60_000 {
            r.problem(
                "NSK_RELAY_INTERVAL_MS",
                &relay_ms.to_string(),
                "must be between 1 and 60000",
            );
        }
        let auth = AuthConfig::read(&mut r);
        let log_format = r.parse(
            "NSK_LOG_FORMAT",
            LogFormat::Pretty,
            "must be pretty or json",
        );
        let public_url = r
            .string("NSK_PUBLIC_URL", "http://127.0.0.1:8080")
            .trim_end_matches('/')
            .to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            r.problem(
                "NSK_PUBLIC_URL",
                &public_url,
                "must be an http:// or https:// URL where the public reaches the gateway",
            );
        }
        let clock_offset_days: i64 =
            r.parse("NSK_CLOCK_OFFSET_DAYS", 0, "must be a whole number of days");
        if clock_offset_days.abs() > 3650 {
            r.problem(
                "NSK_CLOCK_OFFSET_DAYS",
                &clock_offset_days.to_string(),
                "must be between -3650 and 3650",
            );
        }
        let credential_key_files = if service == "documents" {
            credentials::read(&mut r)
        } else {
            Vec::new()
        };
        r.finish(Self {
            service: service.to_string(),
            credential_key_files,
            public_url,
            clock_offset_days,
            grpc_addr,
            metrics_addr,
            database,
            kafka,
            consumer_group,
            relay_interval: Duration::from_millis(relay_ms),
            auth,
            log_format,
        })
    }
}

impl ServiceConfig {
    /// The PEM texts of the credential keys, the signing one first: the files named, or in
    /// development with none named, the committed pair.
    pub fn credential_key_pems(&self) -> std::io::Result<Vec<String>> {
        if self.credential_key_files.is_empty() {
            return Ok(credentials::DEV_KEYS.map(str::to_string).to_vec());
        }
        self.credential_key_files
            .iter()
            .map(std::fs::read_to_string)
            .collect()
    }
}

/// `NSK_METRICS_ADDR`, read the same way by the services and the gateway.
fn read_metrics_addr(r: &mut Reader<'_>) -> Option<SocketAddr> {
    let raw = r.env.get("NSK_METRICS_ADDR")?.trim().to_string();
    match raw.parse() {
        Ok(addr) => Some(addr),
        Err(_) => {
            r.problem(
                "NSK_METRICS_ADDR",
                &raw,
                "must be an address like 0.0.0.0:9464 (port 0 picks a free one)",
            );
            None
        }
    }
}

fn default_grpc_port(service: &str) -> u16 {
    let index = SERVICES.iter().position(|s| *s == service).unwrap_or(0);
    50051 + index as u16
}

fn read_database(r: &mut Reader<'_>, service: &str) -> DatabaseConfig {
    let server_url = r.string(
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
    );
    if !(server_url.starts_with("postgres://") || server_url.starts_with("postgresql://")) {
        r.problem(
            "DATABASE_URL",
            &redact_url(&server_url),
            "must be a postgres:// URL of the PostgreSQL server",
        );
    }
    let name = r.string("NSK_DATABASE_NAME", &format!("nsk_{service}"));
    if name.is_empty()
        || name.len() > 63
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        r.problem(
            "NSK_DATABASE_NAME",
            &name,
            "must be 1-63 characters of a-z, 0-9 and _",
        );
    }
    let max_connections = r.parse(
        "NSK_DATABASE_MAX_CONNECTIONS",
        10u32,
        "must be a whole number",
    );
    if max_connections == 0 {
        r.problem("NSK_DATABASE_MAX_CONNECTIONS", "0", "must be at least 1");
    }
    DatabaseConfig {
        server_url: SecretString::from(server_url),
        name,
        max_connections,
    }
}

#[cfg(test)]
mod tests;

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
}

impl KafkaConfig {
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
        Self {
            brokers,
            topic_prefix,
            partitions,
            replication,
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

/// Everything the gateway needs to start.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// `NSK_HTTP_ADDR`: where REST, gRPC, `/openapi.json`, `/healthz` and `/readyz` are served.
    pub http_addr: SocketAddr,
    /// Upstream gRPC endpoint of each service: `NSK_<SERVICE>_URL`, e.g. `NSK_PROFESSIONS_URL`.
    pub upstreams: Vec<(String, String)>,
    /// `NSK_UPSTREAM_TIMEOUT_MS`: deadline of one forwarded call.
    pub upstream_timeout: Duration,
    pub auth: AuthConfig,
    /// `NSK_GATEWAY_SIGNING_KEY_FILE`: the private half of the gateway's Ed25519 key, which
    /// signs the short-lived tokens it trades for centers' API keys.
    pub signing_key_file: PathBuf,
    /// `NSK_API_KEY_CACHE_MS`: how long the gateway trusts an API key it has checked before
    /// asking again: the most a revocation takes to bite.
    pub api_key_cache: Duration,
    /// `NSK_VERIFICATION_CACHE_MIB`: the most memory public verification answers kept by the
    /// gateway may take (0: none, every check asks the registry).
    pub verification_cache_bytes: u64,
    pub log_format: LogFormat,
    /// Abuse limits; 0 turns one off.
    pub limits: Limits,
    /// TLS served by the gateway itself, when set (else a TLS terminator in front of it).
    pub tls: Option<Tls>,
}

/// The gateway's own TLS: `NSK_TLS_CERT_FILE` and `NSK_TLS_KEY_FILE` (PEM), both or neither;
/// with `NSK_TLS_CLIENT_CA_FILE`, connections may present a client certificate issued by that
/// authority (mutual TLS), which acts for the center it is registered to. A connection without
/// one is served too: it authenticates by token or API key, or reads what is public.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub client_ca_file: Option<PathBuf>,
}

/// How much one caller may ask of the gateway.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// `NSK_RATE_PER_CALLER`: requests per second of one token subject (a bucket of twice as
    /// many absorbs a burst).
    pub per_caller: u32,
    /// `NSK_RATE_PER_IP`: requests per second from one address without a token.
    pub per_ip: u32,
    /// `NSK_HEADER_READ_TIMEOUT_MS`: how long a connection may take to send a request's
    /// headers, and stay idle between requests, before it is closed.
    pub header_read_timeout: Duration,
    /// `NSK_BODY_READ_TIMEOUT_MS`: how long a request's body may take to arrive.
    pub body_read_timeout: Duration,
}

impl GatewayConfig {
    pub fn load(env: &Env) -> Result<Self, ConfigError> {
        let mut r = Reader::new(env);
        let http_addr = r.parse(
            "NSK_HTTP_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 8080)),
            "must be an address like 127.0.0.1:8080 (port 0 picks a free one)",
        );
        let mut upstreams = Vec::new();
        for service in SERVICES {
            let key = format!("NSK_{}_URL", service.to_ascii_uppercase());
            let url = r.string(
                &key,
                &format!("http://127.0.0.1:{}", default_grpc_port(service)),
            );
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                r.problem(
                    &key,
                    &url,
                    "must be an http:// or https:// URL of the service's gRPC endpoint",
                );
            }
            upstreams.push((service.to_string(), url));
        }
        let timeout_ms: u64 = r.parse(
            "NSK_UPSTREAM_TIMEOUT_MS",
            10_000,
            "must be a whole number of milliseconds",
        );
        let auth = AuthConfig::read(&mut r);
        let development = development(&mut r);
        let signing_key_file = key_file(
            &mut r,
            development,
            "NSK_GATEWAY_SIGNING_KEY_FILE",
            "deploy/dev-keys/dev-gateway.key.pem",
            DEV_GATEWAY_PRIVATE_KEY,
            "the gateway's Ed25519 private key",
        );
        let api_key_cache = Duration::from_millis(r.parse(
            "NSK_API_KEY_CACHE_MS",
            30_000,
            "must be a whole number of milliseconds (0: check every call)",
        ));
        let verification_cache_mib: u64 = r.parse(
            "NSK_VERIFICATION_CACHE_MIB",
            256,
            "must be a whole number of MiB (0: no cache)",
        );
        let log_format = r.parse(
            "NSK_LOG_FORMAT",
            LogFormat::Pretty,
            "must be pretty or json",
        );
        let limits = Limits {
            per_caller: r.parse(
                "NSK_RATE_PER_CALLER",
                50,
                "must be a whole number of requests per second (0: no limit)",
            ),
            per_ip: r.parse(
                "NSK_RATE_PER_IP",
                20,
                "must be a whole number of requests per second (0: no limit)",
            ),
            header_read_timeout: Duration::from_millis(
                r.parse::<u64>(
                    "NSK_HEADER_READ_TIMEOUT_MS",
                    10_000,
                    "must be a whole number of milliseconds",
                )
                .max(1),
            ),
            body_read_timeout: Duration::from_millis(
                r.parse::<u64>(
                    "NSK_BODY_READ_TIMEOUT_MS",
                    30_000,
                    "must be a whole number of milliseconds",
                )
                .max(1),
            ),
        };
        let file = |name: &str| env.get(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let tls = match (
            file("NSK_TLS_CERT_FILE"),
            file("NSK_TLS_KEY_FILE"),
            file("NSK_TLS_CLIENT_CA_FILE"),
        ) {
            (Some(cert_file), Some(key_file), client_ca_file) => {
                for (name, path) in [
                    ("NSK_TLS_CERT_FILE", &cert_file),
                    ("NSK_TLS_KEY_FILE", &key_file),
                ]
                .into_iter()
                .chain(client_ca_file.iter().map(|p| ("NSK_TLS_CLIENT_CA_FILE", p)))
                {
                    if !path.is_file() {
                        r.problem(
                            name,
                            &path.display().to_string(),
                            "must be a readable PEM file",
                        );
                    }
                }
                Some(Tls {
                    cert_file,
                    key_file,
                    client_ca_file,
                })
            }
            (None, None, None) => None,
            (_, _, ca) => {
                let rule = if ca.is_some() {
                    "mutual TLS needs the gateway's own certificate and key too: set NSK_TLS_CERT_FILE and NSK_TLS_KEY_FILE"
                } else {
                    "must be set with its pair: NSK_TLS_CERT_FILE and NSK_TLS_KEY_FILE, both or neither"
                };
                r.problem("NSK_TLS_CERT_FILE", "", rule);
                None
            }
        };
        r.finish(Self {
            http_addr,
            upstreams,
            upstream_timeout: Duration::from_millis(timeout_ms.max(1)),
            auth,
            signing_key_file,
            api_key_cache,
            verification_cache_bytes: verification_cache_mib.saturating_mul(1 << 20),
            log_format,
            limits,
            tls,
        })
    }
}

#[cfg(test)]
mod tests;

//! The gateway's configuration.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::*;

/// Everything the gateway needs to start.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// `NSK_HTTP_ADDR`: where REST, gRPC, `/openapi.json`, `/healthz` and `/readyz` are served.
    pub http_addr: SocketAddr,
    /// `NSK_METRICS_ADDR`: where Prometheus metrics are served (`GET /metrics`), never on the
    /// public port; unset, none.
    pub metrics_addr: Option<SocketAddr>,
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
        let metrics_addr = read_metrics_addr(&mut r);
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
            metrics_addr,
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

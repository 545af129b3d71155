//! The gateway (`nsk-gateway`): the only public door of NSK Registry.
//!
//! - `routes` — REST routes read from the `google.api.http` annotations of the contract;
//! - `transcode` — JSON <-> protobuf (proto3 JSON mapping) and the raw gRPC codec;
//! - `openapi` — `/openapi.json`, from the same annotations;
//! - `access` — who may call each method (`proto/nsk/access.json`);
//! - `rules` — what request fields must be: forms by name, the contract's field options;
//! - `callers` — who is calling (token, API key, nobody) and the abuse limits' buckets;
//! - `keys` — centers' API keys traded for the gateway's short-lived tokens;
//! - `limits` — the token buckets;
//! - `passthrough` — native gRPC passed to the owning service after the same checks;
//! - `verification` — public verification answered from memory, kept exact by the registry's
//!   feed of changes;
//! - `headers` — the security and CORS headers on every answer;
//! - `web` — pages for people (verification, the registers) in kk, ru and en;
//! - here — the HTTP server: REST under `/v1/...`, gRPC passed through to the owning service,
//!   `/healthz`, `/readyz`; bearer tokens verified before anything is forwarded, and forwarded
//!   so that each service checks roles again.

pub mod access;
mod callers;
mod connections;
mod headers;
pub mod keys;
pub mod limits;
pub mod openapi;
mod passthrough;
pub mod routes;
pub mod rules;
mod served;
pub mod tls;
pub mod tokens;
pub mod transcode;
pub mod verification;
pub mod web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::uri::PathAndQuery;
use http::HeaderValue;
use nsk_config::GatewayConfig;
use nsk_errors::{ApiError, ErrorKind, Problem};
use nsk_identity::TokenVerifier;
use nsk_proto::google::api::HttpBody;
use prost::Message as _;
use prost_reflect::DescriptorPool;
use tokio::net::TcpListener;
use tonic::transport::{Channel, Endpoint};
use tracing::Instrument;

use crate::routes::{Lookup, Route};
use crate::served::Served;
use crate::transcode::{problem_response, RawCodec};

/// The area of the contract every service serves for itself (`nsk.audit.v1`).
const AUDIT_AREA: &str = "audit";

/// The largest request body accepted.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

struct Gateway {
    routes: Vec<Route>,
    /// Who may call each method (`proto/nsk/access.json`).
    access: access::Access,
    channels: HashMap<String, Channel>,
    verifier: TokenVerifier,
    /// Centers' API keys, traded for tokens of the gateway.
    keys: keys::KeyExchange,
    timeout: Duration,
    openapi: String,
    /// Per token subject.
    per_caller: limits::Limiter<String>,
    /// Per address, for callers without a token (`None`: a request without its peer's
    /// address, which does not come over a socket).
    per_ip: limits::Limiter<Option<std::net::IpAddr>>,
    /// The series of checks answered from memory with 200, held (see `verification::from_memory`).
    memory_answers: nsk_metrics::CallSeries,
    body_read_timeout: Duration,
    /// The pages for people.
    web: web::Web,
    /// Public verification, from memory while the registry's feed vouches for it.
    verifications: Arc<verification::Verifications>,
}

pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    router: Router,
    shutdown: nsk_runtime::CancellationToken,
    header_read_timeout: Duration,
    tls: Option<tokio_rustls::TlsAcceptor>,
    verifications: Arc<verification::Verifications>,
}

impl Application {
    pub async fn build(config: GatewayConfig) -> anyhow::Result<Self> {
        let pool = DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET)?;
        let routes = routes::load(&pool).map_err(anyhow::Error::msg)?;
        let mut channels = HashMap::new();
        for (service, url) in &config.upstreams {
            // Lazy: the gateway starts before its services, and /readyz tells when they are up.
            let channel = Endpoint::from_str(url)?
                .connect_timeout(Duration::from_secs(2))
                .connect_lazy();
            channels.insert(service.clone(), channel);
        }
        let access = access::Access::load(access::MATRIX, &pool).map_err(anyhow::Error::msg)?;
        // One signing key, read once: the centers' tokens and the gateway's own.
        let tokens = Arc::new(tokens::GatewayTokens::new(
            nsk_identity::TokenSigner::from_pem_file(
                &config.signing_key_file,
                &config.auth.gateway_issuer,
                &config.auth.audience,
            )?,
        ));
        let keys = keys::KeyExchange::new(
            tokens.clone(),
            channels.get("accreditation").cloned(),
            config.api_key_cache,
            config.upstream_timeout,
        );
        let verifications = Arc::new(
            verification::Verifications::new(
                &pool,
                channels.get("documents").cloned(),
                Some(tokens),
                config.verification_cache_bytes,
                config.upstream_timeout,
            )
            .map_err(anyhow::Error::msg)?,
        );
        let web = web::Web::new(&channels, config.upstream_timeout, verifications.clone())
            .map_err(anyhow::Error::msg)?;
        let gateway = Gateway {
            web,
            verifications: verifications.clone(),
            keys,
            openapi: serde_json::to_string_pretty(&openapi::document(&routes, &access))?,
            access,
            routes,
            channels,
            verifier: TokenVerifier::from_config(&config.auth)?,
            timeout: config.upstream_timeout,
            per_caller: limits::Limiter::new(config.limits.per_caller),
            per_ip: limits::Limiter::new(config.limits.per_ip),
            memory_answers: nsk_metrics::metrics().call_series(served::MEMORY, "200"),
            body_read_timeout: config.limits.body_read_timeout,
        };
        let router = Router::new()
            .route(
                "/healthz",
                get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
            )
            .route("/readyz", get(readyz))
            .route("/openapi.json", get(openapi_json))
            .route("/assets/style.css", get(|| async { web::stylesheet() }))
            .fallback(dispatch)
            .with_state(Arc::new(gateway))
            .layer(axum::middleware::from_fn(headers::harden));
        let listener = TcpListener::bind(config.http_addr).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot listen on {}: {e}; is another process using it?",
                config.http_addr
            )
        })?;
        let addr = listener.local_addr()?;
        let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
        let shutdown = nsk_runtime::CancellationToken::new();
        if let Some(metrics_addr) = config.metrics_addr {
            // Stops with the gateway (the token); the task needs no handle.
            let _ = nsk_metrics::serve(metrics_addr, shutdown.clone()).await?;
        }
        Ok(Self {
            listener,
            addr,
            router,
            shutdown,
            header_read_timeout: config.limits.header_read_timeout,
            tls,
            verifications,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn shutdown_token(&self) -> nsk_runtime::CancellationToken {
        self.shutdown.clone()
    }

    /// Serves until shutdown, then lets the requests in flight finish. Each connection: HTTP/1
    /// or HTTP/2; its request headers must arrive within the header-read timeout, which also
    /// closes a keep-alive connection left idle that long (slow or idle clients hold no
    /// connection for long).
    pub async fn run(self) -> anyhow::Result<()> {
        use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
        tracing::info!(
            addr = %self.addr,
            tls = self.tls.is_some(),
            "gateway serving REST and gRPC"
        );
        let following = tokio::spawn(self.verifications.clone().run(self.shutdown.clone()));
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(Some(Duration::from_secs(20)))
            .keep_alive_timeout(self.header_read_timeout);
        // Every connection task holds a sender; when all are gone, all connections closed.
        let (open, mut all_closed) = tokio::sync::mpsc::channel::<()>(1);
        loop {
            let (tcp, peer) = tokio::select! {
                () = self.shutdown.cancelled() => break,
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            // TCP_NODELAY: a response in several writes must not wait for the delayed ACK.
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::warn!(error = %err, "cannot set TCP_NODELAY on a connection");
            }
            let router = self.router.clone();
            let builder = builder.clone();
            let shutdown = self.shutdown.clone();
            let open = open.clone();
            let first_byte_within = self.header_read_timeout;
            let tls = self.tls.clone();
            tokio::spawn(async move {
                // HTTP/1 or HTTP/2 is told from the first bytes, which hyper would wait for
                // forever: a connection that sends none in time is closed here.
                let mut first = [0u8; 1];
                match tokio::time::timeout(first_byte_within, tcp.peek(&mut first)).await {
                    Ok(Ok(n)) if n > 0 => {}
                    _ => return,
                }
                let served = match tls {
                    None => {
                        let service = connections::service(router, peer, None);
                        connections::serve(&builder, TokioIo::new(tcp), service, &shutdown).await
                    }
                    Some(acceptor) => {
                        // The handshake, too, must be done within the header-read timeout.
                        let stream =
                            match tokio::time::timeout(first_byte_within, acceptor.accept(tcp))
                                .await
                            {
                                Ok(Ok(stream)) => stream,
                                Ok(Err(err)) => {
                                    tracing::debug!(error = %err, %peer, "TLS handshake failed");
                                    return;
                                }
                                Err(_) => return,
                            };
                        let presented = stream
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|chain| chain.first())
                            .map(|leaf| tls::ClientCertificate::of(leaf));
                        let service = connections::service(router, peer, Some(presented));
                        connections::serve(&builder, TokioIo::new(stream), service, &shutdown).await
                    }
                };
                if let Err(err) = served {
                    tracing::debug!(error = %err, %peer, "connection ended");
                }
                drop(open);
            });
        }
        drop(open);
        let _ = all_closed.recv().await;
        // The counts of checks answered from memory go to the registry before the gateway ends.
        let _ = following.await;
        Ok(())
    }
}

async fn openapi_json(State(gw): State<Arc<Gateway>>) -> Response {
    (
        [(http::header::CONTENT_TYPE, "application/json")],
        gw.openapi.clone(),
    )
        .into_response()
}

/// Ready when every service answers the gRPC health check as serving.
async fn readyz(State(gw): State<Arc<Gateway>>) -> Response {
    use tonic_health::pb::{
        health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
    };
    let mut services = serde_json::Map::new();
    let mut ready = true;
    let mut names: Vec<&String> = gw.channels.keys().collect();
    names.sort();
    for name in names {
        let mut client = HealthClient::new(gw.channels[name].clone());
        let check = tokio::time::timeout(
            Duration::from_secs(2),
            client.check(HealthCheckRequest {
                service: String::new(),
            }),
        );
        let state = match check.await {
            Ok(Ok(reply)) if reply.get_ref().status == ServingStatus::Serving as i32 => "serving",
            Ok(Ok(_)) => "not serving",
            Ok(Err(_)) => "unreachable",
            Err(_) => "timed out",
        };
        ready &= state == "serving";
        services.insert(name.clone(), state.into());
    }
    let status = if ready {
        http::StatusCode::OK
    } else {
        http::StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(serde_json::json!({"ready": ready, "services": services})),
    )
        .into_response()
}

/// Everything that is not health or OpenAPI: native gRPC, or REST under `/v1/`.
async fn dispatch(State(gw): State<Arc<Gateway>>, request: Request) -> Response {
    let started = std::time::Instant::now();
    let (parts, body) = request.into_parts();
    if let Some(answer) = verification::from_memory(&gw, &parts, started) {
        return answer;
    }
    let request = Request::from_parts(parts, body);
    let span =
        tracing::info_span!("request", method = %request.method(), path = %request.uri().path());
    nsk_telemetry::set_parent_from_headers(&span, request.headers());
    let is_grpc = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/grpc"));
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let (response, served) = async {
        if is_grpc {
            (passthrough::grpc_proxy(&gw, request).await, Served::Grpc)
        } else if request.method() == http::Method::GET {
            let (parts, body) = request.into_parts();
            if let Some(page) = page(&gw, &parts).await {
                (page, Served::Page)
            } else if let Some(answer) = verification::answer(&gw, &parts).await {
                (answer, Served::Memory)
            } else {
                (
                    rest(&gw, Request::from_parts(parts, body)).await,
                    Served::Rest,
                )
            }
        } else {
            (rest(&gw, request).await, Served::Rest)
        }
    }
    .instrument(span)
    .await;
    let label = served::metric_label(&gw.routes, served, &method, &path);
    nsk_metrics::metrics().call(&label, response.status().as_str(), started);
    response
}

/// A page for people, if the path is one (within the address's limits); `None` otherwise.
async fn page(gw: &Gateway, parts: &http::request::Parts) -> Option<Response> {
    if !web::is_page(parts) {
        return None;
    }
    if let Some(retry_after) =
        callers::over_limit(gw, &nsk_identity::Caller::Anonymous, &parts.extensions)
    {
        return Some(callers::too_many(retry_after));
    }
    web::page(&gw.web, parts).await
}

/// The largest `Authorization` header read: a token is a few hundred bytes; kilobytes are an
/// attack or a mistake, and would overflow the header limits of the hop to the service.
const MAX_AUTHORIZATION_BYTES: usize = 8 * 1024;

async fn rest(gw: &Gateway, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        // Answered at once, without reading what the client announced.
        let err = ApiError::new(
            ErrorKind::PayloadTooLarge,
            "the body is larger than 4 MiB, the most a call takes",
        );
        return problem_response(&Problem::from(&err));
    }
    // The body is read before any answer, so that an early refusal (no token, no route)
    // leaves the connection usable for the client's next request.
    let body = match tokio::time::timeout(
        gw.body_read_timeout,
        axum::body::to_bytes(body, MAX_BODY_BYTES),
    )
    .await
    {
        Ok(Ok(body)) => body,
        Err(_) => {
            let mut problem = Problem::new(
                ErrorKind::InvalidArgument,
                "the body did not arrive in time; send it whole, at once",
                vec![],
            );
            problem.status = 408;
            problem.title = "Request Timeout".into();
            return problem_response(&problem);
        }
        Ok(Err(_)) => {
            let err = ApiError::new(
                ErrorKind::PayloadTooLarge,
                "the body is larger than 4 MiB, the most a call takes",
            );
            return problem_response(&Problem::from(&err));
        }
    };
    if parts
        .headers
        .get(http::header::AUTHORIZATION)
        .is_some_and(|v| v.len() > MAX_AUTHORIZATION_BYTES)
    {
        let err = ApiError::new(
            ErrorKind::HeadersTooLarge,
            "the Authorization header is larger than 8 KiB; send the bearer token alone",
        );
        return problem_response(&Problem::from(&err));
    }
    let (caller, forward) = match callers::credentials(gw, &parts.headers, &parts.extensions).await
    {
        Ok(found) => found,
        Err(callers::Refusal::Problem(err)) => return problem_response(&Problem::from(&err)),
        Err(callers::Refusal::TooMany(retry_after)) => return callers::too_many(retry_after),
    };
    if let Some(retry_after) = callers::over_limit(gw, &caller, &parts.extensions) {
        return callers::too_many(retry_after);
    }
    let (route, bound) = match routes::find(&gw.routes, &parts.method, parts.uri.path()) {
        Lookup::Found(route, bound) => (route, bound),
        Lookup::MethodNotAllowed(allowed) => return method_not_allowed(&parts, &allowed),
        Lookup::NotFound => {
            let detail = format!(
                "no route {} {}; see /openapi.json",
                parts.method,
                parts.uri.path()
            );
            return problem_response(&Problem::new(ErrorKind::NotFound, detail, vec![]));
        }
    };
    if let Err(err) = gw.access.check(&route.grpc_path, &caller) {
        return problem_response(&Problem::from(&err));
    }
    if let Err(err) = check_media_type(route, &parts.headers, &body) {
        return problem_response(&Problem::from(&err));
    }
    let message = match transcode::request_message(route, &bound, parts.uri.query(), &body) {
        Ok(message) => message,
        Err(err) => return problem_response(&Problem::from(&err)),
    };
    if let Err(err) = rules::check(&message) {
        return problem_response(&Problem::from(&err));
    }
    // Every service keeps its own audit trail: the path names whose.
    let target = if route.service == AUDIT_AREA {
        bound
            .iter()
            .find(|(name, _)| name == "service")
            .map_or("", |(_, value)| value.as_str())
    } else {
        route.service.as_str()
    };
    let Some(channel) = gw.channels.get(target) else {
        let err = if route.service == AUDIT_AREA {
            ApiError::not_found("service", target)
        } else {
            ApiError::internal(format!("no upstream for {}", route.service))
        };
        return problem_response(&Problem::from(&err));
    };
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    let mut upstream_request = tonic::Request::new(transcode::encode(&message));
    upstream_request.set_timeout(gw.timeout);
    if let Some(auth) = forward.or_else(|| parts.headers.get(http::header::AUTHORIZATION).cloned())
    {
        if let Ok(value) = tonic::metadata::MetadataValue::try_from(auth.as_bytes()) {
            upstream_request
                .metadata_mut()
                .insert("authorization", value);
        }
    }
    for (key, value) in nsk_telemetry::current_context() {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            upstream_request.metadata_mut().insert(key, value);
        }
    }
    if route.method.is_server_streaming() {
        // A download: no deadline on the whole, which may be millions of rows.
        upstream_request.set_timeout(Duration::from_secs(24 * 3600));
        return stream_http_body(grpc, upstream_request, route).await;
    }
    let result = async {
        grpc.ready()
            .await
            .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        let path = PathAndQuery::from_str(&route.grpc_path)
            .map_err(|e| tonic::Status::internal(e.to_string()))?;
        grpc.unary(upstream_request, path, RawCodec).await
    }
    .await;
    match result {
        Ok(reply) if route.returns_http_body() => match HttpBody::decode(reply.get_ref().clone()) {
            Ok(body) => http_body_response(&body.content_type, Body::from(body.data)),
            Err(err) => problem_response(&Problem::from(&ApiError::internal(format!(
                "{} answered a body that does not decode: {err}",
                route.service
            )))),
        },
        Ok(reply) => match transcode::response_json(route.output(), reply.get_ref()) {
            Ok(json) => ([(http::header::CONTENT_TYPE, "application/json")], json).into_response(),
            Err(err) => problem_response(&Problem::from(&err)),
        },
        Err(status) => {
            let mut problem = upstream_problem(&route.service, &status);
            transcode::json_field_names(&mut problem);
            problem_response(&problem)
        }
    }
}

/// 405, with the methods the path takes in `Allow`.
fn method_not_allowed(parts: &http::request::Parts, allowed: &[http::Method]) -> Response {
    let allow = allowed
        .iter()
        .map(http::Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let err = ApiError::new(
        ErrorKind::MethodNotAllowed,
        format!(
            "{} is not allowed on {}; it takes {allow}",
            parts.method,
            parts.uri.path()
        ),
    );
    let mut response = problem_response(&Problem::from(&err));
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(http::header::ALLOW, value);
    }
    response
}

/// A call that takes a JSON body takes only JSON: `application/json` or a `+json` type.
fn check_media_type(route: &Route, headers: &http::HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    if route.body == routes::BodyMapping::None || body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let media_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    match media_type.as_deref() {
        Some("application/json") => Ok(()),
        Some(t) if t.starts_with("application/") && t.ends_with("+json") => Ok(()),
        other => Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            format!(
                "the body must be JSON, sent with Content-Type: application/json (it came as {})",
                other.unwrap_or("no Content-Type")
            ),
        )),
    }
}

fn http_body_response(content_type: &str, body: Body) -> Response {
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    ([(http::header::CONTENT_TYPE, content_type)], body).into_response()
}

/// A server-streaming method answering `google.api.HttpBody` chunks, sent as one HTTP body:
/// the first chunk decides the status (an error before it is a problem document) and the
/// content type; the rest flow through as they come, in constant memory.
async fn stream_http_body(
    mut grpc: tonic::client::Grpc<Channel>,
    upstream_request: tonic::Request<bytes::Bytes>,
    route: &Route,
) -> Response {
    if !route.returns_http_body() {
        return problem_response(&Problem::from(&ApiError::internal(format!(
            "{} streams messages that are not bodies; call it over gRPC",
            route.grpc_path
        ))));
    }
    let opened = async {
        grpc.ready()
            .await
            .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        let path = PathAndQuery::from_str(&route.grpc_path)
            .map_err(|e| tonic::Status::internal(e.to_string()))?;
        let mut stream = grpc
            .server_streaming(upstream_request, path, RawCodec)
            .await?
            .into_inner();
        let first = stream.message().await?;
        Ok::<_, tonic::Status>((first, stream))
    }
    .await;
    let (first, stream) = match opened {
        Ok(opened) => opened,
        Err(status) => return problem_response(&upstream_problem(&route.service, &status)),
    };
    let decode = |raw: bytes::Bytes| {
        HttpBody::decode(raw)
            .map_err(|e| std::io::Error::other(format!("a chunk does not decode: {e}")))
    };
    let first = match first.map(decode).transpose() {
        Ok(first) => first.unwrap_or_default(),
        Err(err) => return problem_response(&Problem::from(&ApiError::internal(err))),
    };
    let service = route.service.clone();
    let rest = futures::stream::unfold(stream, move |mut stream| {
        let service = service.clone();
        async move {
            match stream.message().await {
                Ok(Some(raw)) => Some((decode(raw).map(|b| bytes::Bytes::from(b.data)), stream)),
                Ok(None) => None,
                Err(status) => {
                    // The status line is gone; the client sees the body end early.
                    tracing::warn!(%service, code = ?status.code(), message = status.message(), "stream broke off");
                    Some((
                        Err(std::io::Error::other(status.message().to_string())),
                        stream,
                    ))
                }
            }
        }
    });
    let chunks = futures::StreamExt::chain(
        futures::stream::once(
            async move { Ok::<_, std::io::Error>(bytes::Bytes::from(first.data)) },
        ),
        rest,
    );
    http_body_response(&first.content_type, Body::from_stream(chunks))
}

/// The problem document for an upstream failure. Transport errors carry library text that
/// helps nobody outside; they become a plain "unavailable" naming the service.
fn upstream_problem(service: &str, status: &tonic::Status) -> Problem {
    match status.code() {
        tonic::Code::Unavailable
        | tonic::Code::Unknown
        | tonic::Code::DeadlineExceeded
        | tonic::Code::Cancelled => {
            tracing::warn!(%service, code = ?status.code(), message = status.message(), "upstream failed");
            Problem::new(
                ErrorKind::Unavailable,
                format!("the {service} service is unavailable; retry later"),
                vec![],
            )
        }
        _ => Problem::from_status(status),
    }
}

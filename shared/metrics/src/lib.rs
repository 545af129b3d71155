//! Prometheus metrics of an NSK process, served as text at `GET /metrics` on their own port
//! (`NSK_METRICS_ADDR`), never on the public one.
//!
//! One registry per process ([`metrics`]); the series, all prefixed `nsk_`:
//! - `nsk_requests_total{method,code}` and `nsk_request_duration_seconds{method}`: every gRPC
//!   call a service answers ([`GrpcMetricsLayer`]) and every HTTP request the gateway answers
//!   (`method` is then the route, e.g. `GET /v1/verify/{serial}`; `code` the HTTP status);
//! - `nsk_outbox_backlog` and `nsk_outbox_oldest_age_seconds`: events waiting to be published;
//!   `nsk_events_published_total`;
//! - `nsk_events_consumed_total{group,outcome}`, `nsk_dead_letters_total{group}` and
//!   `nsk_consumer_lag{group,topic,partition}` (messages behind the partition's end),
//!   `nsk_consumer_rejoins_total{group}` (a member that held nothing while its group stood
//!   still joined again);
//! - `nsk_db_pool_connections{state}` (`idle`, `in_use`) and `nsk_db_pool_max`;
//! - `nsk_job_runs_total{job,outcome}`: scheduled jobs (expiry sweeps and the like).

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

/// One series of [`Metrics::call`], held: recording a call is two atomic updates.
#[derive(Clone, Debug)]
pub struct CallSeries {
    count: Counter,
    seconds: Histogram,
}

impl CallSeries {
    /// One call, begun at `started`, answered now.
    pub fn record(&self, started: Instant) {
        self.count.inc();
        self.seconds.observe(started.elapsed().as_secs_f64());
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub method: String,
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabels {
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ConsumedLabels {
    pub group: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GroupLabels {
    pub group: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PartitionLabels {
    pub group: String,
    pub topic: String,
    pub partition: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub job: String,
    pub outcome: String,
}

type Latency = Family<MethodLabels, Histogram, fn() -> Histogram>;

/// The process's series; see the crate's documentation.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<CallLabels, Counter>,
    pub request_seconds: Latency,
    pub outbox_backlog: Gauge,
    pub outbox_oldest_seconds: Gauge<f64, AtomicU64>,
    pub events_published: Counter,
    pub events_consumed: Family<ConsumedLabels, Counter>,
    pub dead_letters: Family<GroupLabels, Counter>,
    pub consumer_lag: Family<PartitionLabels, Gauge>,
    pub consumer_rejoins: Family<GroupLabels, Counter>,
    pub pool_connections: Family<PoolLabels, Gauge>,
    pub pool_max: Gauge,
    pub job_runs: Family<JobLabels, Counter>,
}

/// From 0.5 ms to about 16 s, doubling.
fn latency_buckets() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0005, 2.0, 16,
    ))
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("nsk");
        let requests = Family::<CallLabels, Counter>::default();
        registry.register(
            "requests",
            "Calls answered, by method (gRPC method or HTTP route) and status code",
            requests.clone(),
        );
        let request_seconds: Latency = Family::new_with_constructor(latency_buckets);
        registry.register(
            "request_duration_seconds",
            "Time from a call's arrival to its answer's headers",
            request_seconds.clone(),
        );
        let outbox_backlog = Gauge::default();
        registry.register(
            "outbox_backlog",
            "Events in the outbox not yet published",
            outbox_backlog.clone(),
        );
        let outbox_oldest_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "outbox_oldest_age_seconds",
            "Age of the oldest event waiting in the outbox (0 when none waits)",
            outbox_oldest_seconds.clone(),
        );
        let events_published = Counter::default();
        registry.register(
            "events_published",
            "Events the relay published and marked sent",
            events_published.clone(),
        );
        let events_consumed = Family::<ConsumedLabels, Counter>::default();
        registry.register(
            "events_consumed",
            "Events a consumer group handled, by outcome (applied, duplicate, passed_over, dead_lettered)",
            events_consumed.clone(),
        );
        let dead_letters = Family::<GroupLabels, Counter>::default();
        registry.register(
            "dead_letters",
            "Events sent to the dead-letter topic",
            dead_letters.clone(),
        );
        let consumer_lag = Family::<PartitionLabels, Gauge>::default();
        registry.register(
            "consumer_lag",
            "Messages between a group's committed offset and the partition's end",
            consumer_lag.clone(),
        );
        let consumer_rejoins = Family::<GroupLabels, Counter>::default();
        registry.register(
            "consumer_rejoins",
            "Times a consumer holding no partition, while events waited and its group's offsets stood still, joined its group again",
            consumer_rejoins.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections of the pool, idle or in use",
            pool_connections.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max",
            "The most connections the pool opens",
            pool_max.clone(),
        );
        let job_runs = Family::<JobLabels, Counter>::default();
        registry.register(
            "job_runs",
            "Runs of scheduled jobs, by job and outcome (ok, failed)",
            job_runs.clone(),
        );
        Self {
            registry,
            requests,
            request_seconds,
            outbox_backlog,
            outbox_oldest_seconds,
            events_published,
            events_consumed,
            dead_letters,
            consumer_lag,
            consumer_rejoins,
            pool_connections,
            pool_max,
            job_runs,
        }
    }

    /// One answered call.
    pub fn call(&self, method: &str, code: &str, started: Instant) {
        self.requests
            .get_or_create(&CallLabels {
                method: method.to_string(),
                code: code.to_string(),
            })
            .inc();
        self.request_seconds
            .get_or_create(&MethodLabels {
                method: method.to_string(),
            })
            .observe(started.elapsed().as_secs_f64());
    }

    /// The series of calls to `method` answered with `code`, found once: for a path taken so
    /// often that finding its series on every call would show in its cost.
    pub fn call_series(&self, method: &str, code: &str) -> CallSeries {
        CallSeries {
            count: self
                .requests
                .get_or_create(&CallLabels {
                    method: method.to_string(),
                    code: code.to_string(),
                })
                .clone(),
            seconds: self
                .request_seconds
                .get_or_create(&MethodLabels {
                    method: method.to_string(),
                })
                .clone(),
        }
    }

    /// `count` events handled by `group` with `outcome`.
    pub fn consumed(&self, group: &str, outcome: &str, count: u64) {
        self.events_consumed
            .get_or_create(&ConsumedLabels {
                group: group.to_string(),
                outcome: outcome.to_string(),
            })
            .inc_by(count);
    }

    /// One run of a scheduled job.
    pub fn job(&self, job: &str, ok: bool) {
        self.job_runs
            .get_or_create(&JobLabels {
                job: job.to_string(),
                outcome: if ok { "ok" } else { "failed" }.to_string(),
            })
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Serves `GET /metrics` on `addr` until `shutdown`; returns the address bound.
pub async fn serve(
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen for metrics on {addr}: {e}; is another process using it?"),
        )
    })?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(|| async {
            (
                [(
                    http::header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )],
                metrics().render(),
            )
        }),
    );
    tracing::info!(addr = %bound, "serving metrics");
    let task = tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .await
        {
            tracing::warn!(error = %err, "the metrics endpoint stopped");
        }
    });
    Ok((bound, task))
}

/// Counts and times every gRPC call a server answers, by method and status.
#[derive(Clone, Copy, Default)]
pub struct GrpcMetricsLayer;

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics { inner }
    }
}

#[derive(Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for GrpcMetrics<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let started = Instant::now();
        // The path is the method (`/nsk.documents.v1.DocumentRegistry/IssueDocument`); one
        // no server knows is counted under one name, so a caller cannot grow the series.
        let path = request.uri().path();
        let method = if path.starts_with("/nsk.") || path.starts_with("/grpc.") {
            path.to_string()
        } else {
            "unknown".to_string()
        };
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await;
            // An error answered at once carries its status in the headers (trailers-only); a
            // reply that got as far as a body reports OK here, its trailers not awaited.
            let code = match &response {
                Ok(r) => r
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("0")
                    .to_string(),
                Err(_) => "transport".to_string(),
            };
            metrics().call(&method, &code, started);
            response
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_series_render() {
        let m = metrics();
        m.call(
            "/nsk.documents.v1.DocumentRegistry/Verify",
            "0",
            Instant::now(),
        );
        m.consumed("nsk-documents", "applied", 1);
        m.job("voucher-expiry", true);
        let text = m.render();
        for series in [
            "nsk_requests_total{method=\"/nsk.documents.v1.DocumentRegistry/Verify\",code=\"0\"} 1",
            "nsk_request_duration_seconds_count{method=\"/nsk.documents.v1.DocumentRegistry/Verify\"} 1",
            "nsk_events_consumed_total{group=\"nsk-documents\",outcome=\"applied\"} 1",
            "nsk_job_runs_total{job=\"voucher-expiry\",outcome=\"ok\"} 1",
            "# TYPE nsk_outbox_backlog gauge",
        ] {
            assert!(text.contains(series), "{series} missing from:\n{text}");
        }
    }
}

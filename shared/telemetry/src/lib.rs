//! Telemetry of every NSK process.
//!
//! [`init`] installs `tracing` to stdout (pretty or JSON) and an OpenTelemetry layer, so that
//! every span has a W3C trace id. When `OTEL_EXPORTER_OTLP_ENDPOINT` is set, spans are also
//! exported over OTLP/gRPC; the returned [`TelemetryGuard`] flushes them on drop.
//!
//! Trace context crosses process boundaries as `traceparent`/`tracestate`: [`current_context`]
//! reads it from the current span (to put on a gRPC call or a Kafka message), and
//! [`set_parent`] makes a span the child of a context that arrived with a request or an event.

use std::collections::HashMap;

use nsk_config::LogFormat;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Flushes exported spans when dropped; keep it alive for the life of the process.
pub struct TelemetryGuard {
    provider: SdkTracerProvider,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        // Nothing useful can be done with a flush failure at exit.
        let _ = self.provider.shutdown();
    }
}

/// Installs the global subscriber. `RUST_LOG` filters (default `info`).
pub fn init(service: &str, format: LogFormat) -> Result<TelemetryGuard, String> {
    let mut builder = SdkTracerProvider::builder().with_resource(
        opentelemetry_sdk::Resource::builder()
            .with_service_name(format!("nsk-{service}"))
            .build(),
    );
    let exporting =
        std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").is_ok_and(|v| !v.trim().is_empty());
    if exporting {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()
            .map_err(|e| {
                format!("cannot set up the OTLP exporter (OTEL_EXPORTER_OTLP_ENDPOINT): {e}")
            })?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    let tracer = provider.tracer(format!("nsk-{service}"));
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,h2=warn,tower=warn,hyper=warn,rdkafka=warn,sqlx=warn")
    });
    let otel = tracing_opentelemetry::layer().with_tracer(tracer);
    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let result = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(false),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(tracing_subscriber::fmt::layer().compact())
            .try_init(),
    };
    // A second init in one process (tests) keeps the first subscriber; that is fine.
    let _ = result;
    if exporting {
        tracing::info!("exporting traces over OTLP");
    }
    Ok(TelemetryGuard { provider })
}

/// The W3C trace context of the current span: `traceparent` and, if any, `tracestate`.
pub fn current_context() -> HashMap<String, String> {
    let mut carrier = HashMap::new();
    let cx = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&cx, &mut MapCarrier(&mut carrier));
    carrier
}

/// Makes `span` a child of the trace context found by `get` (a header or metadata lookup).
pub fn set_parent<'a>(span: &tracing::Span, get: impl Fn(&str) -> Option<&'a str>) {
    if let Some(cx) = extract(get) {
        let _ = span.set_parent(cx);
    }
}

/// Links `span` to the trace context `get` finds (`traceparent`, `tracestate`): for work done
/// for several traces at once, such as a batch of events, each with the trace it came from.
pub fn add_link<'a>(span: &tracing::Span, get: impl Fn(&str) -> Option<&'a str>) {
    use opentelemetry::trace::TraceContextExt;
    if let Some(cx) = extract(get) {
        let linked = cx.span().span_context().clone();
        if linked.is_valid() {
            span.add_link(linked);
        }
    }
}

/// The trace context in `traceparent` and `tracestate` as `get` finds them; `None` when
/// neither is there.
fn extract<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Option<opentelemetry::Context> {
    let mut carrier = HashMap::new();
    for key in ["traceparent", "tracestate"] {
        if let Some(value) = get(key) {
            carrier.insert(key.to_string(), value.to_string());
        }
    }
    (!carrier.is_empty()).then(|| TraceContextPropagator::new().extract(&MapExtractor(&carrier)))
}

/// Makes `span` a child of the trace context in HTTP headers or gRPC metadata.
pub fn set_parent_from_headers(span: &tracing::Span, headers: &http::HeaderMap) {
    set_parent(span, |key| headers.get(key).and_then(|v| v.to_str().ok()));
}

/// The trace id of the current span, for log lines and error reports.
pub fn current_trace_id() -> Option<String> {
    use opentelemetry::trace::TraceContextExt;
    let cx = tracing::Span::current().context();
    let span_cx = cx.span().span_context().clone();
    span_cx.is_valid().then(|| span_cx.trace_id().to_string())
}

struct MapCarrier<'a>(&'a mut HashMap<String, String>);

impl Injector for MapCarrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
}

struct MapExtractor<'a>(&'a HashMap<String, String>);

impl Extractor for MapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_carried_in_headers_becomes_the_parent_of_a_span() {
        let _guard = init("test", LogFormat::Pretty).unwrap();
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let span = tracing::info_span!("handle");
        set_parent(&span, |k| (k == "traceparent").then_some(incoming));
        let _entered = span.enter();
        let outgoing = current_context();
        let traceparent = outgoing
            .get("traceparent")
            .expect("a traceparent is injected");
        assert!(
            traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{traceparent}"
        );
        assert_eq!(
            current_trace_id().as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }
}

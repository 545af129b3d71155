//! What the gateway's metrics count a request under (`nsk_requests_total{method,code}`).

use crate::routes::{self, Lookup, Route};

/// Which way a request was answered.
#[derive(Clone, Copy)]
pub enum Served {
    Grpc,
    Page,
    Memory,
    Rest,
}

/// What a check answered from memory is counted under.
pub const MEMORY: &str = "GET /v1/verify/{serial} (memory)";

/// What a request is counted under in the metrics: the gRPC method its route calls, `page`,
/// or `unrouted` — never the path as sent, so that callers cannot grow the series.
pub fn metric_label(routes: &[Route], served: Served, method: &http::Method, path: &str) -> String {
    match served {
        Served::Page => "page".to_string(),
        Served::Memory => MEMORY.to_string(),
        Served::Grpc if routes.iter().any(|r| r.grpc_path == path) => format!("gRPC {path}"),
        Served::Grpc => "gRPC unrouted".to_string(),
        Served::Rest => match routes::find(routes, method, path) {
            Lookup::Found(route, _) => format!("{method} {}", route.grpc_path),
            _ => "unrouted".to_string(),
        },
    }
}

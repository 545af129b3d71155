//! Native gRPC through the gateway: the caller checked as for REST, then the call passed
//! through untouched to the service that owns the package.

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::HeaderValue;
use tower::Service;

use crate::callers::{credentials, over_limit, Refusal};
use crate::{keys, routes, Gateway, AUDIT_AREA};

/// Native gRPC: verify the token, then pass the call through untouched to the service that owns
/// the package (`/nsk.<service>.v1.X/Method`). Reflection is answered by any service, since all
/// of them serve the whole contract.
pub(crate) async fn grpc_proxy(gw: &Gateway, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let package_service = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    let package = package_service
        .rsplit_once('.')
        .map(|(p, _)| p)
        .unwrap_or_default();
    let target = if package.starts_with("grpc.reflection.") {
        Some("professions")
    } else if routes::service_of_package(package) == Some(AUDIT_AREA) {
        // Every service keeps its own audit trail: the caller names whose.
        request
            .headers()
            .get("x-nsk-service")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| gw.channels.get_key_value(s))
            .map(|(name, _)| name.as_str())
    } else {
        routes::service_of_package(package)
    };
    let Some(channel) = target.and_then(|s| gw.channels.get(s)) else {
        return status_response(tonic::Status::unimplemented(format!(
            "no service {package_service} behind this gateway"
        )));
    };
    let (caller, forward) = match credentials(gw, request.headers(), request.extensions()).await {
        Ok(found) => found,
        Err(Refusal::Problem(err)) => return status_response(tonic::Status::from(err)),
        Err(Refusal::TooMany(retry_after)) => {
            let mut status = tonic::Status::resource_exhausted(format!(
                "too many requests from this address; retry in {retry_after} s"
            ));
            status.metadata_mut().insert(
                "retry-after",
                tonic::metadata::MetadataValue::from(retry_after),
            );
            return status_response(status);
        }
    };
    if let Some(retry_after) = over_limit(gw, &caller, request.extensions()) {
        let mut status = tonic::Status::resource_exhausted(format!(
            "too many requests from this caller; retry in {retry_after} s"
        ));
        status.metadata_mut().insert(
            "retry-after",
            tonic::metadata::MetadataValue::from(retry_after),
        );
        return status_response(status);
    }
    // Reflection is public; every method of the contract is as the access table says.
    if !package.starts_with("grpc.reflection.") {
        if let Err(err) = gw.access.check(&path, &caller) {
            return status_response(tonic::Status::from(err));
        }
    }
    let (mut parts, body) = request.into_parts();
    // The services get the gateway's token for a key, never the key.
    parts.headers.remove(keys::HEADER);
    if let Some(token) = forward {
        parts.headers.insert(http::header::AUTHORIZATION, token);
    }
    for (key, value) in nsk_telemetry::current_context() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            parts.headers.insert(name, value);
        }
    }
    let upstream = http::Request::from_parts(parts, tonic::body::Body::new(body));
    let mut channel = channel.clone();
    let forwarded = async {
        std::future::poll_fn(|cx| channel.poll_ready(cx)).await?;
        channel.call(upstream).await
    }
    .await;
    match forwarded {
        Ok(response) => response.map(Body::new),
        Err(err) => {
            tracing::warn!(error = %err, %path, "upstream unreachable");
            status_response(tonic::Status::unavailable(format!(
                "the {} service is unavailable; retry later",
                target.unwrap_or("upstream")
            )))
        }
    }
}

pub(crate) fn status_response(status: tonic::Status) -> Response {
    status.into_http::<Body>()
}

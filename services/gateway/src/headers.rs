//! The headers on every answer: security (no sniffing, no framing, no referrer, no active
//! content, HSTS over TLS) and CORS for public reads.

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::HeaderValue;

/// Headers on every answer: no sniffing, no framing, no referrer, no active content; HSTS when
/// the request came over TLS (`X-Forwarded-Proto: https` from the TLS terminator). CORS: public
/// reads (`GET`, without credentials) from any origin, nothing else — a preflight allows `GET`
/// only and no `Authorization` header, so a page elsewhere cannot act with a user's token.
pub async fn harden(request: Request, next: axum::middleware::Next) -> Response {
    let https = request.extensions().get::<crate::tls::Secure>().is_some()
        || request
            .headers()
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let method = request.method().clone();
    let mut response = if method == http::Method::OPTIONS {
        let mut preflight = http::StatusCode::NO_CONTENT.into_response();
        let h = preflight.headers_mut();
        h.insert(
            http::header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET"),
        );
        h.insert(
            http::header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
        h.insert(
            http::header::ALLOW,
            HeaderValue::from_static("GET, OPTIONS"),
        );
        preflight
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    h.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        http::header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    );
    h.insert(
        http::header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(http::header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ));
    if https {
        h.insert(
            http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if method == http::Method::GET || method == http::Method::OPTIONS {
        h.insert(
            http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    response
}

//! Who is calling, and how much: a bearer token, a center's API key traded for the gateway's
//! token, or nobody; and the buckets of the abuse limits (per token subject, per address).

use std::net::SocketAddr;

use axum::response::Response;
use http::HeaderValue;
use nsk_errors::{ApiError, ErrorKind, Problem};
use nsk_identity::Caller;

use crate::transcode::problem_response;
use crate::{keys, limits, Gateway};

/// Why a request's credentials let it go no further.
pub(crate) enum Refusal {
    Problem(ApiError),
    /// Too many unknown keys from one address: seconds to wait.
    TooMany(u64),
}

/// Who the caller is — a bearer token, a center's API key, or nobody — and, for a key, the
/// `Authorization` value to forward in its place.
pub(crate) async fn credentials(
    gw: &Gateway,
    headers: &http::HeaderMap,
    extensions: &http::Extensions,
) -> Result<(Caller, Option<HeaderValue>), Refusal> {
    let Some(key) = headers.get(keys::HEADER) else {
        // A client certificate of a mutual-TLS connection speaks for its center unless the
        // request carries a token (a person at the center's machine acts as themselves).
        if let Some(certificate) = extensions.get::<crate::tls::ClientCertificate>() {
            if !headers.contains_key(http::header::AUTHORIZATION) {
                return trade(gw, keys::Presented::Certificate(&certificate.0), extensions).await;
            }
        }
        let caller = gw
            .verifier
            .caller_from_http(headers)
            .map_err(Refusal::Problem)?;
        return Ok((caller, None));
    };
    if headers.contains_key(http::header::AUTHORIZATION) {
        return Err(Refusal::Problem(ApiError::unauthenticated(
            "send one credential: an API key in X-API-Key or a bearer token, not both",
        )));
    }
    let key = key.to_str().map_err(|_| {
        Refusal::Problem(ApiError::unauthenticated(
            "not an API key of this platform (nsk_<prefix>_<secret>)",
        ))
    })?;
    // The form first: nothing else is worth asking accreditation about.
    if !(key.len() == 61 && key.starts_with("nsk_")) {
        return Err(Refusal::Problem(ApiError::unauthenticated(
            "not an API key of this platform (nsk_<prefix>_<secret>, 61 characters)",
        )));
    }
    trade(gw, keys::Presented::Key(key), extensions).await
}

/// The center's identity for a presented credential, and the token to forward in its place.
async fn trade(
    gw: &Gateway,
    presented: keys::Presented<'_>,
    extensions: &http::Extensions,
) -> Result<(Caller, Option<HeaderValue>), Refusal> {
    let (identity, token) = match gw.keys.known(presented) {
        Some(known) => known,
        None => {
            // A credential not known yet costs a check (a hash, for a key): such checks count
            // against the address.
            if let Some(retry_after) = over_limit(gw, &Caller::Anonymous, extensions) {
                return Err(Refusal::TooMany(retry_after));
            }
            gw.keys
                .trade(&gw.verifier, presented)
                .await
                .map_err(Refusal::Problem)?
        }
    };
    let forward = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| Refusal::Problem(ApiError::internal(e)))?;
    Ok((Caller::Authenticated(identity), Some(forward)))
}

/// The caller's bucket: its token's subject, or its address without a token. `Err(seconds)`
/// when it is empty.
pub(crate) fn over_limit(
    gw: &Gateway,
    caller: &Caller,
    request_extensions: &http::Extensions,
) -> Option<u64> {
    let now = std::time::Instant::now();
    let taken = match caller {
        Caller::Authenticated(identity) => gw.per_caller.take(identity.subject.as_str(), now),
        Caller::Anonymous => {
            let addr = request_extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip());
            gw.per_ip.take(&addr, now)
        }
    };
    taken.err().map(limits::retry_after_secs)
}

pub(crate) fn too_many(retry_after: u64) -> Response {
    let err = ApiError::new(
        ErrorKind::RateLimited,
        format!("too many requests from this caller; retry in {retry_after} s"),
    );
    let mut response = problem_response(&Problem::from(&err));
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}

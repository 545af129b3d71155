//! One connection, once accepted (and, over the gateway's own TLS, after its handshake): the
//! service that tells each request who is on the other end, and serving it to the end or to a
//! graceful shutdown.

use std::net::SocketAddr;

use axum::body::Body;
use axum::response::Response;
use axum::Router;
use tower::Service;

use crate::tls;

/// The service of one connection: each request learns the peer's address and, over the
/// gateway's own TLS (`tls` is `Some`), that it is secure and the client certificate presented.
pub(crate) fn service(
    router: Router,
    peer: SocketAddr,
    tls: Option<Option<tls::ClientCertificate>>,
) -> impl hyper::service::Service<
    http::Request<hyper::body::Incoming>,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl std::future::Future<Output = Result<Response, std::convert::Infallible>> + Send,
> + Clone {
    hyper::service::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
        let extensions = request.extensions_mut();
        extensions.insert(axum::extract::ConnectInfo(peer));
        if let Some(presented) = &tls {
            extensions.insert(tls::Secure);
            if let Some(certificate) = presented {
                extensions.insert(certificate.clone());
            }
        }
        let mut router = router.clone();
        async move { router.call(request.map(Body::new)).await }
    })
}

/// Serves one connection until it ends, or until shutdown lets its requests in flight finish.
pub(crate) async fn serve<I, S>(
    builder: &hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    io: I,
    service: S,
    shutdown: &nsk_runtime::CancellationToken,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::Service<
            http::Request<hyper::body::Incoming>,
            Response = Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    tokio::select! {
        served = connection.as_mut() => served,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    }
}

//! Professional standards and their approval workflow (Law Art. 1.14, 5.5, 9, 19, 20) (`nsk-standards`).
//!
//! - `domain/` — the law: the approval workflow of Art. 5.5 as a state machine, the content of
//!   a standard and its rules, versions, diffs; no I/O;
//! - `cases` — one function per command and read: one transaction (request key, lock, load,
//!   the domain decides, store, events); what handlers call;
//! - `grpc` — the `StandardsService` handlers: authorize, convert, call a case, convert back;
//! - `convert` — proto <-> domain, a leaf that handlers, cases and events import;
//! - `events` — the one `Event` enum it publishes through the outbox, at the standard's
//!   revision;
//! - `store` — SQL only, checked at compile time against `.sqlx/`, typed rows: versions, their
//!   steps, the list;
//! - `migrations/` — its own database, created and migrated at start.

pub mod cases;
pub mod convert;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod store;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::standards::v1::standards_service_server::StandardsServiceServer;
use nsk_runtime::ServiceApp;

pub const SERVICE: &str = "standards";

pub fn migrator() -> sqlx::migrate::Migrator {
    nsk_db::migrator!()
}

/// Connects, migrates, binds and wires the service; [`ServiceApp::run`] serves it.
pub async fn build(config: ServiceConfig) -> anyhow::Result<ServiceApp> {
    let base = nsk_runtime::prepare(&config, migrator()).await?;
    let audit = nsk_runtime::audit::AuditTrailApi::server(
        SERVICE,
        base.pool.clone(),
        base.verifier.clone(),
    );
    let api = grpc::StandardsApi::new(base.pool, base.outbox, base.verifier);
    let routes = tonic::service::Routes::new(StandardsServiceServer::new(api)).add_service(audit);
    Ok(ServiceApp::new(
        base.host,
        routes,
        &[
            "nsk.standards.v1.StandardsService",
            "nsk.audit.v1.AuditTrail",
        ],
    ))
}

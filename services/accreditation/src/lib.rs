//! Accreditation of recognition centers (Law Art. 17, 23-26) (`nsk-accreditation`).
//!
//! - `grpc` — the `AccreditationService` service (UNIMPLEMENTED until its issue lands);
//! - `migrations/` — its own database, created and migrated at start.

pub mod domain;
pub mod grpc;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::accreditation::v1::accreditation_service_server::AccreditationServiceServer;
use nsk_runtime::ServiceApp;

pub const SERVICE: &str = "accreditation";

pub fn migrator() -> sqlx::migrate::Migrator {
    nsk_db::migrator!()
}

/// Connects, migrates, binds and wires the service; [`ServiceApp::run`] serves it.
pub async fn build(config: ServiceConfig) -> anyhow::Result<ServiceApp> {
    let base = nsk_runtime::prepare(&config, migrator()).await?;
    let routes = tonic::service::Routes::new(AccreditationServiceServer::new(
        grpc::AccreditationApi::new(base.verifier),
    ));
    Ok(ServiceApp::new(
        base.host,
        routes,
        &["nsk.accreditation.v1.AccreditationService"],
    ))
}

//! One-time vouchers for registered unemployed persons (Law Art. 1.11, 29) (`nsk-vouchers`).
//!
//! - `grpc` — the `VoucherService` service (UNIMPLEMENTED until its issue lands);
//! - `migrations/` — its own database, created and migrated at start.

pub mod grpc;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::vouchers::v1::voucher_service_server::VoucherServiceServer;
use nsk_runtime::ServiceApp;

pub const SERVICE: &str = "vouchers";

pub fn migrator() -> sqlx::migrate::Migrator {
    nsk_db::migrator!()
}

/// Connects, migrates, binds and wires the service; [`ServiceApp::run`] serves it.
pub async fn build(config: ServiceConfig) -> anyhow::Result<ServiceApp> {
    let base = nsk_runtime::prepare(&config, migrator()).await?;
    let routes = tonic::service::Routes::new(VoucherServiceServer::new(grpc::VouchersApi::new(
        base.verifier,
    )));
    Ok(ServiceApp::new(
        base.host,
        routes,
        &["nsk.vouchers.v1.VoucherService"],
    ))
}

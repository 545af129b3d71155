//! One-time vouchers for registered unemployed persons (Law Art. 1.11, 29) (`nsk-vouchers`).
//!
//! - `domain/` — the law of vouchers (Art. 1.11, 29): terms by year, the voucher's life, the
//!   reimbursement claim; no I/O;
//! - `grpc` — the `VoucherService` service (UNIMPLEMENTED until its store and API land);
//! - `migrations/` — its own database, created and migrated at start.

pub mod domain;
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

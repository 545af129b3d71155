//! One-time vouchers for registered unemployed persons (Law Art. 1.11, 29) (`nsk-vouchers`).
//!
//! - `domain/` — the law of vouchers: terms by year, the voucher's life, the reimbursement
//!   claim; no I/O;
//! - `cases` — one transaction per command: set terms, issue, extend, cancel;
//! - `grpc` — the `VoucherService` handlers: who may call, a case, a conversion;
//! - `convert` — contract <-> domain, shared by handlers, cases and events;
//! - `store` — SQL: terms with committed budgets, vouchers, audited reads;
//! - `migrations/` — its own database, created and migrated at start.

pub mod cases;
pub mod convert;
pub mod domain;
pub mod grpc;
pub mod store;

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
    let api = grpc::VouchersApi::new(base.pool, base.outbox, base.verifier);
    let routes = tonic::service::Routes::new(VoucherServiceServer::new(api));
    Ok(ServiceApp::new(
        base.host,
        routes,
        &["nsk.vouchers.v1.VoucherService"],
    ))
}

//! One-time vouchers for registered unemployed persons (Law Art. 1.11, 29) (`nsk-vouchers`).
//!
//! - `grpc` — the `VoucherService` service (UNIMPLEMENTED until its issue lands);
//! - `migrations/` — its own database, created and migrated at start.

pub mod grpc;

use std::net::SocketAddr;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::vouchers::v1::voucher_service_server::VoucherServiceServer;
use nsk_runtime::{CancellationToken, Host};

pub const SERVICE: &str = "vouchers";

pub fn migrator() -> sqlx::migrate::Migrator {
    nsk_db::migrator!()
}

pub struct Application {
    host: Host,
    routes: tonic::service::Routes,
}

impl Application {
    pub async fn build(config: ServiceConfig) -> anyhow::Result<Self> {
        let base = nsk_runtime::prepare(&config, migrator()).await?;
        let routes = tonic::service::Routes::new(VoucherServiceServer::new(
            grpc::VouchersApi::new(base.verifier),
        ));
        Ok(Self {
            host: base.host,
            routes,
        })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.host.addr()
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.host.shutdown_token()
    }

    pub async fn run(self) -> anyhow::Result<()> {
        self.host
            .serve(self.routes, &["nsk.vouchers.v1.VoucherService"])
            .await?;
        Ok(())
    }
}

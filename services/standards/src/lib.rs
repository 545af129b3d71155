//! Professional standards and their approval workflow (Law Art. 1.14, 5.5, 9, 19, 20) (`nsk-standards`).
//!
//! - `grpc` — the `StandardsService` service (UNIMPLEMENTED until its issue lands);
//! - `migrations/` — its own database, created and migrated at start.

pub mod grpc;

use std::net::SocketAddr;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::standards::v1::standards_service_server::StandardsServiceServer;
use nsk_runtime::{CancellationToken, Host};

pub const SERVICE: &str = "standards";

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
        let routes = tonic::service::Routes::new(StandardsServiceServer::new(
            grpc::StandardsApi::new(base.verifier),
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
            .serve(self.routes, &["nsk.standards.v1.StandardsService"])
            .await?;
        Ok(())
    }
}

//! Accreditation of recognition centers (Law Art. 17, 23-26) (`nsk-accreditation`).
//!
//! - `grpc` — the `AccreditationService` service (UNIMPLEMENTED until its issue lands);
//! - `migrations/` — its own database, created and migrated at start.

pub mod grpc;

use std::net::SocketAddr;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::accreditation::v1::accreditation_service_server::AccreditationServiceServer;
use nsk_runtime::{CancellationToken, Host};

pub const SERVICE: &str = "accreditation";

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
        let routes = tonic::service::Routes::new(AccreditationServiceServer::new(
            grpc::AccreditationApi::new(base.verifier),
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
            .serve(self.routes, &["nsk.accreditation.v1.AccreditationService"])
            .await?;
        Ok(())
    }
}

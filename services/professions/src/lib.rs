//! The register of professions service (`nsk-professions`).
//!
//! - `domain/` — the entry and its rules (Law Art. 5.6, 20, 21.5), no I/O;
//! - `store` — SQL: entries, their history, applied request ids;
//! - `grpc` — the `ProfessionRegistry` service: proto <-> domain, who may do what;
//! - `events` — the events it publishes through the outbox.

pub mod domain;
pub mod events;
pub mod grpc;
pub mod store;

use std::net::SocketAddr;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::professions::v1::profession_registry_server::ProfessionRegistryServer;
use nsk_runtime::{CancellationToken, Host};

pub const SERVICE: &str = "professions";

pub fn migrator() -> sqlx::migrate::Migrator {
    nsk_db::migrator!()
}

/// The service, bound and ready to serve.
pub struct Application {
    host: Host,
    routes: tonic::service::Routes,
}

impl Application {
    pub async fn build(config: ServiceConfig) -> anyhow::Result<Self> {
        let base = nsk_runtime::prepare(&config, migrator()).await?;
        let api = grpc::ProfessionsApi::new(base.pool, base.outbox, base.verifier);
        let host = base.host;
        let routes = tonic::service::Routes::new(ProfessionRegistryServer::new(api));
        Ok(Self { host, routes })
    }

    pub fn grpc_addr(&self) -> SocketAddr {
        self.host.addr()
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.host.shutdown_token()
    }

    pub async fn run(self) -> anyhow::Result<()> {
        self.host
            .serve(self.routes, &["nsk.professions.v1.ProfessionRegistry"])
            .await?;
        Ok(())
    }
}

//! The register of professions service (`nsk-professions`).
//!
//! - `domain/` — the law: the entry and its rules (Law Art. 5.6, 9, 20, 21.5), no I/O;
//! - `cases` — one function per command and read: one transaction (request key, lock, the
//!   version the caller saw, the domain decides, history row, event); what handlers call;
//! - `grpc` — the `ProfessionRegistry` handlers: authorize, convert, call a case, convert back;
//! - `convert` — proto <-> domain, a leaf that handlers, cases and events import;
//! - `events` — the events it publishes through the outbox, and the standards it hears;
//! - `store` — SQL only, checked at compile time against `.sqlx/`, typed rows: entries, their
//!   history, the standards heard;
//! - `calendar` — the `WorkingCalendar` service: the authorized body loads and amends the
//!   working-day calendar by year, which every service follows.

pub mod calendar;
pub mod cases;
pub mod convert;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod store;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::professions::v1::profession_registry_server::ProfessionRegistryServer;
use nsk_proto::nsk::professions::v1::working_calendar_server::WorkingCalendarServer;
use nsk_runtime::ServiceApp;

pub const SERVICE: &str = "professions";

pub fn migrator() -> sqlx::migrate::Migrator {
    nsk_db::migrator!()
}

/// Connects, migrates, binds and wires the service; [`ServiceApp::run`] serves it.
pub async fn build(config: ServiceConfig) -> anyhow::Result<ServiceApp> {
    let base = nsk_runtime::prepare(&config, migrator()).await?;
    let mut host = base.host;
    let standards = nsk_events::Consumer::new(
        base.pool.clone(),
        &config.kafka,
        nsk_events::ConsumerSettings {
            group: config.consumer_group.clone(),
            topics: vec![config.kafka.topic_of("standards")],
            dead_letter_topic: config.kafka.dead_letter_topic_of(SERVICE),
            max_attempts: 10,
        },
        events::ApprovedStandards {
            outbox: base.outbox.clone(),
        },
    )?;
    host.spawn("standards-consumer", |shutdown| async move {
        standards.run(shutdown).await
    });
    let calendar = calendar::WorkingCalendarApi::new(
        base.pool.clone(),
        base.outbox.clone(),
        base.verifier.clone(),
        base.calendar,
    );
    let audit = nsk_runtime::audit::AuditTrailApi::server(
        SERVICE,
        base.pool.clone(),
        base.verifier.clone(),
    );
    let api = grpc::ProfessionsApi::new(base.pool, base.outbox, base.verifier);
    let routes = tonic::service::Routes::new(ProfessionRegistryServer::new(api))
        .add_service(WorkingCalendarServer::new(calendar))
        .add_service(audit);
    Ok(ServiceApp::new(
        host,
        routes,
        &[
            "nsk.professions.v1.ProfessionRegistry",
            "nsk.professions.v1.WorkingCalendar",
            "nsk.audit.v1.AuditTrail",
        ],
    ))
}

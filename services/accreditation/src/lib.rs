//! Accreditation of recognition centers (Law Art. 17, 23-26) (`nsk-accreditation`).
//!
//! - `domain/` — the law: stages of Art. 23.2, criteria of Art. 24, the certificate's
//!   lifecycle of Art. 25-26, working-day deadlines, centers' API keys; the aggregates
//!   (`Application`, `Certificate`, `ApiKey`) change only through their methods; no I/O;
//! - `cases/` — one function per command and read: one transaction (request key, lock, the
//!   domain decides, steps, deadlines, events); what handlers call;
//! - `grpc` — the `AccreditationService` and `CenterKeys` handlers: authorize, convert, call
//!   a case, convert back (the audit trail's are the runtime's, as in every service);
//! - `convert` — proto <-> domain and the parsers every command shares, a leaf;
//! - `store/` — SQL only, checked at compile time against `.sqlx/`, typed rows: centers,
//!   applications, certificates, steps, deadlines, findings, API keys;
//! - `events` — what it publishes, and what it hears: the register of professions and the
//!   registry of documents (what each center issued);
//! - `notices` — decisions delivered to centers via the platform (Art. 26.4);
//! - `conformity` — centers accredited under conformity-assessment law, entered by the
//!   authorized body (Art. 17.1);
//! - `monitoring` — each center's results per month (Art. 25.3);
//! - `expiry` — termination, and the job that expires certificates after their last day;
//! - `migrations/` — its own database, created and migrated at start.

pub mod cases;
pub mod conformity;
pub mod convert;
pub mod domain;
pub mod events;
pub mod expiry;
pub mod grpc;
pub mod monitoring;
pub mod notices;
pub mod store;

use std::time::Duration;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::accreditation::v1::accreditation_service_server::AccreditationServiceServer;
use nsk_proto::nsk::accreditation::v1::center_keys_server::CenterKeysServer;
use nsk_runtime::ServiceApp;

pub const SERVICE: &str = "accreditation";

/// How often the expiry job looks for certificates past their last day.
const EXPIRY_INTERVAL: Duration = Duration::from_secs(60);

pub fn migrator() -> sqlx::migrate::Migrator {
    nsk_db::migrator!()
}

/// Connects, migrates, binds and wires the service; [`ServiceApp::run`] serves it.
pub async fn build(config: ServiceConfig) -> anyhow::Result<ServiceApp> {
    let base = nsk_runtime::prepare(&config, migrator()).await?;
    let mut host = base.host;
    let inputs = nsk_events::Consumer::new(
        base.pool.clone(),
        &config.kafka,
        nsk_events::ConsumerSettings {
            group: config.consumer_group.clone(),
            topics: vec![
                config.kafka.topic_of("professions"),
                config.kafka.topic_of("documents"),
            ],
            dead_letter_topic: config.kafka.dead_letter_topic_of(SERVICE),
            max_attempts: 10,
        },
        events::Inputs {
            calendar: nsk_runtime::calendar::CalendarFollower {
                calendar: base.calendar.clone(),
            },
        },
    )?;
    host.spawn("inputs-consumer", |shutdown| async move {
        inputs.run(shutdown).await
    });
    let (pool, outbox) = (base.pool.clone(), base.outbox.clone());
    host.spawn("expiry-job", move |shutdown| {
        expiry::run(pool, outbox, EXPIRY_INTERVAL, shutdown)
    });
    let keys = grpc::CenterKeysApi::new(
        base.pool.clone(),
        base.outbox.clone(),
        base.verifier.clone(),
        base.calendar.clone(),
    );
    let audit = nsk_runtime::audit::AuditTrailApi::server(
        SERVICE,
        base.pool.clone(),
        base.verifier.clone(),
    );
    let api = grpc::AccreditationApi::new(base.pool, base.outbox, base.verifier, base.calendar);
    let routes = tonic::service::Routes::new(AccreditationServiceServer::new(api))
        .add_service(CenterKeysServer::new(keys))
        .add_service(audit);
    Ok(ServiceApp::new(
        host,
        routes,
        &[
            "nsk.accreditation.v1.AccreditationService",
            "nsk.accreditation.v1.CenterKeys",
            "nsk.audit.v1.AuditTrail",
        ],
    ))
}

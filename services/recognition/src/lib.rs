//! The recognition procedure (`nsk-recognition`): the platform as the channel between a
//! candidate and a recognition center (Rules of recognition, chapters 2-3, Appendix 1).
//!
//! - `domain/` — the Rules: the form of Appendix 1 and the consent, every deadline in working
//!   days, the procedure's way from registration to the document, the refusal or the appeal's
//!   end; no I/O;
//! - `cases` — one transaction per command: the act, the notice to the other side, the event;
//!   reads that check whose application it is and are audited;
//! - `grpc` — the `RecognitionProcedure` handlers: who may call, a case, a conversion;
//! - `convert` — contract <-> domain;
//! - `events` — what it hears: the working-day calendar, the register of professions, centers'
//!   certificates and their scope;
//! - `store` — SQL, checked at compile time against `.sqlx/`, typed rows;
//! - `migrations/` — its own database, created and migrated at start.

pub mod cases;
pub mod convert;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod store;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::recognition::v1::recognition_procedure_server::RecognitionProcedureServer;
use nsk_runtime::ServiceApp;

pub const SERVICE: &str = "recognition";

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
                config.kafka.topic_of("accreditation"),
                config.kafka.topic_of("documents"),
                config.kafka.topic_of("vouchers"),
            ],
            dead_letter_topic: config.kafka.dead_letter_topic_of(SERVICE),
            max_attempts: 10,
        },
        events::Inputs {
            calendar: nsk_runtime::calendar::CalendarFollower {
                calendar: base.calendar.clone(),
            },
            outbox: base.outbox.clone(),
        },
    )?;
    host.spawn("inputs-consumer", |shutdown| async move {
        inputs.run(shutdown).await
    });
    let audit = nsk_runtime::audit::AuditTrailApi::server(
        SERVICE,
        base.pool.clone(),
        base.verifier.clone(),
    );
    let api = grpc::RecognitionApi::new(base.pool, base.outbox, base.verifier, base.calendar);
    let routes =
        tonic::service::Routes::new(RecognitionProcedureServer::new(api)).add_service(audit);
    Ok(ServiceApp::new(
        host,
        routes,
        &[
            "nsk.recognition.v1.RecognitionProcedure",
            "nsk.audit.v1.AuditTrail",
        ],
    ))
}

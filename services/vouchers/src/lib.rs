//! One-time vouchers for registered unemployed persons (Law Art. 1.11, 29) (`nsk-vouchers`).
//!
//! - `domain/` — the law of vouchers: terms by year, the voucher's life, the reimbursement
//!   claim; no I/O;
//! - `cases` — one transaction per command: set terms, issue, extend, cancel, redeem,
//!   release, report a failed procedure;
//! - `grpc` — the `VoucherService` handlers: who may call, a case, a conversion;
//! - `convert` — contract <-> domain, shared by handlers, cases and events;
//! - `expiry` — the job that ends vouchers not used within their validity (Art. 29.3);
//! - `events` — the read models it keeps: professions and centers' certificates;
//! - `procedure` — what the procedures on the platform and the documents do to a voucher:
//!   redeemed for an application, given back, used pass or fail (Art. 29.2, 29.4);
//! - `store` — SQL, checked at compile time against `.sqlx/`, typed rows: terms with committed
//!   budgets, vouchers, claims, audited reads;
//! - `migrations/` — its own database, created and migrated at start.

pub mod cases;
pub mod convert;
pub mod domain;
pub mod events;
pub mod expiry;
pub mod grpc;
pub mod procedure;
pub mod store;

use nsk_config::ServiceConfig;
use nsk_proto::nsk::vouchers::v1::voucher_service_server::VoucherServiceServer;
use nsk_runtime::ServiceApp;

pub const SERVICE: &str = "vouchers";

/// How often the expiry job looks for vouchers past their last day.
const EXPIRY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

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
                config.kafka.topic_of("recognition"),
            ],
            dead_letter_topic: config.kafka.dead_letter_topic_of(SERVICE),
            max_attempts: 10,
        },
        events::Inputs {
            outbox: base.outbox.clone(),
        },
    )?;
    host.spawn("inputs-consumer", |shutdown| async move {
        inputs.run(shutdown).await
    });
    let (pool, outbox) = (base.pool.clone(), base.outbox.clone());
    host.spawn("expiry-job", move |shutdown| {
        expiry::run(pool, outbox, EXPIRY_INTERVAL, shutdown)
    });
    let audit = nsk_runtime::audit::AuditTrailApi::server(
        SERVICE,
        base.pool.clone(),
        base.verifier.clone(),
    );
    let api = grpc::VouchersApi::new(base.pool, base.outbox, base.verifier);
    let routes = tonic::service::Routes::new(VoucherServiceServer::new(api)).add_service(audit);
    Ok(ServiceApp::new(
        host,
        routes,
        &["nsk.vouchers.v1.VoucherService", "nsk.audit.v1.AuditTrail"],
    ))
}

//! The registry of issued and cancelled documents (`nsk-documents`).
//!
//! - `domain/` — the law: the rules of documents (Rules p. 18, Appendix 2; Law Art. 21, 26.2,
//!   29), no I/O;
//! - `cases` — one function per command and read: issuance, cancellation, verification, the
//!   lists, the open data; what handlers call;
//! - `migration` — documents from before the platform, brought in by the authorized body (a
//!   case of its own);
//! - `access` — who sees which documents (a center its own, officials any, a person's only
//!   officials, audited);
//! - `grpc` — the `DocumentRegistry` handlers: authorize, convert, call a case, convert back;
//! - `convert` — proto <-> domain and the open-data rows, a leaf;
//! - `publish` — the events it announces, one enum, at the document's version;
//! - `events` — consumers of other services' events: professions, accreditation, vouchers;
//! - `store` — SQL only, checked at compile time against `.sqlx/`, typed rows, including the read
//!   models of the registers it hears;
//! - `qr` — the QR code of a document's verification URL;
//! - `pdf` — the document as PDF in the form of Appendix 2, fonts embedded;
//! - `credentials` — the document as a signed W3C credential, the centers' status lists, the
//!   platform's keys (`nsk-credentials`);
//! - `counting` — public verification counted per day, never per check;
//! - `feed` — every change to a verification answer as it commits, for the gateway's cache.

pub mod access;
pub mod cases;
pub mod convert;
pub mod counting;
pub mod credentials;
pub mod domain;
pub mod events;
pub mod feed;
pub mod grpc;
pub mod known;
pub mod migration;
pub mod pdf;
pub mod publish;
pub mod qr;
pub mod store;

use nsk_config::ServiceConfig;
use nsk_events::{Consumer, ConsumerSettings};
use nsk_proto::nsk::documents::v1::document_registry_server::DocumentRegistryServer;
use nsk_runtime::ServiceApp;

pub const SERVICE: &str = "documents";

pub fn migrator() -> sqlx::migrate::Migrator {
    nsk_db::migrator!()
}

/// Connects, migrates, binds and wires the service; [`ServiceApp::run`] serves it.
pub async fn build(config: ServiceConfig) -> anyhow::Result<ServiceApp> {
    let base = nsk_runtime::prepare(&config, migrator()).await?;
    let mut host = base.host;
    let consumer = Consumer::new(
        base.pool.clone(),
        &config.kafka,
        ConsumerSettings {
            group: config.consumer_group.clone(),
            topics: vec![
                config.kafka.topic_of("professions"),
                config.kafka.topic_of("accreditation"),
                config.kafka.topic_of("vouchers"),
                config.kafka.topic_of("recognition"),
            ],
            dead_letter_topic: config.kafka.dead_letter_topic_of(SERVICE),
            max_attempts: 10,
        },
        events::RegistryInputs {
            outbox: base.outbox.clone(),
            calendar: nsk_runtime::calendar::CalendarFollower {
                calendar: base.calendar.clone(),
            },
        },
    )?;
    host.spawn("registry-consumer", |shutdown| async move {
        consumer.run(shutdown).await
    });
    let verifications = std::sync::Arc::new(counting::VerificationCounter::default());
    let (counted, counts_pool) = (verifications.clone(), base.pool.clone());
    host.spawn("verification-counts", move |shutdown| {
        counted.run(counts_pool, shutdown)
    });
    let audit = nsk_runtime::audit::AuditTrailApi::server(
        SERVICE,
        base.pool.clone(),
        base.verifier.clone(),
    );
    let pems = config.credential_key_pems()?;
    let keys = nsk_credentials::SigningKeys::from_pems(&pems)
        .map_err(|e| anyhow::anyhow!("NSK_CREDENTIAL_KEY_FILES: {e}"))?;
    let credentials =
        credentials::Credentials::new(keys, config.public_url.clone(), base.pool.clone());
    let feed = feed::Feed::default();
    let (feeding, feed_pool) = (feed.clone(), base.pool.clone());
    host.spawn("verification-feed", move |shutdown| {
        feeding.run(feed_pool, shutdown)
    });
    let api = grpc::DocumentsApi::new(
        base.pool,
        base.outbox,
        base.verifier,
        base.calendar,
        config.public_url.clone(),
    )
    .counting(verifications)
    .feeding(feed)
    .signing(credentials);
    let routes = tonic::service::Routes::new(DocumentRegistryServer::new(api)).add_service(audit);
    Ok(ServiceApp::new(
        host,
        routes,
        &[
            "nsk.documents.v1.DocumentRegistry",
            "nsk.audit.v1.AuditTrail",
        ],
    ))
}

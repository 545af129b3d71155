//! Events of accreditation (topic `nsk.accreditation.v1`), appended to the outbox in the
//! transaction of the change, and the register of professions heard from its topic.

use nsk_events::{EventContext, HandlerError, Outbox, ReceivedEvent};
use nsk_proto::nsk::accreditation::v1 as pb;
use nsk_proto::nsk::documents::v1 as documents;

use crate::store::issued::IssuedRow;
use sqlx::PgConnection;
use uuid::Uuid;

/// Aggregate types in event envelopes.
pub const APPLICATION: &str = "accreditation_application";
/// Certificate events are keyed by the center number, so that all events of one center,
/// across its certificates, keep their order.
pub const CENTER: &str = "recognition_center";

/// Appends an event about application `id`, at the application's next version.
pub async fn application_event<M: prost::Name>(
    outbox: &Outbox,
    conn: &mut PgConnection,
    context: &EventContext,
    id: Uuid,
    event: &M,
) -> Result<Uuid, sqlx::Error> {
    outbox
        .append_next(conn, APPLICATION, &id.to_string(), context, event)
        .await
}

/// Appends an event about a certificate of center `center_number`, at the center's next
/// version.
pub async fn center_event<M: prost::Name>(
    outbox: &Outbox,
    conn: &mut PgConnection,
    context: &EventContext,
    center_number: &str,
    event: &M,
) -> Result<Uuid, sqlx::Error> {
    outbox
        .append_next(conn, CENTER, center_number, context, event)
        .await
}

/// What accreditation hears: the register of professions (and the working-day calendar the
/// authorized body keeps there) and the registry of documents.
pub struct Inputs {
    pub calendar: nsk_runtime::calendar::CalendarFollower,
}

impl nsk_events::EventHandler for Inputs {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        if event.envelope.event_type.starts_with("nsk.documents.") {
            IssuedDocuments.handle(conn, event).await
        } else if nsk_runtime::calendar::CalendarFollower::takes(event) {
            self.calendar.handle(conn, event).await
        } else {
            RegisterOfProfessions.handle(conn, event).await
        }
    }

    /// Runs of `DocumentIssued` — what the registry announces most, one per document — are
    /// written by one statement each; every other event as [`Self::handle`] applies it, in its
    /// place between them.
    async fn handle_all(
        &self,
        conn: &mut PgConnection,
        events: &[&ReceivedEvent],
    ) -> Result<(), (usize, HandlerError)> {
        let mut run: Vec<IssuedRow> = Vec::new();
        let mut run_from = 0;
        for (at, event) in events.iter().enumerate() {
            match issued_row(event).map_err(|e| (at, e))? {
                Some(row) => {
                    if run.is_empty() {
                        run_from = at;
                    }
                    run.push(row);
                }
                None => {
                    hear_run(conn, &mut run).await.map_err(|e| (run_from, e))?;
                    self.handle(conn, event).await.map_err(|e| (at, e))?;
                }
            }
        }
        hear_run(conn, &mut run).await.map_err(|e| (run_from, e))
    }
}

/// Writes the documents of a run of `DocumentIssued` heard so far, and empties it.
async fn hear_run(conn: &mut PgConnection, run: &mut Vec<IssuedRow>) -> Result<(), HandlerError> {
    if !run.is_empty() {
        crate::store::issued::hear_all_issued(conn, run).await?;
        run.clear();
    }
    Ok(())
}

/// The document a `DocumentIssued` announces; `None` for any other event.
fn issued_row(event: &ReceivedEvent) -> Result<Option<IssuedRow>, HandlerError> {
    if !event.is::<documents::DocumentIssued>() {
        return Ok(None);
    }
    let e: documents::DocumentIssued = event.decode()?;
    let uuid = |raw: &str, what: &str| {
        Uuid::parse_str(raw)
            .map_err(|_| HandlerError::Permanent(format!("{what} {raw:?} is not a UUID")))
    };
    Ok(Some(IssuedRow {
        center_number: e
            .center_number
            .parse()
            .map_err(|_| HandlerError::Permanent(format!("center number {:?}", e.center_number)))?,
        document_id: uuid(&e.document_id, "document id")?,
        profession_id: uuid(&e.profession_id, "profession id")?,
        procedure_date: match e.procedure_date.as_str() {
            "" => None,
            raw => Some(date(raw, "procedure date")?),
        },
        issue_date: date(&e.issue_date, "issue date")?,
        issued_late: e.issued_late,
        serial_number: e.serial_number,
    }))
}

fn date(raw: &str, what: &str) -> Result<chrono::NaiveDate, HandlerError> {
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| HandlerError::Permanent(format!("{what} {raw:?} is not a date")))
}

/// Keeps what each center issued and which of it was cancelled, from the registry's events
/// (Art. 25.3 monitoring; Art. 26.2.4 names only the revoked center's documents).
pub struct IssuedDocuments;

impl nsk_events::EventHandler for IssuedDocuments {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        if let Some(row) = issued_row(event)? {
            crate::store::issued::hear_issued(conn, &row).await?;
        } else if event.is::<documents::DocumentCancelled>() {
            let e: documents::DocumentCancelled = event.decode()?;
            let on = e
                .cancellation
                .as_ref()
                .map(|c| c.cancelled_on.as_str())
                .unwrap_or_default();
            crate::store::issued::hear_cancelled(conn, &e.serial_number, date(on, "cancelled on")?)
                .await?;
        }
        Ok(())
    }
}

/// Keeps the register of professions as the professions service publishes it: which entries
/// exist, whether excluded, at which levels (Art. 24.1.3).
pub struct RegisterOfProfessions;

impl nsk_events::EventHandler for RegisterOfProfessions {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        // Its own certificates it keeps itself; of the heard, only the register is news here.
        if let Some(nsk_events::heard::Heard::Profession(p)) = nsk_events::heard::hear(event)? {
            crate::store::hear_profession(conn, p.id, p.active, &p.nqf_levels, p.version).await?;
        }
        Ok(())
    }
}

/// The certificate event for a revocation.
pub fn revoked(
    certificate: pb::Certificate,
    revocation: &pb::Revocation,
) -> pb::CertificateRevoked {
    pb::CertificateRevoked {
        ground: revocation.ground,
        basis: revocation.basis.clone(),
        document_serial_numbers: revocation.document_serial_numbers.clone(),
        revoked_on: revocation.decided_on.clone(),
        reason: revocation
            .basis
            .as_ref()
            .map(|b| b.title.clone())
            .unwrap_or_default(),
        concerns_health_or_safety: revocation.concerns_health_or_safety,
        certificate: Some(certificate),
    }
}

/// Aggregate type of API keys' events.
pub const API_KEY: &str = "center_api_key";

/// Appends an event about API key `key`, at its version.
pub async fn key_event<M: prost::Name>(
    outbox: &Outbox,
    conn: &mut PgConnection,
    context: &EventContext,
    key: &crate::domain::keys::ApiKey,
    event: &M,
) -> Result<Uuid, sqlx::Error> {
    let id = key.id().to_string();
    let aggregate = nsk_events::Aggregate {
        kind: API_KEY,
        id: &id,
        version: key.version(),
    };
    outbox.append(conn, aggregate, context, event).await
}

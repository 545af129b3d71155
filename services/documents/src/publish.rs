//! What the registry announces (topic `nsk.documents.v1`): one [`Event`] enum, appended to the
//! outbox in the transaction of the change, at the document's version (1 when registered, one
//! more with each change).

use nsk_events::{Aggregate, EventContext, Outbox};
use nsk_proto::nsk::documents::v1 as pb;
use sqlx::PgConnection;

use crate::convert::cancellation_to_proto;
use crate::store::StoredDocument;

/// The aggregate type of documents in event envelopes.
pub const AGGREGATE: &str = "document";

pub enum Event<'a> {
    /// Registered by its center, or brought in by a migration (`migrated`).
    Issued {
        document: &'a StoredDocument,
        migrated: bool,
        /// The procedure on the platform it follows, if one was recorded.
        procedure: Option<uuid::Uuid>,
    },
    Cancelled(&'a StoredDocument),
}

impl Event<'_> {
    fn document(&self) -> &StoredDocument {
        match self {
            Event::Issued { document, .. } | Event::Cancelled(document) => document,
        }
    }
}

/// Appends `event` to the outbox in the caller's transaction.
pub async fn publish(
    outbox: &Outbox,
    conn: &mut PgConnection,
    context: &EventContext,
    event: &Event<'_>,
) -> Result<(), sqlx::Error> {
    let d = event.document();
    let id = d.id.to_string();
    let aggregate = Aggregate {
        kind: AGGREGATE,
        id: &id,
        version: d.version,
    };
    match event {
        Event::Issued {
            document,
            migrated,
            procedure,
        } => {
            let e = issued(document, &document.serial_number, *migrated, *procedure);
            outbox.append(conn, aggregate, context, &e).await?;
        }
        Event::Cancelled(document) => {
            let e = pb::DocumentCancelled {
                document_id: id.clone(),
                serial_number: document.serial_number.clone(),
                cancellation: document.cancellation.as_ref().map(cancellation_to_proto),
            };
            outbox.append(conn, aggregate, context, &e).await?;
            tracing::info!(document_id = %document.id, serial = %document.serial_number, "document cancelled");
        }
    }
    Ok(())
}

/// The `DocumentIssued` of `document`, carrying `serial_number`.
fn issued(
    document: &StoredDocument,
    serial_number: &str,
    migrated: bool,
    procedure: Option<uuid::Uuid>,
) -> pb::DocumentIssued {
    pb::DocumentIssued {
        document_id: document.id.to_string(),
        serial_number: serial_number.to_string(),
        profession_id: document.profession_id.to_string(),
        nqf_level: document.nqf_level,
        center_number: document.center_number.to_string(),
        issue_date: document.issue_date.to_string(),
        valid_until: document.valid_until.to_string(),
        voucher_id: document.voucher_id.clone(),
        procedure_date: document.procedure_date.to_string(),
        issued_late: document.issued_late,
        migrated,
        procedure_id: procedure.map(|p| p.to_string()).unwrap_or_default(),
    }
}

/// `DocumentIssued` of a document registered in one statement (`store::register_document`),
/// before its number is known: `document.serial_number` is the serial up to the number; the
/// event carries the number's eight digits as zeros, and the second value is where they are
/// in the prepared envelope (counted from 1), for the statement to write the number there.
pub fn prepare_issued<'o>(
    outbox: &'o Outbox,
    context: &EventContext,
    document: &StoredDocument,
    procedure: Option<uuid::Uuid>,
) -> Option<(nsk_events::Prepared<'o>, i32)> {
    let id = document.id.to_string();
    let aggregate = Aggregate {
        kind: AGGREGATE,
        id: &id,
        version: document.version,
    };
    let zeros = format!("{}00000000", document.serial_number);
    let event = issued(document, &zeros, false, procedure);
    let payload_len = prost::Message::encoded_len(&event);
    let prepared = outbox.prepare(aggregate, context, &event);
    // The payload is the envelope's last field, so its encoding ends the envelope; in it, the
    // serial (field 2) follows the document's id and comes before anything a caller wrote.
    let payload_at = prepared.envelope.len().checked_sub(payload_len)?;
    let serial_at = prepared.envelope[payload_at..]
        .windows(zeros.len())
        .position(|w| w == zeros.as_bytes())?;
    let digits_at = payload_at + serial_at + document.serial_number.len();
    (prepared.envelope.get(digits_at..digits_at + 8) == Some(b"00000000".as_slice()))
        .then(|| i32::try_from(digits_at + 1).ok())
        .flatten()
        .map(|at| (prepared, at))
}

/// Appends `DocumentCancelled` for each document.
pub async fn cancellations(
    outbox: &Outbox,
    conn: &mut PgConnection,
    context: &EventContext,
    cancelled: &[StoredDocument],
) -> Result<(), sqlx::Error> {
    // One statement for all of them (a revocation on ground 4 cancels thousands at once).
    let ids: Vec<String> = cancelled.iter().map(|d| d.id.to_string()).collect();
    let events: Vec<(Aggregate<'_>, pb::DocumentCancelled)> = cancelled
        .iter()
        .zip(&ids)
        .map(|(d, id)| {
            let aggregate = Aggregate {
                kind: AGGREGATE,
                id,
                version: d.version,
            };
            let event = pb::DocumentCancelled {
                document_id: id.clone(),
                serial_number: d.serial_number.clone(),
                cancellation: d.cancellation.as_ref().map(cancellation_to_proto),
            };
            (aggregate, event)
        })
        .collect();
    outbox.append_all(conn, &events, context).await?;
    for d in cancelled {
        tracing::info!(document_id = %d.id, serial = %d.serial_number, "document cancelled");
    }
    Ok(())
}

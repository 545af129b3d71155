//! Events the register publishes (topic `nsk.professions.v1`). It consumes none.

use chrono::NaiveDate;
use nsk_events::{Aggregate, EventContext, Outbox};
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::professions::v1 as pb;
use sqlx::PgConnection;

use crate::domain::Basis;
use crate::grpc::to_proto;
use crate::store::{ChangeKind, HistoryEntry, StoredProfession};

/// The aggregate type of register entries in event envelopes.
pub const AGGREGATE: &str = "profession";

fn basis(b: &Basis) -> common::BasisDocument {
    common::BasisDocument {
        number: b.number.clone(),
        date: b.date.to_string(),
        title: b.title.clone(),
    }
}

/// Appends the event of a change of `profession` to the outbox, in the caller's transaction;
/// `change` is what its history row records.
pub async fn publish(
    outbox: &Outbox,
    conn: &mut PgConnection,
    context: &EventContext,
    profession: &StoredProfession,
    change: &HistoryEntry<'_>,
    effective_from: NaiveDate,
) -> Result<uuid::Uuid, sqlx::Error> {
    let id = profession.id.to_string();
    let aggregate = Aggregate {
        kind: AGGREGATE,
        id: &id,
        version: profession.version,
    };
    let entry = Some(to_proto(profession));
    let effective_from = effective_from.to_string();
    let reason = change.reason.to_string();
    let basis = Some(basis(change.basis));
    let changed_fields = change.changed_fields;
    match change.kind {
        ChangeKind::Registered => {
            outbox
                .append(
                    conn,
                    aggregate,
                    context,
                    &pb::ProfessionRegistered {
                        profession: entry,
                        effective_from,
                    },
                )
                .await
        }
        ChangeKind::Amended => {
            let event = pb::ProfessionAmended {
                profession: entry,
                changed_fields: changed_fields.to_vec(),
                reason,
                basis,
                effective_from,
            };
            outbox.append(conn, aggregate, context, &event).await
        }
        ChangeKind::Excluded => {
            let event = pb::ProfessionExcluded {
                profession: entry,
                reason,
                basis,
                effective_from,
            };
            outbox.append(conn, aggregate, context, &event).await
        }
        ChangeKind::Reinstated => {
            let event = pb::ProfessionReinstated {
                profession: entry,
                reason,
                basis,
                effective_from,
            };
            outbox.append(conn, aggregate, context, &event).await
        }
    }
}

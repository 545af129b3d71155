//! Events the register publishes (topic `nsk.professions.v1`), and the standards events it
//! consumes to know which standards are approved.

use chrono::NaiveDate;
use nsk_events::{Aggregate, EventContext, Outbox};
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::professions::v1 as pb;
use sqlx::PgConnection;

use crate::convert::to_proto;
use crate::domain::Document;
use crate::store::{ChangeKind, HistoryEntry, StoredProfession};

/// The aggregate type of register entries in event envelopes.
pub const AGGREGATE: &str = "profession";

fn basis(b: &Document) -> common::BasisDocument {
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

/// Keeps the list of approved standards from the standards service's events, and flags the
/// entries resting on a superseded version for review (publishing `ProfessionReviewFlagged`
/// in the same transaction).
pub struct ApprovedStandards {
    pub outbox: Outbox,
}

impl nsk_events::EventHandler for ApprovedStandards {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &nsk_events::ReceivedEvent,
    ) -> Result<(), nsk_events::HandlerError> {
        use nsk_events::HandlerError;
        use nsk_proto::nsk::standards::v1 as standards;
        let parse = |id: &str| {
            uuid::Uuid::parse_str(id)
                .map_err(|_| HandlerError::Permanent(format!("standard id {id:?} is not a UUID")))
        };
        if event.is::<standards::StandardPublished>() {
            let e: standards::StandardPublished = event.decode()?;
            let standard = e
                .standard
                .ok_or_else(|| HandlerError::Permanent("no standard in the event".into()))?;
            crate::store::standard_approved(
                conn,
                parse(&standard.id)?,
                standard.version,
                &standard.separately_recognisable_skills,
            )
            .await?;
        } else if event.is::<standards::StandardSuperseded>() {
            let e: standards::StandardSuperseded = event.decode()?;
            let id = parse(&e.standard_id)?;
            crate::store::standard_superseded(
                conn,
                id,
                e.superseded_version,
                e.superseding_version,
            )
            .await?;
            self.flag(conn, event, id, e.superseded_version, e.superseding_version)
                .await?;
        } else if event.is::<standards::StandardArchived>() {
            // An abandoned draft was never in the list; a withdrawn standard was.
            let e: standards::StandardArchived = event.decode()?;
            let id = parse(&e.standard_id)?;
            if crate::store::standard_withdrawn(conn, id, e.version).await? {
                self.flag(conn, event, id, e.version, 0).await?;
            }
        }
        Ok(())
    }
}

impl ApprovedStandards {
    /// Flags the entries resting on `standard_id` version `old` for review, each with its
    /// event; `newer` is 0 when the version was withdrawn without a successor.
    async fn flag(
        &self,
        conn: &mut PgConnection,
        event: &nsk_events::ReceivedEvent,
        standard_id: uuid::Uuid,
        old: i32,
        newer: i32,
    ) -> Result<(), sqlx::Error> {
        let flagged = crate::store::flag_for_review(conn, standard_id, old, newer).await?;
        let flagged_on = nsk_calendar::kazakhstan_date(chrono::Utc::now()).to_string();
        let context = EventContext {
            actor: event.envelope.actor.clone(),
            request_id: event.envelope.event_id.clone(),
        };
        for (profession_id, version) in flagged {
            let profession = profession_id.to_string();
            // The flag is not a new version of the entry: the event carries the version the
            // entry is at.
            let aggregate = Aggregate {
                kind: AGGREGATE,
                id: &profession,
                version,
            };
            let flag = pb::ProfessionReviewFlagged {
                profession_id: profession.clone(),
                standard_id: standard_id.to_string(),
                superseded_version: old,
                superseding_version: newer,
                flagged_on: flagged_on.clone(),
            };
            self.outbox.append(conn, aggregate, &context, &flag).await?;
            tracing::info!(%profession_id, %standard_id, old, newer, "profession flagged for review");
        }
        Ok(())
    }
}

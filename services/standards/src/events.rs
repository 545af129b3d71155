//! Events of professional standards (topic `nsk.standards.v1`), appended to the outbox in the
//! transaction of the change they announce.

use nsk_events::{Aggregate, EventContext, Outbox};
use nsk_proto::nsk::standards::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

/// The aggregate type of standards in event envelopes; all versions of one standard share its
/// id as the message key, so their events keep their order.
pub const AGGREGATE: &str = "standard";

/// What a change announces.
#[derive(Debug, Clone)]
pub enum Event {
    DraftCreated(Box<pb::Standard>),
    DraftUpdated(Box<pb::Standard>, Vec<String>),
    StepRecorded(Box<pb::Standard>, Box<pb::WorkflowStep>),
    Published(Box<pb::Standard>),
    Superseded { superseded: i32, by: i32 },
    Archived { version: i32, reason: String },
}

/// Appends `event` of standard `id` at `revision` (the count of its changes).
pub async fn publish(
    outbox: &Outbox,
    conn: &mut PgConnection,
    context: &EventContext,
    id: Uuid,
    revision: i64,
    event: &Event,
) -> Result<Uuid, sqlx::Error> {
    let standard_id = id.to_string();
    let aggregate = Aggregate {
        kind: AGGREGATE,
        id: &standard_id,
        version: revision,
    };
    match event {
        Event::DraftCreated(standard) => {
            let e = pb::StandardDraftCreated {
                standard: Some(standard.as_ref().clone()),
            };
            outbox.append(conn, aggregate, context, &e).await
        }
        Event::DraftUpdated(standard, changed_fields) => {
            let e = pb::StandardDraftUpdated {
                standard: Some(standard.as_ref().clone()),
                changed_fields: changed_fields.clone(),
            };
            outbox.append(conn, aggregate, context, &e).await
        }
        Event::StepRecorded(standard, step) => {
            let e = pb::StandardStepRecorded {
                standard: Some(standard.as_ref().clone()),
                step: Some(step.as_ref().clone()),
            };
            outbox.append(conn, aggregate, context, &e).await
        }
        Event::Published(standard) => {
            let e = pb::StandardPublished {
                standard: Some(standard.as_ref().clone()),
            };
            outbox.append(conn, aggregate, context, &e).await
        }
        Event::Superseded { superseded, by } => {
            let e = pb::StandardSuperseded {
                standard_id: standard_id.clone(),
                superseded_version: *superseded,
                superseding_version: *by,
            };
            outbox.append(conn, aggregate, context, &e).await
        }
        Event::Archived { version, reason } => {
            let e = pb::StandardArchived {
                standard_id: standard_id.clone(),
                version: *version,
                reason: reason.clone(),
            };
            outbox.append(conn, aggregate, context, &e).await
        }
    }
}

//! Events of accreditation (topic `nsk.accreditation.v1`), appended to the outbox in the
//! transaction of the change, and the register of professions heard from its topic.

use nsk_events::{Aggregate, EventContext, HandlerError, Outbox, ReceivedEvent};
use nsk_proto::nsk::accreditation::v1 as pb;
use nsk_proto::nsk::professions::v1 as professions;
use sqlx::PgConnection;
use uuid::Uuid;

/// Aggregate types in event envelopes.
pub const APPLICATION: &str = "accreditation_application";
/// Certificate events are keyed by the center number, so that all events of one center,
/// across its certificates, keep their order.
pub const CENTER: &str = "recognition_center";

/// Appends an event about application `id`.
pub async fn application_event<M: prost::Name>(
    outbox: &Outbox,
    conn: &mut PgConnection,
    context: &EventContext,
    id: Uuid,
    event: &M,
) -> Result<Uuid, sqlx::Error> {
    let id = id.to_string();
    let aggregate = Aggregate {
        kind: APPLICATION,
        id: &id,
        version: 0,
    };
    outbox.append(conn, aggregate, context, event).await
}

/// Appends an event about a certificate of center `center_number`.
pub async fn center_event<M: prost::Name>(
    outbox: &Outbox,
    conn: &mut PgConnection,
    context: &EventContext,
    center_number: &str,
    event: &M,
) -> Result<Uuid, sqlx::Error> {
    let aggregate = Aggregate {
        kind: CENTER,
        id: center_number,
        version: 0,
    };
    outbox.append(conn, aggregate, context, event).await
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
        let entry = if event.is::<professions::ProfessionRegistered>() {
            event
                .decode::<professions::ProfessionRegistered>()?
                .profession
        } else if event.is::<professions::ProfessionAmended>() {
            event.decode::<professions::ProfessionAmended>()?.profession
        } else if event.is::<professions::ProfessionExcluded>() {
            event
                .decode::<professions::ProfessionExcluded>()?
                .profession
        } else if event.is::<professions::ProfessionReinstated>() {
            event
                .decode::<professions::ProfessionReinstated>()?
                .profession
        } else {
            return Ok(());
        };
        let entry = entry
            .ok_or_else(|| HandlerError::Permanent("the event carries no profession".into()))?;
        let id = Uuid::parse_str(&entry.id).map_err(|_| {
            HandlerError::Permanent(format!("profession id {:?} is not a UUID", entry.id))
        })?;
        let active = entry.status == professions::ProfessionStatus::Active as i32;
        crate::store::hear_profession(conn, id, active, &entry.nqf_levels, entry.version).await?;
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

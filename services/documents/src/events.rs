//! Events the registry consumes: the register of professions, into its own read model.

use chrono::NaiveDate;
use nsk_events::{EventHandler, HandlerError, ReceivedEvent};
use nsk_proto::nsk::professions::v1 as professions;
use prost::Message;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store::{self, ProfessionRow};

/// Keeps `registered_professions` in step with the register.
pub struct ProfessionsReadModel;

impl EventHandler for ProfessionsReadModel {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let (profession, effective_from, active) =
            if event.is::<professions::ProfessionRegistered>() {
                let e: professions::ProfessionRegistered = event.decode()?;
                (e.profession, e.effective_from, true)
            } else if event.is::<professions::ProfessionAmended>() {
                let e: professions::ProfessionAmended = event.decode()?;
                let active = e.profession.as_ref().is_some_and(is_active);
                (e.profession, e.effective_from, active)
            } else if event.is::<professions::ProfessionExcluded>() {
                let e: professions::ProfessionExcluded = event.decode()?;
                (e.profession, e.effective_from, false)
            } else if event.is::<professions::ProfessionReinstated>() {
                let e: professions::ProfessionReinstated = event.decode()?;
                (e.profession, e.effective_from, true)
            } else {
                // Events this registry does not need (a newer producer may add some) are skipped.
                return Ok(());
            };
        let profession = profession
            .ok_or_else(|| HandlerError::Permanent("the event carries no profession".into()))?;
        let profession_id = Uuid::parse_str(&profession.id).map_err(|_| {
            HandlerError::Permanent(format!("profession id {:?} is not a UUID", profession.id))
        })?;
        let effective_from =
            NaiveDate::parse_from_str(&effective_from, "%Y-%m-%d").map_err(|_| {
                HandlerError::Permanent(format!("effective_from {effective_from:?} is not a date"))
            })?;
        let event_id = Uuid::parse_str(&event.envelope.event_id)
            .map_err(|_| HandlerError::Permanent("event id is not a UUID".into()))?;
        let row = ProfessionRow {
            profession_id,
            version: profession.version,
            active,
            effective_from,
            snapshot: profession.encode_to_vec(),
        };
        store::apply_profession_version(conn, &row, event_id).await?;
        tracing::info!(%profession_id, version = row.version, "registered profession updated");
        Ok(())
    }
}

fn is_active(p: &professions::Profession) -> bool {
    p.status == professions::ProfessionStatus::Active as i32
}

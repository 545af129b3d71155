//! What the procedure hears: the working-day calendar the authorized body keeps in the
//! register of professions (its deadlines count those days), the register itself, and
//! centers' certificates with their scope (an application goes to a center accredited for its
//! profession and level).

use nsk_events::heard::Heard;
use nsk_events::{HandlerError, ReceivedEvent};
use sqlx::PgConnection;

pub struct Inputs {
    pub calendar: nsk_runtime::calendar::CalendarFollower,
}

impl nsk_events::EventHandler for Inputs {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        if nsk_runtime::calendar::CalendarFollower::takes(event) {
            return self.calendar.handle(conn, event).await;
        }
        match nsk_events::heard::hear(event)? {
            Some(Heard::Certificate {
                certificate,
                replaces,
            }) => {
                crate::store::heard::hear_certificate(conn, &certificate).await?;
                if let Some((id, since)) = replaces {
                    crate::store::heard::certificate_replaced(conn, id, since).await?;
                }
            }
            Some(Heard::Profession(p)) => crate::store::heard::hear_profession(conn, &p).await?,
            None => {}
        }
        Ok(())
    }
}

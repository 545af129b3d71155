//! What the procedure hears: the working-day calendar the authorized body keeps in the
//! register of professions (its deadlines count those days). Nothing else on that topic
//! concerns it yet.

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
            self.calendar.handle(conn, event).await
        } else {
            Ok(())
        }
    }
}

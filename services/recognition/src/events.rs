//! What the procedure hears: the working-day calendar the authorized body keeps in the
//! register of professions (its deadlines count those days), the register itself, and
//! centers' certificates with their scope (an application goes to a center accredited for its
//! profession and level), the documents registered after its passed procedures, and what the
//! register of vouchers answered for the vouchers applied with (Art. 29.2, 29.4).

use nsk_events::heard::Heard;
use nsk_events::{HandlerError, ReceivedEvent};
use nsk_proto::nsk::documents::v1 as documents;
use nsk_proto::nsk::vouchers::v1 as vouchers;

use crate::domain::voucher::Answer;
use sqlx::PgConnection;

pub struct Inputs {
    pub calendar: nsk_runtime::calendar::CalendarFollower,
    pub outbox: nsk_events::Outbox,
}

impl nsk_events::EventHandler for Inputs {
    /// Of the registry's documents only those registered after a procedure on the platform
    /// concern it: the rest are passed over without a transaction.
    fn wants(&self, event: &ReceivedEvent) -> bool {
        if !event.is::<documents::DocumentIssued>() {
            return true;
        }
        // One that cannot be decoded goes on to `handle`, which dead-letters it.
        event
            .decode::<documents::DocumentIssued>()
            .map_or(true, |e| !e.procedure_id.is_empty())
    }

    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        if nsk_runtime::calendar::CalendarFollower::takes(event) {
            return self.calendar.handle(conn, event).await;
        }
        if event.is::<documents::DocumentIssued>() {
            return self.document_issued(conn, event).await;
        }
        if let Some((application, answer)) = voucher_answer(event)? {
            return voucher_answered(conn, application, answer).await;
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

impl Inputs {
    /// Rules p. 18, 23: the document registered after a passed procedure (or an upheld
    /// appeal) ends it; the candidate is told, and the step records whether the document came
    /// within its three working days. Heard twice, it changes nothing.
    async fn document_issued(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let e: documents::DocumentIssued = event.decode()?;
        if e.procedure_id.is_empty() {
            return Ok(());
        }
        let id = uuid::Uuid::parse_str(&e.procedure_id).map_err(|_| {
            HandlerError::Permanent(format!("procedure id {:?} is not a UUID", e.procedure_id))
        })?;
        let Some(mut stored) = crate::store::lock_application(conn, id).await? else {
            return Err(HandlerError::Permanent(format!(
                "application {id} is unknown"
            )));
        };
        if stored.procedure.document_serial() == Some(e.serial_number.as_str()) {
            return Ok(());
        }
        let on = chrono::NaiveDate::parse_from_str(&e.issue_date, "%Y-%m-%d").map_err(|_| {
            HandlerError::Permanent(format!("issue date {:?} is not a date", e.issue_date))
        })?;
        let calendar = self.calendar.calendar.current();
        let notice = stored
            .procedure
            .record_document(&calendar, e.serial_number.clone(), on)
            .map_err(|refused| HandlerError::Permanent(refused.message))?;
        crate::store::save_application(conn, &stored).await?;
        crate::store::deliver(conn, &stored, &notice, chrono::Utc::now()).await?;
        let context = nsk_events::EventContext {
            actor: event.envelope.actor.clone(),
            request_id: event.envelope.event_id.clone(),
        };
        self.outbox
            .append(
                conn,
                nsk_events::Aggregate {
                    kind: crate::cases::APPLICATION,
                    id: &id.to_string(),
                    version: stored.procedure.version(),
                },
                &context,
                &crate::convert::advanced(&stored.procedure),
            )
            .await?;
        tracing::info!(application = %id, serial = %e.serial_number, "document heard: procedure ended");
        Ok(())
    }
}

/// The application a voucher event answers for, and the answer; `None` for any other event,
/// or a voucher the platform's procedures do not hold.
fn voucher_answer(event: &ReceivedEvent) -> Result<Option<(uuid::Uuid, Answer)>, HandlerError> {
    let (application, answer) = if event.is::<vouchers::VoucherNotRedeemed>() {
        let e: vouchers::VoucherNotRedeemed = event.decode()?;
        (e.application_id, Answer::NotRedeemed(e.reason))
    } else if event.is::<vouchers::VoucherReleased>() {
        let e: vouchers::VoucherReleased = event.decode()?;
        (e.application_id, Answer::Released)
    } else if event.is::<vouchers::VoucherRedeemed>() {
        let e: vouchers::VoucherRedeemed = event.decode()?;
        (
            e.voucher.unwrap_or_default().application_id,
            Answer::Redeemed,
        )
    } else if event.is::<vouchers::VoucherUsed>() {
        let e: vouchers::VoucherUsed = event.decode()?;
        (e.voucher.unwrap_or_default().application_id, Answer::Used)
    } else {
        return Ok(None);
    };
    if application.is_empty() {
        return Ok(None);
    }
    let id = uuid::Uuid::parse_str(&application).map_err(|_| {
        HandlerError::Permanent(format!("application id {application:?} is not a UUID"))
    })?;
    Ok(Some((id, answer)))
}

/// Art. 29.2: the register of vouchers answered for the voucher an application was made with;
/// the candidate (and, when it was not redeemed, the center) is told. Heard twice, it changes
/// nothing.
async fn voucher_answered(
    conn: &mut PgConnection,
    id: uuid::Uuid,
    answer: Answer,
) -> Result<(), HandlerError> {
    let Some(mut stored) = crate::store::lock_application(conn, id).await? else {
        return Err(HandlerError::Permanent(format!(
            "application {id} is unknown"
        )));
    };
    let Some((standing, notices)) =
        crate::domain::voucher::hear(stored.voucher.as_ref(), answer, nsk_calendar::today())
    else {
        return Ok(());
    };
    tracing::info!(application = %id, voucher = ?standing, "voucher answered");
    stored.voucher = Some(standing);
    crate::store::save_application(conn, &stored).await?;
    let at = chrono::Utc::now();
    for notice in &notices {
        crate::store::deliver(conn, &stored, notice, at).await?;
    }
    Ok(())
}

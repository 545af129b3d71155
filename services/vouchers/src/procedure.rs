//! The voucher and the procedure that uses it (Art. 29.2, 29.4), as the register hears them:
//! a candidate applies to a center with a voucher (recognition's `VoucherPresented`) — the
//! register redeems it for that application, or says why not; the application refused gives
//! it back; the result uses it, pass or fail, and the center's claim opens; an appeal upheld
//! after a fail (Rules p. 23) and the document registered after a pass (p. 18) make the outcome
//! a pass with its serial. A document naming a voucher without a procedure on the platform (the
//! paper path) uses it as before. Each is heard once in effect, in any order of the topics.

use chrono::{NaiveDate, Utc};
use nsk_events::{EventContext, HandlerError, Outbox, ReceivedEvent};
use nsk_kz::CenterNumber;
use nsk_proto::nsk::documents::v1 as documents;
use nsk_proto::nsk::recognition::v1 as recognition;
use nsk_proto::nsk::vouchers::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::cases::VOUCHER;
use crate::convert::voucher_to_proto;
use crate::domain::voucher::{Outcome, Status};
use crate::store::{self, ClaimRow, StoredVoucher};

fn permanent(what: &str, raw: &str) -> HandlerError {
    HandlerError::Permanent(format!("{what} {raw:?} is malformed"))
}

fn date(raw: &str, what: &str) -> Result<NaiveDate, HandlerError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| permanent(what, raw))
}

fn uuid(raw: &str, what: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(raw).map_err(|_| permanent(what, raw))
}

fn center(raw: &str) -> Result<CenterNumber, HandlerError> {
    CenterNumber::parse(raw).map_err(|_| permanent("center number", raw))
}

/// The event's cause, carried on.
fn context(event: &ReceivedEvent) -> EventContext {
    EventContext {
        actor: event.envelope.actor.clone(),
        request_id: event.envelope.event_id.clone(),
    }
}

/// What the register does on hearing the procedure.
pub struct Procedures<'a> {
    pub outbox: &'a Outbox,
}

impl Procedures<'_> {
    async fn publish<M: prost::Name>(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
        voucher: Uuid,
        payload: &M,
    ) -> Result<(), HandlerError> {
        self.outbox
            .append_next(
                conn,
                VOUCHER,
                &voucher.to_string(),
                &context(event),
                payload,
            )
            .await?;
        Ok(())
    }

    async fn save(
        &self,
        conn: &mut PgConnection,
        stored: &mut StoredVoucher,
        on: NaiveDate,
    ) -> Result<(), HandlerError> {
        stored.status_since = on;
        stored.updated_at = Utc::now();
        store::save_voucher(conn, stored).await?;
        Ok(())
    }

    /// Art. 29.2: the holder chose the center by applying to it with the voucher; the register
    /// redeems it for the application on the day it was made — the holder's, valid that day,
    /// at a center accredited that day for the profession and level — or answers why not.
    pub async fn presented(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let e: recognition::VoucherPresented = event.decode()?;
        let application = uuid(&e.application_id, "application id")?;
        let voucher = uuid(&e.voucher_id, "voucher id")?;
        let on = date(&e.on, "application day")?;
        let profession = uuid(&e.profession_id, "profession id")?;
        let center = center(&e.center_number)?;
        let level =
            u8::try_from(e.nqf_level).map_err(|_| permanent("level", &e.nqf_level.to_string()))?;
        let Some(mut stored) = store::lock_voucher(conn, voucher).await? else {
            let refused = pb::VoucherNotRedeemed {
                voucher_id: voucher.to_string(),
                application_id: application.to_string(),
                reason: "the register of vouchers has no voucher with this id".into(),
            };
            return self.publish(conn, event, voucher, &refused).await;
        };
        let at_center = store::center_today(conn, center, profession, on).await?;
        let in_register = store::profession_in_register(conn, profession).await?;
        match stored.voucher.redeem(
            &at_center,
            &e.holder_iin,
            profession,
            in_register,
            level,
            on,
        ) {
            Ok(_) => {
                stored.application_id = Some(application);
                self.save(conn, &mut stored, on).await?;
                let redeemed = pb::VoucherRedeemed {
                    voucher: Some(voucher_to_proto(&stored)),
                };
                tracing::info!(voucher = %stored.number, %application, "voucher redeemed for an application");
                self.publish(conn, event, voucher, &redeemed).await
            }
            Err(refused) => {
                tracing::info!(voucher = %stored.number, %application, reason = %refused.0, "voucher not redeemed");
                let refused = pb::VoucherNotRedeemed {
                    voucher_id: voucher.to_string(),
                    application_id: application.to_string(),
                    reason: refused.0,
                };
                self.publish(conn, event, voucher, &refused).await
            }
        }
    }

    /// A step of a procedure that holds a voucher: a refusal gives it back (p. 5), a result
    /// uses it (Art. 29.4), an appeal upheld makes a fail a pass (p. 23). A step of a
    /// procedure the voucher was not redeemed for changes nothing.
    pub async fn advanced(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let e: recognition::ProcedureAdvanced = event.decode()?;
        if e.voucher_id.is_empty() {
            return Ok(());
        }
        let application = uuid(&e.application_id, "application id")?;
        let voucher = uuid(&e.voucher_id, "voucher id")?;
        let Some(mut stored) = store::lock_voucher(conn, voucher).await? else {
            return Ok(());
        };
        if stored.application_id != Some(application) {
            return Ok(());
        }
        let on = date(&e.on, "step day")?;
        let center = center(&e.center_number)?;
        let redeemed = matches!(stored.voucher.status, Status::Redeemed { .. });
        match recognition::Stage::try_from(e.stage) {
            Ok(recognition::Stage::Refused) if redeemed => {
                stored
                    .voucher
                    .release(center)
                    .map_err(|r| HandlerError::Permanent(r.0))?;
                stored.application_id = None;
                self.save(conn, &mut stored, on).await?;
                let released = pb::VoucherReleased {
                    voucher: Some(voucher_to_proto(&stored)),
                    application_id: application.to_string(),
                };
                self.publish(conn, event, voucher, &released).await
            }
            Ok(recognition::Stage::Failed) if redeemed => {
                self.use_it(conn, event, &mut stored, center, Outcome::Failed, on)
                    .await
            }
            Ok(recognition::Stage::Passed | recognition::Stage::AppealUpheld) => {
                self.passed(conn, event, &mut stored, center, None, on)
                    .await
            }
            _ => Ok(()),
        }
    }

    /// A document naming a voucher: after its procedure on the platform, the pass gets its
    /// serial (p. 18); without one (paper), the voucher its center redeemed is used by it.
    pub async fn document_issued(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
        e: &documents::DocumentIssued,
    ) -> Result<(), HandlerError> {
        let voucher = uuid(&e.voucher_id, "voucher id")?;
        let Some(mut stored) = store::lock_voucher(conn, voucher).await? else {
            return Err(HandlerError::Permanent(format!(
                "voucher {voucher} is unknown"
            )));
        };
        let center = center(&e.center_number)?;
        let on = date(&e.issue_date, "issue date")?;
        let of_procedure = !e.procedure_id.is_empty()
            && stored.application_id == Some(uuid(&e.procedure_id, "procedure id")?);
        if of_procedure {
            return self
                .passed(conn, event, &mut stored, center, Some(&e.serial_number), on)
                .await;
        }
        if let Status::Used {
            outcome: Outcome::Passed { document_serial },
            ..
        } = &stored.voucher.status
        {
            if *document_serial == e.serial_number {
                return Ok(()); // heard before
            }
        }
        self.use_it(
            conn,
            event,
            &mut stored,
            center,
            Outcome::Passed {
                document_serial: e.serial_number.clone(),
            },
            on,
        )
        .await?;
        tracing::info!(voucher = %stored.number, document = %e.serial_number, "voucher used by a passed procedure");
        Ok(())
    }

    /// A pass of the voucher's procedure: a redeemed voucher is used by it; a used one has its
    /// outcome revised (an appeal upheld after a fail; the document's serial).
    async fn passed(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
        stored: &mut StoredVoucher,
        center: CenterNumber,
        serial: Option<&str>,
        on: NaiveDate,
    ) -> Result<(), HandlerError> {
        if matches!(stored.voucher.status, Status::Redeemed { .. }) {
            let outcome = Outcome::Passed {
                document_serial: serial.unwrap_or_default().to_string(),
            };
            return self.use_it(conn, event, stored, center, outcome, on).await;
        }
        let changed = stored
            .voucher
            .revise_to_pass(serial)
            .map_err(|r| HandlerError::Permanent(r.0))?;
        if !changed {
            return Ok(());
        }
        stored.updated_at = Utc::now();
        store::save_voucher(conn, stored).await?;
        store::claim_passed(conn, stored.voucher.id, serial).await?;
        let used = pb::VoucherUsed {
            voucher: Some(voucher_to_proto(stored)),
            document_serial: serial.unwrap_or_default().to_string(),
        };
        self.publish(conn, event, stored.voucher.id, &used).await
    }

    /// Art. 29.4: the procedure used the voucher; the center claims the passage.
    async fn use_it(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
        stored: &mut StoredVoucher,
        center: CenterNumber,
        outcome: Outcome,
        on: NaiveDate,
    ) -> Result<(), HandlerError> {
        let Status::Redeemed { profession, .. } = stored.voucher.status else {
            return Err(HandlerError::Permanent(format!(
                "voucher {} is {}: a procedure uses only a voucher its center redeemed (Art. 29.2)",
                stored.number,
                stored.voucher.status.code()
            )));
        };
        let holder = stored.voucher.holder_iin.clone();
        let serial = match &outcome {
            Outcome::Passed { document_serial } => document_serial.clone(),
            Outcome::Failed => String::new(),
        };
        stored
            .voucher
            .use_for(center, &holder, profession, outcome, on)
            .map_err(|r| HandlerError::Permanent(r.0))?;
        self.save(conn, stored, on).await?;
        store::insert_claim(conn, &ClaimRow::for_used(stored, center, on)).await?;
        let used = pb::VoucherUsed {
            voucher: Some(voucher_to_proto(stored)),
            document_serial: serial,
        };
        self.publish(conn, event, stored.voucher.id, &used).await
    }
}

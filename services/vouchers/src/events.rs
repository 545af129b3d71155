//! What vouchers hears: the register of professions and accreditation's certificates, kept as
//! read models for redemption (Art. 29.2); and the registry's documents, which use the
//! vouchers they name (Art. 29.4).

use chrono::NaiveDate;
use nsk_events::heard::Heard;
use nsk_events::{HandlerError, ReceivedEvent};
use nsk_proto::nsk::documents::v1 as documents;
use nsk_proto::nsk::vouchers::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

/// What vouchers hears; a document naming a voucher uses it (Art. 29.4).
pub struct Inputs {
    pub outbox: nsk_events::Outbox,
}

fn date(raw: &str, what: &str) -> Result<NaiveDate, HandlerError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| HandlerError::Permanent(format!("{what} {raw:?} is not a date")))
}

fn uuid(raw: &str, what: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(raw)
        .map_err(|_| HandlerError::Permanent(format!("{what} {raw:?} is not a UUID")))
}

impl nsk_events::EventHandler for Inputs {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        if event.is::<documents::DocumentIssued>() {
            let e: documents::DocumentIssued = event.decode()?;
            if !e.voucher_id.is_empty() && !e.migrated {
                self.used_by_document(conn, event, &e).await?;
            }
        } else if let Some(heard) = nsk_events::heard::hear(event)? {
            match heard {
                Heard::Certificate {
                    certificate,
                    replaces,
                } => {
                    crate::store::hear_certificate(conn, &certificate).await?;
                    if let Some((id, since)) = replaces {
                        crate::store::certificate_replaced(conn, id, since).await?;
                    }
                }
                Heard::Profession(p) => {
                    crate::store::hear_profession(conn, p.id, p.active, &p.nqf_levels, p.version)
                        .await?;
                }
            }
        }
        Ok(())
    }
}

impl Inputs {
    /// Art. 29.4: a passed procedure's document names the voucher: it is used, and the center
    /// claims the reimbursement. The registry has checked the voucher is the one its center
    /// redeemed for this holder and profession.
    async fn used_by_document(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
        e: &documents::DocumentIssued,
    ) -> Result<(), HandlerError> {
        let id = uuid(&e.voucher_id, "voucher id")?;
        let Some(mut stored) = crate::store::lock_voucher(conn, id).await? else {
            return Err(HandlerError::Permanent(format!("voucher {id} is unknown")));
        };
        if let crate::domain::voucher::Status::Used {
            outcome: crate::domain::voucher::Outcome::Passed { document_serial },
            ..
        } = &stored.voucher.status
        {
            if *document_serial == e.serial_number {
                return Ok(()); // heard before
            }
        }
        let center = nsk_kz::CenterNumber::parse(&e.center_number)
            .map_err(|_| HandlerError::Permanent(format!("center number {:?}", e.center_number)))?;
        let on = date(&e.issue_date, "issue date")?;
        let holder = stored.voucher.holder_iin.clone();
        stored
            .voucher
            .use_for(
                center,
                &holder,
                uuid(&e.profession_id, "profession id")?,
                crate::domain::voucher::Outcome::Passed {
                    document_serial: e.serial_number.clone(),
                },
                on,
            )
            .map_err(|refused| HandlerError::Permanent(refused.0))?;
        stored.status_since = on;
        stored.updated_at = chrono::Utc::now();
        crate::store::save_voucher(conn, &stored).await?;
        crate::store::insert_claim(
            conn,
            &crate::store::ClaimRow {
                id: Uuid::now_v7(),
                voucher_id: id,
                center_number: center,
                region: stored.voucher.region.clone(),
                amount_tiyn: stored.voucher.rate_tiyn,
                outcome: "passed".into(),
                document_serial: Some(e.serial_number.clone()),
                status: "claimed".into(),
                reason: None,
                claimed_on: on,
                updated_at: chrono::Utc::now(),
            },
        )
        .await?;
        let key = id.to_string();
        let context = nsk_events::EventContext {
            actor: event.envelope.actor.clone(),
            request_id: event.envelope.event_id.clone(),
        };
        let used = pb::VoucherUsed {
            voucher: Some(crate::convert::voucher_to_proto(&stored)),
            document_serial: e.serial_number.clone(),
        };
        self.outbox
            .append_next(conn, crate::cases::VOUCHER, &key, &context, &used)
            .await?;
        tracing::info!(voucher = %stored.number, document = %e.serial_number, "voucher used by a passed procedure");
        Ok(())
    }
}

//! What vouchers hears: the register of professions and accreditation's certificates, kept as
//! read models for redemption (Art. 29.2); the procedures on the platform, which redeem, give
//! back and use the vouchers applied with, and the registry's documents, which use the
//! vouchers they name (Art. 29.4) — see [`crate::procedure`].

use nsk_events::heard::Heard;
use nsk_events::{HandlerError, ReceivedEvent};
use nsk_proto::nsk::documents::v1 as documents;
use nsk_proto::nsk::recognition::v1 as recognition;

use crate::procedure::Procedures;
use sqlx::PgConnection;

/// What vouchers hears; a document naming a voucher uses it (Art. 29.4).
pub struct Inputs {
    pub outbox: nsk_events::Outbox,
}

impl nsk_events::EventHandler for Inputs {
    /// Of the registry's documents only those naming a voucher concern the register (most
    /// name none): the rest are passed over without a transaction.
    fn wants(&self, event: &ReceivedEvent) -> bool {
        if !event.is::<documents::DocumentIssued>() {
            return true;
        }
        // One that cannot be decoded goes on to `handle`, which dead-letters it.
        event
            .decode::<documents::DocumentIssued>()
            .map_or(true, |e| !e.voucher_id.is_empty() && !e.migrated)
    }

    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let procedures = Procedures {
            outbox: &self.outbox,
        };
        if event.is::<documents::DocumentIssued>() {
            let e: documents::DocumentIssued = event.decode()?;
            if !e.voucher_id.is_empty() && !e.migrated {
                procedures.document_issued(conn, event, &e).await?;
            }
        } else if event.is::<recognition::VoucherPresented>() {
            procedures.presented(conn, event).await?;
        } else if event.is::<recognition::ProcedureAdvanced>() {
            procedures.advanced(conn, event).await?;
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

//! What vouchers hears: the register of professions and accreditation's certificates, kept as
//! read models for redemption (Art. 29.2); and the registry's documents, which use the
//! vouchers they name (Art. 29.4).

use chrono::NaiveDate;
use nsk_events::{HandlerError, ReceivedEvent};
use nsk_proto::nsk::accreditation::v1 as accreditation;
use nsk_proto::nsk::documents::v1 as documents;
use nsk_proto::nsk::professions::v1 as professions;
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

fn status_code(status: i32) -> &'static str {
    use accreditation::CertificateStatus as S;
    match S::try_from(status) {
        Ok(S::Active) => "active",
        Ok(S::Revoked) => "revoked",
        Ok(S::Terminated) => "terminated",
        Ok(S::Expired) => "expired",
        Ok(S::Replaced) => "replaced",
        _ => "unknown",
    }
}

async fn hear_certificate(
    conn: &mut PgConnection,
    c: Option<accreditation::Certificate>,
) -> Result<(), HandlerError> {
    let c = c.ok_or_else(|| HandlerError::Permanent("the event carries no certificate".into()))?;
    let scope = serde_json::Value::Array(
        c.scope
            .iter()
            .map(|s| serde_json::json!({"profession_id": s.profession_id, "nqf_levels": s.nqf_levels}))
            .collect(),
    );
    let certificate = crate::store::HeardCertificate {
        id: uuid(&c.id, "certificate id")?,
        center: nsk_kz::CenterNumber::parse(&c.center_number)
            .map_err(|_| HandlerError::Permanent(format!("center number {:?}", c.center_number)))?,
        status: status_code(c.status),
        status_since: date(&c.status_since, "status_since")?,
        valid_from: date(&c.valid_from, "valid_from")?,
        valid_until: date(&c.valid_until, "valid_until")?,
        scope,
    };
    crate::store::hear_certificate(conn, &certificate).await?;
    Ok(())
}

/// The certificate a revocation, renewal or termination carries (its new status); `None` for
/// any other event.
fn certificate_changed(
    event: &ReceivedEvent,
) -> Result<Option<Option<accreditation::Certificate>>, HandlerError> {
    Ok(if event.is::<accreditation::CertificateRevoked>() {
        Some(
            event
                .decode::<accreditation::CertificateRevoked>()?
                .certificate,
        )
    } else if event.is::<accreditation::CertificateRenewed>() {
        Some(
            event
                .decode::<accreditation::CertificateRenewed>()?
                .certificate,
        )
    } else if event.is::<accreditation::CertificateTerminated>() {
        Some(
            event
                .decode::<accreditation::CertificateTerminated>()?
                .certificate,
        )
    } else {
        None
    })
}

async fn replaced(conn: &mut PgConnection, id: &str, since: &str) -> Result<(), HandlerError> {
    if id.is_empty() {
        return Ok(());
    }
    crate::store::certificate_replaced(
        conn,
        uuid(id, "replaced certificate id")?,
        date(since, "replaced since")?,
    )
    .await?;
    Ok(())
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
        } else if event.is::<accreditation::CertificateIssued>() {
            let e: accreditation::CertificateIssued = event.decode()?;
            let since = e
                .certificate
                .as_ref()
                .map(|c| c.valid_from.clone())
                .unwrap_or_default();
            hear_certificate(conn, e.certificate).await?;
            replaced(conn, &e.replaced_certificate_id, &since).await?;
        } else if event.is::<accreditation::CertificateReissued>() {
            let e: accreditation::CertificateReissued = event.decode()?;
            let since = e
                .certificate
                .as_ref()
                .map(|c| c.valid_from.clone())
                .unwrap_or_default();
            hear_certificate(conn, e.certificate).await?;
            replaced(conn, &e.previous_certificate_id, &since).await?;
        } else if let Some(certificate) = certificate_changed(event)? {
            hear_certificate(conn, certificate).await?;
        } else {
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
            let p = entry
                .ok_or_else(|| HandlerError::Permanent("the event carries no profession".into()))?;
            crate::store::hear_profession(
                conn,
                uuid(&p.id, "profession id")?,
                p.status == professions::ProfessionStatus::Active as i32,
                &p.nqf_levels,
                p.version,
            )
            .await?;
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

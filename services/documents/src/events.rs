//! Events the registry consumes into its own read models: the register of professions, the
//! register of recognition centers, the vouchers, and the procedures that passed.

use crate::domain::cancellation::Ground;
use chrono::NaiveDate;
use nsk_events::{EventHandler, HandlerError, ReceivedEvent};
use nsk_proto::nsk::accreditation::v1 as accreditation;
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

/// Keeps the registry's copy of the register of recognition centers from accreditation's
/// events: every certificate, each status with the day it took effect, and the documents a
/// revocation on ground 4 names for cancellation (Art. 26.2).
pub struct KnownCenters {
    pub outbox: nsk_events::Outbox,
}

fn status_code(status: i32) -> Result<&'static str, HandlerError> {
    use accreditation::CertificateStatus as S;
    Ok(match S::try_from(status) {
        Ok(S::Active) => "active",
        Ok(S::Revoked) => "revoked",
        Ok(S::Terminated) => "terminated",
        Ok(S::Expired) => "expired",
        Ok(S::Replaced) => "replaced",
        _ => {
            return Err(HandlerError::Permanent(format!(
                "certificate status {status} is not one this registry knows"
            )))
        }
    })
}

fn date(raw: &str, what: &str) -> Result<NaiveDate, HandlerError> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| HandlerError::Permanent(format!("{what} {raw:?} is not a date")))
}

fn uuid(raw: &str, what: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(raw)
        .map_err(|_| HandlerError::Permanent(format!("{what} {raw:?} is not a UUID")))
}

impl KnownCenters {
    /// Stores the certificate as the event carries it and its status from `status_since`;
    /// returns its id and center number.
    async fn apply_certificate(
        conn: &mut PgConnection,
        certificate: Option<accreditation::Certificate>,
        event_id: Uuid,
    ) -> Result<(Uuid, nsk_kz::CenterNumber, NaiveDate), HandlerError> {
        let c = certificate
            .ok_or_else(|| HandlerError::Permanent("the event carries no certificate".into()))?;
        let id = uuid(&c.id, "certificate id")?;
        let number: nsk_kz::CenterNumber = c
            .center_number
            .parse()
            .map_err(|_| HandlerError::Permanent(format!("center number {:?}", c.center_number)))?;
        let since = date(&c.status_since, "status_since")?;
        store::upsert_center(conn, number, &c.center_bin, &c.center_name).await?;
        let row = store::KnownCertificateRow {
            certificate_id: id,
            center_number: number,
            serial_number: c.serial_number.clone(),
            valid_from: date(&c.valid_from, "valid_from")?,
            valid_until: date(&c.valid_until, "valid_until")?,
            snapshot: c.encode_to_vec(),
        };
        store::upsert_certificate(conn, &row).await?;
        store::add_certificate_status(conn, id, status_code(c.status)?, since, event_id).await?;
        Ok((id, number, since))
    }
}

impl EventHandler for KnownCenters {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let event_id = uuid(&event.envelope.event_id, "event id")?;
        // A certificate that replaces another (re-accreditation, reissue) ends the other's
        // activity from its own first day.
        let (certificate, replaced) = if event.is::<accreditation::CertificateIssued>() {
            let e: accreditation::CertificateIssued = event.decode()?;
            (e.certificate, e.replaced_certificate_id)
        } else if event.is::<accreditation::CertificateReissued>() {
            let e: accreditation::CertificateReissued = event.decode()?;
            (e.certificate, e.previous_certificate_id)
        } else if event.is::<accreditation::CertificateRevoked>() {
            let e: accreditation::CertificateRevoked = event.decode()?;
            let (id, number, since) =
                Self::apply_certificate(conn, e.certificate, event_id).await?;
            let basis = e
                .basis
                .as_ref()
                .map(|b| format!("{} of {}", b.number, b.date))
                .unwrap_or_default();
            store::add_cancellations_by_revocation(
                conn,
                &e.document_serial_numbers,
                id,
                number,
                since,
                &basis,
            )
            .await?;
            // Art. 26.2: the documents named are cancelled, and the cancellation published.
            let b = e.basis.clone().unwrap_or_default();
            let record = store::CancellationRecord {
                cancelled_on: since,
                reason: format!(
                    "the accreditation certificate of center {number} was revoked on confirmed complaints (Art. 26.2.4)"
                ),
                basis: nsk_errors::fields::Document {
                    number: b.number,
                    date: date(&b.date, "basis date").unwrap_or(since),
                    title: b.title,
                },
                ground: Some(Ground::RevocationOnComplaints),
                replaced_by: None,
            };
            // Only the revoked center's own documents, whatever the event names.
            let cancelled = store::cancel_documents(
                conn,
                &[],
                &e.document_serial_numbers,
                Some(number),
                &record,
            )
            .await?;
            let context = nsk_events::EventContext {
                actor: event.envelope.actor.clone(),
                request_id: event.envelope.event_id.clone(),
            };
            crate::publish::cancellations(&self.outbox, conn, &context, &cancelled).await?;
            tracing::info!(certificate_id = %id, center = %number, documents = e.document_serial_numbers.len(), "certificate revoked");
            return Ok(());
        } else if event.is::<accreditation::CertificateRenewed>() {
            (
                event
                    .decode::<accreditation::CertificateRenewed>()?
                    .certificate,
                String::new(),
            )
        } else if event.is::<accreditation::CertificateTerminated>() {
            (
                event
                    .decode::<accreditation::CertificateTerminated>()?
                    .certificate,
                String::new(),
            )
        } else if event.is::<accreditation::CertificateScopeChanged>() {
            (
                event
                    .decode::<accreditation::CertificateScopeChanged>()?
                    .certificate,
                String::new(),
            )
        } else {
            return Ok(());
        };
        let (id, number, since) = Self::apply_certificate(conn, certificate, event_id).await?;
        if !replaced.is_empty() {
            let old = uuid(&replaced, "replaced certificate id")?;
            store::add_certificate_status(conn, old, "replaced", since, event_id).await?;
        }
        tracing::info!(certificate_id = %id, center = %number, "recognition center updated");
        Ok(())
    }
}

/// Everything the registry consumes, routed by the package of the event type.
pub struct RegistryInputs {
    pub outbox: nsk_events::Outbox,
    /// The working-day calendar, which the authorized body keeps in the register.
    pub calendar: nsk_runtime::calendar::CalendarFollower,
}

impl EventHandler for RegistryInputs {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        if nsk_runtime::calendar::CalendarFollower::takes(event) {
            self.calendar.handle(conn, event).await
        } else if event.envelope.event_type.starts_with("nsk.vouchers.") {
            hear_voucher(conn, event).await
        } else if event.envelope.event_type.starts_with("nsk.recognition.") {
            hear_passed_procedure(conn, event).await
        } else if event.envelope.event_type.starts_with("nsk.accreditation.") {
            KnownCenters {
                outbox: self.outbox.clone(),
            }
            .handle(conn, event)
            .await
        } else {
            ProfessionsReadModel.handle(conn, event).await
        }
    }
}

/// Keeps the procedures that passed (or were upheld on appeal), for the documents that name
/// them (Rules p. 18, 23); the procedure's other steps are not the registry's concern.
async fn hear_passed_procedure(
    conn: &mut PgConnection,
    event: &ReceivedEvent,
) -> Result<(), HandlerError> {
    use nsk_proto::nsk::recognition::v1 as recognition;
    if !event.is::<recognition::ProcedurePassed>() {
        return Ok(());
    }
    let e: recognition::ProcedurePassed = event.decode()?;
    let uuid = |raw: &str, what: &str| {
        Uuid::parse_str(raw)
            .map_err(|_| HandlerError::Permanent(format!("{what} {raw:?} is not a UUID")))
    };
    let date = |raw: &str, what: &str| {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| HandlerError::Permanent(format!("{what} {raw:?} is not a date")))
    };
    let procedure = crate::domain::procedure::PassedProcedure {
        application_id: uuid(&e.application_id, "application id")?,
        center: nsk_kz::CenterNumber::parse(&e.center_number)
            .map_err(|_| HandlerError::Permanent(format!("center number {:?}", e.center_number)))?,
        profession_id: uuid(&e.profession_id, "profession id")?,
        nqf_level: e.nqf_level,
        held_on: date(&e.held_on, "held_on")?,
        holder_iin: e.holder_iin.clone(),
        holder_document: (!e.holder_document_number.is_empty()).then(|| {
            (
                e.holder_document_number.clone(),
                e.holder_document_country.clone(),
            )
        }),
        protocol_number: e.protocol_number.clone(),
        protocol_date: date(&e.protocol_date, "protocol_date")?,
        voucher_id: match e.voucher_id.as_str() {
            "" => None,
            raw => Some(uuid(raw, "voucher id")?),
        },
        document_id: None,
    };
    store::hear_passed_procedure(conn, &procedure).await?;
    Ok(())
}

/// Keeps the vouchers as their register publishes them (Art. 29.2, 29.4).
async fn hear_voucher(conn: &mut PgConnection, event: &ReceivedEvent) -> Result<(), HandlerError> {
    use nsk_proto::nsk::vouchers::v1 as vouchers;
    let voucher = if event.is::<vouchers::VoucherIssued>() {
        event.decode::<vouchers::VoucherIssued>()?.voucher
    } else if event.is::<vouchers::VoucherRedeemed>() {
        event.decode::<vouchers::VoucherRedeemed>()?.voucher
    } else if event.is::<vouchers::VoucherReleased>() {
        event.decode::<vouchers::VoucherReleased>()?.voucher
    } else if event.is::<vouchers::VoucherUsed>() {
        event.decode::<vouchers::VoucherUsed>()?.voucher
    } else if event.is::<vouchers::VoucherExtended>() {
        event.decode::<vouchers::VoucherExtended>()?.voucher
    } else if event.is::<vouchers::VoucherExpired>() {
        event.decode::<vouchers::VoucherExpired>()?.voucher
    } else if event.is::<vouchers::VoucherCancelled>() {
        event.decode::<vouchers::VoucherCancelled>()?.voucher
    } else {
        return Ok(());
    };
    let v =
        voucher.ok_or_else(|| HandlerError::Permanent("the event carries no voucher".into()))?;
    let status = match vouchers::VoucherStatus::try_from(v.status) {
        Ok(vouchers::VoucherStatus::Issued) => "issued",
        Ok(vouchers::VoucherStatus::Redeemed) => "redeemed",
        Ok(vouchers::VoucherStatus::Used) => "used",
        Ok(vouchers::VoucherStatus::Expired) => "expired",
        Ok(vouchers::VoucherStatus::Cancelled) => "cancelled",
        _ => {
            return Err(HandlerError::Permanent(format!(
                "voucher status {}",
                v.status
            )))
        }
    };
    let known = crate::domain::voucher::KnownVoucher {
        number: v.number.clone(),
        holder_iin: v.holder_iin.clone(),
        status: status.to_string(),
        center_number: v.center_number.parse().ok(),
        profession_id: Uuid::parse_str(&v.profession_id).ok(),
    };
    store::hear_voucher(conn, uuid(&v.id, "voucher id")?, &known).await?;
    Ok(())
}

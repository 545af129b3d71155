//! Notices to centers via the platform (Art. 26.4: "A copy of the decision to revoke the
//! accreditation certificate is sent to the recognition center electronically via the digital
//! platform ... within three working days"). A decision on a center's certificate is delivered
//! to the center's notices in the transaction that records it; the center reads them with its
//! own credentials.

use chrono::{NaiveDate, Utc};
use nsk_errors::ApiError;
use nsk_identity::{Caller, Role};
use nsk_proto::nsk::accreditation::v1 as pb;
use nsk_proto::nsk::common::v1 as common;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::store::notices::{self, NoticeRow};
use crate::store::{Document, StoredCertificate};

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Revocation,
    Renewal,
    Termination,
}

impl Kind {
    fn code(self) -> &'static str {
        match self {
            Kind::Revocation => "revocation",
            Kind::Renewal => "renewal",
            Kind::Termination => "termination",
        }
    }

    fn to_proto(code: &str) -> pb::NoticeKind {
        match code {
            "revocation" => pb::NoticeKind::Revocation,
            "renewal" => pb::NoticeKind::Renewal,
            "termination" => pb::NoticeKind::Termination,
            _ => pb::NoticeKind::Unspecified,
        }
    }
}

/// Delivers a notice of `kind` about certificate `c`, decided on `decided_on`, today.
pub async fn deliver(
    conn: &mut PgConnection,
    c: &StoredCertificate,
    kind: Kind,
    decided_on: NaiveDate,
    delivered_on: NaiveDate,
    text: String,
    basis: Option<Document>,
) -> Result<(), sqlx::Error> {
    let row = NoticeRow {
        id: Uuid::now_v7(),
        center_number: c.center_number,
        kind: kind.code().to_string(),
        certificate_id: c.id,
        certificate_serial_number: c.serial_number.clone(),
        decided_on,
        delivered_on,
        text,
        basis,
        first_read_at: None,
    };
    notices::deliver(conn, &row).await?;
    tracing::info!(
        center = %c.center_number,
        kind = kind.code(),
        "notice delivered to the center"
    );
    Ok(())
}

/// The notices of the center asked for: to that center itself (its first read recorded), and
/// to NCE officers, the authorized body and auditors.
pub async fn list(
    pool: &PgPool,
    caller: &Caller,
    request: &pb::ListNoticesRequest,
) -> Result<pb::ListNoticesResponse, ApiError> {
    let raw = request.center_number.trim();
    let center = nsk_kz::CenterNumber::parse(raw)
        .map_err(|rule| ApiError::invalid_field("center_number", rule))?;
    let number = center;
    let identity = caller.require(&[
        Role::RecognitionCenter,
        Role::NceOfficer,
        Role::AuthorizedBodyAdmin,
        Role::Auditor,
    ])?;
    let official = [Role::NceOfficer, Role::AuthorizedBodyAdmin, Role::Auditor]
        .iter()
        .any(|r| identity.has(*r));
    let own = identity.own_center().ok() == Some(center);
    if !official && !own {
        return Err(ApiError::permission_denied(format!(
            "a center reads only its own notices: the token of {} is for center {}, not {center}",
            identity.subject,
            identity
                .center
                .map_or_else(|| "none".to_string(), |c| c.to_string())
        )));
    }
    let mut tx = pool.begin().await?;
    let rows = notices::of_center(&mut tx, number).await?;
    if own {
        notices::mark_read(&mut tx, number, &identity.subject, Utc::now()).await?;
    }
    tx.commit().await?;
    Ok(pb::ListNoticesResponse {
        notices: rows
            .into_iter()
            .map(|n| pb::Notice {
                id: n.id.to_string(),
                kind: Kind::to_proto(&n.kind) as i32,
                certificate_id: n.certificate_id.to_string(),
                certificate_serial_number: n.certificate_serial_number,
                decided_on: n.decided_on.to_string(),
                delivered_on: n.delivered_on.to_string(),
                text: n.text,
                basis: n.basis.map(|b| common::BasisDocument {
                    number: b.number,
                    date: b.date.to_string(),
                    title: b.title,
                }),
                first_read_at: n
                    .first_read_at
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default(),
            })
            .collect(),
    })
}

/// The words of a revocation notice.
pub fn revocation_text(
    c: &StoredCertificate,
    ground: u8,
    article: &str,
    decided_on: NaiveDate,
    documents: &[String],
) -> String {
    let mut text = format!(
        "By the decision of {decided_on} the National Chamber of Entrepreneurs revoked accreditation certificate {} of recognition center {} on ground {ground} ({article}).",
        c.serial_number,
        c.center_number
    );
    if !documents.is_empty() {
        text.push_str(&format!(
            " The documents confirmed in complaints are cancelled (Art. 26.2.4): {}.",
            documents.join(", ")
        ));
    }
    text.push_str(" Once the violations are eliminated the center may report it for a decision on renewal (Art. 26.5).");
    text
}

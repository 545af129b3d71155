//! The reads: an application or certificate with its case (steps, deadlines, statuses); the
//! lists of applications and of centers, each page in a fixed number of queries whatever its
//! size; the overdue deadlines.

use std::collections::HashMap;

use chrono::NaiveDate;
use nsk_errors::ApiError;
use nsk_proto::nsk::accreditation::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Accreditation;
use crate::convert::{
    application_to_proto, calendar_error, certificate_for_event, certificate_to_proto,
    public_certificate, scope_to_proto, status_history_to_proto, status_to_proto,
};
use crate::domain::application::Stage;
use crate::domain::certificate::Status as CertStatus;
use crate::domain::listing;
use crate::store::{self, Center, StoredCertificate};

/// What a list of centers asks for.
pub struct CenterFilter {
    pub status: Option<CertStatus>,
    pub profession_id: Option<Uuid>,
    pub not_renewable_only: bool,
    /// Keyset: the last center number of the previous page.
    pub after: i32,
    pub limit: i64,
}

/// What a list of applications asks for.
pub struct ApplicationFilter<'a> {
    pub stage: Option<Stage>,
    pub bin: Option<&'a str>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

impl Accreditation {
    /// An application with its case, and the founders it shares with centers listed as not
    /// subject to renewal (Art. 26.5), for the officer to see.
    pub async fn application(&self, id: Uuid) -> Result<pb::Application, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let found = store::get_application(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application", &id.to_string()))?;
        let steps = store::steps(&mut conn, id).await?;
        let deadline_rows = store::deadlines(&mut conn, id).await?;
        let listed = store::listed_centers(&mut conn).await?;
        let mut reply = application_to_proto(&found, &steps, &deadline_rows);
        reply.not_renewable_matches = listing::founder_matches(&found.form.founders, &listed)
            .into_iter()
            .map(|m| pb::NotRenewableMatch {
                founder: m.founder,
                center_number: m.center_number.to_string(),
                center_name: m.center_name,
                listed_since: m.since.to_string(),
            })
            .collect();
        Ok(reply)
    }

    /// A page of applications with their cases: three queries, whatever the page size.
    pub async fn applications(
        &self,
        filter: &ApplicationFilter<'_>,
    ) -> Result<Vec<pb::Application>, ApiError> {
        let found = store::list_applications(
            &self.pool,
            filter.stage,
            filter.bin,
            filter.after,
            filter.limit,
        )
        .await?;
        let ids: Vec<Uuid> = found.iter().map(|a| a.id).collect();
        let mut conn = self.pool.acquire().await?;
        let steps = store::steps_of(&mut conn, &ids).await?;
        let deadlines = store::deadlines_of(&mut conn, &ids).await?;
        Ok(found
            .iter()
            .map(|a| {
                application_to_proto(
                    a,
                    steps.get(&a.id).map_or(&[][..], Vec::as_slice),
                    deadlines.get(&a.id).map_or(&[][..], Vec::as_slice),
                )
            })
            .collect())
    }

    /// A certificate with its case and its statuses.
    pub async fn certificate(&self, id: Uuid) -> Result<pb::Certificate, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let found = store::get_certificate(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found("certificate", &id.to_string()))?;
        let steps = store::steps(&mut conn, id).await?;
        let deadline_rows = store::deadlines(&mut conn, id).await?;
        let history = store::status_history(&mut conn, &[id]).await?;
        let mut reply = certificate_to_proto(&found, &steps, &deadline_rows);
        reply.status_history =
            status_history_to_proto(history.get(&id).map_or(&[][..], Vec::as_slice));
        Ok(reply)
    }

    /// A center of the register; the case of its certificates only when `case`.
    pub async fn center(
        &self,
        number: nsk_kz::CenterNumber,
        case: bool,
    ) -> Result<pb::Center, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let center = store::get_center(&mut conn, number)
            .await?
            .ok_or_else(|| ApiError::not_found("recognition center", &number.to_string()))?;
        let mut page = centers_to_proto(&mut conn, std::slice::from_ref(&center), case).await?;
        page.pop()
            .ok_or_else(|| ApiError::internal("a center read back empty"))
    }

    /// A page of the register of centers: four queries, whatever the page size.
    pub async fn centers(
        &self,
        filter: &CenterFilter,
        case: bool,
    ) -> Result<Vec<pb::Center>, ApiError> {
        let found = store::list_centers(
            &self.pool,
            filter.status,
            filter.profession_id,
            filter.not_renewable_only,
            filter.after,
            filter.limit,
        )
        .await?;
        let mut conn = self.pool.acquire().await?;
        centers_to_proto(&mut conn, &found, case).await
    }

    /// The deadlines not met by `as_of`, with the working days they are overdue.
    pub async fn overdue(&self, as_of: NaiveDate) -> Result<Vec<pb::OverdueCase>, ApiError> {
        let rows = store::overdue(&self.pool, as_of).await?;
        let calendar = self.calendar.current();
        rows.into_iter()
            .map(|row| {
                let days_overdue = calendar
                    .working_days_between(row.due, as_of)
                    .map_err(calendar_error)?;
                Ok(pb::OverdueCase {
                    case_id: row.case_id.to_string(),
                    what: row.kind.what().to_string(),
                    article: row.kind.article().to_string(),
                    due_date: row.due.to_string(),
                    days_overdue: i32::try_from(days_overdue).unwrap_or(i32::MAX),
                })
            })
            .collect()
    }
}

/// Centers in the register: no personal data, but the founders of a center not subject to
/// renewal, which the law publishes (Art. 26.5); the case only for those who read it (`case`).
async fn centers_to_proto(
    conn: &mut PgConnection,
    centers: &[Center],
    case: bool,
) -> Result<Vec<pb::Center>, ApiError> {
    let numbers: Vec<nsk_kz::CenterNumber> = centers.iter().map(|c| c.number).collect();
    let certificates = store::certificates_of_centers(conn, &numbers).await?;
    let ids: Vec<Uuid> = certificates.values().flatten().map(|c| c.id).collect();
    let history = store::status_history(conn, &ids).await?;
    let successors = store::successor_centers(conn, &numbers).await?;
    let none: Vec<StoredCertificate> = Vec::new();
    Ok(centers
        .iter()
        .map(|center| {
            let own = certificates.get(&center.number).unwrap_or(&none);
            center_to_proto(center, own, &history, &successors, case)
        })
        .collect())
}

fn center_to_proto(
    center: &Center,
    certificates: &[StoredCertificate],
    history: &HashMap<Uuid, Vec<(CertStatus, NaiveDate)>>,
    successors: &HashMap<nsk_kz::CenterNumber, Vec<nsk_kz::CenterNumber>>,
    case: bool,
) -> pb::Center {
    let register = |c: &StoredCertificate| {
        let mut reply = certificate_for_event(c);
        reply.status_history =
            status_history_to_proto(history.get(&c.id).map_or(&[][..], Vec::as_slice));
        if case {
            reply
        } else {
            public_certificate(reply)
        }
    };
    let current = certificates
        .iter()
        .find(|c| Some(c.id) == center.current_certificate_id)
        .or(certificates.last());
    pb::Center {
        center_number: center.number.to_string(),
        bin: center.bin.clone(),
        name: center.name.clone(),
        status: current.map_or(pb::CertificateStatus::Unspecified, |c| {
            status_to_proto(c.status())
        }) as i32,
        scope: current
            .map(|c| scope_to_proto(&c.scope))
            .unwrap_or_default(),
        certificates: certificates.iter().map(register).collect(),
        predecessor_center_number: center
            .predecessor_number
            .map(|n| n.to_string())
            .unwrap_or_default(),
        successor_center_numbers: successors
            .get(&center.number)
            .map(|s| s.iter().map(|n| n.to_string()).collect())
            .unwrap_or_default(),
        not_renewable: center.not_renewable_since.is_some(),
        founders: if center.not_renewable_since.is_some() {
            center.founders.clone()
        } else {
            Vec::new()
        },
    }
}

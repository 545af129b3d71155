//! The gRPC face of the documents registry. Methods of the documents issue answer UNIMPLEMENTED
//! until it lands.

use chrono::NaiveDate;
use nsk_errors::ApiError;
use nsk_proto::nsk::accreditation::v1 as accreditation;
use nsk_proto::nsk::documents::v1 as pb;
use nsk_proto::nsk::documents::v1::document_registry_server::DocumentRegistry;
use nsk_proto::nsk::professions::v1 as professions;
use prost::Message;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::store;

pub struct DocumentsApi {
    pool: PgPool,
}

impl DocumentsApi {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[tonic::async_trait]
impl DocumentRegistry for DocumentsApi {
    /// Public: what the registry knows of a recognition center, and whether it could act on a
    /// date.
    async fn get_known_center(
        &self,
        request: Request<pb::GetKnownCenterRequest>,
    ) -> Result<Response<pb::KnownCenter>, Status> {
        let request = request.into_inner();
        let raw = request.center_number.trim();
        let number: i32 = raw.parse().ok().filter(|_| raw.len() == 4).ok_or_else(|| {
            ApiError::invalid_field("center_number", "must be a center number of 4 digits")
        })?;
        let as_of = match request.as_of.as_str() {
            "" => nsk_calendar::kazakhstan_date(chrono::Utc::now()),
            day => NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid_field("as_of", "must be a date as YYYY-MM-DD"))?,
        };
        let (bin, name) = store::known_center(&self.pool, number)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("recognition center", raw))?;
        let mut certificates = Vec::new();
        let mut active_certificate_id = String::new();
        for row in store::known_certificates(&self.pool, number)
            .await
            .map_err(ApiError::from)?
        {
            let statuses = store::certificate_statuses(&self.pool, row.certificate_id)
                .await
                .map_err(ApiError::from)?;
            if crate::domain::certificate_active_on(
                row.valid_from,
                row.valid_until,
                &statuses,
                as_of,
            ) {
                active_certificate_id = row.certificate_id.to_string();
            }
            let snapshot =
                accreditation::Certificate::decode(row.snapshot.as_slice()).map_err(|e| {
                    ApiError::internal(format!(
                        "stored certificate {} does not decode: {e}",
                        row.certificate_id
                    ))
                })?;
            certificates.push(pb::KnownCertificate {
                certificate_id: row.certificate_id.to_string(),
                serial_number: row.serial_number,
                valid_from: row.valid_from.to_string(),
                valid_until: row.valid_until.to_string(),
                scope: snapshot.scope,
                statuses: statuses
                    .into_iter()
                    .map(|(status, since)| pb::KnownCertificateStatus {
                        status,
                        since: since.to_string(),
                    })
                    .collect(),
            });
        }
        Ok(Response::new(pb::KnownCenter {
            center_number: raw.to_string(),
            bin,
            name,
            certificates,
            active_certificate_id,
            as_of: as_of.to_string(),
            documents_to_cancel: store::cancellations_of_center(&self.pool, number)
                .await
                .map_err(ApiError::from)?,
        }))
    }

    /// Public: what the registry knows of a profession, now or as of a date.
    async fn get_registered_profession(
        &self,
        request: Request<pb::GetRegisteredProfessionRequest>,
    ) -> Result<Response<pb::RegisteredProfession>, Status> {
        let request = request.into_inner();
        let id = Uuid::parse_str(&request.profession_id)
            .map_err(|_| ApiError::invalid_field("profession_id", "must be a UUID"))?;
        let row = if request.as_of.is_empty() {
            store::current_profession(&self.pool, id)
                .await
                .map_err(ApiError::from)?
        } else {
            let date = NaiveDate::parse_from_str(&request.as_of, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid_field("as_of", "must be a date as YYYY-MM-DD"))?;
            store::profession_as_of(&self.pool, id, date)
                .await
                .map_err(ApiError::from)?
        };
        let row = row.ok_or_else(|| ApiError::not_found("profession", &request.profession_id))?;
        let known_versions = store::known_versions(&self.pool, id)
            .await
            .map_err(ApiError::from)?;
        let entry = professions::Profession::decode(row.snapshot.as_slice()).map_err(|e| {
            ApiError::internal(format!("stored snapshot of {id} does not decode: {e}"))
        })?;
        Ok(Response::new(pb::RegisteredProfession {
            profession_id: id.to_string(),
            names: entry.names,
            nkz_code: entry.nkz_code,
            oked_code: entry.oked_code,
            nqf_levels: entry.nqf_levels,
            document_validity_months: entry.document_validity_months,
            separate_skills_allowed: entry.separate_skills_allowed,
            active: row.active,
            version: row.version,
            effective_from: row.effective_from.to_string(),
            known_versions,
        }))
    }
}

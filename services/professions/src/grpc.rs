//! The gRPC face of the register: who may call, proto -> domain, a case, domain -> proto. Each
//! handler is a few lines; the rules are in `domain`, the transactions in `cases`, the
//! conversions in `convert`.

use nsk_db::requests::RequestKey;
use nsk_errors::fields::{optional_date as parse_optional_date, uuid as parse_id};
use nsk_errors::ApiError;
use nsk_events::Outbox;
use nsk_identity::{Identity, Role, TokenVerifier};
use nsk_proto::nsk::professions::v1 as pb;
use nsk_proto::nsk::professions::v1::profession_registry_server::ProfessionRegistry;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::cases::{ChangeOf, Register};
use crate::convert::{
    as_of, change_reason, draft_from_proto, history_page_token, history_to_proto, list_filter,
    list_to_proto, page_size, to_proto, ImportRows,
};
use crate::domain::ProfessionEntry;
use crate::store::ChangeKind;

pub struct ProfessionsApi {
    register: Register,
    verifier: TokenVerifier,
}

impl ProfessionsApi {
    pub fn new(pool: PgPool, outbox: Outbox, verifier: TokenVerifier) -> Self {
        Self {
            register: Register::new(pool, outbox),
            verifier,
        }
    }

    /// Art. 5.6: the authorized body forms and keeps the register.
    fn keeper<T>(&self, request: &Request<T>) -> Result<Identity, ApiError> {
        Ok(self
            .verifier
            .caller(request)?
            .require(&[Role::AuthorizedBodyAdmin])?
            .clone())
    }
}

/// The request key of `subject`'s call of `method` with `request`.
fn key_of<M: prost::Message>(
    subject: &str,
    method: &str,
    raw_id: &str,
    request: &M,
) -> Result<Option<RequestKey>, ApiError> {
    RequestKey::new(subject, method, raw_id, &request.encode_to_vec())
}

type ExportStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<pb::Profession, Status>> + Send>>;

#[tonic::async_trait]
impl ProfessionRegistry for ProfessionsApi {
    async fn import_professions(
        &self,
        request: Request<tonic::Streaming<pb::ImportProfessionsRequest>>,
    ) -> Result<Response<pb::ImportProfessionsResponse>, Status> {
        let identity = self.keeper(&request)?;
        let mut stream = request.into_inner();
        let mut rows = ImportRows::default();
        while let Some(message) = stream.message().await? {
            rows.push(message)?;
        }
        let imported = self.register.import(&identity, rows).await?;
        Ok(Response::new(pb::ImportProfessionsResponse { imported }))
    }

    async fn export_professions(
        &self,
        request: Request<pb::ExportProfessionsRequest>,
    ) -> Result<Response<ExportStream>, Status> {
        let request = request.into_inner();
        let as_of = parse_optional_date(&request.as_of, "as_of")?;
        let entries = self.register.export(as_of, request.include_excluded);
        let replies = futures::StreamExt::map(entries, |entry| {
            entry.map(|p| to_proto(&p)).map_err(Status::from)
        });
        Ok(Response::new(Box::pin(replies)))
    }

    async fn amend_profession(
        &self,
        request: Request<pb::AmendProfessionRequest>,
    ) -> Result<Response<pb::Profession>, Status> {
        // Art. 5.6, 9.1: the authorized body updates the register.
        let identity = self.keeper(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity.subject,
            "AmendProfession",
            &request.request_id,
            &request,
        )?;
        let why = change_reason(&request.reason, request.basis)?;
        let of = ChangeOf {
            id,
            key: key.as_ref(),
            expected_version: request.expected_version,
            effective_from: parse_optional_date(&request.effective_from, "effective_from")?,
        };
        let proposed = draft_from_proto(request.profession.unwrap_or_default());
        let changed = self
            .register
            .amend(&identity, of, proposed, request.update_mask, why)
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn exclude_profession(
        &self,
        request: Request<pb::ExcludeProfessionRequest>,
    ) -> Result<Response<pb::Profession>, Status> {
        let identity = self.keeper(&request)?;
        let r = request.into_inner();
        let id = parse_id(&r.id, "id")?;
        let key = key_of(&identity.subject, "ExcludeProfession", &r.request_id, &r)?;
        let why = change_reason(&r.reason, r.basis)?;
        let of = ChangeOf {
            id,
            key: key.as_ref(),
            expected_version: r.expected_version,
            effective_from: parse_optional_date(&r.effective_from, "effective_from")?,
        };
        let changed = self
            .register
            .change_status(&identity, of, ChangeKind::Excluded, why)
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn reinstate_profession(
        &self,
        request: Request<pb::ReinstateProfessionRequest>,
    ) -> Result<Response<pb::Profession>, Status> {
        let identity = self.keeper(&request)?;
        let r = request.into_inner();
        let id = parse_id(&r.id, "id")?;
        let key = key_of(&identity.subject, "ReinstateProfession", &r.request_id, &r)?;
        let why = change_reason(&r.reason, r.basis)?;
        let of = ChangeOf {
            id,
            key: key.as_ref(),
            expected_version: r.expected_version,
            effective_from: parse_optional_date(&r.effective_from, "effective_from")?,
        };
        let changed = self
            .register
            .change_status(&identity, of, ChangeKind::Reinstated, why)
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn list_profession_history(
        &self,
        request: Request<pb::ListProfessionHistoryRequest>,
    ) -> Result<Response<pb::ListProfessionHistoryResponse>, Status> {
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let limit = i64::from(page_size(request.page_size)?);
        let after_version = history_page_token(&request.page_token)?;
        let rows = self.register.history(id, after_version, limit).await?;
        Ok(Response::new(history_to_proto(rows, limit)))
    }

    async fn register_profession(
        &self,
        request: Request<pb::RegisterProfessionRequest>,
    ) -> Result<Response<pb::Profession>, Status> {
        let identity = self.keeper(&request)?;
        let request = request.into_inner();
        let key = key_of(
            &identity.subject,
            "RegisterProfession",
            &request.request_id,
            &request,
        )?;
        let Some(profession) = request.profession else {
            return Err(ApiError::invalid_field("profession", "is required").into());
        };
        let entry = ProfessionEntry::parse(&draft_from_proto(profession), "profession.")
            .map_err(ApiError::invalid_fields)?;
        let stored = self
            .register
            .register(entry, &identity, key.as_ref())
            .await?;
        Ok(Response::new(to_proto(&stored)))
    }

    async fn get_profession(
        &self,
        request: Request<pb::GetProfessionRequest>,
    ) -> Result<Response<pb::Profession>, Status> {
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let day = as_of(&request.as_of)?;
        let profession = self.register.get(id, day).await?.ok_or_else(|| match day {
            None => ApiError::not_found("profession", &request.id),
            Some(day) => ApiError::new(
                nsk_errors::ErrorKind::NotFound,
                format!("profession {} was not in the register on {day}", request.id),
            ),
        })?;
        Ok(Response::new(to_proto(&profession)))
    }

    async fn list_professions(
        &self,
        request: Request<pb::ListProfessionsRequest>,
    ) -> Result<Response<pb::ListProfessionsResponse>, Status> {
        let filter = list_filter(request.get_ref())?;
        let (items, total, filter) = self.register.list(filter).await?;
        Ok(Response::new(list_to_proto(&items, total, &filter)))
    }
}

//! The gRPC face of professional standards: who may call, proto -> domain, a case, domain ->
//! proto. Each handler is a few lines; the rules are in `domain`, the transactions in `cases`,
//! the conversions in `convert`.

use nsk_db::requests::RequestKey;
use nsk_errors::fields::uuid as parse_id;
use nsk_errors::ApiError;
use nsk_events::Outbox;
use nsk_identity::{Role, TokenVerifier};
use nsk_proto::nsk::standards::v1 as pb;
use nsk_proto::nsk::standards::v1::standards_service_server::StandardsService;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::cases::{role_of, sees_drafts, Standards, WORKERS};
use crate::convert::{
    diff_to_proto, document, draft_from_proto, list_filter, list_to_proto, step_of, to_proto,
    version_number,
};
use crate::domain::content::StandardContent;

pub struct StandardsApi {
    cases: Standards,
    verifier: TokenVerifier,
}

impl StandardsApi {
    pub fn new(pool: PgPool, outbox: Outbox, verifier: TokenVerifier) -> Self {
        Self {
            cases: Standards::new(pool, outbox),
            verifier,
        }
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

const NEWEST: &str = "must be 1 or more, or 0 for the newest";

#[tonic::async_trait]
impl StandardsService for StandardsApi {
    async fn create_standard(
        &self,
        request: Request<pb::CreateStandardRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        // Art. 5.5: the sectoral body develops standards (and enters an association's draft).
        let identity = self
            .verifier
            .caller(&request)?
            .require(&[Role::SectoralBody])?
            .clone();
        let request = request.into_inner();
        let key = key_of(
            &identity.subject,
            "CreateStandard",
            &request.request_id,
            &request,
        )?;
        let proposed = draft_from_proto(request.standard.unwrap_or_default());
        let content =
            StandardContent::parse(&proposed, "standard.").map_err(ApiError::invalid_fields)?;
        let created = self.cases.create(&identity, key.as_ref(), content).await?;
        Ok(Response::new(to_proto(&created)))
    }

    async fn get_standard(
        &self,
        request: Request<pb::GetStandardRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let caller = self.verifier.caller(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let version = version_number(request.version, 0, "version", NEWEST)?;
        let found = self.cases.visible(&caller, id, version).await?;
        Ok(Response::new(to_proto(&found)))
    }

    async fn list_standards(
        &self,
        request: Request<pb::ListStandardsRequest>,
    ) -> Result<Response<pb::ListStandardsResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let Some(filter) = list_filter(request.get_ref(), sees_drafts(&caller))? else {
            // A stage in coordination is listed for those who work on standards (Art. 5.5).
            let refusal = caller.require(&WORKERS).err().unwrap_or_else(|| {
                ApiError::permission_denied(
                    "standards in coordination are listed for those who work on them",
                )
            });
            return Err(refusal.into());
        };
        let found = self.cases.list(&filter).await?;
        Ok(Response::new(list_to_proto(&found, filter.limit)))
    }

    async fn update_draft(
        &self,
        request: Request<pb::UpdateDraftRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let identity = self
            .verifier
            .caller(&request)?
            .require(&[Role::SectoralBody])?
            .clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity.subject,
            "UpdateDraft",
            &request.request_id,
            &request,
        )?;
        let proposed = draft_from_proto(request.standard.unwrap_or_default());
        let changed = self
            .cases
            .update_draft(&identity, id, key.as_ref(), proposed, request.update_mask)
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn advance_standard(
        &self,
        request: Request<pb::AdvanceStandardRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let caller = self.verifier.caller(&request)?;
        let step = step_of(request.get_ref().to, request.get_ref().conclusion)?;
        // Art. 5.5 names who takes each step.
        let identity = caller.require(&[role_of(step.party())])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity.subject,
            "AdvanceStandard",
            &request.request_id,
            &request,
        )?;
        let document = document(request.document, true)?;
        let remarks = request.remarks.trim().to_string();
        let changed = self
            .cases
            .advance(&identity, id, key.as_ref(), step, document, remarks)
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn return_for_rework(
        &self,
        request: Request<pb::ReturnForReworkRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller
            .require(&[
                Role::SectoralBody,
                Role::IndustryCouncil,
                Role::AuthorizedBodyAdmin,
            ])?
            .clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity.subject,
            "ReturnForRework",
            &request.request_id,
            &request,
        )?;
        let remarks = nsk_errors::fields::required(
            &request.remarks,
            "remarks",
            "say what the developer must rework (Art. 5.5)",
        )?;
        let document = document(request.document, true)?;
        let changed = self
            .cases
            .return_for_rework(&identity, id, key.as_ref(), remarks, document)
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn open_new_version(
        &self,
        request: Request<pb::OpenNewVersionRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        // Art. 5.5: the sectoral body updates its standards.
        let identity = self
            .verifier
            .caller(&request)?
            .require(&[Role::SectoralBody])?
            .clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity.subject,
            "OpenNewVersion",
            &request.request_id,
            &request,
        )?;
        let reason = nsk_errors::fields::required(
            &request.reason,
            "reason",
            "why the standard is being updated",
        )?;
        let opened = self
            .cases
            .open_new_version(&identity, id, key.as_ref(), reason)
            .await?;
        Ok(Response::new(to_proto(&opened)))
    }

    async fn diff_versions(
        &self,
        request: Request<pb::DiffVersionsRequest>,
    ) -> Result<Response<pb::DiffVersionsResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let from = version_number(
            request.from_version,
            1,
            "from_version",
            "must be a version number, 1 or more",
        )?;
        let to = version_number(
            request.to_version,
            0,
            "to_version",
            "must be a version number, or 0 for the newest",
        )?;
        let fields = self.cases.diff(&caller, id, from, to).await?;
        Ok(Response::new(diff_to_proto(fields)))
    }

    async fn archive_standard(
        &self,
        request: Request<pb::ArchiveStandardRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller
            .require(&[Role::SectoralBody, Role::AuthorizedBodyAdmin])?
            .clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = key_of(
            &identity.subject,
            "ArchiveStandard",
            &request.request_id,
            &request,
        )?;
        let version = version_number(request.version, 0, "version", NEWEST)?;
        let reason = nsk_errors::fields::required(
            &request.reason,
            "reason",
            "why the standard is archived",
        )?;
        let document = document(request.document, false)?;
        let archived = self
            .cases
            .archive(&identity, id, key.as_ref(), version, reason, document)
            .await?;
        Ok(Response::new(to_proto(&archived)))
    }
}

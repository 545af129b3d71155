//! The gRPC face of professional standards: proto <-> domain, who may do what, error mapping.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use nsk_db::requests::{Once, RequestKey};
use nsk_errors::fields::uuid as parse_id;
use nsk_errors::{ApiError, ErrorKind};
use nsk_events::{EventContext, Outbox};
use nsk_identity::{Caller, Identity, Role, TokenVerifier};
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::standards::v1 as pb;
use nsk_proto::nsk::standards::v1::standards_service_server::StandardsService;
use prost::Message as _;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::content::{self, ContentDraft, DeveloperKind, StandardContent};
use crate::domain::{self, Conclusion, Party, Refusal, Stage, Step};
use crate::events::{self, Event};
use crate::store::{self, Document, ListFilter, StandardVersion, StepRecord};

const DEFAULT_PAGE_SIZE: i32 = 50;
const MAX_PAGE_SIZE: i32 = 500;

/// Those who work on standards, and so see drafts (Art. 5.5), and auditors.
const WORKERS: [Role; 4] = [
    Role::SectoralBody,
    Role::NceOfficer,
    Role::AuthorizedBodyAdmin,
    Role::Auditor,
];

pub struct StandardsApi {
    pool: PgPool,
    outbox: Outbox,
    verifier: TokenVerifier,
}

fn sees_drafts(caller: &Caller) -> bool {
    matches!(caller, Caller::Authenticated(identity) if WORKERS.iter().any(|r| identity.has(*r)))
}

fn role_of(party: Party) -> Role {
    match party {
        Party::SectoralBody => Role::SectoralBody,
        Party::Nce => Role::NceOfficer,
        Party::AuthorizedBody => Role::AuthorizedBodyAdmin,
    }
}

/// The parties of Art. 5.5 the caller acts for.
fn parties_of(identity: &Identity) -> Vec<Party> {
    [Party::SectoralBody, Party::Nce, Party::AuthorizedBody]
        .into_iter()
        .filter(|p| identity.has(role_of(*p)))
        .collect()
}

fn refused(err: Refusal) -> ApiError {
    ApiError::failed_precondition(err.to_string())
}

fn now() -> DateTime<Utc> {
    // PostgreSQL keeps microseconds; a reply must equal what a later read returns.
    Utc::now().trunc_subsecs(6)
}

/// What one change did: the version it leaves, and the events to publish with it.
struct Outcome {
    version: StandardVersion,
    events: Vec<Event>,
}

impl StandardsApi {
    pub fn new(pool: PgPool, outbox: Outbox, verifier: TokenVerifier) -> Self {
        Self {
            pool,
            outbox,
            verifier,
        }
    }

    /// A retried request: the standard's version it changed, as it is now.
    /// The standard as it is now, for a retried request applied before to `id`.
    async fn replay(&self, conn: &mut PgConnection, id: Uuid) -> Result<StandardVersion, ApiError> {
        let newest = store::versions(conn, id)
            .await?
            .last()
            .map(|(v, _)| *v)
            .unwrap_or(1);
        store::load(conn, id, newest)
            .await?
            .ok_or_else(|| ApiError::not_found("standard", &id.to_string()))
    }

    /// The one path of every change to an existing standard: lock it (counting the change),
    /// let `decide` apply the rule to its versions, then write what it decided and its events
    /// in one transaction. A request id already applied returns what it did.
    async fn change<F>(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        decide: F,
    ) -> Result<StandardVersion, ApiError>
    where
        F: for<'c> FnOnce(
            &'c mut PgConnection,
            Vec<(i32, Stage)>,
            String,
        ) -> futures::future::BoxFuture<'c, Result<Outcome, ApiError>>,
    {
        let mut tx = self.pool.begin().await?;
        if let Once::Applied(done) = nsk_db::requests::once(&mut tx, key, id).await? {
            tx.rollback().await?;
            let mut conn = self.pool.acquire().await?;
            return self.replay(&mut conn, done).await;
        }
        let revision = store::lock_and_count(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("standard", &id.to_string()))?;
        let versions = store::versions(&mut tx, id).await?;
        let request_id = key
            .map(|k| k.id().to_string())
            .unwrap_or_else(|| Uuid::now_v7().to_string());
        let outcome = decide(&mut tx, versions, request_id.clone()).await?;
        let context = EventContext {
            actor: identity.subject.clone(),
            request_id,
        };
        for event in &outcome.events {
            events::publish(&self.outbox, &mut tx, &context, id, revision, event).await?;
        }
        tx.commit().await?;
        tracing::info!(standard_id = %id, version = outcome.version.version, stage = %outcome.version.stage, "standard changed");
        Ok(outcome.version)
    }

    /// The version a caller asked for: `version` 0 is the newest the caller may see.
    async fn visible(
        &self,
        caller: &Caller,
        id: Uuid,
        version: i32,
    ) -> Result<StandardVersion, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let versions = store::versions(&mut conn, id).await?;
        let insider = sees_drafts(caller);
        let visible = |stage: Stage| insider || stage.is_public();
        let wanted = if version == 0 {
            // The public reads the published version, or the last one that was.
            let published = versions
                .iter()
                .find(|(_, s)| *s == Stage::Published)
                .map(|(v, _)| *v);
            let newest_visible = versions
                .iter()
                .rev()
                .find(|(_, s)| visible(*s))
                .map(|(v, _)| *v);
            if insider {
                newest_visible
            } else {
                published.or(newest_visible)
            }
        } else {
            versions
                .iter()
                .find(|(v, s)| *v == version && visible(*s))
                .map(|(v, _)| *v)
        };
        let not_found = || {
            if version == 0 {
                ApiError::not_found("standard", &id.to_string())
            } else {
                ApiError::not_found("standard version", &format!("{id} version {version}"))
            }
        };
        let wanted = wanted.ok_or_else(not_found)?;
        store::load(&mut conn, id, wanted)
            .await?
            .ok_or_else(not_found)
    }
}

// ---- proto <-> domain ----

fn stage_from_proto(status: i32) -> Option<Stage> {
    use pb::StandardStatus as S;
    Some(match S::try_from(status).ok()? {
        S::Unspecified => return None,
        S::Draft => Stage::Draft,
        S::Submitted => Stage::Submitted,
        S::NceConclusionRecorded => Stage::NceConclusionRecorded,
        S::AgreedByIndustryCouncil => Stage::AgreedByIndustryCouncil,
        S::AgreedByAuthorizedBody => Stage::AgreedByAuthorizedBody,
        S::Approved => Stage::Approved,
        S::Published => Stage::Published,
        S::Superseded => Stage::Superseded,
        S::Archived => Stage::Archived,
    })
}

fn stage_to_proto(stage: Stage) -> pb::StandardStatus {
    use pb::StandardStatus as S;
    match stage {
        Stage::Draft => S::Draft,
        Stage::Submitted => S::Submitted,
        Stage::NceConclusionRecorded => S::NceConclusionRecorded,
        Stage::AgreedByIndustryCouncil => S::AgreedByIndustryCouncil,
        Stage::AgreedByAuthorizedBody => S::AgreedByAuthorizedBody,
        Stage::Approved => S::Approved,
        Stage::Published => S::Published,
        Stage::Superseded => S::Superseded,
        Stage::Archived => S::Archived,
    }
}

fn conclusion_from_proto(raw: i32) -> Option<Conclusion> {
    match pb::NceConclusion::try_from(raw).ok()? {
        pb::NceConclusion::Unspecified => None,
        pb::NceConclusion::Positive => Some(Conclusion::Positive),
        pb::NceConclusion::Negative => Some(Conclusion::Negative),
        pb::NceConclusion::WithRemarks => Some(Conclusion::WithRemarks),
    }
}

fn conclusion_to_proto(c: Option<Conclusion>) -> pb::NceConclusion {
    match c {
        None => pb::NceConclusion::Unspecified,
        Some(Conclusion::Positive) => pb::NceConclusion::Positive,
        Some(Conclusion::Negative) => pb::NceConclusion::Negative,
        Some(Conclusion::WithRemarks) => pb::NceConclusion::WithRemarks,
    }
}

fn draft_from_proto(s: pb::Standard) -> ContentDraft {
    let title = s.title.unwrap_or_default();
    ContentDraft {
        title: content::Title {
            kk: title.kk,
            ru: title.ru,
            en: title.en,
        },
        sector: s.sector,
        nkz_codes: s.nkz_codes,
        nqf_levels: s.nqf_levels,
        labour_functions: s
            .labour_functions
            .into_iter()
            .map(|f| content::LabourFunction {
                title: f.title,
                knowledge: f.knowledge,
                skills: f.skills,
                competences: f.competences,
            })
            .collect(),
        work_experience_requirements: s.work_experience_requirements,
        education_requirements: s.education_requirements,
        non_formal_education_recognised: s.non_formal_education_recognised,
        separately_recognisable_skills: s.separately_recognisable_skills,
        developer_kind: match pb::DeveloperKind::try_from(s.developer_kind) {
            Ok(pb::DeveloperKind::SectoralBody) => Some(DeveloperKind::SectoralBody),
            Ok(pb::DeveloperKind::EmployersAssociation) => {
                Some(DeveloperKind::EmployersAssociation)
            }
            _ => None,
        },
        developer_name: s.developer_name,
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn document_to_proto(d: &Document) -> common::BasisDocument {
    common::BasisDocument {
        number: d.number.clone(),
        date: d.date.to_string(),
        title: d.title.clone(),
    }
}

pub fn step_to_proto(step: &StepRecord) -> pb::WorkflowStep {
    pb::WorkflowStep {
        reached: stage_to_proto(step.reached) as i32,
        stamp: Some(common::ChangeStamp {
            actor: step.actor.clone(),
            actor_role: step.actor_role.clone(),
            at: timestamp(step.at),
            reason: String::new(),
            request_id: step.request_id.clone(),
        }),
        document: step.document.as_ref().map(document_to_proto),
        remarks: step.remarks.clone(),
        conclusion: conclusion_to_proto(step.conclusion) as i32,
        returned_for_rework: step.returned,
    }
}

fn boxed(v: &StandardVersion) -> Box<pb::Standard> {
    Box::new(to_proto(v))
}

pub fn to_proto(v: &StandardVersion) -> pb::Standard {
    let c = &v.content;
    pb::Standard {
        id: v.standard_id.to_string(),
        version: v.version,
        title: Some(common::LocalizedText {
            kk: c.title.kk.clone(),
            ru: c.title.ru.clone(),
            en: c.title.en.clone(),
        }),
        sector: c.sector.clone(),
        nkz_codes: c.nkz_codes.clone(),
        nqf_levels: c.nqf_levels.iter().map(|l| i32::from(*l)).collect(),
        labour_functions: c
            .labour_functions
            .iter()
            .map(|f| pb::LabourFunction {
                title: f.title.clone(),
                knowledge: f.knowledge.clone(),
                skills: f.skills.clone(),
                competences: f.competences.clone(),
            })
            .collect(),
        work_experience_requirements: c.work_experience_requirements.clone(),
        education_requirements: c.education_requirements.clone(),
        non_formal_education_recognised: c.non_formal_education_recognised,
        separately_recognisable_skills: c.separately_recognisable_skills.clone(),
        developer_kind: match c.developer_kind {
            DeveloperKind::SectoralBody => pb::DeveloperKind::SectoralBody,
            DeveloperKind::EmployersAssociation => pb::DeveloperKind::EmployersAssociation,
        } as i32,
        developer_name: c.developer_name.clone(),
        status: stage_to_proto(v.stage) as i32,
        steps: v.steps.iter().map(step_to_proto).collect(),
        create_time: timestamp(v.created_at),
        update_time: timestamp(v.updated_at),
    }
}

/// The document of a step: number and date required (when `required`, or when any is sent).
fn document(
    raw: Option<common::BasisDocument>,
    required: bool,
) -> Result<Option<Document>, ApiError> {
    let raw = raw.unwrap_or_default();
    if !required && raw.number.trim().is_empty() && raw.date.is_empty() {
        return Ok(None);
    }
    let parsed = nsk_errors::fields::document(&raw.number, &raw.date, &raw.title, "document")?;
    Ok(Some(Document {
        number: parsed.number,
        date: parsed.date,
        title: parsed.title,
    }))
}

/// The step a request names by the stage it reaches.
fn step_of(to: i32, conclusion: i32) -> Result<Step, ApiError> {
    let step = match stage_from_proto(to) {
        Some(Stage::Submitted) => Step::Submit,
        Some(Stage::NceConclusionRecorded) => match conclusion_from_proto(conclusion) {
            Some(c) => Step::RecordNceConclusion(c),
            None => {
                return Err(ApiError::invalid_field(
                    "conclusion",
                    "is required when recording the NCE's conclusion: POSITIVE, NEGATIVE or WITH_REMARKS",
                ))
            }
        },
        Some(Stage::AgreedByIndustryCouncil) => Step::AgreeByIndustryCouncil,
        Some(Stage::AgreedByAuthorizedBody) => Step::AgreeByAuthorizedBody,
        Some(Stage::Approved) => Step::Approve,
        Some(Stage::Published) => Step::Publish,
        _ => {
            return Err(ApiError::invalid_field(
                "to",
                "must be the stage the step reaches: SUBMITTED, NCE_CONCLUSION_RECORDED, AGREED_BY_INDUSTRY_COUNCIL, AGREED_BY_AUTHORIZED_BODY, APPROVED or PUBLISHED (returns, new versions and archiving have their own calls)",
            ))
        }
    };
    if !matches!(step, Step::RecordNceConclusion(_)) && conclusion != 0 {
        return Err(ApiError::invalid_field(
            "conclusion",
            "is only for the step that records the NCE's conclusion",
        ));
    }
    Ok(step)
}

fn no_working_version(versions: &[(i32, Stage)]) -> ApiError {
    let newest = versions.last().copied();
    ApiError::failed_precondition(match newest {
        Some((v, stage)) => format!(
            "the standard has no version in drafting or coordination: its newest, version {v}, is {stage}; open a new version to update it"
        ),
        None => "the standard has no versions".to_string(),
    })
}

fn page_token(last: &StandardVersion) -> String {
    format!("{}.{}", last.standard_id, last.version)
}

fn parse_page_token(raw: &str) -> Result<Option<(Uuid, i32)>, ApiError> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.split_once('.')
        .and_then(|(id, v)| Some((Uuid::parse_str(id).ok()?, v.parse().ok()?)))
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid_field("page_token", "must be a next_page_token of an earlier page")
        })
}

#[tonic::async_trait]
impl StandardsService for StandardsApi {
    async fn create_standard(
        &self,
        request: Request<pb::CreateStandardRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let caller = self.verifier.caller(&request)?;
        // Art. 5.5: the sectoral body develops standards (and enters an association's draft).
        let identity = caller.require(&[Role::SectoralBody])?.clone();
        let request = request.into_inner();
        let key = RequestKey::new(
            &identity.subject,
            "CreateStandard",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let proposed = draft_from_proto(request.standard.unwrap_or_default());
        let content =
            StandardContent::parse(&proposed, "standard.").map_err(ApiError::invalid_fields)?;
        let at = now();
        let id = Uuid::now_v7();
        let request_id_text = key
            .as_ref()
            .map(|k| k.id().to_string())
            .unwrap_or_else(|| id.to_string());
        let first = StandardVersion {
            standard_id: id,
            version: 1,
            stage: Stage::Draft,
            content,
            nce_conclusion: None,
            steps: vec![StepRecord {
                reached: Stage::Draft,
                returned: false,
                conclusion: None,
                document: None,
                remarks: "draft created".into(),
                actor: identity.subject.clone(),
                actor_role: identity.primary_role().into(),
                request_id: request_id_text.clone(),
                at,
            }],
            created_at: at,
            updated_at: at,
        };
        let mut tx = self.pool.begin().await.map_err(ApiError::from)?;
        if let Once::Applied(done) = nsk_db::requests::once(&mut tx, key.as_ref(), id)
            .await
            .map_err(ApiError::from)?
        {
            tx.rollback().await.map_err(ApiError::from)?;
            let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
            let first = self.replay(&mut conn, done).await?;
            return Ok(Response::new(to_proto(&first)));
        }
        store::create(&mut tx, &first, &identity.subject)
            .await
            .map_err(ApiError::from)?;
        store::add_step(&mut tx, id, 1, &first.steps[0])
            .await
            .map_err(ApiError::from)?;
        let context = EventContext {
            actor: identity.subject.clone(),
            request_id: request_id_text,
        };
        let event = Event::DraftCreated(boxed(&first));
        events::publish(&self.outbox, &mut tx, &context, id, 1, &event)
            .await
            .map_err(ApiError::from)?;
        tx.commit().await.map_err(ApiError::from)?;
        tracing::info!(standard_id = %id, "standard draft created");
        Ok(Response::new(to_proto(&first)))
    }

    async fn get_standard(
        &self,
        request: Request<pb::GetStandardRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let caller = self.verifier.caller(&request)?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        if request.version < 0 {
            return Err(ApiError::invalid_field(
                "version",
                "must be 1 or more, or 0 for the newest",
            )
            .into());
        }
        let found = self.visible(&caller, id, request.version).await?;
        Ok(Response::new(to_proto(&found)))
    }

    async fn list_standards(
        &self,
        request: Request<pb::ListStandardsRequest>,
    ) -> Result<Response<pb::ListStandardsResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let request = request.into_inner();
        let stages = match stage_from_proto(request.status) {
            None if request.status != 0 => {
                return Err(
                    ApiError::invalid_field("status", "is not a status of a standard").into(),
                )
            }
            // The list of approved standards is public (Art. 5.5); the rest is for insiders.
            None if sees_drafts(&caller) => Stage::ALL.to_vec(),
            None => vec![Stage::Published],
            Some(stage) if stage.is_public() || sees_drafts(&caller) => vec![stage],
            Some(stage) => {
                caller.require(&WORKERS)?;
                vec![stage]
            }
        };
        let page_size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid_field(
                    "page_size",
                    "must be from 1 to 500 (0 for 50)",
                )
                .into())
            }
        };
        let nkz_code = match request.nkz_code.trim() {
            "" => None,
            code if code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()) => {
                Some(code.to_string())
            }
            _ => {
                return Err(
                    ApiError::invalid_field("nkz_code", "must be an NKZ code of 8 digits").into(),
                )
            }
        };
        let nqf_level = match request.nqf_level {
            0 => None,
            level @ 1..=8 => Some(level),
            _ => {
                return Err(ApiError::invalid_field(
                    "nqf_level",
                    "must be an NQF level from 1 to 8",
                )
                .into())
            }
        };
        let title = Some(request.title.trim().to_lowercase()).filter(|t| !t.is_empty());
        let filter = ListFilter {
            stages,
            nkz_code,
            nqf_level,
            title,
            after: parse_page_token(&request.page_token)?,
            limit: i64::from(page_size),
        };
        let found = store::list(&self.pool, &filter)
            .await
            .map_err(ApiError::from)?;
        let next_page_token = match found.last() {
            Some(last) if found.len() == page_size as usize => page_token(last),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListStandardsResponse {
            standards: found.iter().map(to_proto).collect(),
            next_page_token,
        }))
    }

    async fn update_draft(
        &self,
        request: Request<pb::UpdateDraftRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::SectoralBody])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "UpdateDraft",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let proposed = draft_from_proto(request.standard.unwrap_or_default());
        let mask = request.update_mask;
        let changed = self
            .change(&identity, id, key.as_ref(), move |tx, versions, _| {
                Box::pin(async move {
                    let number = domain::working_version(&versions).ok_or_else(|| no_working_version(&versions))?;
                    let mut version = store::load(tx, id, number)
                        .await?
                        .ok_or_else(|| ApiError::not_found("standard", &id.to_string()))?;
                    if version.stage != Stage::Draft {
                        return Err(ApiError::failed_precondition(format!(
                            "version {number} is {}: only a draft can be changed; ask for it to be returned for rework (Art. 5.5)",
                            version.stage
                        )));
                    }
                    let next = version
                        .content
                        .updated(&proposed, &mask, "standard.")
                        .map_err(ApiError::invalid_fields)?;
                    let changed_fields: Vec<String> =
                        domain::diff(&version.content.rendered_fields(), &next.rendered_fields())
                            .into_iter()
                            .map(|d| d.field)
                            .collect();
                    if changed_fields.is_empty() {
                        return Ok(Outcome { version, events: Vec::new() });
                    }
                    version.content = next;
                    version.updated_at = now();
                    store::save_version(tx, &version).await?;
                    let event = Event::DraftUpdated(boxed(&version), changed_fields);
                    Ok(Outcome { version, events: vec![event] })
                })
            })
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn advance_standard(
        &self,
        request: Request<pb::AdvanceStandardRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let caller = self.verifier.caller(&request)?;
        let request = request.into_inner();
        let step = step_of(request.to, request.conclusion)?;
        // Art. 5.5 names who takes each step.
        let identity = caller.require(&[role_of(step.party())])?.clone();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "AdvanceStandard",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let document = document(request.document, true)?;
        let remarks = request.remarks.trim().to_string();
        let actor = identity.subject.clone();
        let actor_role = role_of(step.party()).as_str().to_string();
        let changed = self
            .change(&identity, id, key.as_ref(), move |tx, versions, request_id| {
                Box::pin(async move {
                    let number = domain::working_version(&versions).ok_or_else(|| no_working_version(&versions))?;
                    let mut version = store::load(tx, id, number)
                        .await?
                        .ok_or_else(|| ApiError::not_found("standard", &id.to_string()))?;
                    if step == Step::Submit {
                        let missing = version.content.missing_for_submission();
                        if !missing.is_empty() {
                            return Err(ApiError {
                                kind: ErrorKind::FailedPrecondition,
                                message: format!(
                                    "the draft of version {number} is not complete enough to submit (Art. 1.14): {}",
                                    missing.iter().map(|v| format!("{} {}", v.field, v.description)).collect::<Vec<_>>().join("; ")
                                ),
                                violations: missing,
                            });
                        }
                    }
                    let reached = domain::advance(version.stage, step, step.party(), version.nce_conclusion.is_some())
                        .map_err(refused)?;
                    let at = now();
                    let record = StepRecord {
                        reached,
                        returned: false,
                        conclusion: match step {
                            Step::RecordNceConclusion(c) => Some(c),
                            _ => None,
                        },
                        document,
                        remarks,
                        actor,
                        actor_role,
                        request_id,
                        at,
                    };
                    if let Some(c) = record.conclusion {
                        version.nce_conclusion = Some(c);
                    }
                    // Art. 5.5: the list of approved standards holds the newest version; the
                    // one it replaces stays readable as superseded (first, as only one version
                    // is published at a time).
                    let mut superseded = Vec::new();
                    if reached == Stage::Published {
                        for (old, stage) in domain::on_publish(&versions, number) {
                            store::set_stage(tx, id, old, stage, at).await?;
                            superseded.push(old);
                        }
                    }
                    version.stage = reached;
                    version.updated_at = at;
                    store::save_version(tx, &version).await?;
                    store::add_step(tx, id, number, &record).await?;
                    version.steps.push(record.clone());
                    let mut events = vec![Event::StepRecorded(boxed(&version), Box::new(step_to_proto(&record)))];
                    if reached == Stage::Published {
                        events.push(Event::Published(boxed(&version)));
                        for old in superseded {
                            events.push(Event::Superseded { superseded: old, by: number });
                        }
                    }
                    Ok(Outcome { version, events })
                })
            })
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn return_for_rework(
        &self,
        request: Request<pb::ReturnForReworkRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller
            .require(&[Role::SectoralBody, Role::AuthorizedBodyAdmin])?
            .clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "ReturnForRework",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let remarks = nsk_errors::fields::required(
            &request.remarks,
            "remarks",
            "say what the developer must rework (Art. 5.5)",
        )?;
        let document = document(request.document, true)?;
        let parties = parties_of(&identity);
        let actor = identity.subject.clone();
        let changed = self
            .change(
                &identity,
                id,
                key.as_ref(),
                move |tx, versions, request_id| {
                    Box::pin(async move {
                        let number = domain::working_version(&versions)
                            .ok_or_else(|| no_working_version(&versions))?;
                        let mut version = store::load(tx, id, number)
                            .await?
                            .ok_or_else(|| ApiError::not_found("standard", &id.to_string()))?;
                        // The caller acts for the first of its parties the law lets return it.
                        let mut first_refusal = None;
                        let mut acted = None;
                        for party in parties {
                            match domain::return_for_rework(version.stage, party) {
                                Ok(stage) => {
                                    acted = Some((party, stage));
                                    break;
                                }
                                Err(refusal) => {
                                    first_refusal.get_or_insert(refusal);
                                }
                            }
                        }
                        let Some((party, reached)) = acted else {
                            return Err(first_refusal.map(refused).unwrap_or_else(|| {
                                ApiError::permission_denied(
                                    "only the parties of Art. 5.5 return a draft",
                                )
                            }));
                        };
                        let at = now();
                        let record = StepRecord {
                            reached,
                            returned: true,
                            conclusion: None,
                            document,
                            remarks,
                            actor,
                            actor_role: role_of(party).as_str().to_string(),
                            request_id,
                            at,
                        };
                        // Coordination starts again, the NCE's conclusion with it.
                        version.stage = reached;
                        version.nce_conclusion = None;
                        version.updated_at = at;
                        store::save_version(tx, &version).await?;
                        store::add_step(tx, id, number, &record).await?;
                        version.steps.push(record.clone());
                        let events = vec![Event::StepRecorded(
                            boxed(&version),
                            Box::new(step_to_proto(&record)),
                        )];
                        Ok(Outcome { version, events })
                    })
                },
            )
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn open_new_version(
        &self,
        request: Request<pb::OpenNewVersionRequest>,
    ) -> Result<Response<pb::Standard>, Status> {
        let caller = self.verifier.caller(&request)?;
        // Art. 5.5: the sectoral body updates its standards.
        let identity = caller.require(&[Role::SectoralBody])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "OpenNewVersion",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let reason = nsk_errors::fields::required(
            &request.reason,
            "reason",
            "why the standard is being updated",
        )?;
        let actor = identity.subject.clone();
        let actor_role = identity.primary_role().to_string();
        let opened = self
            .change(
                &identity,
                id,
                key.as_ref(),
                move |tx, versions, request_id| {
                    Box::pin(async move {
                        let number = domain::open_new_version(&versions).map_err(refused)?;
                        let published = versions
                            .iter()
                            .find(|(_, s)| *s == Stage::Published)
                            .map(|(v, _)| *v)
                            .ok_or_else(|| no_working_version(&versions))?;
                        let base = store::load(tx, id, published)
                            .await?
                            .ok_or_else(|| ApiError::not_found("standard", &id.to_string()))?;
                        let at = now();
                        let record = StepRecord {
                            reached: Stage::Draft,
                            returned: false,
                            conclusion: None,
                            document: None,
                            remarks: format!(
                                "version {number} opened from version {published}: {reason}"
                            ),
                            actor,
                            actor_role,
                            request_id,
                            at,
                        };
                        let version = StandardVersion {
                            standard_id: id,
                            version: number,
                            stage: Stage::Draft,
                            content: base.content,
                            nce_conclusion: None,
                            steps: vec![record.clone()],
                            created_at: at,
                            updated_at: at,
                        };
                        store::insert_version(tx, &version).await?;
                        store::add_step(tx, id, number, &record).await?;
                        let events = vec![Event::DraftCreated(boxed(&version))];
                        Ok(Outcome { version, events })
                    })
                },
            )
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
        if request.from_version < 1 {
            return Err(ApiError::invalid_field(
                "from_version",
                "must be a version number, 1 or more",
            )
            .into());
        }
        if request.to_version < 0 {
            return Err(ApiError::invalid_field(
                "to_version",
                "must be a version number, or 0 for the newest",
            )
            .into());
        }
        let to = self.visible(&caller, id, request.to_version).await?;
        let from = self.visible(&caller, id, request.from_version).await?;
        let fields = domain::diff(
            &from.content.rendered_fields(),
            &to.content.rendered_fields(),
        )
        .into_iter()
        .map(|d| pb::FieldDiff {
            field: d.field,
            before: d.before,
            after: d.after,
        })
        .collect();
        Ok(Response::new(pb::DiffVersionsResponse { fields }))
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
        let key = RequestKey::new(
            &identity.subject,
            "ArchiveStandard",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        if request.version < 0 {
            return Err(ApiError::invalid_field(
                "version",
                "must be 1 or more, or 0 for the newest",
            )
            .into());
        }
        let reason = nsk_errors::fields::required(
            &request.reason,
            "reason",
            "why the standard is archived",
        )?;
        let document = document(request.document, false)?;
        let wanted = request.version;
        let actor = identity.subject.clone();
        let holder = identity.clone();
        let archived = self
            .change(&identity, id, key.as_ref(), move |tx, versions, request_id| {
                Box::pin(async move {
                    let number = if wanted == 0 {
                        versions.last().map(|(v, _)| *v).unwrap_or(1)
                    } else {
                        wanted
                    };
                    let mut version = store::load(tx, id, number).await?.ok_or_else(|| {
                        ApiError::not_found("standard version", &format!("{id} version {number}"))
                    })?;
                    let reached = domain::archive(version.stage).map_err(refused)?;
                    // A draft is abandoned by its developer; a standard in the list is withdrawn
                    // by the authorized body, which keeps the list (Art. 5.5), on a document.
                    let in_the_list = version.stage != Stage::Draft;
                    let party_role = if in_the_list { Role::AuthorizedBodyAdmin } else { Role::SectoralBody };
                    if !holder.has(party_role) {
                        return Err(ApiError::permission_denied(format!(
                            "version {number} is {}: only {} may archive it (Art. 5.5)",
                            version.stage,
                            party_role.as_str()
                        )));
                    }
                    if in_the_list && document.is_none() {
                        return Err(ApiError::invalid_field(
                            "document",
                            "is required to withdraw a standard from the list: the order's number and date",
                        ));
                    }
                    let at = now();
                    let record = StepRecord {
                        reached,
                        returned: false,
                        conclusion: None,
                        document,
                        remarks: reason.clone(),
                        actor,
                        actor_role: party_role.as_str().to_string(),
                        request_id,
                        at,
                    };
                    version.stage = reached;
                    version.updated_at = at;
                    store::save_version(tx, &version).await?;
                    store::add_step(tx, id, number, &record).await?;
                    version.steps.push(record);
                    let events = vec![Event::Archived { version: number, reason }];
                    Ok(Outcome { version, events })
                })
            })
            .await?;
        Ok(Response::new(to_proto(&archived)))
    }
}

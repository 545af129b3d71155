//! The gRPC face of the register: proto <-> domain, authorization, error mapping.

use chrono::{SecondsFormat, SubsecRound, Utc};
use nsk_db::requests::{Once, RequestKey};
use nsk_errors::fields::{optional_date as parse_optional_date, uuid as parse_id};
use nsk_errors::ApiError;
use nsk_events::{EventContext, Outbox};
use nsk_identity::{Role, TokenVerifier};
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::professions::v1 as pb;
use nsk_proto::nsk::professions::v1::profession_registry_server::ProfessionRegistry;
use prost::Message as _;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::{
    ChangeReason, Grounding, ProfessionDraft, ProfessionEntry, SeparateSkills,
    Status as EntryStatus,
};
use crate::store::{self, Change, ChangeKind, HistoryEntry, ListFilter, SortKey, StoredProfession};

const DEFAULT_PAGE_SIZE: i32 = 50;
const MAX_PAGE_SIZE: i32 = 500;

pub struct ProfessionsApi {
    pool: PgPool,
    outbox: Outbox,
    verifier: TokenVerifier,
}

impl ProfessionsApi {
    pub fn new(pool: PgPool, outbox: Outbox, verifier: TokenVerifier) -> Self {
        Self {
            pool,
            outbox,
            verifier,
        }
    }

    async fn register(
        &self,
        entry: ProfessionEntry,
        actor: &nsk_identity::Identity,
        key: Option<&RequestKey>,
    ) -> Result<StoredProfession, ApiError> {
        // PostgreSQL keeps microseconds; the reply must equal what a later read returns.
        let now = Utc::now().trunc_subsecs(6);
        let today = nsk_calendar::kazakhstan_date(now);
        let id = Uuid::now_v7();
        let mut tx = self.pool.begin().await?;
        // A retried request returns what the first one made.
        if let Once::Applied(done) = nsk_db::requests::once(&mut tx, key, id).await? {
            tx.rollback().await?;
            return self.replay(done).await;
        }
        let profession = StoredProfession {
            id,
            entry,
            status: EntryStatus::Active,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let generated_request_id = id.to_string();
        let change = Change {
            actor: &actor.subject,
            actor_role: actor.primary_role(),
            request_id: key.map(RequestKey::id).unwrap_or(&generated_request_id),
            effective_from: today,
            at: now,
        };
        if let Some(violation) =
            check_standard(&mut tx, &profession.entry, "profession.standard").await?
        {
            return Err(ApiError::invalid_fields(vec![violation]));
        }
        let history = HistoryEntry {
            kind: ChangeKind::Registered,
            changed_fields: &[],
            reason: "",
            basis: &profession.entry.inclusion_basis,
        };
        store::insert(&mut tx, &profession, &history, &change)
            .await
            .map_err(|err| duplicate_nkz(err, &profession))?;
        let context = EventContext {
            actor: actor.subject.clone(),
            request_id: change.request_id.to_string(),
        };

        crate::events::publish(
            &self.outbox,
            &mut tx,
            &context,
            &profession,
            &history,
            today,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(profession_id = %id, nkz_code = profession.entry.nkz_code.as_str(), "profession registered");
        Ok(profession)
    }

    /// The entry a retried request made or changed before.
    async fn replay(&self, id: Uuid) -> Result<StoredProfession, ApiError> {
        store::get(&self.pool, id)
            .await?
            .ok_or_else(|| ApiError::not_found("profession", &id.to_string()))
    }
}

/// What a change decided: the entry and status it leaves, and why.
struct Decision {
    entry: ProfessionEntry,
    status: EntryStatus,
    kind: ChangeKind,
    changed_fields: Vec<String>,
    why: ChangeReason,
}

impl ProfessionsApi {
    /// The one path of every change to an existing entry: lock it, check the version the caller
    /// saw, let `decide` apply the rule, then write the new version, its history row and its
    /// event in one transaction.
    async fn change(
        &self,
        actor: &nsk_identity::Identity,
        of: ChangeOf<'_>,
        decide: impl FnOnce(&StoredProfession) -> Result<Decision, ApiError>,
    ) -> Result<StoredProfession, ApiError> {
        let ChangeOf {
            id,
            key,
            expected_version,
            effective_from,
        } = of;
        let now = Utc::now().trunc_subsecs(6);
        let today = nsk_calendar::kazakhstan_date(now);
        let mut tx = self.pool.begin().await?;
        if let Once::Applied(done) = nsk_db::requests::once(&mut tx, key, id).await? {
            tx.rollback().await?;
            return self.replay(done).await;
        }
        let current = store::lock(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("profession", &id.to_string()))?;
        if expected_version != 0 && expected_version != current.version {
            return Err(ApiError::aborted(format!(
                "the profession is at version {}, not {expected_version}: it changed since you read it; read it again",
                current.version
            )));
        }
        let latest = store::latest_effective_from(&mut tx, id)
            .await?
            .unwrap_or(today);
        let effective_from = crate::domain::effective_date(effective_from, today, latest)
            .map_err(|rule| ApiError::invalid_field("effective_from", rule))?;
        let decision = decide(&current)?;
        if decision.entry.grounding != current.entry.grounding {
            if let Some(violation) =
                check_standard(&mut tx, &decision.entry, "profession.standard").await?
            {
                return Err(ApiError::invalid_fields(vec![violation]));
            }
            // On another footing now, the entry's review after a superseded standard is done.
            store::clear_review(&mut tx, id).await?;
        }
        let next = StoredProfession {
            id,
            entry: decision.entry,
            status: decision.status,
            version: current.version + 1,
            created_at: current.created_at,
            updated_at: now,
        };
        let generated_request_id = Uuid::now_v7().to_string();
        let change = Change {
            actor: &actor.subject,
            actor_role: actor.primary_role(),
            request_id: key.map(RequestKey::id).unwrap_or(&generated_request_id),
            effective_from,
            at: now,
        };
        let history = HistoryEntry {
            kind: decision.kind,
            changed_fields: &decision.changed_fields,
            reason: &decision.why.reason,
            basis: &decision.why.basis,
        };
        store::update(&mut tx, &next, &history, &change)
            .await
            .map_err(|err| duplicate_nkz(err, &next))?;
        let context = EventContext {
            actor: actor.subject.clone(),
            request_id: change.request_id.to_string(),
        };
        crate::events::publish(
            &self.outbox,
            &mut tx,
            &context,
            &next,
            &history,
            effective_from,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(profession_id = %id, version = next.version, kind = decision.kind.as_str(), %effective_from, "register changed");
        Ok(next)
    }
}

/// Art. 1.14, 5.5: an entry may rest only on an approved, current version of a standard;
/// Art. 20.2: and list only the separate skills that version allows.
async fn check_standard(
    conn: &mut sqlx::PgConnection,
    entry: &ProfessionEntry,
    field: &str,
) -> Result<Option<nsk_errors::FieldViolation>, sqlx::Error> {
    let Grounding::Standard { id, version } = &entry.grounding else {
        return Ok(None);
    };
    let violation = match store::standard_problem(conn, *id, *version).await? {
        Err(problem) => Some((field.to_string(), problem)),
        Ok(None) => None,
        Ok(Some(of_standard)) => {
            let beyond = entry.separate_skills.beyond_standard(&of_standard);
            // The skills are the entry's `separate_skills`, a sibling of its `standard`.
            let skills_field = match field.strip_suffix("standard") {
                Some(prefix) => format!("{prefix}separate_skills"),
                None => field.to_string(),
            };
            (!beyond.is_empty()).then(|| (skills_field, beyond.join("; ")))
        }
    };
    Ok(violation.map(|(field, description)| nsk_errors::FieldViolation { field, description }))
}

/// What every change of an existing entry names besides its rule: the entry, the request id
/// and method (a retry is applied once), the version the caller read, and the day it takes
/// effect.
struct ChangeOf<'a> {
    id: Uuid,
    key: Option<&'a RequestKey>,
    expected_version: i64,
    effective_from: Option<chrono::NaiveDate>,
}

/// The fields every change of an entry's status carries.
struct StatusChange<'a> {
    id: &'a str,
    request_id: &'a str,
    /// The call's message, encoded: a retry repeats it exactly.
    content: &'a [u8],
    reason: &'a str,
    basis: Option<common::BasisDocument>,
    expected_version: i64,
    effective_from: &'a str,
}

impl ProfessionsApi {
    /// Whether the entry's latest version takes effect after today.
    async fn pending(&self, id: Uuid) -> Result<bool, ApiError> {
        let today = nsk_calendar::kazakhstan_date(Utc::now());
        let mut conn = self.pool.acquire().await?;
        Ok(store::latest_effective_from(&mut conn, id)
            .await?
            .is_some_and(|day| day > today))
    }

    /// Exclusion and reinstatement: the entry stays as it is, its status moves by `transition`.
    async fn change_status(
        &self,
        caller: &nsk_identity::Caller,
        fields: StatusChange<'_>,
        method: &'static str,
        transition: fn(EntryStatus) -> Result<EntryStatus, crate::domain::Refused>,
        kind: ChangeKind,
    ) -> Result<StoredProfession, ApiError> {
        // Art. 5.6: the authorized body keeps the register.
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?;
        let id = parse_id(fields.id, "id")?;
        let key = RequestKey::new(&identity.subject, method, fields.request_id, fields.content)?;
        let why = change_reason(fields.reason, fields.basis)?;
        let effective_from = parse_optional_date(fields.effective_from, "effective_from")?;
        let of = ChangeOf {
            id,
            key: key.as_ref(),
            expected_version: fields.expected_version,
            effective_from,
        };
        self.change(identity, of, |current| {
            let status = transition(current.status).map_err(refused)?;
            Ok(Decision {
                entry: current.entry.clone(),
                status,
                kind,
                changed_fields: vec!["status".into()],
                why,
            })
        })
        .await
    }
}

fn duplicate_nkz(err: sqlx::Error, profession: &StoredProfession) -> ApiError {
    match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("professions_nkz_code_key") => {
            ApiError::already_exists(format!(
                "a profession with NKZ code {} is already in the register",
                profession.entry.nkz_code.as_str()
            ))
        }
        _ => ApiError::from(err),
    }
}

fn change_reason(
    reason: &str,
    basis: Option<common::BasisDocument>,
) -> Result<ChangeReason, ApiError> {
    let basis = basis.unwrap_or_default();
    ChangeReason::parse(reason, &basis.number, &basis.date, &basis.title)
        .map_err(ApiError::invalid_fields)
}

fn refused(err: crate::domain::Refused) -> ApiError {
    ApiError::failed_precondition(err.0)
}

/// The largest file an import takes in one go.
const MAX_IMPORT_ROWS: usize = 100_000;
/// Entries per page when exporting.
const EXPORT_PAGE: i64 = 500;

impl ProfessionsApi {
    /// Enters every row in one transaction, each with its history row and event.
    async fn import_all(
        &self,
        rows: Vec<ProfessionEntry>,
        actor: &nsk_identity::Identity,
        key: Option<&RequestKey>,
    ) -> Result<i32, ApiError> {
        let now = Utc::now().trunc_subsecs(6);
        let today = nsk_calendar::kazakhstan_date(now);
        let import_id = Uuid::now_v7();
        let mut tx = self.pool.begin().await?;
        if let Once::Applied(_) = nsk_db::requests::once(&mut tx, key, import_id).await? {
            return Err(ApiError::already_exists(format!(
                "the import with request id {} was already applied",
                key.map(RequestKey::id).unwrap_or_default()
            )));
        }
        let generated_request_id = import_id.to_string();
        let change = Change {
            actor: &actor.subject,
            actor_role: actor.primary_role(),
            request_id: key.map(RequestKey::id).unwrap_or(&generated_request_id),
            effective_from: today,
            at: now,
        };
        let context = EventContext {
            actor: actor.subject.clone(),
            request_id: change.request_id.to_string(),
        };
        let count = rows.len() as i32;
        for entry in rows {
            let profession = StoredProfession {
                id: Uuid::now_v7(),
                entry,
                status: EntryStatus::Active,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let history = HistoryEntry {
                kind: ChangeKind::Registered,
                changed_fields: &[],
                reason: "",
                basis: &profession.entry.inclusion_basis,
            };
            store::insert(&mut tx, &profession, &history, &change)
                .await
                .map_err(|err| duplicate_nkz(err, &profession))?;
            crate::events::publish(
                &self.outbox,
                &mut tx,
                &context,
                &profession,
                &history,
                today,
            )
            .await?;
        }
        tx.commit().await?;
        tracing::info!(count, "register imported");
        Ok(count)
    }
}

type ExportStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<pb::Profession, Status>> + Send>>;

#[tonic::async_trait]
impl ProfessionRegistry for ProfessionsApi {
    async fn import_professions(
        &self,
        request: Request<tonic::Streaming<pb::ImportProfessionsRequest>>,
    ) -> Result<Response<pb::ImportProfessionsResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?.clone();
        let mut stream = request.into_inner();
        let mut entries = Vec::new();
        let mut violations = Vec::new();
        let mut first_row_of_code: std::collections::HashMap<String, i32> =
            std::collections::HashMap::new();
        let mut rows_of_code: Vec<(String, i32)> = Vec::new();
        let mut request_id = String::new();
        let mut content = nsk_db::requests::ContentDigest::default();
        let mut received = 0usize;
        while let Some(message) = stream.message().await? {
            received += 1;
            if received > MAX_IMPORT_ROWS {
                return Err(ApiError::invalid_field(
                    "rows",
                    "an import takes at most 100000 rows; split the file",
                )
                .into());
            }
            if received == 1 {
                request_id = message.request_id.clone();
            }
            content.update(&message.encode_to_vec());
            let row = if message.row > 0 {
                message.row
            } else {
                received as i32
            };
            let prefix = format!("rows[{row}].");
            let Some(profession) = message.profession else {
                violations.push(nsk_errors::FieldViolation {
                    field: format!("rows[{row}]"),
                    description: "is empty".into(),
                });
                continue;
            };
            match ProfessionEntry::parse(&draft_from_proto(profession), &prefix) {
                Ok(entry) => {
                    if matches!(entry.grounding, Grounding::Standard { .. }) {
                        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
                        let field = format!("{prefix}standard");
                        if let Some(v) = check_standard(&mut conn, &entry, &field)
                            .await
                            .map_err(ApiError::from)?
                        {
                            violations.push(v);
                        }
                    }
                    let code = entry.nkz_code.as_str().to_string();
                    if !entry.nkz_code.is_absent() {
                        // Two rows of one file may not claim one NKZ code.
                        if let Some(first) = first_row_of_code.get(&code) {
                            violations.push(nsk_errors::FieldViolation {
                                field: format!("{prefix}nkz_code"),
                                description: format!(
                                    "duplicates the NKZ code {code} of row {first}"
                                ),
                            });
                        } else {
                            first_row_of_code.insert(code.clone(), row);
                            rows_of_code.push((code, row));
                        }
                    }
                    entries.push(entry);
                }
                Err(mut bad) => violations.append(&mut bad),
            }
        }
        if received == 0 {
            return Err(ApiError::invalid_field("rows", "the file holds no entries").into());
        }
        let codes: Vec<String> = rows_of_code.iter().map(|(c, _)| c.clone()).collect();
        let existing = store::existing_nkz_codes(&self.pool, &codes)
            .await
            .map_err(ApiError::from)?;
        for (code, row) in &rows_of_code {
            if existing.contains(code) {
                violations.push(nsk_errors::FieldViolation {
                    field: format!("rows[{row}].nkz_code"),
                    description: format!(
                        "a profession with NKZ code {code} is already in the register"
                    ),
                });
            }
        }
        if !violations.is_empty() {
            let bad_rows: std::collections::BTreeSet<String> = violations
                .iter()
                .map(|v| v.field.split('.').next().unwrap_or_default().to_string())
                .collect();
            let mut err = ApiError::invalid_fields(violations);
            let problems = err.violations.len();
            err.message = format!(
                "the import was refused and nothing was entered: {problems} problem{} in {} of {received} rows",
                if problems == 1 { "" } else { "s" },
                bad_rows.len()
            );
            return Err(err.into());
        }
        let key =
            RequestKey::with_digest(&identity.subject, "ImportProfessions", &request_id, content)?;
        let imported = self.import_all(entries, &identity, key.as_ref()).await?;
        // After a bulk load, searches by name are slow until the table is vacuumed: the new
        // entries wait in the trigram indexes' pending lists, and the planner, without fresh
        // statistics, scans the whole table instead. Autovacuum would get there within minutes;
        // the register does it now, without making the caller wait.
        let pool = self.pool.clone();
        tokio::spawn(async move {
            match sqlx::query("VACUUM (ANALYZE) professions")
                .execute(&pool)
                .await
            {
                Ok(_) => tracing::info!("register vacuumed and analysed after the import"),
                Err(err) => {
                    tracing::warn!(error = %err, "vacuum after the import failed; autovacuum will do it")
                }
            }
        });
        Ok(Response::new(pb::ImportProfessionsResponse { imported }))
    }

    async fn export_professions(
        &self,
        request: Request<pb::ExportProfessionsRequest>,
    ) -> Result<Response<ExportStream>, Status> {
        let request = request.into_inner();
        let as_of = parse_optional_date(&request.as_of, "as_of")?;
        let pool = self.pool.clone();
        let include_excluded = request.include_excluded;
        // Page by page in id order, so memory stays flat whatever the size of the register.
        let pages = futures::stream::unfold(Some(Uuid::nil()), move |after| {
            let pool = pool.clone();
            async move {
                let after = after?;
                match store::export_page(&pool, as_of, include_excluded, after, EXPORT_PAGE).await {
                    Ok(page) => {
                        let next = (page.len() as i64 == EXPORT_PAGE)
                            .then(|| page.last().map(|p| p.id))
                            .flatten();
                        let items: Vec<Result<pb::Profession, Status>> =
                            page.iter().map(|p| Ok(to_proto(p))).collect();
                        if items.is_empty() {
                            None
                        } else {
                            Some((futures::stream::iter(items), next))
                        }
                    }
                    Err(err) => Some((
                        futures::stream::iter(vec![Err(Status::from(ApiError::from(err)))]),
                        None,
                    )),
                }
            }
        });
        Ok(Response::new(Box::pin(futures::StreamExt::flatten(pages))))
    }

    async fn amend_profession(
        &self,
        request: Request<pb::AmendProfessionRequest>,
    ) -> Result<Response<pb::Profession>, Status> {
        let caller = self.verifier.caller(&request)?;
        // Art. 5.6, 9.1: the authorized body updates the register.
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?;
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "AmendProfession",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let why = change_reason(&request.reason, request.basis)?;
        let effective_from = parse_optional_date(&request.effective_from, "effective_from")?;
        let proposed = draft_from_proto(request.profession.unwrap_or_default());
        let mask = request.update_mask;
        let changed = self
            .change(
                identity,
                ChangeOf {
                    id,
                    key: key.as_ref(),
                    expected_version: request.expected_version,
                    effective_from,
                },
                |current| {
                    current.status.check_amendable().map_err(refused)?;
                    let (entry, changed_fields) = current
                        .entry
                        .amend(&proposed, &mask)
                        .map_err(ApiError::invalid_fields)?;
                    Ok(Decision {
                        entry,
                        status: current.status,
                        kind: ChangeKind::Amended,
                        changed_fields,
                        why,
                    })
                },
            )
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn exclude_profession(
        &self,
        request: Request<pb::ExcludeProfessionRequest>,
    ) -> Result<Response<pb::Profession>, Status> {
        let caller = self.verifier.caller(&request)?;
        let r = request.into_inner();
        let content = r.encode_to_vec();
        let fields = StatusChange {
            id: &r.id,
            request_id: &r.request_id,
            content: &content,
            reason: &r.reason,
            basis: r.basis.clone(),
            expected_version: r.expected_version,
            effective_from: &r.effective_from,
        };
        let changed = self
            .change_status(
                &caller,
                fields,
                "ExcludeProfession",
                EntryStatus::exclude,
                ChangeKind::Excluded,
            )
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn reinstate_profession(
        &self,
        request: Request<pb::ReinstateProfessionRequest>,
    ) -> Result<Response<pb::Profession>, Status> {
        let caller = self.verifier.caller(&request)?;
        let r = request.into_inner();
        let content = r.encode_to_vec();
        let fields = StatusChange {
            id: &r.id,
            request_id: &r.request_id,
            content: &content,
            reason: &r.reason,
            basis: r.basis.clone(),
            expected_version: r.expected_version,
            effective_from: &r.effective_from,
        };
        let changed = self
            .change_status(
                &caller,
                fields,
                "ReinstateProfession",
                EntryStatus::reinstate,
                ChangeKind::Reinstated,
            )
            .await?;
        Ok(Response::new(to_proto(&changed)))
    }

    async fn list_profession_history(
        &self,
        request: Request<pb::ListProfessionHistoryRequest>,
    ) -> Result<Response<pb::ListProfessionHistoryResponse>, Status> {
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let page_size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(
                    ApiError::invalid_field("page_size", "must be between 1 and 500").into(),
                )
            }
        };
        let after_version = match request.page_token.as_str() {
            "" => 0,
            token => token.parse::<i64>().map_err(|_| {
                ApiError::invalid_field(
                    "page_token",
                    "is not a token this service issued; start from the first page",
                )
            })?,
        };
        if store::get(&self.pool, id)
            .await
            .map_err(ApiError::from)?
            .is_none()
        {
            return Err(ApiError::not_found("profession", &request.id).into());
        }
        let rows = store::history(&self.pool, id, after_version, i64::from(page_size))
            .await
            .map_err(ApiError::from)?;
        let next_page_token = match rows.last() {
            Some(last) if rows.len() == page_size as usize => last.profession.version.to_string(),
            _ => String::new(),
        };
        let changes = rows
            .into_iter()
            .map(|row| pb::ProfessionChange {
                version: row.profession.version,
                stamp: Some(common::ChangeStamp {
                    actor: row.actor,
                    actor_role: row.actor_role,
                    at: row
                        .profession
                        .updated_at
                        .to_rfc3339_opts(SecondsFormat::Micros, true),
                    reason: row.reason,
                    request_id: row.request_id,
                }),
                kind: row.kind,
                basis: row.basis.map(|b| common::BasisDocument {
                    number: b.number,
                    date: b.date.to_string(),
                    title: b.title,
                }),
                changed_fields: row.changed_fields,
                entry: Some(to_proto(&row.profession)),
                effective_from: row.effective_from.to_string(),
            })
            .collect();
        Ok(Response::new(pb::ListProfessionHistoryResponse {
            changes,
            next_page_token,
        }))
    }

    async fn register_profession(
        &self,
        request: Request<pb::RegisterProfessionRequest>,
    ) -> Result<Response<pb::Profession>, Status> {
        let caller = self.verifier.caller(&request)?;
        // Art. 5.6: the authorized body forms and keeps the register.
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?;
        let request = request.into_inner();
        let key = RequestKey::new(
            &identity.subject,
            "RegisterProfession",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let Some(profession) = request.profession else {
            return Err(ApiError::invalid_field("profession", "is required").into());
        };
        let entry = ProfessionEntry::parse(&draft_from_proto(profession), "profession.")
            .map_err(ApiError::invalid_fields)?;
        let stored = self.register(entry, identity, key.as_ref()).await?;
        Ok(Response::new(to_proto(&stored)))
    }

    async fn get_profession(
        &self,
        request: Request<pb::GetProfessionRequest>,
    ) -> Result<Response<pb::Profession>, Status> {
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let found = match parse_optional_date(&request.as_of, "as_of")? {
            // The entry in force today: its latest version, unless that takes effect later.
            None => match store::get(&self.pool, id).await.map_err(ApiError::from)? {
                Some(latest) if self.pending(id).await? => {
                    let today = nsk_calendar::kazakhstan_date(Utc::now());
                    store::get_as_of(&self.pool, id, today)
                        .await
                        .map_err(ApiError::from)?
                        .or(Some(latest))
                }
                found => found,
            },
            Some(date) => store::get_as_of(&self.pool, id, date)
                .await
                .map_err(ApiError::from)?,
        };
        let profession = found.ok_or_else(|| match request.as_of.is_empty() {
            true => ApiError::not_found("profession", &request.id),
            false => ApiError::new(
                nsk_errors::ErrorKind::NotFound,
                format!(
                    "profession {} was not in the register on {}",
                    request.id, request.as_of
                ),
            ),
        })?;
        Ok(Response::new(to_proto(&profession)))
    }

    async fn list_professions(
        &self,
        request: Request<pb::ListProfessionsRequest>,
    ) -> Result<Response<pb::ListProfessionsResponse>, Status> {
        let request = request.into_inner();
        let page_size = match request.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(
                    ApiError::invalid_field("page_size", "must be between 1 and 500").into(),
                )
            }
        };
        let (sort, descending) = parse_order_by(&request.order_by)?;
        let after = match request.page_token.as_str() {
            "" => None,
            token => Some(decode_page_token(token, sort, descending)?),
        };
        let filter = ListFilter {
            name: Some(request.name.trim().to_string()).filter(|n| !n.is_empty()),
            nkz_code: Some(request.nkz_code.trim().to_string()).filter(|c| !c.is_empty()),
            oked_code: Some(request.oked_code.trim().to_string()).filter(|c| !c.is_empty()),
            nqf_level: match request.nqf_level {
                0 => None,
                level @ 1..=8 => Some(level),
                _ => {
                    return Err(
                        ApiError::invalid_field("nqf_level", "must be between 1 and 8").into(),
                    )
                }
            },
            status: match pb::ProfessionStatus::try_from(request.status) {
                Ok(pb::ProfessionStatus::Unspecified) => None,
                Ok(pb::ProfessionStatus::Active) => Some(EntryStatus::Active),
                Ok(pb::ProfessionStatus::Excluded) => Some(EntryStatus::Excluded),
                Err(_) => {
                    return Err(ApiError::invalid_field("status", "is not a known status").into())
                }
            },
            as_of: match parse_optional_date(&request.as_of, "as_of")? {
                // With an amendment entered to take effect later, the register in force today
                // is read from the history; otherwise from the current table, which is faster.
                None => {
                    let today = nsk_calendar::kazakhstan_date(Utc::now());
                    store::any_pending(&self.pool, today)
                        .await
                        .map_err(ApiError::from)?
                        .then_some(today)
                }
                day => day,
            },
            needs_review: request.needs_review,
            sort,
            descending,
            after,
            limit: i64::from(page_size),
        };
        let (items, total) = store::list(&self.pool, &filter)
            .await
            .map_err(ApiError::from)?;
        let next_page_token = match items.last() {
            Some(last) if items.len() == page_size as usize => {
                encode_page_token(last, sort, descending)
            }
            _ => String::new(),
        };
        Ok(Response::new(pb::ListProfessionsResponse {
            professions: items.iter().map(to_proto).collect(),
            next_page_token,
            total_size: total,
        }))
    }
}

fn parse_order_by(raw: &str) -> Result<(SortKey, bool), ApiError> {
    let rule = "must be one of nkz_code, oked_code, name_kk, name_ru, name_en, create_time, optionally followed by \" desc\"";
    let mut words = raw.split_whitespace();
    let key = match words.next() {
        None => return Ok((SortKey::CreateTime, false)),
        Some(word) => {
            SortKey::parse(word).ok_or_else(|| ApiError::invalid_field("order_by", rule))?
        }
    };
    let descending = match words.next() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::invalid_field("order_by", rule)),
    };
    if words.next().is_some() {
        return Err(ApiError::invalid_field("order_by", rule));
    }
    Ok((key, descending))
}

/// A page token: the order it belongs to and the position after the page, hex-encoded so it
/// stays opaque and URL-safe.
fn encode_page_token(last: &StoredProfession, sort: SortKey, descending: bool) -> String {
    let raw = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}",
        sort.as_str(),
        descending,
        sort.value_of(last),
        last.id
    );
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_page_token(
    token: &str,
    sort: SortKey,
    descending: bool,
) -> Result<(String, Uuid), ApiError> {
    let invalid = || {
        ApiError::invalid_field(
            "page_token",
            "is not a token this service issued for this order; start from the first page",
        )
    };
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let raw = String::from_utf8(bytes).map_err(|_| invalid())?;
    let parts: Vec<&str> = raw.split('\u{1f}').collect();
    match parts.as_slice() {
        [key, desc, value, id] if *key == sort.as_str() && *desc == descending.to_string() => Ok((
            value.to_string(),
            Uuid::parse_str(id).map_err(|_| invalid())?,
        )),
        _ => Err(invalid()),
    }
}

fn draft_from_proto(p: pb::Profession) -> ProfessionDraft {
    let names = p.names.unwrap_or_default();
    let basis = p.inclusion_basis.unwrap_or_default();
    let standard = p.standard.unwrap_or_default();
    ProfessionDraft {
        name_kk: names.kk,
        name_ru: names.ru,
        name_en: names.en,
        nkz_code: p.nkz_code,
        oked_code: p.oked_code,
        nqf_levels: p.nqf_levels,
        document_validity_months: p.document_validity_months,
        separate_skills_allowed: p.separate_skills_allowed,
        separate_skills: p.separate_skills,
        standard_id: standard.standard_id,
        standard_version: standard.version,
        qualification_requirements_apply: p.qualification_requirements_apply,
        basis_number: basis.number,
        basis_date: basis.date,
        basis_title: basis.title,
    }
}

pub fn to_proto(p: &StoredProfession) -> pb::Profession {
    let e = &p.entry;
    let (standard, qualification_requirements_apply) = match &e.grounding {
        Grounding::Standard { id, version } => (
            Some(pb::StandardReference {
                standard_id: id.to_string(),
                version: *version,
            }),
            false,
        ),
        Grounding::QualificationRequirements => (None, true),
    };
    let (separate_skills_allowed, separate_skills) = match &e.separate_skills {
        SeparateSkills::NotAllowed => (false, Vec::new()),
        SeparateSkills::Allowed(skills) => (true, skills.clone()),
    };
    pb::Profession {
        id: p.id.to_string(),
        names: Some(common::LocalizedText {
            kk: e.names.kk.clone(),
            ru: e.names.ru.clone(),
            en: e.names.en.clone(),
        }),
        nkz_code: e.nkz_code.as_str().to_string(),
        oked_code: e.oked_code.as_str().to_string(),
        nqf_levels: e.nqf_levels.iter().map(|l| i32::from(l.get())).collect(),
        document_validity_months: e.document_validity_months,
        separate_skills_allowed,
        separate_skills,
        standard,
        qualification_requirements_apply,
        inclusion_basis: Some(common::BasisDocument {
            number: e.inclusion_basis.number.clone(),
            date: e.inclusion_basis.date.to_string(),
            title: e.inclusion_basis.title.clone(),
        }),
        status: match p.status {
            EntryStatus::Active => pb::ProfessionStatus::Active as i32,
            EntryStatus::Excluded => pb::ProfessionStatus::Excluded as i32,
        },
        version: p.version,
        create_time: p.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        update_time: p.updated_at.to_rfc3339_opts(SecondsFormat::Micros, true),
    }
}

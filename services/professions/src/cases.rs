//! One function per command and read of the register: one transaction — the request key
//! recorded, the entry locked, the version the caller saw checked, the domain's rule applied,
//! the new version with its history row and its event — returning the entry as it became, or
//! an [`ApiError`]. The gRPC handlers call these; nothing here knows of gRPC.

use chrono::{NaiveDate, SubsecRound, Utc};
use futures::Stream;
use nsk_db::requests::{Once, RequestKey};
use nsk_errors::ApiError;
use nsk_events::{EventContext, Outbox};
use nsk_identity::Identity;
use sqlx::PgPool;
use uuid::Uuid;

use crate::convert::ImportRows;
use crate::domain::{
    ChangeReason, Grounding, ProfessionDraft, ProfessionEntry, Status as EntryStatus,
};
use crate::store::{
    self, Change, ChangeKind, HistoryEntry, HistoryRow, ListFilter, StoredProfession,
};

/// Entries per page when exporting.
const EXPORT_PAGE: i64 = 500;

/// What a change decided: the entry and status it leaves, and why.
struct Decision {
    entry: ProfessionEntry,
    status: EntryStatus,
    kind: ChangeKind,
    changed_fields: Vec<String>,
    why: ChangeReason,
}

/// What every change of an existing entry names besides its rule: the entry, the request key
/// (a retry is applied once), the version the caller read, and the day it takes effect.
pub struct ChangeOf<'a> {
    pub id: Uuid,
    pub key: Option<&'a RequestKey>,
    pub expected_version: i64,
    pub effective_from: Option<NaiveDate>,
}

fn refused(err: crate::domain::Refused) -> ApiError {
    ApiError::failed_precondition(err.0)
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

/// The register's commands and reads.
pub struct Register {
    pool: PgPool,
    outbox: Outbox,
}

impl Register {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { pool, outbox }
    }

    /// Art. 5.6: the authorized body enters a profession.
    pub async fn register(
        &self,
        entry: ProfessionEntry,
        actor: &Identity,
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

    /// Art. 5.6, 9.1: an amendment of the fields of `mask`, on a document.
    pub async fn amend(
        &self,
        actor: &Identity,
        of: ChangeOf<'_>,
        proposed: ProfessionDraft,
        mask: Vec<String>,
        why: ChangeReason,
    ) -> Result<StoredProfession, ApiError> {
        self.change(actor, of, |current| {
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
        })
        .await
    }

    /// Exclusion (`kind` Excluded) and reinstatement: the entry stays as it is, its status
    /// moves by the domain's rule.
    pub async fn change_status(
        &self,
        actor: &Identity,
        of: ChangeOf<'_>,
        kind: ChangeKind,
        why: ChangeReason,
    ) -> Result<StoredProfession, ApiError> {
        let transition = match kind {
            ChangeKind::Excluded => EntryStatus::exclude,
            _ => EntryStatus::reinstate,
        };
        self.change(actor, of, |current| {
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

    /// An import: every row checked against the standards and the register, then all entered
    /// in one transaction — or nothing, with every problem named.
    pub async fn import(&self, actor: &Identity, rows: ImportRows) -> Result<i32, ApiError> {
        if rows.received == 0 {
            return Err(ApiError::invalid_field("rows", "the file holds no entries"));
        }
        let mut violations = rows.violations.clone();
        let mut conn = self.pool.acquire().await?;
        for (prefix, entry) in &rows.entries {
            if matches!(entry.grounding, Grounding::Standard { .. }) {
                let field = format!("{prefix}standard");
                if let Some(v) = check_standard(&mut conn, entry, &field).await? {
                    violations.push(v);
                }
            }
        }
        drop(conn);
        let codes: Vec<String> = rows.rows_of_code.iter().map(|(c, _)| c.clone()).collect();
        let existing = store::existing_nkz_codes(&self.pool, &codes).await?;
        for (code, row) in &rows.rows_of_code {
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
            return Err(rows.refusal(violations));
        }
        let key = RequestKey::with_digest(
            &actor.subject,
            "ImportProfessions",
            &rows.request_id,
            rows.content.clone(),
        )?;
        let entries = rows.entries.into_iter().map(|(_, e)| e).collect();
        let imported = self.import_all(entries, actor, key.as_ref()).await?;
        // After a bulk load, searches by name are slow until the table is vacuumed: the new
        // entries wait in the trigram indexes' pending lists, and the planner, without fresh
        // statistics, scans the whole table instead. Autovacuum would get there within
        // minutes; the register does it now, without making the caller wait.
        let pool = self.pool.clone();
        tokio::spawn(async move {
            match store::vacuum(&pool).await {
                Ok(_) => tracing::info!("register vacuumed and analysed after the import"),
                Err(err) => {
                    tracing::warn!(error = %err, "vacuum after the import failed; autovacuum will do it")
                }
            }
        });
        Ok(imported)
    }

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

    /// The entry in force on `as_of` (today when `None`: its latest version, unless that
    /// takes effect later).
    pub async fn get(
        &self,
        id: Uuid,
        as_of: Option<NaiveDate>,
    ) -> Result<Option<StoredProfession>, ApiError> {
        Ok(match as_of {
            None => match store::get(&self.pool, id).await? {
                Some(latest) if self.pending(id).await? => {
                    let today = nsk_calendar::kazakhstan_date(Utc::now());
                    store::get_as_of(&self.pool, id, today)
                        .await?
                        .or(Some(latest))
                }
                found => found,
            },
            Some(date) => store::get_as_of(&self.pool, id, date).await?,
        })
    }

    /// Whether the entry's latest version takes effect after today.
    async fn pending(&self, id: Uuid) -> Result<bool, ApiError> {
        let today = nsk_calendar::kazakhstan_date(Utc::now());
        let mut conn = self.pool.acquire().await?;
        Ok(store::latest_effective_from(&mut conn, id)
            .await?
            .is_some_and(|day| day > today))
    }

    /// A page of the list and the total. Without a day asked for: with an amendment entered
    /// to take effect later, the register in force today is read from the history; otherwise
    /// from the current table, which is faster.
    pub async fn list(
        &self,
        mut filter: ListFilter,
    ) -> Result<(Vec<StoredProfession>, store::Total, ListFilter), ApiError> {
        if filter.as_of.is_none() {
            let today = nsk_calendar::kazakhstan_date(Utc::now());
            filter.as_of = store::any_pending(&self.pool, today)
                .await?
                .then_some(today);
        }
        let (items, total) = store::list(&self.pool, &filter).await?;
        Ok((items, total, filter))
    }

    /// A page of an entry's changes after `after_version`.
    pub async fn history(
        &self,
        id: Uuid,
        after_version: i64,
        limit: i64,
    ) -> Result<Vec<HistoryRow>, ApiError> {
        if store::get(&self.pool, id).await?.is_none() {
            return Err(ApiError::not_found("profession", &id.to_string()));
        }
        Ok(store::history(&self.pool, id, after_version, limit).await?)
    }

    /// The whole register on `as_of` (today when `None`), page by page in id order, so memory
    /// stays flat whatever its size.
    pub fn export(
        &self,
        as_of: Option<NaiveDate>,
        include_excluded: bool,
    ) -> impl Stream<Item = Result<StoredProfession, ApiError>> + Send + 'static {
        let pool = self.pool.clone();
        let pages = futures::stream::unfold(Some(Uuid::nil()), move |after| {
            let pool = pool.clone();
            async move {
                let after = after?;
                match store::export_page(&pool, as_of, include_excluded, after, EXPORT_PAGE).await {
                    Ok(page) => {
                        let next = (page.len() as i64 == EXPORT_PAGE)
                            .then(|| page.last().map(|p| p.id))
                            .flatten();
                        if page.is_empty() {
                            None
                        } else {
                            let items: Vec<Result<StoredProfession, ApiError>> =
                                page.into_iter().map(Ok).collect();
                            Some((futures::stream::iter(items), next))
                        }
                    }
                    Err(err) => Some((futures::stream::iter(vec![Err(ApiError::from(err))]), None)),
                }
            }
        });
        futures::StreamExt::flatten(pages)
    }
}

//! SQL of professional standards: versions, their approval steps, and the list.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::content::StandardContent;
use crate::domain::{Conclusion, Stage};

/// The document an act rests on: the one shape of `nsk-errors`.
pub use nsk_errors::fields::Document;

/// A version and its steps, as the domain has them.
pub use crate::domain::version::{Progress, StandardVersion, StepRecord};

fn corrupt(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

fn stage_of(code: &str) -> Result<Stage, sqlx::Error> {
    Stage::from_code(code).ok_or_else(|| corrupt(format!("unknown stage {code:?}")))
}

fn conclusion_of(code: Option<String>) -> Result<Option<Conclusion>, sqlx::Error> {
    code.map(|c| {
        Conclusion::from_code(&c).ok_or_else(|| corrupt(format!("unknown conclusion {c:?}")))
    })
    .transpose()
}

/// A row of `standard_versions`, as stored.
#[derive(sqlx::FromRow)]
struct VersionRow {
    standard_id: Uuid,
    version: i32,
    stage: String,
    content: serde_json::Value,
    nce_conclusion: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<VersionRow> for StandardVersion {
    type Error = sqlx::Error;

    fn try_from(row: VersionRow) -> Result<Self, Self::Error> {
        let progress = Progress {
            stage: stage_of(&row.stage)?,
            content: serde_json::from_value(row.content)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            nce_conclusion: conclusion_of(row.nce_conclusion)?,
            updated_at: row.updated_at,
        };
        Ok(StandardVersion::restore(
            row.standard_id,
            row.version,
            row.created_at,
            progress,
        ))
    }
}

/// A row of `standard_steps`, as stored.
struct StepRow {
    standard_id: Uuid,
    version: i32,
    reached: String,
    returned: bool,
    conclusion: Option<String>,
    document: Option<serde_json::Value>,
    remarks: String,
    actor: String,
    actor_role: String,
    request_id: String,
    recorded_at: DateTime<Utc>,
}

impl TryFrom<StepRow> for StepRecord {
    type Error = sqlx::Error;

    fn try_from(row: StepRow) -> Result<Self, Self::Error> {
        Ok(StepRecord {
            reached: stage_of(&row.reached)?,
            returned: row.returned,
            conclusion: conclusion_of(row.conclusion)?,
            document: row
                .document
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            remarks: row.remarks,
            actor: row.actor,
            actor_role: row.actor_role,
            request_id: row.request_id,
            at: row.recorded_at,
        })
    }
}

/// The lower-cased titles in all three languages, searched with ILIKE.
fn title_search(content: &StandardContent) -> String {
    format!(
        "{}\n{}\n{}",
        content.title.kk, content.title.ru, content.title.en
    )
    .to_lowercase()
}

fn json(content: &StandardContent) -> Result<serde_json::Value, sqlx::Error> {
    serde_json::to_value(content).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Creates a standard with its first version.
pub async fn create(
    conn: &mut PgConnection,
    first: &StandardVersion,
    created_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO standards (id, revision, created_by, created_at) VALUES ($1, 1, $2, $3)",
        first.standard_id,
        created_by,
        first.created_at,
    )
    .execute(&mut *conn)
    .await?;
    insert_version(conn, first).await
}

/// Adds a version to an existing standard.
pub async fn insert_version(
    conn: &mut PgConnection,
    v: &StandardVersion,
) -> Result<(), sqlx::Error> {
    let levels: Vec<i32> = v
        .content()
        .nqf_levels
        .iter()
        .map(|l| i32::from(*l))
        .collect();
    sqlx::query!(
        "INSERT INTO standard_versions
             (standard_id, version, stage, content, nce_conclusion, title_search, nkz_codes,
              nqf_levels, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        v.standard_id,
        v.version,
        v.stage().code(),
        json(v.content())?,
        v.nce_conclusion().map(Conclusion::code),
        title_search(v.content()),
        &v.content().nkz_codes,
        &levels,
        v.created_at,
        v.updated_at(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes a version's stage, content and conclusion back.
pub async fn save_version(conn: &mut PgConnection, v: &StandardVersion) -> Result<(), sqlx::Error> {
    let levels: Vec<i32> = v
        .content()
        .nqf_levels
        .iter()
        .map(|l| i32::from(*l))
        .collect();
    sqlx::query!(
        "UPDATE standard_versions
            SET stage = $3, content = $4, nce_conclusion = $5, title_search = $6, nkz_codes = $7,
                nqf_levels = $8, updated_at = $9
          WHERE standard_id = $1 AND version = $2",
        v.standard_id,
        v.version,
        v.stage().code(),
        json(v.content())?,
        v.nce_conclusion().map(Conclusion::code),
        title_search(v.content()),
        &v.content().nkz_codes,
        &levels,
        v.updated_at(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves another version to `stage` (a superseded one on publication).
pub async fn set_stage(
    conn: &mut PgConnection,
    standard_id: Uuid,
    version: i32,
    stage: Stage,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE standard_versions SET stage = $3, updated_at = $4
          WHERE standard_id = $1 AND version = $2",
        standard_id,
        version,
        stage.code(),
        at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends a step to a version's record.
pub async fn add_step(
    conn: &mut PgConnection,
    standard_id: Uuid,
    version: i32,
    step: &StepRecord,
) -> Result<(), sqlx::Error> {
    let document = step
        .document
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query!(
        "INSERT INTO standard_steps
             (standard_id, version, seq, reached, returned, conclusion, document, remarks, actor,
              actor_role, request_id, recorded_at)
         SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, $7, $8, $9, $10, $11
           FROM standard_steps WHERE standard_id = $1 AND version = $2",
        standard_id,
        version,
        step.reached.code(),
        step.returned,
        step.conclusion.map(Conclusion::code),
        document,
        step.remarks,
        step.actor,
        step.actor_role,
        step.request_id,
        step.at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks a standard for a change and counts the change; returns its new revision (the
/// aggregate version of the events the change publishes), or `None` when there is no such
/// standard.
pub async fn lock_and_count(
    conn: &mut PgConnection,
    standard_id: Uuid,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE standards SET revision = revision + 1 WHERE id = $1 RETURNING revision",
        standard_id,
    )
    .fetch_optional(conn)
    .await
}

/// Every version of a standard and its stage, oldest first.
pub async fn versions(
    conn: &mut PgConnection,
    standard_id: Uuid,
) -> Result<Vec<(i32, Stage)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT version, stage FROM standard_versions WHERE standard_id = $1 ORDER BY version",
        standard_id,
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| Ok((row.version, stage_of(&row.stage)?)))
        .collect()
}

async fn attach_steps(
    conn: &mut PgConnection,
    versions: &mut [StandardVersion],
) -> Result<(), sqlx::Error> {
    if versions.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = versions.iter().map(|v| v.standard_id).collect();
    let numbers: Vec<i32> = versions.iter().map(|v| v.version).collect();
    let rows = sqlx::query_as!(
        StepRow,
        "SELECT s.standard_id, s.version, s.reached, s.returned, s.conclusion, s.document,
                s.remarks, s.actor, s.actor_role, s.request_id, s.recorded_at
           FROM standard_steps s
           JOIN UNNEST($1::uuid[], $2::int[]) AS wanted (standard_id, version)
             ON s.standard_id = wanted.standard_id AND s.version = wanted.version
          ORDER BY s.standard_id, s.version, s.seq",
        &ids,
        &numbers,
    )
    .fetch_all(conn)
    .await?;
    for row in rows {
        let (id, version) = (row.standard_id, row.version);
        if let Some(v) = versions
            .iter_mut()
            .find(|v| v.standard_id == id && v.version == version)
        {
            v.recorded(row.try_into()?);
        }
    }
    Ok(())
}

/// One version with its steps.
pub async fn load(
    conn: &mut PgConnection,
    standard_id: Uuid,
    version: i32,
) -> Result<Option<StandardVersion>, sqlx::Error> {
    let row = sqlx::query_as!(
        VersionRow,
        "SELECT standard_id, version, stage, content, nce_conclusion, created_at, updated_at
           FROM standard_versions WHERE standard_id = $1 AND version = $2",
        standard_id,
        version,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut found = [StandardVersion::try_from(row)?];
    attach_steps(conn, &mut found).await?;
    let [found] = found;
    Ok(Some(found))
}

/// What the list is asked for.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// The stages to show; never empty.
    pub stages: Vec<Stage>,
    pub nkz_code: Option<String>,
    pub nqf_level: Option<i32>,
    /// Lower-cased part of a title.
    pub title: Option<String>,
    /// Keyset position: the last (standard, version) of the previous page.
    pub after: Option<(Uuid, i32)>,
    pub limit: i64,
}

/// A page of versions in (standard id, version) order.
pub async fn list(pool: &PgPool, filter: &ListFilter) -> Result<Vec<StandardVersion>, sqlx::Error> {
    let stages: Vec<&str> = filter.stages.iter().map(|s| s.code()).collect();
    let (after_id, after_version) = filter.after.unwrap_or((Uuid::nil(), 0));
    let title = filter
        .title
        .as_ref()
        .map(|t| format!("%{}%", escape_like(t)));
    // Built at run time, not by the macros: a title search must not use a prepared plan.
    let rows: Vec<VersionRow> = sqlx::query_as(
        "SELECT standard_id, version, stage, content, nce_conclusion, created_at, updated_at
           FROM standard_versions
          WHERE stage = ANY($1)
            AND ($2::text IS NULL OR nkz_codes @> ARRAY[$2::text])
            AND ($3::int IS NULL OR nqf_levels @> ARRAY[$3::int])
            AND ($4::text IS NULL OR title_search LIKE $4)
            AND (standard_id, version) > ($5, $6)
          ORDER BY standard_id, version
          LIMIT $7",
    )
    .bind(&stages)
    .bind(&filter.nkz_code)
    .bind(filter.nqf_level)
    .bind(title)
    .bind(after_id)
    .bind(after_version)
    .bind(filter.limit)
    // A title search is planned for its pattern (a generic plan cannot use the trigram index).
    .persistent(filter.title.is_none())
    .fetch_all(pool)
    .await?;
    let mut found = rows
        .into_iter()
        .map(StandardVersion::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let mut conn = pool.acquire().await?;
    attach_steps(&mut conn, &mut found).await?;
    Ok(found)
}

/// `%`, `_` and `\` in a search text match themselves.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

//! SQL of the register of professions.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::{ProfessionEntry, Status};

mod search;
pub use search::{list, Total, COUNT_CAP};

/// An entry as stored: the validated fields plus its identity and bookkeeping.
#[derive(Debug, Clone)]
pub struct StoredProfession {
    pub id: Uuid,
    pub entry: ProfessionEntry,
    pub status: Status,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Who changed the register, and on what request.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub actor: &'a str,
    pub actor_role: &'a str,
    pub request_id: &'a str,
    pub effective_from: NaiveDate,
    pub at: DateTime<Utc>,
}

/// A column the list can be sorted by; each is unique together with the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    CreateTime,
    NkzCode,
    OkedCode,
    NameKk,
    NameRu,
    NameEn,
}

impl SortKey {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "create_time" | "createTime" => SortKey::CreateTime,
            "nkz_code" | "nkzCode" => SortKey::NkzCode,
            "oked_code" | "okedCode" => SortKey::OkedCode,
            "name_kk" | "nameKk" => SortKey::NameKk,
            "name_ru" | "nameRu" => SortKey::NameRu,
            "name_en" | "nameEn" => SortKey::NameEn,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::CreateTime => "create_time",
            SortKey::NkzCode => "nkz_code",
            SortKey::OkedCode => "oked_code",
            SortKey::NameKk => "name_kk",
            SortKey::NameRu => "name_ru",
            SortKey::NameEn => "name_en",
        }
    }

    /// The column expression; ids are time-ordered (UUIDv7), so the id is the creation order.
    fn column(self) -> &'static str {
        match self {
            SortKey::CreateTime => "id",
            SortKey::NkzCode => "nkz_code",
            SortKey::OkedCode => "oked_code",
            SortKey::NameKk => "name_kk",
            SortKey::NameRu => "name_ru",
            SortKey::NameEn => "name_en",
        }
    }

    pub fn value_of(self, p: &StoredProfession) -> String {
        match self {
            SortKey::CreateTime => p.id.to_string(),
            SortKey::NkzCode => p.entry.nkz_code.as_str().to_string(),
            SortKey::OkedCode => p.entry.oked_code.as_str().to_string(),
            SortKey::NameKk => p.entry.names.kk.clone(),
            SortKey::NameRu => p.entry.names.ru.clone(),
            SortKey::NameEn => p.entry.names.en.clone(),
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub name: Option<String>,
    pub nkz_code: Option<String>,
    pub oked_code: Option<String>,
    pub nqf_level: Option<i32>,
    pub status: Option<Status>,
    /// The register as it stood at the end of this day, instead of now.
    pub as_of: Option<NaiveDate>,
    /// Only entries flagged for review after their standard was superseded.
    pub needs_review: bool,
    pub sort: SortKey,
    pub descending: bool,
    /// Keyset position: the sort value and id of the last entry of the previous page.
    pub after: Option<(String, Uuid)>,
    pub limit: i64,
}

/// A row of the register (or of its history, read as the register stood), as stored.
#[derive(sqlx::FromRow)]
struct ProfessionRow {
    id: Uuid,
    entry: serde_json::Value,
    status: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ProfessionRow> for StoredProfession {
    type Error = sqlx::Error;

    fn try_from(row: ProfessionRow) -> Result<Self, Self::Error> {
        Ok(StoredProfession {
            id: row.id,
            entry: serde_json::from_value(row.entry)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            status: Status::parse(&row.status).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown status {}", row.status).into())
            })?,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn decode_all(rows: Vec<ProfessionRow>) -> Result<Vec<StoredProfession>, sqlx::Error> {
    rows.into_iter().map(StoredProfession::try_from).collect()
}

/// What kind of change a history row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Registered,
    Amended,
    Excluded,
    Reinstated,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Registered => "registered",
            ChangeKind::Amended => "amended",
            ChangeKind::Excluded => "excluded",
            ChangeKind::Reinstated => "reinstated",
        }
    }
}

/// A history row: which change, why, on what basis.
#[derive(Debug, Clone)]
pub struct HistoryEntry<'a> {
    pub kind: ChangeKind,
    pub changed_fields: &'a [String],
    pub reason: &'a str,
    pub basis: &'a crate::domain::Document,
}

fn json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, sqlx::Error> {
    serde_json::to_value(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

async fn append_history(
    conn: &mut PgConnection,
    profession: &StoredProfession,
    entry: &HistoryEntry<'_>,
    change: &Change<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO profession_history
            (profession_id, version, kind, entry, status, changed_fields, reason, basis,
             actor, actor_role, request_id, effective_from, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        profession.id,
        profession.version,
        entry.kind.as_str(),
        json(&profession.entry)?,
        profession.status.as_str(),
        entry.changed_fields,
        entry.reason,
        json(entry.basis)?,
        change.actor,
        change.actor_role,
        change.request_id,
        change.effective_from,
        change.at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Enters a new profession, version 1, with its first history row.
pub async fn insert(
    conn: &mut PgConnection,
    profession: &StoredProfession,
    history: &HistoryEntry<'_>,
    change: &Change<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO professions
            (id, nkz_code, oked_code, name_kk, name_ru, name_en, entry, status, version,
             created_at, updated_at, effective_from)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)",
        profession.id,
        profession.entry.nkz_code.as_str(),
        profession.entry.oked_code.as_str(),
        profession.entry.names.kk,
        profession.entry.names.ru,
        profession.entry.names.en,
        json(&profession.entry)?,
        profession.status.as_str(),
        profession.version,
        profession.created_at,
        change.effective_from,
    )
    .execute(&mut *conn)
    .await?;
    append_history(conn, profession, history, change).await
}

/// The entry, locked until the end of the transaction, so that concurrent changes queue.
pub async fn lock(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredProfession>, sqlx::Error> {
    sqlx::query_as!(
        ProfessionRow,
        "SELECT id, entry, status, version, created_at, updated_at
           FROM professions WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await?
    .map(StoredProfession::try_from)
    .transpose()
}

/// Writes the next version of an entry and its history row.
pub async fn update(
    conn: &mut PgConnection,
    profession: &StoredProfession,
    history: &HistoryEntry<'_>,
    change: &Change<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE professions
            SET nkz_code = $2, oked_code = $3, name_kk = $4, name_ru = $5, name_en = $6,
                entry = $7, status = $8, version = $9, updated_at = $10, effective_from = $11
          WHERE id = $1",
        profession.id,
        profession.entry.nkz_code.as_str(),
        profession.entry.oked_code.as_str(),
        profession.entry.names.kk,
        profession.entry.names.ru,
        profession.entry.names.en,
        json(&profession.entry)?,
        profession.status.as_str(),
        profession.version,
        profession.updated_at,
        change.effective_from,
    )
    .execute(&mut *conn)
    .await?;
    append_history(conn, profession, history, change).await
}

/// The day the entry's latest version takes effect.
pub async fn latest_effective_from(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar!("SELECT effective_from FROM professions WHERE id = $1", id)
        .fetch_optional(conn)
        .await
}

/// Whether any entry has a version entered that takes effect after `today`.
///
/// Asked before every page of the register, so it is one probe of the `professions_pending`
/// index's last entry whatever the day: `EXISTS (... WHERE effective_from > $1)` under the plan
/// the database keeps for the statement reads the whole table when nothing is pending.
pub async fn any_pending(pool: &PgPool, today: NaiveDate) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT COALESCE(max(effective_from) > $1, false) AS "any!" FROM professions"#,
        today,
    )
    .fetch_one(pool)
    .await
}

/// A recorded change, as the history shows it.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub profession: StoredProfession,
    pub kind: String,
    pub changed_fields: Vec<String>,
    pub reason: String,
    pub basis: Option<crate::domain::Document>,
    pub actor: String,
    pub actor_role: String,
    pub request_id: String,
    pub effective_from: NaiveDate,
}

/// Changes of an entry in version order, after `after_version`.
pub async fn history(
    pool: &PgPool,
    id: Uuid,
    after_version: i64,
    limit: i64,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT p.id, h.entry, h.status, h.version, p.created_at, h.recorded_at AS updated_at,
                h.kind, h.changed_fields, h.reason, h.basis, h.actor, h.actor_role, h.request_id,
                h.effective_from
         FROM profession_history h JOIN professions p ON p.id = h.profession_id
         WHERE h.profession_id = $1 AND h.version > $2
         ORDER BY h.version LIMIT $3",
        id,
        after_version,
        limit,
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let profession = ProfessionRow {
                id: row.id,
                entry: row.entry,
                status: row.status,
                version: row.version,
                created_at: row.created_at,
                updated_at: row.updated_at,
            };
            Ok(HistoryRow {
                profession: profession.try_into()?,
                kind: row.kind,
                changed_fields: row.changed_fields,
                reason: row.reason,
                basis: row
                    .basis
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                actor: row.actor,
                actor_role: row.actor_role,
                request_id: row.request_id,
                effective_from: row.effective_from,
            })
        })
        .collect()
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<StoredProfession>, sqlx::Error> {
    sqlx::query_as!(
        ProfessionRow,
        "SELECT id, entry, status, version, created_at, updated_at FROM professions WHERE id = $1",
        id,
    )
    .fetch_optional(pool)
    .await?
    .map(StoredProfession::try_from)
    .transpose()
}

/// The entry as it stood at the end of `date`: its last version effective on or before it.
pub async fn get_as_of(
    pool: &PgPool,
    id: Uuid,
    date: NaiveDate,
) -> Result<Option<StoredProfession>, sqlx::Error> {
    sqlx::query_as!(
        ProfessionRow,
        "SELECT p.id, h.entry, h.status, h.version, p.created_at, h.recorded_at AS updated_at
         FROM profession_history h JOIN professions p ON p.id = h.profession_id
         WHERE h.profession_id = $1 AND h.effective_from <= $2
         ORDER BY h.version DESC LIMIT 1",
        id,
        date,
    )
    .fetch_optional(pool)
    .await?
    .map(StoredProfession::try_from)
    .transpose()
}

/// Of `codes`, those already in the register.
pub async fn existing_nkz_codes(
    pool: &PgPool,
    codes: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT nkz_code FROM professions WHERE nkz_code = ANY($1) AND nkz_code <> '0'",
        codes,
    )
    .fetch_all(pool)
    .await
}

/// One page of the register in id order, now or as it stood at the end of `as_of`.
pub async fn export_page(
    pool: &PgPool,
    as_of: Option<NaiveDate>,
    include_excluded: bool,
    after: Uuid,
    limit: i64,
) -> Result<Vec<StoredProfession>, sqlx::Error> {
    let rows = match as_of {
        None => {
            sqlx::query_as!(
                ProfessionRow,
                "SELECT id, entry, status, version, created_at, updated_at FROM professions
                  WHERE id > $1 AND ($2 OR status = 'active') ORDER BY id LIMIT $3",
                after,
                include_excluded,
                limit,
            )
            .fetch_all(pool)
            .await?
        }
        Some(date) => {
            sqlx::query_as!(
                ProfessionRow,
                r#"SELECT id AS "id!", entry AS "entry!", status AS "status!",
                          version AS "version!", created_at AS "created_at!",
                          updated_at AS "updated_at!"
                   FROM (
                    SELECT DISTINCT ON (h.profession_id)
                           p.id, h.entry, h.status, h.version, p.created_at,
                           h.recorded_at AS updated_at
                    FROM profession_history h JOIN professions p ON p.id = h.profession_id
                    WHERE h.effective_from <= $1 AND h.profession_id > $2
                    ORDER BY h.profession_id, h.version DESC
                 ) as_of
                 WHERE $3 OR status = 'active'
                 ORDER BY id LIMIT $4"#,
                date,
                after,
                include_excluded,
                limit,
            )
            .fetch_all(pool)
            .await?
        }
    };
    decode_all(rows)
}

/// Why a standard reference is refused, if it is: `Err` names why the version cannot ground an
/// entry; `Ok` carries the skills it lets be recognised separately (`None` where the list
/// arrived before the service kept them).
pub async fn standard_problem(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
) -> Result<Result<Option<Vec<String>>, String>, sqlx::Error> {
    let found = sqlx::query!(
        r#"SELECT superseded_by, withdrawn_at IS NOT NULL AS "withdrawn!", separate_skills
             FROM approved_standards WHERE standard_id = $1 AND version = $2"#,
        id,
        version,
    )
    .fetch_optional(conn)
    .await?
    .map(|row| (row.superseded_by, row.withdrawn, row.separate_skills));
    Ok(match found {
        None => Err(format!(
            "standard {id} version {version} is not in the list of approved professional standards"
        )),
        Some((_, true, _)) => Err(format!(
            "standard {id} version {version} was withdrawn from the list of approved professional standards"
        )),
        Some((Some(newer), false, _)) => Err(format!(
            "standard {id} version {version} was superseded by version {newer}"
        )),
        Some((None, false, skills)) => Ok(skills),
    })
}

/// A version of a standard entered the list of approved standards, with the skills it lets be
/// recognised separately (Art. 20.2).
pub async fn standard_approved(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    separate_skills: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO approved_standards (standard_id, version, separate_skills) VALUES ($1, $2, $3)
         ON CONFLICT (standard_id, version)
         DO UPDATE SET separate_skills = EXCLUDED.separate_skills",
        id,
        version,
        separate_skills,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A version was superseded by a newer one.
pub async fn standard_superseded(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    by: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO approved_standards (standard_id, version, superseded_by) VALUES ($1, $2, $3)
         ON CONFLICT (standard_id, version) DO UPDATE SET superseded_by = EXCLUDED.superseded_by",
        id,
        version,
        by,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A version was withdrawn (archived); true when it had been in the list.
pub async fn standard_withdrawn(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
) -> Result<bool, sqlx::Error> {
    let changed = sqlx::query!(
        "UPDATE approved_standards SET withdrawn_at = now()
          WHERE standard_id = $1 AND version = $2 AND withdrawn_at IS NULL",
        id,
        version,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

/// Flags every entry resting on `standard_id` version `superseded` for review; returns their
/// ids with the entries' versions (a flag does not make a new version).
pub async fn flag_for_review(
    conn: &mut PgConnection,
    standard_id: Uuid,
    superseded: i32,
    superseding: i32,
) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        "WITH flagged AS (
            INSERT INTO review_flags
                (profession_id, standard_id, superseded_version, superseding_version)
            SELECT id, $1::uuid, $2, $3 FROM professions
            WHERE entry->'grounding'->'Standard'->>'id' = $1::uuid::text
              AND (entry->'grounding'->'Standard'->>'version')::int = $2
            ON CONFLICT (profession_id) DO UPDATE
               SET standard_id = EXCLUDED.standard_id,
                   superseded_version = EXCLUDED.superseded_version,
                   superseding_version = EXCLUDED.superseding_version, flagged_at = now()
            RETURNING profession_id)
         SELECT p.id, p.version FROM flagged f JOIN professions p ON p.id = f.profession_id",
        standard_id,
        superseded,
        superseding,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.version)).collect())
}

/// The entry was put on another footing: its review is done.
pub async fn clear_review(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM review_flags WHERE profession_id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// After a bulk load: vacuums and analyses the register, its search table and its history,
/// so that searches by name use the trigram indexes again (the search table counted without
/// statistics is read whole) and the register as of a day is read by its index.
pub async fn vacuum(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("VACUUM (ANALYZE) professions, profession_search, profession_history")
        .execute(pool)
        .await?;
    Ok(())
}

/// Locks a calendar year's row; its version, if it is loaded.
pub async fn lock_calendar_year(
    conn: &mut PgConnection,
    year: i32,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT version FROM calendar_years WHERE year = $1 FOR UPDATE",
        year,
    )
    .fetch_optional(conn)
    .await
}

/// The history row of a calendar year's version, as it now stands.
pub async fn record_calendar_change(
    conn: &mut PgConnection,
    year: i32,
    version: i64,
    actor: &str,
    actor_role: &str,
    request_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO calendar_year_history
            (year, version, data, basis, actor, actor_role, request_id)
         VALUES ($1, $2, (SELECT data FROM calendar_years WHERE year = $1),
                 (SELECT basis FROM calendar_years WHERE year = $1), $3, $4, $5)",
        year,
        version,
        actor,
        actor_role,
        request_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

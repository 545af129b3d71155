//! SQL of the documents registry, and nothing else: here the register of professions as the
//! registry heard it; `centers` (recognition centers and their certificates, heard from
//! accreditation), `documents` (rows, numbering, registration, cancellation, lists, open data),
//! `vouchers` (heard from the vouchers register), `reads` (reads of a person's data, recorded),
//! `migrations` (batches from before the platform), `counts` (verification per day),
//! `procedures` (passed procedures heard from the recognition service, each linked to its one
//! document).

use crate::domain::cancellation::Ground;
use crate::domain::holder::HolderId;
use chrono::NaiveDate;
use nsk_kz::CenterNumber;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

mod centers;
mod counts;
mod documents;
mod migrations;
mod procedures;
mod reads;
mod vouchers;

pub use centers::*;
pub use counts::*;
pub use documents::*;
pub use migrations::*;
pub use procedures::*;
pub use reads::*;
pub use vouchers::*;

/// A version of a profession as the registry holds it, with the register's encoded entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfessionRow {
    pub profession_id: Uuid,
    pub version: i64,
    pub active: bool,
    pub effective_from: NaiveDate,
    pub snapshot: Vec<u8>,
}

/// Applies one version received from the register: appends it to the history and moves the
/// current view forward (never back: a late, older version only joins the history).
pub async fn apply_profession_version(
    conn: &mut PgConnection,
    row: &ProfessionRow,
    event_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO registered_profession_versions (profession_id, version, active, effective_from, snapshot, event_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
        row.profession_id,
        row.version,
        row.active,
        row.effective_from,
        &row.snapshot,
        event_id,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO registered_professions (profession_id, version, active, effective_from, snapshot)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (profession_id) DO UPDATE
            SET version = EXCLUDED.version, active = EXCLUDED.active,
                effective_from = EXCLUDED.effective_from, snapshot = EXCLUDED.snapshot, updated_at = now()
            WHERE registered_professions.version < EXCLUDED.version",
        row.profession_id,
        row.version,
        row.active,
        row.effective_from,
        &row.snapshot,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn current_profession(
    pool: &PgPool,
    id: Uuid,
) -> Result<Option<ProfessionRow>, sqlx::Error> {
    sqlx::query_as!(
        ProfessionRow,
        "SELECT profession_id, version, active, effective_from, snapshot
           FROM registered_professions WHERE profession_id = $1",
        id,
    )
    .fetch_optional(pool)
    .await
}

pub async fn profession_as_of(
    pool: &PgPool,
    id: Uuid,
    date: NaiveDate,
) -> Result<Option<ProfessionRow>, sqlx::Error> {
    sqlx::query_as!(
        ProfessionRow,
        "SELECT profession_id, version, active, effective_from, snapshot
           FROM registered_profession_versions
         WHERE profession_id = $1 AND effective_from <= $2
         ORDER BY version DESC, id DESC LIMIT 1",
        id,
        date,
    )
    .fetch_optional(pool)
    .await
}

/// Every version the registry holds of a profession, oldest first (by version, then as
/// received), and the stamp of the professions' read model they were read at, at once.
pub async fn profession_versions(
    pool: &PgPool,
    id: Uuid,
) -> Result<(i64, Vec<(i64, ProfessionRow)>), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT s.stamp, v.id AS "id?", v.version AS "version?", v.active AS "active?",
                  v.effective_from AS "effective_from?", v.snapshot AS "snapshot?"
             FROM read_model_stamps s
             LEFT JOIN registered_profession_versions v ON v.profession_id = $1
            WHERE s.name = 'professions'
            ORDER BY v.version, v.id"#,
        id,
    )
    .fetch_all(pool)
    .await?;
    let stamp = rows.first().map(|row| row.stamp).unwrap_or_default();
    let versions = rows
        .into_iter()
        .filter_map(|row| {
            Some((
                row.id?,
                ProfessionRow {
                    profession_id: id,
                    version: row.version?,
                    active: row.active?,
                    effective_from: row.effective_from?,
                    snapshot: row.snapshot?,
                },
            ))
        })
        .collect();
    Ok((stamp, versions))
}

/// Versions received for a profession, in the order received.
pub async fn known_versions(pool: &PgPool, id: Uuid) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT version FROM registered_profession_versions WHERE profession_id = $1 ORDER BY id",
        id,
    )
    .fetch_all(pool)
    .await
}

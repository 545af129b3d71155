//! SQL of the documents registry.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

/// A version of a profession as the registry holds it, with the register's encoded entry.
#[derive(Debug, Clone)]
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
    sqlx::query(
        "INSERT INTO registered_profession_versions (profession_id, version, active, effective_from, snapshot, event_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(row.profession_id)
    .bind(row.version)
    .bind(row.active)
    .bind(row.effective_from)
    .bind(&row.snapshot)
    .bind(event_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO registered_professions (profession_id, version, active, effective_from, snapshot)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (profession_id) DO UPDATE
            SET version = EXCLUDED.version, active = EXCLUDED.active,
                effective_from = EXCLUDED.effective_from, snapshot = EXCLUDED.snapshot, updated_at = now()
            WHERE registered_professions.version < EXCLUDED.version",
    )
    .bind(row.profession_id)
    .bind(row.version)
    .bind(row.active)
    .bind(row.effective_from)
    .bind(&row.snapshot)
    .execute(conn)
    .await?;
    Ok(())
}

fn decode(r: &sqlx::postgres::PgRow) -> Result<ProfessionRow, sqlx::Error> {
    Ok(ProfessionRow {
        profession_id: r.try_get("profession_id")?,
        version: r.try_get("version")?,
        active: r.try_get("active")?,
        effective_from: r.try_get("effective_from")?,
        snapshot: r.try_get("snapshot")?,
    })
}

pub async fn current_profession(
    pool: &PgPool,
    id: Uuid,
) -> Result<Option<ProfessionRow>, sqlx::Error> {
    sqlx::query("SELECT * FROM registered_professions WHERE profession_id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(decode)
        .transpose()
}

pub async fn profession_as_of(
    pool: &PgPool,
    id: Uuid,
    date: NaiveDate,
) -> Result<Option<ProfessionRow>, sqlx::Error> {
    sqlx::query(
        "SELECT * FROM registered_profession_versions
         WHERE profession_id = $1 AND effective_from <= $2
         ORDER BY version DESC, id DESC LIMIT 1",
    )
    .bind(id)
    .bind(date)
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(decode)
    .transpose()
}

/// Versions received for a profession, in the order received.
pub async fn known_versions(pool: &PgPool, id: Uuid) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT version FROM registered_profession_versions WHERE profession_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

// ---- the register of recognition centers, from accreditation's events ----

/// A certificate as the registry holds it.
#[derive(Debug, Clone)]
pub struct KnownCertificateRow {
    pub certificate_id: Uuid,
    pub center_number: i32,
    pub serial_number: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub snapshot: Vec<u8>,
}

pub async fn upsert_center(
    conn: &mut PgConnection,
    number: i32,
    bin: &str,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_centers (center_number, bin, name) VALUES ($1, $2, $3)
         ON CONFLICT (center_number) DO UPDATE SET bin = EXCLUDED.bin, name = EXCLUDED.name, updated_at = now()",
    )
    .bind(number)
    .bind(bin)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn upsert_certificate(
    conn: &mut PgConnection,
    c: &KnownCertificateRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_certificates (certificate_id, center_number, serial_number, valid_from, valid_until, snapshot)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (certificate_id) DO UPDATE
            SET valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until, snapshot = EXCLUDED.snapshot",
    )
    .bind(c.certificate_id)
    .bind(c.center_number)
    .bind(&c.serial_number)
    .bind(c.valid_from)
    .bind(c.valid_until)
    .bind(&c.snapshot)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a status of a known certificate from `since`; false if the certificate is unknown.
pub async fn add_certificate_status(
    conn: &mut PgConnection,
    certificate_id: Uuid,
    status: &str,
    since: NaiveDate,
    event_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO known_certificate_statuses (certificate_id, status, since, event_id)
         SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM known_certificates WHERE certificate_id = $1)",
    )
    .bind(certificate_id)
    .bind(status)
    .bind(since)
    .bind(event_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub async fn add_cancellation_by_revocation(
    conn: &mut PgConnection,
    serial_number: &str,
    certificate_id: Uuid,
    center_number: i32,
    revoked_on: NaiveDate,
    basis: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cancellations_by_revocation (serial_number, certificate_id, center_number, revoked_on, basis)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (serial_number) DO NOTHING",
    )
    .bind(serial_number)
    .bind(certificate_id)
    .bind(center_number)
    .bind(revoked_on)
    .bind(basis)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn known_center(
    pool: &PgPool,
    number: i32,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT bin, name FROM known_centers WHERE center_number = $1")
        .bind(number)
        .fetch_optional(pool)
        .await
}

pub async fn known_certificates(
    pool: &PgPool,
    number: i32,
) -> Result<Vec<KnownCertificateRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT * FROM known_certificates WHERE center_number = $1 ORDER BY valid_from, certificate_id",
    )
    .bind(number)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(KnownCertificateRow {
                certificate_id: row.try_get("certificate_id")?,
                center_number: row.try_get("center_number")?,
                serial_number: row.try_get("serial_number")?,
                valid_from: row.try_get("valid_from")?,
                valid_until: row.try_get("valid_until")?,
                snapshot: row.try_get("snapshot")?,
            })
        })
        .collect()
}

/// The statuses of a certificate in the order they took effect.
pub async fn certificate_statuses(
    pool: &PgPool,
    certificate_id: Uuid,
) -> Result<Vec<(String, NaiveDate)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT status, since FROM known_certificate_statuses WHERE certificate_id = $1 ORDER BY since, id",
    )
    .bind(certificate_id)
    .fetch_all(pool)
    .await
}

pub async fn cancellations_of_center(
    pool: &PgPool,
    number: i32,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT serial_number FROM cancellations_by_revocation WHERE center_number = $1 ORDER BY serial_number",
    )
    .bind(number)
    .fetch_all(pool)
    .await
}

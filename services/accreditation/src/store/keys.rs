//! API keys of centers: their rows (the hash, never the secret).

use super::*;
use crate::domain::keys::{ApiKey, Revocation as KeyRevocation, StoredKey};

/// A row of `center_api_keys`, as stored.
struct KeyRow {
    id: Uuid,
    center_number: CenterNumber,
    prefix: String,
    secret_hash: String,
    label: String,
    created_at: DateTime<Utc>,
    created_by: String,
    expires_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    revoked_by: Option<String>,
    revoke_reason: Option<String>,
    replaced_by: Option<Uuid>,
    version: i64,
}

impl From<KeyRow> for ApiKey {
    fn from(row: KeyRow) -> Self {
        let revocation = row.revoked_at.map(|at| KeyRevocation {
            at,
            by: row.revoked_by.unwrap_or_default(),
            reason: row.revoke_reason.unwrap_or_default(),
        });
        ApiKey::restore(StoredKey {
            id: row.id,
            center: row.center_number,
            prefix: row.prefix,
            secret_hash: row.secret_hash,
            label: row.label,
            created_at: row.created_at,
            created_by: row.created_by,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revocation,
            replaced_by: row.replaced_by,
            version: row.version,
        })
    }
}

pub async fn insert_key(conn: &mut PgConnection, key: &ApiKey) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO center_api_keys
            (id, center_number, prefix, secret_hash, label, created_at, created_by, expires_at,
             version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        key.id(),
        key.center() as _,
        key.prefix(),
        key.secret_hash(),
        key.label(),
        key.created_at(),
        key.created_by(),
        key.expires_at(),
        key.version(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes back what a revocation or a rotation changed.
pub async fn save_key(conn: &mut PgConnection, key: &ApiKey) -> Result<(), sqlx::Error> {
    let revocation = key.revocation();
    sqlx::query!(
        "UPDATE center_api_keys
            SET expires_at = $2, revoked_at = $3, revoked_by = $4, revoke_reason = $5,
                replaced_by = $6, version = $7
          WHERE id = $1",
        key.id(),
        key.expires_at(),
        revocation.map(|r| r.at),
        revocation.map(|r| r.by.as_str()),
        revocation.map(|r| r.reason.as_str()),
        key.replaced_by(),
        key.version(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a key's last use (not a change of the key: no version, no event).
pub async fn touch_key(pool: &PgPool, id: Uuid, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE center_api_keys SET last_used_at = $2 WHERE id = $1",
        id,
        at
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn lock_key(conn: &mut PgConnection, id: Uuid) -> Result<Option<ApiKey>, sqlx::Error> {
    let row = sqlx::query_as!(
        KeyRow,
        r#"SELECT id, center_number AS "center_number: CenterNumber", prefix, secret_hash, label,
                  created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by,
                  revoke_reason, replaced_by, version
             FROM center_api_keys WHERE id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(ApiKey::from))
}

pub async fn lock_key_by_prefix(
    conn: &mut PgConnection,
    prefix: &str,
) -> Result<Option<ApiKey>, sqlx::Error> {
    let row = sqlx::query_as!(
        KeyRow,
        r#"SELECT id, center_number AS "center_number: CenterNumber", prefix, secret_hash, label,
                  created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by,
                  revoke_reason, replaced_by, version
             FROM center_api_keys WHERE prefix = $1 FOR UPDATE"#,
        prefix,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(ApiKey::from))
}

pub async fn key_by_prefix(pool: &PgPool, prefix: &str) -> Result<Option<ApiKey>, sqlx::Error> {
    let row = sqlx::query_as!(
        KeyRow,
        r#"SELECT id, center_number AS "center_number: CenterNumber", prefix, secret_hash, label,
                  created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by,
                  revoke_reason, replaced_by, version
             FROM center_api_keys WHERE prefix = $1"#,
        prefix,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(ApiKey::from))
}

/// The keys of a center, newest first.
pub async fn keys_of_center(
    pool: &PgPool,
    center: CenterNumber,
) -> Result<Vec<ApiKey>, sqlx::Error> {
    let rows = sqlx::query_as!(
        KeyRow,
        r#"SELECT id, center_number AS "center_number: CenterNumber", prefix, secret_hash, label,
                  created_at, created_by, expires_at, last_used_at, revoked_at, revoked_by,
                  revoke_reason, replaced_by, version
             FROM center_api_keys WHERE center_number = $1 ORDER BY created_at DESC, id DESC"#,
        center as _,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

/// Whether the register has a center with this number.
pub async fn center_exists(pool: &PgPool, center: CenterNumber) -> Result<bool, sqlx::Error> {
    let found = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM centers WHERE number = $1) AS "found!""#,
        center as _,
    )
    .fetch_one(pool)
    .await?;
    Ok(found)
}

//! Documents brought in from before the platform: the batch's record.

use super::*;

/// A migration of old documents, as recorded: who, when, on what basis, how many.
pub struct MigrationRecord<'a> {
    pub id: Uuid,
    pub actor: &'a str,
    pub actor_role: &'a str,
    pub request_id: &'a str,
    pub basis: &'a nsk_errors::fields::Document,
    pub documents: i32,
}

pub async fn insert_migration(
    conn: &mut PgConnection,
    m: &MigrationRecord<'_>,
) -> Result<(), sqlx::Error> {
    let basis = serde_json::to_value(m.basis).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query!(
        "INSERT INTO document_migrations (id, actor, actor_role, request_id, basis, documents)
         VALUES ($1, $2, $3, $4, $5, $6)",
        m.id,
        m.actor,
        m.actor_role,
        m.request_id,
        basis,
        m.documents,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a document as brought in by migration `migration`.
pub async fn mark_migrated(
    conn: &mut PgConnection,
    document: Uuid,
    migration: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE documents SET migration_id = $2 WHERE id = $1",
        document,
        migration,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The center's sequence continues after `sequence` (the highest its old documents used).
pub async fn continue_sequence_after(
    conn: &mut PgConnection,
    center: CenterNumber,
    sequence: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO center_sequences (center_number, last_sequence) VALUES ($1, $2)
         ON CONFLICT (center_number) DO UPDATE
            SET last_sequence = GREATEST(center_sequences.last_sequence, EXCLUDED.last_sequence)",
        center as _,
        sequence,
    )
    .execute(conn)
    .await?;
    Ok(())
}

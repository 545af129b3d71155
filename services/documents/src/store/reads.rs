//! Reads of a person's data, recorded (the lookups officials see, and the audit trail).

use super::*;

/// Records that `official` looked up the documents of `iin`, in the lookups officials see
/// and in the audit trail.
pub async fn audit_iin_lookup(
    pool: &PgPool,
    official: &str,
    role: &str,
    iin: &str,
    found: i32,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO iin_lookups (official, role, iin, found) VALUES ($1, $2, $3, $4)",
        official,
        role,
        iin,
        found,
    )
    .execute(&mut *tx)
    .await?;
    let entry = nsk_db::audit::Entry {
        actor: official,
        action: "read:documents-of-person",
        subject: &format!("person/{iin}"),
        detail: &format!("{found} documents, as {role}"),
    };
    nsk_db::audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Records that `reader` read the documents `ids`, their holders' data included.
pub async fn audit_document_reads(
    pool: &PgPool,
    reader: &str,
    role: &str,
    ids: &[Uuid],
) -> Result<(), sqlx::Error> {
    nsk_db::audit::record_read(pool, "document", reader, role, ids).await
}

//! The passed procedures as the registry hears them from the recognition service (Rules p. 18,
//! 23), and the link of each to the one document registered after it.

use super::*;
use crate::domain::procedure::PassedProcedure;

/// A passed procedure heard: kept. Heard again before its document — a procedure repeated
/// after an appeal (Rules p. 23) passes on another day, with another protocol — it is kept as
/// it stands last; once its document is registered, it no longer changes.
pub async fn hear_passed_procedure(
    conn: &mut PgConnection,
    p: &PassedProcedure,
) -> Result<(), sqlx::Error> {
    let (number, country) = p.holder_document.clone().unwrap_or_default();
    sqlx::query!(
        "INSERT INTO known_procedures
            (application_id, center_number, profession_id, nqf_level, held_on, protocol_number,
             protocol_date, holder_iin, holder_document_number, holder_document_country,
             voucher_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (application_id) DO UPDATE
            SET center_number = EXCLUDED.center_number, profession_id = EXCLUDED.profession_id,
                nqf_level = EXCLUDED.nqf_level, held_on = EXCLUDED.held_on,
                protocol_number = EXCLUDED.protocol_number, protocol_date = EXCLUDED.protocol_date,
                holder_iin = EXCLUDED.holder_iin,
                holder_document_number = EXCLUDED.holder_document_number,
                holder_document_country = EXCLUDED.holder_document_country,
                voucher_id = EXCLUDED.voucher_id
          WHERE known_procedures.document_id IS NULL",
        p.application_id,
        p.center as _,
        p.profession_id,
        p.nqf_level,
        p.held_on,
        p.protocol_number,
        p.protocol_date,
        p.holder_iin,
        number,
        country,
        p.voucher_id.map(|v| v.to_string()).unwrap_or_default(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The passed procedure `id`, locked until the transaction ends (one document links it).
pub async fn lock_passed_procedure(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<PassedProcedure>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT application_id, center_number AS "center_number: CenterNumber", profession_id,
                  nqf_level, held_on, holder_iin, holder_document_number,
                  holder_document_country, protocol_number, protocol_date, voucher_id, document_id
             FROM known_procedures WHERE application_id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| PassedProcedure {
        application_id: r.application_id,
        center: r.center_number,
        profession_id: r.profession_id,
        nqf_level: r.nqf_level,
        held_on: r.held_on,
        holder_iin: r.holder_iin,
        holder_document: (!r.holder_document_number.is_empty())
            .then_some((r.holder_document_number, r.holder_document_country)),
        protocol_number: r.protocol_number,
        protocol_date: r.protocol_date,
        voucher_id: uuid::Uuid::parse_str(&r.voucher_id).ok(),
        document_id: r.document_id,
    }))
}

/// Links procedure `id` to the document registered after it.
pub async fn link_procedure(
    conn: &mut PgConnection,
    id: Uuid,
    document: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE known_procedures SET document_id = $2 WHERE application_id = $1",
        id,
        document,
    )
    .execute(conn)
    .await?;
    Ok(())
}

//! The vouchers as the registry hears them (Art. 29.2, 29.4).

use super::*;

/// The voucher named by its id or its printed number.
pub async fn known_voucher(
    pool: &PgPool,
    named: &str,
) -> Result<Option<(Uuid, crate::domain::voucher::KnownVoucher)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        voucher_id: Uuid,
        number: String,
        holder_iin: String,
        status: String,
        center_number: Option<CenterNumber>,
        profession_id: Option<Uuid>,
    }
    let by_id = Uuid::parse_str(named).ok();
    let row = sqlx::query_as!(
        Row,
        r#"SELECT voucher_id, number, holder_iin, status,
                  center_number AS "center_number: CenterNumber", profession_id
             FROM known_vouchers WHERE voucher_id = $1 OR number = $2"#,
        by_id,
        named.to_ascii_uppercase(),
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
        (
            r.voucher_id,
            crate::domain::voucher::KnownVoucher {
                number: r.number,
                holder_iin: r.holder_iin,
                status: r.status,
                center_number: r.center_number,
                profession_id: r.profession_id,
            },
        )
    }))
}

/// Keeps the voucher as the vouchers register published it last.
pub async fn hear_voucher(
    conn: &mut PgConnection,
    id: Uuid,
    v: &crate::domain::voucher::KnownVoucher,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO known_vouchers (voucher_id, number, holder_iin, status, center_number, profession_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (voucher_id) DO UPDATE SET status = EXCLUDED.status, center_number = EXCLUDED.center_number,
             profession_id = EXCLUDED.profession_id, updated_at = now()",
        id,
        &v.number,
        &v.holder_iin,
        &v.status,
        v.center_number as _,
        v.profession_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

//! What the register hears: centers' certificates and the register of professions.

use super::*;

/// What the read model says of center `center` on `today`, for `profession`.
pub async fn center_today(
    conn: &mut PgConnection,
    center: nsk_kz::CenterNumber,
    profession: Uuid,
    today: NaiveDate,
) -> Result<crate::domain::voucher::CenterToday, sqlx::Error> {
    let rows = sqlx::query_scalar!(
        "SELECT scope FROM known_certificates
          WHERE center_number = $1 AND status = 'active' AND status_since <= $2
            AND valid_from <= $2 AND valid_until >= $2",
        center as _,
        today,
    )
    .fetch_all(conn)
    .await?;
    let levels = nsk_events::heard::levels_in_scopes(&rows, profession);
    Ok(crate::domain::voucher::CenterToday {
        number: center,
        active: !rows.is_empty(),
        levels,
    })
}

/// Whether the profession is in the register and not excluded.
pub async fn profession_in_register(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar!(
        "SELECT active FROM registered_professions WHERE profession_id = $1",
        id,
    )
    .fetch_optional(conn)
    .await?
    .unwrap_or(false))
}

/// A certificate as heard from accreditation, its scope kept as `[{"profession_id",
/// "nqf_levels"}]`.
pub async fn hear_certificate(
    conn: &mut PgConnection,
    c: &nsk_events::heard::Certificate,
) -> Result<(), sqlx::Error> {
    let scope = serde_json::to_value(&c.scope).unwrap_or_default();
    sqlx::query!(
        "INSERT INTO known_certificates (certificate_id, center_number, status, status_since, valid_from, valid_until, scope)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (certificate_id) DO UPDATE SET status = EXCLUDED.status, status_since = EXCLUDED.status_since,
             valid_until = EXCLUDED.valid_until, scope = EXCLUDED.scope",
        c.id,
        c.center as _,
        c.status,
        c.status_since,
        c.valid_from,
        c.valid_until,
        &scope,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A certificate replaced on re-accreditation or reissue, from `since`.
pub async fn certificate_replaced(
    conn: &mut PgConnection,
    id: Uuid,
    since: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE known_certificates SET status = 'replaced', status_since = $2 WHERE certificate_id = $1",
        id,
        since,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A profession as heard from the register; an older version heard late changes nothing.
pub async fn hear_profession(
    conn: &mut PgConnection,
    id: Uuid,
    active: bool,
    nqf_levels: &[i32],
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO registered_professions (profession_id, active, nqf_levels, version) VALUES ($1, $2, $3, $4)
         ON CONFLICT (profession_id) DO UPDATE SET active = EXCLUDED.active, nqf_levels = EXCLUDED.nqf_levels,
             version = EXCLUDED.version
          WHERE registered_professions.version < EXCLUDED.version",
        id,
        active,
        nqf_levels,
        version,
    )
    .execute(conn)
    .await?;
    Ok(())
}

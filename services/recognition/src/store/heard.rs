//! What the procedure hears: centers' certificates and the register of professions.

use chrono::NaiveDate;
use nsk_kz::CenterNumber;
use sqlx::PgConnection;
use uuid::Uuid;

/// The NQF levels of `profession` in the scope of `center`'s certificates active on `day`:
/// `None` when the center has no active certificate, `Some(empty)` when none names it.
pub async fn center_scope_on(
    conn: &mut PgConnection,
    center: CenterNumber,
    profession: Uuid,
    day: NaiveDate,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let scopes = sqlx::query_scalar!(
        "SELECT scope FROM known_certificates
          WHERE center_number = $1 AND status = 'active' AND status_since <= $2
            AND valid_from <= $2 AND valid_until >= $2",
        center as _,
        day,
    )
    .fetch_all(conn)
    .await?;
    if scopes.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        nsk_events::heard::levels_in_scopes(&scopes, profession).unwrap_or_default(),
    ))
}

/// The profession's NQF levels, if it is in the register and not excluded.
pub async fn profession_levels(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Vec<i32>>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT active, nqf_levels FROM registered_professions WHERE profession_id = $1",
        id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.filter(|r| r.active).map(|r| r.nqf_levels))
}

/// A certificate as heard from accreditation.
pub async fn hear_certificate(
    conn: &mut PgConnection,
    c: &nsk_events::heard::Certificate,
) -> Result<(), sqlx::Error> {
    let scope = serde_json::to_value(&c.scope).unwrap_or_default();
    sqlx::query!(
        "INSERT INTO known_certificates
            (certificate_id, center_number, status, status_since, valid_from, valid_until, scope)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (certificate_id) DO UPDATE
            SET status = EXCLUDED.status, status_since = EXCLUDED.status_since,
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
        "UPDATE known_certificates SET status = 'replaced', status_since = $2
          WHERE certificate_id = $1",
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
    p: &nsk_events::heard::Profession,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO registered_professions (profession_id, active, nqf_levels, version)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (profession_id) DO UPDATE
            SET active = EXCLUDED.active, nqf_levels = EXCLUDED.nqf_levels,
                version = EXCLUDED.version
          WHERE registered_professions.version < EXCLUDED.version",
        p.id,
        p.active,
        &p.nqf_levels,
        p.version,
    )
    .execute(conn)
    .await?;
    Ok(())
}

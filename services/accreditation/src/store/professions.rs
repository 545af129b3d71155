//! The register of professions as accreditation hears it (Art. 24.1.3).

use super::*;

/// Applies what the register published about a profession, unless a newer version is known.
pub async fn hear_profession(
    conn: &mut PgConnection,
    id: Uuid,
    active: bool,
    nqf_levels: &[i32],
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO registered_professions (profession_id, active, nqf_levels, version) VALUES ($1, $2, $3, $4)
         ON CONFLICT (profession_id) DO UPDATE SET active = EXCLUDED.active, nqf_levels = EXCLUDED.nqf_levels, version = EXCLUDED.version
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

pub async fn registered_professions(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, RegisteredProfession>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT profession_id, active, nqf_levels FROM registered_professions
          WHERE profession_id = ANY($1)",
        ids,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (id, active, levels) = (row.profession_id, row.active, row.nqf_levels);
            (
                id,
                RegisteredProfession {
                    active,
                    nqf_levels: levels
                        .into_iter()
                        .filter_map(|l| u8::try_from(l).ok())
                        .collect(),
                },
            )
        })
        .collect())
}

//! The register of recognition centers as the registry hears it from accreditation's events.

use super::*;

/// A certificate as the registry holds it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KnownCertificateRow {
    pub certificate_id: Uuid,
    pub center_number: CenterNumber,
    pub serial_number: String,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub snapshot: Vec<u8>,
}

pub async fn upsert_center(
    conn: &mut PgConnection,
    number: CenterNumber,
    bin: &str,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO known_centers (center_number, bin, name) VALUES ($1, $2, $3)
         ON CONFLICT (center_number) DO UPDATE SET bin = EXCLUDED.bin, name = EXCLUDED.name, updated_at = now()",
        number as _,
        bin,
        name,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn upsert_certificate(
    conn: &mut PgConnection,
    c: &KnownCertificateRow,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO known_certificates (certificate_id, center_number, serial_number, valid_from, valid_until, snapshot)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (certificate_id) DO UPDATE
            SET valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until, snapshot = EXCLUDED.snapshot",
        c.certificate_id,
        c.center_number as _,
        &c.serial_number,
        c.valid_from,
        c.valid_until,
        &c.snapshot,
    )
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
    let inserted = sqlx::query!(
        "INSERT INTO known_certificate_statuses (certificate_id, status, since, event_id)
         SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM known_certificates WHERE certificate_id = $1)",
        certificate_id,
        status,
        since,
        event_id,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub async fn add_cancellations_by_revocation(
    conn: &mut PgConnection,
    serial_numbers: &[String],
    certificate_id: Uuid,
    center_number: CenterNumber,
    revoked_on: NaiveDate,
    basis: &str,
) -> Result<(), sqlx::Error> {
    // One statement for all the serials a revocation names (10,000 at once, say).
    sqlx::query!(
        "INSERT INTO cancellations_by_revocation (serial_number, certificate_id, center_number, revoked_on, basis)
         SELECT serial, $2, $3, $4, $5 FROM UNNEST($1::text[]) AS serial
         ON CONFLICT (serial_number) DO NOTHING",
        serial_numbers,
        certificate_id,
        center_number as _,
        revoked_on,
        basis,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn known_center(
    pool: &PgPool,
    number: CenterNumber,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT bin, name FROM known_centers WHERE center_number = $1",
        number as _,
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| (row.bin, row.name)))
}

pub async fn known_certificates(
    pool: &PgPool,
    number: CenterNumber,
) -> Result<Vec<KnownCertificateRow>, sqlx::Error> {
    sqlx::query_as!(
        KnownCertificateRow,
        r#"SELECT certificate_id, center_number AS "center_number: CenterNumber", serial_number,
                  valid_from, valid_until, snapshot
             FROM known_certificates WHERE center_number = $1
            ORDER BY valid_from, certificate_id"#,
        number as _,
    )
    .fetch_all(pool)
    .await
}

/// What the registry knows of a center, read in one round trip for an issuance: its name,
/// and its certificates, each with its statuses in the order they took effect; and the stamp
/// of the centers' read model it was read at.
#[derive(Debug, Clone)]
pub struct CenterRecord {
    pub stamp: i64,
    pub name: Option<String>,
    pub certificates: Vec<(KnownCertificateRow, Vec<(String, NaiveDate)>)>,
}

pub async fn center_record(
    pool: &PgPool,
    number: CenterNumber,
) -> Result<CenterRecord, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT (SELECT stamp FROM read_model_stamps WHERE name = 'centers') AS "stamp!",
                  k.name AS "name?",
                  c.certificate_id AS "certificate_id?", c.serial_number AS "serial_number?",
                  c.valid_from AS "valid_from?", c.valid_until AS "valid_until?",
                  c.snapshot AS "snapshot?",
                  ARRAY(SELECT s.status FROM known_certificate_statuses s
                         WHERE s.certificate_id = c.certificate_id ORDER BY s.since, s.id) AS "statuses!",
                  ARRAY(SELECT s.since FROM known_certificate_statuses s
                         WHERE s.certificate_id = c.certificate_id ORDER BY s.since, s.id) AS "since!"
             FROM (SELECT $1::integer AS center_number) q
             LEFT JOIN known_centers k ON k.center_number = q.center_number
             LEFT JOIN known_certificates c ON c.center_number = q.center_number
            ORDER BY c.valid_from, c.certificate_id"#,
        number as _,
    )
    .fetch_all(pool)
    .await?;
    let name = rows.first().and_then(|row| row.name.clone());
    let stamp = rows.first().map(|row| row.stamp).unwrap_or_default();
    let certificates = rows
        .into_iter()
        .filter_map(|row| {
            let certificate = KnownCertificateRow {
                certificate_id: row.certificate_id?,
                center_number: number,
                serial_number: row.serial_number?,
                valid_from: row.valid_from?,
                valid_until: row.valid_until?,
                snapshot: row.snapshot?,
            };
            Some((
                certificate,
                row.statuses.into_iter().zip(row.since).collect(),
            ))
        })
        .collect();
    Ok(CenterRecord {
        stamp,
        name,
        certificates,
    })
}

/// The statuses of a certificate in the order they took effect.
pub async fn certificate_statuses(
    pool: &PgPool,
    certificate_id: Uuid,
) -> Result<Vec<(String, NaiveDate)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT status, since FROM known_certificate_statuses
          WHERE certificate_id = $1 ORDER BY since, id",
        certificate_id,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.status, row.since))
        .collect())
}

pub async fn cancellations_of_center(
    pool: &PgPool,
    number: CenterNumber,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT serial_number FROM cancellations_by_revocation WHERE center_number = $1 ORDER BY serial_number",
        number as _,
    )
    .fetch_all(pool)
    .await
}

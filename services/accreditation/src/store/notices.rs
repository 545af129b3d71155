//! SQL of the notices delivered to centers via the platform (Art. 26.4).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::Document;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: Uuid,
    pub center_number: nsk_kz::CenterNumber,
    /// `revocation`, `renewal` or `termination`.
    pub kind: String,
    pub certificate_id: Uuid,
    pub certificate_serial_number: String,
    pub decided_on: NaiveDate,
    pub delivered_on: NaiveDate,
    pub text: String,
    pub basis: Option<Document>,
    pub first_read_at: Option<DateTime<Utc>>,
}

pub async fn deliver(conn: &mut PgConnection, n: &NoticeRow) -> Result<(), sqlx::Error> {
    let basis = n
        .basis
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query!(
        "INSERT INTO notices (id, center_number, kind, certificate_id, decided_on, delivered_on, text, basis)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        n.id,
        n.center_number as _,
        &n.kind,
        n.certificate_id,
        n.decided_on,
        n.delivered_on,
        &n.text,
        basis,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The center's notices, newest first.
pub async fn of_center(
    conn: &mut PgConnection,
    center_number: nsk_kz::CenterNumber,
) -> Result<Vec<NoticeRow>, sqlx::Error> {
    sqlx::query!(
        r#"SELECT n.id, n.center_number AS "center_number: nsk_kz::CenterNumber", n.kind,
                  n.certificate_id, c.serial_number, n.decided_on, n.delivered_on, n.text,
                  n.basis, n.first_read_at
             FROM notices n JOIN certificates c ON c.id = n.certificate_id
            WHERE n.center_number = $1 ORDER BY n.id DESC"#,
        center_number as _,
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| {
        let basis = r.basis;
        Ok(NoticeRow {
            id: r.id,
            center_number: r.center_number,
            kind: r.kind,
            certificate_id: r.certificate_id,
            certificate_serial_number: r.serial_number,
            decided_on: r.decided_on,
            delivered_on: r.delivered_on,
            text: r.text,
            basis: basis
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            first_read_at: r.first_read_at,
        })
    })
    .collect()
}

/// Records the center's first read of each of its unread notices.
pub async fn mark_read(
    conn: &mut PgConnection,
    center_number: nsk_kz::CenterNumber,
    reader: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE notices SET first_read_at = $2, first_read_by = $3
          WHERE center_number = $1 AND first_read_at IS NULL",
        center_number as _,
        at,
        reader,
    )
    .execute(conn)
    .await?;
    Ok(())
}

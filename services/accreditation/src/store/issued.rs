//! SQL of the read model of issued documents, heard from the registry of documents.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::certificate::IssuedDocument;

/// A document as `DocumentIssued` announced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRow {
    pub serial_number: String,
    pub document_id: Uuid,
    pub center_number: nsk_kz::CenterNumber,
    pub profession_id: Uuid,
    pub procedure_date: Option<NaiveDate>,
    pub issue_date: NaiveDate,
    pub issued_late: bool,
}

/// Records a document once; a redelivered event changes nothing.
pub async fn hear_issued(conn: &mut PgConnection, row: &IssuedRow) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO issued_documents (serial_number, document_id, center_number, profession_id,
             procedure_date, issue_date, issued_late)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        &row.serial_number,
        row.document_id,
        row.center_number as _,
        row.profession_id,
        row.procedure_date,
        row.issue_date,
        row.issued_late,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records documents once each, in one statement; those heard before change nothing.
pub async fn hear_all_issued(
    conn: &mut PgConnection,
    rows: &[IssuedRow],
) -> Result<(), sqlx::Error> {
    let serials: Vec<&str> = rows.iter().map(|r| r.serial_number.as_str()).collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.document_id).collect();
    let centers: Vec<i32> = rows.iter().map(|r| r.center_number.get()).collect();
    let professions: Vec<Uuid> = rows.iter().map(|r| r.profession_id).collect();
    let procedures: Vec<Option<NaiveDate>> = rows.iter().map(|r| r.procedure_date).collect();
    let issued: Vec<NaiveDate> = rows.iter().map(|r| r.issue_date).collect();
    let late: Vec<bool> = rows.iter().map(|r| r.issued_late).collect();
    sqlx::query!(
        "INSERT INTO issued_documents (serial_number, document_id, center_number, profession_id,
             procedure_date, issue_date, issued_late)
         SELECT * FROM UNNEST($1::text[], $2::uuid[], $3::int[], $4::uuid[], $5::date[],
                              $6::date[], $7::bool[])
         ON CONFLICT DO NOTHING",
        &serials as &[&str],
        &ids,
        &centers,
        &professions,
        &procedures as &[Option<NaiveDate>],
        &issued,
        &late,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn hear_cancelled(
    conn: &mut PgConnection,
    serial_number: &str,
    cancelled_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE issued_documents SET cancelled_on = $2 WHERE serial_number = $1 AND cancelled_on IS NULL",
        serial_number,
        cancelled_on,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Of the serial numbers given, those the registry published, with their centers.
pub async fn issued_documents(
    conn: &mut PgConnection,
    serials: &[String],
) -> Result<Vec<IssuedDocument>, sqlx::Error> {
    sqlx::query_as!(
        IssuedDocument,
        r#"SELECT serial_number, center_number AS "center_number: nsk_kz::CenterNumber"
             FROM issued_documents WHERE serial_number = ANY($1)"#,
        serials,
    )
    .fetch_all(conn)
    .await
}

/// One month of a center's results (Art. 25.3).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MonthRow {
    /// The first day of the month.
    pub month: NaiveDate,
    pub issued: i64,
    pub issued_late: i64,
    pub cancelled: i64,
}

/// Per month from `from` to `to` (first days of months, inclusive): documents issued, of them
/// registered late, and documents cancelled that month. Months with nothing are left out.
pub async fn results_by_month(
    conn: &mut PgConnection,
    center: nsk_kz::CenterNumber,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<MonthRow>, sqlx::Error> {
    sqlx::query_as!(
        MonthRow,
        r#"WITH events AS (
             SELECT date_trunc('month', issue_date)::date AS month, 1 AS issued,
                    issued_late::int AS late, 0 AS cancelled
               FROM issued_documents WHERE center_number = $1
             UNION ALL
             SELECT date_trunc('month', cancelled_on)::date, 0, 0, 1
               FROM issued_documents WHERE center_number = $1 AND cancelled_on IS NOT NULL)
         SELECT month AS "month!", sum(issued)::bigint AS "issued!",
                sum(late)::bigint AS "issued_late!", sum(cancelled)::bigint AS "cancelled!"
           FROM events WHERE month BETWEEN $2 AND $3
          GROUP BY month ORDER BY month"#,
        center as _,
        from,
        to,
    )
    .fetch_all(conn)
    .await
}

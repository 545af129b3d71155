//! The documents: their rows, numbering, registration, cancellation, lists and the open data.

use super::*;
use sqlx::Row as _;

/// A registered document as stored.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub id: Uuid,
    /// 1 when registered, one more with each change: the version its events carry.
    pub version: i64,
    pub serial_number: String,
    pub center_number: CenterNumber,
    pub sequence: i64,
    pub holder: HolderId,
    pub holder_name: String,
    pub profession_id: Uuid,
    pub profession_name: String,
    pub nqf_level: i32,
    pub separate_skills: Vec<String>,
    pub procedure_date: NaiveDate,
    pub protocol_number: String,
    pub protocol_date: NaiveDate,
    pub issue_date: NaiveDate,
    pub valid_until: NaiveDate,
    pub head_of_center: String,
    pub voucher_id: String,
    pub issued_late: bool,
    pub cancellation: Option<CancellationRecord>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Appendix 2: the center's name on the issue day.
    pub center_name: String,
    /// The recognition procedure on the platform it follows; `None` for a procedure not
    /// recorded there (paper) and for documents from before the platform.
    pub procedure_id: Option<Uuid>,
}

/// Why, when and on what a document was cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationRecord {
    pub cancelled_on: NaiveDate,
    pub reason: String,
    /// The document the cancellation rests on.
    pub basis: nsk_errors::fields::Document,
    /// The legal ground; `None` only for cancellations recorded before grounds were kept.
    pub ground: Option<Ground>,
    /// For a document registered in error: the serial of the one that replaces it.
    pub replaced_by: Option<String>,
}

/// A row of `documents`, as stored.
#[derive(sqlx::FromRow)]
struct DocumentRow {
    id: Uuid,
    version: i64,
    serial_number: String,
    center_number: CenterNumber,
    sequence: i64,
    holder_iin: Option<String>,
    holder_document_number: Option<String>,
    holder_document_country: Option<String>,
    holder_name: String,
    profession_id: Uuid,
    profession_name: String,
    nqf_level: i32,
    separate_skills: Vec<String>,
    procedure_date: NaiveDate,
    protocol_number: String,
    protocol_date: NaiveDate,
    issue_date: NaiveDate,
    valid_until: NaiveDate,
    head_of_center: String,
    voucher_id: String,
    issued_late: bool,
    cancelled_on: Option<NaiveDate>,
    cancel_reason: Option<String>,
    cancel_basis: Option<serde_json::Value>,
    cancel_ground: Option<String>,
    replaced_by: Option<String>,
    created_at: chrono::DateTime<chrono::Utc>,
    center_name: String,
    procedure_id: Option<Uuid>,
}

fn corrupt(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

impl TryFrom<DocumentRow> for StoredDocument {
    type Error = sqlx::Error;

    fn try_from(r: DocumentRow) -> Result<Self, Self::Error> {
        let holder = match (
            r.holder_iin,
            r.holder_document_number,
            r.holder_document_country,
        ) {
            (Some(iin), _, _) => nsk_kz::Iin::parse(&iin)
                .map(HolderId::Iin)
                .map_err(|rule| corrupt(format!("stored IIN: {rule}")))?,
            (None, Some(number), Some(country)) => HolderId::Document { number, country },
            _ => return Err(corrupt("a document without its holder's identity".into())),
        };
        let cancellation = match r.cancelled_on {
            Some(cancelled_on) => Some(CancellationRecord {
                cancelled_on,
                reason: r.cancel_reason.unwrap_or_default(),
                basis: serde_json::from_value(r.cancel_basis.unwrap_or_default())
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                ground: r.cancel_ground.as_deref().and_then(Ground::from_code),
                replaced_by: r.replaced_by,
            }),
            None => None,
        };
        Ok(StoredDocument {
            id: r.id,
            version: r.version,
            serial_number: r.serial_number,
            center_number: r.center_number,
            sequence: r.sequence,
            holder,
            holder_name: r.holder_name,
            profession_id: r.profession_id,
            profession_name: r.profession_name,
            nqf_level: r.nqf_level,
            separate_skills: r.separate_skills,
            procedure_date: r.procedure_date,
            protocol_number: r.protocol_number,
            protocol_date: r.protocol_date,
            issue_date: r.issue_date,
            valid_until: r.valid_until,
            head_of_center: r.head_of_center,
            voucher_id: r.voucher_id,
            issued_late: r.issued_late,
            cancellation,
            created_at: r.created_at,
            center_name: r.center_name,
            procedure_id: r.procedure_id,
        })
    }
}

fn decode_all(rows: Vec<DocumentRow>) -> Result<Vec<StoredDocument>, sqlx::Error> {
    rows.into_iter().map(StoredDocument::try_from).collect()
}

/// The serial of the document center `center` numbered `sequence`, if any.
pub async fn serial_at(
    pool: &PgPool,
    center: CenterNumber,
    sequence: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT serial_number FROM documents WHERE center_number = $1 AND sequence = $2",
        center as _,
        sequence,
    )
    .fetch_optional(pool)
    .await
}

/// Where a new document's number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbering {
    /// The center's next number, taken in the same statement (the center's counter row stays
    /// locked until the transaction ends, so numbers are gapless and in commit order); the
    /// document's `serial_number` is the serial up to the number (`…-0042-`), completed with
    /// the number's eight digits.
    Next,
    /// The number and serial the document carries (a document migrated from paper).
    Given,
}

/// Inserts `d` and returns its number and serial, or `None` when the center's eight digits
/// are exhausted (Appendix 2, level 6: 99,999,999 documents). With [`Numbering::Next`],
/// numbering and inserting are one round trip.
pub async fn insert_document(
    conn: &mut PgConnection,
    d: &StoredDocument,
    numbering: Numbering,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let given = (numbering == Numbering::Given).then_some(d.sequence);
    let inserted = sqlx::query!(
        "WITH numbered AS (
             INSERT INTO center_sequences (center_number, last_sequence)
             SELECT $3, 1 WHERE $4::bigint IS NULL
             ON CONFLICT (center_number)
             DO UPDATE SET last_sequence = center_sequences.last_sequence + 1
             RETURNING last_sequence),
         number AS (
             SELECT COALESCE($4, (SELECT last_sequence FROM numbered)) AS n)
         INSERT INTO documents
            (id, serial_number, center_number, sequence, holder_iin, holder_name, profession_id,
             profession_name, nqf_level, separate_skills, procedure_date, protocol_number,
             protocol_date, issue_date, valid_until, head_of_center, voucher_id, issued_late,
             created_at, center_name, holder_document_number, holder_document_country,
             procedure_id)
         SELECT $1, CASE WHEN $4 IS NULL THEN $2 || lpad(n::text, 8, '0') ELSE $2 END, $3, n,
                $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
                $22, $23
           FROM number WHERE n <= 99999999
         RETURNING sequence, serial_number",
        d.id,
        d.serial_number,
        d.center_number as _,
        given,
        d.holder.iin(),
        d.holder_name,
        d.profession_id,
        d.profession_name,
        d.nqf_level,
        &d.separate_skills,
        d.procedure_date,
        d.protocol_number,
        d.protocol_date,
        d.issue_date,
        d.valid_until,
        d.head_of_center,
        d.voucher_id,
        d.issued_late,
        d.created_at,
        d.center_name,
        d.holder.document().map(|(number, _)| number),
        d.holder.document().map(|(_, country)| country),
        d.procedure_id,
    )
    .fetch_optional(conn)
    .await;
    match inserted {
        Ok(row) => Ok(row.map(|row| (row.sequence, row.serial_number))),
        Err(err) if eight_digits_exhausted(&err) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Whether `err` is the center's counter passing eight digits (Appendix 2, level 6; the
/// check `center_sequences_eight_digits`).
fn eight_digits_exhausted(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.constraint() == Some("center_sequences_eight_digits"))
}

/// The stamps of the read models a registration was judged on (see `crate::known`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamps {
    pub professions: i64,
    pub centers: i64,
}

/// What [`register_document`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registered {
    /// The document is written, with its number and serial, its event and its audit entry.
    Written {
        sequence: i64,
        serial_number: String,
    },
    /// Nothing: a read model moved past the stamps the registration was judged on.
    Behind,
    /// Nothing: the request was recorded before (a retry, or the same call at once).
    Recorded,
    /// Nothing: the center's eight digits are exhausted (Appendix 2, level 6).
    Exhausted,
}

/// The one statement of a registration: the document with the center's next number, its
/// request's record, its event in the outbox (the envelope prepared with the number's eight
/// digits as zeros, written with them in place: `digits_at`, counted from 1) and its audit
/// entry — written only if the read models still stand at `stamps`, and only if the request
/// was not recorded before. One round trip, its own transaction: the center's counter row is
/// locked by it until it commits, so numbers stay gapless and in commit order.
pub async fn register_document(
    connections: &nsk_db::held::HeldConnections,
    d: &StoredDocument,
    key: Option<&nsk_db::requests::RequestKey>,
    stamps: Stamps,
    event: &nsk_events::Prepared<'_>,
    digits_at: i32,
) -> Result<Registered, sqlx::Error> {
    static STATEMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "WITH fresh AS (
                 SELECT 1 FROM read_model_stamps p, read_model_stamps c
                  WHERE p.name = 'professions' AND p.stamp = $13
                    AND c.name = 'centers' AND c.stamp = $14),
             {once},
             numbered AS (
                 INSERT INTO center_sequences (center_number, last_sequence)
                 SELECT $22, 1 FROM fresh WHERE $15::text IS NULL OR EXISTS (SELECT 1 FROM once)
                 ON CONFLICT (center_number)
                 DO UPDATE SET last_sequence = center_sequences.last_sequence + 1
                 RETURNING last_sequence),
             doc AS (
                 INSERT INTO documents
                    (id, serial_number, center_number, sequence, holder_iin, holder_name,
                     profession_id, profession_name, nqf_level, separate_skills, procedure_date,
                     protocol_number, protocol_date, issue_date, valid_until, head_of_center,
                     voucher_id, issued_late, created_at, center_name, holder_document_number,
                     holder_document_country, procedure_id)
                 SELECT $20, $21 || lpad(last_sequence::text, 8, '0'), $22, last_sequence,
                        $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36,
                        $37, $38, $39, $40, $41
                   FROM numbered
                 RETURNING sequence, serial_number),
             {event}
             SELECT (SELECT sequence FROM doc) AS sequence,
                    (SELECT serial_number FROM doc) AS serial_number,
                    EXISTS (SELECT 1 FROM fresh) AS fresh",
            once = nsk_db::requests::record_query("once", "fresh", 15),
            event = nsk_events::Prepared::queries(
                Some("doc"),
                "overlay($10 PLACING convert_to(lpad(doc.sequence::text, 8, '0'), 'UTF8') FROM $42 FOR 8)",
            ),
        )
    });
    let query = event
        .bind(sqlx::query(&STATEMENT))
        .bind(stamps.professions)
        .bind(stamps.centers);
    let row = nsk_db::requests::bind_key(query, key, d.id)
        .bind(d.id)
        .bind(&d.serial_number)
        .bind(d.center_number)
        .bind(d.holder.iin())
        .bind(&d.holder_name)
        .bind(d.profession_id)
        .bind(&d.profession_name)
        .bind(d.nqf_level)
        .bind(&d.separate_skills)
        .bind(d.procedure_date)
        .bind(&d.protocol_number)
        .bind(d.protocol_date)
        .bind(d.issue_date)
        .bind(d.valid_until)
        .bind(&d.head_of_center)
        .bind(&d.voucher_id)
        .bind(d.issued_late)
        .bind(d.created_at)
        .bind(&d.center_name)
        .bind(d.holder.document().map(|(number, _)| number))
        .bind(d.holder.document().map(|(_, country)| country))
        .bind(d.procedure_id)
        .bind(digits_at);
    let row = connections.fetch_one(row).await;
    let row = match row {
        Ok(row) => row,
        Err(err) if eight_digits_exhausted(&err) => return Ok(Registered::Exhausted),
        Err(err) => return Err(err),
    };
    let sequence: Option<i64> = row.try_get("sequence")?;
    let serial_number: Option<String> = row.try_get("serial_number")?;
    let fresh: bool = row.try_get("fresh")?;
    Ok(match (sequence, serial_number) {
        (Some(sequence), Some(serial_number)) => Registered::Written {
            sequence,
            serial_number,
        },
        _ if !fresh => Registered::Behind,
        _ => Registered::Recorded,
    })
}

pub async fn get_document(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredDocument>, sqlx::Error> {
    sqlx::query_as!(
        DocumentRow,
        r#"SELECT id, version, serial_number, center_number AS "center_number: CenterNumber", sequence,
                holder_iin, holder_document_number, holder_document_country, holder_name,
                profession_id, profession_name, nqf_level, separate_skills, procedure_date,
                protocol_number, protocol_date, issue_date, valid_until, head_of_center,
                voucher_id, issued_late, cancelled_on, cancel_reason, cancel_basis, cancel_ground,
                replaced_by, created_at, center_name, procedure_id
           FROM documents WHERE id = $1"#,
        id,
    )
    .fetch_optional(conn)
    .await?
    .map(StoredDocument::try_from)
    .transpose()
}

pub async fn document_by_serial(
    pool: &PgPool,
    serial: &str,
) -> Result<Option<StoredDocument>, sqlx::Error> {
    sqlx::query_as!(
        DocumentRow,
        r#"SELECT id, version, serial_number, center_number AS "center_number: CenterNumber", sequence,
                holder_iin, holder_document_number, holder_document_country, holder_name,
                profession_id, profession_name, nqf_level, separate_skills, procedure_date,
                protocol_number, protocol_date, issue_date, valid_until, head_of_center,
                voucher_id, issued_late, cancelled_on, cancel_reason, cancel_basis, cancel_ground,
                replaced_by, created_at, center_name, procedure_id
           FROM documents WHERE serial_number = $1"#,
        serial,
    )
    .fetch_optional(pool)
    .await?
    .map(StoredDocument::try_from)
    .transpose()
}

/// Cancels documents (by id or serial) not yet cancelled; returns those it cancelled.
/// Cancels the documents named by id or serial that are not cancelled yet; with `center`, only
/// those that center issued (Art. 26.2.4 cancels the revoked center's documents, no other's).
pub async fn cancel_documents(
    conn: &mut PgConnection,
    ids: &[Uuid],
    serials: &[String],
    center: Option<CenterNumber>,
    record: &CancellationRecord,
) -> Result<Vec<StoredDocument>, sqlx::Error> {
    let basis =
        serde_json::to_value(&record.basis).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let rows = sqlx::query_as!(
        DocumentRow,
        r#"UPDATE documents SET cancelled_on = $3, cancel_reason = $4, cancel_basis = $5,
                cancel_ground = $6, replaced_by = $7, version = version + 1
          WHERE (id = ANY($1) OR serial_number = ANY($2)) AND cancelled_on IS NULL
            AND ($8::integer IS NULL OR center_number = $8)
          RETURNING id, version, serial_number, center_number AS "center_number: CenterNumber", sequence,
                holder_iin, holder_document_number, holder_document_country, holder_name,
                profession_id, profession_name, nqf_level, separate_skills, procedure_date,
                protocol_number, protocol_date, issue_date, valid_until, head_of_center,
                voucher_id, issued_late, cancelled_on, cancel_reason, cancel_basis, cancel_ground,
                replaced_by, created_at, center_name, procedure_id"#,
        ids,
        serials,
        record.cancelled_on,
        record.reason,
        basis,
        record.ground.map(Ground::code),
        record.replaced_by,
        center as _,
    )
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// What a list of documents is asked for; one of the first three is set.
#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub center_number: Option<CenterNumber>,
    pub holder_iin: Option<String>,
    /// A holder without an IIN: (document number, issuing country).
    pub holder_document: Option<(String, String)>,
    /// Only cancelled documents, with the filters of the public list.
    pub cancelled: bool,
    pub cancelled_from: Option<NaiveDate>,
    pub cancelled_to: Option<NaiveDate>,
    pub profession_id: Option<Uuid>,
    /// Keyset: the last id of the previous page (ids are time-ordered).
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list_documents(
    pool: &PgPool,
    f: &DocumentFilter,
) -> Result<Vec<StoredDocument>, sqlx::Error> {
    let rows = sqlx::query_as!(
        DocumentRow,
        r#"SELECT id, version, serial_number, center_number AS "center_number: CenterNumber", sequence,
                holder_iin, holder_document_number, holder_document_country, holder_name,
                profession_id, profession_name, nqf_level, separate_skills, procedure_date,
                protocol_number, protocol_date, issue_date, valid_until, head_of_center,
                voucher_id, issued_late, cancelled_on, cancel_reason, cancel_basis, cancel_ground,
                replaced_by, created_at, center_name, procedure_id
           FROM documents
          WHERE ($1::int IS NULL OR center_number = $1)
            AND ($2::text IS NULL OR holder_iin = $2)
            AND (NOT $3 OR cancelled_on IS NOT NULL)
            AND ($4::date IS NULL OR cancelled_on >= $4)
            AND ($5::date IS NULL OR cancelled_on <= $5)
            AND ($6::uuid IS NULL OR profession_id = $6)
            AND id > $7
            AND ($9::text IS NULL OR (holder_document_number = $9 AND holder_document_country = $10))
          ORDER BY id LIMIT $8"#,
        f.center_number as _,
        f.holder_iin,
        f.cancelled,
        f.cancelled_from,
        f.cancelled_to,
        f.profession_id,
        f.after.unwrap_or(Uuid::nil()),
        f.limit,
        f.holder_document.as_ref().map(|(number, _)| number),
        f.holder_document.as_ref().map(|(_, country)| country),
    )
    .fetch_all(pool)
    .await?;
    decode_all(rows)
}

/// A row of the open data: what the export prints, nothing personal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenDataRow {
    pub serial_number: String,
    pub profession_id: Uuid,
    pub profession_name: String,
    pub nqf_level: i32,
    pub center_number: CenterNumber,
    pub issue_date: NaiveDate,
    pub valid_until: NaiveDate,
    pub cancelled_on: Option<NaiveDate>,
}

/// Rows of the open data each [`open_data_page`] brings.
pub const OPEN_DATA_PAGE: usize = 5000;

/// Opens the open data on `tx`: the whole registry as it stands when this runs, only the
/// columns it prints, in the order the table keeps its rows — read straight through, not
/// looked up row by row in an index's order (a million documents: 1.3 s of the server's time
/// against 4.2 s by the key), in a transaction of its own. Read by [`open_data_page`] until a
/// page comes short; the cursor ends with the transaction.
pub async fn open_data(
    pool: &PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN READ ONLY").await?;
    sqlx::query(
        "DECLARE open_data NO SCROLL CURSOR FOR
             SELECT serial_number, profession_id, profession_name, nqf_level, center_number,
                    issue_date, valid_until, cancelled_on
               FROM documents",
    )
    .execute(&mut *tx)
    .await?;
    Ok(tx)
}

/// The next [`OPEN_DATA_PAGE`] rows of the open data opened by [`open_data`].
pub async fn open_data_page(tx: &mut PgConnection) -> Result<Vec<OpenDataRow>, sqlx::Error> {
    static FETCH: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("FETCH FORWARD {OPEN_DATA_PAGE} FROM open_data"));
    sqlx::query_as(&FETCH).fetch_all(tx).await
}

/// The sequence numbers of `center`'s cancelled documents, and its highest sequence number:
/// the entries set in its status list, and the list's extent.
pub async fn cancelled_in_center(
    pool: &PgPool,
    center: CenterNumber,
) -> Result<(Vec<i64>, i64), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT COALESCE(array_agg(sequence) FILTER (WHERE cancelled_on IS NOT NULL), '{}') AS "cancelled!",
                  COALESCE(max(sequence), 0) AS "max!"
             FROM documents WHERE center_number = $1"#,
        center as _,
    )
    .fetch_one(pool)
    .await?;
    Ok((row.cancelled, row.max))
}

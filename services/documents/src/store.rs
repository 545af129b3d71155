//! SQL of the documents registry.

use crate::domain::cancellation::Ground;
use crate::domain::holder::HolderId;
use chrono::NaiveDate;
use nsk_kz::CenterNumber;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

/// A version of a profession as the registry holds it, with the register's encoded entry.
#[derive(Debug, Clone)]
pub struct ProfessionRow {
    pub profession_id: Uuid,
    pub version: i64,
    pub active: bool,
    pub effective_from: NaiveDate,
    pub snapshot: Vec<u8>,
}

/// Applies one version received from the register: appends it to the history and moves the
/// current view forward (never back: a late, older version only joins the history).
pub async fn apply_profession_version(
    conn: &mut PgConnection,
    row: &ProfessionRow,
    event_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO registered_profession_versions (profession_id, version, active, effective_from, snapshot, event_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(row.profession_id)
    .bind(row.version)
    .bind(row.active)
    .bind(row.effective_from)
    .bind(&row.snapshot)
    .bind(event_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO registered_professions (profession_id, version, active, effective_from, snapshot)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (profession_id) DO UPDATE
            SET version = EXCLUDED.version, active = EXCLUDED.active,
                effective_from = EXCLUDED.effective_from, snapshot = EXCLUDED.snapshot, updated_at = now()
            WHERE registered_professions.version < EXCLUDED.version",
    )
    .bind(row.profession_id)
    .bind(row.version)
    .bind(row.active)
    .bind(row.effective_from)
    .bind(&row.snapshot)
    .execute(conn)
    .await?;
    Ok(())
}

fn decode(r: &sqlx::postgres::PgRow) -> Result<ProfessionRow, sqlx::Error> {
    Ok(ProfessionRow {
        profession_id: r.try_get("profession_id")?,
        version: r.try_get("version")?,
        active: r.try_get("active")?,
        effective_from: r.try_get("effective_from")?,
        snapshot: r.try_get("snapshot")?,
    })
}

pub async fn current_profession(
    pool: &PgPool,
    id: Uuid,
) -> Result<Option<ProfessionRow>, sqlx::Error> {
    sqlx::query("SELECT * FROM registered_professions WHERE profession_id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(decode)
        .transpose()
}

pub async fn profession_as_of(
    pool: &PgPool,
    id: Uuid,
    date: NaiveDate,
) -> Result<Option<ProfessionRow>, sqlx::Error> {
    sqlx::query(
        "SELECT * FROM registered_profession_versions
         WHERE profession_id = $1 AND effective_from <= $2
         ORDER BY version DESC, id DESC LIMIT 1",
    )
    .bind(id)
    .bind(date)
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(decode)
    .transpose()
}

/// Versions received for a profession, in the order received.
pub async fn known_versions(pool: &PgPool, id: Uuid) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT version FROM registered_profession_versions WHERE profession_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

// ---- the register of recognition centers, from accreditation's events ----

/// A certificate as the registry holds it.
#[derive(Debug, Clone)]
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
    sqlx::query(
        "INSERT INTO known_centers (center_number, bin, name) VALUES ($1, $2, $3)
         ON CONFLICT (center_number) DO UPDATE SET bin = EXCLUDED.bin, name = EXCLUDED.name, updated_at = now()",
    )
    .bind(number)
    .bind(bin)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn upsert_certificate(
    conn: &mut PgConnection,
    c: &KnownCertificateRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_certificates (certificate_id, center_number, serial_number, valid_from, valid_until, snapshot)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (certificate_id) DO UPDATE
            SET valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until, snapshot = EXCLUDED.snapshot",
    )
    .bind(c.certificate_id)
    .bind(c.center_number)
    .bind(&c.serial_number)
    .bind(c.valid_from)
    .bind(c.valid_until)
    .bind(&c.snapshot)
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
    let inserted = sqlx::query(
        "INSERT INTO known_certificate_statuses (certificate_id, status, since, event_id)
         SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM known_certificates WHERE certificate_id = $1)",
    )
    .bind(certificate_id)
    .bind(status)
    .bind(since)
    .bind(event_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub async fn add_cancellation_by_revocation(
    conn: &mut PgConnection,
    serial_number: &str,
    certificate_id: Uuid,
    center_number: CenterNumber,
    revoked_on: NaiveDate,
    basis: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cancellations_by_revocation (serial_number, certificate_id, center_number, revoked_on, basis)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (serial_number) DO NOTHING",
    )
    .bind(serial_number)
    .bind(certificate_id)
    .bind(center_number)
    .bind(revoked_on)
    .bind(basis)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn known_center(
    pool: &PgPool,
    number: CenterNumber,
) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT bin, name FROM known_centers WHERE center_number = $1")
        .bind(number)
        .fetch_optional(pool)
        .await
}

pub async fn known_certificates(
    pool: &PgPool,
    number: CenterNumber,
) -> Result<Vec<KnownCertificateRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT * FROM known_certificates WHERE center_number = $1 ORDER BY valid_from, certificate_id",
    )
    .bind(number)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(KnownCertificateRow {
                certificate_id: row.try_get("certificate_id")?,
                center_number: row.try_get("center_number")?,
                serial_number: row.try_get("serial_number")?,
                valid_from: row.try_get("valid_from")?,
                valid_until: row.try_get("valid_until")?,
                snapshot: row.try_get("snapshot")?,
            })
        })
        .collect()
}

/// The statuses of a certificate in the order they took effect.
pub async fn certificate_statuses(
    pool: &PgPool,
    certificate_id: Uuid,
) -> Result<Vec<(String, NaiveDate)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT status, since FROM known_certificate_statuses WHERE certificate_id = $1 ORDER BY since, id",
    )
    .bind(certificate_id)
    .fetch_all(pool)
    .await
}

pub async fn cancellations_of_center(
    pool: &PgPool,
    number: CenterNumber,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT serial_number FROM cancellations_by_revocation WHERE center_number = $1 ORDER BY serial_number",
    )
    .bind(number)
    .fetch_all(pool)
    .await
}

// ---- documents ----

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

fn decode_holder(r: &sqlx::postgres::PgRow) -> Result<HolderId, sqlx::Error> {
    let iin: Option<String> = r.try_get("holder_iin")?;
    let number: Option<String> = r.try_get("holder_document_number")?;
    let country: Option<String> = r.try_get("holder_document_country")?;
    let corrupt = |what: String| sqlx::Error::Decode(what.into());
    match (iin, number, country) {
        (Some(iin), _, _) => nsk_kz::Iin::parse(&iin)
            .map(HolderId::Iin)
            .map_err(|rule| corrupt(format!("stored IIN: {rule}"))),
        (None, Some(number), Some(country)) => Ok(HolderId::Document { number, country }),
        _ => Err(corrupt("a document without its holder's identity".into())),
    }
}

fn decode_document(r: &sqlx::postgres::PgRow) -> Result<StoredDocument, sqlx::Error> {
    let cancelled_on: Option<NaiveDate> = r.try_get("cancelled_on")?;
    let cancellation = match cancelled_on {
        Some(cancelled_on) => {
            let basis: serde_json::Value = r.try_get("cancel_basis")?;
            Some(CancellationRecord {
                cancelled_on,
                reason: r
                    .try_get::<Option<String>, _>("cancel_reason")?
                    .unwrap_or_default(),
                basis: serde_json::from_value(basis)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                ground: r
                    .try_get::<Option<String>, _>("cancel_ground")?
                    .as_deref()
                    .and_then(Ground::from_code),
                replaced_by: r.try_get("replaced_by")?,
            })
        }
        None => None,
    };
    Ok(StoredDocument {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        serial_number: r.try_get("serial_number")?,
        center_number: r.try_get("center_number")?,
        sequence: r.try_get("sequence")?,
        holder: decode_holder(r)?,
        holder_name: r.try_get("holder_name")?,
        profession_id: r.try_get("profession_id")?,
        profession_name: r.try_get("profession_name")?,
        nqf_level: r.try_get("nqf_level")?,
        separate_skills: r.try_get("separate_skills")?,
        procedure_date: r.try_get("procedure_date")?,
        protocol_number: r.try_get("protocol_number")?,
        protocol_date: r.try_get("protocol_date")?,
        issue_date: r.try_get("issue_date")?,
        valid_until: r.try_get("valid_until")?,
        head_of_center: r.try_get("head_of_center")?,
        voucher_id: r.try_get("voucher_id")?,
        issued_late: r.try_get("issued_late")?,
        cancellation,
        created_at: r.try_get("created_at")?,
        center_name: r.try_get("center_name")?,
    })
}

/// The next number in the center's sequence. The counter row stays locked until the caller's
/// transaction ends, so concurrent issuances for one center take numbers one after another;
/// if the transaction rolls back, so does the number.
pub async fn next_sequence(
    conn: &mut PgConnection,
    center: CenterNumber,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO center_sequences (center_number, last_sequence) VALUES ($1, 1)
         ON CONFLICT (center_number) DO UPDATE SET last_sequence = center_sequences.last_sequence + 1
         RETURNING last_sequence",
    )
    .bind(center)
    .fetch_one(conn)
    .await
}

/// The serial of the document center `center` numbered `sequence`, if any.
pub async fn serial_at(
    pool: &PgPool,
    center: CenterNumber,
    sequence: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT serial_number FROM documents WHERE center_number = $1 AND sequence = $2",
    )
    .bind(center)
    .bind(sequence)
    .fetch_optional(pool)
    .await
}

pub async fn insert_document(
    conn: &mut PgConnection,
    d: &StoredDocument,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO documents (id, serial_number, center_number, sequence, holder_iin, holder_name, profession_id,
             profession_name, nqf_level, separate_skills, procedure_date, protocol_number, protocol_date, issue_date,
             valid_until, head_of_center, voucher_id, issued_late, created_at, center_name,
             holder_document_number, holder_document_country)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
    )
    .bind(d.id)
    .bind(&d.serial_number)
    .bind(d.center_number)
    .bind(d.sequence)
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
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_document(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredDocument>, sqlx::Error> {
    sqlx::query("SELECT * FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(decode_document)
        .transpose()
}

pub async fn document_by_serial(
    pool: &PgPool,
    serial: &str,
) -> Result<Option<StoredDocument>, sqlx::Error> {
    sqlx::query("SELECT * FROM documents WHERE serial_number = $1")
        .bind(serial)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(decode_document)
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
    sqlx::query(
        "UPDATE documents SET cancelled_on = $3, cancel_reason = $4, cancel_basis = $5,
                cancel_ground = $6, replaced_by = $7, version = version + 1
          WHERE (id = ANY($1) OR serial_number = ANY($2)) AND cancelled_on IS NULL
            AND ($8::integer IS NULL OR center_number = $8)
          RETURNING *",
    )
    .bind(ids)
    .bind(serials)
    .bind(record.cancelled_on)
    .bind(&record.reason)
    .bind(basis)
    .bind(record.ground.map(Ground::code))
    .bind(&record.replaced_by)
    .bind(center)
    .fetch_all(conn)
    .await?
    .iter()
    .map(decode_document)
    .collect()
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
    sqlx::query(
        "SELECT * FROM documents
          WHERE ($1::int IS NULL OR center_number = $1)
            AND ($2::text IS NULL OR holder_iin = $2)
            AND (NOT $3 OR cancelled_on IS NOT NULL)
            AND ($4::date IS NULL OR cancelled_on >= $4)
            AND ($5::date IS NULL OR cancelled_on <= $5)
            AND ($6::uuid IS NULL OR profession_id = $6)
            AND id > $7
            AND ($9::text IS NULL OR (holder_document_number = $9 AND holder_document_country = $10))
          ORDER BY id LIMIT $8",
    )
    .bind(f.center_number)
    .bind(&f.holder_iin)
    .bind(f.cancelled)
    .bind(f.cancelled_from)
    .bind(f.cancelled_to)
    .bind(f.profession_id)
    .bind(f.after.unwrap_or(Uuid::nil()))
    .bind(f.limit)
    .bind(f.holder_document.as_ref().map(|(number, _)| number))
    .bind(f.holder_document.as_ref().map(|(_, country)| country))
    .fetch_all(pool)
    .await?
    .iter()
    .map(decode_document)
    .collect()
}

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
    sqlx::query("INSERT INTO iin_lookups (official, role, iin, found) VALUES ($1, $2, $3, $4)")
        .bind(official)
        .bind(role)
        .bind(iin)
        .bind(found)
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
    if ids.is_empty() {
        return Ok(());
    }
    let subject = match ids {
        [one] => format!("document/{one}"),
        _ => format!("documents/{}", ids.len()),
    };
    let detail = ids
        .iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let entry = nsk_db::audit::Entry {
        actor: reader,
        action: "read:document",
        subject: &subject,
        detail: &format!("as {role}: {detail}"),
    };
    nsk_db::audit::record(pool, &entry).await?;
    Ok(())
}

/// The open data of the registry, page by page in id order: no personal data.
pub async fn export_page(
    pool: &PgPool,
    after: Uuid,
    limit: i64,
) -> Result<Vec<StoredDocument>, sqlx::Error> {
    list_documents(
        pool,
        &DocumentFilter {
            after: Some(after),
            limit,
            ..Default::default()
        },
    )
    .await
}

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
    let row: Option<Row> = sqlx::query_as(
        "SELECT voucher_id, number, holder_iin, status, center_number, profession_id
           FROM known_vouchers WHERE voucher_id = $1 OR number = $2",
    )
    .bind(by_id)
    .bind(named.to_ascii_uppercase())
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
    sqlx::query(
        "INSERT INTO known_vouchers (voucher_id, number, holder_iin, status, center_number, profession_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (voucher_id) DO UPDATE SET status = EXCLUDED.status, center_number = EXCLUDED.center_number,
             profession_id = EXCLUDED.profession_id, updated_at = now()",
    )
    .bind(id)
    .bind(&v.number)
    .bind(&v.holder_iin)
    .bind(&v.status)
    .bind(v.center_number)
    .bind(v.profession_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A migration of old documents, as recorded: who, when, on what basis, how many.
pub struct MigrationRecord<'a> {
    pub id: Uuid,
    pub actor: &'a str,
    pub actor_role: &'a str,
    pub request_id: &'a str,
    pub basis: &'a nsk_errors::fields::Document,
    pub documents: i32,
}

pub async fn insert_migration(
    conn: &mut PgConnection,
    m: &MigrationRecord<'_>,
) -> Result<(), sqlx::Error> {
    let basis = serde_json::to_value(m.basis).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO document_migrations (id, actor, actor_role, request_id, basis, documents)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(m.id)
    .bind(m.actor)
    .bind(m.actor_role)
    .bind(m.request_id)
    .bind(basis)
    .bind(m.documents)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a document as brought in by migration `migration`.
pub async fn mark_migrated(
    conn: &mut PgConnection,
    document: Uuid,
    migration: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE documents SET migration_id = $2 WHERE id = $1")
        .bind(document)
        .bind(migration)
        .execute(conn)
        .await?;
    Ok(())
}

/// The center's sequence continues after `sequence` (the highest its old documents used).
pub async fn continue_sequence_after(
    conn: &mut PgConnection,
    center: CenterNumber,
    sequence: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO center_sequences (center_number, last_sequence) VALUES ($1, $2)
         ON CONFLICT (center_number) DO UPDATE
            SET last_sequence = GREATEST(center_sequences.last_sequence, EXCLUDED.last_sequence)",
    )
    .bind(center)
    .bind(sequence)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds `n` public verifications to the count of `day`.
pub async fn add_verifications(pool: &PgPool, day: NaiveDate, n: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO verification_counts (day, count) VALUES ($1, $2)
         ON CONFLICT (day) DO UPDATE SET count = verification_counts.count + EXCLUDED.count",
    )
    .bind(day)
    .bind(n)
    .execute(pool)
    .await?;
    Ok(())
}

//! The vouchers: numbers, rows, lists, the audit of reads, the expiry job's batches.

use super::*;

pub async fn next_number(conn: &mut PgConnection, year: i32) -> Result<String, sqlx::Error> {
    let n = sqlx::query_scalar!(r#"SELECT nextval('voucher_number_seq') AS "next!""#)
        .fetch_one(conn)
        .await?;
    Ok(format!("VC-{year}-{n:08}"))
}

/// The person's registration as unemployed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub number: String,
    pub date: NaiveDate,
    pub office: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredSickLeave {
    number: String,
    from: NaiveDate,
    to: NaiveDate,
}

/// A voucher as stored: the domain's voucher and what the register keeps beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVoucher {
    pub voucher: Voucher,
    pub number: String,
    pub holder_name: String,
    pub year: i32,
    pub registration: Registration,
    pub status_since: NaiveDate,
    pub terms_version: i64,
    /// The application on the platform the voucher was presented with: its procedure redeems
    /// and uses it (Art. 29.2, 29.4).
    pub application_id: Option<Uuid>,
    pub issued_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct VoucherRow {
    id: Uuid,
    number: String,
    holder_iin: String,
    holder_name: String,
    region: String,
    year: i32,
    registration: Json<Registration>,
    issued_on: NaiveDate,
    base_until: NaiveDate,
    valid_until: NaiveDate,
    status: String,
    status_since: NaiveDate,
    rate_tiyn: i64,
    terms_version: i64,
    sick_leaves: Json<Vec<StoredSickLeave>>,
    center_number: Option<nsk_kz::CenterNumber>,
    profession_id: Option<Uuid>,
    nqf_level: Option<i32>,
    cancel_reason: Option<String>,
    document_serial: Option<String>,
    application_id: Option<Uuid>,
    issued_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<VoucherRow> for StoredVoucher {
    type Error = sqlx::Error;

    fn try_from(r: VoucherRow) -> Result<Self, Self::Error> {
        let corrupt = |what: &str| sqlx::Error::Decode(format!("voucher {}: {what}", r.id).into());
        let center = r.center_number;
        let status = match r.status.as_str() {
            "issued" => Status::Issued,
            "redeemed" => Status::Redeemed {
                center: center.ok_or_else(|| corrupt("redeemed without a center"))?,
                profession: r
                    .profession_id
                    .ok_or_else(|| corrupt("redeemed without a profession"))?,
                level: r
                    .nqf_level
                    .and_then(|l| u8::try_from(l).ok())
                    .ok_or_else(|| corrupt("redeemed without a level"))?,
                on: r.status_since,
            },
            "used_passed" | "used_failed" => Status::Used {
                center: center.ok_or_else(|| corrupt("used without a center"))?,
                outcome: if r.status == "used_failed" {
                    Outcome::Failed
                } else {
                    Outcome::Passed {
                        document_serial: r.document_serial.clone().unwrap_or_default(),
                    }
                },
                on: r.status_since,
            },
            "expired" => Status::Expired { on: r.status_since },
            "cancelled" => Status::Cancelled {
                on: r.status_since,
                reason: r.cancel_reason.clone().unwrap_or_default(),
            },
            other => return Err(corrupt(&format!("unknown status {other}"))),
        };
        Ok(StoredVoucher {
            voucher: Voucher {
                id: r.id,
                holder_iin: r.holder_iin,
                region: r.region,
                issued_on: r.issued_on,
                base_until: r.base_until,
                valid_until: r.valid_until,
                status,
                sick_leaves: r
                    .sick_leaves
                    .0
                    .into_iter()
                    .map(|s| SickLeave {
                        number: s.number,
                        from: s.from,
                        to: s.to,
                    })
                    .collect(),
                rate_tiyn: r.rate_tiyn,
            },
            number: r.number,
            holder_name: r.holder_name,
            year: r.year,
            registration: r.registration.0,
            status_since: r.status_since,
            terms_version: r.terms_version,
            application_id: r.application_id,
            issued_by: r.issued_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The columns a status occupies.
#[derive(Default)]
struct StatusColumns {
    code: &'static str,
    center: Option<nsk_kz::CenterNumber>,
    profession: Option<Uuid>,
    level: Option<i32>,
    reason: Option<String>,
    document_serial: Option<String>,
}

fn status_columns(s: &Status) -> StatusColumns {
    match s {
        Status::Issued => StatusColumns {
            code: "issued",
            ..Default::default()
        },
        Status::Redeemed {
            center,
            profession,
            level,
            ..
        } => StatusColumns {
            code: "redeemed",
            center: Some(*center),
            profession: Some(*profession),
            level: Some(i32::from(*level)),
            ..Default::default()
        },
        Status::Used {
            center, outcome, ..
        } => StatusColumns {
            code: match outcome {
                Outcome::Passed { .. } => "used_passed",
                Outcome::Failed => "used_failed",
            },
            center: Some(*center),
            document_serial: match outcome {
                Outcome::Passed { document_serial } => Some(document_serial.clone()),
                Outcome::Failed => None,
            },
            ..Default::default()
        },
        Status::Expired { .. } => StatusColumns {
            code: "expired",
            ..Default::default()
        },
        Status::Cancelled { reason, .. } => StatusColumns {
            code: "cancelled",
            reason: Some(reason.clone()),
            ..Default::default()
        },
    }
}

fn sick_leaves(v: &Voucher) -> Json<Vec<StoredSickLeave>> {
    Json(
        v.sick_leaves
            .iter()
            .map(|s| StoredSickLeave {
                number: s.number.clone(),
                from: s.from,
                to: s.to,
            })
            .collect(),
    )
}

pub async fn insert_voucher(conn: &mut PgConnection, s: &StoredVoucher) -> Result<(), sqlx::Error> {
    let v = &s.voucher;
    let c = status_columns(&v.status);
    sqlx::query!(
        "INSERT INTO vouchers (id, number, holder_iin, holder_name, region, year, registration, issued_on,
             base_until, valid_until, status, status_since, rate_tiyn, terms_version, sick_leaves,
             center_number, profession_id, nqf_level, cancel_reason, issued_by, created_at, updated_at,
             document_serial)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
        v.id,
        &s.number,
        &v.holder_iin,
        &s.holder_name,
        &v.region,
        s.year,
        Json(&s.registration) as _,
        v.issued_on,
        v.base_until,
        v.valid_until,
        c.code,
        s.status_since,
        v.rate_tiyn,
        s.terms_version,
        sick_leaves(v) as _,
        c.center as _,
        c.profession,
        c.level,
        c.reason,
        &s.issued_by,
        s.created_at,
        s.updated_at,
        c.document_serial,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn save_voucher(conn: &mut PgConnection, s: &StoredVoucher) -> Result<(), sqlx::Error> {
    let v = &s.voucher;
    let c = status_columns(&v.status);
    sqlx::query!(
        "UPDATE vouchers SET valid_until = $2, status = $3, status_since = $4, sick_leaves = $5,
                center_number = $6, profession_id = $7, nqf_level = $8, cancel_reason = $9, updated_at = $10,
                document_serial = $11, application_id = $12
          WHERE id = $1",
        v.id,
        v.valid_until,
        c.code,
        s.status_since,
        sick_leaves(v) as _,
        c.center as _,
        c.profession,
        c.level,
        c.reason,
        s.updated_at,
        c.document_serial,
        s.application_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_voucher(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredVoucher>, sqlx::Error> {
    sqlx::query_as!(
        VoucherRow,
        r#"SELECT id, number, holder_iin, holder_name, region, year,
                  registration AS "registration: Json<Registration>", issued_on, base_until,
                  valid_until, status, status_since, rate_tiyn, terms_version,
                  sick_leaves AS "sick_leaves: Json<Vec<StoredSickLeave>>",
                  center_number AS "center_number: nsk_kz::CenterNumber", profession_id,
                  nqf_level, cancel_reason, document_serial, application_id, issued_by, created_at, updated_at
             FROM vouchers WHERE id = $1"#,
        id,
    )
    .fetch_optional(conn)
    .await?
    .map(StoredVoucher::try_from)
    .transpose()
}

pub async fn lock_voucher(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredVoucher>, sqlx::Error> {
    sqlx::query_as!(
        VoucherRow,
        r#"SELECT id, number, holder_iin, holder_name, region, year,
                  registration AS "registration: Json<Registration>", issued_on, base_until,
                  valid_until, status, status_since, rate_tiyn, terms_version,
                  sick_leaves AS "sick_leaves: Json<Vec<StoredSickLeave>>",
                  center_number AS "center_number: nsk_kz::CenterNumber", profession_id,
                  nqf_level, cancel_reason, document_serial, application_id, issued_by, created_at, updated_at
             FROM vouchers WHERE id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(conn)
    .await?
    .map(StoredVoucher::try_from)
    .transpose()
}

pub async fn voucher_by_number(
    pool: &PgPool,
    number: &str,
) -> Result<Option<StoredVoucher>, sqlx::Error> {
    sqlx::query_as!(
        VoucherRow,
        r#"SELECT id, number, holder_iin, holder_name, region, year,
                  registration AS "registration: Json<Registration>", issued_on, base_until,
                  valid_until, status, status_since, rate_tiyn, terms_version,
                  sick_leaves AS "sick_leaves: Json<Vec<StoredSickLeave>>",
                  center_number AS "center_number: nsk_kz::CenterNumber", profession_id,
                  nqf_level, cancel_reason, document_serial, application_id, issued_by, created_at, updated_at
             FROM vouchers WHERE number = $1"#,
        number,
    )
    .fetch_optional(pool)
    .await?
    .map(StoredVoucher::try_from)
    .transpose()
}

/// The voucher a person already has for `year`, if any: (region, issued on).
pub async fn voucher_of_year(
    conn: &mut PgConnection,
    iin: &str,
    year: i32,
) -> Result<Option<(String, NaiveDate)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT region, issued_on FROM vouchers WHERE holder_iin = $1 AND year = $2",
        iin,
        year,
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| (row.region, row.issued_on)))
}

/// What a list of vouchers is asked for.
#[derive(Debug, Clone, Default)]
pub struct VoucherFilter {
    pub region: Option<String>,
    /// Vouchers this center redeemed or used.
    pub center: Option<i32>,
    /// Vouchers redeemed for this profession.
    pub profession: Option<Uuid>,
    /// The holder's own (a candidate's list).
    pub holder_iin: Option<String>,
    /// Status codes (a used voucher has two).
    pub statuses: Vec<String>,
    pub issued_from: Option<NaiveDate>,
    pub issued_to: Option<NaiveDate>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn list_vouchers(
    pool: &PgPool,
    f: &VoucherFilter,
) -> Result<Vec<StoredVoucher>, sqlx::Error> {
    sqlx::query_as!(
        VoucherRow,
        r#"SELECT id, number, holder_iin, holder_name, region, year,
                  registration AS "registration: Json<Registration>", issued_on, base_until,
                  valid_until, status, status_since, rate_tiyn, terms_version,
                  sick_leaves AS "sick_leaves: Json<Vec<StoredSickLeave>>",
                  center_number AS "center_number: nsk_kz::CenterNumber", profession_id,
                  nqf_level, cancel_reason, document_serial, application_id, issued_by, created_at, updated_at
             FROM vouchers
          WHERE ($1::text IS NULL OR region = $1)
            AND (cardinality($2::text[]) = 0 OR status = ANY($2))
            AND ($3::date IS NULL OR issued_on >= $3)
            AND ($4::date IS NULL OR issued_on <= $4)
            AND id > $5
            AND ($7::int IS NULL OR center_number = $7)
            AND ($8::uuid IS NULL OR profession_id = $8)
            AND ($9::text IS NULL OR holder_iin = $9)
          ORDER BY id LIMIT $6"#,
        f.region,
        &f.statuses,
        f.issued_from,
        f.issued_to,
        f.after.unwrap_or(Uuid::nil()),
        f.limit,
        f.center,
        f.profession,
        f.holder_iin,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(StoredVoucher::try_from)
    .collect()
}

/// Records who read the holders of `vouchers`.
pub async fn audit_reads(
    pool: &PgPool,
    reader: &str,
    role: &str,
    vouchers: &[Uuid],
) -> Result<(), sqlx::Error> {
    if vouchers.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO holder_reads (reader, role, voucher) SELECT $1, $2, unnest($3::uuid[])",
        reader,
        role,
        vouchers,
    )
    .execute(&mut *tx)
    .await?;
    nsk_db::audit::append_read(&mut tx, "voucher", reader, role, vouchers).await?;
    tx.commit().await?;
    Ok(())
}

/// Locks up to `limit` issued vouchers past their last day before `today`, skipping those
/// another instance of the job holds: each voucher ends once.
pub async fn lock_due_batch(
    conn: &mut PgConnection,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM vouchers WHERE status = 'issued' AND valid_until < $1
          ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
        today,
        limit,
    )
    .fetch_all(conn)
    .await
}

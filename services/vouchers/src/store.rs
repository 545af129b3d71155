//! SQL of vouchers: the terms by year with each region's committed budget, the vouchers, and
//! the audit of reads of their holders.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::terms::{Committed, RegionTerms, YearTerms};
use crate::domain::voucher::{Outcome, SickLeave, Status, Voucher};

/// The act a change rests on: the one shape of `nsk-errors`.
pub use nsk_errors::fields::Document as Basis;

/// A year's terms as stored, with what each region committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTerms {
    pub terms: YearTerms,
    pub committed: BTreeMap<String, Committed>,
    pub version: i64,
    pub basis: Basis,
    pub actor: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TermsRow {
    validity_days: i32,
    version: i64,
    basis: Json<Basis>,
    actor: String,
    updated_at: DateTime<Utc>,
}

pub async fn terms(conn: &mut PgConnection, year: i32) -> Result<Option<StoredTerms>, sqlx::Error> {
    let head = sqlx::query_as!(
        TermsRow,
        r#"SELECT validity_days, version, basis AS "basis: Json<Basis>", actor, updated_at
             FROM voucher_terms WHERE year = $1"#,
        year,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(TermsRow {
        validity_days,
        version,
        basis,
        actor,
        updated_at,
    }) = head
    else {
        return Ok(None);
    };
    let rows = sqlx::query!(
        "SELECT region, rate_tiyn, budget_count, budget_tiyn, committed_count, committed_tiyn
           FROM voucher_region_terms WHERE year = $1 ORDER BY region",
        year,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut regions = BTreeMap::new();
    let mut committed = BTreeMap::new();
    for row in rows {
        let (region, rate_tiyn, budget_count, budget_tiyn) =
            (row.region, row.rate_tiyn, row.budget_count, row.budget_tiyn);
        let (count, tiyn) = (row.committed_count, row.committed_tiyn);
        regions.insert(
            region.clone(),
            RegionTerms {
                rate_tiyn,
                budget_count,
                budget_tiyn,
            },
        );
        committed.insert(region, Committed { count, tiyn });
    }
    Ok(Some(StoredTerms {
        terms: YearTerms {
            year,
            validity_days: u32::try_from(validity_days).unwrap_or(0),
            regions,
        },
        committed,
        version,
        basis: basis.0,
        actor,
        updated_at,
    }))
}

/// Locks the year's terms for a change.
pub async fn lock_terms_version(
    conn: &mut PgConnection,
    year: i32,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT version FROM voucher_terms WHERE year = $1 FOR UPDATE",
        year,
    )
    .fetch_optional(conn)
    .await
}

/// Writes a year's terms as `version`; the regions' committed amounts stay as they are.
pub async fn save_terms(
    conn: &mut PgConnection,
    terms: &YearTerms,
    version: i64,
    basis: &Basis,
    actor: &str,
    request_id: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO voucher_terms (year, validity_days, version, basis, actor, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (year) DO UPDATE SET validity_days = EXCLUDED.validity_days,
             version = EXCLUDED.version, basis = EXCLUDED.basis, actor = EXCLUDED.actor,
             updated_at = EXCLUDED.updated_at",
        terms.year,
        i32::try_from(terms.validity_days).unwrap_or(i32::MAX),
        version,
        Json(basis) as _,
        actor,
        at,
    )
    .execute(&mut *conn)
    .await?;
    for (region, t) in &terms.regions {
        sqlx::query!(
            "INSERT INTO voucher_region_terms (year, region, rate_tiyn, budget_count, budget_tiyn)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (year, region) DO UPDATE SET rate_tiyn = EXCLUDED.rate_tiyn,
                 budget_count = EXCLUDED.budget_count, budget_tiyn = EXCLUDED.budget_tiyn",
            terms.year,
            region,
            t.rate_tiyn,
            t.budget_count,
            t.budget_tiyn,
        )
        .execute(&mut *conn)
        .await?;
    }
    let snapshot = serde_json::json!({
        "validity_days": terms.validity_days,
        "regions": terms.regions.iter().map(|(r, t)| serde_json::json!({
            "region": r, "rate_tiyn": t.rate_tiyn,
            "budget_count": t.budget_count, "budget_tiyn": t.budget_tiyn,
        })).collect::<Vec<_>>(),
        "basis": basis,
    });
    sqlx::query!(
        "INSERT INTO voucher_terms_history (year, version, terms, actor, request_id) VALUES ($1, $2, $3, $4, $5)",
        terms.year,
        version,
        snapshot,
        actor,
        request_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Commits one voucher of `region`'s budget in `year` at `rate`; false when it does not fit.
pub async fn commit_budget(
    conn: &mut PgConnection,
    year: i32,
    region: &str,
    rate: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE voucher_region_terms SET committed_count = committed_count + 1,
                committed_tiyn = committed_tiyn + $3
          WHERE year = $1 AND region = $2
            AND committed_count + 1 <= budget_count AND committed_tiyn + $3 <= budget_tiyn",
        year,
        region,
        rate,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// Gives one voucher back to `region`'s budget (expired or cancelled unused).
pub async fn release_budget(
    conn: &mut PgConnection,
    year: i32,
    region: &str,
    rate: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE voucher_region_terms SET committed_count = committed_count - 1,
                committed_tiyn = committed_tiyn - $3
          WHERE year = $1 AND region = $2",
        year,
        region,
        rate,
    )
    .execute(conn)
    .await?;
    Ok(())
}

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
                document_serial = $11
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
                  nqf_level, cancel_reason, document_serial, issued_by, created_at, updated_at
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
                  nqf_level, cancel_reason, document_serial, issued_by, created_at, updated_at
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
                  nqf_level, cancel_reason, document_serial, issued_by, created_at, updated_at
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
                  nqf_level, cancel_reason, document_serial, issued_by, created_at, updated_at
             FROM vouchers
          WHERE ($1::text IS NULL OR region = $1)
            AND (cardinality($2::text[]) = 0 OR status = ANY($2))
            AND ($3::date IS NULL OR issued_on >= $3)
            AND ($4::date IS NULL OR issued_on <= $4)
            AND id > $5
            AND ($7::int IS NULL OR center_number = $7)
            AND ($8::uuid IS NULL OR profession_id = $8)
          ORDER BY id LIMIT $6"#,
        f.region,
        &f.statuses,
        f.issued_from,
        f.issued_to,
        f.after.unwrap_or(Uuid::nil()),
        f.limit,
        f.center,
        f.profession,
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
    let subject = match vouchers {
        [one] => format!("voucher/{one}"),
        _ => format!("vouchers/{}", vouchers.len()),
    };
    let ids = vouchers
        .iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let entry = nsk_db::audit::Entry {
        actor: reader,
        action: "read:voucher",
        subject: &subject,
        detail: &format!("as {role}: {ids}"),
    };
    nsk_db::audit::append(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

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
    let wanted = profession.to_string();
    let levels = rows.iter().find_map(|scope| {
        scope.as_array()?.iter().find_map(|entry| {
            (entry.get("profession_id")?.as_str()? == wanted).then(|| {
                entry
                    .get("nqf_levels")
                    .and_then(|l| l.as_array())
                    .map(|l| {
                        l.iter()
                            .filter_map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok()))
                            .collect::<Vec<u8>>()
                    })
                    .unwrap_or_default()
            })
        })
    });
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

/// A center's claim for the passage of a procedure (Art. 29.4).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimRow {
    pub id: Uuid,
    pub voucher_id: Uuid,
    pub center_number: nsk_kz::CenterNumber,
    pub region: String,
    pub amount_tiyn: i64,
    pub outcome: String,
    pub document_serial: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub claimed_on: NaiveDate,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_claim(conn: &mut PgConnection, c: &ClaimRow) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO claims (id, voucher_id, center_number, region, amount_tiyn, outcome, document_serial,
             status, reason, claimed_on, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        c.id,
        c.voucher_id,
        c.center_number as _,
        &c.region,
        c.amount_tiyn,
        &c.outcome,
        c.document_serial.as_deref(),
        &c.status,
        c.reason.as_deref(),
        c.claimed_on,
        c.updated_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list_claims(
    pool: &PgPool,
    region: Option<&str>,
    center: Option<i32>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ClaimRow>, sqlx::Error> {
    sqlx::query_as!(
        ClaimRow,
        r#"SELECT id, voucher_id, center_number AS "center_number: nsk_kz::CenterNumber", region,
                  amount_tiyn, outcome, document_serial, status, reason, claimed_on, updated_at
             FROM claims
            WHERE ($1::text IS NULL OR region = $1) AND ($2::int IS NULL OR center_number = $2)
              AND id > $3 ORDER BY id LIMIT $4"#,
        region,
        center,
        after.unwrap_or(Uuid::nil()),
        limit,
    )
    .fetch_all(pool)
    .await
}

pub async fn lock_claim(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ClaimRow>, sqlx::Error> {
    sqlx::query_as!(
        ClaimRow,
        r#"SELECT id, voucher_id, center_number AS "center_number: nsk_kz::CenterNumber", region,
                  amount_tiyn, outcome, document_serial, status, reason, claimed_on, updated_at
             FROM claims WHERE id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(conn)
    .await
}

pub async fn get_claim(conn: &mut PgConnection, id: Uuid) -> Result<Option<ClaimRow>, sqlx::Error> {
    sqlx::query_as!(
        ClaimRow,
        r#"SELECT id, voucher_id, center_number AS "center_number: nsk_kz::CenterNumber", region,
                  amount_tiyn, outcome, document_serial, status, reason, claimed_on, updated_at
             FROM claims WHERE id = $1"#,
        id,
    )
    .fetch_optional(conn)
    .await
}

pub async fn save_claim(conn: &mut PgConnection, c: &ClaimRow) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE claims SET status = $2, reason = $3, updated_at = $4 WHERE id = $1",
        c.id,
        &c.status,
        c.reason.as_deref(),
        c.updated_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The claims made from `from` to `to`, of `region` or all, in the order made.
pub async fn claims_between(
    pool: &PgPool,
    region: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ClaimRow>, sqlx::Error> {
    sqlx::query_as!(
        ClaimRow,
        r#"SELECT id, voucher_id, center_number AS "center_number: nsk_kz::CenterNumber", region,
                  amount_tiyn, outcome, document_serial, status, reason, claimed_on, updated_at
             FROM claims
            WHERE ($1::text IS NULL OR region = $1) AND claimed_on BETWEEN $2 AND $3
            ORDER BY claimed_on, id"#,
        region,
        from,
        to,
    )
    .fetch_all(pool)
    .await
}

/// One region's figures for a year.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RegionFigures {
    pub region: String,
    pub issued: i64,
    pub outstanding: i64,
    pub redeemed: i64,
    pub passed: i64,
    pub failed: i64,
    pub expired: i64,
    pub cancelled: i64,
    pub budget_count: i64,
    pub budget_tiyn: i64,
    pub committed_count: i64,
    pub committed_tiyn: i64,
    pub spent_tiyn: i64,
}

/// The figures of every region with terms or vouchers in `year` (or only `region`).
pub async fn statistics(
    pool: &PgPool,
    year: i32,
    region: Option<&str>,
) -> Result<Vec<RegionFigures>, sqlx::Error> {
    // Checked by the tests, not the macros: every figure is an aggregate the macros would see
    // as nullable, and the row type already names each one.
    sqlx::query_as(
        "WITH v AS (
             SELECT region,
                    count(*) AS issued,
                    count(*) FILTER (WHERE status = 'issued') AS outstanding,
                    count(*) FILTER (WHERE status = 'redeemed') AS redeemed,
                    count(*) FILTER (WHERE status = 'used_passed') AS passed,
                    count(*) FILTER (WHERE status = 'used_failed') AS failed,
                    count(*) FILTER (WHERE status = 'expired') AS expired,
                    count(*) FILTER (WHERE status = 'cancelled') AS cancelled
               FROM vouchers WHERE year = $1 GROUP BY region),
         c AS (
             SELECT cl.region, coalesce(sum(cl.amount_tiyn) FILTER (WHERE cl.status = 'paid'), 0) AS spent
               FROM claims cl JOIN vouchers vo ON vo.id = cl.voucher_id
              WHERE vo.year = $1 GROUP BY cl.region),
         t AS (SELECT * FROM voucher_region_terms WHERE year = $1),
         regions AS (SELECT region FROM v UNION SELECT region FROM t)
         SELECT r.region,
                coalesce(v.issued, 0)::bigint AS issued, coalesce(v.outstanding, 0)::bigint AS outstanding,
                coalesce(v.redeemed, 0)::bigint AS redeemed, coalesce(v.passed, 0)::bigint AS passed,
                coalesce(v.failed, 0)::bigint AS failed, coalesce(v.expired, 0)::bigint AS expired,
                coalesce(v.cancelled, 0)::bigint AS cancelled,
                coalesce(t.budget_count, 0)::bigint AS budget_count, coalesce(t.budget_tiyn, 0)::bigint AS budget_tiyn,
                coalesce(t.committed_count, 0)::bigint AS committed_count,
                coalesce(t.committed_tiyn, 0)::bigint AS committed_tiyn,
                coalesce(c.spent, 0)::bigint AS spent_tiyn
           FROM regions r LEFT JOIN v USING (region) LEFT JOIN t USING (region) LEFT JOIN c USING (region)
          WHERE $2::text IS NULL OR r.region = $2
          ORDER BY r.region",
    )
    .bind(year)
    .bind(region)
    .fetch_all(pool)
    .await
}

/// A certificate of a center as the vouchers register hears it from accreditation.
pub struct HeardCertificate {
    pub id: Uuid,
    pub center: nsk_kz::CenterNumber,
    pub status: &'static str,
    pub status_since: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    /// `[{"profession_id", "nqf_levels"}]`.
    pub scope: serde_json::Value,
}

pub async fn hear_certificate(
    conn: &mut PgConnection,
    c: &HeardCertificate,
) -> Result<(), sqlx::Error> {
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
        &c.scope,
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

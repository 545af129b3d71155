//! Centers' claims for the procedures they held (Art. 29.4), and the statistics.

use super::*;

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

impl ClaimRow {
    /// The claim of `center`, which ran the procedure that used the voucher on `on` (Art.
    /// 29.4: the passage is paid, passed or failed): the voucher's rate, its outcome.
    pub fn for_used(s: &StoredVoucher, center: nsk_kz::CenterNumber, on: NaiveDate) -> Self {
        let (outcome, document_serial) = match &s.voucher.status {
            Status::Used {
                outcome: Outcome::Passed { document_serial },
                ..
            } => (
                "passed",
                Some(document_serial.clone()).filter(|s| !s.is_empty()),
            ),
            _ => ("failed", None),
        };
        ClaimRow {
            id: Uuid::now_v7(),
            voucher_id: s.voucher.id,
            center_number: center,
            region: s.voucher.region.clone(),
            amount_tiyn: s.voucher.rate_tiyn,
            outcome: outcome.into(),
            document_serial,
            status: "claimed".into(),
            reason: None,
            claimed_on: on,
            updated_at: Utc::now(),
        }
    }
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

/// The claim of a voucher whose procedure turned out a pass (an appeal upheld, Rules p. 23)
/// or whose document came (p. 18): the outcome and the serial follow; the amount does not
/// change (Art. 29.4).
pub async fn claim_passed(
    conn: &mut PgConnection,
    voucher_id: Uuid,
    document_serial: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE claims SET outcome = 'passed', document_serial = COALESCE($2, document_serial), updated_at = now()
          WHERE voucher_id = $1",
        voucher_id,
        document_serial,
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

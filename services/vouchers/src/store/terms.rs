//! The terms of each year and the budget each region has committed.

use super::*;

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

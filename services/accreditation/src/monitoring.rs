//! Monitoring of a center's results (Art. 25.3), from the read model of issued documents.

use nsk_errors::ApiError;
use nsk_proto::nsk::accreditation::v1 as pb;
use sqlx::PgPool;

use crate::domain::monitoring::{format_month, month_of, months, parse_month};
use crate::store;

fn month_field(raw: &str, field: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
    match raw.trim() {
        "" => Ok(None),
        text => parse_month(text)
            .map(Some)
            .ok_or_else(|| ApiError::invalid_field(field, "must be a month as YYYY-MM")),
    }
}

/// The results of center `number` over the months asked (default: the last twelve to `today`).
pub async fn center_results(
    pool: &PgPool,
    request: &pb::GetCenterResultsRequest,
    today: chrono::NaiveDate,
) -> Result<pb::CenterResults, ApiError> {
    let raw = request.center_number.trim();
    let number = nsk_kz::CenterNumber::parse(raw)
        .map_err(|rule| ApiError::invalid_field("center_number", rule))?;
    let to = month_field(&request.to_month, "to_month")?.unwrap_or_else(|| month_of(today));
    let from = match month_field(&request.from_month, "from_month")? {
        Some(from) => from,
        None => to.checked_sub_months(chrono::Months::new(11)).unwrap_or(to),
    };
    let months = months(from, to).map_err(|rule| ApiError::invalid_field("from_month", rule))?;
    let mut conn = pool.acquire().await?;
    if store::get_center(&mut conn, number).await?.is_none() {
        return Err(ApiError::not_found("recognition center", raw));
    }
    let rows = store::issued::results_by_month(&mut conn, number, from, to).await?;
    let count = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    let months: Vec<pb::MonthResults> = months
        .into_iter()
        .map(|month| {
            let row = rows.iter().find(|r| r.month == month);
            pb::MonthResults {
                month: format_month(month),
                issued: row.map_or(0, |r| count(r.issued)),
                issued_late: row.map_or(0, |r| count(r.issued_late)),
                cancelled: row.map_or(0, |r| count(r.cancelled)),
            }
        })
        .collect();
    Ok(pb::CenterResults {
        center_number: raw.to_string(),
        from_month: format_month(from),
        to_month: format_month(to),
        issued: months.iter().map(|m| m.issued).sum(),
        issued_late: months.iter().map(|m| m.issued_late).sum(),
        cancelled: months.iter().map(|m| m.cancelled).sum(),
        months,
    })
}

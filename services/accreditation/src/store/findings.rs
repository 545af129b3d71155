//! Monitoring findings under the post-accreditation agreement (Art. 25.3).

use super::*;

#[derive(Debug, Clone)]
pub struct Finding {
    pub id: Uuid,
    pub certificate_id: Uuid,
    pub description: String,
    pub concerns_health_or_safety: bool,
    pub found_on: NaiveDate,
    pub opened_revocation_case: bool,
    pub revocation_decision_due: Option<NaiveDate>,
    /// The request that recorded it, so that a retry answers with this finding.
    pub request_id: Option<String>,
    pub actor: String,
    pub actor_role: String,
    pub at: DateTime<Utc>,
}

pub async fn insert_finding(conn: &mut PgConnection, f: &Finding) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO findings (id, certificate_id, description, concerns_health_or_safety, found_on, opened_revocation_case,
             revocation_decision_due, request_id, actor, actor_role, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(f.id)
    .bind(f.certificate_id)
    .bind(&f.description)
    .bind(f.concerns_health_or_safety)
    .bind(f.found_on)
    .bind(f.opened_revocation_case)
    .bind(f.revocation_decision_due)
    .bind(&f.request_id)
    .bind(&f.actor)
    .bind(&f.actor_role)
    .bind(f.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The finding a request recorded.
pub async fn finding_by_request(
    conn: &mut PgConnection,
    actor: &str,
    request_id: &str,
) -> Result<Option<Finding>, sqlx::Error> {
    let row = sqlx::query("SELECT * FROM findings WHERE actor = $1 AND request_id = $2")
        .bind(actor)
        .bind(request_id)
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        Ok(Finding {
            id: row.try_get("id")?,
            certificate_id: row.try_get("certificate_id")?,
            description: row.try_get("description")?,
            concerns_health_or_safety: row.try_get("concerns_health_or_safety")?,
            found_on: row.try_get("found_on")?,
            opened_revocation_case: row.try_get("opened_revocation_case")?,
            revocation_decision_due: row.try_get("revocation_decision_due")?,
            request_id: row.try_get("request_id")?,
            actor: row.try_get("actor")?,
            actor_role: row.try_get("actor_role")?,
            at: row.try_get("recorded_at")?,
        })
    })
    .transpose()
}

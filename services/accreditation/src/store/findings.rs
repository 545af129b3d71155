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
    sqlx::query!(
        "INSERT INTO findings (id, certificate_id, description, concerns_health_or_safety, found_on, opened_revocation_case,
             revocation_decision_due, request_id, actor, actor_role, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        f.id,
        f.certificate_id,
        &f.description,
        f.concerns_health_or_safety,
        f.found_on,
        f.opened_revocation_case,
        f.revocation_decision_due,
        f.request_id.as_deref(),
        &f.actor,
        &f.actor_role,
        f.at,
    )
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
    let row = sqlx::query!(
        "SELECT * FROM findings WHERE actor = $1 AND request_id = $2",
        actor,
        request_id,
    )
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(Finding {
            id: row.id,
            certificate_id: row.certificate_id,
            description: row.description,
            concerns_health_or_safety: row.concerns_health_or_safety,
            found_on: row.found_on,
            opened_revocation_case: row.opened_revocation_case,
            revocation_decision_due: row.revocation_decision_due,
            request_id: row.request_id,
            actor: row.actor,
            actor_role: row.actor_role,
            at: row.recorded_at,
        })
    })
    .transpose()
}

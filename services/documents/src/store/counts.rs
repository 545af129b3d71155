//! Public verification counted per day, and the stamps of its feed.

use super::*;

/// Adds `n` public verifications to the count of `day`.
pub async fn add_verifications(pool: &PgPool, day: NaiveDate, n: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO verification_counts (day, count) VALUES ($1, $2)
         ON CONFLICT (day) DO UPDATE SET count = verification_counts.count + EXCLUDED.count",
        day,
        n,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Says `payload` on the notification channel `channel` (the verification feed's stamp).
pub async fn notify(pool: &PgPool, channel: &str, payload: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_notify($1, $2)", channel, payload)
        .execute(pool)
        .await?;
    Ok(())
}

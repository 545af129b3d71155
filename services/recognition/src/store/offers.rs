//! Centers' offers, and the public search that shows only those a certificate covers today.

use chrono::NaiveDate;
use nsk_kz::CenterNumber;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{code, decode};
use crate::domain::offer::{Offer, OfferStatus, Terms};
use crate::domain::procedure::{Language, Mode};

struct OfferRow {
    id: Uuid,
    center_number: CenterNumber,
    profession_id: Uuid,
    nqf_level: i32,
    price_tenge: i32,
    languages: Vec<String>,
    modes: Vec<String>,
    region: String,
    venue: String,
    documents_required: Vec<String>,
    retake_terms: String,
    lead_working_days: i32,
    status: String,
    published_on: NaiveDate,
    version: i64,
}

impl TryFrom<OfferRow> for Offer {
    type Error = sqlx::Error;

    fn try_from(row: OfferRow) -> Result<Self, Self::Error> {
        Ok(Offer {
            id: row.id,
            center: row.center_number,
            terms: Terms {
                profession_id: row.profession_id,
                nqf_level: row.nqf_level,
                price_tenge: row.price_tenge,
                languages: row
                    .languages
                    .iter()
                    .map(|l| decode::<Language>("offers.languages", l))
                    .collect::<Result<_, _>>()?,
                modes: row
                    .modes
                    .iter()
                    .map(|m| decode::<Mode>("offers.modes", m))
                    .collect::<Result<_, _>>()?,
                region: row.region,
                venue: row.venue,
                documents_required: row.documents_required,
                retake_terms: row.retake_terms,
                lead_working_days: row.lead_working_days,
            },
            status: OfferStatus::from_code(&row.status).ok_or_else(|| {
                sqlx::Error::Decode(format!("offers.status holds {:?}", row.status).into())
            })?,
            published_on: row.published_on,
            version: row.version,
        })
    }
}

pub async fn insert_offer(conn: &mut PgConnection, offer: &Offer) -> Result<(), sqlx::Error> {
    let t = &offer.terms;
    let languages: Vec<String> = t.languages.iter().map(code).collect();
    let modes: Vec<String> = t.modes.iter().map(code).collect();
    sqlx::query!(
        "INSERT INTO offers
            (id, center_number, profession_id, nqf_level, price_tenge, languages, modes, region,
             venue, documents_required, retake_terms, lead_working_days, status, published_on,
             version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        offer.id,
        offer.center as _,
        t.profession_id,
        t.nqf_level,
        t.price_tenge,
        &languages,
        &modes,
        t.region,
        t.venue,
        &t.documents_required,
        t.retake_terms,
        t.lead_working_days,
        offer.status.code(),
        offer.published_on,
        offer.version,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn save_offer(conn: &mut PgConnection, offer: &Offer) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE offers SET status = $2, version = $3 WHERE id = $1",
        offer.id,
        offer.status.code(),
        offer.version,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn lock_offer(conn: &mut PgConnection, id: Uuid) -> Result<Option<Offer>, sqlx::Error> {
    let row = sqlx::query_as!(
        OfferRow,
        r#"SELECT id, center_number AS "center_number: CenterNumber", profession_id, nqf_level,
                  price_tenge, languages, modes, region, venue, documents_required,
                  retake_terms, lead_working_days, status, published_on, version
             FROM offers WHERE id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(conn)
    .await?;
    row.map(Offer::try_from).transpose()
}

pub async fn get_offer(pool: &PgPool, id: Uuid) -> Result<Option<Offer>, sqlx::Error> {
    let row = sqlx::query_as!(
        OfferRow,
        r#"SELECT id, center_number AS "center_number: CenterNumber", profession_id, nqf_level,
                  price_tenge, languages, modes, region, venue, documents_required,
                  retake_terms, lead_working_days, status, published_on, version
             FROM offers WHERE id = $1"#,
        id,
    )
    .fetch_optional(pool)
    .await?;
    row.map(Offer::try_from).transpose()
}

/// What the public may filter the offers by.
pub struct Search {
    pub profession_id: Option<Uuid>,
    pub nqf_level: Option<i32>,
    pub region: Option<String>,
    pub language: Option<Language>,
    pub mode: Option<Mode>,
    pub max_price_tenge: Option<i32>,
    pub center: Option<CenterNumber>,
    pub limit: i64,
}

/// The active offers matching `search` whose center holds on `day` an active certificate
/// covering the profession at the level: cheapest first.
pub async fn search(
    pool: &PgPool,
    search: &Search,
    day: NaiveDate,
) -> Result<Vec<Offer>, sqlx::Error> {
    let rows = sqlx::query_as!(
        OfferRow,
        r#"SELECT o.id, o.center_number AS "center_number: CenterNumber", o.profession_id,
                  o.nqf_level, o.price_tenge, o.languages, o.modes, o.region, o.venue,
                  o.documents_required, o.retake_terms, o.lead_working_days, o.status,
                  o.published_on, o.version
             FROM offers o
            WHERE o.status = 'active'
              AND ($1::uuid IS NULL OR o.profession_id = $1)
              AND ($2::integer IS NULL OR o.nqf_level = $2)
              AND ($3::text IS NULL OR o.region = $3)
              AND ($4::text IS NULL OR $4 = ANY (o.languages))
              AND ($5::text IS NULL OR $5 = ANY (o.modes))
              AND ($6::integer IS NULL OR o.price_tenge <= $6)
              AND ($7::integer IS NULL OR o.center_number = $7)
              AND EXISTS (
                    SELECT 1
                      FROM known_certificates k, jsonb_array_elements(k.scope) AS entry
                     WHERE k.center_number = o.center_number AND k.status = 'active'
                       AND k.status_since <= $8 AND k.valid_from <= $8 AND k.valid_until >= $8
                       AND entry ->> 'profession_id' = o.profession_id::text
                       AND entry -> 'nqf_levels' @> to_jsonb(o.nqf_level))
            ORDER BY o.price_tenge, o.lead_working_days, o.id
            LIMIT $9"#,
        search.profession_id,
        search.nqf_level,
        search.region.as_deref(),
        search.language.as_ref().map(code),
        search.mode.as_ref().map(code),
        search.max_price_tenge,
        search.center.map(CenterNumber::get),
        day,
        search.limit,
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Offer::try_from).collect()
}

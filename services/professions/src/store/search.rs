//! SQL of the register's list and search: filters, the register as of a day, the page and
//! how many entries match.

use chrono::NaiveDate;
use sqlx::PgPool;

use super::{decode_all, ListFilter, ProfessionRow, SortKey, StoredProfession};

/// Partial, case-insensitive match in any language; LIKE wildcards in the input are literal.
fn like_pattern(name: &str) -> String {
    format!(
        "%{}%",
        name.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// A search by name and nothing else, in the current register: the public's search, whose
/// matches are counted in the narrow `profession_search` (migration `search_names`).
fn name_alone(filter: &ListFilter) -> Option<&str> {
    let ListFilter {
        name,
        nkz_code,
        oked_code,
        nqf_level,
        status,
        as_of,
        needs_review,
        ..
    } = filter;
    let other = nkz_code.is_some()
        || oked_code.is_some()
        || nqf_level.is_some()
        || status.is_some()
        || as_of.is_some()
        || *needs_review;
    name.as_deref().filter(|_| !other)
}

fn push_filters(query: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, filter: &ListFilter) {
    if let Some(name) = &filter.name {
        // The three names in one lowered text (migration `one_search_text`).
        query
            .push(" AND search_text LIKE lower(")
            .push_bind(like_pattern(name))
            .push(")");
    }
    if let Some(code) = &filter.nkz_code {
        query.push(" AND nkz_code = ").push_bind(code.clone());
    }
    if let Some(code) = &filter.oked_code {
        query.push(" AND oked_code = ").push_bind(code.clone());
    }
    if let Some(level) = filter.nqf_level {
        query
            .push(" AND entry->'nqf_levels' @> ")
            .push_bind(serde_json::json!([level]));
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status.as_str());
    }
    if filter.needs_review {
        query.push(" AND id IN (SELECT profession_id FROM review_flags)");
    }
}

/// The register the list reads: the current table, or the entries as they stood on a day,
/// with the same columns.
fn push_register(query: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, as_of: Option<NaiveDate>) {
    match as_of {
        None => {
            query.push("WITH register AS (SELECT * FROM professions) ");
        }
        Some(date) => {
            query
                .push(
                    "WITH register AS (
                        SELECT DISTINCT ON (h.profession_id)
                               p.id, h.entry->>'nkz_code' AS nkz_code, h.entry->>'oked_code' AS oked_code,
                               h.entry->'names'->>'kk' AS name_kk, h.entry->'names'->>'ru' AS name_ru,
                               h.entry->'names'->>'en' AS name_en,
                               lower(concat_ws(E'\x01', h.entry->'names'->>'kk', h.entry->'names'->>'ru',
                                               h.entry->'names'->>'en')) AS search_text,
                               h.entry, h.status, h.version,
                               p.created_at, h.recorded_at AS updated_at
                        FROM profession_history h JOIN professions p ON p.id = h.profession_id
                        WHERE h.effective_from <= ",
                )
                .push_bind(date)
                .push(" ORDER BY h.profession_id, h.version DESC) ");
        }
    }
}

/// Where a search by name stops counting: a fragment as common as "а" matches most of the
/// register, and counting every match costs more than the page itself.
pub const COUNT_CAP: i64 = 1_000;

/// How many entries match: exactly, or at least `count` when `capped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub count: i64,
    pub capped: bool,
}

/// One page of the register in the requested order, and how many entries match in all (a
/// search by name: up to [`COUNT_CAP`]).
pub async fn list(
    pool: &PgPool,
    filter: &ListFilter,
) -> Result<(Vec<StoredProfession>, Total), sqlx::Error> {
    let mut count = sqlx::QueryBuilder::new("");
    if let Some(name) = name_alone(filter) {
        // Stops at the first COUNT_CAP + 1 matches, read from narrow rows.
        count
            .push("SELECT count(*) FROM (SELECT 1 FROM profession_search WHERE search_text LIKE lower(")
            .push_bind(like_pattern(name))
            .push(") LIMIT ")
            .push_bind(COUNT_CAP + 1)
            .push(") matched");
    } else if filter.name.is_some() {
        push_register(&mut count, filter.as_of);
        // Stops at the first COUNT_CAP + 1 matches.
        count.push("SELECT count(*) FROM (SELECT 1 FROM register WHERE true");
        push_filters(&mut count, filter);
        count
            .push(" LIMIT ")
            .push_bind(COUNT_CAP + 1)
            .push(") matched");
    } else {
        push_register(&mut count, filter.as_of);
        count.push("SELECT count(*) FROM register WHERE true");
        push_filters(&mut count, filter);
    }
    // A name search is planned for its pattern each time: a cached generic plan cannot know the
    // pattern, so it cannot use the trigram indexes, and PostgreSQL switches to it after five
    // runs because its estimate looks cheaper (a sequential scan, ten times slower).
    let plan_each_time = filter.name.is_none();
    let total: i64 = count
        .build_query_scalar()
        .persistent(plan_each_time)
        .fetch_one(pool)
        .await?;

    let mut page = sqlx::QueryBuilder::new("");
    push_register(&mut page, filter.as_of);
    page.push("SELECT id, entry, status, version, created_at, updated_at FROM register WHERE true");
    push_filters(&mut page, filter);
    let column = filter.sort.column();
    let (cmp, dir) = if filter.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some((value, id)) = &filter.after {
        // The position's value is text; for the id order it is cast back to a uuid.
        let cast = if filter.sort == SortKey::CreateTime {
            "::uuid"
        } else {
            ""
        };
        page.push(format!(" AND ({column}, id) {cmp} ("))
            .push_bind(value.clone())
            .push(cast)
            .push(", ")
            .push_bind(*id)
            .push(")");
    }
    page.push(format!(" ORDER BY {column} {dir}, id {dir} LIMIT "))
        .push_bind(filter.limit);
    // Built at run time (the filters vary), decoded into the same typed row.
    let rows: Vec<ProfessionRow> = page
        .build_query_as()
        .persistent(plan_each_time)
        .fetch_all(pool)
        .await?;
    let items = decode_all(rows)?;
    let capped = filter.name.is_some() && total > COUNT_CAP;
    let total = Total {
        count: if capped { COUNT_CAP } else { total },
        capped,
    };
    Ok((items, total))
}

//! The working-day calendar a service counts deadlines with, kept current while it runs.
//!
//! The years that ship with the platform (`nsk-calendar`'s data) are the base; the years the
//! authorized body loaded or amended are rows of `calendar_years` in each service's database
//! (migration `101`), written by the register of professions, which keeps the calendar, and by
//! every service that follows its `CalendarYearLoaded` events ([`CalendarFollower`]). The
//! instance that consumes an event swaps its calendar at once; the others reload from the table
//! when it changes ([`refresh`], every few seconds).

use std::time::Duration;

use nsk_calendar::{SharedCalendar, WorkingCalendar, YearData};
use nsk_events::{HandlerError, ReceivedEvent};
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::professions::v1 as pb;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

/// The migrations of the calendar tables, shared by every service.
pub fn migrator() -> sqlx::migrate::Migrator {
    nsk_db::migrator!()
}

/// The act a year's data rests on, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct StoredBasis {
    number: String,
    date: String,
    title: String,
}

/// A year as stored: its data, version, basis and who loaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredYear {
    pub data: YearData,
    pub version: i64,
    pub basis: Option<common::BasisDocument>,
    pub actor: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Every stored year, ascending.
pub async fn stored_years(conn: &mut PgConnection) -> Result<Vec<StoredYear>, sqlx::Error> {
    type Row = (
        Json<YearData>,
        i64,
        Option<Json<StoredBasis>>,
        String,
        chrono::DateTime<chrono::Utc>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT data, version, basis, actor, updated_at FROM calendar_years ORDER BY year",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(data, version, basis, actor, updated_at)| StoredYear {
            data: data.0,
            version,
            basis: basis.map(|Json(b)| common::BasisDocument {
                number: b.number,
                date: b.date,
                title: b.title,
            }),
            actor,
            updated_at,
        })
        .collect())
}

/// Stores `year` unless a version as new is stored; true when it was stored.
pub async fn store_year(conn: &mut PgConnection, year: &StoredYear) -> Result<bool, sqlx::Error> {
    let basis = year.basis.as_ref().map(|b| {
        Json(StoredBasis {
            number: b.number.clone(),
            date: b.date.clone(),
            title: b.title.clone(),
        })
    });
    let stored = sqlx::query(
        "INSERT INTO calendar_years (year, data, version, basis, actor, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (year) DO UPDATE SET data = EXCLUDED.data, version = EXCLUDED.version,
             basis = EXCLUDED.basis, actor = EXCLUDED.actor, updated_at = EXCLUDED.updated_at
          WHERE calendar_years.version < EXCLUDED.version",
    )
    .bind(year.data.year)
    .bind(Json(&year.data))
    .bind(year.version)
    .bind(basis)
    .bind(&year.actor)
    .bind(year.updated_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(stored == 1)
}

/// The shipped years with the stored ones over them.
pub async fn load(pool: &PgPool) -> anyhow::Result<SharedCalendar> {
    let mut calendar = WorkingCalendar::kazakhstan()?;
    let mut conn = pool.acquire().await?;
    for year in stored_years(&mut conn).await? {
        calendar.load_year(&year.data)?;
    }
    Ok(SharedCalendar::new(calendar))
}

/// What distinguishes one state of the table from another.
async fn fingerprint(pool: &PgPool) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as("SELECT count(*), coalesce(sum(version), 0)::bigint FROM calendar_years")
        .fetch_one(pool)
        .await
}

/// Reloads the stored years into `calendar` whenever the table changes, until shutdown.
pub async fn refresh(
    pool: PgPool,
    calendar: SharedCalendar,
    every: Duration,
    shutdown: CancellationToken,
) {
    let mut seen = fingerprint(&pool).await.ok();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let now = match fingerprint(&pool).await {
            Ok(now) => now,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the calendar years; keeping the calendar as it is");
                continue;
            }
        };
        if seen == Some(now) {
            continue;
        }
        let stored = match pool.acquire().await {
            Ok(mut conn) => stored_years(&mut conn).await,
            Err(err) => Err(err),
        };
        match stored {
            Ok(years) => {
                for year in years {
                    if let Err(err) = calendar.load_year(&year.data) {
                        tracing::error!(year = year.data.year, error = %err, "a stored calendar year is invalid");
                    }
                }
                seen = Some(now);
                tracing::info!("working-day calendar reloaded");
            }
            Err(err) => tracing::warn!(error = %err, "cannot read the calendar years"),
        }
    }
}

/// A year as its message carries it; `Err` names the field and the rule.
pub fn year_from_proto(p: &pb::CalendarYear) -> Result<YearData, (String, String)> {
    let date = |field: &str, raw: &str| {
        chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
            (
                field.to_string(),
                "must be a date as YYYY-MM-DD".to_string(),
            )
        })
    };
    let dates = |field: &str, raws: &[String]| {
        raws.iter()
            .enumerate()
            .map(|(i, raw)| date(&format!("{field}[{i}]"), raw))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(YearData {
        year: p.year,
        source: p.source.trim().to_string(),
        kurban_ait: date("kurban_ait", &p.kurban_ait)?,
        extra_days_off: dates("extra_days_off", &p.extra_days_off)?,
        extra_working_days: dates("extra_working_days", &p.extra_working_days)?,
    })
}

/// A year as messages carry it, with its computed weekdays off.
pub fn year_to_proto(
    year: &YearData,
    version: i64,
    basis: Option<common::BasisDocument>,
    stamp: Option<common::ChangeStamp>,
    calendar: &WorkingCalendar,
) -> pb::CalendarYear {
    let days = |d: &[chrono::NaiveDate]| d.iter().map(|d| d.to_string()).collect();
    pb::CalendarYear {
        year: year.year,
        kurban_ait: year.kurban_ait.to_string(),
        extra_days_off: days(&year.extra_days_off),
        extra_working_days: days(&year.extra_working_days),
        source: year.source.clone(),
        version,
        basis,
        weekdays_off: calendar
            .exceptions(year.year)
            .map(|(off, _)| days(&off))
            .unwrap_or_default(),
        stamp,
    }
}

/// Follows the calendar from the register's `CalendarYearLoaded` events: stores the year and
/// swaps this instance's calendar.
#[derive(Debug, Clone)]
pub struct CalendarFollower {
    pub calendar: SharedCalendar,
}

impl CalendarFollower {
    /// Whether `event` is one this follower takes.
    pub fn takes(event: &ReceivedEvent) -> bool {
        event.is::<pb::CalendarYearLoaded>()
    }
}

impl nsk_events::EventHandler for CalendarFollower {
    async fn handle(
        &self,
        conn: &mut PgConnection,
        event: &ReceivedEvent,
    ) -> Result<(), HandlerError> {
        let e: pb::CalendarYearLoaded = event.decode()?;
        let year = e
            .calendar
            .ok_or_else(|| HandlerError::Permanent("the event carries no calendar year".into()))?;
        let data = year_from_proto(&year)
            .map_err(|(field, rule)| HandlerError::Permanent(format!("{field} {rule}")))?;
        // Check before storing: a year the calendar refuses is dead-lettered, not kept.
        let mut probe = WorkingCalendar::default();
        probe
            .load_year(&data)
            .map_err(|e| HandlerError::Permanent(e.to_string()))?;
        let stored = StoredYear {
            data: data.clone(),
            version: year.version,
            basis: year.basis.clone(),
            actor: year.stamp.map(|s| s.actor).unwrap_or_default(),
            updated_at: chrono::Utc::now(),
        };
        if store_year(conn, &stored).await? {
            self.calendar
                .load_year(&data)
                .map_err(|e| HandlerError::Permanent(e.to_string()))?;
            tracing::info!(
                year = data.year,
                version = year.version,
                "working-day calendar year followed"
            );
        }
        Ok(())
    }
}

//! The working-day calendar, kept by the authorized body (DOMAIN.md "Periods and working
//! days": "the calendar is data by year, loaded and amended by an administrator at run time").
//! A year loaded here is stored with its history and published as `CalendarYearLoaded` in the
//! same transaction; every service that counts working days follows it.

use chrono::{SubsecRound, Utc};
use nsk_calendar::{SharedCalendar, WorkingCalendar, YearData};
use nsk_db::requests::RequestKey;
use nsk_errors::{ApiError, FieldViolation};
use nsk_events::{Aggregate, EventContext, Outbox};
use nsk_identity::{Role, TokenVerifier};
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::professions::v1 as pb;
use nsk_proto::nsk::professions::v1::working_calendar_server::WorkingCalendar as CalendarApi;
use nsk_runtime::calendar::{self as shared, StoredYear};
use prost::Message as _;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

/// The first year the platform counts: the Law took effect in 2023.
const FIRST_YEAR: i32 = 2023;
/// The last year one may load: far enough for any deadline, near enough to catch a typo.
const LAST_YEAR: i32 = 2100;

pub struct WorkingCalendarApi {
    pool: PgPool,
    outbox: Outbox,
    verifier: TokenVerifier,
    calendar: SharedCalendar,
}

impl WorkingCalendarApi {
    pub fn new(
        pool: PgPool,
        outbox: Outbox,
        verifier: TokenVerifier,
        calendar: SharedCalendar,
    ) -> Self {
        Self {
            pool,
            outbox,
            verifier,
            calendar,
        }
    }

    /// Every year: the shipped ones (version 0) with the stored ones over them.
    async fn years(&self) -> Result<Vec<pb::CalendarYear>, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let stored = shared::stored_years(&mut conn).await?;
        let shipped =
            nsk_calendar::shipped_years().map_err(|e| ApiError::internal(e.to_string()))?;
        let calendar = self.calendar.current();
        let mut years: Vec<pb::CalendarYear> = shipped
            .iter()
            .filter(|y| !stored.iter().any(|s| s.data.year == y.year))
            .map(|y| shared::year_to_proto(y, 0, None, None, &calendar))
            .collect();
        years.extend(stored.iter().map(|s| {
            shared::year_to_proto(
                &s.data,
                s.version,
                s.basis.clone(),
                Some(common::ChangeStamp {
                    actor: s.actor.clone(),
                    at: s
                        .updated_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    ..Default::default()
                }),
                &calendar,
            )
        }));
        years.sort_by_key(|y| y.year);
        Ok(years)
    }

    async fn put(
        &self,
        identity: &nsk_identity::Identity,
        request: pb::PutCalendarYearRequest,
    ) -> Result<pb::CalendarYear, ApiError> {
        let key = RequestKey::new(
            &identity.subject,
            "PutCalendarYear",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let request_id = key.as_ref().map(RequestKey::id);
        let year = request.year;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(ApiError::invalid_field(
                "year",
                format!("must be a year from {FIRST_YEAR} (the Law took effect) to {LAST_YEAR}"),
            ));
        }
        let basis = request.basis.clone().unwrap_or_default();
        let basis =
            nsk_errors::fields::document(&basis.number, &basis.date, &basis.title, "basis")?;
        let message = pb::CalendarYear {
            year,
            kurban_ait: request.kurban_ait.clone(),
            extra_days_off: request.extra_days_off.clone(),
            extra_working_days: request.extra_working_days.clone(),
            source: request.source.clone(),
            ..Default::default()
        };
        let data: YearData = shared::year_from_proto(&message).map_err(|(field, rule)| {
            ApiError::invalid_fields(vec![FieldViolation {
                field,
                description: rule,
            }])
        })?;
        // Every date lies in the year, and no day is both off and working.
        let dates = std::iter::once(("kurban_ait".to_string(), data.kurban_ait))
            .chain(
                data.extra_days_off
                    .iter()
                    .enumerate()
                    .map(|(i, d)| (format!("extra_days_off[{i}]"), *d)),
            )
            .chain(
                data.extra_working_days
                    .iter()
                    .enumerate()
                    .map(|(i, d)| (format!("extra_working_days[{i}]"), *d)),
            );
        let mut violations: Vec<FieldViolation> = dates
            .filter(|(_, d)| chrono::Datelike::year(d) != year)
            .map(|(field, d)| FieldViolation {
                field,
                description: format!("{d} is not in {year}"),
            })
            .collect();
        for (i, d) in data.extra_working_days.iter().enumerate() {
            if data.extra_days_off.contains(d) {
                violations.push(FieldViolation {
                    field: format!("extra_working_days[{i}]"),
                    description: format!("{d} is also among extra_days_off"),
                });
            }
        }
        if !violations.is_empty() {
            return Err(ApiError::invalid_fields(violations));
        }
        let mut probe = WorkingCalendar::default();
        probe
            .load_year(&data)
            .map_err(|e| ApiError::invalid_field("year", e.to_string()))?;
        let basis = common::BasisDocument {
            number: basis.number,
            date: basis.date.to_string(),
            title: basis.title,
        };
        let now = Utc::now().trunc_subsecs(6);
        let mut tx = self.pool.begin().await?;
        // A year is not a UUID resource; the request record names it by a UUID made of it.
        let resource = Uuid::from_u128(u128::from(year.unsigned_abs()));
        if let nsk_db::requests::Once::Applied(_) =
            nsk_db::requests::once(&mut tx, key.as_ref(), resource).await?
        {
            tx.rollback().await?;
            return self
                .years()
                .await?
                .into_iter()
                .find(|y| y.year == year)
                .ok_or_else(|| ApiError::internal("a loaded year vanished"));
        }
        let current = crate::store::lock_calendar_year(&mut tx, year)
            .await?
            .unwrap_or(0);
        if request.expected_version != 0 && request.expected_version != current {
            return Err(ApiError::aborted(format!(
                "calendar year {year} is at version {current}, not {}: it changed since you read it; read it again",
                request.expected_version
            )));
        }
        let stored = StoredYear {
            data: data.clone(),
            version: current + 1,
            basis: Some(basis.clone()),
            actor: identity.subject.clone(),
            updated_at: now,
        };
        shared::store_year(&mut tx, &stored).await?;
        crate::store::record_calendar_change(
            &mut tx,
            year,
            stored.version,
            &identity.subject,
            identity.primary_role(),
            request_id.unwrap_or_default(),
        )
        .await?;
        let mut next = (*self.calendar.current()).clone();
        next.load_year(&data)
            .map_err(|e| ApiError::invalid_field("year", e.to_string()))?;
        let reply = shared::year_to_proto(
            &data,
            stored.version,
            Some(basis),
            Some(common::ChangeStamp {
                actor: identity.subject.clone(),
                actor_role: identity.primary_role().to_string(),
                at: now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                request_id: request_id.unwrap_or_default().to_string(),
                ..Default::default()
            }),
            &next,
        );
        let key = format!("calendar-{year}");
        let context = EventContext {
            actor: identity.subject.clone(),
            request_id: request_id
                .map(str::to_string)
                .unwrap_or_else(|| Uuid::now_v7().to_string()),
        };
        let aggregate = Aggregate {
            kind: "calendar_year",
            id: &key,
            version: stored.version,
        };
        let event = pb::CalendarYearLoaded {
            calendar: Some(reply.clone()),
        };
        self.outbox
            .append(&mut tx, aggregate, &context, &event)
            .await?;
        tx.commit().await?;
        self.calendar
            .load_year(&data)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        tracing::info!(
            year,
            version = stored.version,
            "working-day calendar year loaded"
        );
        Ok(reply)
    }
}

#[tonic::async_trait]
impl CalendarApi for WorkingCalendarApi {
    async fn put_calendar_year(
        &self,
        request: Request<pb::PutCalendarYearRequest>,
    ) -> Result<Response<pb::CalendarYear>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?.clone();
        Ok(Response::new(
            self.put(&identity, request.into_inner()).await?,
        ))
    }

    async fn get_calendar_year(
        &self,
        request: Request<pb::GetCalendarYearRequest>,
    ) -> Result<Response<pb::CalendarYear>, Status> {
        let year = request.get_ref().year;
        let found = self.years().await?.into_iter().find(|y| y.year == year);
        Ok(Response::new(found.ok_or_else(|| {
            ApiError::not_found("calendar year", &year.to_string())
        })?))
    }

    async fn list_calendar_years(
        &self,
        _request: Request<pb::ListCalendarYearsRequest>,
    ) -> Result<Response<pb::ListCalendarYearsResponse>, Status> {
        Ok(Response::new(pb::ListCalendarYearsResponse {
            years: self.years().await?,
        }))
    }
}

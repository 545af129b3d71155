//! SQL of accreditation, and nothing else: here centers, applications and certificates;
//! `case_file` (the steps and working-day deadlines of each case), `findings` (monitoring),
//! `professions` (the register as this service hears it), `issued` (documents the registry
//! published, per center), `notices` (decisions delivered to centers).

mod case_file;
mod findings;
pub mod issued;
pub mod keys;
pub mod notices;
mod professions;

pub use case_file::*;
pub use findings::*;
pub use professions::*;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use nsk_kz::CenterNumber;
use serde::{de::DeserializeOwned, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::application::{Progress, RegisteredProfession, Stage};
use crate::domain::certificate::{Facts, Route, Standing, Status};
use crate::domain::deadlines::Deadline;
use crate::domain::listing::Listed;

/// The document an act rests on: the one shape of `nsk-errors`.
pub use nsk_errors::fields::Document;

/// The application aggregate and what it records, as the domain has them.
pub use crate::domain::application::{
    AppealBody, AppealRecord, Application as StoredApplication, DecisionRecord,
};

/// The certificate aggregate and its revocation, as the domain has them.
pub use crate::domain::certificate::{Certificate as StoredCertificate, RevocationRecord};

#[derive(Debug, Clone)]
pub struct Center {
    pub number: nsk_kz::CenterNumber,
    pub bin: String,
    pub name: String,
    pub founders: Vec<String>,
    pub not_renewable_since: Option<NaiveDate>,
    pub current_certificate_id: Option<Uuid>,
    /// Art. 26.1: the center it succeeded in a division or separation.
    pub predecessor_number: Option<nsk_kz::CenterNumber>,
}

/// One step of a case.
#[derive(Debug, Clone)]
pub struct Step {
    pub what: String,
    pub actor: String,
    pub actor_role: String,
    pub document: Option<Document>,
    pub remarks: String,
    pub acted_on: NaiveDate,
    pub request_id: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineRow {
    pub case_id: Uuid,
    pub kind: Deadline,
    pub started_on: NaiveDate,
    pub due: NaiveDate,
    pub met_on: Option<NaiveDate>,
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, sqlx::Error> {
    serde_json::to_value(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

fn from_json<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, sqlx::Error> {
    serde_json::from_value(value).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

fn opt_from_json<T: DeserializeOwned>(
    value: Option<serde_json::Value>,
) -> Result<Option<T>, sqlx::Error> {
    value.map(from_json).transpose()
}

fn corrupt(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

fn code_of<T: Serialize>(value: &T) -> Result<String, sqlx::Error> {
    match to_json(value)? {
        serde_json::Value::String(code) => Ok(code),
        other => Err(corrupt(format!("not a code: {other}"))),
    }
}

fn from_code<T: DeserializeOwned>(code: Option<String>) -> Result<Option<T>, sqlx::Error> {
    code.map(|c| from_json(serde_json::Value::String(c)))
        .transpose()
}

// ---- applications ----

/// A row of `applications`, as stored.
struct ApplicationRow {
    id: Uuid,
    stage: String,
    form: serde_json::Value,
    filed_on: NaiveDate,
    site_report: Option<serde_json::Value>,
    decision: Option<serde_json::Value>,
    agreement: Option<serde_json::Value>,
    certificate_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    appeals: serde_json::Value,
}

impl TryFrom<ApplicationRow> for StoredApplication {
    type Error = sqlx::Error;

    fn try_from(row: ApplicationRow) -> Result<Self, Self::Error> {
        let progress = Progress {
            stage: Stage::from_code(&row.stage)
                .ok_or_else(|| corrupt(format!("unknown stage {}", row.stage)))?,
            site_report: opt_from_json(row.site_report)?,
            decision: opt_from_json(row.decision)?,
            agreement: opt_from_json(row.agreement)?,
            certificate_id: row.certificate_id,
            updated_at: row.updated_at,
            appeals: from_json(row.appeals)?,
        };
        Ok(StoredApplication::restore(
            row.id,
            from_json(row.form)?,
            row.filed_on,
            row.created_at,
            progress,
        ))
    }
}

pub async fn insert_application(
    conn: &mut PgConnection,
    a: &StoredApplication,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO applications (id, stage, form, applicant_bin, filed_on, site_report, decision, agreement, certificate_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        a.id,
        a.stage().code(),
        to_json(&a.form)?,
        a.form.applicant_bin.as_str(),
        a.filed_on,
        a.site_report().map(to_json).transpose()?,
        a.decision().map(to_json).transpose()?,
        a.agreement().map(to_json).transpose()?,
        a.certificate_id(),
        a.created_at,
        a.updated_at(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn save_application(
    conn: &mut PgConnection,
    a: &StoredApplication,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE applications SET stage = $2, site_report = $3, decision = $4, agreement = $5, certificate_id = $6, updated_at = $7,
                appeals = $8
          WHERE id = $1",
        a.id,
        a.stage().code(),
        a.site_report().map(to_json).transpose()?,
        a.decision().map(to_json).transpose()?,
        a.agreement().map(to_json).transpose()?,
        a.certificate_id(),
        a.updated_at(),
        to_json(&a.appeals())?,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The application, locked for a change in the caller's transaction.
pub async fn lock_application(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredApplication>, sqlx::Error> {
    sqlx::query_as!(
        ApplicationRow,
        r#"SELECT id, stage, form, filed_on, site_report, decision, agreement, certificate_id,
                created_at, updated_at, appeals
           FROM applications WHERE id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(conn)
    .await?
    .map(StoredApplication::try_from)
    .transpose()
}

pub async fn get_application(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredApplication>, sqlx::Error> {
    sqlx::query_as!(
        ApplicationRow,
        r#"SELECT id, stage, form, filed_on, site_report, decision, agreement, certificate_id,
                created_at, updated_at, appeals
           FROM applications WHERE id = $1"#,
        id,
    )
    .fetch_optional(conn)
    .await?
    .map(StoredApplication::try_from)
    .transpose()
}

/// A page of applications in id (filing) order.
pub async fn list_applications(
    pool: &PgPool,
    stage: Option<Stage>,
    bin: Option<&str>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<StoredApplication>, sqlx::Error> {
    sqlx::query_as!(
        ApplicationRow,
        r#"SELECT id, stage, form, filed_on, site_report, decision, agreement, certificate_id,
                created_at, updated_at, appeals
           FROM applications
          WHERE ($1::text IS NULL OR stage = $1) AND ($2::text IS NULL OR applicant_bin = $2) AND id > $3
          ORDER BY id LIMIT $4"#,
        stage.map(Stage::code),
        bin,
        after.unwrap_or(Uuid::nil()),
        limit,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(StoredApplication::try_from)
    .collect()
}

// ---- certificates ----

/// A row of `certificates`, as stored.
struct CertificateRow {
    id: Uuid,
    serial_number: String,
    center_number: CenterNumber,
    center_bin: String,
    center_name: String,
    scope: serde_json::Value,
    issued_on: NaiveDate,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    status: String,
    status_since: NaiveDate,
    previous_certificate_id: Option<Uuid>,
    application_id: Option<Uuid>,
    revocation: Option<serde_json::Value>,
    termination_ground: Option<String>,
    reorganisation: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    route: String,
}

impl TryFrom<CertificateRow> for StoredCertificate {
    type Error = sqlx::Error;

    fn try_from(row: CertificateRow) -> Result<Self, Self::Error> {
        let facts = Facts {
            id: row.id,
            serial_number: row.serial_number,
            center_number: row.center_number,
            center_bin: row.center_bin,
            center_name: row.center_name,
            scope: from_json(row.scope)?,
            issued_on: row.issued_on,
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            previous_certificate_id: row.previous_certificate_id,
            application_id: row.application_id,
            reorganisation: from_code(row.reorganisation)?,
            created_at: row.created_at,
            route: Route::from_code(&row.route)
                .ok_or_else(|| corrupt(format!("unknown route {}", row.route)))?,
        };
        let standing = Standing {
            status: Status::from_code(&row.status)
                .ok_or_else(|| corrupt(format!("unknown status {}", row.status)))?,
            status_since: row.status_since,
            revocation: opt_from_json(row.revocation)?,
            termination_ground: from_code(row.termination_ground)?,
            updated_at: row.updated_at,
        };
        Ok(StoredCertificate::restore(facts, standing))
    }
}

pub async fn insert_certificate(
    conn: &mut PgConnection,
    c: &StoredCertificate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO certificates (id, serial_number, center_number, center_bin, center_name, scope, issued_on, valid_from,
             valid_until, status, status_since, previous_certificate_id, application_id, revocation, termination_ground,
             reorganisation, created_at, updated_at, route)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        c.id,
        &c.serial_number,
        c.center_number as _,
        &c.center_bin,
        &c.center_name,
        to_json(&c.scope)?,
        c.issued_on,
        c.valid_from,
        c.valid_until,
        c.status().code(),
        c.status_since(),
        c.previous_certificate_id,
        c.application_id,
        c.revocation().map(to_json).transpose()?,
        c.termination_ground().as_ref().map(code_of).transpose()?,
        c.reorganisation.as_ref().map(code_of).transpose()?,
        c.created_at,
        c.updated_at(),
        c.route.code(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn save_certificate(
    conn: &mut PgConnection,
    c: &StoredCertificate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE certificates SET status = $2, status_since = $3, revocation = $4, termination_ground = $5, updated_at = $6
          WHERE id = $1",
        c.id,
        c.status().code(),
        c.status_since(),
        c.revocation().map(to_json).transpose()?,
        c.termination_ground().as_ref().map(code_of).transpose()?,
        c.updated_at(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn lock_certificate(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredCertificate>, sqlx::Error> {
    sqlx::query_as!(
        CertificateRow,
        r#"SELECT id, serial_number, center_number AS "center_number: CenterNumber", center_bin,
                center_name, scope, issued_on, valid_from, valid_until, status, status_since,
                previous_certificate_id, application_id, revocation, termination_ground,
                reorganisation, created_at, updated_at, route
           FROM certificates WHERE id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(conn)
    .await?
    .map(StoredCertificate::try_from)
    .transpose()
}

pub async fn get_certificate(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredCertificate>, sqlx::Error> {
    sqlx::query_as!(
        CertificateRow,
        r#"SELECT id, serial_number, center_number AS "center_number: CenterNumber", center_bin,
                center_name, scope, issued_on, valid_from, valid_until, status, status_since,
                previous_certificate_id, application_id, revocation, termination_ground,
                reorganisation, created_at, updated_at, route
           FROM certificates WHERE id = $1"#,
        id,
    )
    .fetch_optional(conn)
    .await?
    .map(StoredCertificate::try_from)
    .transpose()
}

/// Every certificate of a center, oldest first.
/// The center of the certificate with this serial number, if one is entered.
pub async fn center_of_serial(
    conn: &mut PgConnection,
    serial: &str,
) -> Result<Option<nsk_kz::CenterNumber>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT center_number AS "center_number: CenterNumber"
             FROM certificates WHERE serial_number = $1"#,
        serial,
    )
    .fetch_optional(conn)
    .await
}

pub async fn certificates_of_center(
    conn: &mut PgConnection,
    number: nsk_kz::CenterNumber,
) -> Result<Vec<StoredCertificate>, sqlx::Error> {
    sqlx::query_as!(
        CertificateRow,
        r#"SELECT id, serial_number, center_number AS "center_number: CenterNumber", center_bin,
                center_name, scope, issued_on, valid_from, valid_until, status, status_since,
                previous_certificate_id, application_id, revocation, termination_ground,
                reorganisation, created_at, updated_at, route
           FROM certificates WHERE center_number = $1 ORDER BY issued_on, created_at"#,
        number as _,
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(StoredCertificate::try_from)
    .collect()
}

/// The certificates of each center in `numbers`: one query for a page of centers.
pub async fn certificates_of_centers(
    conn: &mut PgConnection,
    numbers: &[nsk_kz::CenterNumber],
) -> Result<HashMap<nsk_kz::CenterNumber, Vec<StoredCertificate>>, sqlx::Error> {
    let numbers: Vec<i32> = numbers.iter().map(|n| n.get()).collect();
    let rows = sqlx::query_as!(
        CertificateRow,
        r#"SELECT id, serial_number, center_number AS "center_number: CenterNumber", center_bin,
                center_name, scope, issued_on, valid_from, valid_until, status, status_since,
                previous_certificate_id, application_id, revocation, termination_ground,
                reorganisation, created_at, updated_at, route
           FROM certificates WHERE center_number = ANY($1) ORDER BY issued_on, created_at"#,
        &numbers,
    )
    .fetch_all(conn)
    .await?;
    let mut out: HashMap<nsk_kz::CenterNumber, Vec<StoredCertificate>> = HashMap::new();
    for row in rows {
        let certificate = StoredCertificate::try_from(row)?;
        out.entry(certificate.center_number)
            .or_default()
            .push(certificate);
    }
    Ok(out)
}

/// The status history of each certificate in `ids`, in the order the statuses took effect.
pub async fn status_history(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(Status, NaiveDate)>>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT certificate_id, status, since FROM certificate_status_history
          WHERE certificate_id = ANY($1) ORDER BY id",
        ids,
    )
    .fetch_all(conn)
    .await?;
    let mut out: HashMap<Uuid, Vec<(Status, NaiveDate)>> = HashMap::new();
    for row in rows {
        let (id, status, since) = (row.certificate_id, row.status, row.since);
        let status = Status::from_code(&status).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown certificate status {status:?}").into())
        })?;
        out.entry(id).or_default().push((status, since));
    }
    Ok(out)
}

/// The certificate that replaced `id`, if any.
pub async fn successor(conn: &mut PgConnection, id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM certificates WHERE previous_certificate_id = $1 ORDER BY created_at LIMIT 1",
        id,
    )
        .fetch_optional(conn)
        .await
}

/// How many certificates a center has had: the running number in the next serial.
pub async fn count_certificates(
    conn: &mut PgConnection,
    number: nsk_kz::CenterNumber,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM certificates WHERE center_number = $1"#,
        number as _,
    )
    .fetch_one(conn)
    .await
}

/// Live certificates whose last day is before `today`, locked, skipping those another instance
/// of the expiry job holds: each certificate expires exactly once.
pub async fn lock_expired(
    conn: &mut PgConnection,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<StoredCertificate>, sqlx::Error> {
    sqlx::query_as!(
        CertificateRow,
        r#"SELECT id, serial_number, center_number AS "center_number: CenterNumber", center_bin,
                center_name, scope, issued_on, valid_from, valid_until, status, status_since,
                previous_certificate_id, application_id, revocation, termination_ground,
                reorganisation, created_at, updated_at, route
           FROM certificates
          WHERE status IN ('active', 'revoked') AND valid_until < $1
          ORDER BY valid_until, id
          LIMIT $2
          FOR UPDATE SKIP LOCKED"#,
        today,
        limit,
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(StoredCertificate::try_from)
    .collect()
}

// ---- centers ----

/// The next center number; an error once all 9999 are given (they are never reused).
pub async fn allocate_center_number(
    conn: &mut PgConnection,
) -> Result<nsk_kz::CenterNumber, sqlx::Error> {
    let number = sqlx::query_scalar!(r#"SELECT nextval('center_number_seq') AS "next!""#)
        .fetch_one(conn)
        .await?;
    i32::try_from(number)
        .ok()
        .and_then(nsk_kz::CenterNumber::from_i32)
        .ok_or_else(|| corrupt(format!("center number {number} out of range")))
}

/// A row of `centers`, as stored.
struct CenterRow {
    number: CenterNumber,
    bin: String,
    name: String,
    founders: serde_json::Value,
    not_renewable_since: Option<NaiveDate>,
    current_certificate_id: Option<Uuid>,
    predecessor_number: Option<CenterNumber>,
}

impl TryFrom<CenterRow> for Center {
    type Error = sqlx::Error;

    fn try_from(row: CenterRow) -> Result<Self, Self::Error> {
        Ok(Center {
            number: row.number,
            bin: row.bin,
            name: row.name,
            founders: from_json(row.founders)?,
            not_renewable_since: row.not_renewable_since,
            current_certificate_id: row.current_certificate_id,
            predecessor_number: row.predecessor_number,
        })
    }
}

/// The centers that succeeded each center of `numbers` in a division or separation.
pub async fn successor_centers(
    conn: &mut PgConnection,
    numbers: &[nsk_kz::CenterNumber],
) -> Result<HashMap<nsk_kz::CenterNumber, Vec<nsk_kz::CenterNumber>>, sqlx::Error> {
    let numbers: Vec<i32> = numbers.iter().map(|n| n.get()).collect();
    let rows = sqlx::query!(
        r#"SELECT predecessor_number AS "predecessor!: CenterNumber",
                  number AS "number: CenterNumber"
             FROM centers WHERE predecessor_number = ANY($1) ORDER BY number"#,
        &numbers,
    )
    .fetch_all(conn)
    .await?;
    let mut out: HashMap<nsk_kz::CenterNumber, Vec<nsk_kz::CenterNumber>> = HashMap::new();
    for row in rows {
        let (predecessor, number) = (row.predecessor, row.number);
        out.entry(predecessor).or_default().push(number);
    }
    Ok(out)
}

pub async fn insert_center(
    conn: &mut PgConnection,
    c: &Center,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO centers (number, bin, name, founders, not_renewable_since, current_certificate_id, created_at, predecessor_number)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        c.number as _,
        &c.bin,
        &c.name,
        to_json(&c.founders)?,
        c.not_renewable_since,
        c.current_certificate_id,
        at,
        c.predecessor_number as _,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn save_center(conn: &mut PgConnection, c: &Center) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE centers SET bin = $2, name = $3, founders = $4, not_renewable_since = $5, current_certificate_id = $6
          WHERE number = $1",
        c.number as _,
        &c.bin,
        &c.name,
        to_json(&c.founders)?,
        c.not_renewable_since,
        c.current_certificate_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_center(
    conn: &mut PgConnection,
    number: nsk_kz::CenterNumber,
) -> Result<Option<Center>, sqlx::Error> {
    sqlx::query_as!(
        CenterRow,
        r#"SELECT number AS "number: CenterNumber", bin, name, founders,
                not_renewable_since, current_certificate_id,
                predecessor_number AS "predecessor_number: CenterNumber"
           FROM centers WHERE number = $1"#,
        number as _,
    )
    .fetch_optional(conn)
    .await?
    .map(Center::try_from)
    .transpose()
}

/// The list of centers not subject to renewal (Art. 26.5).
pub async fn listed_centers(conn: &mut PgConnection) -> Result<Vec<Listed>, sqlx::Error> {
    sqlx::query_as!(
        CenterRow,
        r#"SELECT number AS "number: CenterNumber", bin, name, founders,
                not_renewable_since, current_certificate_id,
                predecessor_number AS "predecessor_number: CenterNumber"
             FROM centers WHERE not_renewable_since IS NOT NULL ORDER BY number"#,
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|row| {
        let c = Center::try_from(row)?;
        Ok(Listed {
            center_number: c.number,
            name: c.name,
            bin: c.bin,
            founders: c.founders,
            since: c.not_renewable_since.unwrap_or_default(),
        })
    })
    .collect()
}

/// A page of centers by number, filtered by the status of their current certificate, a
/// profession in its scope, or listing as not subject to renewal.
pub async fn list_centers(
    pool: &PgPool,
    status: Option<Status>,
    profession_id: Option<Uuid>,
    not_renewable_only: bool,
    after: i32,
    limit: i64,
) -> Result<Vec<Center>, sqlx::Error> {
    sqlx::query_as!(
        CenterRow,
        r#"SELECT centers.number AS "number: CenterNumber", centers.bin, centers.name, centers.founders,
                centers.not_renewable_since, centers.current_certificate_id,
                centers.predecessor_number AS "predecessor_number: CenterNumber"
           FROM centers
           LEFT JOIN certificates current ON current.id = centers.current_certificate_id
          WHERE ($1::text IS NULL OR current.status = $1)
            AND ($2::uuid IS NULL OR current.scope @> jsonb_build_array(jsonb_build_object('profession_id', $2::text)))
            AND (NOT $3 OR centers.not_renewable_since IS NOT NULL)
            AND centers.number > $4
          ORDER BY centers.number LIMIT $5"#,
        status.map(Status::code),
        profession_id,
        not_renewable_only,
        after,
        limit,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(Center::try_from)
    .collect()
}

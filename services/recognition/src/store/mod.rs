//! SQL of the recognition procedure, checked at compile time against `.sqlx/`: applications
//! (a typed row restored into the domain's [`Procedure`]), notices, audited reads; centers'
//! offers ([`offers`]); what it hears of other registers ([`heard`]).

pub mod heard;
pub mod offers;

use chrono::{DateTime, NaiveDate, Utc};
use nsk_kz::CenterNumber;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::applicant::{Applicant, Attachment};
use crate::domain::deadlines::Party;
use crate::domain::procedure::{
    Appeal, Channel, Facts, Language, Mode, Notice, Procedure, Result as ExamResult, Schedule,
    Stage, Step, Stored,
};
use crate::domain::voucher::Standing;

/// An application as the register keeps it: the procedure, and the form it was made with.
#[derive(Debug, Clone)]
pub struct StoredApplication {
    pub procedure: Procedure,
    pub applicant: Applicant,
    pub person: String,
    pub earlier_document_valid_until: Option<NaiveDate>,
    pub knowledge: String,
    pub skills: String,
    pub attachments: Vec<Attachment>,
    pub consent_version: String,
    pub consent_given_at: DateTime<Utc>,
    /// The voucher applied with, as the register of vouchers answered (Art. 29.2).
    pub voucher: Option<Standing>,
}

pub(crate) fn code<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    column: &str,
    raw: &str,
) -> Result<T, sqlx::Error> {
    serde_json::from_value(serde_json::Value::String(raw.to_string()))
        .map_err(|e| sqlx::Error::Decode(format!("{column} holds {raw:?}: {e}").into()))
}

struct ApplicationRow {
    id: Uuid,
    center_number: CenterNumber,
    person: String,
    candidate: Json<Applicant>,
    profession_id: Uuid,
    nqf_level: i32,
    earlier_document_valid_until: Option<NaiveDate>,
    knowledge: String,
    skills: String,
    attachments: Json<Vec<Attachment>>,
    language: String,
    mode: String,
    channel: String,
    voucher_id: Option<Uuid>,
    consent_version: String,
    consent_given_at: DateTime<Utc>,
    registered_on: NaiveDate,
    stage: String,
    since: NaiveDate,
    remarks: Option<String>,
    schedule: Option<Json<Schedule>>,
    result: Option<Json<ExamResult>>,
    appeal: Option<Json<Appeal>>,
    document_serial: Option<String>,
    steps: Json<Vec<Step>>,
    version: i64,
    voucher_standing: Option<Json<Standing>>,
}

impl TryFrom<ApplicationRow> for StoredApplication {
    type Error = sqlx::Error;

    fn try_from(row: ApplicationRow) -> Result<Self, Self::Error> {
        let stage = Stage::from_code(&row.stage).ok_or_else(|| {
            sqlx::Error::Decode(format!("applications.stage holds {:?}", row.stage).into())
        })?;
        let facts = Facts {
            center: row.center_number,
            profession_id: row.profession_id,
            nqf_level: row.nqf_level,
            language: decode::<Language>("applications.language", &row.language)?,
            mode: decode::<Mode>("applications.mode", &row.mode)?,
            channel: decode::<Channel>("applications.channel", &row.channel)?,
            voucher_id: row.voucher_id,
        };
        let procedure = Procedure::restore(Stored {
            id: row.id,
            facts,
            registered_on: row.registered_on,
            stage,
            since: row.since,
            remarks: row.remarks,
            schedule: row.schedule.map(|j| j.0),
            result: row.result.map(|j| j.0),
            appeal: row.appeal.map(|j| j.0),
            document_serial: row.document_serial,
            steps: row.steps.0,
            version: row.version,
        });
        Ok(Self {
            procedure,
            applicant: row.candidate.0,
            person: row.person,
            earlier_document_valid_until: row.earlier_document_valid_until,
            knowledge: row.knowledge,
            skills: row.skills,
            attachments: row.attachments.0,
            consent_version: row.consent_version,
            consent_given_at: row.consent_given_at,
            voucher: row.voucher_standing.map(|j| j.0),
        })
    }
}

pub async fn insert_application(
    conn: &mut PgConnection,
    stored: &StoredApplication,
) -> Result<(), sqlx::Error> {
    let p = &stored.procedure;
    let facts = p.facts();
    sqlx::query!(
        "INSERT INTO applications
            (id, center_number, person, candidate, profession_id, nqf_level,
             earlier_document_valid_until, knowledge, skills, attachments, language, mode,
             channel, voucher_id, consent_version, consent_given_at, registered_on, stage, since,
             steps, version, voucher_standing)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21, $22)",
        p.id(),
        facts.center as _,
        stored.person,
        Json(&stored.applicant) as _,
        facts.profession_id,
        facts.nqf_level,
        stored.earlier_document_valid_until,
        stored.knowledge,
        stored.skills,
        Json(&stored.attachments) as _,
        code(&facts.language),
        code(&facts.mode),
        code(&facts.channel),
        facts.voucher_id,
        stored.consent_version,
        stored.consent_given_at,
        p.registered_on(),
        p.stage().code(),
        p.since(),
        Json(p.steps()) as _,
        p.version(),
        stored.voucher.as_ref().map(Json) as _,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes back what an act changed (the form changes only by a resubmission's attachments).
pub async fn save_application(
    conn: &mut PgConnection,
    stored: &StoredApplication,
) -> Result<(), sqlx::Error> {
    let p = &stored.procedure;
    sqlx::query!(
        "UPDATE applications
            SET stage = $2, since = $3, remarks = $4, schedule = $5, result = $6, appeal = $7,
                document_serial = $8, steps = $9, version = $10, attachments = $11,
                voucher_standing = $12, updated_at = now()
          WHERE id = $1",
        p.id(),
        p.stage().code(),
        p.since(),
        p.remarks(),
        p.scheduled().map(Json) as _,
        p.result().map(Json) as _,
        p.appeal_record().map(Json) as _,
        p.document_serial(),
        Json(p.steps()) as _,
        p.version(),
        Json(&stored.attachments) as _,
        stored.voucher.as_ref().map(Json) as _,
    )
    .execute(conn)
    .await?;
    Ok(())
}

macro_rules! select_applications {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            ApplicationRow,
            r#"SELECT id, center_number AS "center_number: CenterNumber", person,
                      candidate AS "candidate: Json<Applicant>", profession_id, nqf_level,
                      earlier_document_valid_until, knowledge, skills,
                      attachments AS "attachments: Json<Vec<Attachment>>", language, mode,
                      channel, voucher_id, consent_version, consent_given_at, registered_on,
                      stage, since, remarks, schedule AS "schedule: Json<Schedule>",
                      result AS "result: Json<ExamResult>", appeal AS "appeal: Json<Appeal>",
                      document_serial, steps AS "steps: Json<Vec<Step>>", version,
                      voucher_standing AS "voucher_standing: Json<Standing>"
                 FROM applications "# + $tail
            $(, $arg)*
        )
    };
}

pub async fn lock_application(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredApplication>, sqlx::Error> {
    let row = select_applications!("WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(conn)
        .await?;
    row.map(StoredApplication::try_from).transpose()
}

pub async fn get_application(
    pool: &PgPool,
    id: Uuid,
) -> Result<Option<StoredApplication>, sqlx::Error> {
    let row = select_applications!("WHERE id = $1", id)
        .fetch_optional(pool)
        .await?;
    row.map(StoredApplication::try_from).transpose()
}

/// Whom a list is for.
#[derive(Debug, Clone)]
pub enum Scope {
    Person(String),
    Center(CenterNumber),
    All,
}

/// A page of applications, newest first, after `after` (registered_on, id).
pub async fn list_applications(
    pool: &PgPool,
    scope: &Scope,
    stage: Option<Stage>,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<StoredApplication>, sqlx::Error> {
    let (person, center) = match scope {
        Scope::Person(p) => (Some(p.as_str()), None),
        Scope::Center(c) => (None, Some(c.get())),
        Scope::All => (None, None),
    };
    let (after_day, after_id) = after.unzip();
    let rows = select_applications!(
        "WHERE ($1::text IS NULL OR person = $1)
           AND ($2::integer IS NULL OR center_number = $2)
           AND ($3::text IS NULL OR stage = $3)
           AND ($4::date IS NULL OR (registered_on, id) < ($4, $5))
         ORDER BY registered_on DESC, id DESC
         LIMIT $6",
        person,
        center,
        stage.map(Stage::code),
        after_day,
        after_id,
        limit,
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(StoredApplication::try_from).collect()
}

/// The applications still under way: what may be due.
pub async fn open_applications(
    pool: &PgPool,
    center: Option<CenterNumber>,
) -> Result<Vec<StoredApplication>, sqlx::Error> {
    let rows = select_applications!(
        "WHERE stage NOT IN ('refused', 'appeal_rejected', 'document_issued')
           AND ($1::integer IS NULL OR center_number = $1)
         ORDER BY registered_on, id",
        center.map(CenterNumber::get),
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(StoredApplication::try_from).collect()
}

/// A center's applications registered on or before `until`: what a period's monitoring reads.
pub async fn applications_of_center(
    pool: &PgPool,
    center: CenterNumber,
    until: NaiveDate,
) -> Result<Vec<StoredApplication>, sqlx::Error> {
    let rows = select_applications!(
        "WHERE center_number = $1 AND registered_on <= $2 ORDER BY registered_on, id",
        center as _,
        until,
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(StoredApplication::try_from).collect()
}

/// A notice delivered now to its recipient's inbox.
pub async fn deliver(
    conn: &mut PgConnection,
    stored: &StoredApplication,
    notice: &Notice,
    at: DateTime<Utc>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    let recipient = match notice.to {
        Party::Center => "center",
        Party::Candidate => "candidate",
    };
    sqlx::query!(
        "INSERT INTO notices
            (id, application_id, center_number, person, recipient, kind, text, delivered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        stored.procedure.id(),
        stored.procedure.facts().center as _,
        stored.person,
        recipient,
        code(&notice.kind),
        notice.text,
        at,
    )
    .execute(conn)
    .await?;
    Ok(id)
}

pub struct NoticeRow {
    pub id: Uuid,
    pub application_id: Uuid,
    pub center_number: CenterNumber,
    pub kind: String,
    pub text: String,
    pub delivered_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// An inbox, newest first, after `after` (delivered_at, id); what it lists is marked read.
pub async fn inbox(
    pool: &PgPool,
    recipient: &Scope,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<NoticeRow>, sqlx::Error> {
    let (person, center) = match recipient {
        Scope::Person(p) => (Some(p.as_str()), None),
        Scope::Center(c) => (None, Some(c.get())),
        Scope::All => return Ok(Vec::new()),
    };
    let (after_at, after_id) = after.unzip();
    let mut tx = pool.begin().await?;
    let rows = sqlx::query_as!(
        NoticeRow,
        r#"SELECT id, application_id, center_number AS "center_number: CenterNumber", kind, text,
                  delivered_at, read_at
             FROM notices
            WHERE (($1::text IS NOT NULL AND recipient = 'candidate' AND person = $1)
                OR ($2::integer IS NOT NULL AND recipient = 'center' AND center_number = $2))
              AND ($3::timestamptz IS NULL OR (delivered_at, id) < ($3, $4))
            ORDER BY delivered_at DESC, id DESC
            LIMIT $5"#,
        person,
        center,
        after_at,
        after_id,
        limit,
    )
    .fetch_all(&mut *tx)
    .await?;
    let unread: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.read_at.is_none())
        .map(|r| r.id)
        .collect();
    sqlx::query!(
        "UPDATE notices SET read_at = now() WHERE id = ANY($1) AND read_at IS NULL",
        &unread,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Records that `reader` read the personal data of `applications`.
pub async fn audit_read(
    pool: &PgPool,
    reader: &str,
    role: &str,
    applications: &[Uuid],
) -> Result<(), sqlx::Error> {
    nsk_db::audit::record_read(pool, "application", reader, role, applications).await
}

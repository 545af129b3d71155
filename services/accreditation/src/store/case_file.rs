//! The case file of an application or a certificate: its steps and its working-day deadlines.

use super::*;

pub async fn add_step(
    conn: &mut PgConnection,
    case_id: Uuid,
    step: &Step,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO case_steps (case_id, seq, what, actor, actor_role, document, remarks, acted_on, request_id, recorded_at)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9 FROM case_steps WHERE case_id = $1",
        case_id,
        &step.what,
        &step.actor,
        &step.actor_role,
        step.document.as_ref().map(to_json).transpose()?,
        &step.remarks,
        step.acted_on,
        &step.request_id,
        step.at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A row of `case_steps`, as stored.
struct StepRow {
    case_id: Uuid,
    what: String,
    actor: String,
    actor_role: String,
    document: Option<serde_json::Value>,
    remarks: String,
    acted_on: NaiveDate,
    request_id: String,
    recorded_at: DateTime<Utc>,
}

impl TryFrom<StepRow> for Step {
    type Error = sqlx::Error;

    fn try_from(row: StepRow) -> Result<Self, Self::Error> {
        Ok(Step {
            what: row.what,
            actor: row.actor,
            actor_role: row.actor_role,
            document: opt_from_json(row.document)?,
            remarks: row.remarks,
            acted_on: row.acted_on,
            request_id: row.request_id,
            at: row.recorded_at,
        })
    }
}

pub async fn steps(conn: &mut PgConnection, case_id: Uuid) -> Result<Vec<Step>, sqlx::Error> {
    let rows = sqlx::query_as!(
        StepRow,
        "SELECT case_id, what, actor, actor_role, document, remarks, acted_on, request_id, recorded_at
           FROM case_steps WHERE case_id = $1 ORDER BY seq",
        case_id,
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Step::try_from).collect()
}

/// The steps of each case in `ids`, in their order: one query for a page of cases.
pub async fn steps_of(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Step>>, sqlx::Error> {
    let rows = sqlx::query_as!(
        StepRow,
        "SELECT case_id, what, actor, actor_role, document, remarks, acted_on, request_id, recorded_at
           FROM case_steps WHERE case_id = ANY($1) ORDER BY seq",
        ids,
    )
    .fetch_all(conn)
    .await?;
    let mut out: HashMap<Uuid, Vec<Step>> = HashMap::new();
    for row in rows {
        out.entry(row.case_id).or_default().push(row.try_into()?);
    }
    Ok(out)
}

/// The deadlines of each case in `ids`: one query for a page of cases.
pub async fn deadlines_of(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<DeadlineRow>>, sqlx::Error> {
    let rows = sqlx::query_as!(
        StoredDeadline,
        "SELECT case_id, kind, started_on, due, met_on FROM deadlines WHERE case_id = ANY($1) ORDER BY id",
        ids,
    )
    .fetch_all(conn)
    .await?;
    let mut out: HashMap<Uuid, Vec<DeadlineRow>> = HashMap::new();
    for row in rows {
        let deadline = DeadlineRow::try_from(row)?;
        out.entry(deadline.case_id).or_default().push(deadline);
    }
    Ok(out)
}

/// Opens a deadline of a case.
pub async fn open_deadline(
    conn: &mut PgConnection,
    case_id: Uuid,
    kind: Deadline,
    started_on: NaiveDate,
    due: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO deadlines (case_id, kind, started_on, due) VALUES ($1, $2, $3, $4)",
        case_id,
        kind.code(),
        started_on,
        due,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the open deadline of this kind met on `on`, if there is one.
pub async fn meet_deadline(
    conn: &mut PgConnection,
    case_id: Uuid,
    kind: Deadline,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE deadlines SET met_on = $3 WHERE case_id = $1 AND kind = $2 AND met_on IS NULL",
        case_id,
        kind.code(),
        on,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A row of `deadlines`, as stored.
struct StoredDeadline {
    case_id: Uuid,
    kind: String,
    started_on: NaiveDate,
    due: NaiveDate,
    met_on: Option<NaiveDate>,
}

impl TryFrom<StoredDeadline> for DeadlineRow {
    type Error = sqlx::Error;

    fn try_from(row: StoredDeadline) -> Result<Self, Self::Error> {
        Ok(DeadlineRow {
            case_id: row.case_id,
            kind: Deadline::from_code(&row.kind)
                .ok_or_else(|| corrupt(format!("unknown deadline {}", row.kind)))?,
            started_on: row.started_on,
            due: row.due,
            met_on: row.met_on,
        })
    }
}

pub async fn deadlines(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<DeadlineRow>, sqlx::Error> {
    sqlx::query_as!(
        StoredDeadline,
        "SELECT case_id, kind, started_on, due, met_on FROM deadlines WHERE case_id = $1 ORDER BY id",
        case_id,
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(DeadlineRow::try_from)
    .collect()
}

/// Open deadlines whose due date is before `as_of`, oldest first.
pub async fn overdue(pool: &PgPool, as_of: NaiveDate) -> Result<Vec<DeadlineRow>, sqlx::Error> {
    sqlx::query_as!(
        StoredDeadline,
        "SELECT case_id, kind, started_on, due, met_on FROM deadlines
          WHERE met_on IS NULL AND due < $1 ORDER BY due, id LIMIT 1000",
        as_of,
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(DeadlineRow::try_from)
    .collect()
}

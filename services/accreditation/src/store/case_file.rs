//! The case file of an application or a certificate: its steps and its working-day deadlines.

use super::*;

pub async fn add_step(
    conn: &mut PgConnection,
    case_id: Uuid,
    step: &Step,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_steps (case_id, seq, what, actor, actor_role, document, remarks, acted_on, request_id, recorded_at)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9 FROM case_steps WHERE case_id = $1",
    )
    .bind(case_id)
    .bind(&step.what)
    .bind(&step.actor)
    .bind(&step.actor_role)
    .bind(step.document.as_ref().map(to_json).transpose()?)
    .bind(&step.remarks)
    .bind(step.acted_on)
    .bind(&step.request_id)
    .bind(step.at)
    .execute(conn)
    .await?;
    Ok(())
}

fn decode_step(row: &sqlx::postgres::PgRow) -> Result<Step, sqlx::Error> {
    Ok(Step {
        what: row.try_get("what")?,
        actor: row.try_get("actor")?,
        actor_role: row.try_get("actor_role")?,
        document: opt_from_json(row.try_get("document")?)?,
        remarks: row.try_get("remarks")?,
        acted_on: row.try_get("acted_on")?,
        request_id: row.try_get("request_id")?,
        at: row.try_get("recorded_at")?,
    })
}

pub async fn steps(conn: &mut PgConnection, case_id: Uuid) -> Result<Vec<Step>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM case_steps WHERE case_id = $1 ORDER BY seq")
        .bind(case_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(decode_step).collect()
}

/// The steps of each case in `ids`, in their order: one query for a page of cases.
pub async fn steps_of(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Step>>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM case_steps WHERE case_id = ANY($1) ORDER BY seq")
        .bind(ids)
        .fetch_all(conn)
        .await?;
    let mut out: HashMap<Uuid, Vec<Step>> = HashMap::new();
    for row in &rows {
        let case_id: Uuid = row.try_get("case_id")?;
        out.entry(case_id).or_default().push(decode_step(row)?);
    }
    Ok(out)
}

/// The deadlines of each case in `ids`: one query for a page of cases.
pub async fn deadlines_of(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<DeadlineRow>>, sqlx::Error> {
    let rows = sqlx::query("SELECT * FROM deadlines WHERE case_id = ANY($1) ORDER BY id")
        .bind(ids)
        .fetch_all(conn)
        .await?;
    let mut out: HashMap<Uuid, Vec<DeadlineRow>> = HashMap::new();
    for row in &rows {
        let deadline = decode_deadline(row)?;
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
    sqlx::query("INSERT INTO deadlines (case_id, kind, started_on, due) VALUES ($1, $2, $3, $4)")
        .bind(case_id)
        .bind(kind.code())
        .bind(started_on)
        .bind(due)
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
    sqlx::query(
        "UPDATE deadlines SET met_on = $3 WHERE case_id = $1 AND kind = $2 AND met_on IS NULL",
    )
    .bind(case_id)
    .bind(kind.code())
    .bind(on)
    .execute(conn)
    .await?;
    Ok(())
}

fn decode_deadline(row: &sqlx::postgres::PgRow) -> Result<DeadlineRow, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(DeadlineRow {
        case_id: row.try_get("case_id")?,
        kind: Deadline::from_code(&kind)
            .ok_or_else(|| corrupt(format!("unknown deadline {kind}")))?,
        started_on: row.try_get("started_on")?,
        due: row.try_get("due")?,
        met_on: row.try_get("met_on")?,
    })
}

pub async fn deadlines(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Vec<DeadlineRow>, sqlx::Error> {
    sqlx::query("SELECT * FROM deadlines WHERE case_id = $1 ORDER BY id")
        .bind(case_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(decode_deadline)
        .collect()
}

/// Open deadlines whose due date is before `as_of`, oldest first.
pub async fn overdue(pool: &PgPool, as_of: NaiveDate) -> Result<Vec<DeadlineRow>, sqlx::Error> {
    sqlx::query(
        "SELECT * FROM deadlines WHERE met_on IS NULL AND due < $1 ORDER BY due, id LIMIT 1000",
    )
    .bind(as_of)
    .fetch_all(pool)
    .await?
    .iter()
    .map(decode_deadline)
    .collect()
}

//! Bringing in documents issued before the platform: the authorized body's batch, all or
//! nothing, each row checked by [`crate::domain::migration`], recorded with who, when and on
//! what basis, and announced as `DocumentIssued` (marked migrated) like any other.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, SubsecRound, Utc};
use nsk_calendar::WorkingCalendar;
use nsk_errors::{ApiError, FieldViolation};
use nsk_events::{EventContext, Outbox};
use nsk_identity::Identity;
use nsk_proto::nsk::documents::v1 as pb;
use nsk_proto::nsk::professions::v1 as professions;
use prost::Message;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::holder::HolderId;
use crate::domain::issuance;
use crate::domain::migration::{self, Migrated};
use crate::domain::serial::SerialNumber;
use crate::publish::{publish, Event};
use crate::store::{self, StoredDocument};

/// The most documents one batch brings.
pub const MAX_BATCH: usize = 10_000;

/// Reads one row; every problem is pushed under `documents[i].<field>`.
async fn read_row(
    pool: &PgPool,
    calendar: &WorkingCalendar,
    i: usize,
    d: &pb::Document,
    today: NaiveDate,
    violations: &mut Vec<FieldViolation>,
) -> Result<Option<StoredDocument>, ApiError> {
    let before = violations.len();
    let mut violate = |field: &str, rule: String| {
        violations.push(FieldViolation {
            field: format!("documents[{i}].{field}"),
            description: rule,
        })
    };
    let serial = d
        .serial_number
        .parse::<SerialNumber>()
        .map_err(|e| violate("serial_number", e.0))
        .ok();
    let holder = d.holder.clone().unwrap_or_default();
    let holder_id = HolderId::parse(
        &holder.iin,
        &holder.identity_document_number,
        &holder.identity_document_country,
    )
    .map_err(|problems| {
        for (field, rule) in problems {
            violate(&format!("holder.{field}"), rule);
        }
    })
    .ok();
    let holder_name = holder
        .full_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if holder_name.is_empty() {
        violate(
            "holder.full_name",
            "is required: the holder's full name".into(),
        );
    }
    let level = u8::try_from(d.nqf_level)
        .ok()
        .filter(|l| (1..=8).contains(l));
    if level.is_none() {
        violate("nqf_level", "must be the NQF level recognised, 1-8".into());
    }
    let mut date = |field: &str, raw: &str| match NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
    {
        Ok(day) => Some(day),
        Err(_) => {
            violate(field, "is required, as YYYY-MM-DD".into());
            None
        }
    };
    let procedure_date = date("procedure_date", &d.procedure_date);
    let protocol_date = date("protocol_date", &d.protocol_date);
    let issue_date = date("issue_date", &d.issue_date);
    let valid_until = date("valid_until", &d.valid_until);
    let center = nsk_kz::CenterNumber::parse(&d.center_number).ok();
    if center.is_none() {
        violate("center_number", nsk_kz::CenterNumber::RULE.into());
    }
    let text = |raw: &str| raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let (center_name, head, protocol_number) = (
        text(&d.center_name),
        text(&d.head_of_center),
        text(&d.protocol_number),
    );
    if center_name.is_empty() {
        violate(
            "center_name",
            "is required: the center's name on the document (Appendix 2)".into(),
        );
    }
    if head.is_empty() {
        violate(
            "head_of_center",
            "is required: the head of the center who signed it (Appendix 2)".into(),
        );
    }
    if protocol_number.is_empty() {
        violate(
            "protocol_number",
            "is required: the examination commission's protocol (Rules p. 17)".into(),
        );
    }
    let profession_id = Uuid::parse_str(d.profession_id.trim()).ok();
    let profession = match profession_id {
        None => {
            violate(
                "profession_id",
                "must be the id of a profession in the register".into(),
            );
            None
        }
        Some(id) => match store::profession_as_of(pool, id, today).await? {
            Some(row) => Some((id, row)),
            None => {
                violate(
                    "profession_id",
                    format!("{id} is not a profession the registry knows"),
                );
                None
            }
        },
    };
    let (
        Some(serial),
        Some(holder),
        Some(level),
        Some(procedure_date),
        Some(protocol_date),
        Some(issue_date),
        Some(valid_until),
        Some(center),
        Some((profession_id, row)),
    ) = (
        serial,
        holder_id,
        level,
        procedure_date,
        protocol_date,
        issue_date,
        valid_until,
        center,
        profession,
    )
    else {
        return Ok(None);
    };
    let record = Migrated {
        serial,
        holder,
        level,
        center,
        procedure_date,
        protocol_date,
        issue_date,
        valid_until,
    };
    for (field, rule) in migration::problems(&record, today) {
        violations.push(FieldViolation {
            field: format!("documents[{i}].{field}"),
            description: rule,
        });
    }
    let issued_late = match issuance::issued_late(calendar, protocol_date, issue_date) {
        Ok(late) => late,
        Err(e) => {
            violations.push(FieldViolation {
                field: format!("documents[{i}].issue_date"),
                description: e.to_string(),
            });
            false
        }
    };
    if violations.len() > before {
        return Ok(None);
    }
    let name = professions::Profession::decode(row.snapshot.as_slice())
        .ok()
        .and_then(|p| p.names.map(|n| n.ru))
        .unwrap_or_default();
    Ok(Some(StoredDocument {
        id: Uuid::now_v7(),
        serial_number: record.serial.to_string(),
        center_number: center,
        sequence: i64::from(record.serial.sequence),
        holder: record.holder,
        holder_name,
        profession_id,
        profession_name: name,
        nqf_level: i32::from(level),
        separate_skills: d
            .separate_skills
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        procedure_date,
        protocol_number,
        protocol_date,
        issue_date,
        valid_until,
        head_of_center: head,
        voucher_id: d.voucher_id.trim().to_string(),
        issued_late,
        cancellation: None,
        created_at: Utc::now().trunc_subsecs(6),
        center_name,
        // From before the platform: no procedure recorded on it.
        procedure_id: None,
        version: 1,
    }))
}

/// Brings in the batch; returns the migration's id and how many documents it brought.
pub async fn migrate(
    pool: &PgPool,
    outbox: &Outbox,
    calendar: &WorkingCalendar,
    identity: &Identity,
    request: pb::MigrateDocumentsRequest,
    today: NaiveDate,
) -> Result<(Uuid, i32), ApiError> {
    let key = nsk_db::requests::RequestKey::new(
        &identity.subject,
        "MigrateDocuments",
        &request.request_id,
        &prost::Message::encode_to_vec(&request),
    )?;
    let request_id = key.as_ref().map(|k| k.id());
    let basis = request.basis.unwrap_or_default();
    let basis = nsk_errors::fields::document(&basis.number, &basis.date, &basis.title, "basis")?;
    if request.documents.is_empty() || request.documents.len() > MAX_BATCH {
        return Err(ApiError::invalid_field(
            "documents",
            format!("must hold 1 to {MAX_BATCH} documents; send a larger set in batches"),
        ));
    }
    let mut violations = Vec::new();
    let mut rows = Vec::with_capacity(request.documents.len());
    let mut seen = BTreeSet::new();
    for (i, d) in request.documents.iter().enumerate() {
        if let Some(row) = read_row(pool, calendar, i, d, today, &mut violations).await? {
            if !seen.insert(row.serial_number.clone()) {
                violations.push(FieldViolation {
                    field: format!("documents[{i}].serial_number"),
                    description: format!("{} appears twice in the batch", row.serial_number),
                });
                continue;
            }
            if let Some(held) = store::document_by_serial(pool, &row.serial_number).await? {
                violations.push(FieldViolation {
                    field: format!("documents[{i}].serial_number"),
                    description: format!("{} is already in the registry", held.serial_number),
                });
                continue;
            }
            if let Some(other) = store::serial_at(pool, row.center_number, row.sequence).await? {
                violations.push(FieldViolation {
                    field: format!("documents[{i}].serial_number"),
                    description: format!(
                        "center {} already has document number {} in the registry: {other}",
                        row.center_number, row.sequence
                    ),
                });
                continue;
            }
            rows.push(row);
        }
    }
    if !violations.is_empty() {
        return Err(ApiError::invalid_fields(violations));
    }
    let migration_id = Uuid::now_v7();
    let mut tx = pool.begin().await?;
    if let nsk_db::requests::Once::Applied(_) =
        nsk_db::requests::once(&mut tx, key.as_ref(), migration_id).await?
    {
        return Err(ApiError::already_exists(format!(
            "the migration with request id {} was already applied",
            request_id.unwrap_or_default()
        )));
    }
    let record = store::MigrationRecord {
        id: migration_id,
        actor: &identity.subject,
        actor_role: identity.primary_role(),
        request_id: request_id.unwrap_or_default(),
        basis: &basis,
        documents: i32::try_from(rows.len()).unwrap_or(i32::MAX),
    };
    store::insert_migration(&mut tx, &record).await?;
    let context = EventContext {
        actor: identity.subject.clone(),
        request_id: request_id
            .map(str::to_string)
            .unwrap_or_else(|| migration_id.to_string()),
    };
    // The centers' sequences continue after the numbers their old documents used.
    let mut highest: BTreeMap<nsk_kz::CenterNumber, i64> = BTreeMap::new();
    for row in &rows {
        let at = highest.entry(row.center_number).or_default();
        *at = (*at).max(row.sequence);
        store::insert_document(&mut tx, row, store::Numbering::Given).await.map_err(|err| match &err {
            // Registered meanwhile by the center itself: the batch is refused whole.
            sqlx::Error::Database(db) if db.constraint().is_some() => ApiError::already_exists(format!(
                "{} collides with a document registered meanwhile (its serial or its center's number); send the batch again",
                row.serial_number
            )),
            _ => ApiError::from(err),
        })?
        .ok_or_else(|| {
            ApiError::failed_precondition(format!(
                "{}: a center's running number has at most eight digits",
                row.serial_number
            ))
        })?;
        store::mark_migrated(&mut tx, row.id, migration_id).await?;
        let event = Event::Issued {
            procedure: None,
            document: row,
            migrated: true,
        };
        publish(outbox, &mut tx, &context, &event).await?;
    }
    for (center, sequence) in highest {
        store::continue_sequence_after(&mut tx, center, sequence).await?;
    }
    tx.commit().await?;
    tracing::info!(migration = %migration_id, documents = rows.len(), actor = %identity.subject, "documents migrated");
    Ok((migration_id, i32::try_from(rows.len()).unwrap_or(i32::MAX)))
}

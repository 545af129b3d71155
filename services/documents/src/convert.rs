//! Proto <-> domain for the documents registry, and the open-data rows. One contract for
//! unknown values: an enum number the registry does not know reads as "not given", and the
//! domain then names the closed list. A leaf: handlers, cases and events import it; it imports
//! none of them.

use chrono::NaiveDate;
use nsk_errors::fields::{optional_date, uuid as parse_id};
use nsk_errors::{ApiError, FieldViolation};
use nsk_kz::CenterNumber;
use nsk_proto::nsk::accreditation::v1 as accreditation;
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::documents::v1 as pb;
use nsk_proto::nsk::professions::v1 as professions;
use prost::Message as _;
use uuid::Uuid;

use crate::domain::cancellation::Ground;
use crate::domain::holder::HolderId;
use crate::domain::issuance;
use crate::domain::serial::SerialNumber;
use crate::store::{
    CancellationRecord, KnownCertificateRow, OpenDataRow, ProfessionRow, StoredDocument,
};

const DEFAULT_PAGE_SIZE: i32 = 50;
const MAX_PAGE_SIZE: i32 = 500;

/// The open-data columns: no personal data.
pub const EXPORT_COLUMNS: [&str; 9] = [
    "serial_number",
    "profession_id",
    "profession_name",
    "nqf_level",
    "center_number",
    "issue_date",
    "valid_until",
    "status",
    "cancelled_on",
];

pub fn status_word(status: pb::DocumentStatus) -> &'static str {
    match status {
        pb::DocumentStatus::Valid => "valid",
        pb::DocumentStatus::Expired => "expired",
        pb::DocumentStatus::Cancelled => "cancelled",
        _ => "unknown",
    }
}

/// The status the open data prints for a document on `day`.
fn open_data_status(d: &OpenDataRow, day: NaiveDate) -> &'static str {
    status_word(status_on(d.valid_until, d.cancelled_on, day))
}

/// One chunk of the export: CSV (with the header in the first chunk) or JSON lines.
pub fn export_chunk(
    page: &[OpenDataRow],
    csv: bool,
    header: bool,
    day: NaiveDate,
) -> Result<Vec<u8>, String> {
    // About 130 bytes a row.
    let buffer = Vec::with_capacity(page.len() * 160 + 256);
    if csv {
        let mut writer = csv::Writer::from_writer(buffer);
        if header {
            writer
                .write_record(EXPORT_COLUMNS)
                .map_err(|e| e.to_string())?;
        }
        let mut profession = uuid::Uuid::encode_buffer();
        for d in page {
            let cancelled_on = d.cancelled_on.map(|c| c.to_string()).unwrap_or_default();
            writer
                .write_record([
                    d.serial_number.as_str(),
                    d.profession_id
                        .as_hyphenated()
                        .encode_lower(&mut profession),
                    d.profession_name.as_str(),
                    &d.nqf_level.to_string(),
                    &d.center_number.to_string(),
                    &d.issue_date.to_string(),
                    &d.valid_until.to_string(),
                    open_data_status(d, day),
                    &cancelled_on,
                ])
                .map_err(|e| e.to_string())?;
        }
        writer.into_inner().map_err(|e| e.to_string())
    } else {
        let mut out = buffer;
        for d in page {
            let object = serde_json::json!({
                "serial_number": d.serial_number,
                "profession_id": d.profession_id,
                "profession_name": d.profession_name,
                "nqf_level": d.nqf_level,
                "center_number": d.center_number.to_string(),
                "issue_date": d.issue_date,
                "valid_until": d.valid_until,
                "status": open_data_status(d, day),
                "cancelled_on": d.cancelled_on,
            });
            serde_json::to_writer(&mut out, &object).map_err(|e| e.to_string())?;
            out.push(b'\n');
        }
        Ok(out)
    }
}

pub fn page_size(raw: i32) -> Result<i64, ApiError> {
    match raw {
        0 => Ok(i64::from(DEFAULT_PAGE_SIZE)),
        n if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(i64::from(n)),
        _ => Err(ApiError::invalid_field(
            "page_size",
            "must be from 1 to 500 (0 for 50)",
        )),
    }
}

pub fn page_token(raw: &str) -> Result<Option<Uuid>, ApiError> {
    match raw {
        "" => Ok(None),
        token => Ok(Some(parse_id(token, "page_token")?)),
    }
}

pub fn center_number(raw: &str, field: &str) -> Result<CenterNumber, ApiError> {
    CenterNumber::parse(raw).map_err(|rule| ApiError::invalid_field(field, rule))
}

pub fn status_of(d: &StoredDocument, day: NaiveDate) -> pb::DocumentStatus {
    status_on(
        d.valid_until,
        d.cancellation.as_ref().map(|c| c.cancelled_on),
        day,
    )
}

/// A document's status on `day`, from its validity and its cancellation.
fn status_on(
    valid_until: NaiveDate,
    cancelled_on: Option<NaiveDate>,
    day: NaiveDate,
) -> pb::DocumentStatus {
    match issuance::status_on(valid_until, cancelled_on, day) {
        issuance::Status::Valid => pb::DocumentStatus::Valid,
        issuance::Status::Expired => pb::DocumentStatus::Expired,
        issuance::Status::Cancelled => pb::DocumentStatus::Cancelled,
    }
}

pub fn ground_to_proto(ground: Option<Ground>) -> pb::CancellationGround {
    match ground {
        None => pb::CancellationGround::Unspecified,
        Some(Ground::CourtDecision) => pb::CancellationGround::CourtDecision,
        Some(Ground::RegisteredInError) => pb::CancellationGround::RegisteredInError,
        Some(Ground::RevocationOnComplaints) => pb::CancellationGround::RevocationOnComplaints,
    }
}

/// Unknown numbers read as "not given": the domain then names the closed list.
pub fn ground_from_proto(raw: i32) -> Option<Ground> {
    match pb::CancellationGround::try_from(raw).ok()? {
        pb::CancellationGround::Unspecified => None,
        pb::CancellationGround::CourtDecision => Some(Ground::CourtDecision),
        pb::CancellationGround::RegisteredInError => Some(Ground::RegisteredInError),
        pb::CancellationGround::RevocationOnComplaints => Some(Ground::RevocationOnComplaints),
    }
}

pub fn cancellation_to_proto(c: &CancellationRecord) -> pb::Cancellation {
    pb::Cancellation {
        cancelled_on: c.cancelled_on.to_string(),
        reason: c.reason.clone(),
        basis: Some(common::BasisDocument {
            number: c.basis.number.clone(),
            date: c.basis.date.to_string(),
            title: c.basis.title.clone(),
        }),
        ground: ground_to_proto(c.ground) as i32,
        replaced_by_serial_number: c.replaced_by.clone().unwrap_or_default(),
    }
}

/// The whole document, for the center that issued it and for officials.
pub fn document_to_proto(d: &StoredDocument) -> pb::Document {
    pb::Document {
        id: d.id.to_string(),
        serial_number: d.serial_number.clone(),
        holder: Some(pb::Holder {
            iin: d.holder.iin().unwrap_or_default().to_string(),
            full_name: d.holder_name.clone(),
            identity_document_number: d
                .holder
                .document()
                .map(|(number, _)| number.to_string())
                .unwrap_or_default(),
            identity_document_country: d
                .holder
                .document()
                .map(|(_, country)| country.to_string())
                .unwrap_or_default(),
        }),
        profession_id: d.profession_id.to_string(),
        nqf_level: d.nqf_level,
        separate_skills: d.separate_skills.clone(),
        procedure_date: d.procedure_date.to_string(),
        protocol_number: d.protocol_number.clone(),
        protocol_date: d.protocol_date.to_string(),
        issue_date: d.issue_date.to_string(),
        valid_until: d.valid_until.to_string(),
        center_number: d.center_number.to_string(),
        head_of_center: d.head_of_center.clone(),
        voucher_id: d.voucher_id.clone(),
        status: status_of(d, nsk_calendar::today()) as i32,
        issued_late: d.issued_late,
        cancellation: d.cancellation.as_ref().map(cancellation_to_proto),
        center_name: d.center_name.clone(),
        procedure_id: d.procedure_id.map(|p| p.to_string()).unwrap_or_default(),
    }
}

/// What anyone may see: no IIN, the name as initials.
pub fn verification(d: &StoredDocument) -> pb::Verification {
    pb::Verification {
        serial_number: d.serial_number.clone(),
        status: status_of(d, nsk_calendar::today()) as i32,
        holder_masked: issuance::masked_name(&d.holder_name),
        profession_name: d.profession_name.clone(),
        nqf_level: d.nqf_level,
        separate_skills: d.separate_skills.clone(),
        center_number: d.center_number.to_string(),
        issue_date: d.issue_date.to_string(),
        valid_until: d.valid_until.to_string(),
        cancellation: d.cancellation.as_ref().map(cancellation_to_proto),
        center_name: d.center_name.clone(),
        procedure_date: d.procedure_date.to_string(),
    }
}

/// The fields of an issuance as sent, checked.
pub struct IssueFields {
    pub holder: HolderId,
    pub holder_name: String,
    pub profession_id: Uuid,
    pub level: u8,
    pub skills: Vec<String>,
    pub procedure_date: NaiveDate,
    pub protocol_number: String,
    pub protocol_date: NaiveDate,
    pub voucher_id: String,
    pub head_of_center: String,
    /// The procedure on the platform it follows, if one was recorded (Rules p. 18).
    pub procedure_id: Option<Uuid>,
}

pub fn issue_fields(d: pb::Document, today: NaiveDate) -> Result<IssueFields, ApiError> {
    let mut violations = Vec::new();
    let mut violate = |field: &str, rule: String| {
        violations.push(FieldViolation {
            field: format!("document.{field}"),
            description: rule,
        })
    };
    let holder = d.holder.unwrap_or_default();
    // Art. 2.4: the IIN, or for a person without one an identity document and its country.
    let holder_id = match HolderId::parse(
        &holder.iin,
        &holder.identity_document_number,
        &holder.identity_document_country,
    ) {
        Ok(id) => Some(id),
        Err(problems) => {
            for (field, rule) in problems {
                violate(&format!("holder.{field}"), rule);
            }
            None
        }
    };
    let holder_name = holder
        .full_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if holder_name.is_empty() || holder_name.chars().count() > 300 {
        violate(
            "holder.full_name",
            "is required: the holder's full name, at most 300 characters".into(),
        );
    }
    let profession_id = Uuid::parse_str(d.profession_id.trim())
        .map_err(|_| {
            violate(
                "profession_id",
                "must be the id of a profession in the register".into(),
            )
        })
        .ok();
    let level = u8::try_from(d.nqf_level)
        .ok()
        .filter(|l| (1..=8).contains(l));
    if level.is_none() {
        violate("nqf_level", "must be the NQF level recognised, 1-8".into());
    }
    let mut date = |field: &str, raw: &str| -> Option<NaiveDate> {
        match optional_date(raw, field) {
            Ok(Some(day)) if day > today => {
                violate(
                    field,
                    format!("must not be in the future (today is {today})"),
                );
                None
            }
            Ok(Some(day)) => Some(day),
            Ok(None) => {
                violate(field, "is required, as YYYY-MM-DD".into());
                None
            }
            Err(_) => {
                violate(field, "must be a date as YYYY-MM-DD".into());
                None
            }
        }
    };
    let procedure_date = date("procedure_date", &d.procedure_date);
    let protocol_date = date("protocol_date", &d.protocol_date);
    if let (Some(procedure), Some(protocol)) = (procedure_date, protocol_date) {
        if protocol < procedure {
            violate(
                "protocol_date",
                format!("must not be before the procedure ({procedure})"),
            );
        }
    }
    let protocol_number = d.protocol_number.trim().to_string();
    if protocol_number.is_empty() {
        violate(
            "protocol_number",
            "is required: the number of the examination commission's protocol (Rules p. 17)".into(),
        );
    }
    let skills: Vec<String> = d
        .separate_skills
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    // Appendix 2: the document names the head of the center, who signs it.
    let head_of_center = d
        .head_of_center
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if head_of_center.is_empty() || head_of_center.chars().count() > 300 {
        violate(
            "head_of_center",
            "is required: the full name of the head of the center who signs the document (Rules, Appendix 2), at most 300 characters".into(),
        );
    }
    let procedure_id = match d.procedure_id.trim() {
        "" => None,
        raw => Uuid::parse_str(raw)
            .map_err(|_| {
                violate(
                    "procedure_id",
                    "must be the id of the recognition procedure (its application) on the platform"
                        .into(),
                )
            })
            .ok(),
    };
    let voucher_id = d.voucher_id.trim().to_string();
    if voucher_id.len() > 100 {
        violate("voucher_id", "must be at most 100 characters".into());
    }
    match (
        holder_id,
        profession_id,
        level,
        procedure_date,
        protocol_date,
    ) {
        (
            Some(holder),
            Some(profession_id),
            Some(level),
            Some(procedure_date),
            Some(protocol_date),
        ) if violations.is_empty() => Ok(IssueFields {
            holder,
            holder_name,
            profession_id,
            level,
            skills,
            procedure_date,
            protocol_number,
            protocol_date,
            voucher_id,
            head_of_center,
            procedure_id,
        }),
        _ => Err(ApiError::invalid_fields(violations)),
    }
}

/// A serial number as a caller wrote it in `field`, in its one spelling.
pub fn serial(raw: &str, field: &str) -> Result<SerialNumber, ApiError> {
    raw.parse()
        .map_err(|e: crate::domain::serial::MalformedSerial| ApiError::invalid_field(field, e.0))
}

/// The token of the page after `found`, when it is full.
pub fn next_page(found: &[StoredDocument], limit: i64) -> String {
    match found.last() {
        Some(last) if found.len() as i64 == limit => last.id.to_string(),
        _ => String::new(),
    }
}

/// A day as a caller wrote it in `field`; `default` when empty.
pub fn day_or(raw: &str, field: &str, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    Ok(optional_date(raw, field)?.unwrap_or(default))
}

/// A certificate the registry heard of, with its statuses, as the public reads it.
pub fn known_certificate_to_proto(
    row: KnownCertificateRow,
    statuses: Vec<(String, NaiveDate)>,
) -> Result<pb::KnownCertificate, ApiError> {
    let snapshot = accreditation::Certificate::decode(row.snapshot.as_slice()).map_err(|e| {
        ApiError::internal(format!(
            "stored certificate {} does not decode: {e}",
            row.certificate_id
        ))
    })?;
    Ok(pb::KnownCertificate {
        certificate_id: row.certificate_id.to_string(),
        serial_number: row.serial_number,
        valid_from: row.valid_from.to_string(),
        valid_until: row.valid_until.to_string(),
        scope: snapshot.scope,
        statuses: statuses
            .into_iter()
            .map(|(status, since)| pb::KnownCertificateStatus {
                status,
                since: since.to_string(),
            })
            .collect(),
    })
}

/// A profession the registry heard of, as the public reads it.
pub fn registered_profession_to_proto(
    id: Uuid,
    row: ProfessionRow,
    known_versions: Vec<i64>,
) -> Result<pb::RegisteredProfession, ApiError> {
    let entry = professions::Profession::decode(row.snapshot.as_slice())
        .map_err(|e| ApiError::internal(format!("stored snapshot of {id} does not decode: {e}")))?;
    Ok(pb::RegisteredProfession {
        profession_id: id.to_string(),
        names: entry.names,
        nkz_code: entry.nkz_code,
        oked_code: entry.oked_code,
        nqf_levels: entry.nqf_levels,
        document_validity_months: entry.document_validity_months,
        separate_skills_allowed: entry.separate_skills_allowed,
        active: row.active,
        version: row.version,
        effective_from: row.effective_from.to_string(),
        known_versions,
    })
}

/// A stored version of a profession as issuance judges it, and its name in Russian (the name
/// Appendix 2 prints).
pub fn profession_on_day(
    row: &ProfessionRow,
) -> Result<(issuance::ProfessionOnDay, String), ApiError> {
    let entry = professions::Profession::decode(row.snapshot.as_slice()).map_err(|e| {
        ApiError::internal(format!(
            "stored snapshot of {} does not decode: {e}",
            row.profession_id
        ))
    })?;
    let name = entry
        .names
        .as_ref()
        .map(|n| n.ru.clone())
        .unwrap_or_default();
    Ok((
        issuance::ProfessionOnDay {
            active: row.active,
            oked: entry.oked_code,
            nkz: entry.nkz_code,
            nqf_levels: entry
                .nqf_levels
                .iter()
                .filter_map(|l| u8::try_from(*l).ok())
                .collect(),
            validity_months: u32::try_from(entry.document_validity_months).unwrap_or(0),
            separate_skills_allowed: entry.separate_skills_allowed,
            separate_skills: entry.separate_skills,
        },
        name,
    ))
}

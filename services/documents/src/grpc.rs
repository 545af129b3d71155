//! The gRPC face of the documents registry: issuance by recognition centers, public
//! verification, cancellation, lists; and the read models of professions and centers.

use chrono::{NaiveDate, SubsecRound, Utc};
use nsk_calendar::SharedCalendar;
use nsk_db::requests::{Once, RequestKey};
use nsk_errors::fields::{optional_date, uuid as parse_id};
use nsk_errors::{ApiError, FieldViolation};
use nsk_events::{Aggregate, EventContext, Outbox};
use nsk_identity::{Identity, Role, TokenVerifier};
use nsk_kz::CenterNumber;
use nsk_proto::google::api::HttpBody;
use nsk_proto::nsk::accreditation::v1 as accreditation;
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::documents::v1 as pb;
use nsk_proto::nsk::documents::v1::document_registry_server::DocumentRegistry;
use nsk_proto::nsk::professions::v1 as professions;
use prost::Message;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::cancellation::{self, Ground};
use crate::domain::holder::HolderId;
use crate::domain::issuance::{self, CenterOnDay, Issuance, ProfessionOnDay};
use crate::domain::serial::SerialNumber;
use crate::store::{self, CancellationRecord, DocumentFilter, StoredDocument};

const DEFAULT_PAGE_SIZE: i32 = 50;
const MAX_PAGE_SIZE: i32 = 500;
/// The aggregate type of documents in event envelopes.
pub const AGGREGATE: &str = "document";

pub struct DocumentsApi {
    pool: PgPool,
    outbox: Outbox,
    verifier: TokenVerifier,
    calendar: SharedCalendar,
    /// Where the public reaches the gateway: the base of the URL in QR codes.
    public_url: String,
}

impl DocumentsApi {
    pub fn new(
        pool: PgPool,
        outbox: Outbox,
        verifier: TokenVerifier,
        calendar: SharedCalendar,
        public_url: String,
    ) -> Self {
        Self {
            pool,
            outbox,
            verifier,
            calendar,
            public_url,
        }
    }
}

/// Documents per chunk of the open-data export.
const EXPORT_PAGE: i64 = 1000;

type ExportStream = std::pin::Pin<Box<dyn futures::Stream<Item = Result<HttpBody, Status>> + Send>>;

/// The open-data columns: no personal data.
const EXPORT_COLUMNS: [&str; 9] = [
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

fn status_word(status: pb::DocumentStatus) -> &'static str {
    match status {
        pb::DocumentStatus::Valid => "valid",
        pb::DocumentStatus::Expired => "expired",
        pb::DocumentStatus::Cancelled => "cancelled",
        _ => "unknown",
    }
}

fn open_data_row(d: &StoredDocument, day: NaiveDate) -> [String; 9] {
    [
        d.serial_number.clone(),
        d.profession_id.to_string(),
        d.profession_name.clone(),
        d.nqf_level.to_string(),
        d.center_number.to_string(),
        d.issue_date.to_string(),
        d.valid_until.to_string(),
        status_word(status_of(d, day)).to_string(),
        d.cancellation
            .as_ref()
            .map(|c| c.cancelled_on.to_string())
            .unwrap_or_default(),
    ]
}

/// One chunk of the export: CSV (with the header in the first chunk) or JSON lines.
fn export_chunk(
    page: &[StoredDocument],
    csv: bool,
    header: bool,
    day: NaiveDate,
) -> Result<Vec<u8>, String> {
    if csv {
        let mut writer = csv::Writer::from_writer(Vec::new());
        if header {
            writer
                .write_record(EXPORT_COLUMNS)
                .map_err(|e| e.to_string())?;
        }
        for d in page {
            writer
                .write_record(open_data_row(d, day))
                .map_err(|e| e.to_string())?;
        }
        writer.into_inner().map_err(|e| e.to_string())
    } else {
        let mut out = Vec::new();
        for d in page {
            let object = serde_json::json!({
                "serial_number": d.serial_number,
                "profession_id": d.profession_id,
                "profession_name": d.profession_name,
                "nqf_level": d.nqf_level,
                "center_number": d.center_number.to_string(),
                "issue_date": d.issue_date,
                "valid_until": d.valid_until,
                "status": status_word(status_of(d, day)),
                "cancelled_on": d.cancellation.as_ref().map(|c| c.cancelled_on),
            });
            serde_json::to_writer(&mut out, &object).map_err(|e| e.to_string())?;
            out.push(b'\n');
        }
        Ok(out)
    }
}

fn today() -> NaiveDate {
    nsk_calendar::today()
}

fn page_size(raw: i32) -> Result<i64, ApiError> {
    match raw {
        0 => Ok(i64::from(DEFAULT_PAGE_SIZE)),
        n if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(i64::from(n)),
        _ => Err(ApiError::invalid_field(
            "page_size",
            "must be from 1 to 500 (0 for 50)",
        )),
    }
}

fn page_token(raw: &str) -> Result<Option<Uuid>, ApiError> {
    match raw {
        "" => Ok(None),
        token => Ok(Some(parse_id(token, "page_token")?)),
    }
}

fn center_number(raw: &str, field: &str) -> Result<CenterNumber, ApiError> {
    CenterNumber::parse(raw).map_err(|rule| ApiError::invalid_field(field, rule))
}

/// The center a recognition center's token speaks for.
fn own_center(identity: &Identity) -> Result<CenterNumber, ApiError> {
    identity.own_center()
}

fn status_of(d: &StoredDocument, day: NaiveDate) -> pb::DocumentStatus {
    match issuance::status_on(
        d.valid_until,
        d.cancellation.as_ref().map(|c| c.cancelled_on),
        day,
    ) {
        issuance::Status::Valid => pb::DocumentStatus::Valid,
        issuance::Status::Expired => pb::DocumentStatus::Expired,
        issuance::Status::Cancelled => pb::DocumentStatus::Cancelled,
    }
}

fn ground_to_proto(ground: Option<Ground>) -> pb::CancellationGround {
    match ground {
        None => pb::CancellationGround::Unspecified,
        Some(Ground::CourtDecision) => pb::CancellationGround::CourtDecision,
        Some(Ground::RegisteredInError) => pb::CancellationGround::RegisteredInError,
        Some(Ground::RevocationOnComplaints) => pb::CancellationGround::RevocationOnComplaints,
    }
}

/// Unknown numbers read as "not given": the domain then names the closed list.
fn ground_from_proto(raw: i32) -> Option<Ground> {
    match pb::CancellationGround::try_from(raw).ok()? {
        pb::CancellationGround::Unspecified => None,
        pb::CancellationGround::CourtDecision => Some(Ground::CourtDecision),
        pb::CancellationGround::RegisteredInError => Some(Ground::RegisteredInError),
        pb::CancellationGround::RevocationOnComplaints => Some(Ground::RevocationOnComplaints),
    }
}

fn cancellation_to_proto(c: &CancellationRecord) -> pb::Cancellation {
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
        status: status_of(d, today()) as i32,
        issued_late: d.issued_late,
        cancellation: d.cancellation.as_ref().map(cancellation_to_proto),
        center_name: d.center_name.clone(),
    }
}

/// What anyone may see: no IIN, the name as initials.
pub fn verification(d: &StoredDocument) -> pb::Verification {
    pb::Verification {
        serial_number: d.serial_number.clone(),
        status: status_of(d, today()) as i32,
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

/// Appends `DocumentCancelled` for each document, in the caller's transaction.
pub async fn publish_cancellations(
    outbox: &Outbox,
    conn: &mut PgConnection,
    context: &EventContext,
    cancelled: &[StoredDocument],
) -> Result<(), sqlx::Error> {
    for d in cancelled {
        let id = d.id.to_string();
        let event = pb::DocumentCancelled {
            document_id: id.clone(),
            serial_number: d.serial_number.clone(),
            cancellation: d.cancellation.as_ref().map(cancellation_to_proto),
        };
        let aggregate = Aggregate {
            kind: AGGREGATE,
            id: &id,
            version: 2,
        };
        outbox.append(conn, aggregate, context, &event).await?;
        tracing::info!(document_id = %d.id, serial = %d.serial_number, "document cancelled");
    }
    Ok(())
}

/// The fields of an issuance as sent, checked.
struct IssueFields {
    holder: HolderId,
    holder_name: String,
    profession_id: Uuid,
    level: u8,
    skills: Vec<String>,
    procedure_date: NaiveDate,
    protocol_number: String,
    protocol_date: NaiveDate,
    voucher_id: String,
    head_of_center: String,
}

fn issue_fields(d: pb::Document, today: NaiveDate) -> Result<IssueFields, ApiError> {
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
        }),
        _ => Err(ApiError::invalid_fields(violations)),
    }
}

impl DocumentsApi {
    /// The register of professions as the registry knew it on `day`, for one profession.
    async fn profession_on(
        &self,
        id: Uuid,
        day: NaiveDate,
    ) -> Result<Option<(ProfessionOnDay, String)>, ApiError> {
        let Some(row) = store::profession_as_of(&self.pool, id, day).await? else {
            return Ok(None);
        };
        let entry = professions::Profession::decode(row.snapshot.as_slice()).map_err(|e| {
            ApiError::internal(format!("stored snapshot of {id} does not decode: {e}"))
        })?;
        let name = entry
            .names
            .as_ref()
            .map(|n| n.ru.clone())
            .unwrap_or_default();
        Ok(Some((
            ProfessionOnDay {
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
        )))
    }

    /// What accreditation said of `center` on `day`, for `profession`, and the last day the
    /// center could act when it can no longer act `today`.
    async fn center_on(
        &self,
        center: CenterNumber,
        profession: Uuid,
        day: NaiveDate,
        today: NaiveDate,
    ) -> Result<(CenterOnDay, Option<NaiveDate>), ApiError> {
        let mut on_day = CenterOnDay {
            certificate_active: false,
            scope_levels: None,
        };
        let mut periods = Vec::new();
        for row in store::known_certificates(&self.pool, center).await? {
            let statuses = store::certificate_statuses(&self.pool, row.certificate_id).await?;
            let active = crate::domain::certificate_active_on(
                row.valid_from,
                row.valid_until,
                &statuses,
                day,
            );
            periods.push((row.valid_from, row.valid_until, statuses));
            if !active {
                continue;
            }
            let certificate =
                accreditation::Certificate::decode(row.snapshot.as_slice()).map_err(|e| {
                    ApiError::internal(format!(
                        "stored certificate {} does not decode: {e}",
                        row.certificate_id
                    ))
                })?;
            on_day.certificate_active = true;
            on_day.scope_levels = certificate
                .scope
                .iter()
                .find(|s| s.profession_id == profession.to_string())
                .map(|s| {
                    s.nqf_levels
                        .iter()
                        .filter_map(|l| u8::try_from(*l).ok())
                        .collect()
                });
        }
        let last_active = issuance::last_active_day(&periods, day, today);
        Ok((on_day, last_active))
    }

    async fn issue(
        &self,
        identity: &Identity,
        request: pb::IssueDocumentRequest,
    ) -> Result<StoredDocument, ApiError> {
        let center = own_center(identity)?;
        // A request id is the center's own, whichever of its systems sends it.
        let key = RequestKey::new(
            &format!("center:{center}"),
            "IssueDocument",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let request_id = key.as_ref().map(RequestKey::id);
        let issue_date = today();
        let fields = issue_fields(request.document.unwrap_or_default(), issue_date)?;
        // A retried request returns the document it made (before the checks, which the first
        // attempt's document would now fail).
        if let Some(key) = &key {
            let mut conn = self.pool.acquire().await?;
            if let Some(id) = nsk_db::requests::applied(&mut conn, key).await? {
                return store::get_document(&mut conn, id).await?.ok_or_else(|| {
                    ApiError::internal(format!("request {} lost its document", key.id()))
                });
            }
        }
        let day = fields.procedure_date;
        let profession = self.profession_on(fields.profession_id, day).await?;
        let (center_on_day, last_active) = self
            .center_on(center, fields.profession_id, day, issue_date)
            .await?;
        let issuance = Issuance {
            center: center.to_string(),
            level: fields.level,
            procedure_date: day,
            skills: fields.skills.clone(),
        };
        let mut refusals = issuance::refusals(
            &issuance,
            &center_on_day,
            profession.as_ref().map(|(p, _)| p),
        );
        // No backdating once the center's certificate has ended (Rules p. 17-18).
        if let (true, Some(last_active)) = (refusals.is_empty(), last_active) {
            refusals.extend(
                issuance::refusals_after_end(
                    &self.calendar.current(),
                    last_active,
                    day,
                    fields.protocol_date,
                    issue_date,
                )
                .map_err(|e| {
                    ApiError::failed_precondition(format!(
                        "the working-day calendar cannot judge the deadlines after the center's accreditation ended: {e}"
                    ))
                })?,
            );
        }
        // Art. 29.2, 29.4: a voucher named is the one its center redeemed for this holder and
        // profession; the document keeps the voucher's id.
        let mut voucher_id = fields.voucher_id.clone();
        if !fields.voucher_id.is_empty() {
            let known = store::known_voucher(&self.pool, &fields.voucher_id).await?;
            refusals.extend(crate::domain::voucher::refusals(
                &fields.voucher_id,
                known.as_ref().map(|(_, v)| v),
                center,
                fields.holder.iin(),
                fields.profession_id,
            ));
            if let Some((id, _)) = known {
                voucher_id = id.to_string();
            }
        }
        let (profession, profession_name) = match (refusals.is_empty(), profession) {
            (true, Some(found)) => found,
            _ => {
                return Err(ApiError::failed_precondition(format!(
                    "the document cannot be registered: {}",
                    refusals.join("; ")
                )))
            }
        };
        let valid_until = issuance::valid_until(issue_date, profession.validity_months)
            .ok_or_else(|| ApiError::internal("validity out of range"))?;
        let issued_late =
            issuance::issued_late(&self.calendar.current(), fields.protocol_date, issue_date)
                .map_err(|e| {
                    ApiError::failed_precondition(format!(
                        "the working-day calendar cannot judge the protocol's date: {e}"
                    ))
                })?;
        // Appendix 2: the center's name as the register has it today, the issue day.
        let center_name = store::known_center(&self.pool, center)
            .await?
            .map(|(_, name)| name)
            .unwrap_or_default();
        let id = Uuid::now_v7();
        let mut tx = self.pool.begin().await?;
        if let Once::Applied(done) = nsk_db::requests::once(&mut tx, key.as_ref(), id).await? {
            // A concurrent retry won; return what it made.
            tx.rollback().await?;
            let mut conn = self.pool.acquire().await?;
            return store::get_document(&mut conn, done)
                .await?
                .ok_or_else(|| ApiError::internal(format!("request {done} lost its document")));
        }
        let sequence = store::next_sequence(&mut tx, center).await?;
        let serial = SerialNumber {
            oked: profession.oked.clone(),
            nkz: SerialNumber::nkz_part(&profession.nkz),
            level: fields.level,
            // Appendix 2, level 4: the day of the procedure, not of registration.
            date: day,
            center,
            sequence: u32::try_from(sequence)
                .ok()
                .filter(|s| *s <= 99_999_999)
                .ok_or_else(|| {
                    ApiError::failed_precondition("the center's sequence of 8 digits is exhausted")
                })?,
        };
        let document = StoredDocument {
            id,
            serial_number: serial.to_string(),
            center_number: center,
            sequence,
            holder: fields.holder,
            holder_name: fields.holder_name,
            profession_id: fields.profession_id,
            profession_name,
            nqf_level: i32::from(fields.level),
            separate_skills: fields.skills,
            procedure_date: day,
            protocol_number: fields.protocol_number,
            protocol_date: fields.protocol_date,
            issue_date,
            valid_until,
            head_of_center: fields.head_of_center,
            voucher_id,
            issued_late,
            cancellation: None,
            created_at: Utc::now().trunc_subsecs(6),
            center_name,
        };
        store::insert_document(&mut tx, &document).await?;
        let event = pb::DocumentIssued {
            document_id: id.to_string(),
            serial_number: document.serial_number.clone(),
            profession_id: document.profession_id.to_string(),
            nqf_level: document.nqf_level,
            center_number: center.to_string(),
            issue_date: issue_date.to_string(),
            valid_until: valid_until.to_string(),
            voucher_id: document.voucher_id.clone(),
            procedure_date: day.to_string(),
            issued_late,
            migrated: false,
        };
        let context = EventContext {
            actor: identity.subject.clone(),
            request_id: request_id
                .map(str::to_string)
                .unwrap_or_else(|| id.to_string()),
        };
        let id_text = id.to_string();
        let aggregate = Aggregate {
            kind: AGGREGATE,
            id: &id_text,
            version: 1,
        };
        self.outbox
            .append(&mut tx, aggregate, &context, &event)
            .await?;
        tx.commit().await?;
        tracing::info!(document_id = %id, serial = %document.serial_number, late = issued_late, "document registered");
        Ok(document)
    }
}

/// A recognition center asking for another center's document.
fn is_other_center(identity: &Identity, center: CenterNumber) -> bool {
    let official = identity.has(Role::AuthorizedBodyAdmin) || identity.has(Role::Auditor);
    !official && own_center(identity).ok() != Some(center)
}

#[tonic::async_trait]
impl DocumentRegistry for DocumentsApi {
    /// Public: the QR code of a document, encoding its verification URL.
    async fn get_document_qr(
        &self,
        request: Request<pb::GetDocumentQrRequest>,
    ) -> Result<Response<HttpBody>, Status> {
        let request = request.into_inner();
        let format = crate::qr::Format::parse(&request.format)
            .ok_or_else(|| ApiError::invalid_field("format", "must be png or svg"))?;
        let serial: SerialNumber = request.serial_number.parse().map_err(
            |e: crate::domain::serial::MalformedSerial| {
                ApiError::invalid_field("serial_number", e.0)
            },
        )?;
        let serial = serial.to_string();
        // A code is made only for a document the registry holds.
        store::document_by_serial(&self.pool, &serial)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("document", &serial))?;
        let url = format!("{}/v1/verify/{serial}", self.public_url);
        let data = crate::qr::render(&url, format).map_err(ApiError::internal)?;
        Ok(Response::new(HttpBody {
            content_type: format.content_type().to_string(),
            data,
            extensions: Vec::new(),
        }))
    }

    /// Open data, page by page in id order, so memory stays flat for millions of rows.
    async fn export_registry(
        &self,
        request: Request<pb::ExportRegistryRequest>,
    ) -> Result<Response<ExportStream>, Status> {
        let csv = match request
            .get_ref()
            .format
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "" | "csv" => true,
            "json" => false,
            _ => return Err(ApiError::invalid_field("format", "must be csv or json").into()),
        };
        let content_type = if csv {
            "text/csv; charset=utf-8"
        } else {
            "application/x-ndjson"
        };
        let pool = self.pool.clone();
        let day = today();
        let pages = futures::stream::unfold(Some((Uuid::nil(), true)), move |state| {
            let pool = pool.clone();
            async move {
                let (after, first) = state?;
                let page = match store::export_page(&pool, after, EXPORT_PAGE).await {
                    Ok(page) => page,
                    Err(err) => return Some((Err(Status::from(ApiError::from(err))), None)),
                };
                if page.is_empty() && !first {
                    return None;
                }
                let next = (page.len() as i64 == EXPORT_PAGE)
                    .then(|| page.last().map(|d| (d.id, false)))
                    .flatten();
                let chunk = export_chunk(&page, csv, first, day)
                    .map(|data| HttpBody {
                        content_type: content_type.to_string(),
                        data,
                        extensions: Vec::new(),
                    })
                    .map_err(|e| Status::from(ApiError::internal(e)));
                Some((chunk, next))
            }
        });
        Ok(Response::new(Box::pin(pages)))
    }

    /// A recognition center registers a document it issued (Rules p. 18).
    async fn issue_document(
        &self,
        request: Request<pb::IssueDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?.clone();
        let document = self.issue(&identity, request.into_inner()).await?;
        Ok(Response::new(document_to_proto(&document)))
    }

    /// The whole document: for the center that issued it, the authorized body and auditors.
    async fn get_document(
        &self,
        request: Request<pb::GetDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller
            .require(&[
                Role::RecognitionCenter,
                Role::AuthorizedBodyAdmin,
                Role::Auditor,
            ])?
            .clone();
        let id = parse_id(&request.get_ref().id, "id")?;
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        let document = store::get_document(&mut conn, id)
            .await
            .map_err(ApiError::from)?
            .filter(|d| !is_other_center(&identity, d.center_number))
            .ok_or_else(|| ApiError::not_found("document", &id.to_string()))?;
        Ok(Response::new(document_to_proto(&document)))
    }

    /// A center's own documents; for officials, any center's, or a person's by IIN (audited).
    async fn list_documents(
        &self,
        request: Request<pb::ListDocumentsRequest>,
    ) -> Result<Response<pb::ListDocumentsResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller
            .require(&[
                Role::RecognitionCenter,
                Role::AuthorizedBodyAdmin,
                Role::Auditor,
            ])?
            .clone();
        let request = request.into_inner();
        let official = identity.has(Role::AuthorizedBodyAdmin) || identity.has(Role::Auditor);
        let mut filter = DocumentFilter {
            after: page_token(&request.page_token)?,
            limit: page_size(request.page_size)?,
            ..Default::default()
        };
        let iin = request.holder_iin.trim();
        if !iin.is_empty() {
            if !official {
                return Err(ApiError::permission_denied(
                    "a person's documents by IIN are for the authorized body and auditors",
                )
                .into());
            }
            let iin = nsk_kz::Iin::parse(iin)
                .map_err(|rule| ApiError::invalid_field("holder_iin", rule))?;
            filter.holder_iin = Some(iin.to_string());
        }
        let (number, country) = (
            request.holder_document_number.trim(),
            request.holder_document_country.trim(),
        );
        if !number.is_empty() || !country.is_empty() {
            if !official {
                return Err(ApiError::permission_denied(
                    "a person's documents by identity document are for the authorized body and auditors",
                )
                .into());
            }
            let holder = HolderId::parse("", number, country).map_err(|problems| {
                ApiError::invalid_fields(
                    problems
                        .into_iter()
                        .map(|(field, rule)| FieldViolation {
                            field: format!("holder_{}", field.trim_start_matches("identity_")),
                            description: rule,
                        })
                        .collect(),
                )
            })?;
            filter.holder_document = holder
                .document()
                .map(|(n, c)| (n.to_string(), c.to_string()));
        }
        let by_person = filter.holder_iin.is_some() || filter.holder_document.is_some();
        match (request.center_number.trim(), official) {
            ("", false) => filter.center_number = Some(own_center(&identity)?),
            ("", true) if !by_person => {
                return Err(ApiError::invalid_field(
                    "center_number",
                    "name a center (center_number) or a person (holder_iin, or holder_document_number with holder_document_country)",
                )
                .into())
            }
            ("", true) => {}
            (raw, _) => {
                let wanted = center_number(raw, "center_number")?;
                if !official && wanted != own_center(&identity)? {
                    return Err(ApiError::permission_denied(
                        "a recognition center lists its own documents only",
                    )
                    .into());
                }
                filter.center_number = Some(wanted);
            }
        }
        let found = store::list_documents(&self.pool, &filter)
            .await
            .map_err(ApiError::from)?;
        // Every read of a person's documents is audited, by IIN or by identity document.
        let person = match (&filter.holder_iin, &filter.holder_document) {
            (Some(iin), _) => Some(iin.clone()),
            (None, Some((number, country))) => Some(format!("{country} {number}")),
            (None, None) => None,
        };
        if let Some(person) = person {
            store::audit_iin_lookup(
                &self.pool,
                &identity.subject,
                identity.primary_role(),
                &person,
                found.len() as i32,
            )
            .await
            .map_err(ApiError::from)?;
            tracing::info!(official = %identity.subject, found = found.len(), "documents looked up by person");
        }
        let next_page_token = match found.last() {
            Some(last) if found.len() as i64 == filter.limit => last.id.to_string(),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListDocumentsResponse {
            documents: found.iter().map(document_to_proto).collect(),
            next_page_token,
        }))
    }

    /// Public: valid, expired, cancelled or unknown, with what anyone may see.
    async fn verify_document(
        &self,
        request: Request<pb::VerifyDocumentRequest>,
    ) -> Result<Response<pb::Verification>, Status> {
        let raw = request.into_inner().serial_number;
        let serial: SerialNumber =
            raw.parse()
                .map_err(|e: crate::domain::serial::MalformedSerial| {
                    ApiError::invalid_field("serial_number", e.0)
                })?;
        let serial = serial.to_string();
        let found = store::document_by_serial(&self.pool, &serial)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(match found {
            Some(document) => verification(&document),
            None => pb::Verification {
                serial_number: serial,
                status: pb::DocumentStatus::Unknown as i32,
                ..Default::default()
            },
        }))
    }

    /// The authorized body brings in documents issued before the platform.
    async fn migrate_documents(
        &self,
        request: Request<pb::MigrateDocumentsRequest>,
    ) -> Result<Response<pb::MigrateDocumentsResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?.clone();
        let (migration_id, migrated) = crate::migration::migrate(
            &self.pool,
            &self.outbox,
            &self.calendar.current(),
            &identity,
            request.into_inner(),
            today(),
        )
        .await?;
        Ok(Response::new(pb::MigrateDocumentsResponse {
            migration_id: migration_id.to_string(),
            migrated,
        }))
    }

    /// Cancellation by the authorized body on a legal ground from the closed list, with the
    /// basis document and an explanation.
    async fn cancel_document(
        &self,
        request: Request<pb::CancelDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?.clone();
        let request = request.into_inner();
        let id = parse_id(&request.id, "id")?;
        let key = RequestKey::new(
            &identity.subject,
            "CancelDocument",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let request_id = key.as_ref().map(RequestKey::id);
        let reason = nsk_errors::fields::required(
            &request.reason,
            "reason",
            "why the document is cancelled, in words",
        )?;
        let basis = request.basis.unwrap_or_default();
        let basis =
            nsk_errors::fields::document(&basis.number, &basis.date, &basis.title, "basis")?;
        let replacement_serial = request.replaced_by_serial_number.trim();
        let replacement_serial = match replacement_serial {
            "" => None,
            raw => Some(
                raw.parse::<SerialNumber>()
                    .map_err(|e| ApiError::invalid_field("replaced_by_serial_number", e.0))?
                    .to_string(),
            ),
        };
        let mut tx = self.pool.begin().await.map_err(ApiError::from)?;
        if let Once::Applied(done) = nsk_db::requests::once(&mut tx, key.as_ref(), id)
            .await
            .map_err(ApiError::from)?
        {
            tx.rollback().await.map_err(ApiError::from)?;
            let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
            let document = store::get_document(&mut conn, done)
                .await
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::not_found("document", &done.to_string()))?;
            return Ok(Response::new(document_to_proto(&document)));
        }
        let existing = store::get_document(&mut tx, id)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("document", &id.to_string()))?;
        if let Some(done) = &existing.cancellation {
            return Err(ApiError::failed_precondition(format!(
                "the document was already cancelled on {}: {}",
                done.cancelled_on, done.reason
            ))
            .into());
        }
        let replacement = match &replacement_serial {
            Some(serial) => store::document_by_serial(&self.pool, serial)
                .await
                .map_err(ApiError::from)?
                .map(|d| cancellation::Replacement {
                    serial_number: d.serial_number,
                    holder: d.holder.to_string(),
                    cancelled: d.cancellation.is_some(),
                }),
            None => None,
        };
        let ground = cancellation::official_cancellation(
            ground_from_proto(request.ground),
            &existing.serial_number,
            &existing.holder.to_string(),
            replacement_serial.is_some(),
            replacement.as_ref(),
        )
        .map_err(|refused| ApiError::invalid_field(refused.field, refused.rule))?;
        let record = CancellationRecord {
            cancelled_on: today(),
            reason,
            basis,
            ground: Some(ground),
            replaced_by: replacement_serial,
        };
        let cancelled = store::cancel_documents(&mut tx, &[id], &[], None, &record)
            .await
            .map_err(ApiError::from)?;
        let context = EventContext {
            actor: identity.subject.clone(),
            request_id: request_id
                .map(str::to_string)
                .unwrap_or_else(|| Uuid::now_v7().to_string()),
        };
        publish_cancellations(&self.outbox, &mut tx, &context, &cancelled)
            .await
            .map_err(ApiError::from)?;
        tx.commit().await.map_err(ApiError::from)?;
        let document = cancelled
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::internal("the cancelled document vanished"))?;
        Ok(Response::new(document_to_proto(&document)))
    }

    /// Public: the cancelled documents (Art. 26.2), without personal data.
    async fn list_cancelled_documents(
        &self,
        request: Request<pb::ListCancelledDocumentsRequest>,
    ) -> Result<Response<pb::ListCancelledDocumentsResponse>, Status> {
        let request = request.into_inner();
        let filter = DocumentFilter {
            cancelled: true,
            cancelled_from: optional_date(&request.cancelled_from, "cancelled_from")?,
            cancelled_to: optional_date(&request.cancelled_to, "cancelled_to")?,
            center_number: match request.center_number.trim() {
                "" => None,
                raw => Some(center_number(raw, "center_number")?),
            },
            profession_id: match request.profession_id.trim() {
                "" => None,
                raw => Some(parse_id(raw, "profession_id")?),
            },
            after: page_token(&request.page_token)?,
            limit: page_size(request.page_size)?,
            ..Default::default()
        };
        let found = store::list_documents(&self.pool, &filter)
            .await
            .map_err(ApiError::from)?;
        let next_page_token = match found.last() {
            Some(last) if found.len() as i64 == filter.limit => last.id.to_string(),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListCancelledDocumentsResponse {
            documents: found.iter().map(verification).collect(),
            next_page_token,
        }))
    }

    /// Public: what the registry knows of a recognition center, and whether it could act on a
    /// date.
    async fn get_known_center(
        &self,
        request: Request<pb::GetKnownCenterRequest>,
    ) -> Result<Response<pb::KnownCenter>, Status> {
        let request = request.into_inner();
        let raw = request.center_number.trim();
        let number = center_number(raw, "center_number")?;
        let as_of = match request.as_of.as_str() {
            "" => today(),
            day => NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid_field("as_of", "must be a date as YYYY-MM-DD"))?,
        };
        let (bin, name) = store::known_center(&self.pool, number)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("recognition center", raw))?;
        let mut certificates = Vec::new();
        let mut active_certificate_id = String::new();
        for row in store::known_certificates(&self.pool, number)
            .await
            .map_err(ApiError::from)?
        {
            let statuses = store::certificate_statuses(&self.pool, row.certificate_id)
                .await
                .map_err(ApiError::from)?;
            if crate::domain::certificate_active_on(
                row.valid_from,
                row.valid_until,
                &statuses,
                as_of,
            ) {
                active_certificate_id = row.certificate_id.to_string();
            }
            let snapshot =
                accreditation::Certificate::decode(row.snapshot.as_slice()).map_err(|e| {
                    ApiError::internal(format!(
                        "stored certificate {} does not decode: {e}",
                        row.certificate_id
                    ))
                })?;
            certificates.push(pb::KnownCertificate {
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
            });
        }
        Ok(Response::new(pb::KnownCenter {
            center_number: raw.to_string(),
            bin,
            name,
            certificates,
            active_certificate_id,
            as_of: as_of.to_string(),
            documents_to_cancel: store::cancellations_of_center(&self.pool, number)
                .await
                .map_err(ApiError::from)?,
        }))
    }

    /// Public: what the registry knows of a profession, now or as of a date.
    async fn get_registered_profession(
        &self,
        request: Request<pb::GetRegisteredProfessionRequest>,
    ) -> Result<Response<pb::RegisteredProfession>, Status> {
        let request = request.into_inner();
        let id = Uuid::parse_str(&request.profession_id)
            .map_err(|_| ApiError::invalid_field("profession_id", "must be a UUID"))?;
        let row = if request.as_of.is_empty() {
            store::current_profession(&self.pool, id)
                .await
                .map_err(ApiError::from)?
        } else {
            let date = NaiveDate::parse_from_str(&request.as_of, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid_field("as_of", "must be a date as YYYY-MM-DD"))?;
            store::profession_as_of(&self.pool, id, date)
                .await
                .map_err(ApiError::from)?
        };
        let row = row.ok_or_else(|| ApiError::not_found("profession", &request.profession_id))?;
        let known_versions = store::known_versions(&self.pool, id)
            .await
            .map_err(ApiError::from)?;
        let entry = professions::Profession::decode(row.snapshot.as_slice()).map_err(|e| {
            ApiError::internal(format!("stored snapshot of {id} does not decode: {e}"))
        })?;
        Ok(Response::new(pb::RegisteredProfession {
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
        }))
    }
}

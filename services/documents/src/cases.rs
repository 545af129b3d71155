//! One function per command and read of the registry: issuance (Rules p. 18) checked against
//! what the registry heard of professions, centers and vouchers, in one transaction with its
//! event; cancellation; verification; the lists and the open data. The gRPC handlers call these;
//! nothing here knows of gRPC. Migration of old documents is its own flow (`migration`).

use chrono::{NaiveDate, SubsecRound, Utc};
use futures::Stream;
use nsk_calendar::SharedCalendar;
use nsk_db::requests::{Once, RequestKey};
use nsk_errors::ApiError;
use nsk_events::{EventContext, Outbox};
use nsk_identity::Identity;
use nsk_kz::CenterNumber;
use nsk_proto::nsk::accreditation::v1 as accreditation;
use nsk_proto::nsk::documents::v1 as pb;
use prost::Message as _;
use sqlx::PgPool;
use uuid::Uuid;

use crate::access;
use crate::convert::{export_chunk, known_certificate_to_proto, IssueFields};
use crate::domain::cancellation::{self, Ground};
use crate::domain::issuance::{self, CenterOnDay, Issuance};
use crate::domain::serial::SerialNumber;
use crate::known::{Facts, Known};
use crate::publish::{self, Event};
use crate::store::{self, CancellationRecord, DocumentFilter, StoredDocument};

/// Chunks of the export (a page of the open data each, about 650 KiB of CSV) read ahead of
/// the caller.
const EXPORT_AHEAD: usize = 2;

/// Exports read at once, each on a connection of its own for as long as it streams; more wait
/// their turn, so that the pool stays free for everything else.
const EXPORTS_AT_ONCE: usize = 2;

/// How many times a registration is judged before it gives up on read models that keep
/// moving (each judgement after the first on a fresh read).
const JUDGEMENTS: usize = 3;

/// What a registration takes from the read models it was judged on.
struct Judged {
    oked: String,
    nkz: String,
    profession_name: String,
    center_name: String,
    voucher_id: String,
    valid_until: NaiveDate,
    issued_late: bool,
}

impl Judged {
    /// The document to write, before its number: its `serial_number` is the serial up to the
    /// number (Appendix 2), its `sequence` 0.
    fn document(
        &self,
        center: CenterNumber,
        f: &IssueFields,
        issue_date: NaiveDate,
    ) -> StoredDocument {
        let serial = SerialNumber {
            oked: self.oked.clone(),
            nkz: SerialNumber::nkz_part(&self.nkz),
            level: f.level,
            // Appendix 2, level 4: the day of the procedure, not of registration.
            date: f.procedure_date,
            center,
            sequence: 0,
        };
        StoredDocument {
            id: Uuid::now_v7(),
            version: 1,
            serial_number: serial.prefix(),
            center_number: center,
            sequence: 0,
            holder: f.holder.clone(),
            holder_name: f.holder_name.clone(),
            profession_id: f.profession_id,
            profession_name: self.profession_name.clone(),
            nqf_level: i32::from(f.level),
            separate_skills: f.skills.clone(),
            procedure_date: f.procedure_date,
            protocol_number: f.protocol_number.clone(),
            protocol_date: f.protocol_date,
            issue_date,
            valid_until: self.valid_until,
            head_of_center: f.head_of_center.clone(),
            voucher_id: self.voucher_id.clone(),
            issued_late: self.issued_late,
            cancellation: None,
            created_at: Utc::now().trunc_subsecs(6),
            center_name: self.center_name.clone(),
            procedure_id: f.procedure_id,
        }
    }
}

/// What an official's cancellation names besides the document.
pub struct Cancellation {
    pub reason: String,
    pub basis: nsk_errors::fields::Document,
    pub ground: Option<Ground>,
    /// For a document registered in error: the serial of the one that replaces it.
    pub replaced_by: Option<String>,
}

/// The registry's commands and reads.
pub struct Registry {
    pool: PgPool,
    /// Connections for the registration's statement (`store::register_document`), as many as
    /// the pool's.
    registering: nsk_db::held::HeldConnections,
    outbox: Outbox,
    calendar: SharedCalendar,
    known: Known,
    /// Turns of the open-data export ([`EXPORTS_AT_ONCE`]).
    exports: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Registry {
    pub fn new(pool: PgPool, outbox: Outbox, calendar: SharedCalendar) -> Self {
        let size = pool.options().get_max_connections() as usize;
        Self {
            registering: nsk_db::held::HeldConnections::new(pool.clone(), size),
            pool,
            outbox,
            calendar,
            known: Known::new(),
            exports: std::sync::Arc::new(tokio::sync::Semaphore::new(EXPORTS_AT_ONCE)),
        }
    }

    /// What accreditation said of the center in `record` on `day`, for `profession`, and the
    /// last day the center could act when it can no longer act `today`.
    fn center_on(
        record: &store::CenterRecord,
        profession: Uuid,
        day: NaiveDate,
        today: NaiveDate,
    ) -> Result<(CenterOnDay, Option<NaiveDate>), ApiError> {
        let mut on_day = CenterOnDay {
            certificate_active: false,
            scope_levels: None,
        };
        let mut periods = Vec::new();
        for (row, statuses) in &record.certificates {
            let active = crate::domain::certificate_active_on(
                row.valid_from,
                row.valid_until,
                statuses,
                day,
            );
            periods.push((row.valid_from, row.valid_until, statuses.clone()));
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

    /// A recognition center registers a document it issued (Rules p. 18): the profession in
    /// the register on the day of the procedure, the center accredited for it then, the
    /// voucher named its own; the serial of Appendix 2 from the center's sequence.
    ///
    /// A retried request returns the document it made. The request's record is written in the
    /// document's transaction, which finds a retry whose checks pass; one whose checks fail
    /// because of what the first attempt did (its voucher used, its procedure claimed) is
    /// looked up once refused — so the way that succeeds asks the database nothing extra.
    pub async fn issue(
        &self,
        identity: &Identity,
        key: Option<&RequestKey>,
        fields: IssueFields,
        issue_date: NaiveDate,
    ) -> Result<StoredDocument, ApiError> {
        // Only a center registers, and only its own documents.
        identity.own_center()?;
        let refused = match self.register(identity, key, fields, issue_date).await {
            Ok(document) => return Ok(document),
            Err(refused) => refused,
        };
        let Some(key) = key else {
            return Err(refused);
        };
        let mut conn = self.pool.acquire().await?;
        match nsk_db::requests::applied(&mut conn, key).await? {
            Some(id) => store::get_document(&mut conn, id).await?.ok_or_else(|| {
                ApiError::internal(format!("request {} lost its document", key.id()))
            }),
            None => Err(refused),
        }
    }

    /// The checks of [`Self::issue`] and the document's write. The checks run on the read
    /// models held in memory (`crate::known`); the document is written by one statement that
    /// writes it only if those read models have not moved since (`store::register_document`).
    /// A refusal, or a write that finds memory behind, is judged again on a fresh read. After a
    /// procedure on the platform, the document is written in a transaction that locks the
    /// procedure, on a fresh read.
    async fn register(
        &self,
        identity: &Identity,
        key: Option<&RequestKey>,
        fields: IssueFields,
        issue_date: NaiveDate,
    ) -> Result<StoredDocument, ApiError> {
        let center = identity.own_center()?;
        let mut fresh = fields.procedure_id.is_some();
        for _ in 0..JUDGEMENTS {
            let facts = self
                .known
                .facts(&self.pool, fields.profession_id, center, fresh)
                .await?;
            let judged = match self.judge(center, &fields, issue_date, &facts).await {
                Ok(judged) => judged,
                Err(_) if !fresh => {
                    fresh = true;
                    continue;
                }
                Err(refused) => return Err(refused),
            };
            let context = |id: Uuid| EventContext {
                actor: identity.subject.clone(),
                request_id: key
                    .map(|k| k.id().to_string())
                    .unwrap_or_else(|| id.to_string()),
            };
            let mut document = judged.document(center, &fields, issue_date);
            if fields.procedure_id.is_some() {
                let context = context(document.id);
                return self
                    .register_after_procedure(key, &fields, document, &context)
                    .await;
            }
            let (event, digits_at) =
                publish::prepare_issued(&self.outbox, &context(document.id), &document, None)
                    .ok_or_else(|| {
                        ApiError::internal("the number's place in the event was not found")
                    })?;
            let stamps = store::Stamps {
                professions: facts.professions_stamp,
                centers: facts.centers_stamp,
            };
            match store::register_document(
                &self.registering,
                &document,
                key,
                stamps,
                &event,
                digits_at,
            )
            .await?
            {
                store::Registered::Written {
                    sequence,
                    serial_number,
                } => {
                    document.sequence = sequence;
                    document.serial_number = serial_number;
                    tracing::info!(document_id = %document.id, serial = %document.serial_number, late = document.issued_late, "document registered");
                    return Ok(document);
                }
                store::Registered::Behind => fresh = true,
                // The retry's answer is looked up by `issue`.
                store::Registered::Recorded => {
                    return Err(ApiError::aborted(format!(
                        "request {} was applied while this one was checked",
                        key.map(|k| k.id().to_string()).unwrap_or_default()
                    )))
                }
                store::Registered::Exhausted => {
                    return Err(ApiError::failed_precondition(
                        "the center's sequence of 8 digits is exhausted",
                    ))
                }
            }
        }
        Err(ApiError::unavailable(
            "the registers the registry keeps of professions and centers changed while the document was checked; try again",
        ))
    }

    /// The checks of a registration on `facts` (and the voucher named, read now): what the
    /// document takes from them, or the refusal.
    async fn judge(
        &self,
        center: CenterNumber,
        fields: &IssueFields,
        issue_date: NaiveDate,
        facts: &Facts,
    ) -> Result<Judged, ApiError> {
        let day = fields.procedure_date;
        let profession = facts.profession.on(day);
        // Appendix 2: the center's name as the register has it today, the issue day.
        let center_name = facts.center.name.clone().unwrap_or_default();
        let (center_on_day, last_active) =
            Self::center_on(&facts.center, fields.profession_id, day, issue_date)?;
        let issuance = Issuance {
            center: center.to_string(),
            level: fields.level,
            procedure_date: day,
            skills: fields.skills.clone(),
        };
        let mut refusals =
            issuance::refusals(&issuance, &center_on_day, profession.map(|p| &p.on_day));
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
        // profession; the document keeps the voucher's id. After a procedure on the platform,
        // the voucher is the one applied with (checked against the procedure in its
        // transaction).
        let mut voucher_id = fields.voucher_id.clone();
        if !fields.voucher_id.is_empty() && fields.procedure_id.is_none() {
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
        let profession = match (refusals.is_empty(), profession) {
            (true, Some(found)) => found,
            _ => {
                return Err(ApiError::failed_precondition(format!(
                    "the document cannot be registered: {}",
                    refusals.join("; ")
                )))
            }
        };
        let valid_until = issuance::valid_until(issue_date, profession.on_day.validity_months)
            .ok_or_else(|| ApiError::internal("validity out of range"))?;
        let issued_late =
            issuance::issued_late(&self.calendar.current(), fields.protocol_date, issue_date)
                .map_err(|e| {
                    ApiError::failed_precondition(format!(
                        "the working-day calendar cannot judge the protocol's date: {e}"
                    ))
                })?;
        Ok(Judged {
            oked: profession.on_day.oked.clone(),
            nkz: profession.on_day.nkz.clone(),
            profession_name: profession.name.clone(),
            center_name,
            voucher_id,
            valid_until,
            issued_late,
        })
    }

    /// The write of a document that follows a procedure on the platform (Rules p. 18, 23):
    /// that procedure's own, and its only one, checked and linked in the document's
    /// transaction.
    async fn register_after_procedure(
        &self,
        key: Option<&RequestKey>,
        fields: &IssueFields,
        mut document: StoredDocument,
        context: &EventContext,
    ) -> Result<StoredDocument, ApiError> {
        let id = document.id;
        let mut tx = self.pool.begin().await?;
        if let Once::Applied(done) = nsk_db::requests::once(&mut tx, key, id).await? {
            // A concurrent retry won; return what it made.
            tx.rollback().await?;
            let mut conn = self.pool.acquire().await?;
            return store::get_document(&mut conn, done)
                .await?
                .ok_or_else(|| ApiError::internal(format!("request {done} lost its document")));
        }
        if let Some(procedure) = fields.procedure_id {
            let known = store::lock_passed_procedure(&mut tx, procedure).await?;
            let claimed = crate::domain::procedure::Claimed {
                center: document.center_number,
                holder: &fields.holder,
                profession_id: fields.profession_id,
                nqf_level: i32::from(fields.level),
                procedure_date: fields.procedure_date,
                protocol_number: &fields.protocol_number,
                protocol_date: fields.protocol_date,
                voucher_id: &fields.voucher_id,
            };
            let refused = crate::domain::procedure::refusals(procedure, known.as_ref(), &claimed);
            if !refused.is_empty() {
                return Err(ApiError::failed_precondition(format!(
                    "the document cannot be registered: {}",
                    refused.join("; ")
                )));
            }
            document.voucher_id = known
                .and_then(|p| p.voucher_id)
                .map(|v| v.to_string())
                .unwrap_or_default();
            store::link_procedure(&mut tx, procedure, id).await?;
        }
        // Appendix 2, level 6: the center's running number has eight digits.
        let (sequence, serial_number) =
            store::insert_document(&mut tx, &document, store::Numbering::Next)
                .await?
                .ok_or_else(|| {
                    ApiError::failed_precondition("the center's sequence of 8 digits is exhausted")
                })?;
        document.sequence = sequence;
        document.serial_number = serial_number;
        let event = Event::Issued {
            document: &document,
            migrated: false,
            procedure: fields.procedure_id,
        };
        publish::publish(&self.outbox, &mut tx, context, &event).await?;
        tx.commit().await?;
        tracing::info!(document_id = %id, serial = %document.serial_number, late = document.issued_late, "document registered");
        Ok(document)
    }

    /// The whole document, for the center that issued it, for officials and for its holder;
    /// to anyone else it does not exist.
    pub async fn get(&self, identity: &Identity, id: Uuid) -> Result<StoredDocument, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let document = store::get_document(&mut conn, id)
            .await?
            .filter(|d| access::may_read(identity, d.center_number, &d.holder))
            .ok_or_else(|| ApiError::not_found("document", &id.to_string()))?;
        drop(conn);
        // The whole document names its holder: the read is audited.
        store::audit_document_reads(
            &self.pool,
            &identity.subject,
            identity.primary_role(),
            &[id],
        )
        .await?;
        Ok(document)
    }

    /// A page of documents within the caller's scope; a read of a person's documents is
    /// recorded, by IIN or by identity document.
    pub async fn list(
        &self,
        identity: &Identity,
        filter: &DocumentFilter,
    ) -> Result<Vec<StoredDocument>, ApiError> {
        let found = store::list_documents(&self.pool, filter).await?;
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
            .await?;
            tracing::info!(official = %identity.subject, found = found.len(), "documents looked up by person");
        } else {
            let ids: Vec<Uuid> = found.iter().map(|d| d.id).collect();
            store::audit_document_reads(
                &self.pool,
                &identity.subject,
                identity.primary_role(),
                &ids,
            )
            .await?;
        }
        Ok(found)
    }

    /// Public: a document by its serial, if the registry holds it.
    pub async fn by_serial(
        &self,
        serial: &SerialNumber,
    ) -> Result<Option<StoredDocument>, ApiError> {
        Ok(store::document_by_serial(&self.pool, &serial.to_string()).await?)
    }

    /// Public: the cancelled documents (Art. 26.2).
    pub async fn cancelled(
        &self,
        filter: &DocumentFilter,
    ) -> Result<Vec<StoredDocument>, ApiError> {
        Ok(store::list_documents(&self.pool, filter).await?)
    }

    /// The authorized body cancels a document on a ground of the closed list, with its basis
    /// (Art. 26.2; Rules: a court's decision, or registered in error and replaced).
    pub async fn cancel(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        what: Cancellation,
        today: NaiveDate,
    ) -> Result<StoredDocument, ApiError> {
        let mut tx = self.pool.begin().await?;
        if let Once::Applied(done) = nsk_db::requests::once(&mut tx, key, id).await? {
            tx.rollback().await?;
            let mut conn = self.pool.acquire().await?;
            return store::get_document(&mut conn, done)
                .await?
                .ok_or_else(|| ApiError::not_found("document", &done.to_string()));
        }
        let existing = store::get_document(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("document", &id.to_string()))?;
        if let Some(done) = &existing.cancellation {
            return Err(ApiError::failed_precondition(format!(
                "the document was already cancelled on {}: {}",
                done.cancelled_on, done.reason
            )));
        }
        let replacement = match &what.replaced_by {
            Some(serial) => store::document_by_serial(&self.pool, serial)
                .await?
                .map(|d| cancellation::Replacement {
                    serial_number: d.serial_number,
                    holder: d.holder.to_string(),
                    cancelled: d.cancellation.is_some(),
                }),
            None => None,
        };
        let ground = cancellation::official_cancellation(
            what.ground,
            &existing.serial_number,
            &existing.holder.to_string(),
            what.replaced_by.is_some(),
            replacement.as_ref(),
        )
        .map_err(|refused| ApiError::invalid_field(refused.field, refused.rule))?;
        let record = CancellationRecord {
            cancelled_on: today,
            reason: what.reason,
            basis: what.basis,
            ground: Some(ground),
            replaced_by: what.replaced_by,
        };
        let cancelled = store::cancel_documents(&mut tx, &[id], &[], None, &record).await?;
        let context = EventContext {
            actor: identity.subject.clone(),
            request_id: key
                .map(|k| k.id().to_string())
                .unwrap_or_else(|| Uuid::now_v7().to_string()),
        };
        publish::cancellations(&self.outbox, &mut tx, &context, &cancelled).await?;
        tx.commit().await?;
        cancelled
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::internal("the cancelled document vanished"))
    }

    /// Public: what the registry knows of a recognition center, and whether it could act on
    /// `as_of`.
    pub async fn known_center(
        &self,
        number: CenterNumber,
        as_of: NaiveDate,
    ) -> Result<pb::KnownCenter, ApiError> {
        let (bin, name) = store::known_center(&self.pool, number)
            .await?
            .ok_or_else(|| ApiError::not_found("recognition center", &number.to_string()))?;
        let mut certificates = Vec::new();
        let mut active_certificate_id = String::new();
        for row in store::known_certificates(&self.pool, number).await? {
            let statuses = store::certificate_statuses(&self.pool, row.certificate_id).await?;
            if crate::domain::certificate_active_on(
                row.valid_from,
                row.valid_until,
                &statuses,
                as_of,
            ) {
                active_certificate_id = row.certificate_id.to_string();
            }
            certificates.push(known_certificate_to_proto(row, statuses)?);
        }
        Ok(pb::KnownCenter {
            center_number: number.to_string(),
            bin,
            name,
            certificates,
            active_certificate_id,
            as_of: as_of.to_string(),
            documents_to_cancel: store::cancellations_of_center(&self.pool, number).await?,
        })
    }

    /// Public: what the registry knows of a profession, now or as of a date.
    pub async fn registered_profession(
        &self,
        id: Uuid,
        as_of: Option<NaiveDate>,
    ) -> Result<pb::RegisteredProfession, ApiError> {
        let row = match as_of {
            None => store::current_profession(&self.pool, id).await?,
            Some(date) => store::profession_as_of(&self.pool, id, date).await?,
        };
        let row = row.ok_or_else(|| ApiError::not_found("profession", &id.to_string()))?;
        let known_versions = store::known_versions(&self.pool, id).await?;
        crate::convert::registered_profession_to_proto(id, row, known_versions)
    }

    /// The authorized body brings in documents issued before the platform (its own flow,
    /// `migration`): the migration's id and how many documents it brought.
    pub async fn migrate(
        &self,
        identity: &Identity,
        request: pb::MigrateDocumentsRequest,
        today: NaiveDate,
    ) -> Result<(Uuid, i32), ApiError> {
        crate::migration::migrate(
            &self.pool,
            &self.outbox,
            &self.calendar.current(),
            identity,
            request,
            today,
        )
        .await
    }

    /// Open data, page by page, so memory stays flat for millions of rows: CSV (the header in
    /// the first chunk) or JSON lines, each chunk's bytes. The whole export is the registry at
    /// one moment (one snapshot, whatever is registered or cancelled while it streams). The
    /// next pages are read and encoded while the last ones travel (at most [`EXPORT_AHEAD`]
    /// waiting), and the reading stops when the caller goes.
    pub fn export(
        &self,
        csv: bool,
        day: NaiveDate,
    ) -> impl Stream<Item = Result<Vec<u8>, ApiError>> + Send + 'static {
        let (pool, exports) = (self.pool.clone(), self.exports.clone());
        let (chunks, waiting) = tokio::sync::mpsc::channel(EXPORT_AHEAD);
        tokio::spawn(export_into(pool, exports, csv, day, chunks));
        futures::stream::unfold(waiting, |mut waiting| async move {
            waiting.recv().await.map(|chunk| (chunk, waiting))
        })
    }
}

/// The pages of [`Registry::export`], encoded, into `chunks` until the last or until the
/// caller goes; an error ends them.
async fn export_into(
    pool: PgPool,
    exports: std::sync::Arc<tokio::sync::Semaphore>,
    csv: bool,
    day: NaiveDate,
    chunks: tokio::sync::mpsc::Sender<Result<Vec<u8>, ApiError>>,
) {
    // Only closed with the registry itself, which outlives its requests.
    let Ok(_turn) = exports.acquire_owned().await else {
        return;
    };
    let mut tx = match store::open_data(&pool).await {
        Ok(tx) => tx,
        Err(err) => {
            let _ = chunks.send(Err(ApiError::from(err))).await;
            return;
        }
    };
    let mut first = true;
    loop {
        let page = match store::open_data_page(&mut tx).await {
            Ok(page) => page,
            Err(err) => {
                let _ = chunks.send(Err(ApiError::from(err))).await;
                return;
            }
        };
        if page.is_empty() && !first {
            return;
        }
        let full = page.len() == store::OPEN_DATA_PAGE;
        let chunk = export_chunk(&page, csv, first, day).map_err(ApiError::internal);
        first = false;
        // The transaction, read only, is rolled back as `tx` goes.
        if chunks.send(chunk).await.is_err() || !full {
            return;
        }
    }
}

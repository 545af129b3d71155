//! The gRPC face of the documents registry: who may call, proto -> domain, a case, domain ->
//! proto. Each handler is a few lines; the rules are in `domain`, who sees what in `access`,
//! the transactions in `cases`, the conversions in `convert`.

use nsk_calendar::SharedCalendar;
use nsk_db::requests::RequestKey;
use nsk_errors::fields::{optional_date, uuid as parse_id};
use nsk_errors::ApiError;
use nsk_events::Outbox;
use nsk_identity::{Role, TokenVerifier};
use nsk_proto::google::api::HttpBody;
use nsk_proto::nsk::documents::v1 as pb;
use nsk_proto::nsk::documents::v1::document_registry_server::DocumentRegistry;
use prost::Message as _;
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use crate::access;
use crate::cases::{Cancellation, Registry};
use crate::convert::{
    center_number, day_or, document_to_proto, ground_from_proto, issue_fields, next_page,
    page_size, page_token, serial, verification,
};
use crate::store::DocumentFilter;

pub struct DocumentsApi {
    registry: Registry,
    verifier: TokenVerifier,
    /// Public verification, counted per day.
    verifications: std::sync::Arc<crate::counting::VerificationCounter>,
    /// Where the public reaches the gateway: the base of the URL in QR codes.
    public_url: String,
    /// Documents as signed credentials; `None` until [`DocumentsApi::signing`].
    credentials: Option<std::sync::Arc<crate::credentials::Credentials>>,
    /// Changes to verification answers, for the gateway's cache.
    feed: crate::feed::Feed,
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
            registry: Registry::new(pool, outbox, calendar),
            verifier,
            verifications: Default::default(),
            public_url,
            credentials: None,
            feed: crate::feed::Feed::default(),
        }
    }
}

impl DocumentsApi {
    /// Counts public verification in `counter` (the one the service flushes).
    pub fn counting(
        mut self,
        counter: std::sync::Arc<crate::counting::VerificationCounter>,
    ) -> Self {
        self.verifications = counter;
        self
    }

    /// Forwards `feed` to the gateway.
    pub fn feeding(mut self, feed: crate::feed::Feed) -> Self {
        self.feed = feed;
        self
    }

    /// Only the gateway: anyone else learns nothing, not even that the method exists.
    fn require_gateway<T>(&self, request: &Request<T>) -> Result<(), Status> {
        match self.verifier.caller(request)? {
            nsk_identity::Caller::Authenticated(identity) if identity.is_gateway() => Ok(()),
            _ => Err(Status::not_found("no such method")),
        }
    }

    /// Signs documents' credentials and status lists with `credentials`.
    pub fn signing(mut self, credentials: crate::credentials::Credentials) -> Self {
        self.credentials = Some(std::sync::Arc::new(credentials));
        self
    }

    fn credentials(&self) -> Result<&crate::credentials::Credentials, ApiError> {
        self.credentials.as_deref().ok_or_else(|| {
            ApiError::new(
                nsk_errors::ErrorKind::NotImplemented,
                "this instance signs no credentials",
            )
        })
    }
}

fn body(content_type: &str, data: Vec<u8>) -> Response<HttpBody> {
    Response::new(HttpBody {
        content_type: content_type.to_string(),
        data,
        extensions: Vec::new(),
    })
}

type ChangeStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<pb::VerificationChanges, Status>> + Send>>;

type ExportStream = std::pin::Pin<Box<dyn futures::Stream<Item = Result<HttpBody, Status>> + Send>>;

fn today() -> chrono::NaiveDate {
    nsk_calendar::today()
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
        let serial = serial(&request.serial_number, "serial_number")?;
        // A code is made only for a document the registry holds.
        self.registry
            .by_serial(&serial)
            .await?
            .ok_or_else(|| ApiError::not_found("document", &serial.to_string()))?;
        let url = format!("{}/v1/verify/{serial}", self.public_url);
        let data = crate::qr::render(&url, format).map_err(ApiError::internal)?;
        Ok(Response::new(HttpBody {
            content_type: format.content_type().to_string(),
            data,
            extensions: Vec::new(),
        }))
    }

    /// Open data: no personal data, as CSV or JSON lines.
    async fn export_registry(
        &self,
        request: Request<pb::ExportRegistryRequest>,
    ) -> Result<Response<ExportStream>, Status> {
        let format = request.get_ref().format.trim().to_ascii_lowercase();
        let (csv, content_type) = match format.as_str() {
            "" | "csv" => (true, "text/csv; charset=utf-8"),
            "json" => (false, "application/x-ndjson"),
            _ => return Err(ApiError::invalid_field("format", "must be csv or json").into()),
        };
        let chunks = futures::StreamExt::map(self.registry.export(csv, today()), move |chunk| {
            chunk
                .map(|data| HttpBody {
                    content_type: content_type.to_string(),
                    data,
                    extensions: Vec::new(),
                })
                .map_err(Status::from)
        });
        Ok(Response::new(Box::pin(chunks)))
    }

    /// A recognition center registers a document it issued (Rules p. 18).
    async fn issue_document(
        &self,
        request: Request<pb::IssueDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?.clone();
        let center = identity.own_center()?;
        let request = request.into_inner();
        // A request id is the center's own, whichever of its systems sends it.
        let key = RequestKey::new(
            &format!("center:{center}"),
            "IssueDocument",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let issue_date = today();
        let fields = issue_fields(request.document.unwrap_or_default(), issue_date)?;
        let document = self
            .registry
            .issue(&identity, key.as_ref(), fields, issue_date)
            .await?;
        Ok(Response::new(document_to_proto(&document)))
    }

    /// The whole document: for the center that issued it, the authorized body and auditors.
    async fn get_document(
        &self,
        request: Request<pb::GetDocumentRequest>,
    ) -> Result<Response<pb::Document>, Status> {
        let identity = self
            .verifier
            .caller(&request)?
            .require(&access::READERS)?
            .clone();
        let id = parse_id(&request.get_ref().id, "id")?;
        let document = self.registry.get(&identity, id).await?;
        Ok(Response::new(document_to_proto(&document)))
    }

    /// The document as PDF (Appendix 2), for those who may read it; the read is audited.
    async fn get_document_pdf(
        &self,
        request: Request<pb::GetDocumentRequest>,
    ) -> Result<Response<HttpBody>, Status> {
        let identity = self
            .verifier
            .caller(&request)?
            .require(&access::READERS)?
            .clone();
        let id = parse_id(&request.get_ref().id, "id")?;
        let d = self.registry.get(&identity, id).await?;
        let (issue, valid, cancelled_on) = (
            d.issue_date.to_string(),
            d.valid_until.to_string(),
            d.cancellation.as_ref().map(|c| c.cancelled_on.to_string()),
        );
        let url = format!("{}/v1/verify/{}", self.public_url, d.serial_number);
        let sheet = crate::pdf::Sheet {
            center_name: &d.center_name,
            serial: &d.serial_number,
            holder_name: &d.holder_name,
            profession: &d.profession_name,
            nqf_level: d.nqf_level,
            skills: &d.separate_skills,
            issue_date: &issue,
            valid_until: &valid,
            head_of_center: &d.head_of_center,
            verify_url: &url,
            cancelled: d
                .cancellation
                .as_ref()
                .zip(cancelled_on.as_deref())
                .map(|(c, on)| (on, c.reason.as_str())),
        };
        let data = crate::pdf::render(&sheet).map_err(ApiError::internal)?;
        Ok(body("application/pdf", data))
    }

    /// The document as a signed credential, for those who may read it; the read is audited.
    async fn get_document_credential(
        &self,
        request: Request<pb::GetDocumentRequest>,
    ) -> Result<Response<HttpBody>, Status> {
        let identity = self
            .verifier
            .caller(&request)?
            .require(&access::READERS)?
            .clone();
        let id = parse_id(&request.get_ref().id, "id")?;
        let document = self.registry.get(&identity, id).await?;
        let jws = self.credentials()?.of(&document)?;
        Ok(body("application/vc+jwt", jws.into_bytes()))
    }

    /// Public: a center's status list, read from the registry now.
    async fn get_status_list(
        &self,
        request: Request<pb::GetStatusListRequest>,
    ) -> Result<Response<HttpBody>, Status> {
        let raw = &request.get_ref().center_number;
        let center = nsk_kz::CenterNumber::parse(raw)
            .map_err(|rule| ApiError::invalid_field("center_number", rule))?;
        let list = self
            .credentials()?
            .status_list(center)
            .await?
            .ok_or_else(|| ApiError::not_found("recognition center", raw))?;
        Ok(body("application/vc+jwt", list.into_bytes()))
    }

    /// Public: the platform's credential keys.
    async fn get_credential_keys(
        &self,
        _request: Request<pb::GetCredentialKeysRequest>,
    ) -> Result<Response<HttpBody>, Status> {
        Ok(body("application/jwk-set+json", self.credentials()?.keys()))
    }

    /// A center's own documents; for officials, any center's, or a person's by IIN (audited).
    async fn list_documents(
        &self,
        request: Request<pb::ListDocumentsRequest>,
    ) -> Result<Response<pb::ListDocumentsResponse>, Status> {
        let identity = self
            .verifier
            .caller(&request)?
            .require(&access::READERS)?
            .clone();
        let filter = access::list_scope(&identity, request.get_ref())?;
        let found = self.registry.list(&identity, &filter).await?;
        Ok(Response::new(pb::ListDocumentsResponse {
            next_page_token: next_page(&found, filter.limit),
            documents: found.iter().map(document_to_proto).collect(),
        }))
    }

    /// Public: valid, expired, cancelled or unknown, with what anyone may see.
    async fn verify_document(
        &self,
        request: Request<pb::VerifyDocumentRequest>,
    ) -> Result<Response<pb::Verification>, Status> {
        let serial = serial(&request.get_ref().serial_number, "serial_number")?;
        // Counted, not logged: nobody learns who checked whom.
        self.verifications.count(today());
        Ok(Response::new(
            match self.registry.by_serial(&serial).await? {
                Some(document) => verification(&document),
                None => pb::Verification {
                    serial_number: serial.to_string(),
                    status: pb::DocumentStatus::Unknown as i32,
                    ..Default::default()
                },
            },
        ))
    }

    /// The gateway's feed: a reset first, then every change as it commits, and the stamps
    /// that say how complete the feed is.
    async fn watch_verifications(
        &self,
        request: Request<pb::WatchVerificationsRequest>,
    ) -> Result<Response<ChangeStream>, Status> {
        self.require_gateway(&request)?;
        let changes = crate::feed::changes(self.feed.watch());
        Ok(Response::new(Box::pin(changes)))
    }

    /// What the gateway answered from memory, added to the day's counts.
    async fn count_verifications(
        &self,
        request: Request<pb::CountVerificationsRequest>,
    ) -> Result<Response<pb::CountVerificationsResponse>, Status> {
        self.require_gateway(&request)?;
        for (i, count) in request.into_inner().counts.iter().enumerate() {
            let day = optional_date(&count.day, &format!("counts[{i}].day"))?.ok_or_else(|| {
                ApiError::invalid_field(format!("counts[{i}].day"), "is required")
            })?;
            if count.checks < 0 {
                return Err(ApiError::invalid_field(
                    format!("counts[{i}].checks"),
                    "must not be negative",
                )
                .into());
            }
            self.verifications.count_many(day, count.checks);
        }
        Ok(Response::new(pb::CountVerificationsResponse {}))
    }

    /// The authorized body brings in documents issued before the platform.
    async fn migrate_documents(
        &self,
        request: Request<pb::MigrateDocumentsRequest>,
    ) -> Result<Response<pb::MigrateDocumentsResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?.clone();
        let (migration_id, migrated) = self
            .registry
            .migrate(&identity, request.into_inner(), today())
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
        let basis = request.basis.clone().unwrap_or_default();
        let what = Cancellation {
            reason: nsk_errors::fields::required(
                &request.reason,
                "reason",
                "why the document is cancelled, in words",
            )?,
            basis: nsk_errors::fields::document(&basis.number, &basis.date, &basis.title, "basis")?,
            ground: ground_from_proto(request.ground),
            replaced_by: match request.replaced_by_serial_number.trim() {
                "" => None,
                raw => Some(serial(raw, "replaced_by_serial_number")?.to_string()),
            },
        };
        let document = self
            .registry
            .cancel(&identity, id, key.as_ref(), what, today())
            .await?;
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
        let found = self.registry.cancelled(&filter).await?;
        Ok(Response::new(pb::ListCancelledDocumentsResponse {
            next_page_token: next_page(&found, filter.limit),
            documents: found.iter().map(verification).collect(),
        }))
    }

    /// Public: what the registry knows of a recognition center, and whether it could act on a
    /// date.
    async fn get_known_center(
        &self,
        request: Request<pb::GetKnownCenterRequest>,
    ) -> Result<Response<pb::KnownCenter>, Status> {
        let request = request.into_inner();
        let number = center_number(request.center_number.trim(), "center_number")?;
        let as_of = day_or(&request.as_of, "as_of", today())?;
        Ok(Response::new(
            self.registry.known_center(number, as_of).await?,
        ))
    }

    /// Public: what the registry knows of a profession, now or as of a date.
    async fn get_registered_profession(
        &self,
        request: Request<pb::GetRegisteredProfessionRequest>,
    ) -> Result<Response<pb::RegisteredProfession>, Status> {
        let request = request.into_inner();
        let id = parse_id(&request.profession_id, "profession_id")?;
        let as_of = optional_date(&request.as_of, "as_of")?;
        Ok(Response::new(
            self.registry.registered_profession(id, as_of).await?,
        ))
    }
}

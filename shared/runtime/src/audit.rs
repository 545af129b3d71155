//! The auditors' window on a service's audit trail (`nsk.audit.v1.AuditTrail`), the same in
//! every service: a page of entries with filters, and the walk of the whole chain. Only
//! auditors read it, and each read is itself entered in the trail.

use chrono::{DateTime, SecondsFormat, Utc};
use nsk_db::audit::{self, Filter, Verdict};
use nsk_errors::ApiError;
use nsk_identity::{Identity, Role, TokenVerifier};
use nsk_proto::nsk::audit::v1 as pb;
use nsk_proto::nsk::audit::v1::audit_trail_server::{AuditTrail, AuditTrailServer};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

pub struct AuditTrailApi {
    service: &'static str,
    pool: PgPool,
    verifier: TokenVerifier,
}

impl AuditTrailApi {
    pub fn server(
        service: &'static str,
        pool: PgPool,
        verifier: TokenVerifier,
    ) -> AuditTrailServer<Self> {
        AuditTrailServer::new(Self {
            service,
            pool,
            verifier,
        })
    }

    fn auditor<T>(&self, request: &Request<T>, asked: &str) -> Result<Identity, ApiError> {
        let identity = self
            .verifier
            .caller(request)?
            .require(&[Role::Auditor])?
            .clone();
        if !asked.is_empty() && asked != self.service {
            return Err(ApiError::invalid_field(
                "service",
                format!("this is the trail of {}, not of {asked}", self.service),
            ));
        }
        Ok(identity)
    }

    async fn enter_read(&self, identity: &Identity, what: &str) -> Result<(), ApiError> {
        let entry = audit::Entry {
            actor: &identity.subject,
            action: "read:audit-trail",
            subject: &format!("audit/{}", self.service),
            detail: what,
        };
        audit::record(&self.pool, &entry).await?;
        Ok(())
    }
}

fn time(raw: &str, field: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    if raw.is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| {
            ApiError::invalid_field(field, "must be an RFC 3339 time, e.g. 2026-12-06T09:00:00Z")
        })
}

fn text(raw: &str, field: &str) -> Result<Option<String>, ApiError> {
    match raw.trim() {
        "" => Ok(None),
        t if t.chars().count() > 200 => Err(ApiError::invalid_field(
            field,
            "is longer than 200 characters",
        )),
        t => Ok(Some(t.to_string())),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What was asked, as the trail records it.
fn described(filter: &Filter) -> String {
    let parts: Vec<String> = [
        filter.actor.as_ref().map(|a| format!("actor={a}")),
        filter.subject.as_ref().map(|s| format!("subject={s}")),
        filter.action.as_ref().map(|a| format!("action={a}")),
        filter.from.map(|t| format!("from={}", t.to_rfc3339())),
        filter.to.map(|t| format!("to={}", t.to_rfc3339())),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "list: everything".into()
    } else {
        format!("list: {}", parts.join(" "))
    }
}

#[tonic::async_trait]
impl AuditTrail for AuditTrailApi {
    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Result<Response<pb::ListAuditEntriesResponse>, Status> {
        let identity = self.auditor(&request, &request.get_ref().service)?;
        let r = request.into_inner();
        let limit = match r.page_size {
            0 => 50,
            n @ 1..=500 => i64::from(n),
            _ => return Err(ApiError::invalid_field("page_size", "must be 1-500").into()),
        };
        let before = match r.page_token.as_str() {
            "" => None,
            token => Some(token.parse::<i64>().map_err(|_| {
                ApiError::invalid_field(
                    "page_token",
                    "must be a next_page_token of an earlier page",
                )
            })?),
        };
        let filter = Filter {
            actor: text(&r.actor, "actor")?,
            subject: text(&r.subject, "subject")?,
            action: text(&r.action, "action")?,
            from: time(&r.from, "from")?,
            to: time(&r.to, "to")?,
            before,
            limit: limit + 1,
        };
        let mut found = audit::list(&self.pool, &filter)
            .await
            .map_err(ApiError::from)?;
        self.enter_read(&identity, &described(&filter)).await?;
        let next_page_token = if found.len() as i64 > limit {
            found.truncate(limit as usize);
            found.last().map(|e| e.seq.to_string()).unwrap_or_default()
        } else {
            String::new()
        };
        let entries = found
            .into_iter()
            .map(|e| pb::AuditEntry {
                seq: e.seq,
                at: e.at.to_rfc3339_opts(SecondsFormat::Micros, true),
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                detail: e.detail,
                hash: hex(&e.hash),
            })
            .collect();
        Ok(Response::new(pb::ListAuditEntriesResponse {
            entries,
            next_page_token,
        }))
    }

    async fn verify_audit_trail(
        &self,
        request: Request<pb::VerifyAuditTrailRequest>,
    ) -> Result<Response<pb::AuditVerdict>, Status> {
        let identity = self.auditor(&request, &request.get_ref().service)?;
        let verdict = audit::verify(&self.pool).await.map_err(ApiError::from)?;
        // Entered after the walk, so that the walk reports the chain as it was asked about.
        self.enter_read(&identity, "verify").await?;
        Ok(Response::new(match verdict {
            Verdict::Intact { entries } => pb::AuditVerdict {
                intact: true,
                entries,
                ..Default::default()
            },
            Verdict::Broken { seq, why } => pb::AuditVerdict {
                intact: false,
                broken_at: seq,
                why,
                ..Default::default()
            },
        }))
    }
}

//! One function per command and read of accreditation (Law Art. 23-26): each command is one
//! transaction — the request key recorded, the application or certificate locked, the domain's
//! rule applied, the writes, the steps of the case, the events in the outbox — answering with
//! the application or certificate as it became. The gRPC handlers call these; nothing here
//! knows of gRPC.
//!
//! - `applications` — from acceptance to the decision, the agreement and the certificate;
//! - `certificates` — revocation, renewal, reissue, termination, monitoring findings;
//! - `reads` — the cases, the register of centers, the overdue deadlines.
//!
//! The conformity route (`conformity`), the notices (`notices`), the centers' results
//! (`monitoring`) and the expiry job (`expiry`) are cases of their own modules.

mod applications;
mod certificates;
mod keys;
mod reads;

pub use applications::{Appeal, Decision, Examination};
pub use certificates::{MonitoringFinding, Reissue, RevocationOrder, Successor};
pub use keys::{Issued, KeyTerms};
pub use reads::{ApplicationFilter, CenterFilter};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use nsk_calendar::SharedCalendar;
use nsk_db::requests::{Once, RequestKey};
use nsk_errors::ApiError;
use nsk_events::{EventContext, Outbox};
use nsk_identity::Identity;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::convert::calendar_error;
use crate::domain::deadlines::Deadline;
use crate::domain::Refused;
use crate::store::{self, Document, Step, StoredApplication, StoredCertificate};

pub(crate) fn refused(err: Refused) -> ApiError {
    ApiError::failed_precondition(err.0)
}

pub(crate) fn now() -> DateTime<Utc> {
    // PostgreSQL keeps microseconds; a reply must equal what a later read returns.
    Utc::now().trunc_subsecs(6)
}

/// Who acts, and on which request: what every step records.
pub struct Actor {
    pub subject: String,
    pub role: String,
    pub request_id: String,
}

impl Actor {
    pub fn new(identity: &Identity, key: Option<&RequestKey>) -> Self {
        Self {
            subject: identity.subject.clone(),
            role: identity.primary_role().to_string(),
            request_id: key
                .map(|k| k.id().to_string())
                .unwrap_or_else(|| Uuid::now_v7().to_string()),
        }
    }

    pub fn step(
        &self,
        what: impl Into<String>,
        acted_on: NaiveDate,
        document: Option<Document>,
        remarks: impl Into<String>,
    ) -> Step {
        Step {
            what: what.into(),
            actor: self.subject.clone(),
            actor_role: self.role.clone(),
            document,
            remarks: remarks.into(),
            acted_on,
            request_id: self.request_id.clone(),
            at: now(),
        }
    }

    pub fn context(&self) -> EventContext {
        EventContext {
            actor: self.subject.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// A change under way: its transaction, the aggregate locked in it, who acts.
struct Open<T> {
    tx: Transaction<'static, Postgres>,
    current: T,
    actor: Actor,
}

/// What beginning a change found: the request applied before (to that resource), or the
/// change to make.
enum Opened<T> {
    Replayed(Uuid),
    Open(Open<T>),
}

/// The next center number of Appendix 2, level 5; they are never reused.
pub(crate) async fn allocate_center_number(
    conn: &mut PgConnection,
) -> Result<nsk_kz::CenterNumber, ApiError> {
    store::allocate_center_number(conn).await.map_err(|err| {
        if matches!(&err, sqlx::Error::Database(db) if db.code().as_deref() == Some("2200H")) {
            ApiError::failed_precondition(
                "all 9999 center numbers are given; the numbering of Appendix 2 has no more",
            )
        } else {
            ApiError::from(err)
        }
    })
}

/// The commands and reads of accreditation.
pub struct Accreditation {
    pool: PgPool,
    outbox: Outbox,
    calendar: SharedCalendar,
}

impl Accreditation {
    pub fn new(pool: PgPool, outbox: Outbox, calendar: SharedCalendar) -> Self {
        Self {
            pool,
            outbox,
            calendar,
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The day a deadline of `deadline` falls due when it runs from `from`, in working days
    /// of the calendar.
    pub fn due(&self, deadline: Deadline, from: NaiveDate) -> Result<NaiveDate, ApiError> {
        deadline
            .due(&self.calendar.current(), from)
            .map_err(calendar_error)
    }

    /// Begins a change: a transaction with the request key recorded. `Err(id)` means the
    /// request was applied before, to resource `id`.
    async fn begin(
        &self,
        key: Option<&RequestKey>,
        resource: Uuid,
    ) -> Result<Result<Transaction<'static, Postgres>, Uuid>, ApiError> {
        let mut tx = self.pool.begin().await?;
        if let Once::Applied(id) = nsk_db::requests::once(&mut tx, key, resource).await? {
            tx.rollback().await?;
            return Ok(Err(id));
        }
        Ok(Ok(tx))
    }

    /// Begins a change of application `id`, locked.
    async fn open_application(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
    ) -> Result<Opened<StoredApplication>, ApiError> {
        let mut tx = match self.begin(key, id).await? {
            Ok(tx) => tx,
            Err(done) => return Ok(Opened::Replayed(done)),
        };
        let current = store::lock_application(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("application", &id.to_string()))?;
        Ok(Opened::Open(Open {
            tx,
            current,
            actor: Actor::new(identity, key),
        }))
    }

    /// Begins a change of certificate `id`, locked.
    async fn open_certificate(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
    ) -> Result<Opened<StoredCertificate>, ApiError> {
        let mut tx = match self.begin(key, id).await? {
            Ok(tx) => tx,
            Err(done) => return Ok(Opened::Replayed(done)),
        };
        let current = store::lock_certificate(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("certificate", &id.to_string()))?;
        Ok(Opened::Open(Open {
            tx,
            current,
            actor: Actor::new(identity, key),
        }))
    }
}

//! One function per command on professional standards: one transaction — the request key
//! recorded, the standard locked (its revision counted: the version of its events), the version
//! loaded, the domain's rule applied, the writes, the events in the outbox — returning the
//! version as it became, or an [`ApiError`]. The gRPC handlers call these; nothing here knows
//! of gRPC.

use chrono::{DateTime, SubsecRound, Utc};
use nsk_db::requests::{Once, RequestKey};
use nsk_errors::{ApiError, ErrorKind};
use nsk_events::{EventContext, Outbox};
use nsk_identity::{Caller, Identity, Role};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::convert::{boxed, step_to_proto};
use crate::domain::content::{ContentDraft, StandardContent};
use crate::domain::{self, FieldDiff, Party, Refusal, Stage, Step};
use crate::events::{self, Event};
use crate::store::{self, Document, StandardVersion, StepRecord};

/// Those who work on standards, and so see drafts (Art. 5.5), and auditors.
pub const WORKERS: [Role; 5] = [
    Role::SectoralBody,
    Role::IndustryCouncil,
    Role::NceOfficer,
    Role::AuthorizedBodyAdmin,
    Role::Auditor,
];

/// Whether the caller sees drafts and versions in coordination.
pub fn sees_drafts(caller: &Caller) -> bool {
    matches!(caller, Caller::Authenticated(identity) if WORKERS.iter().any(|r| identity.has(*r)))
}

/// The role that acts for a party of Art. 5.5.
pub fn role_of(party: Party) -> Role {
    match party {
        Party::SectoralBody => Role::SectoralBody,
        Party::IndustryCouncil => Role::IndustryCouncil,
        Party::Nce => Role::NceOfficer,
        Party::AuthorizedBody => Role::AuthorizedBodyAdmin,
    }
}

/// The parties of Art. 5.5 the caller acts for.
fn parties_of(identity: &Identity) -> Vec<Party> {
    [
        Party::SectoralBody,
        Party::IndustryCouncil,
        Party::Nce,
        Party::AuthorizedBody,
    ]
    .into_iter()
    .filter(|p| identity.has(role_of(*p)))
    .collect()
}

fn refused(err: Refusal) -> ApiError {
    match err {
        Refusal::OtherSector { .. } | Refusal::NoSector => {
            ApiError::permission_denied(err.to_string())
        }
        _ => ApiError::failed_precondition(err.to_string()),
    }
}

/// Art. 5.5: when the party acting is the sectoral body or the industry council, the standard
/// must be of its sector.
fn check_sector(
    identity: &Identity,
    party: Party,
    standard: &StandardVersion,
) -> Result<(), ApiError> {
    match party {
        Party::SectoralBody | Party::IndustryCouncil => {
            domain::own_sector(identity.sector.as_deref(), &standard.content().sector)
                .map_err(refused)
        }
        Party::Nce | Party::AuthorizedBody => Ok(()),
    }
}

fn now() -> DateTime<Utc> {
    // PostgreSQL keeps microseconds; a reply must equal what a later read returns.
    Utc::now().trunc_subsecs(6)
}

fn no_working_version(versions: &[(i32, Stage)]) -> ApiError {
    let newest = versions.last().copied();
    ApiError::failed_precondition(match newest {
        Some((v, stage)) => format!(
            "the standard has no version in drafting or coordination: its newest, version {v}, is {stage}; open a new version to update it"
        ),
        None => "the standard has no versions".to_string(),
    })
}

/// A change under way: its transaction, the standard's revision and versions, who acts.
struct Open {
    tx: Transaction<'static, Postgres>,
    id: Uuid,
    revision: i64,
    versions: Vec<(i32, Stage)>,
    context: EventContext,
}

enum Begun {
    /// The request was applied before: the standard as it is now.
    Replayed(StandardVersion),
    Open(Open),
}

impl Open {
    async fn load(&mut self, number: i32) -> Result<StandardVersion, ApiError> {
        let id = self.id;
        store::load(&mut self.tx, id, number).await?.ok_or_else(|| {
            ApiError::not_found("standard version", &format!("{id} version {number}"))
        })
    }

    /// The version in drafting or coordination, the one changes apply to.
    async fn working(&mut self) -> Result<StandardVersion, ApiError> {
        let number = domain::working_version(&self.versions)
            .ok_or_else(|| no_working_version(&self.versions))?;
        self.load(number).await
    }

    /// A step record of this change.
    fn step(
        &self,
        reached: Stage,
        role: Role,
        document: Option<Document>,
        remarks: String,
    ) -> StepRecord {
        StepRecord {
            reached,
            returned: false,
            conclusion: None,
            document,
            remarks,
            actor: self.context.actor.clone(),
            actor_role: role.as_str().to_string(),
            request_id: self.context.request_id.clone(),
            at: now(),
        }
    }

    /// Appends the events at the standard's revision and commits.
    async fn finish(
        mut self,
        outbox: &Outbox,
        version: StandardVersion,
        events: Vec<Event>,
    ) -> Result<StandardVersion, ApiError> {
        for event in &events {
            events::publish(
                outbox,
                &mut self.tx,
                &self.context,
                self.id,
                self.revision,
                event,
            )
            .await?;
        }
        self.tx.commit().await?;
        tracing::info!(standard_id = %self.id, version = version.version, stage = %version.stage(), "standard changed");
        Ok(version)
    }
}

/// The commands and reads of the register of standards.
pub struct Standards {
    pool: PgPool,
    outbox: Outbox,
}

impl Standards {
    pub fn new(pool: PgPool, outbox: Outbox) -> Self {
        Self { pool, outbox }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The standard as it is now, for a retried request applied before to `id`.
    async fn replay(conn: &mut PgConnection, id: Uuid) -> Result<StandardVersion, ApiError> {
        let newest = store::versions(conn, id)
            .await?
            .last()
            .map(|(v, _)| *v)
            .unwrap_or(1);
        store::load(conn, id, newest)
            .await?
            .ok_or_else(|| ApiError::not_found("standard", &id.to_string()))
    }

    /// Begins a change of standard `id`: the request key recorded (a retry replays), the
    /// standard locked and its revision counted.
    async fn begin(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
    ) -> Result<Begun, ApiError> {
        let mut tx = self.pool.begin().await?;
        if let Once::Applied(done) = nsk_db::requests::once(&mut tx, key, id).await? {
            tx.rollback().await?;
            let mut conn = self.pool.acquire().await?;
            return Ok(Begun::Replayed(Self::replay(&mut conn, done).await?));
        }
        let revision = store::lock_and_count(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("standard", &id.to_string()))?;
        let versions = store::versions(&mut tx, id).await?;
        let context = EventContext {
            actor: identity.subject.clone(),
            request_id: key
                .map(|k| k.id().to_string())
                .unwrap_or_else(|| Uuid::now_v7().to_string()),
        };
        Ok(Begun::Open(Open {
            tx,
            id,
            revision,
            versions,
            context,
        }))
    }

    /// Art. 5.5: the sectoral body develops a standard (or enters an association's draft).
    pub async fn create(
        &self,
        identity: &Identity,
        key: Option<&RequestKey>,
        content: StandardContent,
    ) -> Result<StandardVersion, ApiError> {
        // A draft that names no sector yet is of its developer's.
        let mut content = content;
        if content.sector.trim().is_empty() {
            content.sector = identity.sector.clone().unwrap_or_default();
        }
        domain::own_sector(identity.sector.as_deref(), &content.sector).map_err(refused)?;
        let at = now();
        let id = Uuid::now_v7();
        let context = EventContext {
            actor: identity.subject.clone(),
            request_id: key
                .map(|k| k.id().to_string())
                .unwrap_or_else(|| id.to_string()),
        };
        let opened = StepRecord {
            reached: Stage::Draft,
            returned: false,
            conclusion: None,
            document: None,
            remarks: "draft created".into(),
            actor: identity.subject.clone(),
            actor_role: identity.primary_role().into(),
            request_id: context.request_id.clone(),
            at,
        };
        let first = StandardVersion::draft(id, 1, content, opened);
        let mut tx = self.pool.begin().await?;
        if let Once::Applied(done) = nsk_db::requests::once(&mut tx, key, id).await? {
            tx.rollback().await?;
            let mut conn = self.pool.acquire().await?;
            return Self::replay(&mut conn, done).await;
        }
        store::create(&mut tx, &first, &identity.subject).await?;
        store::add_step(&mut tx, id, 1, &first.steps()[0]).await?;
        // The first revision of the standard (its row starts at 1).
        let event = Event::DraftCreated(boxed(&first));
        events::publish(&self.outbox, &mut tx, &context, id, 1, &event).await?;
        tx.commit().await?;
        tracing::info!(standard_id = %id, "standard draft created");
        Ok(first)
    }

    /// The developer changes the fields of `mask` of its draft (a draft only, Art. 5.5).
    pub async fn update_draft(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        proposed: ContentDraft,
        mask: Vec<String>,
    ) -> Result<StandardVersion, ApiError> {
        let mut open = match self.begin(identity, id, key).await? {
            Begun::Replayed(version) => return Ok(version),
            Begun::Open(open) => open,
        };
        let mut version = open.working().await?;
        check_sector(identity, Party::SectoralBody, &version)?;
        version.ensure_draft().map_err(refused)?;
        let next = version
            .content()
            .updated(&proposed, &mask, "standard.")
            .map_err(ApiError::invalid_fields)?;
        // Nor may a draft be moved to another sector.
        domain::own_sector(identity.sector.as_deref(), &next.sector).map_err(refused)?;
        let changed_fields: Vec<String> = domain::diff(
            &version.content().rendered_fields(),
            &next.rendered_fields(),
        )
        .into_iter()
        .map(|d| d.field)
        .collect();
        if changed_fields.is_empty() {
            return open.finish(&self.outbox, version, Vec::new()).await;
        }
        version.update_content(next, now()).map_err(refused)?;
        store::save_version(&mut open.tx, &version).await?;
        let event = Event::DraftUpdated(boxed(&version), changed_fields);
        open.finish(&self.outbox, version, vec![event]).await
    }

    /// A step of the approval in coordination (Art. 5.5), by the party the law names for it.
    pub async fn advance(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        step: Step,
        document: Option<Document>,
        remarks: String,
    ) -> Result<StandardVersion, ApiError> {
        let mut open = match self.begin(identity, id, key).await? {
            Begun::Replayed(version) => return Ok(version),
            Begun::Open(open) => open,
        };
        let mut version = open.working().await?;
        check_sector(identity, step.party(), &version)?;
        let number = version.version;
        if step == Step::Submit {
            let missing = version.content().missing_for_submission();
            if !missing.is_empty() {
                return Err(ApiError {
                    kind: ErrorKind::FailedPrecondition,
                    message: format!(
                        "the draft of version {number} is not complete enough to submit (Art. 1.14): {}",
                        missing
                            .iter()
                            .map(|v| format!("{} {}", v.field, v.description))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                    violations: missing,
                });
            }
        }
        let reached = version.advance(step, now()).map_err(refused)?;
        let mut record = open.step(reached, role_of(step.party()), document, remarks);
        if let Step::RecordNceConclusion(c) = step {
            record.conclusion = Some(c);
        }
        // Art. 5.5: the list of approved standards holds the newest version; the one it
        // replaces stays readable as superseded (only one version is published at a time).
        let mut superseded = Vec::new();
        if reached == Stage::Published {
            for (old, stage) in domain::on_publish(&open.versions, number) {
                store::set_stage(&mut open.tx, id, old, stage, record.at).await?;
                superseded.push(old);
            }
        }
        version.recorded(record.clone());
        store::save_version(&mut open.tx, &version).await?;
        store::add_step(&mut open.tx, id, number, &record).await?;
        let mut events = vec![Event::StepRecorded(
            boxed(&version),
            Box::new(step_to_proto(&record)),
        )];
        if reached == Stage::Published {
            events.push(Event::Published(boxed(&version)));
            events.extend(superseded.into_iter().map(|old| Event::Superseded {
                superseded: old,
                by: number,
            }));
        }
        open.finish(&self.outbox, version, events).await
    }

    /// A draft in coordination goes back to its developer with remarks; coordination starts
    /// again, the NCE's conclusion with it (Art. 5.5).
    pub async fn return_for_rework(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        remarks: String,
        document: Option<Document>,
    ) -> Result<StandardVersion, ApiError> {
        let mut open = match self.begin(identity, id, key).await? {
            Begun::Replayed(version) => return Ok(version),
            Begun::Open(open) => open,
        };
        let mut version = open.working().await?;
        // The caller acts for the first of its parties the law lets return it.
        let mut first_refusal = None;
        let mut acted = None;
        for party in parties_of(identity) {
            match domain::return_for_rework(version.stage(), party) {
                Ok(stage) => {
                    acted = Some((party, stage));
                    break;
                }
                Err(refusal) => {
                    first_refusal.get_or_insert(refusal);
                }
            }
        }
        let Some((party, _)) = acted else {
            return Err(first_refusal.map(refused).unwrap_or_else(|| {
                ApiError::permission_denied("only the parties of Art. 5.5 return a draft")
            }));
        };
        check_sector(identity, party, &version)?;
        let reached = version.return_for_rework(party, now()).map_err(refused)?;
        let mut record = open.step(reached, role_of(party), document, remarks);
        record.returned = true;
        version.recorded(record.clone());
        store::save_version(&mut open.tx, &version).await?;
        store::add_step(&mut open.tx, id, version.version, &record).await?;
        let events = vec![Event::StepRecorded(
            boxed(&version),
            Box::new(step_to_proto(&record)),
        )];
        open.finish(&self.outbox, version, events).await
    }

    /// The sectoral body opens a new version from the published one to update it (Art. 5.5).
    pub async fn open_new_version(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        reason: String,
    ) -> Result<StandardVersion, ApiError> {
        let mut open = match self.begin(identity, id, key).await? {
            Begun::Replayed(version) => return Ok(version),
            Begun::Open(open) => open,
        };
        let number = domain::open_new_version(&open.versions).map_err(refused)?;
        let published = open
            .versions
            .iter()
            .find(|(_, s)| *s == Stage::Published)
            .map(|(v, _)| *v)
            .ok_or_else(|| no_working_version(&open.versions))?;
        let base = open.load(published).await?;
        check_sector(identity, Party::SectoralBody, &base)?;
        let record = open.step(
            Stage::Draft,
            Role::SectoralBody,
            None,
            format!("version {number} opened from version {published}: {reason}"),
        );
        let version = StandardVersion::draft(id, number, base.content().clone(), record.clone());
        store::insert_version(&mut open.tx, &version).await?;
        store::add_step(&mut open.tx, id, number, &record).await?;
        let events = vec![Event::DraftCreated(boxed(&version))];
        open.finish(&self.outbox, version, events).await
    }

    /// A draft is abandoned by its developer; a standard in the list is withdrawn by the
    /// authorized body, which keeps the list (Art. 5.5), on a document. `wanted` 0: the newest.
    pub async fn archive(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        wanted: i32,
        reason: String,
        document: Option<Document>,
    ) -> Result<StandardVersion, ApiError> {
        let mut open = match self.begin(identity, id, key).await? {
            Begun::Replayed(version) => return Ok(version),
            Begun::Open(open) => open,
        };
        let number = if wanted == 0 {
            open.versions.last().map(|(v, _)| *v).unwrap_or(1)
        } else {
            wanted
        };
        let mut version = open.load(number).await?;
        let reached = domain::archive(version.stage()).map_err(refused)?;
        let in_the_list = version.stage() != Stage::Draft;
        let party_role = if in_the_list {
            Role::AuthorizedBodyAdmin
        } else {
            Role::SectoralBody
        };
        if !identity.has(party_role) {
            return Err(ApiError::permission_denied(format!(
                "version {number} is {}: only {} may archive it (Art. 5.5)",
                version.stage(),
                party_role.as_str()
            )));
        }
        if !in_the_list {
            check_sector(identity, Party::SectoralBody, &version)?;
        }
        if in_the_list && document.is_none() {
            return Err(ApiError::invalid_field(
                "document",
                "is required to withdraw a standard from the list: the order's number and date",
            ));
        }
        let record = open.step(reached, party_role, document, reason.clone());
        version.archive(now()).map_err(refused)?;
        version.recorded(record.clone());
        store::save_version(&mut open.tx, &version).await?;
        store::add_step(&mut open.tx, id, number, &record).await?;
        let events = vec![Event::Archived {
            version: number,
            reason,
        }];
        open.finish(&self.outbox, version, events).await
    }

    /// The version a caller asked for: `version` 0 is the newest the caller may see; the
    /// public sees the published version (or the last one that was), insiders every stage.
    pub async fn visible(
        &self,
        caller: &Caller,
        id: Uuid,
        version: i32,
    ) -> Result<StandardVersion, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let versions = store::versions(&mut conn, id).await?;
        let insider = sees_drafts(caller);
        let visible = |stage: Stage| insider || stage.is_public();
        let wanted = if version == 0 {
            let published = versions
                .iter()
                .find(|(_, s)| *s == Stage::Published)
                .map(|(v, _)| *v);
            let newest_visible = versions
                .iter()
                .rev()
                .find(|(_, s)| visible(*s))
                .map(|(v, _)| *v);
            if insider {
                newest_visible
            } else {
                published.or(newest_visible)
            }
        } else {
            versions
                .iter()
                .find(|(v, s)| *v == version && visible(*s))
                .map(|(v, _)| *v)
        };
        let not_found = || {
            if version == 0 {
                ApiError::not_found("standard", &id.to_string())
            } else {
                ApiError::not_found("standard version", &format!("{id} version {version}"))
            }
        };
        let wanted = wanted.ok_or_else(not_found)?;
        store::load(&mut conn, id, wanted)
            .await?
            .ok_or_else(not_found)
    }

    /// What changed between two versions the caller may see, field by field.
    pub async fn diff(
        &self,
        caller: &Caller,
        id: Uuid,
        from: i32,
        to: i32,
    ) -> Result<Vec<FieldDiff>, ApiError> {
        let to = self.visible(caller, id, to).await?;
        let from = self.visible(caller, id, from).await?;
        Ok(domain::diff(
            &from.content().rendered_fields(),
            &to.content().rendered_fields(),
        ))
    }

    /// A page of the list.
    pub async fn list(&self, filter: &store::ListFilter) -> Result<Vec<StandardVersion>, ApiError> {
        Ok(store::list(&self.pool, filter).await?)
    }
}

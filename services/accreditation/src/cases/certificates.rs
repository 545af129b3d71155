//! A certificate after its issuance: revocation (Art. 26.2-26.4) and renewal (Art. 26.5),
//! reissue on reorganisation (Art. 26.1), termination (Art. 26.6), monitoring under the
//! post-accreditation agreement (Art. 25.3).

use chrono::NaiveDate;
use nsk_db::requests::RequestKey;
use nsk_errors::{ApiError, FieldViolation};
use nsk_identity::Identity;
use nsk_proto::nsk::accreditation::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{allocate_center_number, now, refused, Accreditation, Actor, Open, Opened};
use crate::convert::{certificate_for_event, ground_number, reorganisation_to_proto, today};
use crate::domain::application as app;
use crate::domain::certificate::{
    self as cert, Facts, Reorganisation, Revocation, Status as CertStatus, TerminationGround,
};
use crate::domain::deadlines::Deadline;
use crate::events;
use crate::store::{self, Center, Document, Finding, RevocationRecord, StoredCertificate};

/// The NCE's decision to revoke (Art. 26.2-26.3).
pub struct RevocationOrder {
    pub revocation: Revocation,
    pub basis: Document,
    pub detected_on: NaiveDate,
    pub decided_on: NaiveDate,
}

/// A further successor of a division or separation, with its part of the scope.
pub struct Successor {
    pub bin: nsk_kz::Bin,
    pub name: String,
    pub scope: Vec<app::ScopeEntry>,
}

/// A reissue on reorganisation (Art. 26.1).
pub struct Reissue {
    pub form: Reorganisation,
    pub bin: nsk_kz::Bin,
    pub name: String,
    pub successors: Vec<Successor>,
    pub basis: Document,
}

/// What monitoring found (Art. 25.3), and whether it opens a revocation case.
pub struct MonitoringFinding {
    pub description: String,
    pub concerns_health_or_safety: bool,
    pub found_on: NaiveDate,
    pub open_revocation_case: bool,
}

impl Accreditation {
    /// Commits a change of a certificate; replies with certificate `reply` (a reissue replies
    /// with the new one).
    async fn commit_certificate(
        &self,
        open: Open<StoredCertificate>,
        reply: Uuid,
        method: &'static str,
    ) -> Result<pb::Certificate, ApiError> {
        let id = open.current.id;
        open.tx.commit().await?;
        tracing::info!(certificate_id = %id, method, "certificate changed");
        self.certificate(reply).await
    }

    /// Art. 26.2-26.4: revocation on one of the four grounds; the decision was due within 10
    /// working days of the event; a copy reaches the center through its notices; on ground 4
    /// the documents named (the center's own, in the registry) are cancelled by the registry;
    /// Art. 26.5: violations of health, life support and safety list the center.
    pub async fn revoke(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        order: RevocationOrder,
    ) -> Result<pb::Certificate, ApiError> {
        let RevocationOrder {
            revocation,
            basis,
            detected_on,
            decided_on,
        } = order;
        let decision_due = self.due(Deadline::RevocationDecision, detected_on)?;
        let copy_due = self.due(Deadline::RevocationCopy, decided_on)?;
        let mut open = match self.open_certificate(identity, id, key).await? {
            Opened::Replayed(done) => return self.certificate(done).await,
            Opened::Open(open) => open,
        };
        let tx: &mut PgConnection = &mut open.tx;
        let c = &mut open.current;
        let ground = revocation.ground;
        c.route.check_nce_act("revoke").map_err(refused)?;
        let record = RevocationRecord {
            revocation: revocation.clone(),
            basis: basis.clone(),
            detected_on,
            decided_on,
        };
        c.revoke(record, now()).map_err(refused)?;
        // Art. 26.2.4: only documents the registry holds and this center issued.
        if !revocation.documents.is_empty() {
            let held = store::issued::issued_documents(tx, &revocation.documents).await?;
            revocation
                .check_documents_of(c.center_number, &held)
                .map_err(|problems| {
                    ApiError::invalid_fields(
                        problems
                            .into_iter()
                            .map(|(i, rule)| FieldViolation {
                                field: format!("document_serial_numbers[{i}]"),
                                description: rule,
                            })
                            .collect(),
                    )
                })?;
        }
        store::save_certificate(tx, c).await?;
        // Art. 26.3: the decision was due within 10 working days of the event; a case opened
        // by monitoring is closed by it, otherwise the deadline is recorded as met (or late).
        let open_case = store::deadlines(tx, c.id)
            .await?
            .into_iter()
            .any(|d| d.kind == Deadline::RevocationDecision && d.met_on.is_none());
        if !open_case {
            store::open_deadline(
                tx,
                c.id,
                Deadline::RevocationDecision,
                detected_on,
                decision_due,
            )
            .await?;
        }
        store::meet_deadline(tx, c.id, Deadline::RevocationDecision, decided_on).await?;
        // Art. 26.4: a copy to the center within 3 working days, "electronically via the
        // digital platform": delivered to its notices now, which meets it.
        store::open_deadline(tx, c.id, Deadline::RevocationCopy, decided_on, copy_due).await?;
        let text = crate::notices::revocation_text(
            c,
            ground_number(ground),
            ground.article(),
            decided_on,
            &revocation.documents,
        );
        let kind = crate::notices::Kind::Revocation;
        crate::notices::deliver(tx, c, kind, decided_on, today(), text, Some(basis.clone()))
            .await?;
        store::meet_deadline(tx, c.id, Deadline::RevocationCopy, today()).await?;
        let what = format!(
            "revoked on ground {} ({})",
            ground_number(ground),
            ground.article()
        );
        let step = open.actor.step(what, decided_on, Some(basis), "");
        store::add_step(tx, c.id, &step).await?;
        // Art. 26.5: listed, with the founders, as not subject to renewal.
        if revocation.concerns_health_or_safety {
            if let Some(mut center) = store::get_center(tx, c.center_number).await? {
                center.not_renewable_since.get_or_insert(decided_on);
                store::save_center(tx, &center).await?;
            }
        }
        let certificate = certificate_for_event(c);
        let revocation_pb = certificate.revocation.clone().unwrap_or_default();
        let event = events::revoked(certificate.clone(), &revocation_pb);
        let context = open.actor.context();
        events::center_event(
            &self.outbox,
            tx,
            &context,
            &certificate.center_number,
            &event,
        )
        .await?;
        tracing::info!(certificate_id = %c.id, ground = ground.article(), documents = revocation.documents.len(), "certificate revoked");
        self.commit_certificate(open, id, "RevokeCertificate").await
    }

    /// Art. 26.5: a revoked certificate renewed once the violations are eliminated (the
    /// center's report is the basis).
    pub async fn renew(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        basis: Document,
    ) -> Result<pb::Certificate, ApiError> {
        let mut open = match self.open_certificate(identity, id, key).await? {
            Opened::Replayed(done) => return self.certificate(done).await,
            Opened::Open(open) => open,
        };
        let tx: &mut PgConnection = &mut open.tx;
        let c = &mut open.current;
        let on = today();
        c.route.check_nce_act("renew").map_err(refused)?;
        c.renew(on, now()).map_err(refused)?;
        store::save_certificate(tx, c).await?;
        let step = open.actor.step(
            "renewed after the violations were eliminated (Art. 26.5)",
            on,
            Some(basis.clone()),
            "",
        );
        store::add_step(tx, c.id, &step).await?;
        let text = format!(
            "By the decision of {on} the National Chamber of Entrepreneurs renewed accreditation certificate {} (Art. 26.5); it is valid until {}.",
            c.serial_number, c.valid_until
        );
        let kind = crate::notices::Kind::Renewal;
        crate::notices::deliver(tx, c, kind, on, on, text, Some(basis)).await?;
        let certificate = certificate_for_event(c);
        let event = pb::CertificateRenewed {
            certificate: Some(certificate.clone()),
        };
        let context = open.actor.context();
        events::center_event(
            &self.outbox,
            tx,
            &context,
            &certificate.center_number,
            &event,
        )
        .await?;
        self.commit_certificate(open, id, "RenewCertificate").await
    }

    /// Art. 26.1: on reorganisation the certificate is reissued to the legal successor, who
    /// keeps the center number, the scope and the validity; further successors of a division
    /// or separation get centers of their own, each for its part of the scope.
    pub async fn reissue(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        reissue: Reissue,
    ) -> Result<pb::Certificate, ApiError> {
        let mut open = match self.open_certificate(identity, id, key).await? {
            Opened::Replayed(done) => {
                // A reissue replies with the certificate it made.
                let mut conn = self.pool.acquire().await?;
                let reply = store::successor(&mut conn, done).await?.unwrap_or(done);
                return self.certificate(reply).await;
            }
            Opened::Open(open) => open,
        };
        let Reissue {
            form,
            bin,
            name,
            successors,
            basis,
        } = reissue;
        let tx: &mut PgConnection = &mut open.tx;
        let old = &mut open.current;
        let actor = &open.actor;
        let on = today();
        old.route.check_nce_act("reissue").map_err(refused)?;
        old.reissue(on, now()).map_err(refused)?;
        store::save_certificate(tx, old).await?;
        let center_code = old.center_number.to_string();
        let running = store::count_certificates(tx, old.center_number).await? + 1;
        let at = now();
        let new = StoredCertificate::issue(Facts {
            id: Uuid::now_v7(),
            serial_number: format!("{center_code}-{}-{running:03}", on.format("%Y")),
            center_number: old.center_number,
            center_bin: bin.to_string(),
            center_name: name,
            scope: old.scope.clone(),
            issued_on: on,
            valid_from: on,
            valid_until: old.valid_until,
            previous_certificate_id: Some(old.id),
            application_id: old.application_id,
            reorganisation: Some(form),
            created_at: at,
            route: old.route,
        });
        store::insert_certificate(tx, &new).await?;
        if let Some(mut center) = store::get_center(tx, old.center_number).await? {
            center.bin = new.center_bin.clone();
            center.name = new.center_name.clone();
            center.current_certificate_id = Some(new.id);
            store::save_center(tx, &center).await?;
        }
        let what = format!(
            "reissued as {} on reorganisation (Art. 26.1)",
            new.serial_number
        );
        store::add_step(tx, old.id, &actor.step(what, on, Some(basis.clone()), "")).await?;
        let what = format!(
            "issued on reorganisation, replacing {} (Art. 26.1)",
            old.serial_number
        );
        store::add_step(tx, new.id, &actor.step(what, on, Some(basis.clone()), "")).await?;
        let event = pb::CertificateReissued {
            certificate: Some(certificate_for_event(&new)),
            previous_certificate_id: old.id.to_string(),
            form: reorganisation_to_proto(form) as i32,
        };
        events::center_event(&self.outbox, tx, &actor.context(), &center_code, &event).await?;
        for successor in successors {
            self.successor_center(tx, old, &new, actor, successor, &basis)
                .await?;
        }
        let reply = new.id;
        self.commit_certificate(open, reply, "ReissueCertificate")
            .await
    }

    /// A further successor of a division or separation: a center of its own, for its part of
    /// the scope (within the old one), continuing the old certificate in part.
    async fn successor_center(
        &self,
        tx: &mut PgConnection,
        old: &StoredCertificate,
        new: &StoredCertificate,
        actor: &Actor,
        successor: Successor,
        basis: &Document,
    ) -> Result<(), ApiError> {
        let problems = cert::scope_within(&old.scope, &successor.scope);
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(
                problems
                    .into_iter()
                    .map(|(j, rule)| FieldViolation {
                        field: format!("successors.scope[{j}]"),
                        description: rule,
                    })
                    .collect(),
            ));
        }
        let on = new.issued_on;
        let number = allocate_center_number(tx).await?;
        let code = number.to_string();
        let certificate = StoredCertificate::issue(Facts {
            id: Uuid::now_v7(),
            serial_number: format!("{code}-{}-001", on.format("%Y")),
            center_number: number,
            center_bin: successor.bin.to_string(),
            center_name: successor.name.clone(),
            scope: if successor.scope.is_empty() {
                old.scope.clone()
            } else {
                successor.scope
            },
            previous_certificate_id: Some(old.id),
            ..new.facts()
        });
        let center = Center {
            number,
            bin: certificate.center_bin.clone(),
            name: successor.name,
            founders: Vec::new(),
            not_renewable_since: None,
            current_certificate_id: None,
            predecessor_number: Some(old.center_number),
        };
        store::insert_center(tx, &center, new.created_at).await?;
        store::insert_certificate(tx, &certificate).await?;
        let current = Center {
            current_certificate_id: Some(certificate.id),
            ..center
        };
        store::save_center(tx, &current).await?;
        let form = new
            .reorganisation
            .map(|f| format!("{f:?}").to_lowercase())
            .unwrap_or_default();
        let what = format!(
            "issued to a successor on {form} of center {}, whose certificate {} it continues in part (Art. 26.1)",
            old.center_number, old.serial_number
        );
        let step = actor.step(what, on, Some(basis.clone()), "");
        store::add_step(tx, certificate.id, &step).await?;
        let event = pb::CertificateIssued {
            certificate: Some(certificate_for_event(&certificate)),
            replaced_certificate_id: String::new(),
        };
        events::center_event(&self.outbox, tx, &actor.context(), &code, &event).await?;
        Ok(())
    }

    /// Art. 26.6: termination on one of its grounds, announced to the center.
    pub async fn terminate(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        ground: TerminationGround,
        basis: Document,
    ) -> Result<pb::Certificate, ApiError> {
        let Open {
            mut tx,
            current,
            actor,
        } = match self.open_certificate(identity, id, key).await? {
            Opened::Replayed(done) => return self.certificate(done).await,
            Opened::Open(open) => open,
        };
        let on = today();
        let termination = crate::expiry::Termination {
            ground,
            on,
            basis: Some(basis.clone()),
            actor: &actor.subject,
            actor_role: &actor.role,
            request_id: &actor.request_id,
        };
        let c = crate::expiry::terminate(&mut tx, &self.outbox, current, termination).await?;
        let text = format!(
            "Accreditation certificate {} is terminated from {on} ({}).",
            c.serial_number,
            ground.article()
        );
        let kind = crate::notices::Kind::Termination;
        crate::notices::deliver(&mut tx, &c, kind, on, on, text, Some(basis)).await?;
        let open = Open {
            tx,
            current: c,
            actor,
        };
        self.commit_certificate(open, id, "TerminateCertificate")
            .await
    }

    /// Art. 25.3: a monitoring finding on an active center; one may open a revocation case,
    /// whose decision is then due within 10 working days (Art. 26.3). A retried request
    /// answers with the finding its first attempt recorded.
    pub async fn record_finding(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        found: MonitoringFinding,
    ) -> Result<Finding, ApiError> {
        let decision_due = self.due(Deadline::RevocationDecision, found.found_on)?;
        let finding = Finding {
            id: Uuid::now_v7(),
            certificate_id: id,
            description: found.description,
            concerns_health_or_safety: found.concerns_health_or_safety,
            found_on: found.found_on,
            opened_revocation_case: found.open_revocation_case,
            revocation_decision_due: found.open_revocation_case.then_some(decision_due),
            request_id: key.map(|k| k.id().to_string()),
            actor: identity.subject.clone(),
            actor_role: identity.primary_role().to_string(),
            at: now(),
        };
        let mut open = match self.open_certificate(identity, id, key).await? {
            Opened::Replayed(_) => {
                let mut conn = self.pool.acquire().await?;
                let first = match key {
                    Some(key) => {
                        store::finding_by_request(&mut conn, &identity.subject, key.id()).await?
                    }
                    None => None,
                };
                return first.ok_or_else(|| ApiError::internal("a retried finding vanished"));
            }
            Opened::Open(open) => open,
        };
        let tx: &mut PgConnection = &mut open.tx;
        let c = &open.current;
        if c.status() != CertStatus::Active {
            return Err(ApiError::failed_precondition(format!(
                "the certificate is {}: monitoring under the post-accreditation agreement concerns active centers (Art. 25.3)",
                c.status()
            )));
        }
        store::insert_finding(tx, &finding).await?;
        let mut what = "monitoring finding recorded (Art. 25.3)".to_string();
        if found.open_revocation_case {
            let open_case = store::deadlines(tx, c.id)
                .await?
                .into_iter()
                .any(|d| d.kind == Deadline::RevocationDecision && d.met_on.is_none());
            if !open_case {
                let kind = Deadline::RevocationDecision;
                store::open_deadline(tx, c.id, kind, finding.found_on, decision_due).await?;
            }
            what = format!(
                "{what}; revocation case opened, decision due by {decision_due} (Art. 26.3)"
            );
        }
        let step = open
            .actor
            .step(what, finding.found_on, None, finding.description.clone());
        store::add_step(tx, c.id, &step).await?;
        open.tx.commit().await?;
        tracing::info!(certificate_id = %id, "monitoring finding recorded");
        Ok(finding)
    }
}

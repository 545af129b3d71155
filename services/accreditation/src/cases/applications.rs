//! An application from its acceptance (Art. 23.2.1) to the decision (Art. 25.1), the reasons
//! of a refusal (Art. 25.4), an appeal (Art. 25.5), the post-accreditation agreement and the
//! certificate (Art. 25.2).

use chrono::NaiveDate;
use nsk_db::requests::RequestKey;
use nsk_errors::ApiError;
use nsk_identity::Identity;
use nsk_proto::nsk::accreditation::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{allocate_center_number, now, refused, Accreditation, Actor, Open, Opened};
use crate::convert::{application_to_proto, certificate_for_event, not_before, today};
use crate::domain::application::AppealOutcome;
use crate::domain::application::{self as app, ApplicationForm, Assessment, Stage};
use crate::domain::certificate::{self as cert, Facts, Status as CertStatus};
use crate::domain::deadlines::Deadline;
use crate::domain::listing;
use crate::events;
use crate::store::{
    self, AppealBody, Center, DecisionRecord, Document, StoredApplication, StoredCertificate,
};

/// An examination of documents, or on site with its report (Art. 23.2.2-23.2.3, 23.3).
pub struct Examination {
    pub examined_on: NaiveDate,
    pub examiner: String,
    pub report: Option<Vec<Assessment>>,
    pub remarks: String,
}

/// The NCE's decision, coordinated with the authorized body (Art. 25.1).
pub struct Decision {
    pub accredit: bool,
    pub reasons: String,
    pub coordination: Document,
    pub decided_on: NaiveDate,
}

/// The outcome of an appeal of a refusal (Art. 25.5).
pub struct Appeal {
    pub body: AppealBody,
    pub overturned: bool,
    pub reopen_at: Option<Stage>,
    pub decision: Document,
    pub decided_on: NaiveDate,
}

impl Accreditation {
    /// Writes the application as changed, with the step, and commits.
    async fn commit_application(
        &self,
        open: Open<StoredApplication>,
        method: &'static str,
    ) -> Result<pb::Application, ApiError> {
        let id = open.current.id;
        open.tx.commit().await?;
        tracing::info!(application_id = %id, method, "application changed");
        self.application(id).await
    }

    /// Art. 23.1-23.2.1: an NCE officer accepts an application for consideration.
    pub async fn create_application(
        &self,
        identity: &Identity,
        key: Option<&RequestKey>,
        form: ApplicationForm,
        filed_on: NaiveDate,
    ) -> Result<pb::Application, ApiError> {
        let id = Uuid::now_v7();
        let mut tx = match self.begin(key, id).await? {
            Ok(tx) => tx,
            Err(done) => return self.application(done).await,
        };
        // Art. 24.1.3: the professions are in the register.
        let ids: Vec<Uuid> = form
            .requested_scope
            .iter()
            .map(|s| s.profession_id)
            .collect();
        let known = store::registered_professions(&mut tx, &ids).await?;
        let violations = app::check_scope_in_register(
            &form.requested_scope,
            "application.requested_scope",
            |id| known.get(&id).cloned(),
        );
        if !violations.is_empty() {
            return Err(ApiError::invalid_fields(violations));
        }
        // Art. 26.5: a center listed as not subject to renewal gets no new certificate.
        let listed = store::listed_centers(&mut tx).await?;
        listing::check_not_listed(form.applicant_bin.as_str(), &listed).map_err(refused)?;
        // Art. 23.5: re-accreditation continues an active certificate, applied for in time.
        if let Some(previous) = form.previous_certificate_id {
            let old = store::get_certificate(&mut tx, previous)
                .await?
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "application.previous_certificate_id",
                        "names no certificate",
                    )
                })?;
            listing::check_submission_date(filed_on, today(), Some(old.issued_on))
                .map_err(|rule| ApiError::invalid_field("application.filed_on", rule))?;
            cert::check_reaccreditation(old.status(), old.valid_until, filed_on)
                .map_err(refused)?;
            if old.center_bin != form.applicant_bin.as_str() {
                return Err(ApiError::failed_precondition(format!(
                    "certificate {previous} belongs to the center with BIN {}; re-accreditation is applied for by the same legal entity (Art. 23.5)",
                    old.center_bin
                )));
            }
        }
        let at = now();
        let application = StoredApplication::accept(id, form, filed_on, at);
        let actor = Actor::new(identity, key);
        store::insert_application(&mut tx, &application).await?;
        let step = actor.step(
            "accepted for consideration (Art. 23.2.1)",
            filed_on,
            None,
            "",
        );
        store::add_step(&mut tx, id, &step).await?;
        let event = pb::ApplicationFiled {
            application: Some(application_to_proto(&application, &[], &[])),
        };
        events::application_event(&self.outbox, &mut tx, &actor.context(), id, &event).await?;
        tx.commit().await?;
        tracing::info!(application_id = %id, bin = application.form.applicant_bin.as_str(), "application accepted");
        self.application(id).await
    }

    /// Art. 23.2.2-23.2.3, 23.3: the documents examined, or the center examined on site.
    pub async fn record_examination(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        exam: Examination,
    ) -> Result<pb::Application, ApiError> {
        let mut open = match self.open_application(identity, id, key).await? {
            Opened::Replayed(done) => return self.application(done).await,
            Opened::Open(open) => open,
        };
        let a = &mut open.current;
        not_before(
            exam.examined_on,
            a.filed_on,
            "examined_on",
            "the filing of the application",
        )?;
        let examiner = exam.examiner;
        let what = match exam.report {
            Some(report) => {
                a.examine_on_site(report, now()).map_err(refused)?;
                format!("examined on site by {examiner} (Art. 23.2.3, 23.3)")
            }
            None => {
                a.examine_documents(now()).map_err(refused)?;
                format!("documents examined by {examiner} (Art. 23.2.2)")
            }
        };
        let step = open.actor.step(what, exam.examined_on, None, exam.remarks);
        let tx: &mut PgConnection = &mut open.tx;
        store::save_application(tx, &open.current).await?;
        store::add_step(tx, id, &step).await?;
        self.commit_application(open, "RecordExamination").await
    }

    /// Art. 25.1: the decision, in coordination with the authorized body; its deadline opens
    /// (the certificate within 10 working days, or the reasons of a refusal within 3).
    pub async fn decide(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        decision: Decision,
    ) -> Result<pb::Application, ApiError> {
        let Decision {
            accredit,
            reasons,
            coordination,
            decided_on,
        } = decision;
        let deadline = if accredit {
            Deadline::CertificateIssuance
        } else {
            Deadline::RefusalReasons
        };
        let deadline_due = self.due(deadline, decided_on)?;
        let Open {
            mut tx,
            current: mut a,
            actor,
        } = match self.open_application(identity, id, key).await? {
            Opened::Replayed(done) => return self.application(done).await,
            Opened::Open(open) => open,
        };
        not_before(
            decided_on,
            a.filed_on,
            "decided_on",
            "the filing of the application",
        )?;
        let decision = DecisionRecord {
            accredit,
            reasons: reasons.clone(),
            coordination: coordination.clone(),
            decided_on,
        };
        a.decide(decision, now()).map_err(refused)?;
        // Art. 26.5: listed while its application was pending: no certificate.
        if accredit {
            let listed = store::listed_centers(&mut tx).await?;
            listing::check_not_listed(a.form.applicant_bin.as_str(), &listed).map_err(refused)?;
        }
        store::save_application(&mut tx, &a).await?;
        let what = if accredit {
            "decided: accredit (Art. 25.1)"
        } else {
            "decided: refuse (Art. 25.1)"
        };
        let step = actor.step(what, decided_on, Some(coordination), reasons.clone());
        store::add_step(&mut tx, a.id, &step).await?;
        store::open_deadline(&mut tx, a.id, deadline, decided_on, deadline_due).await?;
        let event = pb::ApplicationDecided {
            application: Some(application_to_proto(&a, &[], &[])),
            accredited: accredit,
            reasons,
        };
        events::application_event(&self.outbox, &mut tx, &actor.context(), a.id, &event).await?;
        let open = Open {
            tx,
            current: a,
            actor,
        };
        self.commit_application(open, "DecideApplication").await
    }

    /// Art. 25.4: the reasons of a refusal are sent to the applicant (within 3 working days).
    pub async fn record_refusal_sent(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        sent_on: NaiveDate,
    ) -> Result<pb::Application, ApiError> {
        let mut open = match self.open_application(identity, id, key).await? {
            Opened::Replayed(done) => return self.application(done).await,
            Opened::Open(open) => open,
        };
        let a = &mut open.current;
        if let Some(decision) = a.decision() {
            not_before(sent_on, decision.decided_on, "sent_on", "the decision")?;
        }
        a.send_refusal_reasons(now()).map_err(refused)?;
        let step = open.actor.step(
            "reasons for refusal sent to the applicant (Art. 25.4)",
            sent_on,
            None,
            "",
        );
        let tx: &mut PgConnection = &mut open.tx;
        store::save_application(tx, &open.current).await?;
        store::meet_deadline(tx, id, Deadline::RefusalReasons, sent_on).await?;
        store::add_step(tx, id, &step).await?;
        self.commit_application(open, "RecordRefusalSent").await
    }

    /// Art. 25.5: a refusal appealed, upheld or overturned (the case then runs again from the
    /// stage named, to a new decision).
    pub async fn record_appeal_outcome(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        appeal: Appeal,
    ) -> Result<pb::Application, ApiError> {
        let mut open = match self.open_application(identity, id, key).await? {
            Opened::Replayed(done) => return self.application(done).await,
            Opened::Open(open) => open,
        };
        let a = &mut open.current;
        if let Some(refusal) = a.decision() {
            not_before(
                appeal.decided_on,
                refusal.decided_on,
                "decided_on",
                "the refusal",
            )?;
        }
        let overturned = appeal.overturned;
        a.record_appeal(
            AppealOutcome {
                body: appeal.body,
                overturned,
                reopen_at: appeal.reopen_at,
                decision: appeal.decision.clone(),
                decided_on: appeal.decided_on,
            },
            now(),
        )
        .map_err(refused)?;
        let what = if overturned {
            format!(
                "refusal overturned on appeal; reopened at {} (Art. 25.5)",
                a.stage()
            )
        } else {
            "refusal upheld on appeal (Art. 25.5)".to_string()
        };
        let step = open
            .actor
            .step(what, appeal.decided_on, Some(appeal.decision), "");
        let tx: &mut PgConnection = &mut open.tx;
        store::save_application(tx, &open.current).await?;
        store::add_step(tx, id, &step).await?;
        self.commit_application(open, "RecordAppealOutcome").await
    }

    /// Art. 25.2: the post-accreditation agreement is concluded.
    pub async fn conclude_agreement(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        agreement: Document,
    ) -> Result<pb::Application, ApiError> {
        let mut open = match self.open_application(identity, id, key).await? {
            Opened::Replayed(done) => return self.application(done).await,
            Opened::Open(open) => open,
        };
        let a = &mut open.current;
        a.conclude_agreement(agreement.clone(), now())
            .map_err(refused)?;
        let step = open.actor.step(
            "post-accreditation agreement concluded (Art. 25.2)",
            agreement.date,
            Some(agreement),
            "",
        );
        let tx: &mut PgConnection = &mut open.tx;
        store::save_application(tx, &open.current).await?;
        store::add_step(tx, id, &step).await?;
        self.commit_application(open, "ConcludeAgreement").await
    }

    /// Art. 25.2: the certificate of an application decided to accredit, within 10 working
    /// days of the decision (a late one is recorded). The center keeps its number through
    /// re-accreditation; a first accreditation gets one.
    pub async fn issue_certificate(
        &self,
        identity: &Identity,
        id: Uuid,
        key: Option<&RequestKey>,
        issued_on: NaiveDate,
    ) -> Result<pb::Certificate, ApiError> {
        let Open {
            mut tx,
            current: mut a,
            actor,
        } = match self.open_application(identity, id, key).await? {
            Opened::Replayed(done) => {
                let mut conn = self.pool.acquire().await?;
                let certificate = store::get_application(&mut conn, done)
                    .await?
                    .and_then(|a| a.certificate_id())
                    .ok_or_else(|| ApiError::internal("a retried issuance lost its certificate"))?;
                return self.certificate(certificate).await;
            }
            Opened::Open(open) => open,
        };
        a.may_issue_certificate().map_err(refused)?;
        // Art. 26.5: a center listed after the decision still gets no certificate.
        let listed = store::listed_centers(&mut tx).await?;
        listing::check_not_listed(a.form.applicant_bin.as_str(), &listed).map_err(refused)?;
        if let Some(decision) = a.decision() {
            not_before(issued_on, decision.decided_on, "issued_on", "the decision")?;
        }
        let at = now();
        let (valid_from, valid_until) = cert::validity(issued_on)
            .ok_or_else(|| ApiError::invalid_field("issued_on", "is out of range"))?;
        let (center_number, replaced) = center_for(&mut tx, &a, &actor, issued_on, at).await?;
        let center_code = center_number.to_string();
        let running = store::count_certificates(&mut tx, center_number).await? + 1;
        let certificate = StoredCertificate::issue(Facts {
            id: Uuid::now_v7(),
            serial_number: format!("{center_code}-{}-{running:03}", issued_on.format("%Y")),
            center_number,
            center_bin: a.form.applicant_bin.to_string(),
            center_name: a.form.applicant_name.clone(),
            scope: a.form.requested_scope.clone(),
            issued_on,
            valid_from,
            valid_until,
            previous_certificate_id: replaced,
            application_id: Some(a.id),
            reorganisation: None,
            created_at: at,
            route: cert::Route::Nce,
        });
        store::insert_certificate(&mut tx, &certificate).await?;
        let mut center = store::get_center(&mut tx, center_number)
            .await?
            .ok_or_else(|| ApiError::internal(format!("center {center_number} vanished")))?;
        center.current_certificate_id = Some(certificate.id);
        center.bin = certificate.center_bin.clone();
        center.name = certificate.center_name.clone();
        store::save_center(&mut tx, &center).await?;
        a.certificate_issued(certificate.id, at).map_err(refused)?;
        store::save_application(&mut tx, &a).await?;
        // Art. 25.2: within 10 working days of the decision; a late issuance is recorded.
        store::meet_deadline(&mut tx, a.id, Deadline::CertificateIssuance, issued_on).await?;
        let what = format!(
            "certificate {} issued (Art. 25.2)",
            certificate.serial_number
        );
        store::add_step(
            &mut tx,
            a.id,
            &actor.step(what.clone(), issued_on, None, ""),
        )
        .await?;
        store::add_step(
            &mut tx,
            certificate.id,
            &actor.step(what, issued_on, None, ""),
        )
        .await?;
        let event = pb::CertificateIssued {
            certificate: Some(certificate_for_event(&certificate)),
            replaced_certificate_id: replaced.map(|id| id.to_string()).unwrap_or_default(),
        };
        events::center_event(
            &self.outbox,
            &mut tx,
            &actor.context(),
            &center_code,
            &event,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(certificate_id = %certificate.id, center = %center_code, serial = %certificate.serial_number, "certificate issued");
        self.certificate(certificate.id).await
    }
}

/// The center a certificate is issued to: on re-accreditation the one of the certificate it
/// replaces (which ends, Art. 23.5), else a new center with a new number. Returns its number
/// and the certificate replaced.
async fn center_for(
    tx: &mut PgConnection,
    a: &StoredApplication,
    actor: &Actor,
    issued_on: NaiveDate,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(nsk_kz::CenterNumber, Option<Uuid>), ApiError> {
    match a.form.previous_certificate_id {
        Some(previous) => {
            let mut old = store::lock_certificate(tx, previous)
                .await?
                .ok_or_else(|| ApiError::internal(format!("certificate {previous} vanished")))?;
            if old.status() == CertStatus::Active {
                old.replace(issued_on, at);
                store::save_certificate(tx, &old).await?;
                let step = actor.step(
                    "replaced by the certificate of re-accreditation (Art. 23.5)",
                    issued_on,
                    None,
                    "",
                );
                store::add_step(tx, old.id, &step).await?;
            }
            Ok((old.center_number, Some(old.id)))
        }
        None => {
            let number = allocate_center_number(tx).await?;
            let center = Center {
                number,
                bin: a.form.applicant_bin.to_string(),
                name: a.form.applicant_name.clone(),
                founders: a.form.founders.clone(),
                not_renewable_since: None,
                current_certificate_id: None,
                predecessor_number: None,
            };
            store::insert_center(tx, &center, at).await?;
            Ok((number, None))
        }
    }
}

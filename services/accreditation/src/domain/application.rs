//! The application for accreditation: who may apply (Art. 1.18, 24.2), with what evidence
//! (Art. 24.1), and the stages it goes through (Art. 23.2, 23.3, 25.1).

use nsk_errors::FieldViolation;
use nsk_kz::Bin;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Refused;

/// The stages of Art. 23.2, and the refusal's notice of Art. 25.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// (1) accepted for consideration.
    Accepted,
    /// (2) the documents were examined.
    DocumentsExamined,
    /// (3) the applicant was examined on site, with a report on each criterion (Art. 23.3).
    SiteExamined,
    /// (4) decided: accredit.
    Accredited,
    /// (4) decided: refuse.
    Refused,
    /// The reasons for refusal were sent to the applicant (Art. 25.4).
    ReasonsSent,
    /// (5) the certificate was issued (Art. 25.2).
    CertificateIssued,
    /// (6) the post-accreditation agreement was concluded (Art. 25.2).
    AgreementConcluded,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Stage::Accepted,
        Stage::DocumentsExamined,
        Stage::SiteExamined,
        Stage::Accredited,
        Stage::Refused,
        Stage::ReasonsSent,
        Stage::CertificateIssued,
        Stage::AgreementConcluded,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Stage::Accepted => "accepted",
            Stage::DocumentsExamined => "documents_examined",
            Stage::SiteExamined => "site_examined",
            Stage::Accredited => "accredited",
            Stage::Refused => "refused",
            Stage::ReasonsSent => "reasons_sent",
            Stage::CertificateIssued => "certificate_issued",
            Stage::AgreementConcluded => "agreement_concluded",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// In words, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Accepted => "accepted, awaiting examination of its documents",
            Stage::DocumentsExamined => {
                "past the examination of documents, awaiting the on-site examination"
            }
            Stage::SiteExamined => "examined on site, awaiting the decision",
            Stage::Accredited => "decided: accredited, awaiting the certificate",
            Stage::Refused => "decided: refused, awaiting the notice of reasons",
            Stage::ReasonsSent => "refused, the reasons sent",
            Stage::CertificateIssued => {
                "accredited with a certificate, awaiting the post-accreditation agreement"
            }
            Stage::AgreementConcluded => "accredited, the post-accreditation agreement concluded",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The criteria of Art. 24.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// (1) the status of a legal entity.
    LegalEntity,
    /// (2) premises, equipment and material resources held by one of the rights the law lists.
    PremisesAndEquipment,
    /// (3) professions that are in the register of professions.
    ProfessionsInRegister,
    /// (4) draft qualification programmes meeting the authorized body's requirements.
    QualificationProgrammes,
    /// (5) qualified staff.
    QualifiedStaff,
}

impl Criterion {
    pub const ALL: [Criterion; 5] = [
        Criterion::LegalEntity,
        Criterion::PremisesAndEquipment,
        Criterion::ProfessionsInRegister,
        Criterion::QualificationProgrammes,
        Criterion::QualifiedStaff,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Criterion::LegalEntity => "legal_entity",
            Criterion::PremisesAndEquipment => "premises_and_equipment",
            Criterion::ProfessionsInRegister => "professions_in_register",
            Criterion::QualificationProgrammes => "qualification_programmes",
            Criterion::QualifiedStaff => "qualified_staff",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code.trim())
    }

    fn codes() -> String {
        Self::ALL.map(Criterion::code).join(", ")
    }
}

/// The right by which the applicant holds its premises and equipment (Art. 24.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PremisesRight {
    Ownership,
    EconomicManagement,
    OperationalManagement,
    JointActivityAgreement,
    TemporaryPossession,
}

/// Evidence the applicant files for one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub criterion: Criterion,
    pub description: String,
    pub document_refs: Vec<String>,
}

/// A profession (and its NQF levels) a center may recognise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeEntry {
    pub profession_id: Uuid,
    pub nqf_levels: Vec<u8>,
}

/// A validated application form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationForm {
    pub applicant_bin: Bin,
    pub applicant_name: String,
    /// Founders (participants) of the applicant: published if the center is ever listed as
    /// not subject to renewal (Art. 26.5).
    pub founders: Vec<String>,
    pub premises_right: PremisesRight,
    pub requested_scope: Vec<ScopeEntry>,
    pub evidence: Vec<Evidence>,
    /// For re-accreditation (Art. 23.5): the certificate it follows.
    pub previous_certificate_id: Option<Uuid>,
}

/// The form as the caller sends it.
#[derive(Debug, Clone, Default)]
pub struct FormDraft {
    pub applicant_bin: String,
    pub applicant_name: String,
    pub founders: Vec<String>,
    pub at_educational_institution: bool,
    pub premises_right: Option<PremisesRight>,
    /// (profession id, levels) as sent.
    pub requested_scope: Vec<(String, Vec<i32>)>,
    /// (criterion code, description, document references) as sent.
    pub evidence: Vec<(String, String, Vec<String>)>,
    pub previous_certificate_id: String,
}

const MAX_TEXT: usize = 2000;

impl ApplicationForm {
    /// Checks the form; `prefix` is its path in the request. Every problem is named.
    pub fn parse(draft: &FormDraft, prefix: &str) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Vec::new();
        let mut violate = |field: String, rule: String| {
            violations.push(FieldViolation {
                field: format!("{prefix}{field}"),
                description: rule,
            })
        };
        // Art. 1.18, 24.1.1: the applicant is a legal entity, named by its BIN.
        let bin = Bin::parse(&draft.applicant_bin)
            .map_err(|rule| violate("applicant_bin".into(), rule.into()))
            .ok();
        let applicant_name = draft.applicant_name.trim().to_string();
        if applicant_name.is_empty() || applicant_name.chars().count() > 500 {
            violate(
                "applicant_name".into(),
                "is required: the applicant's registered name, at most 500 characters".into(),
            );
        }
        // Art. 24.2: no recognition center at an educational institution.
        if draft.at_educational_institution {
            violate(
                "at_educational_institution".into(),
                "a recognition center may not be set up at an educational institution (Art. 24.2)"
                    .into(),
            );
        }
        if draft.premises_right.is_none() {
            violate(
                "premises_right".into(),
                "is required: ownership, economic management, operational management, a joint activity agreement or temporary possession (Art. 24.1.2)".into(),
            );
        }
        let founders: Vec<String> = draft
            .founders
            .iter()
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect();
        if founders.is_empty() {
            violate(
                "founders".into(),
                "must name at least one founder (participant) of the applicant (Art. 26.5)".into(),
            );
        }

        let mut requested_scope: Vec<ScopeEntry> = Vec::new();
        if draft.requested_scope.is_empty() {
            violate(
                "requested_scope".into(),
                "must name at least one profession from the register (Art. 24.1.3)".into(),
            );
        }
        for (i, (raw_id, raw_levels)) in draft.requested_scope.iter().enumerate() {
            let at = format!("requested_scope[{i}]");
            let Ok(profession_id) = Uuid::parse_str(raw_id.trim()) else {
                violate(
                    format!("{at}.profession_id"),
                    "must be the id of a profession in the register".into(),
                );
                continue;
            };
            if requested_scope
                .iter()
                .any(|s| s.profession_id == profession_id)
            {
                violate(
                    format!("{at}.profession_id"),
                    "names a profession already in the scope; list its levels once".into(),
                );
                continue;
            }
            let mut levels: Vec<u8> = Vec::new();
            for raw in raw_levels {
                match u8::try_from(*raw).ok().filter(|l| (1..=8).contains(l)) {
                    Some(level) if !levels.contains(&level) => levels.push(level),
                    Some(_) => {
                        violate(format!("{at}.nqf_levels"), "must not repeat a level".into())
                    }
                    None => violate(
                        format!("{at}.nqf_levels"),
                        "must be NQF levels from 1 to 8".into(),
                    ),
                }
            }
            if raw_levels.is_empty() {
                violate(
                    format!("{at}.nqf_levels"),
                    "must name the NQF levels the center would recognise".into(),
                );
            }
            levels.sort_unstable();
            requested_scope.push(ScopeEntry {
                profession_id,
                nqf_levels: levels,
            });
        }

        let mut evidence: Vec<Evidence> = Vec::new();
        for (i, (code, description, refs)) in draft.evidence.iter().enumerate() {
            let at = format!("evidence[{i}]");
            let Some(criterion) = Criterion::from_code(code) else {
                violate(
                    format!("{at}.criterion"),
                    format!("must be a criterion of Art. 24.1: {}", Criterion::codes()),
                );
                continue;
            };
            let description = description.trim().to_string();
            if description.is_empty() || description.chars().count() > MAX_TEXT {
                violate(
                    format!("{at}.description"),
                    "is required: what the evidence shows, at most 2000 characters".into(),
                );
            }
            evidence.push(Evidence {
                criterion,
                description,
                document_refs: refs
                    .iter()
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty())
                    .collect(),
            });
        }
        // Art. 24.1: evidence for every criterion; the professions are the scope itself.
        for criterion in Criterion::ALL {
            if criterion != Criterion::ProfessionsInRegister
                && !evidence.iter().any(|e| e.criterion == criterion)
            {
                violate(
                    "evidence".into(),
                    format!(
                        "must include evidence for the criterion {} (Art. 24.1)",
                        criterion.code()
                    ),
                );
            }
        }
        let previous_certificate_id = match draft.previous_certificate_id.trim() {
            "" => None,
            raw => match Uuid::parse_str(raw) {
                Ok(id) => Some(id),
                Err(_) => {
                    violate(
                        "previous_certificate_id".into(),
                        "must be the id of the certificate being renewed by re-accreditation"
                            .into(),
                    );
                    None
                }
            },
        };
        match (bin, draft.premises_right) {
            (Some(applicant_bin), Some(premises_right)) if violations.is_empty() => Ok(Self {
                applicant_bin,
                applicant_name,
                founders,
                premises_right,
                requested_scope,
                evidence,
                previous_certificate_id,
            }),
            _ => Err(violations),
        }
    }
}

/// What the register of professions says of a profession, for Art. 24.1.3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredProfession {
    pub active: bool,
    pub nqf_levels: Vec<u8>,
}

/// Art. 24.1.3: every profession of the scope is in the register (and not excluded), at the
/// levels asked. `lookup` answers from the register as this service knows it.
pub fn check_scope_in_register(
    scope: &[ScopeEntry],
    field: &str,
    lookup: impl Fn(Uuid) -> Option<RegisteredProfession>,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    for (i, entry) in scope.iter().enumerate() {
        let at = format!("{field}[{i}]");
        match lookup(entry.profession_id) {
            None => violations.push(FieldViolation {
                field: format!("{at}.profession_id"),
                description: format!(
                    "profession {} is not in the register of professions (Art. 24.1.3)",
                    entry.profession_id
                ),
            }),
            Some(found) if !found.active => violations.push(FieldViolation {
                field: format!("{at}.profession_id"),
                description: format!(
                    "profession {} was excluded from the register of professions (Art. 24.1.3)",
                    entry.profession_id
                ),
            }),
            Some(found) => {
                let missing: Vec<String> = entry
                    .nqf_levels
                    .iter()
                    .filter(|l| !found.nqf_levels.contains(l))
                    .map(u8::to_string)
                    .collect();
                if !missing.is_empty() {
                    violations.push(FieldViolation {
                        field: format!("{at}.nqf_levels"),
                        description: format!(
                            "the register recognises this profession at levels {}, not {}",
                            found
                                .nqf_levels
                                .iter()
                                .map(u8::to_string)
                                .collect::<Vec<_>>()
                                .join(", "),
                            missing.join(", ")
                        ),
                    });
                }
            }
        }
    }
    violations
}

/// One criterion assessed in the on-site report (Art. 23.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub criterion: Criterion,
    pub met: bool,
    pub reasoning: String,
}

/// Checks an on-site report: each criterion of Art. 24.1 assessed once, each with its
/// reasoning (Art. 23.3: a reasoned and objective report). `raw` is (criterion, met,
/// reasoning) as sent.
pub fn parse_report(
    raw: &[(String, bool, String)],
) -> Result<Vec<Assessment>, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut report: Vec<Assessment> = Vec::new();
    for (i, (code, met, reasoning)) in raw.iter().enumerate() {
        let at = format!("assessments[{i}]");
        let Some(criterion) = Criterion::from_code(code) else {
            violations.push(FieldViolation {
                field: format!("{at}.criterion"),
                description: format!("must be a criterion of Art. 24.1: {}", Criterion::codes()),
            });
            continue;
        };
        if report.iter().any(|a| a.criterion == criterion) {
            violations.push(FieldViolation {
                field: format!("{at}.criterion"),
                description: "assesses a criterion already assessed in this report".into(),
            });
            continue;
        }
        let reasoning = reasoning.trim().to_string();
        if reasoning.is_empty() {
            violations.push(FieldViolation {
                field: format!("{at}.reasoning"),
                description: "is required: the report is reasoned for each criterion (Art. 23.3)"
                    .into(),
            });
        }
        report.push(Assessment {
            criterion,
            met: *met,
            reasoning,
        });
    }
    for criterion in Criterion::ALL {
        if !report.iter().any(|a| a.criterion == criterion) {
            violations.push(FieldViolation {
                field: "assessments".into(),
                description: format!(
                    "must assess the criterion {} (Art. 23.3: every criterion of Art. 24.1)",
                    criterion.code()
                ),
            });
        }
    }
    if violations.is_empty() {
        Ok(report)
    } else {
        Err(violations)
    }
}

fn expect(current: Stage, required: Stage, action: &str, article: &str) -> Result<(), Refused> {
    if current == required {
        Ok(())
    } else {
        Err(Refused::new(format!(
            "the application is {current}; to {action} it must be {required} ({article})"
        )))
    }
}

/// Art. 25.5: "The applicant has the right to appeal the decision on refusal of accreditation
/// in accordance with the legislation". The outcome of an appeal (to a higher body or a court)
/// is recorded on the refused application; an appeal that overturns the refusal reopens the
/// case at the stage its decision names — accepted, documents examined or examined on site —
/// from which the stages run again to a new decision.
pub fn appeal_outcome(
    current: Stage,
    overturned: bool,
    reopen_at: Option<Stage>,
) -> Result<Stage, Refused> {
    if !matches!(current, Stage::Refused | Stage::ReasonsSent) {
        return Err(Refused::new(format!(
            "the application is {current}; an appeal is against a refusal of accreditation (Art. 25.5)"
        )));
    }
    match (overturned, reopen_at) {
        (false, None) => Ok(current),
        (false, Some(_)) => Err(Refused::new(
            "an appeal that upholds the refusal reopens nothing: give no stage to reopen at",
        )),
        (true, Some(stage @ (Stage::Accepted | Stage::DocumentsExamined | Stage::SiteExamined))) => {
            Ok(stage)
        }
        (true, _) => Err(Refused::new(
            "an appeal that overturns the refusal reopens the case at the stage its decision names: accepted, documents examined or examined on site (Art. 23.2)",
        )),
    }
}

/// Stage 2: the documents were examined.
pub fn examine_documents(current: Stage) -> Result<Stage, Refused> {
    expect(
        current,
        Stage::Accepted,
        "examine its documents",
        "Art. 23.2.2",
    )?;
    Ok(Stage::DocumentsExamined)
}

/// Stage 3: the on-site examination, after the documents.
pub fn examine_on_site(current: Stage) -> Result<Stage, Refused> {
    expect(
        current,
        Stage::DocumentsExamined,
        "examine the applicant on site",
        "Art. 23.2.3",
    )?;
    Ok(Stage::SiteExamined)
}

/// Stage 4: the decision, on the results of both examinations (Art. 25.1). Accreditation needs
/// a report in which every criterion is met (Art. 24.1: the applicant must meet them).
pub fn decide(current: Stage, accredit: bool, report: &[Assessment]) -> Result<Stage, Refused> {
    expect(current, Stage::SiteExamined, "decide on it", "Art. 25.1")?;
    if !accredit {
        return Ok(Stage::Refused);
    }
    let unmet: Vec<&str> = report
        .iter()
        .filter(|a| !a.met)
        .map(|a| a.criterion.code())
        .collect();
    if !unmet.is_empty() {
        return Err(Refused::new(format!(
            "the on-site report finds criteria not met ({}): an applicant must meet every criterion of Art. 24.1 to be accredited",
            unmet.join(", ")
        )));
    }
    Ok(Stage::Accredited)
}

/// Art. 25.4: the reasons of a refusal were sent to the applicant.
pub fn send_refusal_reasons(current: Stage) -> Result<Stage, Refused> {
    expect(
        current,
        Stage::Refused,
        "send the reasons for refusal",
        "Art. 25.4",
    )?;
    Ok(Stage::ReasonsSent)
}

/// Stage 5: the certificate after a positive decision (Art. 25.2).
pub fn issue_certificate(current: Stage) -> Result<Stage, Refused> {
    expect(
        current,
        Stage::Accredited,
        "issue its certificate",
        "Art. 25.2",
    )?;
    Ok(Stage::CertificateIssued)
}

/// Stage 6: the post-accreditation agreement, once the certificate is issued (Art. 25.2).
pub fn conclude_agreement(current: Stage) -> Result<Stage, Refused> {
    expect(
        current,
        Stage::CertificateIssued,
        "conclude the post-accreditation agreement",
        "Art. 25.2",
    )?;
    Ok(Stage::AgreementConcluded)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub accredit: bool,
    pub reasons: String,
    /// Art. 25.1: the authorized body's coordination.
    pub coordination: nsk_errors::fields::Document,
    pub decided_on: chrono::NaiveDate,
}

/// Who decided an appeal against a refusal (Art. 25.5, "in accordance with the legislation").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppealBody {
    /// A higher body, in the administrative procedure.
    Administrative,
    Court,
}

/// The outcome of an appeal, as recorded on the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppealRecord {
    pub body: AppealBody,
    pub overturned: bool,
    /// Where an overturned refusal reopened the case: a stage's code.
    pub reopened_at: Option<String>,
    pub decision: nsk_errors::fields::Document,
    pub decided_on: chrono::NaiveDate,
    /// The refusal the appeal was against.
    pub refusal: Option<DecisionRecord>,
}

/// An application for accreditation: the aggregate. What was filed is public and fixed; the
/// stage and what the NCE recorded on the way change only through its methods, each of which
/// checks the stage the law requires (Art. 23.2, 25) or refuses.
#[derive(Debug, Clone)]
pub struct Application {
    pub id: Uuid,
    pub form: ApplicationForm,
    pub filed_on: chrono::NaiveDate,
    pub created_at: chrono::DateTime<chrono::Utc>,
    stage: Stage,
    site_report: Option<Vec<Assessment>>,
    decision: Option<DecisionRecord>,
    agreement: Option<nsk_errors::fields::Document>,
    certificate_id: Option<Uuid>,
    updated_at: chrono::DateTime<chrono::Utc>,
    /// Art. 25.5: outcomes of appeals against a refusal, in order.
    appeals: Vec<AppealRecord>,
}

/// Where a stored application stood, to restore it.
#[derive(Debug, Clone)]
pub struct Progress {
    pub stage: Stage,
    pub site_report: Option<Vec<Assessment>>,
    pub decision: Option<DecisionRecord>,
    pub agreement: Option<nsk_errors::fields::Document>,
    pub certificate_id: Option<Uuid>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub appeals: Vec<AppealRecord>,
}

/// An appeal's outcome as the NCE enters it (Art. 25.5).
pub struct AppealOutcome {
    pub body: AppealBody,
    pub overturned: bool,
    pub reopen_at: Option<Stage>,
    pub decision: nsk_errors::fields::Document,
    pub decided_on: chrono::NaiveDate,
}

type At = chrono::DateTime<chrono::Utc>;

impl Application {
    /// Art. 23.2.1: accepted for consideration.
    pub fn accept(id: Uuid, form: ApplicationForm, filed_on: chrono::NaiveDate, at: At) -> Self {
        let progress = Progress {
            stage: Stage::Accepted,
            site_report: None,
            decision: None,
            agreement: None,
            certificate_id: None,
            updated_at: at,
            appeals: Vec::new(),
        };
        Self::restore(id, form, filed_on, at, progress)
    }

    pub fn restore(
        id: Uuid,
        form: ApplicationForm,
        filed_on: chrono::NaiveDate,
        created_at: At,
        p: Progress,
    ) -> Self {
        Self {
            id,
            form,
            filed_on,
            created_at,
            stage: p.stage,
            site_report: p.site_report,
            decision: p.decision,
            agreement: p.agreement,
            certificate_id: p.certificate_id,
            updated_at: p.updated_at,
            appeals: p.appeals,
        }
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }
    pub fn site_report(&self) -> Option<&[Assessment]> {
        self.site_report.as_deref()
    }
    pub fn decision(&self) -> Option<&DecisionRecord> {
        self.decision.as_ref()
    }
    pub fn agreement(&self) -> Option<&nsk_errors::fields::Document> {
        self.agreement.as_ref()
    }
    pub fn certificate_id(&self) -> Option<Uuid> {
        self.certificate_id
    }
    pub fn updated_at(&self) -> At {
        self.updated_at
    }
    pub fn appeals(&self) -> &[AppealRecord] {
        &self.appeals
    }

    fn to(&mut self, stage: Stage, at: At) {
        self.stage = stage;
        self.updated_at = at;
    }

    /// Art. 23.2.2: the documents examined.
    pub fn examine_documents(&mut self, at: At) -> Result<(), Refused> {
        let stage = examine_documents(self.stage)?;
        self.to(stage, at);
        Ok(())
    }

    /// Art. 23.2.3, 23.3: examined on site, with the assessment of each criterion.
    pub fn examine_on_site(&mut self, report: Vec<Assessment>, at: At) -> Result<(), Refused> {
        let stage = examine_on_site(self.stage)?;
        self.site_report = Some(report);
        self.to(stage, at);
        Ok(())
    }

    /// Art. 25.1: the decision, on the site report.
    pub fn decide(&mut self, decision: DecisionRecord, at: At) -> Result<(), Refused> {
        let report = self.site_report.clone().unwrap_or_default();
        let stage = decide(self.stage, decision.accredit, &report)?;
        self.decision = Some(decision);
        self.to(stage, at);
        Ok(())
    }

    /// Art. 25.4: the reasons of a refusal sent to the applicant.
    pub fn send_refusal_reasons(&mut self, at: At) -> Result<(), Refused> {
        let stage = send_refusal_reasons(self.stage)?;
        self.to(stage, at);
        Ok(())
    }

    /// Art. 25.5: an appeal's outcome; an overturned refusal reopens the case where it says.
    pub fn record_appeal(&mut self, appeal: AppealOutcome, at: At) -> Result<(), Refused> {
        let stage = appeal_outcome(self.stage, appeal.overturned, appeal.reopen_at)?;
        self.appeals.push(AppealRecord {
            body: appeal.body,
            overturned: appeal.overturned,
            reopened_at: appeal
                .reopen_at
                .filter(|_| appeal.overturned)
                .map(|s| s.code().to_string()),
            decision: appeal.decision,
            decided_on: appeal.decided_on,
            refusal: self.decision.clone(),
        });
        if appeal.overturned {
            self.decision = None;
        }
        self.to(stage, at);
        Ok(())
    }

    /// Art. 25.2: whether a certificate may be issued now (checked before it is made).
    pub fn may_issue_certificate(&self) -> Result<(), Refused> {
        issue_certificate(self.stage).map(|_| ())
    }

    /// Art. 25.2: the certificate issued on this application.
    pub fn certificate_issued(&mut self, certificate: Uuid, at: At) -> Result<(), Refused> {
        let stage = issue_certificate(self.stage)?;
        self.certificate_id = Some(certificate);
        self.to(stage, at);
        Ok(())
    }

    /// Art. 25.2: the post-accreditation agreement concluded.
    pub fn conclude_agreement(
        &mut self,
        agreement: nsk_errors::fields::Document,
        at: At,
    ) -> Result<(), Refused> {
        let stage = conclude_agreement(self.stage)?;
        self.agreement = Some(agreement);
        self.to(stage, at);
        Ok(())
    }
}

#[cfg(test)]
mod appeal_tests {
    use super::*;

    #[test]
    fn an_appeal_against_a_refusal_is_recorded_and_a_successful_one_reopens_the_case_art_25_5() {
        assert_eq!(
            appeal_outcome(Stage::ReasonsSent, false, None),
            Ok(Stage::ReasonsSent)
        );
        assert_eq!(
            appeal_outcome(Stage::Refused, true, Some(Stage::SiteExamined)),
            Ok(Stage::SiteExamined)
        );
        assert_eq!(
            appeal_outcome(Stage::ReasonsSent, true, Some(Stage::Accepted)),
            Ok(Stage::Accepted)
        );
        // Only a refusal is appealed; an overturning names where to reopen, within the stages.
        assert!(
            appeal_outcome(Stage::Accredited, true, Some(Stage::Accepted))
                .unwrap_err()
                .0
                .contains("Art. 25.5")
        );
        assert!(appeal_outcome(Stage::Refused, true, None).is_err());
        assert!(appeal_outcome(Stage::Refused, true, Some(Stage::CertificateIssued)).is_err());
        assert!(appeal_outcome(Stage::Refused, false, Some(Stage::Accepted)).is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIN: &str = "971240001315";

    fn complete() -> FormDraft {
        FormDraft {
            applicant_bin: BIN.into(),
            applicant_name: "Welding Qualification Center LLP".into(),
            founders: vec!["Steel Union LLP".into()],
            at_educational_institution: false,
            premises_right: Some(PremisesRight::TemporaryPossession),
            requested_scope: vec![(Uuid::nil().to_string(), vec![4, 3])],
            evidence: [
                "legal_entity",
                "premises_and_equipment",
                "qualification_programmes",
                "qualified_staff",
            ]
            .iter()
            .map(|c| (c.to_string(), format!("{c} evidence"), vec!["doc-1".into()]))
            .collect(),
            previous_certificate_id: String::new(),
        }
    }

    fn fields(v: &[FieldViolation]) -> Vec<&str> {
        v.iter().map(|v| v.field.as_str()).collect()
    }

    fn report(unmet: &[Criterion]) -> Vec<Assessment> {
        Criterion::ALL
            .iter()
            .map(|c| Assessment {
                criterion: *c,
                met: !unmet.contains(c),
                reasoning: "seen on site".into(),
            })
            .collect()
    }

    #[test]
    fn the_application_moves_only_as_its_methods_allow_through_a_refusal_and_an_appeal() {
        let at = chrono::Utc::now();
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let document = |n: &str, d: &str| nsk_errors::fields::Document {
            number: n.into(),
            date: day(d),
            title: String::new(),
        };
        let form = ApplicationForm::parse(&complete(), "application.").unwrap();
        let mut a = Application::accept(Uuid::nil(), form, day("2026-02-02"), at);
        assert_eq!(a.stage(), Stage::Accepted);
        // Art. 23.2: documents before the site, the site before the decision.
        assert!(a.examine_on_site(report(&[]), at).is_err());
        let refusal = DecisionRecord {
            accredit: false,
            reasons: "premises not shown".into(),
            coordination: document("MLSP-1", "2026-03-02"),
            decided_on: day("2026-03-02"),
        };
        assert!(a.decide(refusal.clone(), at).is_err());
        assert_eq!(a.decision(), None, "a refused step recorded nothing");
        a.examine_documents(at).unwrap();
        a.examine_on_site(report(&[Criterion::PremisesAndEquipment]), at)
            .unwrap();
        a.decide(refusal.clone(), at).unwrap();
        assert_eq!(a.stage(), Stage::Refused);
        assert!(a.may_issue_certificate().is_err());
        // Art. 25.5: overturned on appeal, reopened at the site examination, the refusal kept
        // with the appeal and no longer the decision.
        a.record_appeal(
            AppealOutcome {
                body: AppealBody::Court,
                overturned: true,
                reopen_at: Some(Stage::DocumentsExamined),
                decision: document("2-114/2026", "2026-04-10"),
                decided_on: day("2026-04-10"),
            },
            at,
        )
        .unwrap();
        assert_eq!(a.stage(), Stage::DocumentsExamined);
        assert_eq!(a.decision(), None);
        assert_eq!(a.appeals()[0].refusal.as_ref(), Some(&refusal));
        assert_eq!(
            a.appeals()[0].reopened_at.as_deref(),
            Some("documents_examined")
        );
    }

    #[test]
    fn a_complete_form_parses_with_levels_in_order() {
        let form = ApplicationForm::parse(&complete(), "application.").unwrap();
        assert_eq!(form.requested_scope[0].nqf_levels, [3, 4]);
        assert_eq!(form.applicant_bin.as_str(), BIN);
    }

    #[test]
    fn an_applicant_at_an_educational_institution_is_refused_art_24_2() {
        let mut draft = complete();
        draft.at_educational_institution = true;
        let err = ApplicationForm::parse(&draft, "application.").unwrap_err();
        assert_eq!(fields(&err), ["application.at_educational_institution"]);
        assert!(err[0].description.contains("Art. 24.2"));
    }

    #[test]
    fn every_criterion_needs_evidence_and_every_field_its_rule() {
        let draft = FormDraft {
            applicant_bin: "971240001316".into(),
            requested_scope: vec![("x".into(), vec![3]), (Uuid::nil().to_string(), vec![9])],
            evidence: vec![("beauty".into(), "nice".into(), vec![])],
            ..Default::default()
        };
        let err = ApplicationForm::parse(&draft, "").unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "applicant_bin",
                "applicant_name",
                "premises_right",
                "founders",
                "requested_scope[0].profession_id",
                "requested_scope[1].nqf_levels",
                "evidence[0].criterion",
                "evidence",
                "evidence",
                "evidence",
                "evidence",
            ]
        );
        assert!(err[0].description.contains("check digit"));
        assert!(err[7].description.contains("legal_entity"));
    }

    #[test]
    fn the_scope_must_be_in_the_register_at_the_levels_asked_art_24_1_3() {
        let form = ApplicationForm::parse(&complete(), "").unwrap();
        let unknown = check_scope_in_register(&form.requested_scope, "requested_scope", |_| None);
        assert_eq!(fields(&unknown), ["requested_scope[0].profession_id"]);
        assert!(unknown[0].description.contains("not in the register"));
        let excluded = check_scope_in_register(&form.requested_scope, "requested_scope", |_| {
            Some(RegisteredProfession {
                active: false,
                nqf_levels: vec![3, 4],
            })
        });
        assert!(excluded[0].description.contains("excluded"));
        let narrower = check_scope_in_register(&form.requested_scope, "requested_scope", |_| {
            Some(RegisteredProfession {
                active: true,
                nqf_levels: vec![3],
            })
        });
        assert_eq!(fields(&narrower), ["requested_scope[0].nqf_levels"]);
        let fits = check_scope_in_register(&form.requested_scope, "requested_scope", |_| {
            Some(RegisteredProfession {
                active: true,
                nqf_levels: vec![2, 3, 4],
            })
        });
        assert!(fits.is_empty());
    }

    #[test]
    fn the_stages_of_art_23_2_in_order() {
        let mut stage = Stage::Accepted;
        stage = examine_documents(stage).unwrap();
        stage = examine_on_site(stage).unwrap();
        stage = decide(stage, true, &report(&[])).unwrap();
        stage = issue_certificate(stage).unwrap();
        stage = conclude_agreement(stage).unwrap();
        assert_eq!(stage, Stage::AgreementConcluded);

        let refused = decide(Stage::SiteExamined, false, &report(&[])).unwrap();
        assert_eq!(send_refusal_reasons(refused), Ok(Stage::ReasonsSent));
    }

    #[test]
    fn every_step_out_of_order_names_the_stage_and_the_article() {
        type Step = fn(Stage) -> Result<Stage, Refused>;
        let steps: [(Step, Stage, &str); 6] = [
            (examine_documents, Stage::Accepted, "Art. 23.2.2"),
            (examine_on_site, Stage::DocumentsExamined, "Art. 23.2.3"),
            (
                |s| decide(s, true, &report(&[])),
                Stage::SiteExamined,
                "Art. 25.1",
            ),
            (send_refusal_reasons, Stage::Refused, "Art. 25.4"),
            (issue_certificate, Stage::Accredited, "Art. 25.2"),
            (conclude_agreement, Stage::CertificateIssued, "Art. 25.2"),
        ];
        for (step, from, article) in steps {
            for stage in Stage::ALL.into_iter().filter(|s| *s != from) {
                let refused = step(stage).unwrap_err();
                assert!(refused.0.contains(stage.as_str()), "{refused}");
                assert!(refused.0.contains(article), "{refused}");
            }
        }
    }

    #[test]
    fn accreditation_needs_every_criterion_met_but_refusal_does_not() {
        let refused = decide(
            Stage::SiteExamined,
            true,
            &report(&[Criterion::QualifiedStaff]),
        )
        .unwrap_err();
        assert!(refused.0.contains("qualified_staff"), "{refused}");
        assert_eq!(
            decide(
                Stage::SiteExamined,
                false,
                &report(&[Criterion::QualifiedStaff])
            ),
            Ok(Stage::Refused)
        );
    }

    #[test]
    fn an_on_site_report_assesses_each_criterion_once_with_reasons_art_23_3() {
        let raw = |items: &[(&str, &str)]| -> Vec<(String, bool, String)> {
            items
                .iter()
                .map(|(c, r)| (c.to_string(), true, r.to_string()))
                .collect()
        };
        let all: Vec<(&str, &str)> = Criterion::ALL.iter().map(|c| (c.code(), "ok")).collect();
        assert_eq!(parse_report(&raw(&all)).unwrap().len(), 5);

        let err = parse_report(&raw(&[
            ("legal_entity", "registered"),
            ("legal_entity", "again"),
            ("qualified_staff", " "),
        ]))
        .unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "assessments[1].criterion",
                "assessments[2].reasoning",
                "assessments",
                "assessments",
                "assessments",
            ]
        );
    }

    #[test]
    fn every_stage_is_stored_under_a_code_that_reads_back() {
        for stage in Stage::ALL {
            assert_eq!(Stage::from_code(stage.code()), Some(stage));
        }
        for criterion in Criterion::ALL {
            assert_eq!(Criterion::from_code(criterion.code()), Some(criterion));
        }
    }
}

//! The accreditation certificate: three years of validity (Art. 23.2.5), the center number,
//! revocation (Art. 26.2), renewal (26.5), reissue (26.1), termination and expiry (26.6), and
//! the window for re-accreditation (23.5).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Refused;

/// A certificate is valid for three years (Art. 23.2.5).
pub const VALIDITY_MONTHS: u32 = 36;
/// Re-accreditation is applied for no later than six months before expiry (Art. 23.5).
pub const REACCREDITATION_NOTICE_MONTHS: u32 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Active,
    /// Revoked (Art. 26.2); may be renewed (Art. 26.5) unless the violations concerned health,
    /// life support and safety of citizens.
    Revoked,
    /// Terminated (Art. 26.6: after revocation, liquidation, a court decision).
    Terminated,
    /// Its three years ran out (Art. 26.6.2).
    Expired,
    /// Replaced by a newer certificate: reissued on reorganisation (Art. 26.1) or after
    /// re-accreditation (Art. 23.5).
    Replaced,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Active,
        Status::Revoked,
        Status::Terminated,
        Status::Expired,
        Status::Replaced,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Revoked => "revoked",
            Status::Terminated => "terminated",
            Status::Expired => "expired",
            Status::Replaced => "replaced",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The first and last day of validity of a certificate issued on `issued_on`: three years
/// (Art. 23.2.5), ending on the corresponding day of the third year — or the last day of that
/// month where it has none (DOMAIN.md "Periods", the Civil Code's rule).
pub fn validity(issued_on: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        issued_on,
        nsk_calendar::period_end(issued_on, VALIDITY_MONTHS)?,
    ))
}

/// Whether a certificate valid until `valid_until` has expired on `day`: it is valid through
/// the end of its last day.
pub fn expired_on(valid_until: NaiveDate, day: NaiveDate) -> bool {
    day > valid_until
}

/// The last day an application for re-accreditation is accepted (Art. 23.5).
pub fn reaccreditation_deadline(valid_until: NaiveDate) -> Option<NaiveDate> {
    nsk_calendar::period_start_before(valid_until, REACCREDITATION_NOTICE_MONTHS)
}

/// Art. 23.5: an application for re-accreditation of a certificate in `status`, valid until
/// `valid_until`, filed on `filed_on`.
pub fn check_reaccreditation(
    status: Status,
    valid_until: NaiveDate,
    filed_on: NaiveDate,
) -> Result<(), Refused> {
    if status != Status::Active {
        return Err(Refused::new(format!(
            "the certificate is {status}: re-accreditation continues an active certificate; apply for a first accreditation instead (Art. 23.5)"
        )));
    }
    let deadline = reaccreditation_deadline(valid_until)
        .ok_or_else(|| Refused::new("the certificate's dates are out of range"))?;
    if filed_on > deadline {
        return Err(Refused::new(format!(
            "the certificate expires on {valid_until}; an application for re-accreditation is accepted no later than six months before, until {deadline}, and this one is filed on {filed_on} (Art. 23.5): apply for a new accreditation once it expires"
        )));
    }
    Ok(())
}

/// The four grounds of revocation (Art. 26.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationGround {
    /// (1) the center's own written request.
    OwnRequest,
    /// (2) violation of the recognition procedure.
    ProcedureViolation,
    /// (3) monitoring found violations of the criteria or of the post-accreditation agreement.
    MonitoringViolation,
    /// (4) confirmed complaints against persons who received documents at the center; their
    /// documents are cancelled.
    ConfirmedComplaints,
}

impl RevocationGround {
    pub fn article(self) -> &'static str {
        match self {
            RevocationGround::OwnRequest => "Art. 26.2.1",
            RevocationGround::ProcedureViolation => "Art. 26.2.2",
            RevocationGround::MonitoringViolation => "Art. 26.2.3",
            RevocationGround::ConfirmedComplaints => "Art. 26.2.4",
        }
    }
}

/// A revocation as decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub ground: RevocationGround,
    /// Ground 4 only: serial numbers of the documents confirmed in complaints.
    pub documents: Vec<String>,
    /// The violations concern health, life support and safety of citizens: no renewal.
    pub concerns_health_or_safety: bool,
}

impl Revocation {
    /// Checks what the ground requires; `documents` are trimmed serial numbers as sent.
    pub fn new(
        ground: RevocationGround,
        documents: Vec<String>,
        concerns_health_or_safety: bool,
    ) -> Result<Self, (&'static str, String)> {
        let documents: Vec<String> = documents
            .into_iter()
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty())
            .collect();
        match ground {
            RevocationGround::ConfirmedComplaints if documents.is_empty() => Err((
                "document_serial_numbers",
                "must name the documents confirmed in complaints: they are cancelled (Art. 26.2.4)"
                    .into(),
            )),
            RevocationGround::ConfirmedComplaints => Ok(()),
            _ if !documents.is_empty() => Err((
                "document_serial_numbers",
                "names documents to cancel, which only ground 4 (confirmed complaints) does (Art. 26.2)"
                    .into(),
            )),
            RevocationGround::OwnRequest if concerns_health_or_safety => Err((
                "concerns_health_or_safety",
                "a revocation at the center's own request finds no violations (Art. 26.2.1)".into(),
            )),
            _ => Ok(()),
        }?;
        Ok(Self {
            ground,
            documents,
            concerns_health_or_safety,
        })
    }
}

/// A document as accreditation heard of it from the registry: which center issued it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedDocument {
    pub serial_number: String,
    pub center_number: nsk_kz::CenterNumber,
}

impl Revocation {
    /// Art. 26.2.4: "the documents issued to those persons at that center" — a revocation of
    /// center `center` may name only documents the registry holds and that center issued.
    /// `held` are the documents the registry published, among those named. Each violation is
    /// the position in the list as sent and the rule.
    pub fn check_documents_of(
        &self,
        center: nsk_kz::CenterNumber,
        held: &[IssuedDocument],
    ) -> Result<(), Vec<(usize, String)>> {
        // Up to tens of thousands named: looked up by serial, not searched for each.
        let held: std::collections::HashMap<&str, &IssuedDocument> =
            held.iter().map(|d| (d.serial_number.as_str(), d)).collect();
        let problems: Vec<(usize, String)> = self
            .documents
            .iter()
            .enumerate()
            .filter_map(|(i, serial)| {
                match held.get(serial.as_str()) {
                    None => Some((i, format!(
                        "{serial} is not a document in the registry of issued documents; a revocation on ground 4 cancels only documents the center issued (Art. 26.2.4)"
                    ))),
                    Some(d) if d.center_number != center => Some((i, format!(
                        "{serial} was issued at center {}, not at center {center} whose certificate is revoked (Art. 26.2.4: the documents issued at that center)",
                        d.center_number
                    ))),
                    Some(_) => None,
                }
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// How a recognition center was accredited (Art. 17.1: "Recognition centers include legal
/// entities that have been accredited in accordance with the procedure established by this Law
/// or the legislation of the Republic of Kazakhstan on accreditation in the field of conformity
/// assessment").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// By the NCE, under this Law (Art. 23-25).
    Nce,
    /// By the accreditation body, under conformity-assessment law; the authorized body enters
    /// the accreditation body's certificate on the platform.
    ConformityAssessment,
}

impl Route {
    pub fn code(self) -> &'static str {
        match self {
            Route::Nce => "nce",
            Route::ConformityAssessment => "conformity_assessment",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Route::Nce, Route::ConformityAssessment]
            .into_iter()
            .find(|r| r.code() == code)
    }

    /// The NCE revokes, renews and reissues the certificates it issued (Art. 26); one issued by
    /// the accreditation body follows conformity-assessment law, not these acts.
    pub fn check_nce_act(self, act: &str) -> Result<(), Refused> {
        match self {
            Route::Nce => Ok(()),
            Route::ConformityAssessment => Err(Refused::new(format!(
                "the certificate was issued by the accreditation body under conformity-assessment law (Art. 17.1): the NCE does not {act} it; its changes come from the accreditation body"
            ))),
        }
    }
}

/// The dates of a certificate of the accreditation body as entered on `today`: it runs from
/// `valid_from` to `valid_until` and is still in force. Each problem names the field.
pub fn check_conformity_dates(
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    today: NaiveDate,
) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if valid_from > today {
        problems.push((
            "valid_from",
            format!("must not be after today ({today}): enter the certificate once it is in force"),
        ));
    }
    if valid_until < valid_from {
        problems.push((
            "valid_until",
            format!("must not be before valid_from ({valid_from})"),
        ));
    } else if valid_until < today {
        problems.push((
            "valid_until",
            format!(
                "is past: the certificate expired on {valid_until}; only one in force is entered"
            ),
        ));
    }
    problems
}

/// Art. 26.2: only an active certificate is revoked.
pub fn revoke(current: Status) -> Result<Status, Refused> {
    match current {
        Status::Active => Ok(Status::Revoked),
        other => Err(Refused::new(format!(
            "the certificate is {other}; only an active certificate can be revoked (Art. 26.2)"
        ))),
    }
}

/// Art. 26.5: renewal of a revoked certificate after the center reports the violations
/// eliminated, on `today`; never where they concerned health, life support and safety.
pub fn renew(
    current: Status,
    revocation: &Revocation,
    valid_until: NaiveDate,
    today: NaiveDate,
) -> Result<Status, Refused> {
    if current != Status::Revoked {
        return Err(Refused::new(format!(
            "the certificate is {current}; only a revoked certificate can be renewed (Art. 26.5)"
        )));
    }
    if revocation.concerns_health_or_safety {
        return Err(Refused::new(
            "the certificate was revoked for violations concerning the health, life support and safety of citizens: it is not renewed, and the center is listed as not subject to renewal (Art. 26.5)",
        ));
    }
    if revocation.ground == RevocationGround::OwnRequest {
        return Err(Refused::new(
            "the certificate was revoked at the center's own request, with no violations to eliminate: apply for accreditation again (Art. 26.5)",
        ));
    }
    if expired_on(valid_until, today) {
        return Err(Refused::new(format!(
            "the certificate's validity ended on {valid_until}: there is nothing to renew; apply for accreditation again (Art. 26.5, 26.6.2)"
        )));
    }
    Ok(Status::Active)
}

/// The forms of reorganisation of Art. 26.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reorganisation {
    Merger,
    Accession,
    Division,
    Separation,
    Transformation,
}

/// Art. 26.1: on reorganisation an active certificate is reissued to the successor; the old
/// one is replaced by the new, which keeps the center number, the scope and the validity.
pub fn reissue(current: Status) -> Result<Status, Refused> {
    match current {
        Status::Active => Ok(Status::Replaced),
        other => Err(Refused::new(format!(
            "the certificate is {other}; only an active certificate is reissued on reorganisation (Art. 26.1)"
        ))),
    }
}

/// Art. 26.1 names five forms of reorganisation. In a merger, accession or transformation one
/// legal entity succeeds the center. In a division or a separation there are several: the
/// entity named to continue the center keeps its number, and each further successor gets a
/// certificate under a number of its own. How many further successors each form has.
pub fn check_successors(form: Reorganisation, further: usize) -> Result<(), Refused> {
    match (form, further) {
        (Reorganisation::Division | Reorganisation::Separation, 0) => Err(Refused::new(
            "a division or a separation leaves further successors: name each in successors, with the part of the scope it takes (Art. 26.1)",
        )),
        (Reorganisation::Division | Reorganisation::Separation, _) => Ok(()),
        (_, 0) => Ok(()),
        (_, _) => Err(Refused::new(
            "a merger, accession or transformation leaves one successor: name it in new_center_bin and new_center_name, with no further successors (Art. 26.1)",
        )),
    }
}

/// A successor's scope is a part of its predecessor's: each profession in it, at levels it
/// had. Each problem names the entry.
pub fn scope_within(
    predecessor: &[super::application::ScopeEntry],
    successor: &[super::application::ScopeEntry],
) -> Vec<(usize, String)> {
    successor
        .iter()
        .enumerate()
        .filter_map(|(i, entry)| {
            match predecessor
                .iter()
                .find(|p| p.profession_id == entry.profession_id)
            {
                None => Some((
                    i,
                    format!(
                        "profession {} is not in the scope of the certificate being reissued",
                        entry.profession_id
                    ),
                )),
                Some(p) => {
                    let beyond: Vec<String> = entry
                        .nqf_levels
                        .iter()
                        .filter(|l| !p.nqf_levels.contains(l))
                        .map(u8::to_string)
                        .collect();
                    (!beyond.is_empty()).then(|| {
                        (
                            i,
                            format!(
                                "levels {} of profession {} are beyond the scope of the certificate being reissued",
                                beyond.join(", "),
                                entry.profession_id
                            ),
                        )
                    })
                }
            }
        })
        .collect()
}

/// The grounds of termination (Art. 26.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminationGround {
    /// (1) a decision to revoke.
    Revocation,
    /// (2) the validity ran out.
    Expiry,
    /// (3) the center's activity ended (liquidation).
    Liquidation,
    /// (4) a court decision prohibiting the activity.
    CourtDecision,
}

impl TerminationGround {
    pub fn article(self) -> &'static str {
        match self {
            TerminationGround::Revocation => "Art. 26.6.1",
            TerminationGround::Expiry => "Art. 26.6.2",
            TerminationGround::Liquidation => "Art. 26.6.3",
            TerminationGround::CourtDecision => "Art. 26.6.4",
        }
    }
}

/// Art. 26.6: termination of a certificate in `current`, valid until `valid_until`, on `today`.
pub fn terminate(
    current: Status,
    ground: TerminationGround,
    valid_until: NaiveDate,
    today: NaiveDate,
) -> Result<Status, Refused> {
    let live = matches!(current, Status::Active | Status::Revoked);
    match ground {
        _ if !live => Err(Refused::new(format!(
            "the certificate is {current}: it has already ceased (Art. 26.6)"
        ))),
        TerminationGround::Revocation if current != Status::Revoked => Err(Refused::new(
            "the certificate is active: termination on ground 1 follows a decision to revoke it (Art. 26.6.1)",
        )),
        TerminationGround::Expiry if !expired_on(valid_until, today) => {
            Err(Refused::new(format!(
                "the certificate is valid until the end of {valid_until}: it has not expired (Art. 26.6.2)"
            )))
        }
        TerminationGround::Expiry => Ok(Status::Expired),
        _ => Ok(Status::Terminated),
    }
}

/// Why, on what, and when a certificate was revoked (Art. 26.2-26.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationRecord {
    pub revocation: Revocation,
    pub basis: nsk_errors::fields::Document,
    pub detected_on: NaiveDate,
    pub decided_on: NaiveDate,
}

/// What a certificate is issued with, fixed for its life.
#[derive(Debug, Clone)]
pub struct Facts {
    pub id: uuid::Uuid,
    pub serial_number: String,
    pub center_number: nsk_kz::CenterNumber,
    pub center_bin: String,
    pub center_name: String,
    pub scope: Vec<super::application::ScopeEntry>,
    pub issued_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub previous_certificate_id: Option<uuid::Uuid>,
    pub application_id: Option<uuid::Uuid>,
    pub reorganisation: Option<Reorganisation>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Art. 17.1: accredited by the NCE, or by the accreditation body.
    pub route: Route,
}

/// Where a stored certificate stood, to restore it.
#[derive(Debug, Clone)]
pub struct Standing {
    pub status: Status,
    pub status_since: NaiveDate,
    pub revocation: Option<RevocationRecord>,
    pub termination_ground: Option<TerminationGround>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// An accreditation certificate: the aggregate. What it was issued with is public and fixed;
/// where it stands (status, since when, why) changes only through its methods, each of which
/// applies the article that allows the change or refuses.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub id: uuid::Uuid,
    pub serial_number: String,
    pub center_number: nsk_kz::CenterNumber,
    pub center_bin: String,
    pub center_name: String,
    pub scope: Vec<super::application::ScopeEntry>,
    pub issued_on: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub previous_certificate_id: Option<uuid::Uuid>,
    pub application_id: Option<uuid::Uuid>,
    pub reorganisation: Option<Reorganisation>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub route: Route,
    status: Status,
    status_since: NaiveDate,
    revocation: Option<RevocationRecord>,
    termination_ground: Option<TerminationGround>,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl Certificate {
    /// A certificate in force from its issue day.
    pub fn issue(facts: Facts) -> Self {
        let standing = Standing {
            status: Status::Active,
            status_since: facts.issued_on,
            revocation: None,
            termination_ground: None,
            updated_at: facts.created_at,
        };
        Self::restore(facts, standing)
    }

    /// A certificate as the register kept it.
    pub fn restore(f: Facts, s: Standing) -> Self {
        Self {
            id: f.id,
            serial_number: f.serial_number,
            center_number: f.center_number,
            center_bin: f.center_bin,
            center_name: f.center_name,
            scope: f.scope,
            issued_on: f.issued_on,
            valid_from: f.valid_from,
            valid_until: f.valid_until,
            previous_certificate_id: f.previous_certificate_id,
            application_id: f.application_id,
            reorganisation: f.reorganisation,
            created_at: f.created_at,
            route: f.route,
            status: s.status,
            status_since: s.status_since,
            revocation: s.revocation,
            termination_ground: s.termination_ground,
            updated_at: s.updated_at,
        }
    }

    /// What it was issued with, to issue another like it.
    pub fn facts(&self) -> Facts {
        Facts {
            id: self.id,
            serial_number: self.serial_number.clone(),
            center_number: self.center_number,
            center_bin: self.center_bin.clone(),
            center_name: self.center_name.clone(),
            scope: self.scope.clone(),
            issued_on: self.issued_on,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            previous_certificate_id: self.previous_certificate_id,
            application_id: self.application_id,
            reorganisation: self.reorganisation,
            created_at: self.created_at,
            route: self.route,
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }
    pub fn status_since(&self) -> NaiveDate {
        self.status_since
    }
    pub fn revocation(&self) -> Option<&RevocationRecord> {
        self.revocation.as_ref()
    }
    pub fn termination_ground(&self) -> Option<TerminationGround> {
        self.termination_ground
    }
    pub fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.updated_at
    }

    fn moved(&mut self, status: Status, since: NaiveDate, at: chrono::DateTime<chrono::Utc>) {
        self.status = status;
        self.status_since = since;
        self.updated_at = at;
    }

    /// Art. 26.2: revocation of an active certificate, on the day it was decided.
    pub fn revoke(
        &mut self,
        record: RevocationRecord,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Refused> {
        let status = revoke(self.status)?;
        self.moved(status, record.decided_on, at);
        self.revocation = Some(record);
        Ok(())
    }

    /// Art. 26.5: renewal of a revoked certificate on `on`.
    pub fn renew(
        &mut self,
        on: NaiveDate,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Refused> {
        let Some(record) = &self.revocation else {
            return Err(Refused::new(format!(
                "the certificate is {}; only a revoked certificate can be renewed (Art. 26.5)",
                self.status
            )));
        };
        let status = renew(self.status, &record.revocation, self.valid_until, on)?;
        self.moved(status, on, at);
        Ok(())
    }

    /// Art. 26.1: reissue on reorganisation; this certificate is replaced by the new one.
    pub fn reissue(
        &mut self,
        on: NaiveDate,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Refused> {
        let status = reissue(self.status)?;
        self.moved(status, on, at);
        Ok(())
    }

    /// Art. 23.5: re-accreditation; the certificate it continues is replaced from the new
    /// one's issue day, whatever the old one's state.
    pub fn replace(&mut self, on: NaiveDate, at: chrono::DateTime<chrono::Utc>) {
        self.moved(Status::Replaced, on, at);
    }

    /// Art. 26.6: termination on `ground`, decided or noticed on `on`. An expired certificate
    /// ceased at the end of its last day, whenever it was noticed.
    pub fn terminate(
        &mut self,
        ground: TerminationGround,
        on: NaiveDate,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), Refused> {
        let status = terminate(self.status, ground, self.valid_until, on)?;
        let since = match ground {
            TerminationGround::Expiry => self.valid_until.succ_opt().unwrap_or(on),
            _ => on,
        };
        self.moved(status, since, at);
        self.termination_ground = Some(ground);
        Ok(())
    }
}

#[cfg(test)]
mod tests;

//! Proto <-> domain for professional standards: one contract for unknown values — an enum
//! number the service does not know is refused where a caller sent it (`None` from the
//! `*_from_proto` functions, which the caller names as a field). A leaf: the handlers, the
//! cases and the events import it; it imports none of them.

use chrono::{DateTime, SecondsFormat, Utc};
use nsk_errors::ApiError;
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::standards::v1 as pb;
use uuid::Uuid;

use crate::domain::content::{self, ContentDraft, DeveloperKind};
use crate::domain::{Conclusion, FieldDiff, Stage, Step};
use crate::store::{Document, ListFilter, StandardVersion, StepRecord};

pub fn stage_from_proto(status: i32) -> Option<Stage> {
    use pb::StandardStatus as S;
    Some(match S::try_from(status).ok()? {
        S::Unspecified => return None,
        S::Draft => Stage::Draft,
        S::Submitted => Stage::Submitted,
        S::NceConclusionRecorded => Stage::NceConclusionRecorded,
        S::AgreedByIndustryCouncil => Stage::AgreedByIndustryCouncil,
        S::AgreedByAuthorizedBody => Stage::AgreedByAuthorizedBody,
        S::Approved => Stage::Approved,
        S::Published => Stage::Published,
        S::Superseded => Stage::Superseded,
        S::Archived => Stage::Archived,
    })
}

pub fn stage_to_proto(stage: Stage) -> pb::StandardStatus {
    use pb::StandardStatus as S;
    match stage {
        Stage::Draft => S::Draft,
        Stage::Submitted => S::Submitted,
        Stage::NceConclusionRecorded => S::NceConclusionRecorded,
        Stage::AgreedByIndustryCouncil => S::AgreedByIndustryCouncil,
        Stage::AgreedByAuthorizedBody => S::AgreedByAuthorizedBody,
        Stage::Approved => S::Approved,
        Stage::Published => S::Published,
        Stage::Superseded => S::Superseded,
        Stage::Archived => S::Archived,
    }
}

pub fn conclusion_from_proto(raw: i32) -> Option<Conclusion> {
    match pb::NceConclusion::try_from(raw).ok()? {
        pb::NceConclusion::Unspecified => None,
        pb::NceConclusion::Positive => Some(Conclusion::Positive),
        pb::NceConclusion::Negative => Some(Conclusion::Negative),
        pb::NceConclusion::WithRemarks => Some(Conclusion::WithRemarks),
    }
}

pub fn conclusion_to_proto(c: Option<Conclusion>) -> pb::NceConclusion {
    match c {
        None => pb::NceConclusion::Unspecified,
        Some(Conclusion::Positive) => pb::NceConclusion::Positive,
        Some(Conclusion::Negative) => pb::NceConclusion::Negative,
        Some(Conclusion::WithRemarks) => pb::NceConclusion::WithRemarks,
    }
}

pub fn draft_from_proto(s: pb::Standard) -> ContentDraft {
    let title = s.title.unwrap_or_default();
    ContentDraft {
        title: content::Title {
            kk: title.kk,
            ru: title.ru,
            en: title.en,
        },
        sector: s.sector,
        nkz_codes: s.nkz_codes,
        nqf_levels: s.nqf_levels,
        labour_functions: s
            .labour_functions
            .into_iter()
            .map(|f| content::LabourFunction {
                title: f.title,
                knowledge: f.knowledge,
                skills: f.skills,
                competences: f.competences,
            })
            .collect(),
        work_experience_requirements: s.work_experience_requirements,
        education_requirements: s.education_requirements,
        non_formal_education_recognised: s.non_formal_education_recognised,
        separately_recognisable_skills: s.separately_recognisable_skills,
        developer_kind: match pb::DeveloperKind::try_from(s.developer_kind) {
            Ok(pb::DeveloperKind::SectoralBody) => Some(DeveloperKind::SectoralBody),
            Ok(pb::DeveloperKind::EmployersAssociation) => {
                Some(DeveloperKind::EmployersAssociation)
            }
            _ => None,
        },
        developer_name: s.developer_name,
    }
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn document_to_proto(d: &Document) -> common::BasisDocument {
    common::BasisDocument {
        number: d.number.clone(),
        date: d.date.to_string(),
        title: d.title.clone(),
    }
}

pub fn step_to_proto(step: &StepRecord) -> pb::WorkflowStep {
    pb::WorkflowStep {
        reached: stage_to_proto(step.reached) as i32,
        stamp: Some(common::ChangeStamp {
            actor: step.actor.clone(),
            actor_role: step.actor_role.clone(),
            at: timestamp(step.at),
            reason: String::new(),
            request_id: step.request_id.clone(),
        }),
        document: step.document.as_ref().map(document_to_proto),
        remarks: step.remarks.clone(),
        conclusion: conclusion_to_proto(step.conclusion) as i32,
        returned_for_rework: step.returned,
    }
}

pub fn boxed(v: &StandardVersion) -> Box<pb::Standard> {
    Box::new(to_proto(v))
}

pub fn to_proto(v: &StandardVersion) -> pb::Standard {
    let c = v.content();
    pb::Standard {
        id: v.standard_id.to_string(),
        version: v.version,
        title: Some(common::LocalizedText {
            kk: c.title.kk.clone(),
            ru: c.title.ru.clone(),
            en: c.title.en.clone(),
        }),
        sector: c.sector.clone(),
        nkz_codes: c.nkz_codes.clone(),
        nqf_levels: c.nqf_levels.iter().map(|l| i32::from(*l)).collect(),
        labour_functions: c
            .labour_functions
            .iter()
            .map(|f| pb::LabourFunction {
                title: f.title.clone(),
                knowledge: f.knowledge.clone(),
                skills: f.skills.clone(),
                competences: f.competences.clone(),
            })
            .collect(),
        work_experience_requirements: c.work_experience_requirements.clone(),
        education_requirements: c.education_requirements.clone(),
        non_formal_education_recognised: c.non_formal_education_recognised,
        separately_recognisable_skills: c.separately_recognisable_skills.clone(),
        developer_kind: match c.developer_kind {
            DeveloperKind::SectoralBody => pb::DeveloperKind::SectoralBody,
            DeveloperKind::EmployersAssociation => pb::DeveloperKind::EmployersAssociation,
        } as i32,
        developer_name: c.developer_name.clone(),
        status: stage_to_proto(v.stage()) as i32,
        steps: v.steps().iter().map(step_to_proto).collect(),
        create_time: timestamp(v.created_at),
        update_time: timestamp(v.updated_at()),
    }
}

/// The document of a step: number and date required (when `required`, or when any is sent).
pub fn document(
    raw: Option<common::BasisDocument>,
    required: bool,
) -> Result<Option<Document>, ApiError> {
    let raw = raw.unwrap_or_default();
    if !required && raw.number.trim().is_empty() && raw.date.is_empty() {
        return Ok(None);
    }
    let parsed = nsk_errors::fields::document(&raw.number, &raw.date, &raw.title, "document")?;
    Ok(Some(Document {
        number: parsed.number,
        date: parsed.date,
        title: parsed.title,
    }))
}

/// The step a request names by the stage it reaches.
pub fn step_of(to: i32, conclusion: i32) -> Result<Step, ApiError> {
    let step = match stage_from_proto(to) {
        Some(Stage::Submitted) => Step::Submit,
        Some(Stage::NceConclusionRecorded) => match conclusion_from_proto(conclusion) {
            Some(c) => Step::RecordNceConclusion(c),
            None => {
                return Err(ApiError::invalid_field(
                    "conclusion",
                    "is required when recording the NCE's conclusion: POSITIVE, NEGATIVE or WITH_REMARKS",
                ))
            }
        },
        Some(Stage::AgreedByIndustryCouncil) => Step::AgreeByIndustryCouncil,
        Some(Stage::AgreedByAuthorizedBody) => Step::AgreeByAuthorizedBody,
        Some(Stage::Approved) => Step::Approve,
        Some(Stage::Published) => Step::Publish,
        _ => {
            return Err(ApiError::invalid_field(
                "to",
                "must be the stage the step reaches: SUBMITTED, NCE_CONCLUSION_RECORDED, AGREED_BY_INDUSTRY_COUNCIL, AGREED_BY_AUTHORIZED_BODY, APPROVED or PUBLISHED (returns, new versions and archiving have their own calls)",
            ))
        }
    };
    if !matches!(step, Step::RecordNceConclusion(_)) && conclusion != 0 {
        return Err(ApiError::invalid_field(
            "conclusion",
            "is only for the step that records the NCE's conclusion",
        ));
    }
    Ok(step)
}

pub fn page_token(last: &StandardVersion) -> String {
    format!("{}.{}", last.standard_id, last.version)
}

pub fn parse_page_token(raw: &str) -> Result<Option<(Uuid, i32)>, ApiError> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.split_once('.')
        .and_then(|(id, v)| Some((Uuid::parse_str(id).ok()?, v.parse().ok()?)))
        .map(Some)
        .ok_or_else(|| {
            ApiError::invalid_field("page_token", "must be a next_page_token of an earlier page")
        })
}

const DEFAULT_PAGE_SIZE: i32 = 50;
const MAX_PAGE_SIZE: i32 = 500;

/// The list a caller asked for; `insider` when the caller sees drafts. `Ok(None)` for a status
/// only insiders may list, asked by someone who is not one.
pub fn list_filter(
    request: &pb::ListStandardsRequest,
    insider: bool,
) -> Result<Option<ListFilter>, ApiError> {
    let stages = match stage_from_proto(request.status) {
        None if request.status != 0 => {
            return Err(ApiError::invalid_field(
                "status",
                "is not a status of a standard",
            ))
        }
        // The list of approved standards is public (Art. 5.5); the rest is for insiders.
        None if insider => Stage::ALL.to_vec(),
        None => vec![Stage::Published],
        Some(stage) if stage.is_public() || insider => vec![stage],
        Some(_) => return Ok(None),
    };
    let page_size = match request.page_size {
        0 => DEFAULT_PAGE_SIZE,
        n if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        _ => {
            return Err(ApiError::invalid_field(
                "page_size",
                "must be from 1 to 500 (0 for 50)",
            ))
        }
    };
    let nkz_code = match request.nkz_code.trim() {
        "" => None,
        code if code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()) => {
            Some(code.to_string())
        }
        _ => {
            return Err(ApiError::invalid_field(
                "nkz_code",
                "must be an NKZ code of 8 digits",
            ))
        }
    };
    let nqf_level = match request.nqf_level {
        0 => None,
        level @ 1..=8 => Some(level),
        _ => {
            return Err(ApiError::invalid_field(
                "nqf_level",
                "must be an NQF level from 1 to 8",
            ))
        }
    };
    if request.title.chars().count() > 200 {
        return Err(ApiError::invalid_field(
            "title",
            "must be at most 200 characters",
        ));
    }
    Ok(Some(ListFilter {
        stages,
        nkz_code,
        nqf_level,
        title: Some(request.title.trim().to_lowercase()).filter(|t| !t.is_empty()),
        after: parse_page_token(&request.page_token)?,
        limit: i64::from(page_size),
    }))
}

/// A page of the list and the token of the next (none when this one is not full).
pub fn list_to_proto(found: &[StandardVersion], limit: i64) -> pb::ListStandardsResponse {
    let next_page_token = match found.last() {
        Some(last) if found.len() as i64 == limit => page_token(last),
        _ => String::new(),
    };
    pb::ListStandardsResponse {
        standards: found.iter().map(to_proto).collect(),
        next_page_token,
    }
}

pub fn diff_to_proto(fields: Vec<FieldDiff>) -> pb::DiffVersionsResponse {
    pb::DiffVersionsResponse {
        fields: fields
            .into_iter()
            .map(|d| pb::FieldDiff {
                field: d.field,
                before: d.before,
                after: d.after,
            })
            .collect(),
    }
}

/// A version number as a caller sent it: `min` or more (0 names the newest where allowed).
pub fn version_number(raw: i32, min: i32, field: &str, rule: &str) -> Result<i32, ApiError> {
    if raw < min {
        return Err(ApiError::invalid_field(field, rule));
    }
    Ok(raw)
}

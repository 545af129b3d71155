//! Proto <-> domain for the register: one contract for unknown values — an enum number the
//! register does not know is refused naming its field. A leaf: handlers, cases and events
//! import it; it imports none of them.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, SecondsFormat};
use nsk_db::requests::ContentDigest;
use nsk_errors::{ApiError, FieldViolation};
use nsk_proto::nsk::common::v1 as common;
use nsk_proto::nsk::professions::v1 as pb;
use prost::Message as _;
use uuid::Uuid;

use crate::domain::{
    ChangeReason, Grounding, ProfessionDraft, ProfessionEntry, SeparateSkills,
    Status as EntryStatus,
};
use crate::store::{HistoryRow, ListFilter, SortKey, StoredProfession};

const DEFAULT_PAGE_SIZE: i32 = 50;
const MAX_PAGE_SIZE: i32 = 500;
/// The longest text searched for.
pub const MAX_SEARCH_CHARS: usize = 200;
/// The largest file an import takes in one go.
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// A page size as a caller sent it (0: the default).
pub fn page_size(raw: i32) -> Result<i32, ApiError> {
    match raw {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid_field(
            "page_size",
            "must be between 1 and 500",
        )),
    }
}

/// Why a change is made, and the document it rests on (Art. 9.1).
pub fn change_reason(
    reason: &str,
    basis: Option<common::BasisDocument>,
) -> Result<ChangeReason, ApiError> {
    let basis = basis.unwrap_or_default();
    ChangeReason::parse(reason, &basis.number, &basis.date, &basis.title)
        .map_err(ApiError::invalid_fields)
}

/// The list a caller asked for, but for the day of the register it reads (`as_of`: `None`
/// means today, which the case settles).
pub fn list_filter(request: &pb::ListProfessionsRequest) -> Result<ListFilter, ApiError> {
    let page_size = page_size(request.page_size)?;
    // A name is searched by its parts; a text of thousands of characters is no name, and
    // would cost the database a hundred times a real search.
    if request.name.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::invalid_field(
            "name",
            format!("must be at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let (sort, descending) = parse_order_by(&request.order_by)?;
    let after = match request.page_token.as_str() {
        "" => None,
        token => Some(decode_page_token(token, sort, descending)?),
    };
    Ok(ListFilter {
        name: Some(request.name.trim().to_string()).filter(|n| !n.is_empty()),
        nkz_code: Some(request.nkz_code.trim().to_string()).filter(|c| !c.is_empty()),
        oked_code: Some(request.oked_code.trim().to_string()).filter(|c| !c.is_empty()),
        nqf_level: match request.nqf_level {
            0 => None,
            level @ 1..=8 => Some(level),
            _ => {
                return Err(ApiError::invalid_field(
                    "nqf_level",
                    "must be between 1 and 8",
                ))
            }
        },
        status: match pb::ProfessionStatus::try_from(request.status) {
            Ok(pb::ProfessionStatus::Unspecified) => None,
            Ok(pb::ProfessionStatus::Active) => Some(EntryStatus::Active),
            Ok(pb::ProfessionStatus::Excluded) => Some(EntryStatus::Excluded),
            Err(_) => return Err(ApiError::invalid_field("status", "is not a known status")),
        },
        as_of: nsk_errors::fields::optional_date(&request.as_of, "as_of")?,
        needs_review: request.needs_review,
        sort,
        descending,
        after,
        limit: i64::from(page_size),
    })
}

pub fn list_to_proto(
    items: &[StoredProfession],
    total: crate::store::Total,
    filter: &ListFilter,
) -> pb::ListProfessionsResponse {
    let next_page_token = match items.last() {
        Some(last) if items.len() as i64 == filter.limit => {
            encode_page_token(last, filter.sort, filter.descending)
        }
        _ => String::new(),
    };
    pb::ListProfessionsResponse {
        professions: items.iter().map(to_proto).collect(),
        next_page_token,
        total_size: total.count,
        total_size_capped: total.capped,
    }
}

/// A page token of the history: the version after which the page starts.
pub fn history_page_token(raw: &str) -> Result<i64, ApiError> {
    match raw {
        "" => Ok(0),
        token => token.parse::<i64>().map_err(|_| {
            ApiError::invalid_field(
                "page_token",
                "is not a token this service issued; start from the first page",
            )
        }),
    }
}

pub fn history_to_proto(rows: Vec<HistoryRow>, limit: i64) -> pb::ListProfessionHistoryResponse {
    let next_page_token = match rows.last() {
        Some(last) if rows.len() as i64 == limit => last.profession.version.to_string(),
        _ => String::new(),
    };
    let changes = rows
        .into_iter()
        .map(|row| pb::ProfessionChange {
            version: row.profession.version,
            stamp: Some(common::ChangeStamp {
                actor: row.actor,
                actor_role: row.actor_role,
                at: row
                    .profession
                    .updated_at
                    .to_rfc3339_opts(SecondsFormat::Micros, true),
                reason: row.reason,
                request_id: row.request_id,
            }),
            kind: row.kind,
            basis: row.basis.map(|b| common::BasisDocument {
                number: b.number,
                date: b.date.to_string(),
                title: b.title,
            }),
            changed_fields: row.changed_fields,
            entry: Some(to_proto(&row.profession)),
            effective_from: row.effective_from.to_string(),
        })
        .collect();
    pb::ListProfessionHistoryResponse {
        changes,
        next_page_token,
    }
}

/// The rows of an import as they stream in: each parsed as it arrives, refusals gathered with
/// their row, one NKZ code per file, the digest of the whole for its request key.
#[derive(Default)]
pub struct ImportRows {
    /// (field prefix of the row, the entry).
    pub entries: Vec<(String, ProfessionEntry)>,
    pub violations: Vec<FieldViolation>,
    /// The first row of each NKZ code, in file order.
    pub rows_of_code: Vec<(String, i32)>,
    first_row_of_code: HashMap<String, i32>,
    pub request_id: String,
    pub content: ContentDigest,
    pub received: usize,
}

impl ImportRows {
    /// Takes the next message; an error ends the import (too many rows).
    pub fn push(&mut self, message: pb::ImportProfessionsRequest) -> Result<(), ApiError> {
        self.received += 1;
        if self.received > MAX_IMPORT_ROWS {
            return Err(ApiError::invalid_field(
                "rows",
                "an import takes at most 100000 rows; split the file",
            ));
        }
        if self.received == 1 {
            self.request_id = message.request_id.clone();
        }
        self.content.update(&message.encode_to_vec());
        let row = if message.row > 0 {
            message.row
        } else {
            self.received as i32
        };
        let prefix = format!("rows[{row}].");
        let Some(profession) = message.profession else {
            self.violations.push(FieldViolation {
                field: format!("rows[{row}]"),
                description: "is empty".into(),
            });
            return Ok(());
        };
        match ProfessionEntry::parse(&draft_from_proto(profession), &prefix) {
            Ok(entry) => {
                let code = entry.nkz_code.as_str().to_string();
                if !entry.nkz_code.is_absent() {
                    // Two rows of one file may not claim one NKZ code.
                    if let Some(first) = self.first_row_of_code.get(&code) {
                        self.violations.push(FieldViolation {
                            field: format!("{prefix}nkz_code"),
                            description: format!("duplicates the NKZ code {code} of row {first}"),
                        });
                    } else {
                        self.first_row_of_code.insert(code.clone(), row);
                        self.rows_of_code.push((code, row));
                    }
                }
                self.entries.push((prefix, entry));
            }
            Err(mut bad) => self.violations.append(&mut bad),
        }
        Ok(())
    }

    /// The refusal of the whole file, naming every problem and how many rows have one.
    pub fn refusal(&self, violations: Vec<FieldViolation>) -> ApiError {
        let bad_rows: BTreeSet<String> = violations
            .iter()
            .map(|v| v.field.split('.').next().unwrap_or_default().to_string())
            .collect();
        let mut err = ApiError::invalid_fields(violations);
        let problems = err.violations.len();
        err.message = format!(
            "the import was refused and nothing was entered: {problems} problem{} in {} of {} rows",
            if problems == 1 { "" } else { "s" },
            bad_rows.len(),
            self.received
        );
        err
    }
}

/// The day a caller named, if any.
pub fn as_of(raw: &str) -> Result<Option<NaiveDate>, ApiError> {
    nsk_errors::fields::optional_date(raw, "as_of")
}

pub fn parse_order_by(raw: &str) -> Result<(SortKey, bool), ApiError> {
    let rule = "must be one of nkz_code, oked_code, name_kk, name_ru, name_en, create_time, optionally followed by \" desc\"";
    let mut words = raw.split_whitespace();
    let key = match words.next() {
        None => return Ok((SortKey::CreateTime, false)),
        Some(word) => {
            SortKey::parse(word).ok_or_else(|| ApiError::invalid_field("order_by", rule))?
        }
    };
    let descending = match words.next() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(ApiError::invalid_field("order_by", rule)),
    };
    if words.next().is_some() {
        return Err(ApiError::invalid_field("order_by", rule));
    }
    Ok((key, descending))
}

/// A page token: the order it belongs to and the position after the page, hex-encoded so it
/// stays opaque and URL-safe.
pub fn encode_page_token(last: &StoredProfession, sort: SortKey, descending: bool) -> String {
    let raw = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}",
        sort.as_str(),
        descending,
        sort.value_of(last),
        last.id
    );
    raw.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn decode_page_token(
    token: &str,
    sort: SortKey,
    descending: bool,
) -> Result<(String, Uuid), ApiError> {
    let invalid = || {
        ApiError::invalid_field(
            "page_token",
            "is not a token this service issued for this order; start from the first page",
        )
    };
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(invalid)?;
    let raw = String::from_utf8(bytes).map_err(|_| invalid())?;
    let parts: Vec<&str> = raw.split('\u{1f}').collect();
    match parts.as_slice() {
        [key, desc, value, id] if *key == sort.as_str() && *desc == descending.to_string() => Ok((
            value.to_string(),
            Uuid::parse_str(id).map_err(|_| invalid())?,
        )),
        _ => Err(invalid()),
    }
}

pub fn draft_from_proto(p: pb::Profession) -> ProfessionDraft {
    let names = p.names.unwrap_or_default();
    let basis = p.inclusion_basis.unwrap_or_default();
    let standard = p.standard.unwrap_or_default();
    ProfessionDraft {
        name_kk: names.kk,
        name_ru: names.ru,
        name_en: names.en,
        nkz_code: p.nkz_code,
        oked_code: p.oked_code,
        nqf_levels: p.nqf_levels,
        document_validity_months: p.document_validity_months,
        separate_skills_allowed: p.separate_skills_allowed,
        separate_skills: p.separate_skills,
        standard_id: standard.standard_id,
        standard_version: standard.version,
        qualification_requirements_apply: p.qualification_requirements_apply,
        basis_number: basis.number,
        basis_date: basis.date,
        basis_title: basis.title,
    }
}

pub fn to_proto(p: &StoredProfession) -> pb::Profession {
    let e = &p.entry;
    let (standard, qualification_requirements_apply) = match &e.grounding {
        Grounding::Standard { id, version } => (
            Some(pb::StandardReference {
                standard_id: id.to_string(),
                version: *version,
            }),
            false,
        ),
        Grounding::QualificationRequirements => (None, true),
    };
    let (separate_skills_allowed, separate_skills) = match &e.separate_skills {
        SeparateSkills::NotAllowed => (false, Vec::new()),
        SeparateSkills::Allowed(skills) => (true, skills.clone()),
    };
    pb::Profession {
        id: p.id.to_string(),
        names: Some(common::LocalizedText {
            kk: e.names.kk.clone(),
            ru: e.names.ru.clone(),
            en: e.names.en.clone(),
        }),
        nkz_code: e.nkz_code.as_str().to_string(),
        oked_code: e.oked_code.as_str().to_string(),
        nqf_levels: e.nqf_levels.iter().map(|l| i32::from(l.get())).collect(),
        document_validity_months: e.document_validity_months,
        separate_skills_allowed,
        separate_skills,
        standard,
        qualification_requirements_apply,
        inclusion_basis: Some(common::BasisDocument {
            number: e.inclusion_basis.number.clone(),
            date: e.inclusion_basis.date.to_string(),
            title: e.inclusion_basis.title.clone(),
        }),
        status: match p.status {
            EntryStatus::Active => pb::ProfessionStatus::Active as i32,
            EntryStatus::Excluded => pb::ProfessionStatus::Excluded as i32,
        },
        version: p.version,
        create_time: p.created_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        update_time: p.updated_at.to_rfc3339_opts(SecondsFormat::Micros, true),
    }
}

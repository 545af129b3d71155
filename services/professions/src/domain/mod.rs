//! The register of professions as the law describes it (Law Art. 1.6, 5.6, 20, 21.5).
//!
//! A [`ProfessionEntry`] exists only in a valid state: [`ProfessionEntry::parse`] checks every
//! field of a [`ProfessionDraft`] and reports all broken rules at once.

use chrono::NaiveDate;
use nsk_errors::FieldViolation;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Code in the National classifier of occupations: 8 digits, or "0" where the profession has
/// no NKZ code (Rules, Appendix 2, level 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NkzCode(String);

impl NkzCode {
    pub const RULE: &'static str =
        "must be 8 digits, or \"0\" where the profession has no NKZ code";

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw == "0" || (raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit())) {
            Ok(Self(raw.to_string()))
        } else {
            Err(Self::RULE)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// "0" marks a profession without an NKZ code; several such entries may coexist.
    pub fn is_absent(&self) -> bool {
        self.0 == "0"
    }
}

/// Type of labour activity: an OKED subclass, 5 digits (Rules, Appendix 2, level 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OkedCode(String);

impl OkedCode {
    pub const RULE: &'static str = "must be an OKED subclass of 5 digits";

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.len() == 5 && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_string()))
        } else {
            Err(Self::RULE)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A level of the national qualifications framework, 1 to 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NqfLevel(u8);

impl NqfLevel {
    pub const RULE: &'static str = "NQF levels must be between 1 and 8";

    pub fn parse(raw: i32) -> Result<Self, &'static str> {
        u8::try_from(raw)
            .ok()
            .filter(|l| (1..=8).contains(l))
            .map(Self)
            .ok_or(Self::RULE)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// The names of a profession in the three languages of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

/// The document a change rests on (for inclusion: the National council's recommendation): the
/// one basis-document type of the platform.
pub use nsk_errors::fields::Document;

/// What an entry rests on: an approved professional standard, or qualification requirements
/// where there is none (Art. 1.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grounding {
    Standard { id: Uuid, version: i32 },
    QualificationRequirements,
}

/// Whether separate skills may be recognised (Art. 20), and which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeparateSkills {
    NotAllowed,
    Allowed(Vec<String>),
}

impl SeparateSkills {
    /// Art. 20.2: separate skills are recognised "if the requirement ... is established by the
    /// relevant professional standards, and in their absence – qualification requirements". An
    /// entry resting on a standard may list only skills that version of the standard lets be
    /// recognised separately (`of_standard`); each skill it may not is a reason.
    pub fn beyond_standard(&self, of_standard: &[String]) -> Vec<String> {
        match self {
            SeparateSkills::NotAllowed => Vec::new(),
            SeparateSkills::Allowed(skills) if of_standard.is_empty() => vec![format!(
                "the standard lets no skill be recognised separately, so the entry may list none ({} listed; Art. 20.2)",
                skills.len()
            )],
            SeparateSkills::Allowed(skills) => skills
                .iter()
                .filter(|s| !of_standard.contains(s))
                .map(|s| format!(
                    "\"{s}\" is not among the skills the standard lets be recognised separately (Art. 20.2)"
                ))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Active,
    Excluded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Excluded => "excluded",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Status::Active),
            "excluded" => Some(Status::Excluded),
            _ => None,
        }
    }
}

/// The longest validity the register accepts for documents of a profession: 100 years.
pub const MAX_VALIDITY_MONTHS: i32 = 1200;
const MAX_NAME_CHARS: usize = 500;

/// An entry of the register, valid by construction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfessionEntry {
    pub names: Names,
    pub nkz_code: NkzCode,
    pub oked_code: OkedCode,
    /// Ascending, without repeats, at least one.
    pub nqf_levels: Vec<NqfLevel>,
    /// Validity of documents issued for the profession, in months (Art. 21.5).
    pub document_validity_months: i32,
    pub separate_skills: SeparateSkills,
    pub grounding: Grounding,
    pub inclusion_basis: Document,
}

/// The fields of an entry as a caller sent them, before any check.
#[derive(Debug, Clone, Default)]
pub struct ProfessionDraft {
    pub name_kk: String,
    pub name_ru: String,
    pub name_en: String,
    pub nkz_code: String,
    pub oked_code: String,
    pub nqf_levels: Vec<i32>,
    pub document_validity_months: i32,
    pub separate_skills_allowed: bool,
    pub separate_skills: Vec<String>,
    pub standard_id: String,
    pub standard_version: i32,
    pub qualification_requirements_apply: bool,
    pub basis_number: String,
    pub basis_date: String,
    pub basis_title: String,
}

impl ProfessionEntry {
    /// Checks every rule; field paths in the violations are prefixed with `prefix`
    /// (e.g. `profession.`), so they name the field of the caller's request.
    pub fn parse(draft: &ProfessionDraft, prefix: &str) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Vec::new();
        let mut violate = |field: &str, rule: &str| {
            violations.push(FieldViolation {
                field: format!("{prefix}{field}"),
                description: rule.to_string(),
            });
        };

        let mut name = |field: &str, value: &str| -> String {
            let value = value.trim();
            if value.is_empty() {
                violate(
                    field,
                    "is required: the register keeps names in Kazakh, Russian and English",
                );
            } else if value.chars().count() > MAX_NAME_CHARS {
                violate(field, "must be at most 500 characters");
            }
            value.to_string()
        };
        let names = Names {
            kk: name("names.kk", &draft.name_kk),
            ru: name("names.ru", &draft.name_ru),
            en: name("names.en", &draft.name_en),
        };

        let nkz_code = NkzCode::parse(&draft.nkz_code)
            .map_err(|rule| violate("nkz_code", rule))
            .ok();
        let oked_code = OkedCode::parse(&draft.oked_code)
            .map_err(|rule| violate("oked_code", rule))
            .ok();

        let mut nqf_levels = Vec::new();
        if draft.nqf_levels.is_empty() {
            violate("nqf_levels", "at least one NQF level (1-8) is required");
        }
        for raw in &draft.nqf_levels {
            match NqfLevel::parse(*raw) {
                Ok(level) if nqf_levels.contains(&level) => {
                    violate("nqf_levels", "must not repeat a level")
                }
                Ok(level) => nqf_levels.push(level),
                Err(rule) => violate("nqf_levels", rule),
            }
        }
        nqf_levels.sort();

        // Art. 21.5: the register sets the validity of documents issued for the profession.
        if !(1..=MAX_VALIDITY_MONTHS).contains(&draft.document_validity_months) {
            violate(
                "document_validity_months",
                "is required (Art. 21.5): the validity of documents in months, from 1 to 1200",
            );
        }

        // Art. 20: separate skills are listed exactly when their recognition is allowed.
        let skills: Vec<String> = draft
            .separate_skills
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let separate_skills = match (draft.separate_skills_allowed, skills.is_empty()) {
            (true, true) => {
                violate(
                    "separate_skills",
                    "must list the skills when separate recognition is allowed (Art. 20)",
                );
                SeparateSkills::NotAllowed
            }
            (false, false) => {
                violate(
                    "separate_skills",
                    "must be empty when separate recognition is not allowed (Art. 20)",
                );
                SeparateSkills::NotAllowed
            }
            (true, false) => SeparateSkills::Allowed(skills),
            (false, true) => SeparateSkills::NotAllowed,
        };

        // Art. 1.6: an entry rests on a professional standard, or on qualification requirements.
        let grounding = match (
            draft.standard_id.trim(),
            draft.qualification_requirements_apply,
        ) {
            ("", true) => Some(Grounding::QualificationRequirements),
            ("", false) => {
                violate(
                    "standard",
                    "name the approved professional standard, or set qualification_requirements_apply",
                );
                None
            }
            (_, true) => {
                violate(
                    "standard",
                    "must be empty when qualification requirements apply",
                );
                None
            }
            (id, false) => match (Uuid::parse_str(id), draft.standard_version) {
                (Ok(id), version) if version >= 1 => Some(Grounding::Standard { id, version }),
                (Err(_), _) => {
                    violate(
                        "standard.standard_id",
                        "must be the UUID of a professional standard",
                    );
                    None
                }
                (Ok(_), _) => {
                    violate(
                        "standard.version",
                        "must be the approved version number, 1 or more",
                    );
                    None
                }
            },
        };

        // Art. 5.6: entries are included on the National council's recommendation.
        let basis_number = draft.basis_number.trim().to_string();
        if basis_number.is_empty() {
            violate(
                "inclusion_basis.number",
                "is required: the number of the National council's recommendation",
            );
        }
        let basis_date = NaiveDate::parse_from_str(draft.basis_date.trim(), "%Y-%m-%d")
            .map_err(|_| {
                violate(
                    "inclusion_basis.date",
                    "must be the date of the recommendation as YYYY-MM-DD",
                )
            })
            .ok();

        match (nkz_code, oked_code, grounding, basis_date) {
            (Some(nkz_code), Some(oked_code), Some(grounding), Some(date))
                if violations.is_empty() =>
            {
                Ok(Self {
                    names,
                    nkz_code,
                    oked_code,
                    nqf_levels,
                    document_validity_months: draft.document_validity_months,
                    separate_skills,
                    grounding,
                    inclusion_basis: Document {
                        number: basis_number,
                        date,
                        title: draft.basis_title.trim().to_string(),
                    },
                })
            }
            _ => Err(violations),
        }
    }
}

/// Why the register changes: a reason and the document it rests on (Art. 9.1: amendments are
/// proposed and adopted by documents; every change of the register is recorded with them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeReason {
    pub reason: String,
    pub basis: Document,
}

impl ChangeReason {
    pub fn parse(
        reason: &str,
        number: &str,
        date: &str,
        title: &str,
    ) -> Result<Self, Vec<FieldViolation>> {
        let mut violations = Vec::new();
        let reason = reason.trim();
        if reason.is_empty() {
            violations.push(FieldViolation {
                field: "reason".into(),
                description: "is required: every change of the register says why".into(),
            });
        }
        let basis = nsk_errors::fields::document(number, date, title, "basis")
            .map_err(|err| violations.extend(err.violations))
            .ok();
        match basis {
            Some(basis) if violations.is_empty() => Ok(Self {
                reason: reason.to_string(),
                basis,
            }),
            _ => Err(violations),
        }
    }
}

/// A change of state the register refuses, naming the state that forbids it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

impl Status {
    /// Art. 5.6: the authorized body keeps the register, excluding entries that no longer belong.
    pub fn exclude(self) -> Result<Status, Refused> {
        match self {
            Status::Active => Ok(Status::Excluded),
            Status::Excluded => Err(Refused(
                "the profession is already excluded from the register".into(),
            )),
        }
    }

    pub fn reinstate(self) -> Result<Status, Refused> {
        match self {
            Status::Excluded => Ok(Status::Active),
            Status::Active => Err(Refused(
                "the profession is in the register; only an excluded one can be reinstated".into(),
            )),
        }
    }

    /// An excluded entry is history: reinstate it before amending it.
    pub fn check_amendable(self) -> Result<(), Refused> {
        match self {
            Status::Active => Ok(()),
            Status::Excluded => Err(Refused(
                "the profession is excluded from the register; reinstate it before amending it"
                    .into(),
            )),
        }
    }
}

/// Fields an amendment may name in its update mask (proto field paths).
pub const AMENDABLE_FIELDS: [&str; 12] = [
    "names",
    "names.kk",
    "names.ru",
    "names.en",
    "nkz_code",
    "oked_code",
    "nqf_levels",
    "document_validity_months",
    "separate_skills",
    "standard",
    "qualification_requirements_apply",
    "inclusion_basis",
];

/// `nkzCode` and `nkz_code` name the same field; masks may come in either JSON or proto form.
fn normalise_field(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.trim().chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl ProfessionEntry {
    /// The entry as a draft, for amendments to start from.
    pub fn to_draft(&self) -> ProfessionDraft {
        let (standard_id, standard_version, qualification_requirements_apply) =
            match &self.grounding {
                Grounding::Standard { id, version } => (id.to_string(), *version, false),
                Grounding::QualificationRequirements => (String::new(), 0, true),
            };
        let (separate_skills_allowed, separate_skills) = match &self.separate_skills {
            SeparateSkills::NotAllowed => (false, Vec::new()),
            SeparateSkills::Allowed(skills) => (true, skills.clone()),
        };
        ProfessionDraft {
            name_kk: self.names.kk.clone(),
            name_ru: self.names.ru.clone(),
            name_en: self.names.en.clone(),
            nkz_code: self.nkz_code.as_str().to_string(),
            oked_code: self.oked_code.as_str().to_string(),
            nqf_levels: self.nqf_levels.iter().map(|l| i32::from(l.get())).collect(),
            document_validity_months: self.document_validity_months,
            separate_skills_allowed,
            separate_skills,
            standard_id,
            standard_version,
            qualification_requirements_apply,
            basis_number: self.inclusion_basis.number.clone(),
            basis_date: self.inclusion_basis.date.to_string(),
            basis_title: self.inclusion_basis.title.clone(),
        }
    }

    /// The entry after an amendment (Art. 9.1): the fields named in `mask` take their values
    /// from `proposed`, the rest stay; the result must satisfy every rule of a new entry.
    /// Returns it with the fields whose values actually changed (sorted, without repeats).
    pub fn amend(
        &self,
        proposed: &ProfessionDraft,
        mask: &[String],
    ) -> Result<(Self, Vec<String>), Vec<FieldViolation>> {
        if mask.is_empty() {
            return Err(vec![FieldViolation {
                field: "update_mask".into(),
                description: format!(
                    "must name the fields to change, among: {}",
                    AMENDABLE_FIELDS.join(", ")
                ),
            }]);
        }
        let mut draft = self.to_draft();
        for raw in mask {
            let field = normalise_field(raw);
            match field.as_str() {
                "names" => {
                    draft.name_kk = proposed.name_kk.clone();
                    draft.name_ru = proposed.name_ru.clone();
                    draft.name_en = proposed.name_en.clone();
                }
                "names.kk" => draft.name_kk = proposed.name_kk.clone(),
                "names.ru" => draft.name_ru = proposed.name_ru.clone(),
                "names.en" => draft.name_en = proposed.name_en.clone(),
                "nkz_code" => draft.nkz_code = proposed.nkz_code.clone(),
                "oked_code" => draft.oked_code = proposed.oked_code.clone(),
                "nqf_levels" => draft.nqf_levels = proposed.nqf_levels.clone(),
                "document_validity_months" => {
                    draft.document_validity_months = proposed.document_validity_months
                }
                "separate_skills" | "separate_skills_allowed" => {
                    draft.separate_skills_allowed = proposed.separate_skills_allowed;
                    draft.separate_skills = proposed.separate_skills.clone();
                }
                "standard" | "qualification_requirements_apply" => {
                    draft.standard_id = proposed.standard_id.clone();
                    draft.standard_version = proposed.standard_version;
                    draft.qualification_requirements_apply =
                        proposed.qualification_requirements_apply;
                }
                "inclusion_basis" => {
                    draft.basis_number = proposed.basis_number.clone();
                    draft.basis_date = proposed.basis_date.clone();
                    draft.basis_title = proposed.basis_title.clone();
                }
                _ => {
                    return Err(vec![FieldViolation {
                        field: "update_mask".into(),
                        description: format!(
                            "{raw:?} is not an amendable field; amendable: {}",
                            AMENDABLE_FIELDS.join(", ")
                        ),
                    }])
                }
            }
        }
        let amended = Self::parse(&draft, "profession.")?;
        let mut changed = Vec::new();
        let mut note = |field: &str, differs: bool| {
            if differs {
                changed.push(field.to_string());
            }
        };
        note("names.kk", amended.names.kk != self.names.kk);
        note("names.ru", amended.names.ru != self.names.ru);
        note("names.en", amended.names.en != self.names.en);
        note("nkz_code", amended.nkz_code != self.nkz_code);
        note("oked_code", amended.oked_code != self.oked_code);
        note("nqf_levels", amended.nqf_levels != self.nqf_levels);
        note(
            "document_validity_months",
            amended.document_validity_months != self.document_validity_months,
        );
        note(
            "separate_skills",
            amended.separate_skills != self.separate_skills,
        );
        note("standard", amended.grounding != self.grounding);
        note(
            "inclusion_basis",
            amended.inclusion_basis != self.inclusion_basis,
        );
        if changed.is_empty() {
            return Err(vec![FieldViolation {
                field: "profession".into(),
                description:
                    "the amendment changes nothing: the named fields already hold these values"
                        .into(),
            }]);
        }
        Ok((amended, changed))
    }
}

/// The day a change of the register takes effect: the day its order names, which may be later
/// than the day it is entered (default: that day); never before it, and never before the
/// entry's latest version takes effect, so that versions take effect in the order entered.
pub fn effective_date(
    named: Option<NaiveDate>,
    today: NaiveDate,
    latest: NaiveDate,
) -> Result<NaiveDate, String> {
    let day = named.unwrap_or(today);
    if day < today {
        return Err(format!(
            "must not be before today ({today}): the register is not changed retroactively"
        ));
    }
    if day < latest {
        return Err(format!(
            "must not be before {latest}, the day the entry's latest version takes effect"
        ));
    }
    Ok(day)
}

#[cfg(test)]
mod effective_tests {
    use super::effective_date;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_amendment_takes_effect_on_the_day_its_order_names_never_earlier_than_entered() {
        let today = d("2026-11-23");
        assert_eq!(effective_date(None, today, d("2026-02-16")), Ok(today));
        assert_eq!(
            effective_date(Some(d("2027-01-01")), today, d("2026-02-16")),
            Ok(d("2027-01-01"))
        );
        assert!(
            effective_date(Some(d("2026-11-22")), today, d("2026-02-16"))
                .unwrap_err()
                .contains("retroactively")
        );
        // A pending amendment from 1 January: the next one cannot take effect before it.
        assert!(
            effective_date(Some(d("2026-12-01")), today, d("2027-01-01"))
                .unwrap_err()
                .contains("2027-01-01")
        );
        assert!(effective_date(None, today, d("2027-01-01")).is_err());
    }
}

#[cfg(test)]
mod skills_tests {
    use super::SeparateSkills;

    #[test]
    fn separate_skills_follow_the_standard_art_20_2() {
        let standard = vec!["Weld butt joints".to_string(), "Cut metal".to_string()];
        assert!(SeparateSkills::NotAllowed
            .beyond_standard(&standard)
            .is_empty());
        assert!(SeparateSkills::Allowed(vec!["Cut metal".into()])
            .beyond_standard(&standard)
            .is_empty());
        let wider = SeparateSkills::Allowed(vec!["Cut metal".into(), "Juggle".into()])
            .beyond_standard(&standard);
        assert_eq!(wider.len(), 1);
        assert!(wider[0].contains("\"Juggle\""), "{wider:?}");
        let none = SeparateSkills::Allowed(vec!["Cut metal".into()]).beyond_standard(&[]);
        assert!(none[0].contains("lets no skill"), "{none:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn draft() -> ProfessionDraft {
        ProfessionDraft {
            name_kk: "Бағдарламашы".into(),
            name_ru: "Программист".into(),
            name_en: "Software developer".into(),
            nkz_code: "25111001".into(),
            oked_code: "62011".into(),
            nqf_levels: vec![6, 5],
            document_validity_months: 60,
            separate_skills_allowed: false,
            separate_skills: vec![],
            standard_id: String::new(),
            standard_version: 0,
            qualification_requirements_apply: true,
            basis_number: "7".into(),
            basis_date: "2026-03-02".into(),
            basis_title: "Recommendation of the National council".into(),
        }
    }

    fn fields(draft: &ProfessionDraft) -> Vec<String> {
        ProfessionEntry::parse(draft, "")
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn a_complete_draft_parses_with_sorted_levels() {
        let entry = ProfessionEntry::parse(&draft(), "").unwrap();
        assert_eq!(entry.nqf_levels, vec![NqfLevel(5), NqfLevel(6)]);
        assert_eq!(entry.grounding, Grounding::QualificationRequirements);
    }

    #[test]
    fn nkz_code_is_eight_digits_or_zero() {
        assert!(NkzCode::parse("25111001").is_ok());
        assert!(NkzCode::parse("0").unwrap().is_absent());
        for bad in ["", "2511100", "251110011", "2511100A", "00"] {
            assert_eq!(NkzCode::parse(bad), Err(NkzCode::RULE), "{bad:?}");
        }
    }

    #[test]
    fn oked_code_is_five_digits() {
        assert!(OkedCode::parse("62011").is_ok());
        for bad in ["6201", "620111", "6201a"] {
            assert!(OkedCode::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn nqf_levels_are_one_to_eight_without_repeats() {
        assert!(NqfLevel::parse(1).is_ok() && NqfLevel::parse(8).is_ok());
        assert!(
            NqfLevel::parse(0).is_err()
                && NqfLevel::parse(9).is_err()
                && NqfLevel::parse(-1).is_err()
        );
        let mut d = draft();
        d.nqf_levels = vec![4, 4];
        assert_eq!(fields(&d), ["nqf_levels"]);
        d.nqf_levels = vec![];
        assert_eq!(fields(&d), ["nqf_levels"]);
    }

    #[test]
    fn every_broken_rule_is_reported_at_once_with_its_field() {
        let mut d = draft();
        d.name_en = "  ".into();
        d.nkz_code = "123".into();
        d.oked_code = "1".into();
        d.document_validity_months = 0;
        d.basis_number = String::new();
        d.basis_date = "02.03.2026".into();
        let violations = ProfessionEntry::parse(&d, "profession.").unwrap_err();
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "profession.names.en",
                "profession.nkz_code",
                "profession.oked_code",
                "profession.document_validity_months",
                "profession.inclusion_basis.number",
                "profession.inclusion_basis.date",
            ]
        );
        assert!(violations[3].description.contains("Art. 21.5"));
    }

    #[test]
    fn separate_skills_are_listed_exactly_when_allowed() {
        let mut d = draft();
        d.separate_skills_allowed = true;
        assert_eq!(fields(&d), ["separate_skills"]);
        d.separate_skills = vec!["Code review".into()];
        assert!(ProfessionEntry::parse(&d, "").is_ok());
        d.separate_skills_allowed = false;
        assert_eq!(fields(&d), ["separate_skills"]);
    }

    #[test]
    fn exclusion_and_reinstatement_alternate() {
        assert_eq!(Status::Active.exclude(), Ok(Status::Excluded));
        assert!(Status::Excluded
            .exclude()
            .unwrap_err()
            .0
            .contains("already excluded"));
        assert_eq!(Status::Excluded.reinstate(), Ok(Status::Active));
        assert!(Status::Active.reinstate().is_err());
        assert!(Status::Active.check_amendable().is_ok());
        assert!(Status::Excluded
            .check_amendable()
            .unwrap_err()
            .0
            .contains("reinstate it"));
    }

    #[test]
    fn a_change_needs_a_reason_and_a_dated_basis() {
        let ok = ChangeReason::parse("yearly update", "15", "2026-11-02", "Order 15").unwrap();
        assert_eq!(ok.basis.date, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
        let fields: Vec<String> = ChangeReason::parse(" ", "", "2-11-2026", "")
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["reason", "basis.number", "basis.date"]);
    }

    #[test]
    fn an_amendment_changes_only_the_masked_fields_and_reports_them() {
        let entry = ProfessionEntry::parse(&draft(), "").unwrap();
        let mut proposed = draft();
        proposed.name_en = "Programmer".into();
        proposed.oked_code = "99999".into(); // not in the mask: ignored
        proposed.document_validity_months = 36;
        let mask = vec!["names.en".to_string(), "documentValidityMonths".to_string()];
        let (amended, changed) = entry.amend(&proposed, &mask).unwrap();
        assert_eq!(amended.names.en, "Programmer");
        assert_eq!(amended.oked_code.as_str(), "62011");
        assert_eq!(amended.document_validity_months, 36);
        assert_eq!(changed, ["names.en", "document_validity_months"]);
    }

    #[test]
    fn an_amendment_is_held_to_the_rules_of_a_new_entry() {
        let entry = ProfessionEntry::parse(&draft(), "").unwrap();
        let mut proposed = draft();
        proposed.nkz_code = "12".into();
        let err = entry
            .amend(&proposed, &["nkz_code".to_string()])
            .unwrap_err();
        assert_eq!(err[0].field, "profession.nkz_code");
        let err = entry.amend(&proposed, &["status".to_string()]).unwrap_err();
        assert_eq!(err[0].field, "update_mask");
        let err = entry.amend(&proposed, &[]).unwrap_err();
        assert_eq!(err[0].field, "update_mask");
        let unchanged = entry.amend(&draft(), &["names".to_string()]).unwrap_err();
        assert!(unchanged[0].description.contains("changes nothing"));
    }

    #[test]
    fn an_entry_rests_on_a_standard_or_on_qualification_requirements_not_both() {
        let mut d = draft();
        d.qualification_requirements_apply = false;
        assert_eq!(fields(&d), ["standard"]);
        d.standard_id = Uuid::now_v7().to_string();
        d.standard_version = 2;
        let entry = ProfessionEntry::parse(&d, "").unwrap();
        assert!(matches!(
            entry.grounding,
            Grounding::Standard { version: 2, .. }
        ));
        d.qualification_requirements_apply = true;
        assert_eq!(fields(&d), ["standard"]);
        d.qualification_requirements_apply = false;
        d.standard_id = "not-a-uuid".into();
        assert_eq!(fields(&d), ["standard.standard_id"]);
    }
}

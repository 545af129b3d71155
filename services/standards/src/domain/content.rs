//! What a professional standard says (Art. 1.14, 19, 20), and the rules its fields follow.
//!
//! A draft may be incomplete while the developer writes it: [`StandardContent::parse`] checks
//! only that what is there is well-formed; [`StandardContent::missing_for_submission`] names
//! what a draft still lacks before it can be submitted for approval.

use nsk_errors::FieldViolation;
use serde::{Deserialize, Serialize};

const MAX_TEXT_CHARS: usize = 500;
const MAX_LONG_TEXT_CHARS: usize = 10_000;
const MAX_LIST_ITEMS: usize = 200;

/// Who develops the standard (Art. 5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeveloperKind {
    /// The sectoral state body, which develops and approves standards.
    SectoralBody,
    /// An employers' association preparing a draft at its own cost.
    EmployersAssociation,
}

impl DeveloperKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeveloperKind::SectoralBody => "sectoral body",
            DeveloperKind::EmployersAssociation => "employers' association",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

/// A labour function with the knowledge, skills and competences it needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabourFunction {
    pub title: String,
    pub knowledge: Vec<String>,
    pub skills: Vec<String>,
    pub competences: Vec<String>,
}

/// The validated content of one version of a standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardContent {
    pub title: Title,
    pub sector: String,
    /// NKZ codes (8 digits) of the occupations the standard covers; it is developed on the
    /// basis of the NKZ (Art. 5.5).
    pub nkz_codes: Vec<String>,
    /// NQF levels 1-8, ascending, without repeats.
    pub nqf_levels: Vec<u8>,
    pub labour_functions: Vec<LabourFunction>,
    pub work_experience_requirements: String,
    pub education_requirements: String,
    /// Art. 19: whether non-formal and informal education is recognised.
    pub non_formal_education_recognised: bool,
    /// Art. 20: the skills that may be recognised separately; each is one of the skills of a
    /// labour function of the standard.
    pub separately_recognisable_skills: Vec<String>,
    pub developer_kind: DeveloperKind,
    pub developer_name: String,
}

/// The content as a caller sends it, before validation.
#[derive(Debug, Clone, Default)]
pub struct ContentDraft {
    pub title: Title,
    pub sector: String,
    pub nkz_codes: Vec<String>,
    pub nqf_levels: Vec<i32>,
    pub labour_functions: Vec<LabourFunction>,
    pub work_experience_requirements: String,
    pub education_requirements: String,
    pub non_formal_education_recognised: bool,
    pub separately_recognisable_skills: Vec<String>,
    pub developer_kind: Option<DeveloperKind>,
    pub developer_name: String,
}

struct Violations {
    prefix: String,
    found: Vec<FieldViolation>,
}

impl Violations {
    fn add(&mut self, field: &str, rule: &str) {
        self.found.push(FieldViolation {
            field: format!("{}{field}", self.prefix),
            description: rule.to_string(),
        });
    }

    fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let value = value.trim();
        if value.chars().count() > max {
            self.add(field, &format!("must be at most {max} characters"));
        }
        value.to_string()
    }

    /// Trimmed, non-empty items without repeats; blank items and repeats are violations.
    fn list(&mut self, field: &str, items: &[String]) -> Vec<String> {
        if items.len() > MAX_LIST_ITEMS {
            self.add(field, &format!("must have at most {MAX_LIST_ITEMS} items"));
        }
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item = self.text(&format!("{field}[{i}]"), item, MAX_TEXT_CHARS);
            if item.is_empty() {
                self.add(&format!("{field}[{i}]"), "must not be blank");
            } else if out.contains(&item) {
                self.add(&format!("{field}[{i}]"), "must not repeat an item");
            } else {
                out.push(item);
            }
        }
        out
    }
}

fn is_nkz_code(code: &str) -> bool {
    code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit())
}

impl StandardContent {
    /// Checks that every field present is well-formed; `prefix` is the path of the content in
    /// the request (e.g. `"standard."`), so that each violation names the caller's field.
    /// The title in three languages and the developer are required from the first draft.
    pub fn parse(draft: &ContentDraft, prefix: &str) -> Result<Self, Vec<FieldViolation>> {
        let mut v = Violations {
            prefix: prefix.to_string(),
            found: Vec::new(),
        };
        let title = |v: &mut Violations, field: &str, value: &str| {
            let value = v.text(field, value, MAX_TEXT_CHARS);
            if value.is_empty() {
                v.add(
                    field,
                    "is required: a standard is titled in Kazakh, Russian and English",
                );
            }
            value
        };
        let title = Title {
            kk: title(&mut v, "title.kk", &draft.title.kk),
            ru: title(&mut v, "title.ru", &draft.title.ru),
            en: title(&mut v, "title.en", &draft.title.en),
        };
        let sector = v.text("sector", &draft.sector, MAX_TEXT_CHARS);

        let nkz_codes = v.list("nkz_codes", &draft.nkz_codes);
        for (i, code) in draft.nkz_codes.iter().enumerate() {
            let code = code.trim();
            if !code.is_empty() && !is_nkz_code(code) {
                v.add(
                    &format!("nkz_codes[{i}]"),
                    "must be an NKZ code of 8 digits (Art. 5.5: standards rest on the NKZ)",
                );
            }
        }

        let mut nqf_levels: Vec<u8> = Vec::new();
        for (i, raw) in draft.nqf_levels.iter().enumerate() {
            match u8::try_from(*raw).ok().filter(|l| (1..=8).contains(l)) {
                Some(level) if nqf_levels.contains(&level) => {
                    v.add(&format!("nqf_levels[{i}]"), "must not repeat a level")
                }
                Some(level) => nqf_levels.push(level),
                None => v.add(
                    &format!("nqf_levels[{i}]"),
                    "must be an NQF level from 1 to 8",
                ),
            }
        }
        nqf_levels.sort_unstable();

        if draft.labour_functions.len() > MAX_LIST_ITEMS {
            v.add(
                "labour_functions",
                &format!("must have at most {MAX_LIST_ITEMS} items"),
            );
        }
        let labour_functions: Vec<LabourFunction> = draft
            .labour_functions
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let at = format!("labour_functions[{i}]");
                LabourFunction {
                    title: v.text(&format!("{at}.title"), &f.title, MAX_TEXT_CHARS),
                    knowledge: v.list(&format!("{at}.knowledge"), &f.knowledge),
                    skills: v.list(&format!("{at}.skills"), &f.skills),
                    competences: v.list(&format!("{at}.competences"), &f.competences),
                }
            })
            .collect();

        // Art. 20: a skill recognised separately is one the standard describes.
        let separately_recognisable_skills = v.list(
            "separately_recognisable_skills",
            &draft.separately_recognisable_skills,
        );
        for (i, skill) in draft.separately_recognisable_skills.iter().enumerate() {
            let skill = skill.trim();
            if !skill.is_empty()
                && !labour_functions
                    .iter()
                    .any(|f| f.skills.iter().any(|s| s == skill))
            {
                v.add(
                    &format!("separately_recognisable_skills[{i}]"),
                    "must be one of the skills of a labour function of the standard (Art. 20)",
                );
            }
        }

        // Art. 5.5: the sectoral body develops; an employers' association may draft at its cost.
        let developer_kind = draft.developer_kind;
        if developer_kind.is_none() {
            v.add(
                "developer_kind",
                "is required: a sectoral body, or an employers' association drafting at its own cost (Art. 5.5)",
            );
        }
        let developer_name = v.text("developer_name", &draft.developer_name, MAX_TEXT_CHARS);
        if developer_name.is_empty() {
            v.add(
                "developer_name",
                "is required: the body or association that develops the standard",
            );
        }

        let content = Self {
            title,
            sector,
            nkz_codes,
            nqf_levels,
            labour_functions,
            work_experience_requirements: v.text(
                "work_experience_requirements",
                &draft.work_experience_requirements,
                MAX_LONG_TEXT_CHARS,
            ),
            education_requirements: v.text(
                "education_requirements",
                &draft.education_requirements,
                MAX_LONG_TEXT_CHARS,
            ),
            non_formal_education_recognised: draft.non_formal_education_recognised,
            separately_recognisable_skills,
            developer_kind: developer_kind.unwrap_or(DeveloperKind::SectoralBody),
            developer_name,
        };
        if v.found.is_empty() {
            Ok(content)
        } else {
            Err(v.found)
        }
    }

    /// What a draft still lacks before it can be submitted (Art. 1.14: a standard states the
    /// requirements to knowledge, skills, experience and education, the qualification levels
    /// and the labour functions). Empty when it is complete.
    pub fn missing_for_submission(&self) -> Vec<FieldViolation> {
        let mut v = Violations {
            prefix: String::new(),
            found: Vec::new(),
        };
        let required = "is required before the draft is submitted (Art. 1.14)";
        if self.sector.is_empty() {
            v.add("sector", required);
        }
        if self.nkz_codes.is_empty() {
            v.add(
                "nkz_codes",
                "must name at least one NKZ code before the draft is submitted (Art. 5.5)",
            );
        }
        if self.nqf_levels.is_empty() {
            v.add(
                "nqf_levels",
                "must name at least one NQF level before the draft is submitted (Art. 1.14)",
            );
        }
        if self.labour_functions.is_empty() {
            v.add("labour_functions", "must describe at least one labour function before the draft is submitted (Art. 1.14)");
        }
        for (i, f) in self.labour_functions.iter().enumerate() {
            if f.title.is_empty() {
                v.add(&format!("labour_functions[{i}].title"), required);
            }
            if f.knowledge.is_empty() {
                v.add(
                    &format!("labour_functions[{i}].knowledge"),
                    "must list the knowledge the function needs before the draft is submitted (Art. 1.14)",
                );
            }
            if f.skills.is_empty() {
                v.add(
                    &format!("labour_functions[{i}].skills"),
                    "must list the skills the function needs before the draft is submitted (Art. 1.14)",
                );
            }
        }
        if self.work_experience_requirements.is_empty() {
            v.add("work_experience_requirements", required);
        }
        if self.education_requirements.is_empty() {
            v.add("education_requirements", required);
        }
        v.found
    }

    /// Every field rendered as text under its dotted path, in a fixed order: what a diff
    /// between two versions compares.
    pub fn rendered_fields(&self) -> Vec<(String, String)> {
        let mut out = vec![
            ("title.kk".to_string(), self.title.kk.clone()),
            ("title.ru".to_string(), self.title.ru.clone()),
            ("title.en".to_string(), self.title.en.clone()),
            ("sector".to_string(), self.sector.clone()),
            ("nkz_codes".to_string(), self.nkz_codes.join("; ")),
            (
                "nqf_levels".to_string(),
                self.nqf_levels
                    .iter()
                    .map(u8::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ];
        for (i, f) in self.labour_functions.iter().enumerate() {
            let at = format!("labour_functions[{i}]");
            out.push((format!("{at}.title"), f.title.clone()));
            out.push((format!("{at}.knowledge"), f.knowledge.join("; ")));
            out.push((format!("{at}.skills"), f.skills.join("; ")));
            out.push((format!("{at}.competences"), f.competences.join("; ")));
        }
        out.extend([
            (
                "work_experience_requirements".to_string(),
                self.work_experience_requirements.clone(),
            ),
            (
                "education_requirements".to_string(),
                self.education_requirements.clone(),
            ),
            (
                "non_formal_education_recognised".to_string(),
                self.non_formal_education_recognised.to_string(),
            ),
            (
                "separately_recognisable_skills".to_string(),
                self.separately_recognisable_skills.join("; "),
            ),
            (
                "developer_kind".to_string(),
                self.developer_kind.as_str().to_string(),
            ),
            ("developer_name".to_string(), self.developer_name.clone()),
        ]);
        out
    }
}

/// The fields an update mask may name, by their proto (snake_case) paths.
pub const MASKABLE_FIELDS: [&str; 14] = [
    "title",
    "title.kk",
    "title.ru",
    "title.en",
    "sector",
    "nkz_codes",
    "nqf_levels",
    "labour_functions",
    "work_experience_requirements",
    "education_requirements",
    "non_formal_education_recognised",
    "separately_recognisable_skills",
    "developer_kind",
    "developer_name",
];

/// A field path as a caller may write it (`nkzCodes` or `nkz_codes`), in snake_case.
fn snake_case(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.trim().chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl StandardContent {
    /// The content as an unvalidated draft, to be changed and validated again.
    pub fn to_draft(&self) -> ContentDraft {
        ContentDraft {
            title: self.title.clone(),
            sector: self.sector.clone(),
            nkz_codes: self.nkz_codes.clone(),
            nqf_levels: self.nqf_levels.iter().map(|l| i32::from(*l)).collect(),
            labour_functions: self.labour_functions.clone(),
            work_experience_requirements: self.work_experience_requirements.clone(),
            education_requirements: self.education_requirements.clone(),
            non_formal_education_recognised: self.non_formal_education_recognised,
            separately_recognisable_skills: self.separately_recognisable_skills.clone(),
            developer_kind: Some(self.developer_kind),
            developer_name: self.developer_name.clone(),
        }
    }

    /// The content after replacing the fields named in `mask` with those of `proposed` (all of
    /// them when the mask is empty), validated as a whole. `prefix` is the path of the proposed
    /// content in the request.
    pub fn updated(
        &self,
        proposed: &ContentDraft,
        mask: &[String],
        prefix: &str,
    ) -> Result<Self, Vec<FieldViolation>> {
        if mask.is_empty() {
            return Self::parse(proposed, prefix);
        }
        let mut next = self.to_draft();
        let mut unknown = Vec::new();
        for (i, raw) in mask.iter().enumerate() {
            match snake_case(raw).as_str() {
                "title" => next.title = proposed.title.clone(),
                "title.kk" => next.title.kk = proposed.title.kk.clone(),
                "title.ru" => next.title.ru = proposed.title.ru.clone(),
                "title.en" => next.title.en = proposed.title.en.clone(),
                "sector" => next.sector = proposed.sector.clone(),
                "nkz_codes" => next.nkz_codes = proposed.nkz_codes.clone(),
                "nqf_levels" => next.nqf_levels = proposed.nqf_levels.clone(),
                "labour_functions" => next.labour_functions = proposed.labour_functions.clone(),
                "work_experience_requirements" => {
                    next.work_experience_requirements =
                        proposed.work_experience_requirements.clone()
                }
                "education_requirements" => {
                    next.education_requirements = proposed.education_requirements.clone()
                }
                "non_formal_education_recognised" => {
                    next.non_formal_education_recognised = proposed.non_formal_education_recognised
                }
                "separately_recognisable_skills" => {
                    next.separately_recognisable_skills =
                        proposed.separately_recognisable_skills.clone()
                }
                "developer_kind" => next.developer_kind = proposed.developer_kind,
                "developer_name" => next.developer_name = proposed.developer_name.clone(),
                _ => unknown.push(FieldViolation {
                    field: format!("update_mask[{i}]"),
                    description: format!(
                        "{raw:?} is not a field of a standard; use one of: {}",
                        MASKABLE_FIELDS.join(", ")
                    ),
                }),
            }
        }
        if !unknown.is_empty() {
            return Err(unknown);
        }
        Self::parse(&next, prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> ContentDraft {
        ContentDraft {
            title: Title {
                kk: "Дәнекерлеуші".into(),
                ru: "Сварщик".into(),
                en: "Welder".into(),
            },
            sector: "Manufacturing".into(),
            nkz_codes: vec!["72120001".into()],
            nqf_levels: vec![4, 3],
            labour_functions: vec![LabourFunction {
                title: "Manual arc welding".into(),
                knowledge: vec!["Welding safety".into()],
                skills: vec!["Weld butt joints".into(), "Read drawings".into()],
                competences: vec!["Works to the drawing".into()],
            }],
            work_experience_requirements: "One year".into(),
            education_requirements: "Technical and vocational".into(),
            non_formal_education_recognised: true,
            separately_recognisable_skills: vec!["Weld butt joints".into()],
            developer_kind: Some(DeveloperKind::SectoralBody),
            developer_name: "Ministry of Industry".into(),
        }
    }

    fn fields(violations: &[FieldViolation]) -> Vec<&str> {
        violations.iter().map(|v| v.field.as_str()).collect()
    }

    #[test]
    fn a_complete_standard_parses_with_levels_in_order_and_is_ready_to_submit() {
        let content = StandardContent::parse(&complete(), "standard.").unwrap();
        assert_eq!(content.nqf_levels, [3, 4]);
        assert!(content.missing_for_submission().is_empty());
    }

    #[test]
    fn a_draft_needs_only_its_title_and_developer_but_cannot_be_submitted_until_complete() {
        let draft = ContentDraft {
            title: complete().title,
            developer_kind: Some(DeveloperKind::EmployersAssociation),
            developer_name: "Union of welders".into(),
            ..Default::default()
        };
        let content = StandardContent::parse(&draft, "").unwrap();
        assert_eq!(
            fields(&content.missing_for_submission()),
            [
                "sector",
                "nkz_codes",
                "nqf_levels",
                "labour_functions",
                "work_experience_requirements",
                "education_requirements"
            ]
        );
    }

    #[test]
    fn a_labour_function_without_knowledge_or_skills_is_incomplete() {
        let mut draft = complete();
        draft.labour_functions.push(LabourFunction {
            title: "Cutting".into(),
            ..Default::default()
        });
        let content = StandardContent::parse(&draft, "").unwrap();
        assert_eq!(
            fields(&content.missing_for_submission()),
            [
                "labour_functions[1].knowledge",
                "labour_functions[1].skills"
            ]
        );
    }

    #[test]
    fn every_malformed_field_is_named_with_its_path() {
        let mut draft = complete();
        draft.title.en = "  ".into();
        draft.nkz_codes = vec!["7212".into(), "72120001".into(), "72120001".into()];
        draft.nqf_levels = vec![0, 3, 3, 9];
        draft.labour_functions[0].skills.push(" ".into());
        draft.developer_kind = None;
        draft.developer_name = String::new();
        let err = StandardContent::parse(&draft, "standard.").unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "standard.title.en",
                "standard.nkz_codes[2]",
                "standard.nkz_codes[0]",
                "standard.nqf_levels[0]",
                "standard.nqf_levels[2]",
                "standard.nqf_levels[3]",
                "standard.labour_functions[0].skills[2]",
                "standard.developer_kind",
                "standard.developer_name",
            ]
        );
        assert!(err[1].description.contains("repeat"), "{:?}", err[1]);
        assert!(err[2].description.contains("8 digits"), "{:?}", err[2]);
    }

    #[test]
    fn a_separately_recognisable_skill_must_be_a_skill_of_the_standard_art_20() {
        let mut draft = complete();
        draft.separately_recognisable_skills = vec!["Weld butt joints".into(), "Juggle".into()];
        let err = StandardContent::parse(&draft, "").unwrap_err();
        assert_eq!(fields(&err), ["separately_recognisable_skills[1]"]);
        assert!(err[0].description.contains("Art. 20"));
    }

    #[test]
    fn an_update_mask_changes_only_the_fields_it_names_in_either_spelling() {
        let content = StandardContent::parse(&complete(), "").unwrap();
        let proposed = ContentDraft {
            title: Title {
                en: "Welder (arc)".into(),
                ..Default::default()
            },
            nqf_levels: vec![3, 4, 5],
            sector: "ignored, not in the mask".into(),
            ..Default::default()
        };
        let mask = ["title.en".to_string(), "nqfLevels".to_string()];
        let next = content.updated(&proposed, &mask, "standard.").unwrap();
        assert_eq!(next.title.en, "Welder (arc)");
        assert_eq!(next.title.ru, "Сварщик");
        assert_eq!(next.nqf_levels, [3, 4, 5]);
        assert_eq!(next.sector, "Manufacturing");

        let err = content
            .updated(&proposed, &["colour".to_string()], "standard.")
            .unwrap_err();
        assert_eq!(fields(&err), ["update_mask[0]"]);
        // Without a mask the proposal replaces the whole content and is validated as such.
        let err = content.updated(&proposed, &[], "standard.").unwrap_err();
        assert!(fields(&err).contains(&"standard.title.kk"), "{err:?}");
    }

    #[test]
    fn rendered_fields_show_each_labour_function_under_its_index() {
        let content = StandardContent::parse(&complete(), "").unwrap();
        let rendered = content.rendered_fields();
        assert!(rendered.contains(&(
            "labour_functions[0].skills".to_string(),
            "Weld butt joints; Read drawings".to_string()
        )));
        assert!(rendered.contains(&("nqf_levels".to_string(), "3; 4".to_string())));
    }
}

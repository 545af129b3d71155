//! Professional standards and their approval (Law Art. 1.14, 5.5, 9, 19, 20).
//!
//! Art. 5.5: a standard is developed by a sectoral state body (or, as a draft at its own cost,
//! by an employers' association); it is approved by the sectoral body in coordination with the
//! industry council and the authorized body, taking into account the conclusion of the NCE,
//! which is advisory; the authorized body keeps the list of approved standards.
//!
//! The workflow is an explicit state machine over [`Stage`]: each [`Step`] moves one stage
//! forward, may be taken only by the party the law names ([`Party`]), and is refused in any
//! other stage with the stage that forbids it. Any coordination stage can send the draft back
//! for rework. Versions: updating a published standard opens a new draft version; publishing
//! it supersedes the previous one, which stays readable.

pub mod content;
pub mod version;

use std::fmt;

/// Where a version of a standard is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Draft,
    Submitted,
    /// The NCE's conclusion is on file. It is advisory: a negative one does not stop the
    /// workflow, but approval without one is refused.
    NceConclusionRecorded,
    AgreedByIndustryCouncil,
    AgreedByAuthorizedBody,
    Approved,
    /// In the list of approved standards (Art. 5.5).
    Published,
    /// A newer version was published; this one stays readable.
    Superseded,
    Archived,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Submitted => "submitted",
            Stage::NceConclusionRecorded => "NCE conclusion recorded",
            Stage::AgreedByIndustryCouncil => "agreed by the industry council",
            Stage::AgreedByAuthorizedBody => "agreed by the authorized body",
            Stage::Approved => "approved",
            Stage::Published => "published",
            Stage::Superseded => "superseded",
            Stage::Archived => "archived",
        }
    }

    pub const ALL: [Stage; 9] = [
        Stage::Draft,
        Stage::Submitted,
        Stage::NceConclusionRecorded,
        Stage::AgreedByIndustryCouncil,
        Stage::AgreedByAuthorizedBody,
        Stage::Approved,
        Stage::Published,
        Stage::Superseded,
        Stage::Archived,
    ];

    /// The stable name the database stores.
    pub fn code(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Submitted => "submitted",
            Stage::NceConclusionRecorded => "nce_conclusion_recorded",
            Stage::AgreedByIndustryCouncil => "agreed_by_industry_council",
            Stage::AgreedByAuthorizedBody => "agreed_by_authorized_body",
            Stage::Approved => "approved",
            Stage::Published => "published",
            Stage::Superseded => "superseded",
            Stage::Archived => "archived",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Drafts and versions under coordination are visible only to those who work on them.
    pub fn is_public(self) -> bool {
        matches!(self, Stage::Published | Stage::Superseded)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who takes part in the approval of Art. 5.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The sectoral state body, which develops and approves the standards of its sector.
    SectoralBody,
    /// The sectoral (industry) council, which agrees a draft; it does not approve (Art. 5.5,
    /// 12): a party of its own.
    IndustryCouncil,
    /// The National Chamber of Entrepreneurs, whose conclusion is advisory.
    Nce,
    /// The authorized body (Ministry of Labour), which agrees and keeps the list.
    AuthorizedBody,
}

/// The NCE's advisory conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conclusion {
    Positive,
    Negative,
    WithRemarks,
}

impl Conclusion {
    pub fn code(self) -> &'static str {
        match self {
            Conclusion::Positive => "positive",
            Conclusion::Negative => "negative",
            Conclusion::WithRemarks => "with_remarks",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            Conclusion::Positive,
            Conclusion::Negative,
            Conclusion::WithRemarks,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

/// One step forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Submit,
    RecordNceConclusion(Conclusion),
    AgreeByIndustryCouncil,
    AgreeByAuthorizedBody,
    Approve,
    Publish,
}

impl Step {
    /// The party the law gives this step to.
    pub fn party(self) -> Party {
        match self {
            Step::Submit | Step::Approve => Party::SectoralBody,
            Step::AgreeByIndustryCouncil => Party::IndustryCouncil,
            Step::RecordNceConclusion(_) => Party::Nce,
            Step::AgreeByAuthorizedBody | Step::Publish => Party::AuthorizedBody,
        }
    }

    /// The stage the step starts from and the one it reaches.
    fn transition(self) -> (Stage, Stage) {
        match self {
            Step::Submit => (Stage::Draft, Stage::Submitted),
            Step::RecordNceConclusion(_) => (Stage::Submitted, Stage::NceConclusionRecorded),
            Step::AgreeByIndustryCouncil => {
                (Stage::NceConclusionRecorded, Stage::AgreedByIndustryCouncil)
            }
            Step::AgreeByAuthorizedBody => (
                Stage::AgreedByIndustryCouncil,
                Stage::AgreedByAuthorizedBody,
            ),
            Step::Approve => (Stage::AgreedByAuthorizedBody, Stage::Approved),
            Step::Publish => (Stage::Approved, Stage::Published),
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Step::Submit => "submit the draft",
            Step::RecordNceConclusion(_) => "record the NCE conclusion",
            Step::AgreeByIndustryCouncil => "record the industry council's agreement",
            Step::AgreeByAuthorizedBody => "record the authorized body's agreement",
            Step::Approve => "approve the standard",
            Step::Publish => "publish it in the list of approved standards",
        }
    }
}

/// Why the workflow refuses a step: the state that forbids it, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the standard is {current}; to {wanted} it must be {required} (Art. 5.5)")]
    WrongStage {
        current: Stage,
        wanted: &'static str,
        required: Stage,
    },
    #[error("approval needs the NCE's conclusion on file, even though it is advisory (Art. 5.5)")]
    NoNceConclusion,
    #[error("only {party:?} may {wanted} (Art. 5.5)")]
    WrongParty { party: Party, wanted: &'static str },
    #[error("the standard is {0}; only a version under coordination can be returned for rework (Art. 5.5)")]
    CannotReturn(Stage),
    #[error("the standard is {current}; at this stage only {party:?} may return it for rework (Art. 5.5)")]
    NotYoursToReturn { current: Stage, party: Party },
    #[error(
        "version {version} is already open ({stage}); finish or archive it before opening another"
    )]
    VersionAlreadyOpen { version: i32, stage: Stage },
    #[error("the standard is {0}; {1}")]
    Other(Stage, &'static str),
    #[error("the standard is of sector {standard:?}, the caller acts for sector {caller:?}: a sectoral body and an industry council act for their own sector only (Art. 5.5)")]
    OtherSector { standard: String, caller: String },
    #[error("the token names no sector: a sectoral body and an industry council act for their own sector only (Art. 5.5)")]
    NoSector,
    #[error("version {version} is {stage}: only a draft can be changed; ask for it to be returned for rework (Art. 5.5)")]
    NotADraft { version: i32, stage: Stage },
}

/// Art. 5.5: the sectoral body develops and approves the standards of its own sector, and the
/// council of that sector agrees them; neither acts on another sector's. Sectors are compared
/// as written, ignoring case and surrounding spaces.
pub fn own_sector(caller: Option<&str>, standard: &str) -> Result<(), Refusal> {
    let caller = caller
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(Refusal::NoSector)?;
    if caller.to_lowercase() == standard.trim().to_lowercase() {
        Ok(())
    } else {
        Err(Refusal::OtherSector {
            standard: standard.trim().to_string(),
            caller: caller.to_string(),
        })
    }
}

/// Takes `step` from `current` on behalf of `party`: the stage reached, or why not.
pub fn advance(
    current: Stage,
    step: Step,
    party: Party,
    has_nce_conclusion: bool,
) -> Result<Stage, Refusal> {
    if step.party() != party {
        return Err(Refusal::WrongParty {
            party: step.party(),
            wanted: step.describe(),
        });
    }
    let (from, to) = step.transition();
    if current != from {
        return Err(Refusal::WrongStage {
            current,
            wanted: step.describe(),
            required: from,
        });
    }
    // Art. 5.5: the NCE's conclusion is taken into account before approval.
    if step == Step::Approve && !has_nce_conclusion {
        return Err(Refusal::NoNceConclusion);
    }
    Ok(to)
}

/// The party whose turn it is to act on a version in `stage`, if it is under coordination.
fn party_to_act(stage: Stage) -> Option<Party> {
    [
        Step::Submit,
        Step::RecordNceConclusion(Conclusion::Positive),
        Step::AgreeByIndustryCouncil,
        Step::AgreeByAuthorizedBody,
        Step::Approve,
        Step::Publish,
    ]
    .into_iter()
    .find(|step| step.transition().0 == stage)
    .map(Step::party)
}

/// Sends a version under coordination back to draft, with remarks. The party whose step is
/// next may return it, and the sectoral body, which develops it, may always take it back.
/// The NCE never returns a draft: its conclusion is advisory, so it records a negative one.
pub fn return_for_rework(current: Stage, party: Party) -> Result<Stage, Refusal> {
    let under_coordination = matches!(
        current,
        Stage::Submitted
            | Stage::NceConclusionRecorded
            | Stage::AgreedByIndustryCouncil
            | Stage::AgreedByAuthorizedBody
            | Stage::Approved
    );
    if !under_coordination {
        return Err(Refusal::CannotReturn(current));
    }
    let next = party_to_act(current);
    if party == Party::SectoralBody || (party != Party::Nce && next == Some(party)) {
        Ok(Stage::Draft)
    } else {
        Err(Refusal::NotYoursToReturn {
            current,
            party: next
                .filter(|p| *p != Party::Nce)
                .unwrap_or(Party::SectoralBody),
        })
    }
}

/// Opening a new draft version of a standard whose versions are `versions` (number, stage):
/// only a published standard is updated, and only one new version is open at a time. Returns
/// the new version's number.
pub fn open_new_version(versions: &[(i32, Stage)]) -> Result<i32, Refusal> {
    let newest = versions.iter().map(|(v, _)| *v).max().unwrap_or(0);
    let Some(published) = versions
        .iter()
        .find(|(_, stage)| *stage == Stage::Published)
        .map(|(v, _)| *v)
    else {
        let stage = versions
            .iter()
            .find(|(v, _)| *v == newest)
            .map_or(Stage::Draft, |(_, s)| *s);
        return Err(Refusal::Other(
            stage,
            "only a published standard can be updated into a new draft version",
        ));
    };
    if let Some((version, stage)) = versions
        .iter()
        .find(|(v, stage)| *v > published && *stage != Stage::Archived)
    {
        return Err(Refusal::VersionAlreadyOpen {
            version: *version,
            stage: *stage,
        });
    }
    Ok(newest + 1)
}

/// The version being worked on (drafted or under coordination), if any: the newest one in
/// those stages. Steps, rework and draft updates act on it.
pub fn working_version(versions: &[(i32, Stage)]) -> Option<i32> {
    versions
        .iter()
        .filter(|(_, stage)| {
            matches!(
                stage,
                Stage::Draft
                    | Stage::Submitted
                    | Stage::NceConclusionRecorded
                    | Stage::AgreedByIndustryCouncil
                    | Stage::AgreedByAuthorizedBody
                    | Stage::Approved
            )
        })
        .map(|(v, _)| *v)
        .max()
}

/// Archiving: an abandoned draft, or a published or superseded standard withdrawn.
pub fn archive(current: Stage) -> Result<Stage, Refusal> {
    match current {
        Stage::Draft | Stage::Published | Stage::Superseded => Ok(Stage::Archived),
        other => Err(Refusal::Other(
            other,
            "finish or return its coordination before archiving it",
        )),
    }
}

/// What publishing version `new` of a standard does to its other versions: the published one
/// before it becomes superseded.
pub fn on_publish(other_versions: &[(i32, Stage)], new: i32) -> Vec<(i32, Stage)> {
    other_versions
        .iter()
        .filter(|(version, stage)| *version != new && *stage == Stage::Published)
        .map(|(version, _)| (*version, Stage::Superseded))
        .collect()
}

/// One field that differs between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDiff {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// The fields that differ between two versions given as (field, rendered value) pairs.
pub fn diff(before: &[(String, String)], after: &[(String, String)]) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    for (field, old) in before {
        let new = after
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        if *old != new {
            out.push(FieldDiff {
                field: field.to_string(),
                before: old.clone(),
                after: new,
            });
        }
    }
    for (field, new) in after {
        if !before.iter().any(|(f, _)| f == field) {
            out.push(FieldDiff {
                field: field.to_string(),
                before: String::new(),
                after: new.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_STAGES: [Stage; 9] = Stage::ALL;

    const ALL_STEPS: [Step; 6] = [
        Step::Submit,
        Step::RecordNceConclusion(Conclusion::Negative),
        Step::AgreeByIndustryCouncil,
        Step::AgreeByAuthorizedBody,
        Step::Approve,
        Step::Publish,
    ];

    #[test]
    fn the_whole_approval_of_art_5_5_in_order() {
        let mut stage = Stage::Draft;
        for step in ALL_STEPS {
            stage = advance(stage, step, step.party(), true).unwrap();
        }
        assert_eq!(stage, Stage::Published);
    }

    #[test]
    fn every_step_is_refused_in_every_other_stage_naming_the_stage() {
        for step in ALL_STEPS {
            let (from, _) = step.transition();
            for stage in ALL_STAGES.into_iter().filter(|s| *s != from) {
                let err = advance(stage, step, step.party(), true).unwrap_err();
                assert!(
                    matches!(err, Refusal::WrongStage { current, .. } if current == stage),
                    "{step:?} from {stage}"
                );
                assert!(err.to_string().contains(stage.as_str()), "{err}");
                assert!(err.to_string().contains("Art. 5.5"), "{err}");
            }
        }
    }

    #[test]
    fn each_step_belongs_to_the_party_the_law_names() {
        for step in ALL_STEPS {
            let (from, _) = step.transition();
            for party in [Party::SectoralBody, Party::Nce, Party::AuthorizedBody] {
                let result = advance(from, step, party, true);
                assert_eq!(
                    result.is_ok(),
                    party == step.party(),
                    "{step:?} by {party:?}"
                );
            }
        }
        assert_eq!(
            Step::RecordNceConclusion(Conclusion::Positive).party(),
            Party::Nce
        );
        assert_eq!(Step::Approve.party(), Party::SectoralBody);
        // The council agrees; the sectoral body cannot agree for it.
        assert_eq!(Step::AgreeByIndustryCouncil.party(), Party::IndustryCouncil);
        assert!(matches!(
            advance(
                Stage::NceConclusionRecorded,
                Step::AgreeByIndustryCouncil,
                Party::SectoralBody,
                true
            ),
            Err(Refusal::WrongParty { .. })
        ));
        assert_eq!(Step::Publish.party(), Party::AuthorizedBody);
    }

    #[test]
    fn a_negative_nce_conclusion_does_not_block_but_a_missing_one_does() {
        let after_negative = advance(
            Stage::Submitted,
            Step::RecordNceConclusion(Conclusion::Negative),
            Party::Nce,
            false,
        )
        .unwrap();
        assert_eq!(after_negative, Stage::NceConclusionRecorded);
        let refused = advance(
            Stage::AgreedByAuthorizedBody,
            Step::Approve,
            Party::SectoralBody,
            false,
        )
        .unwrap_err();
        assert_eq!(refused, Refusal::NoNceConclusion);
        assert!(advance(
            Stage::AgreedByAuthorizedBody,
            Step::Approve,
            Party::SectoralBody,
            true
        )
        .is_ok());
    }

    #[test]
    fn any_stage_under_coordination_returns_to_draft_and_no_other() {
        for stage in ALL_STAGES {
            let under_coordination = matches!(
                stage,
                Stage::Submitted
                    | Stage::NceConclusionRecorded
                    | Stage::AgreedByIndustryCouncil
                    | Stage::AgreedByAuthorizedBody
                    | Stage::Approved
            );
            assert_eq!(
                return_for_rework(stage, Party::SectoralBody).ok(),
                under_coordination.then_some(Stage::Draft),
                "{stage}"
            );
        }
    }

    #[test]
    fn the_party_whose_step_is_next_returns_for_rework_but_never_the_nce() {
        // The authorized body agrees after the industry council and publishes after approval.
        assert_eq!(
            return_for_rework(Stage::AgreedByIndustryCouncil, Party::AuthorizedBody),
            Ok(Stage::Draft)
        );
        assert_eq!(
            return_for_rework(Stage::Approved, Party::AuthorizedBody),
            Ok(Stage::Draft)
        );
        // Before the industry council agrees, the authorized body has nothing to return.
        let refused =
            return_for_rework(Stage::NceConclusionRecorded, Party::AuthorizedBody).unwrap_err();
        assert!(
            refused.to_string().contains("NCE conclusion recorded"),
            "{refused}"
        );
        // The NCE's conclusion is advisory: it records a negative one instead of returning.
        for stage in ALL_STAGES {
            assert!(return_for_rework(stage, Party::Nce).is_err(), "{stage}");
        }
    }

    #[test]
    fn only_a_published_standard_opens_one_new_version_at_a_time() {
        for stage in ALL_STAGES {
            assert_eq!(
                open_new_version(&[(1, stage)]).ok(),
                (stage == Stage::Published).then_some(2),
                "{stage}"
            );
        }
        let refused = open_new_version(&[
            (1, Stage::Superseded),
            (2, Stage::Published),
            (3, Stage::Submitted),
        ])
        .unwrap_err();
        assert_eq!(
            refused,
            Refusal::VersionAlreadyOpen {
                version: 3,
                stage: Stage::Submitted
            }
        );
        // An abandoned (archived) draft does not block the next one, nor reuse its number.
        assert_eq!(
            open_new_version(&[(1, Stage::Published), (2, Stage::Archived)]),
            Ok(3)
        );
    }

    #[test]
    fn the_working_version_is_the_newest_one_not_yet_published() {
        assert_eq!(working_version(&[(1, Stage::Draft)]), Some(1));
        assert_eq!(
            working_version(&[(1, Stage::Published), (2, Stage::Approved)]),
            Some(2)
        );
        assert_eq!(
            working_version(&[(1, Stage::Superseded), (2, Stage::Published)]),
            None
        );
        assert_eq!(
            working_version(&[(1, Stage::Published), (2, Stage::Archived)]),
            None
        );
    }

    #[test]
    fn publishing_supersedes_the_published_version() {
        let others = [
            (1, Stage::Superseded),
            (2, Stage::Published),
            (3, Stage::Published),
        ];
        assert_eq!(on_publish(&others, 3), vec![(2, Stage::Superseded)]);
    }

    #[test]
    fn archiving_takes_drafts_and_finished_standards_not_ones_in_coordination() {
        assert_eq!(archive(Stage::Draft), Ok(Stage::Archived));
        assert_eq!(archive(Stage::Published), Ok(Stage::Archived));
        assert_eq!(archive(Stage::Superseded), Ok(Stage::Archived));
        assert!(archive(Stage::Submitted).is_err());
        assert!(archive(Stage::Archived).is_err());
    }

    #[test]
    fn every_stage_is_stored_under_a_code_that_reads_back() {
        for stage in ALL_STAGES {
            assert_eq!(Stage::from_code(stage.code()), Some(stage));
        }
        assert_eq!(Stage::from_code("Published"), None);
    }

    #[test]
    fn only_published_and_superseded_versions_are_public() {
        let public: Vec<Stage> = ALL_STAGES.into_iter().filter(|s| s.is_public()).collect();
        assert_eq!(public, [Stage::Published, Stage::Superseded]);
    }

    #[test]
    fn a_diff_lists_changed_added_and_removed_fields() {
        let pair = |field: &str, value: &str| (field.to_string(), value.to_string());
        let before = [
            pair("title.ru", "Сварщик"),
            pair("nqf_levels", "3;4"),
            pair("sector", "industry"),
        ];
        let after = [
            pair("title.ru", "Сварщик"),
            pair("nqf_levels", "3;4;5"),
            pair("developer", "assoc"),
        ];
        let fields: Vec<(String, String, String)> = diff(&before, &after)
            .into_iter()
            .map(|d| (d.field, d.before, d.after))
            .collect();
        assert_eq!(
            fields,
            [
                ("nqf_levels".into(), "3;4".into(), "3;4;5".into()),
                ("sector".into(), "industry".into(), String::new()),
                ("developer".into(), String::new(), "assoc".into()),
            ]
        );
    }

    #[test]
    fn a_sectoral_body_acts_for_its_own_sector_only_art_5_5() {
        assert_eq!(own_sector(Some("Manufacturing"), " manufacturing "), Ok(()));
        assert!(matches!(
            own_sector(Some("Agriculture"), "Manufacturing"),
            Err(Refusal::OtherSector { .. })
        ));
        assert_eq!(own_sector(None, "Manufacturing"), Err(Refusal::NoSector));
        assert_eq!(
            own_sector(Some("  "), "Manufacturing"),
            Err(Refusal::NoSector)
        );
    }
}

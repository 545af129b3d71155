//! A version of a professional standard: the aggregate of the Art. 5.5 approval. Which
//! standard and which version it is, and when it was opened, are public and fixed; its stage,
//! content, the NCE's conclusion and its record of steps change only through its methods,
//! each of which applies the workflow of Art. 5.5 or refuses.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::content::StandardContent;
use super::{Conclusion, Party, Refusal, Stage, Step};

/// One recorded step of a version's approval.
#[derive(Debug, Clone)]
pub struct StepRecord {
    pub reached: Stage,
    pub returned: bool,
    pub conclusion: Option<Conclusion>,
    /// The step's document; none for opening a draft.
    pub document: Option<nsk_errors::fields::Document>,
    pub remarks: String,
    pub actor: String,
    pub actor_role: String,
    pub request_id: String,
    pub at: DateTime<Utc>,
}

/// Where a stored version stood, to restore it.
#[derive(Debug, Clone)]
pub struct Progress {
    pub stage: Stage,
    pub content: StandardContent,
    pub nce_conclusion: Option<Conclusion>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct StandardVersion {
    pub standard_id: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    stage: Stage,
    content: StandardContent,
    nce_conclusion: Option<Conclusion>,
    steps: Vec<StepRecord>,
    updated_at: DateTime<Utc>,
}

impl StandardVersion {
    /// A draft, opened by the step `opened` (a new standard, or a new version of one).
    pub fn draft(
        standard_id: Uuid,
        version: i32,
        content: StandardContent,
        opened: StepRecord,
    ) -> Self {
        let at = opened.at;
        let mut draft = Self::restore(
            standard_id,
            version,
            at,
            Progress {
                stage: Stage::Draft,
                content,
                nce_conclusion: None,
                updated_at: at,
            },
        );
        draft.recorded(opened);
        draft
    }

    /// A version as the register kept it; its steps follow through [`Self::recorded`].
    pub fn restore(
        standard_id: Uuid,
        version: i32,
        created_at: DateTime<Utc>,
        p: Progress,
    ) -> Self {
        Self {
            standard_id,
            version,
            created_at,
            stage: p.stage,
            content: p.content,
            nce_conclusion: p.nce_conclusion,
            steps: Vec::new(),
            updated_at: p.updated_at,
        }
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }
    pub fn content(&self) -> &StandardContent {
        &self.content
    }
    pub fn nce_conclusion(&self) -> Option<Conclusion> {
        self.nce_conclusion
    }
    pub fn steps(&self) -> &[StepRecord] {
        &self.steps
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    /// A step taken (or loaded): appended to the record.
    pub fn recorded(&mut self, step: StepRecord) {
        self.updated_at = self.updated_at.max(step.at);
        self.steps.push(step);
    }

    /// Only a draft's content changes; the developer asks for a returned one otherwise.
    pub fn ensure_draft(&self) -> Result<(), Refusal> {
        if self.stage == Stage::Draft {
            Ok(())
        } else {
            Err(Refusal::NotADraft {
                version: self.version,
                stage: self.stage,
            })
        }
    }

    /// The draft's content replaced by `next`.
    pub fn update_content(
        &mut self,
        next: StandardContent,
        at: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        self.ensure_draft()?;
        self.content = next;
        self.updated_at = at;
        Ok(())
    }

    /// Takes `step` of Art. 5.5; the NCE's conclusion, when that is the step, is kept.
    pub fn advance(&mut self, step: Step, at: DateTime<Utc>) -> Result<Stage, Refusal> {
        let reached = super::advance(
            self.stage,
            step,
            step.party(),
            self.nce_conclusion.is_some(),
        )?;
        if let Step::RecordNceConclusion(conclusion) = step {
            self.nce_conclusion = Some(conclusion);
        }
        self.stage = reached;
        self.updated_at = at;
        Ok(reached)
    }

    /// Back to draft for rework by `party`; the NCE's conclusion on the old text goes.
    pub fn return_for_rework(&mut self, party: Party, at: DateTime<Utc>) -> Result<Stage, Refusal> {
        let reached = super::return_for_rework(self.stage, party)?;
        self.stage = reached;
        self.nce_conclusion = None;
        self.updated_at = at;
        Ok(reached)
    }

    /// Archived: an abandoned draft, or a standard withdrawn from the list.
    pub fn archive(&mut self, at: DateTime<Utc>) -> Result<Stage, Refusal> {
        let reached = super::archive(self.stage)?;
        self.stage = reached;
        self.updated_at = at;
        Ok(reached)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::content::{DeveloperKind, Title};

    fn content(title: &str) -> StandardContent {
        StandardContent {
            title: Title {
                kk: title.into(),
                ru: title.into(),
                en: title.into(),
            },
            sector: "Manufacturing".into(),
            nkz_codes: vec!["72120001".into()],
            nqf_levels: vec![3, 4],
            labour_functions: vec![],
            work_experience_requirements: String::new(),
            education_requirements: String::new(),
            non_formal_education_recognised: true,
            separately_recognisable_skills: vec![],
            developer_kind: DeveloperKind::SectoralBody,
            developer_name: "Ministry of Industry".into(),
        }
    }

    fn step(reached: Stage, at: DateTime<Utc>) -> StepRecord {
        StepRecord {
            reached,
            returned: false,
            conclusion: None,
            document: None,
            remarks: String::new(),
            actor: "developer".into(),
            actor_role: "sectoral-body".into(),
            request_id: "r".into(),
            at,
        }
    }

    #[test]
    fn a_version_changes_only_through_the_steps_of_art_5_5() {
        let t0 = Utc::now();
        let mut v =
            StandardVersion::draft(Uuid::nil(), 1, content("Welder"), step(Stage::Draft, t0));
        assert_eq!((v.stage(), v.steps().len()), (Stage::Draft, 1));
        v.update_content(content("Welder (arc)"), t0).unwrap();
        assert_eq!(v.content().title.en, "Welder (arc)");
        // Submitted: the text is frozen until it is returned.
        assert_eq!(v.advance(Step::Submit, t0).unwrap(), Stage::Submitted);
        let frozen = v.update_content(content("Welder (gas)"), t0).unwrap_err();
        assert!(frozen.to_string().contains("only a draft"), "{frozen}");
        assert_eq!(v.content().title.en, "Welder (arc)");
        // A step out of turn is refused and changes nothing.
        assert!(v.advance(Step::Approve, t0).is_err());
        assert_eq!(v.stage(), Stage::Submitted);
        // The NCE's conclusion is kept; a return for rework drops it with the stage.
        v.advance(Step::RecordNceConclusion(Conclusion::Negative), t0)
            .unwrap();
        assert_eq!(v.nce_conclusion(), Some(Conclusion::Negative));
        assert!(v.return_for_rework(Party::Nce, t0).is_err());
        assert_eq!(
            v.return_for_rework(Party::SectoralBody, t0).unwrap(),
            Stage::Draft
        );
        assert_eq!(v.nce_conclusion(), None);
        // Recording a later step moves the time of the last change with it.
        let later = t0 + chrono::Duration::minutes(5);
        v.recorded(step(Stage::Draft, later));
        assert_eq!(v.updated_at(), later);
        assert_eq!(v.archive(later).unwrap(), Stage::Archived);
    }
}

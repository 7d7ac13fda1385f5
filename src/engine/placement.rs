//! The placement test per language: take it (span `assessment.score`), and
//! the level it sets, which can also be set by hand.

use super::Engine;
use crate::api::{Assessment, AssessmentResult, AssessmentSummary, UserLevel};
use crate::domain::{CefrLevel, Language};
use crate::error::{Error, Result};
use crate::learn::{content, placement};
use crate::perf_span;
use std::collections::BTreeMap;

/// The id of `language`'s placement test: `placement-spanish`.
pub fn assessment_id(language: Language) -> String {
    format!("placement-{}", language.id())
}

fn language_of(id: &str) -> Result<Language> {
    id.strip_prefix("placement-")
        .and_then(Language::parse)
        .ok_or_else(|| Error::NotFound(format!("assessment '{id}' does not exist")))
}

impl Engine {
    /// Every placement test, or `language`'s.
    pub fn assessments(&self, language: Option<Language>) -> Vec<AssessmentSummary> {
        Language::ALL
            .into_iter()
            .filter(|l| language.is_none_or(|want| want == *l))
            .map(|l| {
                let qs = &content::course(l).placement.questions;
                let mut levels: Vec<CefrLevel> = qs.iter().map(|q| q.level).collect();
                levels.dedup();
                AssessmentSummary {
                    id: assessment_id(l),
                    language: l,
                    title: format!("{} placement test", l.english_name()),
                    question_count: qs.len(),
                    levels,
                }
            })
            .collect()
    }

    /// A placement test's questions, without answers, or a 404.
    pub fn assessment(&self, id: &str) -> Result<Assessment> {
        let language = language_of(id)?;
        Ok(Assessment {
            id: assessment_id(language),
            language,
            title: format!("{} placement test", language.english_name()),
            questions: content::course(language)
                .placement
                .questions
                .iter()
                .map(|q| q.shown.clone())
                .collect(),
        })
    }

    /// Scores an attempt, keeps it and sets the learner's level from it.
    pub async fn attempt_assessment(
        &self,
        id: &str,
        answers: &BTreeMap<String, String>,
    ) -> Result<AssessmentResult> {
        let me = self.me()?;
        let language = language_of(id)?;
        let questions = &content::course(language).placement.questions;
        let score = {
            let _span = perf_span!("assessment.score").entered();
            placement::score(questions, answers)?
        };
        let answers_json =
            serde_json::to_string(answers).map_err(|e| Error::Internal(e.to_string()))?;
        self.inner
            .db
            .save_placement(me, language, &score, &answers_json)
            .await
    }

    /// The learner's level in `language` (none until placed or set).
    pub async fn user_level(&self, language: Language) -> Result<UserLevel> {
        self.inner.db.user_level(self.me()?, language).await
    }

    /// Every level the learner has.
    pub async fn user_levels(&self) -> Result<Vec<UserLevel>> {
        self.inner.db.user_levels(self.me()?).await
    }

    /// Sets the learner's level in `language` by hand.
    pub async fn set_user_level(&self, language: Language, level: CefrLevel) -> Result<UserLevel> {
        self.inner
            .db
            .set_user_level(self.me()?, language, level)
            .await
    }
}

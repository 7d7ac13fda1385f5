//! Scoring a placement test: a level is passed with at least
//! [`PASS_SHARE`] of its questions right, and the learner is placed at the
//! highest level passed with every level below it passed too (A1 when none).

use crate::api::LevelScore;
use crate::domain::CefrLevel;
use crate::error::{Error, Result};
use crate::learn::content::PlacementQuestion;
use std::collections::BTreeMap;

/// Share of a level's questions to get right to pass it.
pub const PASS_SHARE: f64 = 0.6;

/// A scored attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub level: CefrLevel,
    pub correct: u32,
    pub total: u32,
    pub by_level: Vec<LevelScore>,
}

/// Scores `answers` (question id → chosen text). Every question must be
/// answered: a 422 names the first missing one; an unknown id is a 422 too.
pub fn score(questions: &[PlacementQuestion], answers: &BTreeMap<String, String>) -> Result<Score> {
    if let Some(q) = questions.iter().find(|q| !answers.contains_key(&q.id)) {
        return Err(Error::invalid(
            "answers",
            format!(
                "question {} is not answered ({} of {} answered)",
                q.id,
                answers.len(),
                questions.len()
            ),
        ));
    }
    if let Some(id) = answers
        .keys()
        .find(|id| !questions.iter().any(|q| &q.id == *id))
    {
        return Err(Error::invalid(
            "answers",
            format!("no question {id} in this test"),
        ));
    }
    let mut by_level: Vec<LevelScore> = Vec::new();
    for q in questions {
        let right = answers[&q.id].trim() == q.answer.trim();
        match by_level.iter_mut().find(|s| s.level == q.level) {
            Some(s) => {
                s.total += 1;
                s.correct += right as u32;
            }
            None => by_level.push(LevelScore {
                level: q.level,
                correct: right as u32,
                total: 1,
            }),
        }
    }
    by_level.sort_by_key(|s| s.level);
    let level = by_level
        .iter()
        .take_while(|s| s.correct as f64 >= PASS_SHARE * s.total as f64)
        .last()
        .map_or(CefrLevel::A1, |s| s.level);
    Ok(Score {
        level,
        correct: by_level.iter().map(|s| s.correct).sum(),
        total: by_level.iter().map(|s| s.total).sum(),
        by_level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions() -> Vec<PlacementQuestion> {
        let mut qs = Vec::new();
        for level in &CefrLevel::ALL[..5] {
            for i in 0..5 {
                qs.push(PlacementQuestion {
                    shown: crate::api::AssessmentQuestion {
                        id: format!("{level}-{i}"),
                        level: *level,
                        skill: "grammar".into(),
                        passage: None,
                        prompt: "?".into(),
                        choices: vec!["right".into(), "wrong".into()],
                    },
                    answer: "right".into(),
                });
            }
        }
        qs
    }

    /// Answers `right[level]` questions of each level right.
    fn answers(right: [usize; 5]) -> BTreeMap<String, String> {
        let mut a = BTreeMap::new();
        for (l, level) in CefrLevel::ALL[..5].iter().enumerate() {
            for i in 0..5 {
                let pick = if i < right[l] { "right" } else { "wrong" };
                a.insert(format!("{level}-{i}"), pick.to_string());
            }
        }
        a
    }

    #[test]
    fn placed_at_the_highest_level_passed_in_a_row() {
        assert_eq!(
            score(&questions(), &answers([5, 4, 3, 1, 4]))
                .unwrap()
                .level,
            CefrLevel::B1
        );
        assert_eq!(
            score(&questions(), &answers([5, 5, 5, 5, 5]))
                .unwrap()
                .level,
            CefrLevel::C1
        );
        assert_eq!(
            score(&questions(), &answers([2, 5, 5, 5, 5]))
                .unwrap()
                .level,
            CefrLevel::A1
        );
        let s = score(&questions(), &answers([5, 4, 3, 1, 4])).unwrap();
        assert_eq!((s.correct, s.total), (17, 25));
    }

    #[test]
    fn a_missing_answer_is_named() {
        let mut a = answers([5; 5]);
        a.remove("B2-3");
        let e = score(&questions(), &a).unwrap_err().to_string();
        assert!(e.contains("B2-3"), "{e}");
    }
}

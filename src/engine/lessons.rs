//! Vocabulary and grammar lessons: list, open, answer, finish. Finishing a
//! vocabulary lesson puts its words in the review deck with the ratings the
//! learner gave them; a grammar exercise answered wrong becomes a card.

use super::Engine;
use crate::api::{
    CardKind, ExerciseResult, GrammarLesson, LessonSummary, QuizQuestion, Rating, VocabItem,
    VocabLesson,
};
use crate::db::NewCard;
use crate::domain::{CefrLevel, Language};
use crate::error::{Error, Result};
use crate::learn::content::{self, ExerciseData, VocabLessonData};
use crate::learn::grade;
use crate::perf_span;
use std::collections::BTreeMap;

/// Questions in a vocabulary lesson's closing quiz.
pub const QUIZ_QUESTIONS: usize = 5;

impl Engine {
    /// The vocabulary lessons of `language`, with when each was last finished.
    pub async fn vocabulary_lessons(&self, language: Language) -> Result<Vec<LessonSummary>> {
        let lessons = &content::course(language).vocabulary.lessons;
        let rows = lessons
            .iter()
            .map(|l| (&l.id, l.level, &l.title, l.items.len()));
        self.lesson_summaries(language, rows).await
    }

    /// The grammar lessons of `language`, with when each was last finished.
    pub async fn grammar_lessons(&self, language: Language) -> Result<Vec<LessonSummary>> {
        let lessons = &content::course(language).grammar.lessons;
        let rows = lessons
            .iter()
            .map(|l| (&l.id, l.level, &l.title, l.exercises.len()));
        self.lesson_summaries(language, rows).await
    }

    /// Lessons given as (id, level, title, size), with their last completion.
    async fn lesson_summaries<'a>(
        &self,
        language: Language,
        lessons: impl Iterator<Item = (&'a String, CefrLevel, &'a String, usize)>,
    ) -> Result<Vec<LessonSummary>> {
        let done = self
            .inner
            .db
            .lesson_completions(self.me()?, language)
            .await?;
        Ok(lessons
            .map(|(id, level, title, size)| LessonSummary {
                id: id.clone(),
                language,
                level,
                title: title.clone(),
                size,
                completed_at: done.get(id).copied(),
            })
            .collect())
    }

    /// A vocabulary lesson with its quiz, or a 404.
    pub fn vocabulary_lesson(&self, id: &str) -> Result<VocabLesson> {
        let (language, lesson) = content::vocab_lesson(id)
            .ok_or_else(|| Error::NotFound(format!("vocabulary lesson '{id}' does not exist")))?;
        Ok(VocabLesson {
            id: lesson.id.clone(),
            language,
            level: lesson.level,
            title: lesson.title.clone(),
            translation_language: content::course(language).vocabulary.translation_language,
            items: lesson.items.clone(),
            quiz: quiz(lesson),
        })
    }

    /// A grammar lesson without its answers, or a 404.
    pub fn grammar_lesson(&self, id: &str) -> Result<GrammarLesson> {
        let (language, lesson) = content::grammar_lesson(id)
            .ok_or_else(|| Error::NotFound(format!("grammar lesson '{id}' does not exist")))?;
        Ok(GrammarLesson {
            id: lesson.id.clone(),
            language,
            level: lesson.level,
            title: lesson.title.clone(),
            explanation: lesson
                .explanation
                .split("\n\n")
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            examples: lesson.examples.clone(),
            exercises: lesson.exercises.iter().map(|e| e.shown.clone()).collect(),
        })
    }

    /// Grades an answer (span `lesson.grade`) and keeps it; a wrong one puts
    /// the exercise in the review deck.
    pub async fn submit_exercise(&self, exercise_id: &str, answer: &str) -> Result<ExerciseResult> {
        let me = self.me()?;
        let (language, _, exercise) = content::exercise(exercise_id).ok_or_else(|| {
            Error::NotFound(format!("grammar exercise '{exercise_id}' does not exist"))
        })?;
        if answer.trim().is_empty() {
            return Err(Error::invalid("answer", "must not be empty"));
        }
        if answer.chars().count() > 500 {
            return Err(Error::invalid(
                "answer",
                "is too long (at most 500 characters)",
            ));
        }
        let mut result = {
            let _span = perf_span!("lesson.grade").entered();
            grade::grade_exercise(exercise, answer)
        };
        self.inner
            .db
            .record_answer(me, language, exercise_id, answer.trim(), result.correct)
            .await?;
        if !result.correct {
            let card = exercise_card(language, exercise);
            let ids = self.inner.db.add_cards(me, &[card]).await?;
            result.card_id = ids.first().map(|(id, _)| *id);
        }
        Ok(result)
    }

    /// Records a finished vocabulary lesson: every word joins the deck, new
    /// ones scheduled by the rating the learner gave it in the lesson
    /// (words without a rating count as Good).
    pub async fn complete_vocabulary_lesson(
        &self,
        id: &str,
        ratings: &BTreeMap<String, Rating>,
        quiz_correct: u32,
    ) -> Result<i64> {
        let me = self.me()?;
        let (language, lesson) = content::vocab_lesson(id)
            .ok_or_else(|| Error::NotFound(format!("vocabulary lesson '{id}' does not exist")))?;
        if let Some(word) = ratings
            .keys()
            .find(|w| !lesson.items.iter().any(|i| &i.word == *w))
        {
            return Err(Error::invalid(
                "ratings",
                format!("'{word}' is not a word of this lesson"),
            ));
        }
        let quiz_total = quiz_size(lesson) as u32;
        if quiz_correct > quiz_total {
            return Err(Error::invalid(
                "quiz_correct",
                format!("is more than the quiz's {quiz_total} questions"),
            ));
        }
        let cards: Vec<NewCard> = lesson
            .items
            .iter()
            .map(|i| vocab_card(language, lesson, i))
            .collect();
        let ids = self.inner.db.add_cards(me, &cards).await?;
        for ((card_id, new), item) in ids.iter().zip(&lesson.items) {
            if *new {
                let rating = ratings.get(&item.word).copied().unwrap_or(Rating::Good);
                self.rate_card(*card_id, rating, true).await?;
            }
        }
        self.inner
            .db
            .complete_lesson(
                me,
                language,
                "vocabulary",
                id,
                i64::from(quiz_correct),
                i64::from(quiz_total),
            )
            .await
    }

    /// Records a finished grammar lesson with its score.
    pub async fn complete_grammar_lesson(&self, id: &str, correct: u32) -> Result<i64> {
        let me = self.me()?;
        let (language, lesson) = content::grammar_lesson(id)
            .ok_or_else(|| Error::NotFound(format!("grammar lesson '{id}' does not exist")))?;
        let total = lesson.exercises.len() as u32;
        if correct > total {
            return Err(Error::invalid(
                "correct",
                format!("is more than the lesson's {total} exercises"),
            ));
        }
        self.inner
            .db
            .complete_lesson(
                me,
                language,
                "grammar",
                id,
                i64::from(correct),
                i64::from(total),
            )
            .await
    }
}

/// Questions in `lesson`'s quiz.
fn quiz_size(lesson: &VocabLessonData) -> usize {
    QUIZ_QUESTIONS.min(lesson.items.len())
}

/// The closing quiz: the first [`QUIZ_QUESTIONS`] words spread over the
/// lesson, each asked by its translation with three other words of the
/// lesson as choices. Deterministic, so a reload asks the same.
fn quiz(lesson: &VocabLessonData) -> Vec<QuizQuestion> {
    let n = lesson.items.len();
    let step = (n / QUIZ_QUESTIONS).max(1);
    (0..quiz_size(lesson))
        .map(|q| {
            let target = (q * step) % n;
            let mut choices: Vec<usize> = (1..=3).map(|k| (target + k * 3 + q) % n).collect();
            choices.retain(|c| *c != target);
            choices.dedup();
            let answer = q % (choices.len() + 1);
            choices.insert(answer, target);
            QuizQuestion {
                prompt: lesson.items[target].translation.clone(),
                choices: choices
                    .iter()
                    .map(|c| lesson.items[*c].with_article())
                    .collect(),
                answer,
            }
        })
        .collect()
}

/// A word's card: recall the word (with its article) from its translation.
fn vocab_card(language: Language, lesson: &VocabLessonData, item: &VocabItem) -> NewCard {
    NewCard {
        language,
        kind: CardKind::Vocabulary,
        source_key: format!("{}/{}", lesson.id, item.word),
        front: item.translation.clone(),
        back: item.with_article(),
        note: format!("{} — {}", item.example, item.example_translation),
        correction_kind: None,
        message_id: None,
    }
}

/// A missed exercise's card: the exercise → its answer, with why.
fn exercise_card(language: Language, e: &ExerciseData) -> NewCard {
    let front = if e.prompt.is_empty() {
        e.words.join(" / ")
    } else {
        e.prompt.clone()
    };
    NewCard {
        language,
        kind: CardKind::Grammar,
        source_key: e.id.clone(),
        front,
        back: e.answers[0].clone(),
        note: e.explanation.clone(),
        correction_kind: None,
        message_id: None,
    }
}

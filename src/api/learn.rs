//! Lessons, the review deck, the placement test and progress, as the API
//! sends them. The content itself is [`crate::learn`]'s (data in
//! `data/learn/`); these are the shapes a learner's browser sees: exercises
//! and placement questions never carry their answers.

use crate::domain::{CefrLevel, Language};
use serde::{Deserialize, Serialize};

/// A vocabulary lesson as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LessonSummary {
    pub id: String,
    pub language: Language,
    pub level: CefrLevel,
    pub title: String,
    /// Words (vocabulary) or exercises (grammar).
    pub size: usize,
    /// Unix ms of the learner's last completion, if any.
    pub completed_at: Option<i64>,
}

/// One word or phrase of a vocabulary lesson.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VocabItem {
    pub word: String,
    pub article: Option<String>,
    pub gender: Option<String>,
    pub part_of_speech: String,
    pub translation: String,
    pub example: String,
    pub example_translation: String,
}

impl VocabItem {
    /// The word as a learner should say it: with its article (`el perro`,
    /// `l'eau`).
    pub fn with_article(&self) -> String {
        match &self.article {
            Some(a) if a.ends_with('\'') => format!("{a}{}", self.word),
            Some(a) => format!("{a} {}", self.word),
            None => self.word.clone(),
        }
    }
}

/// A vocabulary lesson to play: its cards, then its quiz.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VocabLesson {
    pub id: String,
    pub language: Language,
    pub level: CefrLevel,
    pub title: String,
    /// The language translations are written in.
    pub translation_language: Language,
    pub items: Vec<VocabItem>,
    pub quiz: Vec<QuizQuestion>,
}

/// A quiz question closing a vocabulary lesson: which word means this?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuizQuestion {
    /// The translation shown.
    pub prompt: String,
    pub choices: Vec<String>,
    /// Index into `choices`: the quiz is a self-check, graded in the page.
    pub answer: usize,
}

/// A worked example of a grammar lesson.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrammarExample {
    pub text: String,
    pub translation: String,
}

/// How an exercise is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExerciseKind {
    MultipleChoice,
    FillBlank,
    WordOrder,
}

/// An exercise as the learner sees it (no answers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exercise {
    pub id: String,
    pub kind: ExerciseKind,
    /// With one `___` for multiple choice and fill in the blank; empty for
    /// word order.
    #[serde(default)]
    pub prompt: String,
    /// Multiple choice: the choices.
    #[serde(default)]
    pub choices: Vec<String>,
    /// Word order: the words, scrambled.
    #[serde(default)]
    pub words: Vec<String>,
}

/// A grammar lesson to read and practise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrammarLesson {
    pub id: String,
    pub language: Language,
    pub level: CefrLevel,
    pub title: String,
    /// Paragraphs, in the learner's language.
    pub explanation: Vec<String>,
    pub examples: Vec<GrammarExample>,
    pub exercises: Vec<Exercise>,
}

/// The grade of one exercise answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExerciseResult {
    pub exercise_id: String,
    pub correct: bool,
    /// The expected answer (the first accepted one).
    pub expected: String,
    /// Why, in the learner's language.
    pub explanation: String,
    /// Set when the answer was accepted but its accents differ.
    pub note: Option<String>,
    /// The review card a wrong answer became.
    pub card_id: Option<i64>,
}

/// How well a card was recalled: FSRS's four ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Again,
    Hard,
    Good,
    Easy,
}

impl Rating {
    /// All four, worst first.
    pub const ALL: [Rating; 4] = [Rating::Again, Rating::Hard, Rating::Good, Rating::Easy];

    /// FSRS's number for it (1–4), as the review log stores it.
    pub fn number(self) -> u32 {
        self as u32 + 1
    }

    /// `again`, `hard`, `good`, `easy`.
    pub fn id(self) -> &'static str {
        match self {
            Rating::Again => "again",
            Rating::Hard => "hard",
            Rating::Good => "good",
            Rating::Easy => "easy",
        }
    }

    /// `again` … `easy`, or 1–4.
    pub fn parse(s: &str) -> Option<Rating> {
        let s = s.trim().to_ascii_lowercase();
        Rating::ALL
            .into_iter()
            .find(|r| r.id() == s || r.number().to_string() == s)
    }
}

/// Where a review card comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CardKind {
    /// A word of a vocabulary lesson.
    Vocabulary,
    /// A grammar exercise answered wrong.
    Grammar,
    /// A correction the tutor made in chat: what you wrote → the fix.
    Mistake,
}

impl CardKind {
    /// The name stored in the database.
    pub fn id(self) -> &'static str {
        match self {
            CardKind::Vocabulary => "vocabulary",
            CardKind::Grammar => "grammar",
            CardKind::Mistake => "mistake",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(s: &str) -> Option<CardKind> {
        [CardKind::Vocabulary, CardKind::Grammar, CardKind::Mistake]
            .into_iter()
            .find(|k| k.id() == s)
    }
}

/// A review card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewCard {
    pub id: i64,
    pub language: Language,
    pub kind: CardKind,
    /// What is shown: a translation to recall the word from, or what the
    /// learner wrote.
    pub front: String,
    /// What is revealed.
    pub back: String,
    /// An example or the tutor's explanation.
    pub note: String,
    /// Unix ms.
    pub due_at: i64,
    /// Reviews so far; 0 for a new card.
    pub reps: i64,
    pub lapses: i64,
}

/// The cards due now for one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueCards {
    pub language: Language,
    /// All due now (the list may be shorter).
    pub due_count: i64,
    pub cards: Vec<ReviewCard>,
}

/// What a rating did to a card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewResult {
    pub card: ReviewCard,
    pub rating: Rating,
    /// Days until it is due again (fractional for Again's 10 minutes).
    pub interval_days: f64,
}

/// A placement test as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentSummary {
    /// `placement-spanish`.
    pub id: String,
    pub language: Language,
    pub title: String,
    pub question_count: usize,
    pub levels: Vec<CefrLevel>,
}

/// A placement question (no answer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentQuestion {
    pub id: String,
    pub level: CefrLevel,
    /// `grammar`, `vocabulary` or `reading`.
    pub skill: String,
    pub passage: Option<String>,
    pub prompt: String,
    pub choices: Vec<String>,
}

/// A placement test to take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub id: String,
    pub language: Language,
    pub title: String,
    pub questions: Vec<AssessmentQuestion>,
}

/// Correct answers at one level of a placement attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelScore {
    pub level: CefrLevel,
    pub correct: u32,
    pub total: u32,
}

/// A scored placement attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentResult {
    pub attempt_id: i64,
    pub language: Language,
    /// The level the learner was placed at (now their level).
    pub level: CefrLevel,
    pub score: u32,
    pub total: u32,
    pub by_level: Vec<LevelScore>,
    /// Unix ms.
    pub created_at: i64,
}

/// A learner's level in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserLevel {
    pub language: Language,
    /// `None` until placed or set.
    pub level: Option<CefrLevel>,
    /// `placement` or `manual`.
    pub source: Option<String>,
    pub updated_at: Option<i64>,
}

/// One day of activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayActivity {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub messages: i64,
    pub reviews: i64,
    /// Reviews not rated Again.
    pub reviews_passed: i64,
    pub lessons: i64,
}

/// Corrections of one kind made in one week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectionWeek {
    /// The week's Monday, in days since 1970-01-01 (UTC).
    pub week_start_day: i64,
    pub kind: String,
    pub count: i64,
}

/// Everything the progress page draws for one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressSummary {
    pub language: Language,
    pub level: UserLevel,
    /// Consecutive days with activity, ending today or yesterday (UTC days).
    pub streak_days: i64,
    pub messages_written: i64,
    pub lessons_completed: i64,
    pub cards_total: i64,
    /// Cards reviewed at least once.
    pub cards_learned: i64,
    pub cards_due: i64,
    /// Share of the last 30 days' reviews not rated Again; `None` without reviews.
    pub retention: Option<f64>,
    /// The last 90 days with any activity, oldest first.
    pub days: Vec<DayActivity>,
    pub corrections_by_week: Vec<CorrectionWeek>,
    /// Placement attempts, oldest first.
    pub placements: Vec<AssessmentResult>,
}

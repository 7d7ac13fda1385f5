//! The lessons and placement tests in `data/learn/<language>/`, compiled into
//! the binary, parsed once, and checked by [`validate`] (a test runs it on
//! every language; the server refuses nothing at run time, since the data
//! cannot change after the build). The rules they must follow are checked
//! by [`super::validate`].

use crate::api::{AssessmentQuestion, Exercise, GrammarExample, VocabItem};
use crate::domain::{CefrLevel, Language};
use serde::Deserialize;
use std::sync::OnceLock;

/// A vocabulary lesson as written in `vocabulary.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct VocabLessonData {
    pub id: String,
    pub level: CefrLevel,
    pub title: String,
    pub items: Vec<VocabItem>,
}

/// `vocabulary.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct VocabularyFile {
    pub language: Language,
    pub translation_language: Language,
    pub lessons: Vec<VocabLessonData>,
}

/// An exercise as written in `grammar.json`: what the learner is shown,
/// and its answers (reads through to the shown fields: `e.id`, `e.kind`).
#[derive(Debug, Clone, Deserialize)]
pub struct ExerciseData {
    #[serde(flatten)]
    pub shown: Exercise,
    /// Every accepted answer; the first is the one shown.
    pub answers: Vec<String>,
    pub explanation: String,
}

impl std::ops::Deref for ExerciseData {
    type Target = Exercise;
    fn deref(&self) -> &Exercise {
        &self.shown
    }
}

/// A grammar lesson as written in `grammar.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct GrammarLessonData {
    pub id: String,
    pub level: CefrLevel,
    pub title: String,
    pub explanation: String,
    pub examples: Vec<GrammarExample>,
    pub exercises: Vec<ExerciseData>,
}

/// `grammar.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct GrammarFile {
    pub language: Language,
    pub lessons: Vec<GrammarLessonData>,
}

/// A placement question as written in `placement.json`: what the learner
/// is shown, and its answer (reads through to the shown fields).
#[derive(Debug, Clone, Deserialize)]
pub struct PlacementQuestion {
    #[serde(flatten)]
    pub shown: AssessmentQuestion,
    pub answer: String,
}

impl std::ops::Deref for PlacementQuestion {
    type Target = AssessmentQuestion;
    fn deref(&self) -> &AssessmentQuestion {
        &self.shown
    }
}

/// `placement.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct PlacementFile {
    pub language: Language,
    pub questions: Vec<PlacementQuestion>,
}

/// One language's content.
#[derive(Debug, Clone)]
pub struct Course {
    pub vocabulary: VocabularyFile,
    pub grammar: GrammarFile,
    pub placement: PlacementFile,
}

macro_rules! files {
    ($($lang:literal),*) => {
        /// The raw files: (language id, vocabulary, grammar, placement).
        pub const FILES: &[(&str, &str, &str, &str)] = &[$((
            $lang,
            include_str!(concat!("../../data/learn/", $lang, "/vocabulary.json")),
            include_str!(concat!("../../data/learn/", $lang, "/grammar.json")),
            include_str!(concat!("../../data/learn/", $lang, "/placement.json")),
        )),*];
    };
}
files!(
    "spanish",
    "french",
    "german",
    "italian",
    "dutch",
    "portuguese",
    "english"
);

/// Parses one language's three files.
pub fn parse(vocabulary: &str, grammar: &str, placement: &str) -> Result<Course, String> {
    Ok(Course {
        vocabulary: serde_json::from_str(vocabulary).map_err(|e| format!("vocabulary: {e}"))?,
        grammar: serde_json::from_str(grammar).map_err(|e| format!("grammar: {e}"))?,
        placement: serde_json::from_str(placement).map_err(|e| format!("placement: {e}"))?,
    })
}

/// Every language's course, parsed once; an unreadable file is the error.
fn load() -> &'static Result<Vec<Course>, String> {
    static COURSES: OnceLock<Result<Vec<Course>, String>> = OnceLock::new();
    COURSES.get_or_init(|| {
        FILES
            .iter()
            .map(|(lang, v, g, p)| parse(v, g, p).map_err(|e| format!("data/learn/{lang}: {e}")))
            .collect()
    })
}

/// Parses and checks every language's files: the server runs this at start
/// and refuses to serve with broken content (the tests make sure it never is).
pub fn check() -> Result<(), String> {
    let courses = load().as_ref().map_err(Clone::clone)?;
    for ((lang, ..), course) in FILES.iter().zip(courses) {
        let language = Language::parse(lang).ok_or_else(|| format!("unknown language {lang}"))?;
        let errors = super::validate::validate(language, course);
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
    }
    Ok(())
}

/// Every language's course ([`check`] has parsed them at start, so this
/// cannot fail in a running server).
pub fn courses() -> &'static [Course] {
    load()
        .as_deref()
        .unwrap_or_else(|e| panic!("learning content: {e}"))
}

/// One language's course.
pub fn course(language: Language) -> &'static Course {
    courses()
        .iter()
        .find(|c| c.vocabulary.language == language)
        .expect("every language has a course (checked by test)")
}

/// A vocabulary lesson by id, in any language.
pub fn vocab_lesson(id: &str) -> Option<(Language, &'static VocabLessonData)> {
    courses().iter().find_map(|c| {
        let lesson = c.vocabulary.lessons.iter().find(|l| l.id == id)?;
        Some((c.vocabulary.language, lesson))
    })
}

/// A grammar lesson by id, in any language.
pub fn grammar_lesson(id: &str) -> Option<(Language, &'static GrammarLessonData)> {
    courses().iter().find_map(|c| {
        let lesson = c.grammar.lessons.iter().find(|l| l.id == id)?;
        Some((c.grammar.language, lesson))
    })
}

/// An exercise by id, with its lesson and language.
pub fn exercise(id: &str) -> Option<(Language, &'static GrammarLessonData, &'static ExerciseData)> {
    courses().iter().find_map(|c| {
        c.grammar.lessons.iter().find_map(|l| {
            let e = l.exercises.iter().find(|e| e.id == id)?;
            Some((c.grammar.language, l, e))
        })
    })
}

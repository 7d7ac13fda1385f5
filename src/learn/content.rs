//! The lessons and placement tests in `data/learn/<language>/`, compiled into
//! the binary, parsed once, and checked by [`validate`] (a test runs it on
//! every language; the server refuses nothing at run time, since the data
//! cannot change after the build). The rules they must follow are checked
//! by [`super::validate`].

use crate::api::{ExerciseKind, GrammarExample, VocabItem};
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

/// An exercise with its answers, as written in `grammar.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ExerciseData {
    pub id: String,
    pub kind: ExerciseKind,
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub words: Vec<String>,
    /// Every accepted answer; the first is the one shown.
    pub answers: Vec<String>,
    pub explanation: String,
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

/// A placement question with its answer.
#[derive(Debug, Clone, Deserialize)]
pub struct PlacementQuestion {
    pub id: String,
    pub level: CefrLevel,
    pub skill: String,
    pub passage: Option<String>,
    pub prompt: String,
    pub choices: Vec<String>,
    pub answer: String,
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

/// Parses and checks every language's files: the server runs this at start
/// and refuses to serve with broken content (the tests make sure it never is).
pub fn check() -> Result<(), String> {
    for (lang, v, g, p) in FILES {
        let language = Language::parse(lang).ok_or_else(|| format!("unknown language {lang}"))?;
        let course = parse(v, g, p).map_err(|e| format!("data/learn/{lang}: {e}"))?;
        let errors = super::validate::validate(language, &course);
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
    }
    courses();
    Ok(())
}

/// Every language's course, parsed on first use ([`check`] has parsed them
/// at start, so this cannot fail in a running server).
pub fn courses() -> &'static [Course] {
    static COURSES: OnceLock<Vec<Course>> = OnceLock::new();
    COURSES.get_or_init(|| {
        FILES
            .iter()
            .map(|(lang, v, g, p)| {
                parse(v, g, p).unwrap_or_else(|e| panic!("data/learn/{lang}: {e}"))
            })
            .collect()
    })
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

//! Server functions for learning beyond chat: lessons, the review deck,
//! placement and progress. The list and summary reads keep the Python app's
//! JSON paths; calls that name an id in the path there (`/grammar/exercises/{id}/submit`,
//! `/assessments/{id}/attempts`, `/user-levels/{language}`) are JSON routes in
//! the server crate calling the same engine methods, with `/api/…` twins
//! here for the UI.

#[cfg(feature = "ssr")]
use super::engine;
use crate::perf::PerfClient;
use babblr::api::{
    ApiError, ApiJson, Assessment, AssessmentResult, AssessmentSummary, DueCards, ExerciseResult,
    GrammarLesson, JsonOut, LessonSummary, ProgressSummary, ReviewResult, UserLevel, VocabLesson,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use babblr::engine::input;

/// Cards due in one language, for the home page's "12 cards due".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DueCount {
    pub language: babblr::domain::Language,
    pub due: i64,
}

/// `GET /vocabulary/lessons?language=spanish`.
#[server(prefix = "", endpoint = "vocabulary/lessons", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn vocabulary_lessons(language: String) -> Result<Vec<LessonSummary>, ApiError> {
    let language = input::language("language", &language)?;
    Ok(engine()?.vocabulary_lessons(language).await?)
}

/// `GET /grammar/lessons?language=spanish`.
#[server(prefix = "", endpoint = "grammar/lessons", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn grammar_lessons(language: String) -> Result<Vec<LessonSummary>, ApiError> {
    let language = input::language("language", &language)?;
    Ok(engine()?.grammar_lessons(language).await?)
}

/// A vocabulary lesson to play (twin of `GET /vocabulary/lessons/{id}`).
#[server(prefix = "/api", endpoint = "vocabulary/lesson", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn vocabulary_lesson(id: String) -> Result<VocabLesson, ApiError> {
    Ok(engine()?.vocabulary_lesson(&id)?)
}

/// Finishes a vocabulary lesson: its words join the deck, scheduled by the
/// learner's ratings (`{word: "again"|"hard"|"good"|"easy"}`).
#[server(prefix = "/api", endpoint = "vocabulary/lesson/complete", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn complete_vocabulary_lesson(
    id: String,
    ratings: Option<serde_json::Value>,
    quiz_correct: u32,
) -> Result<i64, ApiError> {
    let ratings = input::ratings("ratings", ratings.as_ref())?;
    Ok(engine()?
        .complete_vocabulary_lesson(&id, &ratings, quiz_correct)
        .await?)
}

/// A grammar lesson without answers (twin of `GET /grammar/lessons/{id}`).
#[server(prefix = "/api", endpoint = "grammar/lesson", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_grammar_lesson(id: String) -> Result<GrammarLesson, ApiError> {
    Ok(engine()?.grammar_lesson(&id)?)
}

/// Grades an answer (twin of `POST /grammar/exercises/{id}/submit`).
#[server(prefix = "/api", endpoint = "grammar/submit", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn submit_exercise(
    exercise_id: String,
    answer: serde_json::Value,
) -> Result<ExerciseResult, ApiError> {
    let answer = input::answer_text("answer", &answer)?;
    Ok(engine()?.submit_exercise(&exercise_id, answer).await?)
}

/// Finishes a grammar lesson with its score.
#[server(prefix = "/api", endpoint = "grammar/lesson/complete", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn complete_grammar_lesson(id: String, correct: u32) -> Result<i64, ApiError> {
    Ok(engine()?.complete_grammar_lesson(&id, correct).await?)
}

/// `GET /review/due?language=spanish&limit=50`: the cards due now.
#[server(prefix = "", endpoint = "review/due", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_due_cards(language: String, limit: Option<i64>) -> Result<DueCards, ApiError> {
    let language = input::language("language", &language)?;
    Ok(engine()?.due_cards(language, limit).await?)
}

/// Cards due now per language.
#[server(prefix = "/api", endpoint = "review/counts", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn due_counts() -> Result<Vec<DueCount>, ApiError> {
    Ok(engine()?
        .due_counts()
        .await?
        .into_iter()
        .map(|(language, due)| DueCount { language, due })
        .collect())
}

/// Rates a due card (twin of `POST /review/cards/{id}/rate`).
#[server(prefix = "/api", endpoint = "review/rate", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn rate_card(card_id: i64, rating: serde_json::Value) -> Result<ReviewResult, ApiError> {
    let id = input::id("card_id", card_id)?;
    let rating = input::rating("rating", &rating)?;
    Ok(engine()?.rate_card(id, rating, false).await?)
}

/// `GET /assessments?language=spanish`: the placement tests.
#[server(prefix = "", endpoint = "assessments", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn assessments(language: Option<String>) -> Result<Vec<AssessmentSummary>, ApiError> {
    let language = input::optional_language("language", language.as_deref())?;
    Ok(engine()?.assessments(language))
}

/// A placement test's questions (twin of `GET /assessments/{id}`).
#[server(prefix = "/api", endpoint = "assessment", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_assessment(id: String) -> Result<Assessment, ApiError> {
    Ok(engine()?.assessment(&id)?)
}

/// Scores a placement attempt (twin of `POST /assessments/{id}/attempts`).
#[server(prefix = "/api", endpoint = "assessment/attempt", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn attempt_assessment(
    id: String,
    answers: serde_json::Value,
) -> Result<AssessmentResult, ApiError> {
    let answers = input::answers("answers", &answers)?;
    Ok(engine()?.attempt_assessment(&id, &answers).await?)
}

/// Every level the learner has (for the home page's preselection).
#[server(prefix = "/api", endpoint = "user-levels", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn user_levels() -> Result<Vec<UserLevel>, ApiError> {
    Ok(engine()?.user_levels().await?)
}

/// `GET /progress/summary?language=spanish`.
#[server(prefix = "", endpoint = "progress/summary", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_progress_summary(language: String) -> Result<ProgressSummary, ApiError> {
    let language = input::language("language", &language)?;
    Ok(engine()?.progress_summary(language).await?)
}

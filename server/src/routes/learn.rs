//! The learning routes whose path names an id, as the Python app had them.
//! Bodies are read as JSON values so a field of the wrong shape is a 422
//! naming it (`{"answer": 3}` → `answer: must be a string`).

use super::ApiJsonBody;
use crate::auth::Me;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::Json;
use babblr::api::ApiError;
use babblr::engine::input;
use serde_json::Value;

/// `GET /vocabulary/lessons/{id}`.
pub async fn vocabulary_lesson(
    Me(engine): Me,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(engine.vocabulary_lesson(&id)?).into_response())
}

/// `GET /grammar/lessons/{id}`.
pub async fn grammar_lesson(Me(engine): Me, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(Json(engine.grammar_lesson(&id)?).into_response())
}

/// `POST /grammar/exercises/{id}/submit {answer}`.
pub async fn submit_exercise(
    Me(engine): Me,
    Path(id): Path<String>,
    ApiJsonBody(body): ApiJsonBody<Value>,
) -> Result<Response, ApiError> {
    let answer = input::answer_text("answer", &body["answer"])?;
    Ok(Json(engine.submit_exercise(&id, answer).await?).into_response())
}

/// `POST /review/cards/{id}/rate {rating}`.
pub async fn rate_card(
    Me(engine): Me,
    Path(id): Path<String>,
    ApiJsonBody(body): ApiJsonBody<Value>,
) -> Result<Response, ApiError> {
    let id = input::id_text("card_id", &id)?;
    let rating = input::rating("rating", &body["rating"])?;
    Ok(Json(engine.rate_card(id, rating, false).await?).into_response())
}

/// `GET /assessments/{id}`.
pub async fn assessment(Me(engine): Me, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(Json(engine.assessment(&id)?).into_response())
}

/// `POST /assessments/{id}/attempts {answers: {question_id: choice}}`.
pub async fn attempt_assessment(
    Me(engine): Me,
    Path(id): Path<String>,
    ApiJsonBody(body): ApiJsonBody<Value>,
) -> Result<Response, ApiError> {
    let answers = input::answers("answers", &body["answers"])?;
    let result = engine.attempt_assessment(&id, &answers).await?;
    Ok((http::StatusCode::CREATED, Json(result)).into_response())
}

/// `GET /user-levels/{language}`.
pub async fn user_level(
    Me(engine): Me,
    Path(language): Path<String>,
) -> Result<Response, ApiError> {
    let language = input::language("language", &language)?;
    Ok(Json(engine.user_level(language).await?).into_response())
}

/// `PUT /user-levels/{language} {level}`.
pub async fn set_user_level(
    Me(engine): Me,
    Path(language): Path<String>,
    ApiJsonBody(body): ApiJsonBody<Value>,
) -> Result<Response, ApiError> {
    let language = input::language("language", &language)?;
    let level = input::level("level", body["level"].as_str().unwrap_or_default())?;
    Ok(Json(engine.set_user_level(language, level).await?).into_response())
}

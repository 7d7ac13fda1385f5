//! JSON routes whose URL shape a server function cannot take (path ids,
//! DELETE, Server-Sent Events) and `/metrics`. Each is a thin call into the
//! same engine method the server functions use.

use crate::auth::Me;
use axum::extract::{FromRequest, Path, Request};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use babblr::api::ApiError;
use babblr::Engine;
use futures::StreamExt;
use serde::de::DeserializeOwned;

mod learn;

/// The routes, with the engine as state.
pub fn api(engine: Engine) -> Router {
    Router::new()
        .route(
            "/conversations/{id}",
            get(conversation).delete(delete_conversation),
        )
        .route("/conversations/{id}/messages", get(messages))
        .route("/chat/stream", post(chat_stream))
        .route("/vocabulary/lessons/{id}", get(learn::vocabulary_lesson))
        .route("/grammar/lessons/{id}", get(learn::grammar_lesson))
        .route(
            "/grammar/exercises/{id}/submit",
            post(learn::submit_exercise),
        )
        .route("/review/cards/{id}/rate", post(learn::rate_card))
        .route("/assessments/{id}", get(learn::assessment))
        .route(
            "/assessments/{id}/attempts",
            post(learn::attempt_assessment),
        )
        .route(
            "/user-levels/{language}",
            get(learn::user_level).put(learn::set_user_level),
        )
        .route("/account/export", get(export_account))
        .route("/metrics", get(metrics))
        .with_state(engine)
}

/// A conversation id from a path or query, parsed here so a bad one gets our
/// JSON error naming the field.
pub(crate) fn parse_id(raw: &str) -> Result<i64, ApiError> {
    Ok(babblr::engine::input::id_text("conversation_id", raw)?)
}

async fn conversation(Me(engine): Me, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(Json(engine.conversation(parse_id(&id)?).await?).into_response())
}

async fn messages(Me(engine): Me, Path(id): Path<String>) -> Result<Response, ApiError> {
    Ok(Json(engine.messages(parse_id(&id)?).await?).into_response())
}

async fn delete_conversation(Me(engine): Me, Path(id): Path<String>) -> Result<Response, ApiError> {
    engine.delete_conversation(parse_id(&id)?).await?;
    Ok(http::StatusCode::NO_CONTENT.into_response())
}

/// A JSON body whose decoding errors name the field at fault.
pub struct ApiJsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::invalid_request(&e.body_text()))?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(&mut de)
            .map(ApiJsonBody)
            .map_err(|e| ApiError::invalid_request(&e.to_string()))
    }
}

/// `POST /chat/stream {conversation_id, user_message}` → Server-Sent Events:
/// `saved`, `token`…, `corrections`, then `done` or `error`. Each event's data
/// is the JSON of a [`babblr::api::ChatStreamEvent`].
async fn chat_stream(
    Me(engine): Me,
    ApiJsonBody(body): ApiJsonBody<babblr::api::ChatStreamRequest>,
) -> Result<Response, ApiError> {
    let id = babblr::engine::input::id("conversation_id", body.conversation_id)?;
    let prefs = engine.prefs(&body.prefs)?;
    let events = engine.chat_stream(id, &body.user_message, prefs).await?;
    let sse = events.map(|ev| {
        let data = serde_json::to_value(&ev).unwrap_or_default();
        let name = data["event"].as_str().unwrap_or("message").to_string();
        Ok::<_, std::convert::Infallible>(Event::default().event(name).data(data.to_string()))
    });
    Ok(Sse::new(sse)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// `GET /account/export`: everything the learner owns as one JSON document,
/// offered as a file download.
async fn export_account(Me(engine): Me) -> Result<Response, ApiError> {
    let data = engine.export_account().await?;
    Ok((
        [(
            http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"babblr-export.json\"",
        )],
        Json(data),
    )
        .into_response())
}

/// Prometheus text format, for admins and for the holder of
/// `BABBLR_METRICS_TOKEN` (`Authorization: Bearer …`).
async fn metrics(Me(engine): Me, headers: http::HeaderMap) -> Result<Response, ApiError> {
    let token = engine.config().auth.metrics_token.as_deref();
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token_ok =
        matches!((token, bearer), (Some(t), Some(b)) if same(t.as_bytes(), b.trim().as_bytes()));
    if !token_ok {
        engine.require_admin()?;
    }
    Ok((
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        babblr::perf::metrics::render(),
    )
        .into_response())
}

/// Compares two secrets in time that depends only on their lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

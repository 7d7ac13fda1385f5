//! Speech routes: `POST /stt/transcribe` (multipart field `audio`) and the
//! read-only `GET /stt/cuda`, `/stt/models`, `/stt/languages`. Uploads get
//! their own body limit (25 MB by default) instead of the API's 1 MB.

use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use babblr::api::{codes, ApiError};
use babblr::stt::{self, models};
use babblr::Engine;
use serde::Deserialize;
use tower_http::limit::RequestBodyLimitLayer;

/// Room for the multipart framing around the largest accepted file.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// The routes, with the engine as state.
pub fn routes(engine: Engine) -> Router {
    let limit = engine.config().stt.max_upload_bytes + MULTIPART_OVERHEAD;
    let upload = Router::new()
        .route("/stt/transcribe", post(transcribe))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(limit));
    Router::new()
        .merge(upload)
        .route("/stt/cuda", get(|| async { Json(stt::backend()) }))
        .route("/stt/models", get(list_models))
        .route("/stt/languages", get(|| async { Json(stt::languages()) }))
        .with_state(engine)
}

#[derive(Deserialize)]
struct TranscribeQuery {
    language: Option<String>,
    conversation_id: Option<String>,
}

/// `POST /stt/transcribe?language=es&conversation_id=N`, multipart field `audio`.
async fn transcribe(
    State(engine): State<Engine>,
    Query(q): Query<TranscribeQuery>,
    mut form: Multipart,
) -> Result<Response, ApiError> {
    let conversation_id = match q.conversation_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(crate::routes::parse_id(raw)?),
    };
    let mut audio = None;
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("audio") {
            audio = Some(field.bytes().await.map_err(multipart_error)?.to_vec());
            break;
        }
    }
    let audio = audio.ok_or_else(|| {
        ApiError::new(
            codes::INVALID_REQUEST,
            "send the recording as a multipart/form-data field named 'audio'",
        )
    })?;
    let language = babblr::engine::input::optional_language("language", q.language.as_deref())?;
    let t = engine.transcribe(audio, language, conversation_id).await?;
    Ok(Json(t).into_response())
}

/// A broken or too-large multipart body, as our JSON error.
fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(codes::PAYLOAD_TOO_LARGE, "The recording is too large.")
    } else {
        ApiError::new(
            codes::INVALID_REQUEST,
            format!("the multipart body could not be read ({})", e.body_text()),
        )
    }
}

/// `GET /stt/models`: known models, which are downloaded, which is in use.
async fn list_models(State(engine): State<Engine>) -> Response {
    let c = &engine.config().stt;
    let current = models::resolve(&c.model, &c.model_dir).unwrap_or_default();
    Json(serde_json::json!({
        "current": models::display_name(&c.model),
        "models": models::list(&c.model_dir, &current),
    }))
    .into_response()
}

//! Ollama's HTTP API, the part the tutor uses: `/api/chat` (NDJSON stream,
//! one complete JSON line per chunk, or one object), `/api/tags`,
//! `/api/show`, `/api/version`. The final line carries Ollama's timing
//! fields, plus `prompt_cache_count`: prompt tokens found in the KV cache.
//! One route is this engine's own, as Ollama has none like it:
//! `POST /babblr/score` weighs candidate answers ([`crate::engine::score`]).

use crate::engine::score::Candidates;
use crate::engine::{Engine, Event, Request, Stats};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

struct Served {
    engine: Engine,
    name: String,
}

type Shared = State<Arc<Served>>;

/// The routes.
pub fn router(engine: Engine, name: String) -> Router {
    Router::new()
        .route(
            "/api/version",
            get(|| async { Json(json!({"version": env!("CARGO_PKG_VERSION")})) }),
        )
        .route("/api/tags", get(tags))
        .route("/api/show", post(show))
        .route("/api/chat", post(chat))
        .route("/babblr/score", post(score))
        .with_state(Arc::new(Served { engine, name }))
}

async fn tags(State(s): Shared) -> Json<Value> {
    Json(json!({"models": [{
        "name": s.name, "model": s.name, "size": s.engine.info.size_bytes,
        "modified_at": "1970-01-01T00:00:00Z", "digest": "builtin",
        "details": {"format": "gguf", "parameter_size": format!("{:.0}M", s.engine.info.n_params as f64 / 1e6)}
    }]}))
}

async fn show(State(s): Shared, Json(body): Json<Value>) -> Response {
    let name = body["model"]
        .as_str()
        .or(body["name"].as_str())
        .unwrap_or_default();
    if name != s.name {
        return not_found(name);
    }
    Json(json!({
        "license": "", "modelfile": "", "parameters": "", "template": "",
        "model_info": {"general.parameter_count": s.engine.info.n_params},
        "capabilities": ["completion"]
    }))
    .into_response()
}

fn not_found(name: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("model '{name}' not found")})),
    )
        .into_response()
}

/// `{"model", "messages": [{role, content}, …], "answers": [text, …]}` →
/// `{"scores": [{"logprob", "tokens"}, …]}`, one per answer, in order.
async fn score(State(s): Shared, Json(body): Json<Value>) -> Response {
    let name = body["model"].as_str().unwrap_or_default();
    if name != s.name {
        return not_found(name);
    }
    let candidates: Candidates = match serde_json::from_value(body) {
        Ok(c) => c,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": format!("bad score request: {e}")})),
            )
                .into_response()
        }
    };
    match s.engine.score(candidates).await {
        Ok(scores) => Json(json!({ "scores": scores })).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": e}))).into_response(),
    }
}

async fn chat(State(s): Shared, Json(body): Json<Value>) -> Response {
    let name = body["model"].as_str().unwrap_or_default();
    if name != s.name {
        return not_found(name);
    }
    let messages: Vec<(String, String)> = body["messages"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    (
                        m["role"].as_str().unwrap_or("user").to_string(),
                        m["content"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if messages.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "no messages"})),
        )
            .into_response();
    }
    let schema = match &body["format"] {
        Value::Object(_) => Some(body["format"].clone()),
        Value::String(f) if f == "json" => Some(json!({})),
        _ => None,
    };
    let options = &body["options"];
    let req = Request {
        messages,
        schema,
        max_tokens: options["num_predict"]
            .as_u64()
            .filter(|n| *n > 0)
            .unwrap_or(512) as usize,
        temperature: options["temperature"].as_f64().unwrap_or(0.7) as f32,
    };
    let events = s.engine.submit(req);
    let model = s.name.clone();
    if body["stream"].as_bool().unwrap_or(true) {
        stream(model, events)
    } else {
        whole(model, events).await
    }
}

/// One NDJSON line per piece, then the final line with the timings. The
/// request stops when the client goes (the receiver is dropped with the body).
fn stream(model: String, events: tokio::sync::mpsc::UnboundedReceiver<Event>) -> Response {
    let lines =
        futures::stream::unfold((events, model, false), |(mut rx, model, done)| async move {
            if done {
                return None;
            }
            let (line, done) = match rx.recv().await? {
                Event::Piece(text) => (piece_line(&model, &text), false),
                Event::Done(stats) => (final_line(&model, "", stats), true),
                Event::Error(e) => (json!({"error": e}), true),
            };
            let mut bytes = serde_json::to_vec(&line).unwrap_or_default();
            bytes.push(b'\n');
            Some((
                Ok::<_, std::io::Error>(Bytes::from(bytes)),
                (rx, model, done),
            ))
        });
    (
        [("content-type", "application/x-ndjson")],
        Body::from_stream(lines),
    )
        .into_response()
}

/// The whole answer as one object.
async fn whole(model: String, mut events: tokio::sync::mpsc::UnboundedReceiver<Event>) -> Response {
    let mut text = String::new();
    while let Some(ev) = events.recv().await {
        match ev {
            Event::Piece(p) => text.push_str(&p),
            Event::Done(stats) => return Json(final_line(&model, &text, stats)).into_response(),
            Event::Error(e) => {
                return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": e})))
                    .into_response()
            }
        }
    }
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"error": "the model stopped without an answer"})),
    )
        .into_response()
}

fn piece_line(model: &str, text: &str) -> Value {
    json!({
        "model": model, "created_at": "1970-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": text}, "done": false
    })
}

fn final_line(model: &str, text: &str, s: Stats) -> Value {
    let ns = |ms: f64| (ms * 1e6) as u64;
    json!({
        "model": model, "created_at": "1970-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": text},
        "done": true, "done_reason": "stop",
        "total_duration": ns(s.total_ms), "load_duration": 0,
        "prompt_eval_count": s.prompt_tokens, "prompt_eval_duration": ns(s.prompt_ms),
        "eval_count": s.generated_tokens, "eval_duration": ns(s.decode_ms),
        "prompt_cache_count": s.cached_tokens
    })
}

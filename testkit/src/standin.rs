//! A stand-in Ollama server for tests, benchmarks and offline demos.
//!
//! It is not a model: it speaks Ollama's HTTP API (`/api/chat`, `/api/generate`,
//! `/api/tags`, `/api/show`, `/api/version`) with deterministic answers, so
//! the real ollama-rs client is what the tests exercise. Streams are NDJSON,
//! one complete JSON line per chunk. It also answers the OpenAI-compatible
//! `/v1/chat/completions` (streaming as SSE) and `/v1/models`, for the
//! `openai` provider.
//!
//! What a request is for is read from its JSON schema's `title` (the
//! `format` Ollama gets, the `response_format` of the OpenAI API), never from
//! the prompt's wording, so rewording a prompt cannot change what it answers:
//! `corrections`, `opening`, `translation`, `transcript_fix`; no schema is a
//! reply. The answer is written in the language the prompt names.
//!
//! Faults for tests, written anywhere in the last user message:
//! `#fault:500`, `#fault:hang`, `#fault:drop` (connection dropped after two
//! pieces), `#delay:MS` (first-piece delay for this request).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use babblr::domain::{topics, Language};
use babblr::tutor::scripted::split_words;
use babblr::tutor::{corrections, demo};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the stand-in behaves.
#[derive(Debug, Clone)]
pub struct StandinConfig {
    /// Models it claims to have; others get Ollama's 404.
    pub models: Vec<String>,
    /// Wait before the first piece (a model's prompt evaluation).
    pub first_token_delay: Duration,
    /// Wait between pieces.
    pub token_delay: Duration,
}

impl Default for StandinConfig {
    fn default() -> Self {
        StandinConfig {
            models: vec!["llama3.2:3b".into(), "standin".into()],
            first_token_delay: Duration::ZERO,
            token_delay: Duration::ZERO,
        }
    }
}

/// The stand-in's routes.
pub fn router(config: StandinConfig) -> Router {
    Router::new()
        .route(
            "/api/version",
            get(|| async { Json(json!({"version": "0.0.0-babblr-standin"})) }),
        )
        .route("/api/tags", get(tags))
        .route("/api/show", post(show))
        .route("/api/chat", post(chat))
        .route("/api/generate", post(generate))
        .route("/v1/models", get(openai_models))
        .route("/v1/chat/completions", post(openai_chat))
        .with_state(Arc::new(config))
}

/// Serves on `listener` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: StandinConfig,
) -> std::io::Result<()> {
    axum::serve(listener, router(config)).await
}

/// Starts a stand-in on a free loopback port and returns its address.
pub async fn spawn(config: StandinConfig) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(serve(listener, config));
    Ok(addr)
}

type Shared = State<Arc<StandinConfig>>;

fn now_rfc3339() -> String {
    // Ollama sends RFC 3339 times; the exact instant does not matter here.
    "2026-01-01T00:00:00.000000000Z".to_string()
}

fn model_not_found(model: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": format!("model '{model}' not found")})),
    )
        .into_response()
}

async fn tags(State(cfg): Shared) -> Json<Value> {
    let models: Vec<Value> = cfg
        .models
        .iter()
        .map(|m| json!({"name": m, "model": m, "modified_at": now_rfc3339(), "size": 0, "digest": "standin"}))
        .collect();
    Json(json!({"models": models}))
}

async fn show(State(cfg): Shared, Json(body): Json<Value>) -> Response {
    let name = body["name"]
        .as_str()
        .or(body["model"].as_str())
        .unwrap_or_default();
    if !cfg.models.iter().any(|m| m == name) {
        return model_not_found(name);
    }
    Json(json!({
        "license": "", "modelfile": "# stand-in", "parameters": "", "template": "{{ .Prompt }}",
        "model_info": {"general.architecture": "standin"}, "capabilities": ["completion"]
    }))
    .into_response()
}

/// What a request asks the stand-in to do, read from its body.
struct Plan {
    model: String,
    stream: bool,
    pieces: Vec<String>,
    fault: Option<String>,
    first_delay: Duration,
}

fn plan(cfg: &StandinConfig, body: &Value, messages: &[Value], prompt: Option<&str>) -> Plan {
    let system: String = messages
        .iter()
        .filter(|m| m["role"] == "system")
        .filter_map(|m| m["content"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let last_user = prompt.map(str::to_string).unwrap_or_else(|| {
        messages
            .iter()
            .rev()
            .find(|m| m["role"] == "user")
            .and_then(|m| m["content"].as_str())
            .unwrap_or_default()
            .to_string()
    });
    let fault = ["500", "hang", "drop"]
        .into_iter()
        .find(|f| last_user.contains(&format!("#fault:{f}")))
        .map(str::to_string);
    let first_delay = last_user
        .split("#delay:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(cfg.first_token_delay);

    let language = demo::language_in_prompt(&system);
    let answer = match schema_title(body) {
        Some("corrections") => match reference_answer(&last_user) {
            // A sentence of the evaluation set: its reference edits, so
            // `babblr eval corrections` can be tested end to end.
            Some(corrections) => json!({ "corrections": corrections }).to_string(),
            None => {
                let (corrected_text, corrections) = corrections::rule_based(language, &last_user);
                json!({"corrected_text": corrected_text, "corrections": corrections}).to_string()
            }
        },
        Some("opening") => {
            let topic = topics().iter().find(|t| system.contains(&t.roleplay));
            let (message, translation) =
                demo::opening(language, topic.map(|t| t.id.as_str()).unwrap_or(""));
            json!({"message": message, "translation": translation}).to_string()
        }
        Some("transcript_fix") => json!({"text": demo::fix_transcript(&last_user)}).to_string(),
        Some("translation") => {
            let text = demo::translate(&last_user)
                .unwrap_or_else(|| format!("(stand-in translation) {last_user}"));
            json!({"translation": text}).to_string()
        }
        _ => {
            let language = if system.is_empty() {
                Language::English
            } else {
                language
            };
            demo::reply(language, &last_user).0.to_string()
        }
    };
    Plan {
        model: body["model"].as_str().unwrap_or_default().to_string(),
        stream: body["stream"].as_bool().unwrap_or(true),
        pieces: split_words(&answer),
        fault,
        first_delay,
    }
}

/// The reference corrections of `text` when it is a sentence of the
/// evaluation set (`data/eval`).
fn reference_answer(text: &str) -> Option<Vec<babblr::api::Correction>> {
    static SETS: std::sync::OnceLock<Vec<babblr::eval::EvalSet>> = std::sync::OnceLock::new();
    let sets = SETS.get_or_init(|| babblr::eval::load_all().unwrap_or_default());
    let sentence = sets
        .iter()
        .flat_map(|set| &set.sentences)
        .find(|s| s.text == text.trim())?;
    Some(
        sentence
            .edits
            .iter()
            .map(|e| babblr::api::Correction {
                original: e.original.clone(),
                corrected: e.corrected.clone(),
                explanation: "As the reference corrects it.".into(),
                kind: e.kind,
            })
            .collect(),
    )
}

/// The title of the schema a request asks its answer to follow: Ollama's
/// `format`, or OpenAI's `response_format.json_schema.schema`.
fn schema_title(body: &Value) -> Option<&str> {
    body["format"]["title"]
        .as_str()
        .or_else(|| body["response_format"]["json_schema"]["schema"]["title"].as_str())
}

/// Ollama's timing fields (nanoseconds) for a final line.
fn stats(started: Instant, pieces: usize) -> Value {
    let total = started.elapsed().as_nanos() as u64;
    json!({
        "done_reason": "stop",
        "total_duration": total,
        "load_duration": 0,
        "prompt_eval_count": 12,
        "prompt_eval_duration": total / 3,
        "eval_count": pieces,
        "eval_duration": total - total / 3,
    })
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

/// The protocol an answer is written in.
#[derive(Clone, Copy)]
enum Wire {
    OllamaChat,
    OllamaGenerate,
    OpenAi,
}

impl Wire {
    /// One streamed piece, framed for the wire: an NDJSON line or an SSE event.
    fn frame(self, value: &Value) -> Bytes {
        let json = serde_json::to_string(value).expect("JSON values serialise");
        Bytes::from(match self {
            Wire::OpenAi => format!("data: {json}\n\n"),
            _ => format!("{json}\n"),
        })
    }

    fn piece(self, model: &str, text: &str) -> Value {
        match self {
            Wire::OllamaChat => chat_line(model, text, false),
            Wire::OllamaGenerate => generate_line(model, text, false),
            Wire::OpenAi => {
                json!({"id": "standin", "object": "chat.completion.chunk", "model": model,
                "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
            }
        }
    }

    /// The last streamed frames.
    fn last(self, model: &str, stats: Value) -> Bytes {
        match self {
            Wire::OllamaChat => self.frame(&merge(chat_line(model, "", true), stats)),
            Wire::OllamaGenerate => self.frame(&merge(generate_line(model, "", true), stats)),
            Wire::OpenAi => {
                let stop = json!({"id": "standin", "object": "chat.completion.chunk", "model": model,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
                let mut b = self.frame(&stop).to_vec();
                b.extend_from_slice(b"data: [DONE]\n\n");
                Bytes::from(b)
            }
        }
    }

    /// A whole, non-streamed answer.
    fn whole(self, model: &str, text: &str, stats: Value) -> Value {
        match self {
            Wire::OllamaChat => merge(chat_line(model, text, true), stats),
            Wire::OllamaGenerate => merge(generate_line(model, text, true), stats),
            Wire::OpenAi => json!({"id": "standin", "object": "chat.completion", "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]}),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Wire::OpenAi => "text/event-stream",
            _ => "application/x-ndjson",
        }
    }
}

/// Runs a plan: the fault, the delays, then one object or a stream of frames.
async fn answer(cfg: Arc<StandinConfig>, plan: Plan, wire: Wire) -> Response {
    let started = Instant::now();
    if !cfg.models.contains(&plan.model) {
        return model_not_found(&plan.model);
    }
    match plan.fault.as_deref() {
        Some("500") => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": "stand-in fault: 500"})),
            )
                .into_response()
        }
        Some("hang") => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        _ => {}
    }
    tokio::time::sleep(plan.first_delay).await;
    if !plan.stream {
        tokio::time::sleep(cfg.token_delay * plan.pieces.len() as u32).await;
        let text = plan.pieces.concat();
        return Json(wire.whole(&plan.model, &text, stats(started, plan.pieces.len())))
            .into_response();
    }
    let drop_after = (plan.fault.as_deref() == Some("drop")).then_some(2);
    let token_delay = cfg.token_delay;
    let count = plan.pieces.len();
    let model = plan.model.clone();
    let frames = futures::stream::unfold((0usize, plan.pieces), move |(i, pieces)| {
        let model = model.clone();
        async move {
            if drop_after == Some(i) {
                return Some((
                    Err(std::io::Error::other("stand-in fault: connection dropped")),
                    (usize::MAX, pieces),
                ));
            }
            if i > count {
                return None;
            }
            if i > 0 && i < count {
                tokio::time::sleep(token_delay).await;
            }
            let frame = if i < count {
                wire.frame(&wire.piece(&model, &pieces[i]))
            } else {
                wire.last(&model, stats(started, count))
            };
            Some((Ok(frame), (i + 1, pieces)))
        }
    });
    Response::builder()
        .header("content-type", wire.content_type())
        .body(Body::from_stream(frames))
        .expect("static headers are valid")
}

fn chat_line(model: &str, text: &str, done: bool) -> Value {
    json!({"model": model, "created_at": now_rfc3339(),
           "message": {"role": "assistant", "content": text}, "done": done})
}

fn generate_line(model: &str, text: &str, done: bool) -> Value {
    json!({"model": model, "created_at": now_rfc3339(), "response": text, "done": done})
}

async fn chat(State(cfg): Shared, Json(body): Json<Value>) -> Response {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    if messages.is_empty() {
        // Ollama loads the model and answers at once.
        let model = body["model"].as_str().unwrap_or_default();
        if !cfg.models.iter().any(|m| m == model) {
            return model_not_found(model);
        }
        return Json(merge(
            chat_line(model, "", true),
            json!({"done_reason": "load"}),
        ))
        .into_response();
    }
    let plan = plan(&cfg, &body, &messages, None);
    answer(cfg, plan, Wire::OllamaChat).await
}

async fn generate(State(cfg): Shared, Json(body): Json<Value>) -> Response {
    let mut messages = vec![];
    if let Some(system) = body["system"].as_str() {
        messages.push(json!({"role": "system", "content": system}));
    }
    let prompt = body["prompt"].as_str().unwrap_or_default().to_string();
    let plan = plan(&cfg, &body, &messages, Some(&prompt));
    answer(cfg, plan, Wire::OllamaGenerate).await
}

async fn openai_models(State(cfg): Shared) -> Json<Value> {
    let data: Vec<Value> = cfg
        .models
        .iter()
        .map(|m| json!({"id": m, "object": "model", "owned_by": "standin"}))
        .collect();
    Json(json!({"object": "list", "data": data}))
}

async fn openai_chat(State(cfg): Shared, Json(body): Json<Value>) -> Response {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    // Read it as the Ollama request it would be: `response_format`'s schema is `format`.
    let as_ollama = json!({
        "model": body["model"],
        "stream": body["stream"].as_bool().unwrap_or(false),
        "format": body["response_format"]["json_schema"]["schema"],
    });
    let plan = plan(&cfg, &as_ollama, &messages, None);
    answer(cfg, plan, Wire::OpenAi).await
}

//! Server functions: the app's API. Each is thin: it calls one engine method
//! and maps its error. Those with JSON paths (`/chat`, `/conversations`, …)
//! are the very endpoints curl uses; `/api/…` ones serve only the UI.
//!
//! Every call from the browser goes through [`PerfClient`], which times it.

pub mod account;
pub mod learn;
pub mod speech;

use crate::perf::PerfClient;
use babblr::api::{
    ApiError, ApiJson, ChatResponse, Conversation, ConversationDetail, Health,
    InitialMessageResponse, JsonOut, PerfSummary, RequestRecord, TopicSummary, TutorInfo,
};
use leptos::prelude::*;
use server_fn::codec::GetUrl;

/// The engine acting for this request's learner (the server's auth layer
/// found them; nobody's engine answers 401 to anything personal).
#[cfg(feature = "ssr")]
pub(crate) fn engine() -> Result<babblr::Engine, ApiError> {
    let engine = use_context::<babblr::Engine>()
        .ok_or_else(|| ApiError::new(babblr::api::codes::INTERNAL, "engine is not available"))?;
    Ok(match use_context::<http::request::Parts>() {
        Some(parts) => engine.for_request(&parts.extensions),
        None => engine,
    })
}

/// Request fields, parsed once into the engine's typed values.
#[cfg(feature = "ssr")]
use babblr::engine::input;

/// `POST /conversations {language, difficulty_level, topic_id}`.
#[server(prefix = "", endpoint = "conversations", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn create_conversation(
    language: String,
    difficulty_level: String,
    topic_id: String,
) -> Result<Conversation, ApiError> {
    let language = input::language("language", &language)?;
    let level = input::level("difficulty_level", &difficulty_level)?;
    let topic = input::topic(&topic_id)?;
    Ok(engine()?
        .create_conversation(language, level, topic)
        .await?)
}

/// `GET /conversations`: most recently active first.
#[server(prefix = "", endpoint = "conversations", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn list_conversations() -> Result<Vec<Conversation>, ApiError> {
    Ok(engine()?.list_conversations().await?)
}

/// `GET /topics?language=spanish`: names in that language (English by default).
#[server(prefix = "", endpoint = "topics", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn list_topics(language: Option<String>) -> Result<Vec<TopicSummary>, ApiError> {
    let language = input::optional_language("language", language.as_deref())?;
    Ok(engine()?.topics(language))
}

/// `GET /health`: database, LLM and speech status.
#[server(prefix = "", endpoint = "health", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_health() -> Result<Health, ApiError> {
    Ok(engine()?.health().await)
}

/// `POST /chat/initial-message {conversation_id, language, difficulty_level, topic_id}`.
#[server(prefix = "", endpoint = "chat/initial-message", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn initial_message(
    conversation_id: i64,
    language: String,
    difficulty_level: String,
    topic_id: String,
    native_language: Option<String>,
) -> Result<InitialMessageResponse, ApiError> {
    let engine = engine()?;
    let expect = babblr::engine::Expect {
        language: Some(input::language("language", &language)?),
        level: Some(input::level("difficulty_level", &difficulty_level)?),
        topic: Some(input::topic(&topic_id)?),
    };
    let prefs = engine.prefs(&babblr::api::LearnerPrefs {
        native_language,
        correction_max_level: None,
    })?;
    let id = input::id("conversation_id", conversation_id)?;
    Ok(engine.initial_message(id, expect, prefs).await?)
}

/// `POST /chat {conversation_id, user_message}`; the Python app's `language`
/// and `difficulty_level` may be sent too and must match the conversation;
/// `native_language` and `correction_max_level` override the server's defaults.
#[server(prefix = "", endpoint = "chat", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn chat(
    conversation_id: i64,
    user_message: String,
    language: Option<String>,
    difficulty_level: Option<String>,
    native_language: Option<String>,
    correction_max_level: Option<String>,
) -> Result<ChatResponse, ApiError> {
    let engine = engine()?;
    let id = input::id("conversation_id", conversation_id)?;
    let expect = babblr::engine::Expect {
        language: input::optional_language("language", language.as_deref())?,
        level: input::optional_level("difficulty_level", difficulty_level.as_deref())?,
        topic: None,
    };
    let prefs = engine.prefs(&babblr::api::LearnerPrefs {
        native_language,
        correction_max_level,
    })?;
    Ok(engine.chat(id, &user_message, expect, prefs).await?)
}

/// A conversation with its messages, for the conversation page.
#[server(prefix = "/api", endpoint = "conversation", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_conversation(id: i64) -> Result<ConversationDetail, ApiError> {
    Ok(engine()?
        .conversation_detail(input::id("conversation_id", id)?)
        .await?)
}

/// Deletes a conversation (the UI's twin of `DELETE /conversations/{id}`).
#[server(prefix = "/api", endpoint = "conversation/delete", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn delete_conversation(id: i64) -> Result<(), ApiError> {
    Ok(engine()?
        .delete_conversation(input::id("conversation_id", id)?)
        .await?)
}

/// The translation of a tutor message into the learner's language.
#[server(prefix = "/api", endpoint = "translate", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn translate_message(
    message_id: i64,
    native_language: Option<String>,
) -> Result<String, ApiError> {
    let engine = engine()?;
    let prefs = engine.prefs(&babblr::api::LearnerPrefs {
        native_language,
        correction_max_level: None,
    })?;
    let id = input::id("message_id", message_id)?;
    Ok(engine.translate(id, prefs.native).await?)
}

/// The server's record of recent requests and their spans (for /perf).
#[server(prefix = "/api", endpoint = "perf/requests", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn perf_requests(limit: Option<usize>) -> Result<Vec<RequestRecord>, ApiError> {
    let engine = engine()?;
    engine.require_admin()?;
    Ok(engine.perf_store().recent(limit.unwrap_or(200)))
}

/// Which tutor answers (provider, model, demo or not), for the header.
#[server(prefix = "/api", endpoint = "tutor", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_tutor_info() -> Result<TutorInfo, ApiError> {
    Ok(engine()?.tutor_info())
}

/// Per-span and per-route latency summaries of the server's recent requests.
#[server(prefix = "/api", endpoint = "perf/summary", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn get_perf_summary() -> Result<PerfSummary, ApiError> {
    let engine = engine()?;
    engine.require_admin()?;
    let records = engine.perf_store().recent(usize::MAX);
    Ok(PerfSummary::of(&records))
}

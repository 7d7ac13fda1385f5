//! `/health` and the tutor's identity.

use crate::domain::{CefrLevel, Language};
use serde::{Deserialize, Serialize};

/// Status of one part of the system, as `/health` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentHealth {
    /// `ok`, `degraded`, `unavailable` or `disabled`.
    pub status: String,
    pub detail: String,
}

/// The LLM as `/health` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmHealth {
    pub status: String,
    pub provider: String,
    pub model: String,
    pub url: String,
    /// True for the scripted demo tutor: no model answers.
    pub demo: bool,
    pub detail: String,
    /// Why this provider answers ("Ollama not found at … — using the
    /// built-in model …").
    #[serde(default)]
    pub why: String,
}

/// Which tutor answers, for the UI (no network call behind it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TutorInfo {
    pub provider: String,
    pub model: String,
    /// Why this provider answers.
    #[serde(default)]
    pub why: String,
    /// True for the scripted demo tutor: no model answers.
    pub demo: bool,
    /// Levels up to this one get corrections; `None` when correction is off.
    pub correction_max_level: Option<CefrLevel>,
    pub native_language: Language,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when every enabled part is, else `degraded`.
    pub status: String,
    pub version: String,
    pub database: ComponentHealth,
    pub llm: LlmHealth,
    pub speech: ComponentHealth,
}

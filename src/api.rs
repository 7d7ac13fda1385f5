//! The JSON shapes of Babblr's API, shared by the server and the browser.

use crate::domain::{CefrLevel, Language};
use serde::{Deserialize, Serialize};

/// A conversation as listed and opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: i64,
    pub language: Language,
    pub difficulty_level: CefrLevel,
    pub topic_id: String,
    /// The topic's name in the conversation's language (so the browser needs
    /// no topic catalogue of its own).
    pub topic_name: String,
    /// Unix time in milliseconds.
    pub created_at: i64,
    /// Unix time in milliseconds of the last message (or creation).
    pub updated_at: i64,
    pub message_count: i64,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    /// The name stored in the database.
    pub fn id(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// What kind of mistake a correction fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionKind {
    Grammar,
    Vocabulary,
    Spelling,
    Punctuation,
    Style,
    #[serde(other)]
    Other,
}

impl CorrectionKind {
    /// The name the API uses (`grammar`, `vocabulary`, …), shown on the chip.
    pub fn label(self) -> &'static str {
        match self {
            CorrectionKind::Grammar => "grammar",
            CorrectionKind::Vocabulary => "vocabulary",
            CorrectionKind::Spelling => "spelling",
            CorrectionKind::Punctuation => "punctuation",
            CorrectionKind::Style => "style",
            CorrectionKind::Other => "other",
        }
    }
}

/// One fix to a learner's message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub original: String,
    pub corrected: String,
    pub explanation: String,
    #[serde(rename = "type")]
    pub kind: CorrectionKind,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub role: Role,
    pub content: String,
    /// The tutor message in the learner's own language.
    pub translation: Option<String>,
    /// The learner message as the tutor would write it (user messages only).
    pub corrected_text: Option<String>,
    pub corrections: Option<Vec<Correction>>,
    pub created_at: i64,
}

/// A conversation with its messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}

/// A topic as the UI lists it, in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    pub level_hint: CefrLevel,
}

/// The answer to `POST /chat/initial-message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitialMessageResponse {
    pub assistant_message: String,
    pub translation: Option<String>,
    /// Always `null`: the tutor's opening has nothing to correct.
    pub corrections: Option<Vec<Correction>>,
    pub message_id: i64,
}

/// The answer to `POST /chat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    pub assistant_message: String,
    pub translation: Option<String>,
    /// The learner's message as corrected; equal to it when nothing was wrong
    /// or correction is off for this level.
    pub corrected_text: String,
    pub corrections: Vec<Correction>,
    pub user_message_id: i64,
    pub assistant_message_id: i64,
}

/// One part of a streamed reply (`POST /chat/stream`, Server-Sent Events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ChatStreamEvent {
    /// The learner's message is stored.
    Saved { user_message_id: i64 },
    /// A piece of the tutor's reply.
    Token { text: String },
    /// Corrections of the learner's message, when they are ready.
    Corrections {
        corrected_text: String,
        corrections: Vec<Correction>,
    },
    /// The whole reply, stored.
    Done {
        assistant_message_id: i64,
        assistant_message: String,
        translation: Option<String>,
    },
    /// The reply failed; the learner's message is kept.
    Error { error: String, message: String },
}

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
}

/// A learner's own settings, sent with a request; fields left out take the
/// server's defaults (`BABBLR_NATIVE_LANGUAGE`, `BABBLR_CORRECTION_MAX_LEVEL`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnerPrefs {
    /// The learner's own language (`english`, `es`…), for translations and explanations.
    #[serde(default)]
    pub native_language: Option<String>,
    /// Correct messages at levels up to this one (`A1`…`C2`), or `off`.
    #[serde(default)]
    pub correction_max_level: Option<String>,
}

/// `POST /chat/stream`'s body: the learner's message and their settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatStreamRequest {
    pub conversation_id: i64,
    pub user_message: String,
    #[serde(flatten)]
    pub prefs: LearnerPrefs,
}

/// Which tutor answers, for the UI (no network call behind it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TutorInfo {
    pub provider: String,
    pub model: String,
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

/// `POST /stt/transcribe`: what was heard, and the tutor's fix of likely mis-hearings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcription {
    /// Whisper's transcript.
    pub text: String,
    /// ISO code of the language transcribed.
    pub language: String,
    /// Length of the clip in seconds.
    pub duration: f64,
    /// The transcript with likely mis-hearings fixed (the same text when
    /// there was no conversation to give context).
    pub corrected_text: String,
    /// Words the fix changed.
    pub corrections: Vec<TranscriptFix>,
}

/// One word or phrase changed by the transcript fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptFix {
    pub original: String,
    pub corrected: String,
}

/// `GET /stt/cuda`: where whisper.cpp runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SttBackend {
    pub cuda_available: bool,
    pub backend: String,
    pub device: String,
    pub whisper_version: String,
    /// whisper.cpp's own report of the CPU features and backends it was built with.
    pub system_info: String,
}

/// One entry of `GET /stt/models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SttModel {
    pub name: String,
    pub size_mb: u32,
    pub downloaded: bool,
    /// The model this server is configured to use.
    pub current: bool,
}

/// One entry of `GET /stt/languages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SttLanguage {
    pub code: String,
    pub name: String,
    pub whisper_id: i32,
}

/// Every error the API returns: `{error, message}`, plus the field at fault
/// when one is. `error` is a stable code; [`status_for`] maps it to HTTP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Stable error codes.
pub mod codes {
    pub const INVALID_REQUEST: &str = "invalid_request";
    pub const FORBIDDEN: &str = "forbidden";
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    pub const MISDIRECTED: &str = "misdirected_request";
    pub const VALIDATION: &str = "validation_error";
    pub const NOT_FOUND: &str = "not_found";
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    pub const REQUEST_TIMEOUT: &str = "request_timeout";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    pub const LLM_UNAVAILABLE: &str = "llm_unavailable";
    pub const LLM_TIMEOUT: &str = "llm_timeout";
    pub const INTERNAL: &str = "internal_error";
    pub const NETWORK: &str = "network_error";
    pub const STT_BUSY: &str = "stt_busy";
    pub const STT_UNAVAILABLE: &str = "stt_unavailable";
}

/// The HTTP status for an error code.
pub fn status_for(code: &str) -> u16 {
    match code {
        codes::INVALID_REQUEST => 400,
        codes::FORBIDDEN => 403,
        codes::NOT_FOUND => 404,
        codes::METHOD_NOT_ALLOWED => 405,
        codes::REQUEST_TIMEOUT => 408,
        codes::PAYLOAD_TOO_LARGE => 413,
        codes::UNSUPPORTED_MEDIA_TYPE => 415,
        codes::MISDIRECTED => 421,
        codes::VALIDATION => 422,
        codes::LLM_UNAVAILABLE => 503,
        codes::STT_BUSY | codes::STT_UNAVAILABLE => 503,
        codes::LLM_TIMEOUT => 504,
        _ => 500,
    }
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(error: &str, message: impl Into<String>) -> Self {
        ApiError {
            error: error.to_string(),
            message: message.into(),
            field: None,
        }
    }

    /// The error in a failed response's body: our JSON error, or, when the
    /// body is something else (a proxy's page), that text as a network error.
    pub fn from_body(text: String) -> Self {
        serde_json::from_str(&text).unwrap_or_else(|_| ApiError::new(codes::NETWORK, text))
    }

    /// A 422 naming the field at fault.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            error: codes::VALIDATION.to_string(),
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_string()),
        }
    }

    /// A 400 for a body that does not parse. `detail` is serde's message,
    /// prefixed with the path of the field when one is known (`topic_id: ...`),
    /// told in JSON's words: Rust's type names (`expected i64`, `expected
    /// struct CreateConversation`) become `an integer`, `a JSON object`.
    pub fn invalid_request(detail: &str) -> Self {
        let detail = &json_words(detail);
        let field = detail
            .split_once(": ")
            .map(|(path, _)| path)
            .filter(|p| {
                !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || "_.[]".contains(c))
            })
            .map(str::to_string)
            .or_else(|| {
                let rest = detail.split_once("missing field `")?.1;
                rest.split_once('`').map(|(f, _)| f.to_string())
            });
        ApiError {
            error: codes::INVALID_REQUEST.to_string(),
            message: format!("invalid request body: {detail}"),
            field,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        status_for(&self.error)
    }
}

/// serde's message with Rust's type names replaced by JSON's.
fn json_words(detail: &str) -> String {
    let mut out = String::with_capacity(detail.len());
    let mut rest = detail;
    while let Some(i) = rest.find("expected ") {
        out.push_str(&rest[..i + "expected ".len()]);
        rest = &rest[i + "expected ".len()..];
        let (plain, after) = json_type(rest);
        out.push_str(plain);
        rest = after;
    }
    out.push_str(rest);
    out.replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a JSON object")
        .replace("invalid type: map", "invalid type: object")
        .replace("invalid type: sequence", "invalid type: array")
        .replace("unit value", "null")
}

/// The JSON words for a Rust type named at the start of `s`, and what
/// follows it; `("", s)` when `s` names no Rust type.
fn json_type(s: &str) -> (&'static str, &str) {
    let ident_end = |t: &str| {
        t.find(|c: char| !(c.is_alphanumeric() || "_:<>".contains(c)))
            .unwrap_or(t.len())
    };
    for (prefix, plain) in [
        ("tuple struct ", "a JSON array"),
        ("struct variant ", "a JSON object"),
        ("struct ", "a JSON object"),
        ("enum ", "one of the allowed values"),
    ] {
        if let Some(t) = s.strip_prefix(prefix) {
            return (plain, &t[ident_end(t)..]);
        }
    }
    let end = ident_end(s);
    let plain = match &s[..end] {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64" | "u128"
        | "usize" => "an integer",
        "f32" | "f64" => "a number",
        "bool" => "true or false",
        "char" => "a one-character string",
        "option" => "a value or null",
        "unit" => "null",
        _ => return ("", s),
    };
    (plain, &s[end..])
}

pub use server_fn_glue::{ApiJson, ApiJsonEncoding, JsonOut, JsonOutEncoding};

mod server_fn_glue {
    //! Lets server functions return [`ApiError`] as their error type, encoded
    //! as JSON, and take JSON bodies whose errors name the field at fault.
    use super::{codes, ApiError};
    use server_fn::codec::Post;
    use server_fn::error::{FromServerFnError, ServerFnErrorErr};
    use server_fn::{ContentType, Decodes, Encodes, Format, FormatType};

    /// JSON like server_fn's own, but a decoding error says which field
    /// failed (`conversation_id: invalid type: string "x", expected i64`).
    pub struct ApiJsonEncoding;

    /// A `POST` with a JSON body, decoded by [`ApiJsonEncoding`].
    pub type ApiJson = Post<ApiJsonEncoding>;

    impl ContentType for ApiJsonEncoding {
        const CONTENT_TYPE: &'static str = "application/json";
    }

    impl FormatType for ApiJsonEncoding {
        const FORMAT_TYPE: Format = Format::Text;
    }

    impl<T: serde::Serialize> Encodes<T> for ApiJsonEncoding {
        type Error = serde_json::Error;

        fn encode(output: &T) -> Result<bytes::Bytes, Self::Error> {
            serde_json::to_vec(output).map(bytes::Bytes::from)
        }
    }

    impl<T: serde::de::DeserializeOwned> Decodes<T> for ApiJsonEncoding {
        type Error = serde_path_to_error::Error<serde_json::Error>;

        fn decode(data: bytes::Bytes) -> Result<T, Self::Error> {
            let mut de = serde_json::Deserializer::from_slice(&data);
            serde_path_to_error::deserialize(&mut de)
        }
    }

    /// JSON responses, decoded from text as Leptos decodes resources:
    /// server_fn's own `Json` decodes bytes, which would put a second JSON
    /// deserializer for every response type into the browser bundle.
    pub struct JsonOutEncoding;

    /// The output encoding of every server function.
    pub type JsonOut = Post<JsonOutEncoding>;

    impl ContentType for JsonOutEncoding {
        const CONTENT_TYPE: &'static str = "application/json";
    }

    impl FormatType for JsonOutEncoding {
        const FORMAT_TYPE: Format = Format::Text;
    }

    impl<T: serde::Serialize> Encodes<T> for JsonOutEncoding {
        type Error = serde_json::Error;

        fn encode(output: &T) -> Result<bytes::Bytes, Self::Error> {
            serde_json::to_vec(output).map(bytes::Bytes::from)
        }
    }

    impl<T: serde::de::DeserializeOwned> Decodes<T> for JsonOutEncoding {
        type Error = serde_json::Error;

        fn decode(data: bytes::Bytes) -> Result<T, Self::Error> {
            let text = std::str::from_utf8(&data).map_err(serde::de::Error::custom)?;
            serde_json::from_str(text)
        }
    }

    impl FromServerFnError for ApiError {
        type Encoder = JsonOutEncoding;

        fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
            match value {
                ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                    ApiError::invalid_request(&m)
                }
                ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => {
                    ApiError::new(codes::NETWORK, m)
                }
                ServerFnErrorErr::MissingArg(m) => {
                    let mut e = ApiError::invalid_request(&format!("{m}: missing field"));
                    e.field = Some(m);
                    e
                }
                other => ApiError::new(codes::INTERNAL, other.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_request_names_the_field_from_serde_path() {
        let e =
            ApiError::invalid_request("conversation_id: invalid type: string \"x\", expected i64");
        assert_eq!(e.field.as_deref(), Some("conversation_id"));
        assert_eq!(e.status(), 400);
        let e = ApiError::invalid_request("expected value at line 1 column 1");
        assert_eq!(e.field, None);
        let e = ApiError::invalid_request("missing field `topic_id` at line 1 column 41");
        assert_eq!(e.field.as_deref(), Some("topic_id"));
    }

    #[test]
    fn rust_type_names_become_json_words() {
        let e =
            ApiError::invalid_request("conversation_id: invalid type: string \"x\", expected i64");
        assert!(e.message.ends_with("expected an integer"), "{}", e.message);
        let e = ApiError::invalid_request(
            "invalid type: sequence, expected struct CreateConversation at line 1 column 0",
        );
        assert_eq!(
            e.message,
            "invalid request body: invalid type: array, expected a JSON object at line 1 column 0"
        );
        let e = ApiError::invalid_request(
            "prefs: invalid type: integer `1`, expected struct LearnerPrefs",
        );
        assert!(!e.message.contains("LearnerPrefs"), "{}", e.message);
        let e = ApiError::invalid_request("x: invalid type: map, expected a string");
        assert!(
            e.message.contains("object, expected a string"),
            "{}",
            e.message
        );
        let e = ApiError::invalid_request("x: invalid type: boolean `true`, expected f64");
        assert!(e.message.ends_with("expected a number"), "{}", e.message);
    }

    #[test]
    fn codes_map_to_statuses() {
        assert_eq!(status_for(codes::VALIDATION), 422);
        assert_eq!(status_for(codes::LLM_UNAVAILABLE), 503);
        assert_eq!(status_for(codes::LLM_TIMEOUT), 504);
        assert_eq!(status_for("whatever"), 500);
    }

    #[test]
    fn corrections_use_type_on_the_wire() {
        let c: Correction = serde_json::from_str(
            r#"{"original":"yo es","corrected":"yo soy","explanation":"ser","type":"grammar"}"#,
        )
        .unwrap();
        assert_eq!(c.kind, CorrectionKind::Grammar);
        let unknown: Correction = serde_json::from_str(
            r#"{"original":"a","corrected":"b","explanation":"c","type":"tone"}"#,
        )
        .unwrap();
        assert_eq!(unknown.kind, CorrectionKind::Other);
    }
}

/// One timed step inside a request, as the perf record keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanTiming {
    pub name: String,
    /// Milliseconds from the start of the request to the start of the span.
    pub start_ms: f64,
    pub duration_ms: f64,
}

/// One finished request in the server's bounded perf record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub request_id: String,
    pub method: String,
    pub path: String,
    /// The route template (`/conversations/{id}`), or `unmatched`.
    pub route: String,
    pub status: u16,
    /// Unix time in milliseconds when the request arrived.
    pub started_at_ms: f64,
    /// Time to response headers (what `X-Response-Time` says).
    pub headers_ms: f64,
    /// Time until the body ended (differs for streamed bodies).
    pub total_ms: f64,
    pub spans: Vec<SpanTiming>,
}

/// A latency summary for one span name or route, with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedSummary {
    pub name: String,
    /// `llm`, `speech`, `database` or `other` (spans); `route` for routes.
    pub kind: String,
    pub summary: crate::stats::Summary,
    /// Against the original's targets, judged on p95.
    pub verdict: crate::stats::Verdict,
    /// The good and acceptable limits in ms, for the charts.
    pub thresholds: (f64, f64),
}

/// Per-span and per-route summaries of the server's recent requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerfSummary {
    pub requests: usize,
    pub spans: Vec<NamedSummary>,
    pub routes: Vec<NamedSummary>,
}

impl PerfSummary {
    /// Summarises a set of request records.
    pub fn of(records: &[RequestRecord]) -> PerfSummary {
        use std::collections::BTreeMap;
        let mut spans: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        let mut routes: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for r in records {
            routes
                .entry(format!("{} {}", r.method, r.route))
                .or_default()
                .push(r.total_ms);
            for s in &r.spans {
                spans.entry(&s.name).or_default().push(s.duration_ms);
            }
        }
        let named = |name: String, kind: String, d: &[f64], key: &str| {
            let summary = crate::stats::summarize(d);
            NamedSummary {
                verdict: crate::stats::verdict(key, summary.p95),
                thresholds: crate::stats::thresholds(key),
                name,
                kind,
                summary,
            }
        };
        PerfSummary {
            requests: records.len(),
            spans: spans
                .into_iter()
                .map(|(n, d)| named(n.to_string(), crate::stats::kind(n).to_string(), &d, n))
                .collect(),
            routes: routes
                .into_iter()
                .map(|(n, d)| {
                    let route = n
                        .split_once(' ')
                        .map(|(_, r)| r.to_string())
                        .unwrap_or_default();
                    named(n, "route".into(), &d, &route)
                })
                .collect(),
        }
    }
}

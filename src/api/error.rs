//! The API's one error shape, `{error, message, field?}`, and its codes.

use serde::{Deserialize, Serialize};

/// Every error the API returns: `{error, message}`, plus the field at fault
/// when one is. `error` is a stable code, whose [`ErrorCode::status`] is the
/// HTTP status it is answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub error: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The stable error codes, as `error` says them on the wire (serialised by
/// [`ErrorCode::as_str`], read back through [`ErrorCode::ALL`]: a derived
/// deserializer cost the browser bundle ~6 KB for fifteen names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400: malformed JSON, wrong types, missing fields, an unreadable request.
    InvalidRequest,
    /// 401: no learner is signed in, or the sign-in failed (one message for
    /// every reason, so it never tells whether an account exists).
    Unauthorized,
    /// 403: a cross-site page tried to change something, or a learner asked
    /// for an admin's page.
    Forbidden,
    /// 404.
    NotFound,
    /// 405.
    MethodNotAllowed,
    /// 408.
    RequestTimeout,
    /// 409: the thing changed or is not ready (a review card not yet due, or
    /// rated by another request first).
    Conflict,
    /// 413.
    PayloadTooLarge,
    /// 415: a body of a type the route does not read.
    UnsupportedMediaType,
    /// 421: a host name this server does not answer to.
    MisdirectedRequest,
    /// 422: a field with a value that cannot be accepted.
    ValidationError,
    /// 429: too many sign-in or sign-up attempts; try again later.
    TooManyRequests,
    /// 503: the LLM cannot be reached or failed.
    LlmUnavailable,
    /// 504.
    LlmTimeout,
    /// 503: every transcription slot and queue place is taken.
    SttBusy,
    /// 503: no Whisper model.
    SttUnavailable,
    /// 500.
    InternalError,
    /// The browser could not reach the server, or got an answer that is not ours.
    NetworkError,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::InvalidRequest,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::RequestTimeout,
        ErrorCode::Conflict,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::MisdirectedRequest,
        ErrorCode::ValidationError,
        ErrorCode::TooManyRequests,
        ErrorCode::LlmUnavailable,
        ErrorCode::LlmTimeout,
        ErrorCode::SttBusy,
        ErrorCode::SttUnavailable,
        ErrorCode::InternalError,
        ErrorCode::NetworkError,
    ];

    /// The code a wire name stands for.
    pub fn from_wire(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The HTTP status this code is answered with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::RequestTimeout => 408,
            ErrorCode::Conflict => 409,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::MisdirectedRequest => 421,
            ErrorCode::ValidationError => 422,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::LlmUnavailable | ErrorCode::SttBusy | ErrorCode::SttUnavailable => 503,
            ErrorCode::LlmTimeout => 504,
            ErrorCode::InternalError | ErrorCode::NetworkError => 500,
        }
    }

    /// The code as the wire says it (`validation_error`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::MisdirectedRequest => "misdirected_request",
            ErrorCode::ValidationError => "validation_error",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::LlmUnavailable => "llm_unavailable",
            ErrorCode::LlmTimeout => "llm_timeout",
            ErrorCode::SttBusy => "stt_busy",
            ErrorCode::SttUnavailable => "stt_unavailable",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::NetworkError => "network_error",
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        ErrorCode::from_wire(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code '{name}'")))
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Short names for the codes, as the code base has always written them.
pub mod codes {
    use super::ErrorCode;
    pub const INVALID_REQUEST: ErrorCode = ErrorCode::InvalidRequest;
    pub const FORBIDDEN: ErrorCode = ErrorCode::Forbidden;
    pub const UNAUTHORIZED: ErrorCode = ErrorCode::Unauthorized;
    pub const TOO_MANY_REQUESTS: ErrorCode = ErrorCode::TooManyRequests;
    pub const METHOD_NOT_ALLOWED: ErrorCode = ErrorCode::MethodNotAllowed;
    pub const MISDIRECTED: ErrorCode = ErrorCode::MisdirectedRequest;
    pub const VALIDATION: ErrorCode = ErrorCode::ValidationError;
    pub const NOT_FOUND: ErrorCode = ErrorCode::NotFound;
    pub const CONFLICT: ErrorCode = ErrorCode::Conflict;
    pub const PAYLOAD_TOO_LARGE: ErrorCode = ErrorCode::PayloadTooLarge;
    pub const REQUEST_TIMEOUT: ErrorCode = ErrorCode::RequestTimeout;
    pub const UNSUPPORTED_MEDIA_TYPE: ErrorCode = ErrorCode::UnsupportedMediaType;
    pub const LLM_UNAVAILABLE: ErrorCode = ErrorCode::LlmUnavailable;
    pub const LLM_TIMEOUT: ErrorCode = ErrorCode::LlmTimeout;
    pub const INTERNAL: ErrorCode = ErrorCode::InternalError;
    pub const NETWORK: ErrorCode = ErrorCode::NetworkError;
    pub const STT_BUSY: ErrorCode = ErrorCode::SttBusy;
    pub const STT_UNAVAILABLE: ErrorCode = ErrorCode::SttUnavailable;
}

impl ApiError {
    /// An error with a code and a message.
    pub fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            error,
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
            error: codes::VALIDATION,
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
            error: codes::INVALID_REQUEST,
            message: format!("invalid request body: {detail}"),
            field,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        self.error.status()
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
    fn codes_map_to_statuses_and_wire_names() {
        assert_eq!(codes::VALIDATION.status(), 422);
        assert_eq!(codes::LLM_UNAVAILABLE.status(), 503);
        assert_eq!(codes::LLM_TIMEOUT.status(), 504);
        assert_eq!(codes::MISDIRECTED.status(), 421);
        let e: ApiError = serde_json::from_str(r#"{"error":"stt_busy","message":"m"}"#).unwrap();
        assert_eq!(e.error, ErrorCode::SttBusy);
        assert_eq!(
            serde_json::to_value(ApiError::new(codes::INTERNAL, "x")).unwrap()["error"],
            "internal_error"
        );
        for code in ErrorCode::ALL {
            let wire = serde_json::to_string(&code).unwrap();
            assert_eq!(serde_json::from_str::<ErrorCode>(&wire).unwrap(), code);
        }
        // A proxy's JSON that is not ours is a network error, not a panic.
        let e = ApiError::from_body(r#"{"error":"teapot","message":"m"}"#.into());
        assert_eq!(e.error, ErrorCode::NetworkError);
    }
}

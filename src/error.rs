//! The engine's one error type, and how each case reaches a client.
//!
//! Internals (SQL errors, upstream bodies) are logged, never sent: the client
//! gets a stable code and a message written for people.

use crate::api::{codes, ApiError};

/// Anything the engine can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field has a value we cannot accept.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// No learner is signed in, or signing in failed (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The learner may not do this (403): an admin's page.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts from this address or at this account (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// The LLM server cannot be reached; the message says what to start.
    #[error("{0}")]
    LlmUnavailable(String),
    /// The LLM server took longer than allowed.
    #[error("{0}")]
    LlmTimeout(String),
    /// The LLM answered with an error or something unusable.
    #[error("LLM error: {0}")]
    Llm(String),
    /// The upload is bigger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// The upload is in a format we do not read.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// Speech recognition is not available (no model); the message says how to get one.
    #[error("{0}")]
    SttUnavailable(String),
    /// Every transcription slot and queue place is taken.
    #[error("speech recognition is busy")]
    SttBusy,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

/// Shorthand for engine results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A validation error on `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    /// What the client sees. Server-side failures are logged here, once.
    pub fn to_api(&self) -> ApiError {
        match self {
            Error::Invalid { field, message } => ApiError::invalid_field(field, message.clone()),
            Error::NotFound(m) => ApiError::new(codes::NOT_FOUND, m.clone()),
            Error::Conflict(m) => ApiError::new(codes::CONFLICT, m.clone()),
            Error::Unauthorized(m) => ApiError::new(codes::UNAUTHORIZED, m.clone()),
            Error::Forbidden(m) => ApiError::new(codes::FORBIDDEN, m.clone()),
            Error::TooManyRequests(m) => ApiError::new(codes::TOO_MANY_REQUESTS, m.clone()),
            Error::LlmUnavailable(m) => ApiError::new(codes::LLM_UNAVAILABLE, m.clone()),
            Error::LlmTimeout(m) => ApiError::new(codes::LLM_TIMEOUT, m.clone()),
            Error::TooLarge(m) => ApiError::new(codes::PAYLOAD_TOO_LARGE, m.clone()),
            Error::UnsupportedMedia(m) => ApiError::new(codes::UNSUPPORTED_MEDIA_TYPE, m.clone()),
            Error::SttUnavailable(m) => ApiError::new(codes::STT_UNAVAILABLE, m.clone()),
            Error::SttBusy => ApiError::new(
                codes::STT_BUSY,
                "Speech recognition is busy with other recordings; try again in a few seconds.",
            ),
            Error::Llm(m) => {
                tracing::error!(error = %m, "LLM failed");
                ApiError::new(
                    codes::LLM_UNAVAILABLE,
                    "The tutor's language model answered with an error. Your message is saved; try again.",
                )
            }
            Error::Database(e) => {
                tracing::error!(error = %e, "database error");
                ApiError::new(
                    codes::INTERNAL,
                    "A database error occurred; nothing was lost. Try again.",
                )
            }
            Error::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                ApiError::new(codes::INTERNAL, "An internal error occurred.")
            }
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        e.to_api()
    }
}

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        let status = http::StatusCode::from_u16(self.status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(self)).into_response()
    }
}

impl axum::response::IntoResponse for Error {
    fn into_response(self) -> axum::response::Response {
        self.to_api().into_response()
    }
}

//! The speech routes' answers.

use serde::{Deserialize, Serialize};

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

/// `GET /stt/models`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SttModels {
    /// The model in use, by name (or file name for a path).
    pub current: String,
    pub models: Vec<SttModel>,
}

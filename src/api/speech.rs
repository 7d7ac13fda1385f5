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

/// The first frame of a voice stream (`/stt/stream`): how to listen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoiceStart {
    /// Samples per second of the audio frames that follow: must be 16000.
    pub sample_rate: u32,
    /// ISO code or name; defaults to the conversation's, else detected.
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub conversation_id: Option<i64>,
    /// Quiet after speech that ends the utterance (300–5000 ms; the
    /// server's `BABBLR_VOICE_END_SILENCE_MS` when absent).
    #[serde(default)]
    pub end_silence_ms: Option<u32>,
}

/// What the browser sends on a voice stream, encoded by [`VoiceInEncoding`](super::VoiceInEncoding).
#[derive(Debug, Clone, PartialEq)]
pub enum VoiceIn {
    /// First, and only first.
    Start(VoiceStart),
    /// Mono 16-bit PCM at the declared rate, a few hundred ms at a time.
    Audio(Vec<i16>),
    /// The learner stopped: finish what was heard, then close.
    Stop,
}

/// What the server answers on a voice stream, one JSON frame each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VoiceOut {
    /// The models are loaded and audio is being heard.
    Listening,
    /// Speech began, `at_ms` into the stream (a tutor speaking stops).
    SpeechStart { at_ms: u64 },
    /// One finished phrase and what whisper heard in it.
    Phrase {
        text: String,
        start_ms: u64,
        end_ms: u64,
        /// How long whisper took on it.
        transcribe_ms: u64,
    },
    /// The utterance: every phrase's text. Last frame of a stream.
    Utterance {
        text: String,
        /// Where the speech ended, in ms into the stream.
        speech_end_ms: u64,
        /// Milliseconds from the end of speech to this frame being sent.
        after_speech_ms: u64,
        /// `false` when the stream was cut at the clip limit.
        complete: bool,
    },
    /// The stream failed; last frame.
    Error {
        error: super::ErrorCode,
        message: String,
    },
}

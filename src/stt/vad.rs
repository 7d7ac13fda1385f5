//! Voice activity detection: Silero VAD, run by whisper.cpp (whisper-rs),
//! gives one speech probability per 32 ms frame of 16 kHz audio.
//!
//! Audio arrives in pieces while the learner speaks. whisper.cpp resets the
//! model's LSTM state on every call, so each call scores the new frames after
//! re-reading [`CONTEXT_FRAMES`] already scored ones: the state is warm when
//! the new frames come, and the cost of a call stays bounded however long
//! the learner talks.

use crate::error::{Error, Result};
use std::path::Path;
use whisper_rs::{WhisperVadContext, WhisperVadContextParams};

/// Samples per probability (32 ms at 16 kHz): Silero's window.
pub const FRAME: usize = 512;
/// Frames scored again before the new ones (0.5 s).
pub const CONTEXT_FRAMES: usize = 16;

/// A VAD model loaded for one stream of audio.
pub struct Vad {
    ctx: WhisperVadContext,
    /// Frames scored so far.
    scored: usize,
}

impl Vad {
    /// Loads the Silero GGML file (about 1 MB; a few milliseconds).
    pub fn load(path: &Path) -> Result<Vad> {
        let shown = super::models::display_name(&path.to_string_lossy());
        let missing = || {
            Error::SttUnavailable(format!(
                "the voice activity model {shown} is not downloaded; run `babblr models pull silero-vad` (or set BABBLR_VAD_MODEL to a model file)"
            ))
        };
        let path_text = path.to_str().filter(|p| !p.contains('\0'));
        let (true, Some(path_text)) = (path.is_file(), path_text) else {
            return Err(missing());
        };
        whisper_rs::install_logging_hooks();
        let mut params = WhisperVadContextParams::new();
        params.set_n_threads(1);
        params.set_use_gpu(false);
        let ctx = WhisperVadContext::new(path_text, params).map_err(|e| {
            tracing::warn!(path = %path.display(), error = %e, "VAD model failed to load");
            Error::SttUnavailable(format!(
                "the voice activity model {shown} could not be loaded; pull it again with `babblr models pull silero-vad`"
            ))
        })?;
        Ok(Vad { ctx, scored: 0 })
    }

    /// Frames scored so far.
    pub fn frames(&self) -> usize {
        self.scored
    }

    /// Scores every whole frame of `audio` (all of the stream so far) not
    /// scored yet, and returns their probabilities, oldest first.
    pub fn score(&mut self, audio: &[f32]) -> Result<Vec<f32>> {
        let whole = audio.len() / FRAME;
        if whole <= self.scored {
            return Ok(Vec::new());
        }
        let from = self.scored.saturating_sub(CONTEXT_FRAMES);
        self.ctx
            .detect_speech(&audio[from * FRAME..whole * FRAME])
            .map_err(|e| Error::Internal(format!("voice activity detection failed: {e}")))?;
        let probs = self.ctx.probabilities();
        let skip = self.scored - from;
        let new = probs.get(skip..).unwrap_or_default().to_vec();
        self.scored = whole;
        Ok(new)
    }
}

//! Speech to text with whisper.cpp (through whisper-rs).
//!
//! One model is loaded once and shared; each transcription gets its own
//! whisper state on tokio's blocking pool.
//!
//! - [`audio`]: uploads to 16 kHz mono, with the limits and errors.
//! - [`resample`]: any rate to whisper's 16 kHz.
//! - [`models`]: model names, files, and `babblr models pull`.
//! - [`slots`]: how many decode-and-transcribe jobs run and wait; past that
//!   a request gets 503 `stt_busy` at once rather than a minute in a queue.
//! - [`vad`] and [`phrases`]: speech probabilities for audio as it streams
//!   in, and where they cut it into phrases and utterances.

pub mod audio;
pub mod models;
pub mod phrases;
pub mod resample;
pub mod slots;
pub mod vad;

use crate::api::{SttBackend, SttLanguage};
use crate::config::SttConfig;
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::sync::Arc;
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

/// What whisper heard.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    pub text: String,
    /// The language whisper used (the one asked for, or the one it detected).
    pub language: String,
}

/// A loaded model, ready to transcribe.
pub struct Whisper {
    ctx: WhisperContext,
    /// The model file.
    pub path: PathBuf,
    /// CPU threads per transcription.
    pub threads: usize,
}

impl Whisper {
    /// Loads a model file (blocking: a second or so for `base`).
    pub fn load(path: PathBuf, threads: usize) -> Result<Whisper> {
        whisper_rs::install_logging_hooks();
        // Messages name the file, never where it lives: they reach clients.
        let shown = models::display_name(&path.to_string_lossy());
        if !path.is_file() {
            return Err(Error::SttUnavailable(format!(
                "the Whisper model {shown} is not downloaded; run `babblr models pull base` (or set BABBLR_WHISPER_MODEL to a model file)"
            )));
        }
        let mut params = WhisperContextParameters::default();
        params.use_gpu(cfg!(feature = "cuda"));
        let ctx = WhisperContext::new_with_params(&path, params).map_err(
            |e| {
                tracing::warn!(path = %path.display(), error = %e, "Whisper model failed to load");
                Error::SttUnavailable(format!(
                    "the Whisper model {shown} could not be loaded; pull it again with `babblr models pull`"
                ))
            },
        )?;
        Ok(Whisper {
            ctx,
            path,
            threads: threads.max(1),
        })
    }

    /// Transcribes 16 kHz mono samples (blocking). `language` is an ISO code,
    /// or `None` to let whisper detect it.
    pub fn transcribe(&self, samples: &[f32], language: Option<&str>) -> Result<Heard> {
        self.run(samples, language, |_| {})
    }

    /// Transcribes one phrase of a spoken stream (blocking). The encoder
    /// reads only the part of its 30 s window the phrase fills, so a phrase
    /// costs about what its length does. Each phrase is heard on its own:
    /// with the phrases before it as whisper's prompt, the test recordings
    /// came back worse ("Quiero una mesa" heard as "Qué onda mesa").
    pub fn transcribe_phrase(&self, samples: &[f32], language: Option<&str>) -> Result<Heard> {
        let seconds = samples.len() as f64 / audio::WHISPER_RATE as f64;
        let mut heard = self.run(samples, language, |params| {
            params.set_audio_ctx(phrase_audio_ctx(seconds));
            // Fast speech is ~4 words (6 tokens) a second; a loop stops here.
            params.set_max_tokens((seconds * 8.0).ceil() as i32 + 8);
        })?;
        heard.text = collapse_repeats(&heard.text);
        Ok(heard)
    }

    fn run(
        &self,
        samples: &[f32],
        language: Option<&str>,
        tune: impl FnOnce(&mut FullParams),
    ) -> Result<Heard> {
        let failed = |e: whisper_rs::WhisperError| Error::Internal(format!("whisper: {e}"));
        let mut state = self.ctx.create_state().map_err(failed)?;
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(self.threads as i32);
        params.set_language(Some(language.unwrap_or("auto")));
        params.set_translate(false);
        params.set_no_timestamps(true);
        params.set_suppress_blank(true);
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        tune(&mut params);
        state.full(params, samples).map_err(failed)?;
        let text: String = state
            .as_iter()
            .filter_map(|seg| seg.to_str_lossy().ok().map(|s| s.into_owned()))
            .collect::<Vec<_>>()
            .join("");
        let language = whisper_rs::get_lang_str(state.full_lang_id_from_state())
            .unwrap_or(language.unwrap_or("auto"))
            .to_string();
        Ok(Heard {
            text: text.trim().to_string(),
            language,
        })
    }
}

/// Encoder positions for a phrase of `seconds`: whisper's window is 1500
/// positions for 30 s (50 a second). Two seconds of margin: measured on the
/// test recordings, a margin of 0.5-1 s made the base model repeat a phrase
/// a dozen times, 2 s did not, and 8 s cost twice as much for no better text.
pub fn phrase_audio_ctx(seconds: f64) -> i32 {
    (((seconds.max(1.0) + 2.0) * 50.0).ceil() as i32).min(1500)
}

/// `text` with a run of two or more words repeated back to back kept once
/// (case and punctuation aside): whisper, reading a short window,
/// sometimes loops on the last thing it heard. A word said twice ("sí, sí")
/// stays.
pub fn collapse_repeats(text: &str) -> String {
    let key = |w: &str| -> String {
        w.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let mut out: Vec<(&str, String)> = Vec::new();
    for word in text.split_whitespace() {
        out.push((word, key(word)));
        let n = out.len();
        if let Some(len) =
            (2..=n / 2).find(|&len| (0..len).all(|i| out[n - len + i].1 == out[n - 2 * len + i].1))
        {
            out.truncate(n - len);
        }
    }
    out.iter().map(|(w, _)| *w).collect::<Vec<_>>().join(" ")
}

/// The shared speech service: one loaded model.
pub struct Stt {
    whisper: Whisper,
}

impl Stt {
    /// Loads the configured model (blocking).
    pub fn load(config: &SttConfig) -> Result<Stt> {
        let path = models::resolve(&config.model, &config.model_dir)?;
        let whisper = Whisper::load(path, config.threads)?;
        Ok(Stt { whisper })
    }

    /// The loaded model.
    pub fn whisper(&self) -> &Whisper {
        &self.whisper
    }

    /// Transcribes on the blocking pool (span `stt.transcribe_whisper`).
    /// Callers bound how many run at once with [`slots::Slots`].
    pub async fn transcribe(
        self: &Arc<Self>,
        samples: Vec<f32>,
        language: Option<String>,
    ) -> Result<Heard> {
        let span = crate::perf_span!(INFO, "stt.transcribe_whisper");
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let _t = span.entered();
            me.whisper.transcribe(&samples, language.as_deref())
        })
        .await
        .map_err(|e| Error::Internal(format!("transcription task failed: {e}")))?
    }

    /// Runs one second of silence through the model (span `stt.warmup`), so
    /// the first learner does not pay for whisper.cpp's first-run set-up.
    pub async fn warm_up(self: &Arc<Self>) -> Result<()> {
        let me = self.clone();
        let span = crate::perf_span!(INFO, "stt.warmup");
        tokio::task::spawn_blocking(move || {
            let _t = span.entered();
            me.whisper
                .transcribe(&vec![0.0; audio::WHISPER_RATE as usize], Some("en"))
                .map(|_| ())
        })
        .await
        .map_err(|e| Error::Internal(format!("warm-up task failed: {e}")))?
    }
}

/// What whisper.cpp was built with and runs on (`GET /stt/cuda`).
pub fn backend() -> SttBackend {
    let system_info = whisper_rs::print_system_info().trim().to_string();
    let cuda = cfg!(feature = "cuda");
    SttBackend {
        cuda_available: cuda,
        backend: if cuda { "cuda" } else { "cpu" }.into(),
        device: if cuda {
            "NVIDIA GPU (CUDA build)".into()
        } else {
            format!(
                "CPU, {} logical cores",
                std::thread::available_parallelism().map_or(1, |n| n.get())
            )
        },
        whisper_version: whisper_rs::get_whisper_version().to_string(),
        system_info,
    }
}

/// The languages a learner can speak to Babblr, with whisper's codes.
pub fn languages() -> Vec<SttLanguage> {
    crate::domain::Language::ALL
        .iter()
        .map(|l| SttLanguage {
            code: l.iso().to_string(),
            name: l.english_name().to_string(),
            whisper_id: whisper_rs::get_lang_id(l.iso()).unwrap_or(-1),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_repeated_back_to_back_are_kept_once() {
        let looped = "¡Hola, me llamo Juan! ¡Hola, me llamo Juan! ¡Hola, me llamo Juan!";
        assert_eq!(super::collapse_repeats(looped), "¡Hola, me llamo Juan!");
        let looped = "Somos, cuatro, personas Somos, cuatro, personas Somos, cuatro, personas";
        assert_eq!(super::collapse_repeats(looped), "Somos, cuatro, personas");
        let fine = "Sí. Sí, claro. Sí, sí.";
        assert_eq!(super::collapse_repeats(fine), fine);
        assert_eq!(
            super::collapse_repeats("sin punto final"),
            "sin punto final"
        );
        assert_eq!(super::collapse_repeats(""), "");
    }
}

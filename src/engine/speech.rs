//! The engine's speech use cases: transcribe a learner's recording, fix
//! likely mis-hearings with the tutor's model, report the speech status.

use super::Engine;
use crate::api::{ComponentHealth, TranscriptFix, Transcription};
use crate::domain::Language;
use crate::error::{Error, Result};
use crate::stt::{audio, models, Stt};
use crate::tutor::prompts;
use crate::{perf_span, perf_timed};
use std::sync::Arc;

/// How many earlier messages the transcript fix sees.
const FIX_CONTEXT: usize = 6;

impl Engine {
    /// The speech service, loading the model on first use. A missing model
    /// is not remembered, so `babblr models pull` works without a restart.
    pub async fn stt(&self) -> Result<Arc<Stt>> {
        let config = self.inner.config.stt.clone();
        self.inner
            .stt
            .get_or_try_init(|| async move {
                let span = perf_span!(INFO, "stt.load_model");
                tokio::task::spawn_blocking(move || {
                    let _t = span.entered();
                    Stt::load(&config).map(Arc::new)
                })
                .await
                .map_err(|e| Error::Internal(format!("model loading failed: {e}")))?
            })
            .await
            .cloned()
    }

    /// Loads the model and runs one second of silence in the background
    /// (span `stt.warmup`) when configured and the model file is there.
    pub fn spawn_stt_warmup(&self) {
        let c = &self.inner.config.stt;
        let present = models::resolve(&c.model, &c.model_dir).is_ok_and(|p| p.is_file());
        if !c.warmup || !present {
            return;
        }
        let engine = self.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let result = match engine.stt().await {
                Ok(stt) => stt.warm_up().await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => tracing::info!(
                    ms = started.elapsed().as_millis() as u64,
                    "speech warm-up done"
                ),
                Err(e) => tracing::warn!(error = %e, "speech warm-up failed"),
            }
        });
    }

    /// Transcribes an upload. `language` defaults to the conversation's; with neither, whisper detects it. With a conversation
    /// that already has messages, the tutor's model fixes likely mis-hearings
    /// (span `stt.correction_llm`); if that fails the raw transcript is kept.
    pub async fn transcribe(
        &self,
        bytes: Vec<u8>,
        mut language: Option<Language>,
        conversation_id: Option<i64>,
    ) -> Result<Transcription> {
        // Transcription is a learner's work: nobody's is refused (401).
        self.me()?;
        let conversation = match conversation_id {
            Some(id) => {
                let c = self.conversation(id).await?;
                language.get_or_insert(c.language);
                Some(c)
            }
            None => None,
        };
        let c = &self.inner.config.stt;
        let limits = audio::AudioLimits {
            max_bytes: c.max_upload_bytes,
            max_seconds: c.max_seconds,
        };
        // Decoding counts inside the speech slots: a burst of uploads decodes
        // a few at a time, never all at once.
        let engine = self.clone();
        let iso = language.map(|l| l.iso().to_string());
        let (decoded_seconds, heard) = self
            .inner
            .speech_slots
            .run(async move {
                let span = perf_span!("stt.decode_audio");
                let decoded = tokio::task::spawn_blocking(move || {
                    let _t = span.entered();
                    audio::decode(&bytes, limits)
                })
                .await
                .map_err(|e| Error::Internal(format!("decoding task failed: {e}")))??;
                let stt = engine.stt().await?;
                let heard = stt.transcribe(decoded.samples, iso).await?;
                Ok((decoded.duration, heard))
            })
            .await?;
        if heard.text.is_empty() {
            return Err(Error::invalid(
                "audio",
                "no speech was recognised; speak a little louder or closer to the microphone",
            ));
        }
        let corrected_text = match &conversation {
            Some(conv) => self.fix_transcript(conv, &heard.text).await,
            None => heard.text.clone(),
        };
        Ok(Transcription {
            corrections: word_changes(&heard.text, &corrected_text),
            text: heard.text,
            language: heard.language,
            duration: (decoded_seconds * 100.0).round() / 100.0,
            corrected_text,
        })
    }

    /// The transcript with likely mis-hearings fixed, using the conversation
    /// as context; the transcript itself when there is no context or the
    /// model fails (a transcript is worth more than an error).
    async fn fix_transcript(&self, conversation: &crate::api::Conversation, text: &str) -> String {
        let context = match self
            .inner
            .db
            .recent_messages(conversation.id, FIX_CONTEXT)
            .await
        {
            Ok(m) if !m.is_empty() => m,
            _ => return text.to_string(),
        };
        let request = prompts::transcript_fix_request(conversation.language, &context, text);
        match perf_timed!(INFO, "stt.correction_llm", self.inner.llm.complete(request)).await {
            Ok(raw) => {
                let fixed = prompts::parse_text_field(&raw, "text");
                if !fixed.is_empty() && fixed.len() < text.len() * 3 + 20 {
                    fixed
                } else {
                    text.to_string()
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "transcript fix failed; keeping whisper's text");
                text.to_string()
            }
        }
    }

    /// The speech part of `/health`: the model's name, never its path.
    pub(super) fn speech_health(&self) -> ComponentHealth {
        let c = &self.inner.config.stt;
        let name = models::display_name(&c.model);
        let load = self.inner.speech_slots.load();
        if let Some(stt) = self.inner.stt.get() {
            return ComponentHealth {
                status: "ok".into(),
                detail: format!(
                    "whisper model {name} loaded, {} thread(s); {} transcribing, {} waiting",
                    stt.whisper().threads,
                    load.running,
                    load.waiting
                ),
            };
        }
        match models::resolve(&c.model, &c.model_dir) {
            Ok(p) if p.is_file() => ComponentHealth {
                status: "ok".into(),
                detail: format!("whisper model {name} (loads on first use)"),
            },
            Ok(_) => ComponentHealth {
                status: "unavailable".into(),
                detail: format!(
                    "whisper model {name} is not downloaded; run `babblr models pull {}`",
                    if models::known(&c.model).is_some() {
                        c.model.as_str()
                    } else {
                        "base"
                    }
                ),
            },
            Err(e) => ComponentHealth {
                status: "unavailable".into(),
                detail: e.to_string(),
            },
        }
    }
}

/// The words `fixed` changed in `original`, run by run (a word-level LCS).
pub fn word_changes(original: &str, fixed: &str) -> Vec<TranscriptFix> {
    let a: Vec<&str> = original.split_whitespace().collect();
    let b: Vec<&str> = fixed.split_whitespace().collect();
    if a == b {
        return Vec::new();
    }
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u16; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    let (mut from, mut to) = (Vec::new(), Vec::new());
    let mut flush = |from: &mut Vec<&str>, to: &mut Vec<&str>| {
        if !from.is_empty() || !to.is_empty() {
            out.push(TranscriptFix {
                original: from.join(" "),
                corrected: to.join(" "),
            });
            from.clear();
            to.clear();
        }
    };
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            flush(&mut from, &mut to);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            to.push(b[j]);
            j += 1;
        } else {
            from.push(a[i]);
            i += 1;
        }
    }
    flush(&mut from, &mut to);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_changes_lists_each_changed_run() {
        let c = word_changes(
            "quiero la mesa para vos personas",
            "Quiero una mesa para dos personas.",
        );
        let pairs: Vec<(&str, &str)> = c
            .iter()
            .map(|f| (f.original.as_str(), f.corrected.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("quiero la", "Quiero una"),
                ("vos personas", "dos personas.")
            ]
        );
        assert!(word_changes("hola amigo", "hola  amigo").is_empty());
    }
}

//! The engine's spoken-conversation use case: audio streams in while the
//! learner speaks, the VAD cuts it into phrases, each phrase is transcribed
//! while the next is spoken, and when the learner pauses only the last
//! phrase is left to do.

use super::{input, Engine};
use crate::api::{VoiceIn, VoiceOut, VoiceStart};
use crate::error::{Error, Result};
use crate::stt::phrases::{Cut, Cuts, Phrases};
use crate::stt::vad::{Vad, FRAME};
use crate::stt::{audio::WHISPER_RATE, models, Stt};
use futures::{Stream, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long the browser has to send its start frame.
const START_WAIT: Duration = Duration::from_secs(10);
/// A stream that sends nothing for this long is over.
const IDLE: Duration = Duration::from_secs(15);

/// Milliseconds from the start of the stream to `frame`.
fn ms(frame: usize) -> u64 {
    (frame * FRAME * 1000 / WHISPER_RATE as usize) as u64
}

/// A phrase for the transcriber: its frames and its audio.
struct PhraseJob {
    start: usize,
    end: usize,
    samples: Vec<f32>,
}

impl Engine {
    /// Listens to one utterance (`/stt/stream`). Never fails itself: a fault
    /// is an `Error` frame, the stream's last.
    pub fn listen<S>(&self, input: S) -> impl Stream<Item = VoiceOut> + Send + 'static
    where
        S: Stream<Item = Result<VoiceIn>> + Send + Unpin + 'static,
    {
        let (tx, mut rx) = mpsc::channel(64);
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(e) = engine.hear(input, &tx).await {
                if !matches!(e, Error::Invalid { .. } | Error::SttBusy) {
                    tracing::warn!(error = %e, "voice stream failed");
                }
                let api = e.to_api();
                let _ = tx
                    .send(VoiceOut::Error {
                        error: api.error,
                        message: api.message,
                    })
                    .await;
            }
        });
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }

    async fn hear<S>(&self, mut input: S, tx: &mpsc::Sender<VoiceOut>) -> Result<()>
    where
        S: Stream<Item = Result<VoiceIn>> + Send + Unpin + 'static,
    {
        self.me()?;
        let start = match tokio::time::timeout(START_WAIT, input.next()).await {
            Ok(Some(Ok(VoiceIn::Start(start)))) => start,
            Ok(Some(Ok(_))) => {
                return Err(Error::invalid(
                    "frame",
                    "the first frame must be the start frame",
                ))
            }
            Ok(Some(Err(e))) => return Err(e),
            Ok(None) => return Ok(()),
            Err(_) => return Err(Error::invalid("frame", "no start frame came within 10 s")),
        };
        let (language, end_silence) = self.voice_settings(&start).await?;
        // Told at once, before any audio is sent for nothing.
        if self.inner.speech_slots.is_full() {
            return Err(Error::SttBusy);
        }
        let stt = self.stt().await?;
        let c = &self.inner.config.stt;
        let vad_path = models::resolve_vad(&c.vad_model, &c.model_dir);
        let mut vad = tokio::task::spawn_blocking(move || Vad::load(&vad_path))
            .await
            .map_err(|e| Error::Internal(format!("VAD loading failed: {e}")))??;
        let max_samples = (c.max_seconds * WHISPER_RATE as f64) as usize;
        let _ = tx.send(VoiceOut::Listening).await;

        let (jobs, job_rx) = mpsc::unbounded_channel();
        let mut worker = tokio::spawn(self.clone().transcribe_phrases(
            stt,
            language.map(|l| l.iso().to_string()),
            job_rx,
            tx.clone(),
        ));
        let mut phrases = Phrases::new(Cuts::new(end_silence));
        let mut audio: Vec<f32> = Vec::new();
        // When each stretch of audio arrived: (frames received, when).
        let mut arrivals: Vec<(usize, Instant)> = Vec::new();
        let (mut vad_time, vad_started) = (Duration::ZERO, Instant::now());
        let mut cuts = Vec::new();
        let mut speech_end = None;
        let mut complete = true;
        while speech_end.is_none() {
            let frame = match tokio::time::timeout(IDLE, input.next()).await {
                Ok(Some(Ok(frame))) => frame,
                Ok(Some(Err(e))) => {
                    worker.abort();
                    return Err(e);
                }
                // Stopped sending, or gone: finish what was heard.
                Ok(None) | Err(_) => VoiceIn::Stop,
            };
            match frame {
                VoiceIn::Start(_) => {
                    worker.abort();
                    return Err(Error::invalid(
                        "frame",
                        "only the first frame may be a start frame",
                    ));
                }
                VoiceIn::Stop => phrases.finish(&mut cuts),
                VoiceIn::Audio(samples) => {
                    audio.extend(samples.iter().map(|&s| s as f32 / 32768.0));
                    if audio.len() >= max_samples {
                        audio.truncate(max_samples);
                        complete = false;
                    }
                    arrivals.push((audio.len() / FRAME, Instant::now()));
                    let scored = Instant::now();
                    let probs = vad.score(&audio)?;
                    vad_time += scored.elapsed();
                    for p in probs {
                        phrases.feed(p, &mut cuts);
                    }
                    if !complete {
                        phrases.finish(&mut cuts);
                    }
                }
            }
            for cut in cuts.drain(..) {
                match cut {
                    Cut::SpeechStart(at) => {
                        let _ = tx.send(VoiceOut::SpeechStart { at_ms: ms(at) }).await;
                    }
                    Cut::Phrase { start, end } => {
                        let samples = audio[start * FRAME..(end * FRAME).min(audio.len())].to_vec();
                        let _ = jobs.send(PhraseJob {
                            start,
                            end,
                            samples,
                        });
                    }
                    Cut::End { speech_end: end } => speech_end = Some(end),
                }
            }
            // The transcriber stops early only on a fault.
            if worker.is_finished() {
                break;
            }
        }
        let speech_end = speech_end.unwrap_or(phrases.frames());
        crate::perf::layer::record(
            "stt.vad",
            vad_started,
            vad_time.as_secs_f64() * 1000.0,
            Some(format!(
                "{} frames, {:.1} s audio",
                vad.frames(),
                audio.len() as f64 / WHISPER_RATE as f64
            )),
        );
        drop(jobs);
        let texts = (&mut worker)
            .await
            .map_err(|e| Error::Internal(format!("transcription task failed: {e}")))??;
        let text = texts.join(" ");
        if text.is_empty() {
            return Err(Error::invalid(
                "audio",
                "no speech was recognised; speak a little louder or closer to the microphone",
            ));
        }
        let ended = arrivals
            .iter()
            .find(|(frames, _)| *frames >= speech_end)
            .map_or_else(Instant::now, |(_, at)| *at);
        let _ = tx
            .send(VoiceOut::Utterance {
                text,
                speech_end_ms: ms(speech_end),
                after_speech_ms: ended.elapsed().as_millis() as u64,
                complete,
            })
            .await;
        Ok(())
    }

    /// The language to hear and the quiet that ends an utterance.
    async fn voice_settings(
        &self,
        start: &VoiceStart,
    ) -> Result<(Option<crate::domain::Language>, u32)> {
        if start.sample_rate != WHISPER_RATE {
            return Err(Error::invalid(
                "sample_rate",
                format!(
                    "send 16-bit mono PCM at {WHISPER_RATE} Hz (got {} Hz)",
                    start.sample_rate
                ),
            ));
        }
        let mut language = input::optional_language("language", start.language.as_deref())?;
        if let Some(id) = start.conversation_id {
            let c = self.conversation(input::id("conversation_id", id)?).await?;
            language.get_or_insert(c.language);
        }
        let end_silence = start
            .end_silence_ms
            .unwrap_or(self.inner.config.stt.end_silence_ms)
            .clamp(300, 5_000);
        Ok((language, end_silence))
    }

    /// Transcribes phrases in order as they come (span
    /// `stt.transcribe_phrase`, its audio and real-time factor in `desc`).
    /// Returns every phrase's text.
    async fn transcribe_phrases(
        self,
        stt: Arc<Stt>,
        language: Option<String>,
        mut jobs: mpsc::UnboundedReceiver<PhraseJob>,
        tx: mpsc::Sender<VoiceOut>,
    ) -> Result<Vec<String>> {
        let mut texts: Vec<String> = Vec::new();
        while let Some(job) = jobs.recv().await {
            if tx.is_closed() {
                // Nobody listens any more: free the slot for someone who does.
                return Ok(texts);
            }
            let (stt, language) = (stt.clone(), language.clone());
            let seconds = job.samples.len() as f64 / WHISPER_RATE as f64;
            let started = Instant::now();
            let heard = self
                .inner
                .speech_slots
                .run(async move {
                    tokio::task::spawn_blocking(move || {
                        stt.whisper()
                            .transcribe_phrase(&job.samples, language.as_deref())
                    })
                    .await
                    .map_err(|e| Error::Internal(format!("transcription task failed: {e}")))?
                })
                .await?;
            let took = started.elapsed();
            crate::perf::layer::record(
                "stt.transcribe_phrase",
                started,
                took.as_secs_f64() * 1000.0,
                Some(format!(
                    "{seconds:.1} s audio, RTF {:.2}",
                    took.as_secs_f64() / seconds.max(0.001)
                )),
            );
            if heard.text.is_empty() {
                continue;
            }
            let _ = tx
                .send(VoiceOut::Phrase {
                    text: heard.text.clone(),
                    start_ms: ms(job.start),
                    end_ms: ms(job.end),
                    transcribe_ms: took.as_millis() as u64,
                })
                .await;
            texts.push(heard.text);
        }
        Ok(texts)
    }
}

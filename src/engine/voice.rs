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

fn not_first() -> Error {
    Error::invalid("frame", "only the first frame may be a start frame")
}

/// A task that is stopped when its handle goes (a stream that failed does
/// not leave its transcriber running).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One stream's listening: its audio, the VAD and the phrase cutter. The VAD
/// runs inline (14 ms per second of audio, a few ms a chunk, measured).
struct Ear {
    vad: Vad,
    phrases: Phrases,
    audio: Vec<f32>,
    max_samples: usize,
    /// When each stretch of audio arrived: (frames received, when).
    arrivals: Vec<(usize, Instant)>,
    vad_time: Duration,
    started: Instant,
    /// `false` once the stream was cut at the clip limit.
    complete: bool,
}

impl Ear {
    fn new(vad: Vad, cuts: Cuts, max_seconds: f64) -> Ear {
        Ear {
            vad,
            phrases: Phrases::new(cuts),
            audio: Vec::new(),
            max_samples: (max_seconds * WHISPER_RATE as f64) as usize,
            arrivals: Vec::new(),
            vad_time: Duration::ZERO,
            started: Instant::now(),
            complete: true,
        }
    }

    /// Takes a piece of audio; says what it completed.
    fn hear(&mut self, samples: &[i16]) -> Result<Vec<Cut>> {
        self.audio
            .extend(samples.iter().map(|&s| s as f32 / 32768.0));
        if self.audio.len() >= self.max_samples {
            self.audio.truncate(self.max_samples);
            self.complete = false;
        }
        self.arrivals
            .push((self.audio.len() / FRAME, Instant::now()));
        let scored = Instant::now();
        let probs = self.vad.score(&self.audio)?;
        self.vad_time += scored.elapsed();
        let mut cuts = Vec::new();
        for p in probs {
            self.phrases.feed(p, &mut cuts);
        }
        if !self.complete {
            self.phrases.finish(&mut cuts);
        }
        Ok(cuts)
    }

    /// The stream stopped: what is left.
    fn finish(&mut self) -> Vec<Cut> {
        let mut cuts = Vec::new();
        self.phrases.finish(&mut cuts);
        cuts
    }

    /// The audio of frames `start..end`.
    fn samples(&self, start: usize, end: usize) -> Vec<f32> {
        self.audio[start * FRAME..(end * FRAME).min(self.audio.len())].to_vec()
    }

    /// When the audio holding frame `frame` arrived (now, if it never did).
    fn arrival_of(&self, frame: usize) -> Instant {
        self.arrivals
            .iter()
            .find(|(frames, _)| *frames >= frame)
            .map_or_else(Instant::now, |(_, at)| *at)
    }

    /// Span `stt.vad`: the stream's whole VAD time.
    fn report(&self) {
        crate::perf::layer::record(
            "stt.vad",
            self.started,
            self.vad_time.as_secs_f64() * 1000.0,
            Some(format!(
                "{} frames, {:.1} s audio",
                self.vad.frames(),
                self.audio.len() as f64 / WHISPER_RATE as f64
            )),
        );
    }
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
            Ok(Some(Ok(_))) => return Err(not_first()),
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
        let vad = tokio::task::spawn_blocking(move || Vad::load(&vad_path))
            .await
            .map_err(|e| Error::Internal(format!("VAD loading failed: {e}")))??;
        let mut ear = Ear::new(vad, Cuts::new(end_silence), c.max_seconds);
        let _ = tx.send(VoiceOut::Listening).await;

        let (jobs, job_rx) = mpsc::unbounded_channel();
        let mut worker = AbortOnDrop(tokio::spawn(self.clone().transcribe_phrases(
            stt,
            language.map(|l| l.iso().to_string()),
            job_rx,
            tx.clone(),
        )));
        let mut speech_end = None;
        // The transcriber stops early only on a fault.
        while speech_end.is_none() && !worker.0.is_finished() {
            let cuts = match tokio::time::timeout(IDLE, input.next()).await {
                Ok(Some(Ok(VoiceIn::Audio(samples)))) => ear.hear(&samples)?,
                Ok(Some(Ok(VoiceIn::Start(_)))) => return Err(not_first()),
                Ok(Some(Err(e))) => return Err(e),
                // Stopped, stopped sending, or gone: finish what was heard.
                Ok(Some(Ok(VoiceIn::Stop))) | Ok(None) | Err(_) => ear.finish(),
            };
            for cut in cuts {
                match cut {
                    Cut::SpeechStart(at) => {
                        let _ = tx.send(VoiceOut::SpeechStart { at_ms: ms(at) }).await;
                    }
                    Cut::Phrase { start, end } => {
                        let samples = ear.samples(start, end);
                        let _ = jobs.send(PhraseJob {
                            start,
                            end,
                            samples,
                        });
                    }
                    Cut::End { speech_end: end } => speech_end = Some(end),
                }
            }
        }
        let speech_end = speech_end.unwrap_or(ear.phrases.frames());
        ear.report();
        drop(jobs);
        let texts = (&mut worker.0)
            .await
            .map_err(|e| Error::Internal(format!("transcription task failed: {e}")))??;
        let text = texts.join(" ");
        if text.is_empty() {
            return Err(Error::invalid(
                "audio",
                "no speech was recognised; speak a little louder or closer to the microphone",
            ));
        }
        let _ = tx
            .send(VoiceOut::Utterance {
                text,
                speech_end_ms: ms(speech_end),
                after_speech_ms: ear.arrival_of(speech_end).elapsed().as_millis() as u64,
                complete: ear.complete,
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
            .clamp(
                *crate::config::END_SILENCE_MS.start(),
                *crate::config::END_SILENCE_MS.end(),
            );
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

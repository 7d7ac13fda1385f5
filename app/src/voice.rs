//! Talking hands-free, the browser's half: the microphone streamed to
//! `/stt/stream` as 16 kHz PCM while the learner speaks, and the tutor's
//! reply cut into sentences to be spoken as they complete.
//!
//! [`to_pcm16`] and [`Sentences`] are plain Rust (tested natively); the
//! microphone and the websocket are behind the `hydrate` feature.

use crate::recorder::RATE;

/// Samples per buffer the microphone hands over: 128 ms at 16 kHz, so the
/// server hears the end of speech at most that late.
pub const BUFFER: u32 = 2048;

/// `samples` at `rate` as 16-bit PCM at 16 kHz (linear interpolation when
/// the browser would not record at 16 kHz itself).
pub fn to_pcm16(samples: &[f32], rate: u32) -> Vec<i16> {
    let q = |s: f32| (s.clamp(-1.0, 1.0) * i16::MAX as f32).round() as i16;
    if rate == RATE || rate == 0 {
        return samples.iter().map(|&s| q(s)).collect();
    }
    let step = rate as f64 / RATE as f64;
    let n = (samples.len() as f64 / step).floor() as usize;
    (0..n)
        .map(|i| {
            let at = i as f64 * step;
            let (j, frac) = (at as usize, (at.fract()) as f32);
            let a = samples[j];
            let b = samples.get(j + 1).copied().unwrap_or(a);
            q(a + (b - a) * frac)
        })
        .collect()
}

/// A clause at least this long (bytes) is spoken at its comma, so a long
/// first sentence does not hold back the tutor's first word.
const LONG_CLAUSE: usize = 40;

/// The complete sentences of a reply that is still streaming in, each
/// handed out once (a long one at a comma, semicolon or colon).
#[derive(Debug, Default, Clone)]
pub struct Sentences {
    /// Bytes of the reply already handed out.
    taken: usize,
}

impl Sentences {
    /// The sentences of `text` (the reply so far) completed since the last call.
    pub fn complete(&mut self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let rest = text.get(self.taken..).unwrap_or_default();
        let mut start = 0;
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let spaced = chars.peek().is_some_and(|(_, n)| n.is_whitespace());
            let ends = spaced
                && (matches!(c, '.' | '!' | '?' | '…' | '\n')
                    || (matches!(c, ',' | ';' | ':') && i - start >= LONG_CLAUSE));
            if ends {
                let end = i + c.len_utf8();
                let sentence = rest[start..end].trim();
                if !sentence.is_empty() {
                    out.push(sentence.to_string());
                }
                start = end;
            }
        }
        self.taken += start;
        out
    }

    /// The reply is finished: whatever is left is the last sentence.
    pub fn finish(&mut self, text: &str) -> Option<String> {
        let rest = text
            .get(self.taken..)
            .unwrap_or_default()
            .trim()
            .to_string();
        *self = Sentences::default();
        (!rest.is_empty()).then_some(rest)
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{silence, utterance, Listening};

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use crate::recorder::Recording;
    use babblr::api::{ApiError, VoiceIn, VoiceOut, VoiceStart};
    use futures::channel::mpsc;
    use futures::StreamExt;

    /// A sentence for `speechSynthesis` in `language` (an ISO code), with a
    /// voice for that language when the browser has one; `None` where the
    /// browser cannot speak.
    pub fn utterance(
        text: &str,
        language: &str,
    ) -> Option<(web_sys::SpeechSynthesis, web_sys::SpeechSynthesisUtterance)> {
        use wasm_bindgen::JsCast;
        let synth = web_sys::window()?.speech_synthesis().ok()?;
        let u = web_sys::SpeechSynthesisUtterance::new_with_text(text).ok()?;
        u.set_lang(language);
        let voice = synth
            .get_voices()
            .iter()
            .filter_map(|v| v.dyn_into::<web_sys::SpeechSynthesisVoice>().ok())
            .find(|v| {
                v.lang()
                    .to_lowercase()
                    .starts_with(&language.to_lowercase())
            });
        if let Some(v) = voice {
            u.set_voice(Some(&v));
        }
        Some((synth, u))
    }

    /// Stops whatever the page is saying.
    pub fn silence() {
        if let Some(s) = web_sys::window().and_then(|w| w.speech_synthesis().ok()) {
            s.cancel();
        }
    }

    /// The microphone streaming to the server, and what comes back.
    pub struct Listening {
        /// The server's frames.
        pub frames: futures::stream::BoxStream<'static, Result<VoiceOut, ApiError>>,
        /// `performance.now()` of the stream's first sample: the server's
        /// `*_ms` positions are measured from it.
        pub started_at: std::rc::Rc<std::cell::Cell<Option<f64>>>,
        audio: mpsc::UnboundedSender<Result<VoiceIn, ApiError>>,
        _recording: Recording,
    }

    impl Listening {
        /// Opens the stream, then the microphone.
        pub async fn open(start: VoiceStart) -> Result<Listening, ApiError> {
            let (audio, input) = mpsc::unbounded();
            let _ = audio.unbounded_send(Ok(VoiceIn::Start(start)));
            let frames = crate::api::speech::voice_stream(input.into()).await?;
            let frames = std::pin::Pin::<Box<dyn futures::Stream<Item = _> + Send>>::from(frames);
            let started_at = std::rc::Rc::new(std::cell::Cell::new(None));
            let (sink, first) = (audio.clone(), started_at.clone());
            let recording = Recording::open(BUFFER, move |data, rate| {
                if first.get().is_none() {
                    let seconds = data.len() as f64 / rate.max(1) as f64;
                    first.set(Some(crate::perf::now() - seconds * 1000.0));
                }
                let _ = sink.unbounded_send(Ok(VoiceIn::Audio(to_pcm16(data, rate))));
            })
            .await?;
            Ok(Listening {
                frames: frames.boxed(),
                started_at,
                audio,
                _recording: recording,
            })
        }

        /// The moment (`performance.now()`) `ms` into the stream.
        pub fn at(&self, ms: u64) -> f64 {
            self.started_at.get().unwrap_or_else(crate::perf::now) + ms as f64
        }

        /// Stops the microphone; the server finishes what it heard.
        pub fn stop(&self) {
            let _ = self.audio.unbounded_send(Ok(VoiceIn::Stop));
        }

        /// The next frame from the server; `None` once it closed the stream.
        pub async fn next(&mut self) -> Option<Result<VoiceOut, ApiError>> {
            self.frames.next().await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcm_is_clamped_and_resampled_to_16k() {
        assert_eq!(
            to_pcm16(&[0.0, 1.0, -2.0, 0.5], 16_000),
            [0, 32767, -32767, 16384]
        );
        // 48 kHz to 16 kHz keeps every third sample's value on a ramp.
        let ramp: Vec<f32> = (0..48).map(|i| i as f32 / 100.0).collect();
        let out = to_pcm16(&ramp, 48_000);
        assert_eq!(out.len(), 16);
        assert_eq!(out[1], (0.03f32 * 32767.0).round() as i16);
        // 44.1 kHz has a fractional step: the length still follows the rate.
        assert_eq!(to_pcm16(&vec![0.0; 44_100], 44_100).len(), 16_000);
    }

    #[test]
    fn sentences_are_handed_out_once_as_they_complete() {
        let mut s = Sentences::default();
        assert!(s.complete("¡Hola! ¿Qué tal").len() == 1);
        assert_eq!(s.complete("¡Hola! ¿Qué tal? Muy"), ["¿Qué tal?"]);
        assert!(s.complete("¡Hola! ¿Qué tal? Muy bien").is_empty());
        // "3.5" is not the end of a sentence: no space follows the point.
        assert!(s
            .complete("¡Hola! ¿Qué tal? Muy bien, 3.5 euros")
            .is_empty());
        assert_eq!(
            s.finish("¡Hola! ¿Qué tal? Muy bien, 3.5 euros."),
            Some("Muy bien, 3.5 euros.".to_string())
        );
        assert_eq!(s.complete("Otra. "), ["Otra."], "finish starts afresh");
        assert_eq!(s.finish("Otra. "), None);
        // A long clause goes at its comma; a short one waits for the point.
        let long = "Claro, en el restaurante de mi barrio siempre pedimos paella, y después";
        assert_eq!(
            s.complete(long),
            ["Claro, en el restaurante de mi barrio siempre pedimos paella,"]
        );
    }
}

//! The microphone: samples gathered in Rust from an `AudioContext` at 16 kHz,
//! a level for the meter, an automatic stop on silence or at 60 s, a WAV
//! made here and uploaded to `POST /stt/transcribe`, timed like every call.
//!
//! [`encode_wav`] and [`StopGate`] are plain Rust (tested natively); the
//! browser parts are behind the `hydrate` feature.

/// The rate asked of the `AudioContext`: what whisper wants, so nothing is
/// resampled twice. The browser may give another; the WAV says which.
pub const RATE: u32 = 16_000;
/// The longest recording.
pub const MAX_SECONDS: f64 = 60.0;
/// Silence after speech that ends a recording.
pub const SILENCE_SECONDS: f64 = 1.5;
/// Level (RMS) above which a buffer counts as speech.
const SPEECH_LEVEL: f32 = 0.02;

/// 16-bit PCM mono WAV bytes.
pub fn encode_wav(samples: &[f32], rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        let v = (s.clamp(-1.0, 1.0) * i16::MAX as f32).round() as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Root mean square of a buffer: the meter's level.
pub fn rms(samples: &[f32]) -> f32 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
}

/// Why a recording stopped by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoStop {
    Silence,
    TimeLimit,
}

/// Decides when to stop: after [`SILENCE_SECONDS`] of quiet once speech was
/// heard, or at [`MAX_SECONDS`].
#[derive(Debug, Default)]
pub struct StopGate {
    total: f64,
    quiet: f64,
    heard_speech: bool,
}

impl StopGate {
    /// Takes one buffer's level and length; says whether to stop now.
    pub fn feed(&mut self, level: f32, seconds: f64) -> Option<AutoStop> {
        self.total += seconds;
        if level >= SPEECH_LEVEL {
            self.heard_speech = true;
            self.quiet = 0.0;
        } else {
            self.quiet += seconds;
        }
        if self.total >= MAX_SECONDS {
            Some(AutoStop::TimeLimit)
        } else if self.heard_speech && self.quiet >= SILENCE_SECONDS {
            Some(AutoStop::Silence)
        } else {
            None
        }
    }
}

#[cfg(feature = "hydrate")]
pub use browser::{record_until, upload, Recording};

/// Records until `stop` fires (or is dropped) or the gate stops it, and
/// returns the clip as WAV. Only in the browser.
#[cfg(not(feature = "hydrate"))]
pub async fn record_until(
    _stop: futures::channel::oneshot::Receiver<()>,
    _on_level: impl Fn(f32) + 'static,
) -> Result<Vec<u8>, babblr::api::ApiError> {
    Err(not_here())
}

/// Uploads a clip for transcription. Only in the browser.
#[cfg(not(feature = "hydrate"))]
pub async fn upload(
    _conversation_id: i64,
    _wav: Vec<u8>,
) -> Result<babblr::api::Transcription, babblr::api::ApiError> {
    Err(not_here())
}

#[cfg(not(feature = "hydrate"))]
fn not_here() -> babblr::api::ApiError {
    babblr::api::ApiError::new(babblr::api::codes::NETWORK, "recording needs a browser")
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::*;
    use babblr::api::{codes, ApiError, Transcription};
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    fn js_err(what: &str, e: JsValue) -> ApiError {
        let detail = e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| e.as_string())
            .unwrap_or_else(|| format!("{e:?}"));
        ApiError::new(codes::NETWORK, format!("{what}: {detail}"))
    }

    /// Why the microphone could not be had, in words a learner can act on.
    fn microphone_refused(e: JsValue) -> ApiError {
        let name = e
            .dyn_ref::<web_sys::DomException>()
            .map(|d| d.name())
            .unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" | "SecurityError" => ApiError::new(
                codes::NETWORK,
                "The microphone is blocked for this site: allow it in the browser (the icon in the address bar), or type your answer.",
            ),
            "NotFoundError" | "OverconstrainedError" => ApiError::new(
                codes::NETWORK,
                "No microphone was found: plug one in, or type your answer.",
            ),
            "NotReadableError" | "AbortError" => ApiError::new(
                codes::NETWORK,
                "The microphone is in use by another program: close it, or type your answer.",
            ),
            _ => js_err("microphone", e),
        }
    }

    /// A recording in progress. Dropping it without [`Recording::stop`] also
    /// releases the microphone.
    pub struct Recording {
        ctx: web_sys::AudioContext,
        stream: web_sys::MediaStream,
        node: web_sys::ScriptProcessorNode,
        samples: Rc<RefCell<Vec<f32>>>,
        rate: u32,
        _on_audio: Closure<dyn FnMut(web_sys::AudioProcessingEvent)>,
    }

    impl Recording {
        /// Asks for the microphone and starts gathering samples. `on_level`
        /// gets each buffer's level; `on_auto_stop` is called once when the
        /// gate says stop.
        pub async fn start(
            on_level: impl Fn(f32) + 'static,
            on_auto_stop: impl Fn(AutoStop) + 'static,
        ) -> Result<Recording, ApiError> {
            let samples = Rc::new(RefCell::new(Vec::<f32>::new()));
            let gate = RefCell::new(StopGate::default());
            let stopped = std::cell::Cell::new(false);
            let sink = samples.clone();
            let mut recording = Recording::open(4096, move |data, rate| {
                let level = rms(data);
                sink.borrow_mut().extend_from_slice(data);
                on_level(level);
                let seconds = data.len() as f64 / rate as f64;
                if let Some(why) = gate.borrow_mut().feed(level, seconds) {
                    if !stopped.replace(true) {
                        on_auto_stop(why);
                    }
                }
            })
            .await?;
            recording.samples = samples;
            Ok(recording)
        }

        /// Asks for the microphone (echo cancellation on, so a tutor heard
        /// through speakers is less likely to be taken for the learner) and
        /// hands each buffer of `buffer` samples to `on_audio` with the rate.
        pub async fn open(
            buffer: u32,
            mut on_audio: impl FnMut(&[f32], u32) + 'static,
        ) -> Result<Recording, ApiError> {
            let window = web_sys::window().ok_or_else(|| js_err("no window", JsValue::NULL))?;
            let devices = window
                .navigator()
                .media_devices()
                .map_err(|e| js_err("no microphone access in this browser", e))?;
            let constraints = web_sys::MediaStreamConstraints::new();
            let audio = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&audio, &"echoCancellation".into(), &JsValue::TRUE);
            let _ = js_sys::Reflect::set(&audio, &"noiseSuppression".into(), &JsValue::TRUE);
            constraints.set_audio(&audio);
            let promise = devices
                .get_user_media_with_constraints(&constraints)
                .map_err(|e| js_err("microphone", e))?;
            let stream: web_sys::MediaStream = JsFuture::from(promise)
                .await
                .map_err(microphone_refused)?
                .unchecked_into();
            let opts = web_sys::AudioContextOptions::new();
            opts.set_sample_rate(RATE as f32);
            let ctx = web_sys::AudioContext::new_with_context_options(&opts)
                .or_else(|_| web_sys::AudioContext::new())
                .map_err(|e| js_err("audio", e))?;
            let rate = ctx.sample_rate() as u32;
            let source = ctx
                .create_media_stream_source(&stream)
                .map_err(|e| js_err("audio source", e))?;
            let node = ctx
                .create_script_processor_with_buffer_size_and_number_of_input_channels_and_number_of_output_channels(buffer, 1, 1)
                .map_err(|e| js_err("audio processor", e))?;
            let on_audio = Closure::<dyn FnMut(web_sys::AudioProcessingEvent)>::new(
                move |ev: web_sys::AudioProcessingEvent| {
                    let Ok(buffer) = ev.input_buffer() else {
                        return;
                    };
                    let Ok(data) = buffer.get_channel_data(0) else {
                        return;
                    };
                    on_audio(&data, rate);
                },
            );
            node.set_onaudioprocess(Some(on_audio.as_ref().unchecked_ref()));
            source
                .connect_with_audio_node(&node)
                .map_err(|e| js_err("audio graph", e))?;
            // A script processor only runs when connected; its output is silence.
            node.connect_with_audio_node(&ctx.destination())
                .map_err(|e| js_err("audio graph", e))?;
            Ok(Recording {
                ctx,
                stream,
                node,
                samples: Rc::new(RefCell::new(Vec::new())),
                rate,
                _on_audio: on_audio,
            })
        }

        /// Stops, releases the microphone, and returns the clip as WAV bytes.
        pub fn stop(self) -> Vec<u8> {
            let samples = self.samples.borrow().clone();
            encode_wav(&samples, self.rate)
        }

        /// Seconds recorded so far.
        pub fn seconds(&self) -> f64 {
            self.samples.borrow().len() as f64 / self.rate as f64
        }
    }

    impl Drop for Recording {
        fn drop(&mut self) {
            self.node.set_onaudioprocess(None);
            let _ = self.node.disconnect();
            for track in self.stream.get_tracks().iter() {
                if let Ok(t) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                    t.stop();
                }
            }
            let _ = self.ctx.close();
        }
    }

    /// Records until `stop` fires (or its sender is dropped) or the gate
    /// stops it, and returns the clip as WAV.
    pub async fn record_until(
        stop: futures::channel::oneshot::Receiver<()>,
        on_level: impl Fn(f32) + 'static,
    ) -> Result<Vec<u8>, ApiError> {
        let (auto_tx, auto_rx) = futures::channel::oneshot::channel::<AutoStop>();
        let auto_tx = RefCell::new(Some(auto_tx));
        let recording = Recording::start(on_level, move |why| {
            if let Some(tx) = auto_tx.borrow_mut().take() {
                let _ = tx.send(why);
            }
        })
        .await?;
        futures::future::select(stop, auto_rx).await;
        Ok(recording.stop())
    }

    /// Uploads a WAV through the `transcribe` server function
    /// (`POST /stt/transcribe`, multipart), timed like every call as
    /// `api.POST./stt/transcribe`.
    pub async fn upload(conversation_id: i64, wav: Vec<u8>) -> Result<Transcription, ApiError> {
        let bytes = js_sys::Uint8Array::from(wav.as_slice());
        let parts = js_sys::Array::of1(&bytes);
        let props = web_sys::BlobPropertyBag::new();
        props.set_type("audio/wav");
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &props)
            .map_err(|e| js_err("recording", e))?;
        let form = web_sys::FormData::new().map_err(|e| js_err("form", e))?;
        form.append_with_str("conversation_id", &conversation_id.to_string())
            .map_err(|e| js_err("form", e))?;
        form.append_with_blob_and_filename("audio", &blob, "recording.wav")
            .map_err(|e| js_err("form", e))?;
        crate::api::speech::transcribe(form.into()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_header_and_samples_are_right() {
        let wav = encode_wav(&[0.0, 1.0, -1.0, 0.5], 16_000);
        assert_eq!(wav.len(), 44 + 8);
        assert_eq!(&wav[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(wav[4..8].try_into().unwrap()), 36 + 8);
        assert_eq!(&wav[8..16], b"WAVEfmt ");
        assert_eq!(u32::from_le_bytes(wav[24..28].try_into().unwrap()), 16_000);
        assert_eq!(u32::from_le_bytes(wav[40..44].try_into().unwrap()), 8);
        let s: Vec<i16> = wav[44..]
            .chunks(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(s, [0, 32767, -32767, 16384]);
    }

    #[test]
    fn recording_stops_after_speech_then_silence_or_at_the_limit() {
        let mut gate = StopGate::default();
        // Quiet before speaking never stops it.
        for _ in 0..20 {
            assert_eq!(gate.feed(0.001, 0.25), None);
        }
        assert_eq!(gate.feed(0.2, 0.25), None);
        assert_eq!(gate.feed(0.0, 0.75), None);
        assert_eq!(gate.feed(0.0, 0.75), Some(AutoStop::Silence));

        let mut gate = StopGate::default();
        let mut t = 0.0;
        let stop = loop {
            t += 0.5;
            if let Some(s) = gate.feed(0.3, 0.5) {
                break s;
            }
        };
        assert_eq!((stop, t), (AutoStop::TimeLimit, MAX_SECONDS));
        assert!((rms(&[0.5, -0.5]) - 0.5).abs() < 1e-6);
    }
}

//! Audio in: any upload a learner's browser or a developer's curl may send,
//! turned into what whisper.cpp reads (16 kHz mono `f32`), or a clear error.
//!
//! WAV (8/16/24/32-bit integer or 32-bit float, any rate, any channel count)
//! is read with `hound`; MP3, FLAC and Ogg/Vorbis with `symphonia`. Other
//! rates are resampled with `rubato`'s FFT resampler, not dropped or repeated
//! samples, so a 44.1 kHz clip and a 16 kHz clip give whisper the same sound.

use super::resample::resample;
use crate::error::{Error, Result};
use std::io::Cursor;

/// The rate whisper.cpp expects.
pub const WHISPER_RATE: u32 = 16_000;

/// Limits on what is accepted.
#[derive(Debug, Clone, Copy)]
pub struct AudioLimits {
    /// Largest upload, in bytes.
    pub max_bytes: usize,
    /// Longest clip, in seconds.
    pub max_seconds: f64,
}

impl Default for AudioLimits {
    fn default() -> Self {
        AudioLimits {
            max_bytes: 25 * 1024 * 1024,
            max_seconds: 120.0,
        }
    }
}

/// A decoded clip, ready for whisper.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// 16 kHz mono samples in -1..1.
    pub samples: Vec<f32>,
    /// Length in seconds.
    pub duration: f64,
    /// The container/codec it came in (`wav`, `mp3`, `flac`, `ogg`).
    pub format: &'static str,
    pub source_rate: u32,
    pub source_channels: u16,
}

/// Formats recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Wav,
    Mp3,
    Flac,
    Ogg,
}

/// What the first bytes say the upload is.
fn sniff(bytes: &[u8]) -> std::result::Result<Format, String> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WAVE" {
        return Ok(Format::Wav);
    }
    if starts(b"fLaC") {
        return Ok(Format::Flac);
    }
    if starts(b"OggS") {
        // Opus in Ogg is what Firefox records; symphonia has no Opus decoder.
        if bytes.windows(8).take(100).any(|w| w == b"OpusHead") {
            return Err(
                "Ogg/Opus audio is not supported; send WAV, MP3, FLAC or Ogg/Vorbis".into(),
            );
        }
        return Ok(Format::Ogg);
    }
    if starts(b"ID3") || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        return Ok(Format::Mp3);
    }
    if starts(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Err(
            "WebM/Matroska audio (what MediaRecorder makes) is not supported; send WAV, MP3, FLAC or Ogg/Vorbis"
                .into(),
        );
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Err("MP4/M4A audio is not supported; send WAV, MP3, FLAC or Ogg/Vorbis".into());
    }
    Err("this is not an audio format Babblr reads; send WAV, MP3, FLAC or Ogg/Vorbis".into())
}

/// Sample rates accepted, in Hz: from telephone audio to studio audio. A
/// header outside this range is a damaged or hostile file, and a rate with no
/// small common factor with 16 kHz would make the FFT resampler huge (a 2 kB
/// upload claiming 4,294,967,291 Hz once asked for 17 GB).
pub const RATES: std::ops::RangeInclusive<u32> = 8_000..=192_000;
/// Channels accepted (7.1 surround is the most any recorder makes).
pub const MAX_CHANNELS: u16 = 8;

/// Decodes an upload to 16 kHz mono, enforcing `limits`. Memory is bounded
/// by the limits: samples are down-mixed as they are read, so at most
/// `max_seconds` × 192 kHz mono samples are ever held.
pub fn decode(bytes: &[u8], limits: AudioLimits) -> Result<Decoded> {
    if bytes.is_empty() {
        return Err(Error::invalid("audio", "the upload is empty (0 bytes)"));
    }
    if bytes.len() > limits.max_bytes {
        return Err(Error::TooLarge(format!(
            "audio is {} bytes; the limit is {} MB",
            bytes.len(),
            limits.max_bytes / (1024 * 1024)
        )));
    }
    let format = sniff(bytes).map_err(Error::UnsupportedMedia)?;
    let Mono {
        channels,
        rate,
        samples: mono,
    } = match format {
        Format::Wav => read_wav(bytes, limits)?,
        _ => read_compressed(bytes, limits)?,
    };
    if mono.is_empty() {
        return Err(Error::invalid("audio", "the file holds no audio samples"));
    }
    let duration = mono.len() as f64 / rate as f64;
    check_length(duration, limits)?;
    let samples = resample(&mono, rate, WHISPER_RATE)?;
    if is_silent(&samples) {
        return Err(Error::invalid(
            "audio",
            "the recording is silent; check the microphone and try again",
        ));
    }
    Ok(Decoded {
        samples,
        duration,
        format: match format {
            Format::Wav => "wav",
            Format::Mp3 => "mp3",
            Format::Flac => "flac",
            Format::Ogg => "ogg",
        },
        source_rate: rate,
        source_channels: channels,
    })
}

/// A clip down-mixed to one channel, at its own rate.
struct Mono {
    channels: u16,
    rate: u32,
    samples: Vec<f32>,
}

/// Checks a rate and channel count against what real audio uses.
fn check_format(rate: u32, channels: u16) -> Result<()> {
    if !RATES.contains(&rate) {
        return Err(Error::invalid(
            "audio",
            format!(
                "a sample rate of {rate} Hz is not supported; send {}-{} Hz audio",
                RATES.start(),
                RATES.end()
            ),
        ));
    }
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(Error::invalid(
            "audio",
            format!("{channels} channels is not supported; send 1 to {MAX_CHANNELS} channels"),
        ));
    }
    Ok(())
}

fn check_length(seconds: f64, limits: AudioLimits) -> Result<()> {
    if seconds > limits.max_seconds {
        return Err(Error::invalid(
            "audio",
            format!(
                "the clip is {seconds:.1} s long; the limit is {:.0} s",
                limits.max_seconds
            ),
        ));
    }
    Ok(())
}

/// Sums interleaved samples into mono frames as they arrive.
struct Downmix {
    channels: usize,
    sum: f32,
    seen: usize,
    out: Vec<f32>,
}

impl Downmix {
    fn new(channels: u16) -> Self {
        Downmix {
            channels: channels.max(1) as usize,
            sum: 0.0,
            seen: 0,
            out: Vec::new(),
        }
    }

    fn push(&mut self, sample: f32) {
        self.sum += sample;
        self.seen += 1;
        if self.seen == self.channels {
            self.out.push(self.sum / self.channels as f32);
            self.sum = 0.0;
            self.seen = 0;
        }
    }
}

/// WAV of 8/16/24/32-bit integers or 32-bit floats. The header's rate,
/// channels, depth and declared length are checked before any sample is read.
fn read_wav(bytes: &[u8], limits: AudioLimits) -> Result<Mono> {
    let damaged = |e: hound::Error| {
        Error::invalid(
            "audio",
            format!("the WAV file is damaged or truncated ({e})"),
        )
    };
    let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(damaged)?;
    let spec = reader.spec();
    check_format(spec.sample_rate, spec.channels)?;
    let depth_ok = match spec.sample_format {
        hound::SampleFormat::Float => spec.bits_per_sample == 32,
        hound::SampleFormat::Int => matches!(spec.bits_per_sample, 8 | 16 | 24 | 32),
    };
    if !depth_ok {
        return Err(Error::invalid(
            "audio",
            format!(
                "{}-bit WAV samples are not supported; send 8, 16, 24 or 32-bit integer or 32-bit float",
                spec.bits_per_sample
            ),
        ));
    }
    check_length(reader.duration() as f64 / spec.sample_rate as f64, limits)?;
    let mut mono = Downmix::new(spec.channels);
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for s in reader.into_samples::<f32>() {
                mono.push(s.map_err(damaged)?);
            }
        }
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            for s in reader.into_samples::<i32>() {
                mono.push(s.map_err(damaged)? as f32 * scale);
            }
        }
    }
    Ok(Mono {
        channels: spec.channels,
        rate: spec.sample_rate,
        samples: mono.out,
    })
}

/// MP3, FLAC and Ogg/Vorbis through symphonia. Every decoded packet's rate
/// and channels are checked, and the clip's length after each packet.
fn read_compressed(bytes: &[u8], limits: AudioLimits) -> Result<Mono> {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::errors::Error as SymError;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let damaged = |e: SymError| {
        Error::invalid(
            "audio",
            format!("the audio file is damaged or truncated ({e})"),
        )
    };
    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let probed = symphonia::default::get_probe()
        .format(
            &Hint::new(),
            source,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymError::Unsupported(what) => {
                Error::UnsupportedMedia(format!("unsupported audio ({what})"))
            }
            e => damaged(e),
        })?;
    let mut format = probed.format;
    let track = format
        .default_track()
        .ok_or_else(|| Error::invalid("audio", "the file has no audio track"))?;
    let track_id = track.id;
    if let (Some(rate), Some(channels)) =
        (track.codec_params.sample_rate, track.codec_params.channels)
    {
        check_format(rate, channels.count() as u16)?;
    }
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| Error::UnsupportedMedia(format!("unsupported audio codec ({e})")))?;
    let mut layout: Option<(u32, u16)> = None;
    let mut mono = Downmix::new(1);
    let mut buf: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymError::ResetRequired) => break,
            Err(e) => return Err(damaged(e)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            // A damaged frame in the middle is skipped, as players do.
            Err(SymError::DecodeError(_)) => continue,
            Err(e) => return Err(damaged(e)),
        };
        let spec = *decoded.spec();
        let here = (spec.rate, spec.channels.count() as u16);
        match layout {
            None => {
                check_format(here.0, here.1)?;
                layout = Some(here);
                mono = Downmix::new(here.1);
            }
            Some(first) if first != here => {
                return Err(Error::invalid(
                    "audio",
                    "the sample rate or channel count changes inside the file",
                ))
            }
            Some(_) => {}
        }
        let need = decoded.capacity() as u64;
        if buf
            .as_ref()
            .is_none_or(|b| (b.capacity() as u64) < need * here.1 as u64)
        {
            buf = Some(SampleBuffer::<f32>::new(need, spec));
        }
        let b = buf.as_mut().expect("just made");
        b.copy_interleaved_ref(decoded);
        for s in b.samples() {
            mono.push(*s);
        }
        check_length(mono.out.len() as f64 / here.0 as f64, limits)?;
    }
    let (rate, channels) = layout.unwrap_or((WHISPER_RATE, 1));
    Ok(Mono {
        channels,
        rate,
        samples: mono.out,
    })
}

/// True when nothing in the clip rises above about -60 dBFS.
fn is_silent(samples: &[f32]) -> bool {
    samples.iter().all(|s| s.abs() < 1e-3)
}

/// 16-bit mono WAV bytes, for warm-up and tests.
pub fn wav_bytes(samples: &[f32], rate: u32) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut cursor, spec).expect("in-memory WAV");
        for s in samples {
            w.write_sample((s.clamp(-1.0, 1.0) * i16::MAX as f32) as i16)
                .expect("in-memory WAV");
        }
        w.finalize().expect("in-memory WAV");
    }
    cursor.into_inner()
}

#[cfg(test)]
#[path = "audio_tests.rs"]
mod tests;

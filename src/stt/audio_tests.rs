//! Decoding tests: every WAV layout to the same 16 kHz mono, bad uploads,
//! hostile headers.

use super::*;

fn tone(rate: u32, seconds: f32, hz: f32) -> Vec<f32> {
    (0..(rate as f32 * seconds) as usize)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin())
        .collect()
}

fn wav(spec: hound::WavSpec, frames: &[f32]) -> Vec<u8> {
    let mut cursor = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut cursor, spec).unwrap();
    for s in frames {
        for _ in 0..spec.channels {
            match (spec.sample_format, spec.bits_per_sample) {
                (hound::SampleFormat::Float, _) => w.write_sample(*s).unwrap(),
                (_, 8) => w.write_sample((s * 127.0) as i8).unwrap(),
                (_, 16) => w.write_sample((s * 32767.0) as i16).unwrap(),
                (_, bits) => w
                    .write_sample((s * ((1i64 << (bits - 1)) - 1) as f32) as i32)
                    .unwrap(),
            }
        }
    }
    w.finalize().unwrap();
    cursor.into_inner()
}

#[test]
fn every_wav_depth_rate_and_layout_decodes_to_the_same_16k_mono() {
    let cases = [
        (8_000, 1, 16, hound::SampleFormat::Int),
        (16_000, 1, 8, hound::SampleFormat::Int),
        (22_050, 2, 24, hound::SampleFormat::Int),
        (44_100, 2, 32, hound::SampleFormat::Int),
        (48_000, 1, 32, hound::SampleFormat::Float),
    ];
    for (rate, channels, bits, fmt) in cases {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: fmt,
        };
        let d = decode(&wav(spec, &tone(rate, 1.0, 440.0)), AudioLimits::default())
            .unwrap_or_else(|e| panic!("{rate} Hz {channels} ch {bits} bit: {e}"));
        assert_eq!(d.samples.len(), 16_000, "{rate} Hz: one second out");
        assert!((d.duration - 1.0).abs() < 1e-3);
        // A 440 Hz tone stays a 440 Hz tone at amplitude ~0.5, in step
        // with the original (correlation near 1, no drift or shift).
        let reference = tone(16_000, 1.0, 440.0);
        let (a, b) = (&d.samples[800..15_200], &reference[800..15_200]);
        let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
        let corr = dot(a, b) / (dot(a, a).sqrt() * dot(b, b).sqrt());
        assert!(corr > 0.99, "{rate} Hz {bits} bit: correlation {corr}");
        let level = (dot(a, a) / a.len() as f32).sqrt();
        assert!(
            (level - 0.5 / 2f32.sqrt()).abs() < 0.02,
            "{rate} Hz: RMS {level}"
        );
    }
}

/// A WAV header saying anything at all, followed by `data` bytes.
fn raw_wav(rate: u32, channels: u16, bits: u16, declared: u32, data: &[u8]) -> Vec<u8> {
    let block = channels.wrapping_mul(bits / 8);
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + declared).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&channels.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&rate.wrapping_mul(block as u32).to_le_bytes());
    v.extend_from_slice(&block.to_le_bytes());
    v.extend_from_slice(&bits.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&declared.to_le_bytes());
    v.extend_from_slice(data);
    v
}

#[test]
fn hostile_headers_are_refused_before_any_work() {
    // Regression: a 2 kB upload claiming 4,294,967,291 Hz made the
    // resampler ask for 17 GB and aborted the process.
    let noise: Vec<u8> = (0..2000u32).map(|i| (i * 37 % 251) as u8).collect();
    let limits = AudioLimits::default();
    let cases = [
        (4_294_967_291, 1, 16, 2000, "sample rate"),
        (20_000_003, 1, 16, 2000, "sample rate"),
        (7, 1, 16, 2000, "sample rate"),
        (16_000, 65_535, 16, 2000, "channels"),
        (16_000, 1, 12, 2000, "bit"),
        // A declared length of 4 GB in a 2 kB file.
        (16_000, 1, 16, u32::MAX - 64, "limit is"),
    ];
    for (rate, channels, bits, declared, says) in cases {
        let started = std::time::Instant::now();
        let e = decode(&raw_wav(rate, channels, bits, declared, &noise), limits)
            .unwrap_err()
            .to_api();
        assert_eq!(e.error, "validation_error", "{rate} Hz: {}", e.message);
        // hound refuses some of these itself ("damaged"); either way, a 422.
        assert!(
            e.message.contains(says) || e.message.contains("damaged"),
            "{rate} Hz: {}",
            e.message
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{rate} Hz took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn an_odd_rate_inside_the_range_still_decodes() {
    // 191,999 Hz shares no factor with 16 kHz: the largest FFT allowed.
    let rate = 191_999;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let d = decode(&wav(spec, &tone(rate, 1.0, 440.0)), AudioLimits::default()).unwrap();
    assert!(
        (d.samples.len() as i64 - 16_000).abs() <= 1,
        "{}",
        d.samples.len()
    );
}

#[test]
fn bad_uploads_get_clear_errors() {
    let limits = AudioLimits::default();
    let code = |bytes: &[u8]| decode(bytes, limits).unwrap_err().to_api().error;
    assert_eq!(code(b""), "validation_error");
    assert_eq!(
        code(b"hello, this is not audio at all"),
        "unsupported_media_type"
    );
    assert_eq!(
        code(&[0x1A, 0x45, 0xDF, 0xA3, 0, 0, 0, 0]),
        "unsupported_media_type"
    );
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let good = wav(spec, &tone(16_000, 1.0, 300.0));
    assert_eq!(
        code(&good[..good.len() / 2 + 1]),
        "validation_error",
        "truncated"
    );
    assert_eq!(code(&good[..20]), "validation_error", "header cut short");
    assert_eq!(
        code(&wav(spec, &vec![0.0; 16_000])),
        "validation_error",
        "silence"
    );
    let short = AudioLimits {
        max_bytes: 1000,
        max_seconds: 120.0,
    };
    assert_eq!(
        decode(&good, short).unwrap_err().to_api().error,
        "payload_too_large"
    );
    let brief = AudioLimits {
        max_bytes: 1 << 20,
        max_seconds: 0.5,
    };
    let e = decode(&good, brief).unwrap_err().to_api();
    assert!(
        e.message.contains("limit is 0 s") || e.message.contains("limit is 1 s"),
        "{}",
        e.message
    );
}

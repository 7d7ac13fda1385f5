//! Sample-rate conversion for whisper, with rubato's FFT resampler: a
//! 44.1 kHz clip and a 16 kHz clip give whisper the same sound, with the
//! resampler's delay taken out and the length exact.

use crate::error::{Error, Result};
use rubato::{FftFixedInOut, Resampler};

/// Resamples mono audio from `from` Hz to `to` Hz (band-limited, FFT based).
pub fn resample(mono: &[f32], from: u32, to: u32) -> Result<Vec<f32>> {
    if from == to {
        return Ok(mono.to_vec());
    }
    let failed = |e: &dyn std::fmt::Display| Error::Internal(format!("resampling failed: {e}"));
    let mut resampler =
        FftFixedInOut::<f32>::new(from as usize, to as usize, 1024, 1).map_err(|e| failed(&e))?;
    let expected = (mono.len() as u64 * to as u64 / from as u64) as usize;
    let delay = resampler.output_delay();
    let mut out = Vec::with_capacity(expected + delay + 2048);
    let mut pos = 0;
    loop {
        let need = resampler.input_frames_next();
        if pos + need > mono.len() {
            break;
        }
        let chunk = resampler
            .process(&[&mono[pos..pos + need]], None)
            .map_err(|e| failed(&e))?;
        out.extend_from_slice(&chunk[0]);
        pos += need;
    }
    // The tail, then zeros until the resampler's delay has come out too.
    // (An empty tail is passed as none: rubato refuses an empty buffer, which
    // failed every clip whose length was a whole number of chunks.)
    let rest = &mono[pos..];
    let tail = if rest.is_empty() {
        resampler.process_partial::<&[f32]>(None, None)
    } else {
        resampler.process_partial(Some(&[rest]), None)
    }
    .map_err(|e| failed(&e))?;
    out.extend_from_slice(&tail[0]);
    while out.len() < expected + delay {
        let flushed = resampler
            .process_partial::<&[f32]>(None, None)
            .map_err(|e| failed(&e))?;
        if flushed[0].is_empty() {
            break;
        }
        out.extend_from_slice(&flushed[0]);
    }
    let end = (delay + expected).min(out.len());
    Ok(out[delay.min(end)..end].to_vec())
}

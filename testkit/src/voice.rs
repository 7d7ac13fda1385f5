//! A client for the voice stream (`GET /stt/stream`, a websocket) for tests
//! and benches. It speaks server_fn's websocket framing: every frame is a
//! result tag (0 = ok) and then the payload, [`VoiceInEncoding`] bytes going
//! in and JSON coming out.

use babblr::api::{VoiceIn, VoiceInEncoding, VoiceOut, VoiceStart};
use futures::{SinkExt, StreamExt};
use server_fn::Encodes;
use std::time::{Duration, Instant};
pub use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

/// What came back from one streamed utterance.
#[derive(Debug)]
pub struct Heard {
    /// Every frame, with when it arrived (from the first audio sent).
    pub frames: Vec<(Duration, VoiceOut)>,
}

impl Heard {
    /// The phrases' texts and their spans in ms.
    pub fn phrases(&self) -> Vec<(String, u64, u64)> {
        self.frames
            .iter()
            .filter_map(|(_, f)| match f {
                VoiceOut::Phrase {
                    text,
                    start_ms,
                    end_ms,
                    ..
                } => Some((text.clone(), *start_ms, *end_ms)),
                _ => None,
            })
            .collect()
    }

    /// The utterance frame and when it arrived.
    pub fn utterance(&self) -> Option<(Duration, &VoiceOut)> {
        self.frames
            .iter()
            .find(|(_, f)| matches!(f, VoiceOut::Utterance { .. }))
            .map(|(t, f)| (*t, f))
    }

    /// The error frame, if the stream failed: `(code, message)`.
    pub fn error(&self) -> Option<(String, String)> {
        self.frames.iter().find_map(|(_, f)| match f {
            VoiceOut::Error { error, message } => {
                Some((error.as_str().to_string(), message.clone()))
            }
            _ => None,
        })
    }
}

/// The websocket of `/stt/stream` at `base` (`http://127.0.0.1:PORT`), with
/// extra request headers (a session cookie, an `Origin`).
pub async fn connect(
    base: &str,
    headers: &[(&str, &str)],
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    tokio_tungstenite::tungstenite::Error,
> {
    let url = format!("{}/stt/stream", base.replacen("http", "ws", 1));
    let mut req = url.into_client_request()?;
    for (k, v) in headers {
        req.headers_mut().insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    Ok(tokio_tungstenite::connect_async(req).await?.0)
}

/// One frame as the browser sends it.
pub fn frame(f: &VoiceIn) -> Message {
    let body = VoiceInEncoding::encode(f).expect("encodes");
    let mut out = Vec::with_capacity(body.len() + 1);
    out.push(0);
    out.extend_from_slice(&body);
    Message::Binary(out.into())
}

/// Decodes a server frame (`None` for pings, closes and the like).
pub fn decode(m: &Message) -> Option<VoiceOut> {
    let data = match m {
        Message::Binary(b) => b.to_vec(),
        Message::Text(t) => t.as_bytes().to_vec(),
        _ => return None,
    };
    let (tag, json) = data.split_first()?;
    assert_eq!(
        *tag,
        0,
        "server_fn error frame: {}",
        String::from_utf8_lossy(json)
    );
    Some(serde_json::from_slice(json).expect("a VoiceOut frame"))
}

/// Streams `samples` (16 kHz mono) in `chunk_ms` pieces after `start`,
/// pacing them at real time when `real_time`, then `Stop`; collects every
/// frame until the server closes the stream.
pub async fn speak(
    base: &str,
    headers: &[(&str, &str)],
    start: VoiceStart,
    samples: &[i16],
    chunk_ms: u32,
    real_time: bool,
) -> Heard {
    let ws = connect(base, headers).await.expect("websocket opens");
    let (mut tx, mut rx) = ws.split();
    let t0 = Instant::now();
    let reader = tokio::spawn(async move {
        let mut frames = Vec::new();
        while let Some(Ok(m)) = rx.next().await {
            if let Some(f) = decode(&m) {
                frames.push((t0.elapsed(), f));
            }
        }
        frames
    });
    tx.send(frame(&VoiceIn::Start(start))).await.unwrap();
    let per_chunk = (16 * chunk_ms) as usize;
    for (i, chunk) in samples.chunks(per_chunk).enumerate() {
        if real_time {
            let due = Duration::from_millis(chunk_ms as u64 * (i as u64 + 1));
            tokio::time::sleep(due.saturating_sub(t0.elapsed())).await;
        }
        if tx
            .send(frame(&VoiceIn::Audio(chunk.to_vec())))
            .await
            .is_err()
        {
            break;
        }
    }
    let _ = tx.send(frame(&VoiceIn::Stop)).await;
    let frames = tokio::time::timeout(Duration::from_secs(120), reader)
        .await
        .expect("the stream ends")
        .unwrap();
    Heard { frames }
}

/// `samples` without the near-silence espeak-ng puts before and after
/// speech, so a test's pauses are the pauses it says.
pub fn trimmed(samples: Vec<i16>) -> Vec<i16> {
    let loud = |s: &i16| s.unsigned_abs() > 64;
    let start = samples.iter().position(loud).unwrap_or(0);
    let end = samples.iter().rposition(loud).map_or(start, |e| e + 1);
    samples[start..end].to_vec()
}

/// 16-bit samples of a 16 kHz mono WAV.
pub fn pcm(wav: &[u8]) -> Vec<i16> {
    let reader = hound::WavReader::new(std::io::Cursor::new(wav)).expect("a WAV");
    let spec = reader.spec();
    assert_eq!(
        (spec.sample_rate, spec.channels),
        (16_000, 1),
        "16 kHz mono"
    );
    reader.into_samples::<i16>().map(|s| s.unwrap()).collect()
}

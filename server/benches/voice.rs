//! A spoken turn at conversational speed, printed as numbers (real Silero
//! VAD, real whisper.cpp base model, real built-in tutor):
//! - a ~6 s Spanish utterance (three phrases, short pauses) streamed to
//!   `/stt/stream` at real time in 128 ms chunks, as the browser sends it:
//!   end of speech → whole transcript (goal ≤ 1.0 s), against today's
//!   full-clip path (whisper on the whole clip after the learner stops);
//! - the same words? streamed transcript against the full clip's;
//! - with the built-in tutor (`BABBLR_BENCH_GGUF`, default the test
//!   SmolLM2): end of speech → the reply's first sentence (or long clause)
//!   complete, which the browser hands to speechSynthesis at once (goal
//!   ≤ 2.5 s), on a fresh conversation each run.
//!
//! `cargo bench -p server --bench voice`

use testkit as common;

use babblr::api::{VoiceOut, VoiceStart};
use common::json_http::post_json;
use common::voice::{pcm, speak, trimmed};
use common::words;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const RUNS: usize = 3;
const CHUNK_MS: u32 = 128;
const PHRASES: [&str; 3] = [
    "Buenos días, quiero una mesa.",
    "Somos cuatro personas.",
    "¿Tiene una mesa cerca de la ventana?",
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The phrases with 400 ms pauses, then 1.5 s of quiet.
fn utterance() -> Vec<i16> {
    let mut out = vec![0i16; 16 * 200];
    for (i, p) in PHRASES.iter().enumerate() {
        out.extend(trimmed(pcm(&common::speech_wav("es", p, 16_000, 1))));
        let quiet = if i + 1 == PHRASES.len() { 1_500 } else { 400 };
        out.extend(std::iter::repeat_n(0, 16 * quiet));
    }
    out
}

async fn server(extra: &[(&str, String)]) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut vars: HashMap<String, String> = [
        ("BABBLR_LLM_PROVIDER", "scripted".to_string()),
        (
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("b.db").display()),
        ),
        ("BABBLR_WHISPER_MODEL", common::model_path("ggml-base.bin")),
        ("BABBLR_VAD_MODEL", common::vad_model_path()),
        ("BABBLR_WHISPER_THREADS", "2".to_string()),
        ("LEPTOS_SITE_ROOT", common::site_root()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        vars.insert(k.to_string(), v.clone());
    }
    let (_, base) = common::serve(&vars).await;
    (base, dir)
}

/// When the chunk holding `ms` of audio was sent (paced at real time):
/// the moment a browser would have captured it.
fn sent_at(ms: u64) -> Duration {
    let chunk = (ms / CHUNK_MS as u64) + 1;
    Duration::from_millis(chunk * CHUNK_MS as u64)
}

fn start(conversation_id: Option<i64>) -> VoiceStart {
    VoiceStart {
        sample_rate: 16_000,
        language: Some("es".into()),
        conversation_id,
        end_silence_ms: None,
    }
}

#[tokio::main]
async fn main() {
    common::init_tracing();
    let samples = utterance();
    let seconds = samples.len() as f64 / 16_000.0;
    let (base, _dir) = server(&[]).await;
    // Warm: the models load on the first stream.
    speak(&base, &[], start(None), &samples, CHUNK_MS, false).await;

    let (mut latency, mut server_side, mut last_phrase) = (Vec::new(), Vec::new(), Vec::new());
    let mut streamed = String::new();
    for _ in 0..RUNS {
        let heard = speak(&base, &[], start(None), &samples, CHUNK_MS, true).await;
        let Some((
            arrived,
            VoiceOut::Utterance {
                text,
                speech_end_ms,
                after_speech_ms,
                ..
            },
        )) = heard.utterance()
        else {
            panic!("no utterance: {:?}", heard.frames)
        };
        let end = sent_at(*speech_end_ms);
        latency.push((arrived - end).as_secs_f64() * 1000.0);
        // The whole text is known when the phrase holding the end of speech
        // is heard; the utterance also waits out the end-of-turn silence.
        if let Some((t, _)) = heard
            .frames
            .iter()
            .rev()
            .find(|(_, f)| matches!(f, VoiceOut::Phrase { .. }))
        {
            last_phrase.push(t.saturating_sub(end).as_secs_f64() * 1000.0);
        }
        server_side.push(*after_speech_ms as f64);
        streamed = text.clone();
    }

    // Today's path: the whole clip, transcribed after the learner stops.
    let whisper =
        babblr::stt::Whisper::load(common::model_path("ggml-base.bin").into(), 2).unwrap();
    let floats: Vec<f32> = samples.iter().map(|&s| s as f32 / 32768.0).collect();
    let mut full = Vec::new();
    let mut full_text = String::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        full_text = whisper.transcribe(&floats, Some("es")).unwrap().text;
        full.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (streamed_words, full_words) = (words(&streamed), words(&full_text));
    let agree = full_words
        .iter()
        .filter(|w| streamed_words.contains(w))
        .count();

    println!("voice stream: {seconds:.1} s utterance, 3 phrases, {CHUNK_MS} ms chunks at real time, base model, 2 threads");
    println!(
        "  end of speech -> last phrase heard (whole transcript): p50 {:.0} ms; goal <= 1000 ms",
        median(last_phrase)
    );
    println!(
        "  end of speech -> utterance sent (after 700 ms of quiet): p50 {:.0} ms (server's own count {:.0} ms)",
        median(latency.clone()),
        median(server_side)
    );
    println!(
        "  full clip after the learner stops:  p50 {:.0} ms (whisper on {seconds:.1} s)",
        median(full)
    );
    println!("  streamed:  {streamed}");
    println!("  full clip: {full_text}");
    println!(
        "  words agreeing: {agree} of {} ({:.0} %), identical: {}",
        full_words.len(),
        100.0 * agree as f64 / full_words.len().max(1) as f64,
        streamed_words == full_words
    );

    // With the built-in tutor: end of speech -> first complete sentence.
    let gguf = std::env::var("BABBLR_BENCH_GGUF").unwrap_or_else(|_| common::gguf_path());
    let (base, _dir2) = server(&[
        ("BABBLR_LLM_PROVIDER", "embedded".into()),
        ("BABBLR_LLM_BUILTIN_MODEL", gguf.clone()),
        ("BABBLR_LLM_THREADS", "2".into()),
    ])
    .await;
    let http = reqwest::Client::new();
    // A conversation with the tutor's opening, as a learner finds it.
    let fresh = || async {
        let c = post_json(
            &http,
            &format!("{base}/conversations"),
            &serde_json::json!({"language": "spanish", "difficulty_level": "A1", "topic_id": "restaurant"}),
        )
        .await;
        let id = c["id"].as_i64().unwrap();
        post_json(
            &http,
            &format!("{base}/chat/initial-message"),
            &serde_json::json!({"conversation_id": id, "language": "spanish", "difficulty_level": "A1", "topic_id": "restaurant"}),
        )
        .await;
        id
    };
    let id = fresh().await;
    speak(&base, &[], start(Some(id)), &samples, CHUNK_MS, false).await;
    let mut first_sentence = Vec::new();
    for _ in 0..RUNS {
        let id = fresh().await;
        let t0 = Instant::now();
        let heard = speak(&base, &[], start(Some(id)), &samples, CHUNK_MS, true).await;
        let Some((
            _,
            VoiceOut::Utterance {
                text,
                speech_end_ms,
                ..
            },
        )) = heard.utterance()
        else {
            panic!("no utterance: {:?}", heard.frames)
        };
        let end_of_speech = t0 + sent_at(*speech_end_ms);
        let mut res = http
            .post(format!("{base}/chat/stream"))
            .json(&serde_json::json!({"conversation_id": id, "user_message": text}))
            .send()
            .await
            .unwrap();
        let (mut reply, mut pending) = (String::new(), String::new());
        let mut sentences = app::voice::Sentences::default();
        let mut at = None;
        while let Some(chunk) = res.chunk().await.unwrap() {
            pending.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(nl) = pending.find('\n') {
                let line: String = pending.drain(..=nl).collect();
                let Some(json) = line.trim().strip_prefix("data:") else {
                    continue;
                };
                let Ok(ev) = serde_json::from_str::<serde_json::Value>(json.trim()) else {
                    continue;
                };
                if let Some(t) = ev["text"].as_str().filter(|_| ev["event"] == "token") {
                    reply.push_str(t);
                    // What the browser hands to speechSynthesis first.
                    if at.is_none() && !sentences.complete(&reply).is_empty() {
                        at = Some(end_of_speech.elapsed());
                    }
                }
            }
        }
        let at = at.unwrap_or_else(|| end_of_speech.elapsed());
        first_sentence.push(at.as_secs_f64() * 1000.0);
    }
    println!(
        "built-in tutor ({}): end of speech -> first sentence of the reply ready to speak: p50 {:.0} ms; goal <= 2500 ms",
        babblr::download::file_label(&gguf),
        median(first_sentence)
    );
}

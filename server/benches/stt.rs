//! Speech-to-text cost, printed as numbers (real whisper.cpp, real model):
//! - a 5-second clip through `POST /stt/transcribe` (upload, decode,
//!   queue, whisper, JSON) against whisper-rs called directly on the same
//!   model and threads: the ratio is what the server adds (goal < 1.10);
//! - a cold first call (model load + whisper.cpp's first run) against a
//!   warm second one;
//! - whisper with 1 thread against 2 on this machine (the default's reason).
//!
//! `cargo bench -p server --bench stt` (model: `BABBLR_BENCH_MODEL`, default
//! `../shared/models/ggml-base.bin`; speech made with espeak-ng + sox).

use testkit as common;

use babblr::stt::{audio, Whisper};
use std::collections::HashMap;
use std::time::Instant;

const RUNS: usize = 3;
const TEXT: &str = "Buenos días. Me gustaría reservar una mesa para cuatro personas esta noche.";

fn model() -> String {
    std::env::var("BABBLR_BENCH_MODEL").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/models/ggml-base.bin"
        )
        .into()
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn server(threads: usize) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let vars: HashMap<String, String> = [
        ("BABBLR_LLM_PROVIDER", "scripted".to_string()),
        (
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("bench.db").display()),
        ),
        ("BABBLR_WHISPER_MODEL", model()),
        ("BABBLR_WHISPER_THREADS", threads.to_string()),
        ("BABBLR_WHISPER_WARMUP", "0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let (_engine, base) = testkit::serve(&vars).await;
    (base, dir)
}

async fn post(http: &reqwest::Client, base: &str, wav: &[u8]) -> f64 {
    let part = reqwest::multipart::Part::bytes(wav.to_vec()).file_name("clip.wav");
    let started = Instant::now();
    let res = http
        .post(format!("{base}/stt/transcribe?language=es"))
        .multipart(reqwest::multipart::Form::new().part("audio", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let _ = res.bytes().await.unwrap();
    started.elapsed().as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    // About five seconds of Spanish speech, 16 kHz mono.
    let wav = common::speech_wav("es", TEXT, 16_000, 1);
    let samples = audio::decode(&wav, audio::AudioLimits::default())
        .unwrap()
        .samples;
    let seconds = samples.len() as f64 / 16_000.0;
    let http = reqwest::Client::new();
    println!("clip: {seconds:.2} s of Spanish speech; model {}", model());

    for threads in [1, 2] {
        let (base, _dir) = server(threads).await;
        let cold = post(&http, &base, &wav).await;
        let warm = post(&http, &base, &wav).await;
        println!("threads={threads}: cold first call {cold:.0} ms (model load included), warm second {warm:.0} ms");
        if threads == 2 {
            break;
        }
        // Whisper called directly, and through the server, alternately.
        let whisper = Whisper::load(model().into(), threads).unwrap();
        let (mut direct, mut served) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let t = Instant::now();
            let heard = whisper.transcribe(&samples, Some("es")).unwrap();
            direct.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(!heard.text.is_empty());
            served.push(post(&http, &base, &wav).await);
        }
        let (d, s) = (median(direct), median(served));
        println!(
            "threads={threads}: whisper-rs direct {d:.0} ms, POST /stt/transcribe {s:.0} ms, ratio {:.3} (goal < 1.10), real-time factor {:.2}",
            s / d,
            d / 1000.0 / seconds
        );
    }
}

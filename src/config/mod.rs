//! All settings, checked in one place ([`Config::from_lookup`]) whichever
//! way they arrive: command-line flags, environment variables ([`settings`]
//! declares both for clap), or a test's map. README's "Configuration" table
//! lists the same variables with the same defaults.

pub mod auth;
pub mod settings;

pub use auth::AuthConfig;

use crate::domain::{CefrLevel, Language};
use std::net::SocketAddr;
use std::time::Duration;

/// Which LLM backend answers as the tutor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmProviderKind {
    /// Ollama when it answers and has the model, else the built-in model.
    Auto,
    Ollama,
    /// The built-in model (`babblr-llm`, llama.cpp) on a GGUF file.
    Embedded,
    OpenAi,
    Scripted,
}

impl LlmProviderKind {
    pub fn id(self) -> &'static str {
        match self {
            LlmProviderKind::Auto => "auto",
            LlmProviderKind::Ollama => "ollama",
            LlmProviderKind::Embedded => "embedded",
            LlmProviderKind::OpenAi => "openai",
            LlmProviderKind::Scripted => "scripted",
        }
    }
}

/// LLM settings.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    pub provider: LlmProviderKind,
    pub url: String,
    pub model: String,
    pub api_key: Option<String>,
    /// Time allowed to connect to the LLM server.
    pub connect_timeout: Duration,
    /// Time allowed for a whole answer (and for the first token of a stream).
    pub request_timeout: Duration,
    /// How long Ollama keeps the model loaded after a call.
    pub keep_alive: String,
    /// Retries on connection errors only (never after the server answered).
    pub retries: u32,
    /// Load the model in the background at start.
    pub warmup: bool,
    /// CPU threads of the built-in model.
    pub threads: usize,
    /// The built-in model: a catalogue name (`qwen2.5-1.5b`) or a GGUF path.
    pub builtin_model: String,
    /// Where catalogue models live (shared with Whisper models).
    pub model_dir: std::path::PathBuf,
    /// Where `babblr models pull` fetches GGUF models from.
    pub hub_url: String,
}

/// The quiet that may end a spoken utterance, in ms: the server's setting
/// and a stream's own request are both held to it.
pub const END_SILENCE_MS: std::ops::RangeInclusive<u32> = 300..=5_000;

/// Speech-to-text settings.
#[derive(Debug, Clone)]
pub struct SttConfig {
    /// A model name (`base`, `small.en`, `large-v3-turbo`) or a path to a GGML file.
    pub model: String,
    /// Where named models are kept (and `babblr models pull` puts them).
    pub model_dir: std::path::PathBuf,
    /// CPU threads per transcription.
    pub threads: usize,
    /// Transcriptions running at once.
    pub max_concurrent: usize,
    /// Transcriptions allowed to wait for a slot; past that, 503 `stt_busy`.
    pub max_queue: usize,
    /// Load the model and run one second of silence at start.
    pub warmup: bool,
    /// Where `babblr models pull` downloads from.
    pub hub_url: String,
    /// Largest upload, in bytes.
    pub max_upload_bytes: usize,
    /// Longest clip, in seconds (an upload, or a voice stream).
    pub max_seconds: f64,
    /// The voice activity model: `silero-vad` or a path to a GGML file.
    pub vad_model: String,
    /// Quiet after speech that ends a spoken utterance, in ms.
    pub end_silence_ms: u32,
}

/// Half the cores, 1 to 4. Measured on a 2-core machine: an idle one ran
/// the base model 1.3-1.7x faster with 2 threads than 1, but a busy one 2-3x
/// slower, so whisper leaves half the cores to the LLM and the server.
fn default_whisper_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get() / 2)
        .clamp(1, 4)
}

/// `~/.cache/babblr/models`, or `./models` when there is no home.
fn default_model_dir() -> std::path::PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache")))
        .map(|c| c.join("babblr").join("models"))
        .unwrap_or_else(|| "models".into())
}

/// Whether a yes/no setting says yes (`1`, `true`, `yes`, `on`, any case).
fn is_on(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// Everything the server needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    pub db_max_connections: u32,
    pub llm: LlmConfig,
    /// Correct learner messages at levels up to this one; `None` turns correction off.
    pub correction_max_level: Option<CefrLevel>,
    /// Also show corrections that change only case or punctuation.
    pub correct_case_and_punctuation: bool,
    /// The learner's own language, for translations of the tutor's messages.
    pub native_language: Language,
    /// How many earlier messages the tutor sees.
    pub history_window: usize,
    /// How many requests the in-memory perf record keeps.
    pub perf_buffer: usize,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take to reach its response headers (then 408).
    /// Above the LLM timeout, so the LLM's own 504 comes first.
    pub request_timeout: Duration,
    /// Origins allowed to call the API from another site; empty keeps CORS closed.
    pub cors_origins: Vec<String>,
    /// Host names (beyond loopback names and IP addresses) requests may be
    /// addressed to; others get 421, which stops DNS-rebinding pages.
    pub allowed_hosts: Vec<String>,
    /// Connection limits of the listener.
    pub connections: ConnectionLimits,
    pub site_root: String,
    pub stt: SttConfig,
    /// Accounts (`BABBLR_AUTH`) and who may sign up.
    pub auth: AuthConfig,
}

/// What one client may hold of the listener.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Time allowed to send a request's headers (slowloris clients are cut).
    pub header_read_timeout: Duration,
    /// A connection with no bytes either way for this long is closed (once
    /// no request is in flight on it).
    pub idle_timeout: Duration,
    /// Connections served at once; more wait to be accepted. Also kept under
    /// the process's open-file limit, so `accept` never runs out of files.
    pub max_connections: usize,
}

/// A setting that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`, so tests can pass their own.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let var = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let err = |var: &'static str, message: String| ConfigError { var, message };

        let addr = var("BABBLR_ADDR").unwrap_or_else(|| "127.0.0.1:8000".into());
        let addr: SocketAddr = addr
            .parse()
            .map_err(|e| err("BABBLR_ADDR", format!("'{addr}' is not host:port ({e})")))?;

        let provider = match var("BABBLR_LLM_PROVIDER").as_deref().unwrap_or("auto") {
            "auto" => LlmProviderKind::Auto,
            "ollama" => LlmProviderKind::Ollama,
            "embedded" | "builtin" => LlmProviderKind::Embedded,
            "openai" => LlmProviderKind::OpenAi,
            "scripted" | "demo" => LlmProviderKind::Scripted,
            other => {
                return Err(err(
                    "BABBLR_LLM_PROVIDER",
                    format!("'{other}' is not one of auto, ollama, embedded, openai, scripted"),
                ))
            }
        };
        let default_url = match provider {
            LlmProviderKind::OpenAi => "http://127.0.0.1:8080/v1".to_string(),
            _ => var("OLLAMA_HOST")
                .map(|h| {
                    if h.contains("://") {
                        h
                    } else {
                        format!("http://{h}")
                    }
                })
                .unwrap_or_else(|| "http://127.0.0.1:11434".into()),
        };
        let url = var("BABBLR_LLM_URL").unwrap_or(default_url);
        let model = var("BABBLR_LLM_MODEL").unwrap_or_else(|| match provider {
            LlmProviderKind::Scripted => "scripted-demo".into(),
            _ => "llama3.2:3b".into(),
        });
        let secs = |k: &'static str, default: f64| -> Result<Duration, ConfigError> {
            match var(k) {
                None => Ok(Duration::from_secs_f64(default)),
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0 && s.is_finite())
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| err(k, format!("'{v}' is not a positive number of seconds"))),
            }
        };
        let number = |k: &'static str, default: usize| -> Result<usize, ConfigError> {
            match var(k) {
                None => Ok(default),
                Some(v) => v
                    .parse::<usize>()
                    .map_err(|_| err(k, format!("'{v}' is not a whole number"))),
            }
        };
        let list = |k: &str| -> Vec<String> {
            var(k)
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_ascii_lowercase())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let flag = |k: &str, default: bool| var(k).map_or(default, |v| is_on(&v));

        let model_dir: std::path::PathBuf = var("BABBLR_MODEL_DIR")
            .map(Into::into)
            .unwrap_or_else(default_model_dir);
        let llm = LlmConfig {
            provider,
            url: url.trim_end_matches('/').to_string(),
            model,
            api_key: var("BABBLR_LLM_API_KEY"),
            connect_timeout: secs("BABBLR_LLM_CONNECT_TIMEOUT", 5.0)?,
            request_timeout: secs("BABBLR_LLM_TIMEOUT", 120.0)?,
            keep_alive: var("BABBLR_LLM_KEEP_ALIVE").unwrap_or_else(|| "30m".into()),
            retries: number("BABBLR_LLM_RETRIES", 2)? as u32,
            warmup: flag("BABBLR_LLM_WARMUP", true),
            threads: number("BABBLR_LLM_THREADS", default_whisper_threads())?.max(1),
            builtin_model: var("BABBLR_LLM_BUILTIN_MODEL")
                .unwrap_or_else(|| crate::llm::models::DEFAULT.into()),
            model_dir: model_dir.clone(),
            hub_url: var("BABBLR_LLM_HUB_URL")
                .unwrap_or_else(|| "https://huggingface.co".into())
                .trim_end_matches('/')
                .to_string(),
        };

        let correction_max_level = match var("BABBLR_CORRECTION_MAX_LEVEL") {
            None => Some(CefrLevel::B1),
            Some(v) => CefrLevel::parse_limit(&v).ok_or_else(|| {
                err(
                    "BABBLR_CORRECTION_MAX_LEVEL",
                    format!("'{v}' is not A1..C2 or off"),
                )
            })?,
        };
        let native_language = match var("BABBLR_NATIVE_LANGUAGE") {
            None => Language::English,
            Some(v) => Language::parse(&v).ok_or_else(|| {
                err(
                    "BABBLR_NATIVE_LANGUAGE",
                    format!("'{v}' is not a known language"),
                )
            })?,
        };

        let auth = auth::from_lookup(var, addr)?;
        Ok(Config {
            auth,
            addr,
            database_url: var("DATABASE_URL").unwrap_or_else(|| "sqlite://babblr.db".into()),
            db_max_connections: number("BABBLR_DB_MAX_CONNECTIONS", 8)? as u32,
            llm,
            correction_max_level,
            correct_case_and_punctuation: flag("BABBLR_CORRECT_CASE_AND_PUNCTUATION", true),
            native_language,
            history_window: number("BABBLR_HISTORY_WINDOW", 10)?,
            perf_buffer: number("BABBLR_PERF_BUFFER", 200)?.max(1),
            max_body_bytes: number("BABBLR_MAX_BODY_BYTES", 1024 * 1024)?,
            request_timeout: secs("BABBLR_REQUEST_TIMEOUT", 180.0)?,
            cors_origins: list("BABBLR_CORS_ORIGINS"),
            allowed_hosts: list("BABBLR_ALLOWED_HOSTS"),
            connections: ConnectionLimits {
                header_read_timeout: secs("BABBLR_HEADER_READ_TIMEOUT", 10.0)?,
                idle_timeout: secs("BABBLR_IDLE_TIMEOUT", 60.0)?,
                max_connections: number("BABBLR_MAX_CONNECTIONS", 1024)?.max(1),
            },
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            stt: SttConfig {
                model: var("BABBLR_WHISPER_MODEL").unwrap_or_else(|| "base".into()),
                model_dir,
                threads: number("BABBLR_WHISPER_THREADS", default_whisper_threads())?.max(1),
                max_concurrent: number("BABBLR_STT_MAX_CONCURRENT", 1)?.max(1),
                max_queue: number("BABBLR_STT_MAX_QUEUE", 4)?,
                warmup: flag("BABBLR_WHISPER_WARMUP", true),
                hub_url: var("BABBLR_MODEL_HUB_URL")
                    .unwrap_or_else(|| {
                        "https://huggingface.co/ggerganov/whisper.cpp/resolve/main".into()
                    })
                    .trim_end_matches('/')
                    .to_string(),
                max_upload_bytes: number("BABBLR_STT_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)?,
                max_seconds: 120.0,
                vad_model: var("BABBLR_VAD_MODEL").unwrap_or_else(|| "silero-vad".into()),
                end_silence_ms: number("BABBLR_VOICE_END_SILENCE_MS", 700)?.clamp(
                    *END_SILENCE_MS.start() as usize,
                    *END_SILENCE_MS.end() as usize,
                ) as u32,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_readme() {
        let c = config(&[]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:8000");
        assert_eq!(c.database_url, "sqlite://babblr.db");
        assert_eq!(c.llm.provider, LlmProviderKind::Auto);
        assert_eq!(c.llm.url, "http://127.0.0.1:11434");
        assert_eq!(c.llm.builtin_model, "qwen2.5-1.5b");
        assert_eq!(c.llm.hub_url, "https://huggingface.co");
        assert!(c.correct_case_and_punctuation);
        assert_eq!(c.correction_max_level, Some(CefrLevel::B1));
        assert_eq!(c.history_window, 10);
        assert_eq!(c.perf_buffer, 200);
    }

    #[test]
    fn ollama_host_is_the_fallback_url() {
        let c = config(&[("OLLAMA_HOST", "10.1.2.3:11434")]).unwrap();
        assert_eq!(c.llm.url, "http://10.1.2.3:11434");
        let c = config(&[("OLLAMA_HOST", "x:1"), ("BABBLR_LLM_URL", "http://y:2/")]).unwrap();
        assert_eq!(c.llm.url, "http://y:2");
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = config(&[("BABBLR_LLM_PROVIDER", "gpt")]).unwrap_err();
        assert_eq!(e.var, "BABBLR_LLM_PROVIDER");
        let e = config(&[("BABBLR_CORRECTION_MAX_LEVEL", "Z9")]).unwrap_err();
        assert_eq!(e.var, "BABBLR_CORRECTION_MAX_LEVEL");
        assert_eq!(
            config(&[("BABBLR_CORRECTION_MAX_LEVEL", "0")])
                .unwrap()
                .correction_max_level,
            None
        );
    }
}

//! Every setting as a command-line flag with its environment variable,
//! default and meaning, for `babblr serve --help` (clap). A flag overrides
//! its variable. The values go through [`super::Config::from_lookup`], the
//! one place settings are checked, keyed by variable name, so the same rules
//! apply however a value arrived (flag, environment, or a test's map).

use clap::{ArgMatches, CommandFactory};
use std::collections::HashMap;

/// The server's settings. Unset ones take the default shown.
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "Settings (each also read from the environment variable shown)")]
pub struct Settings {
    /// Address to listen on (loopback unless told otherwise).
    #[arg(long, env = "BABBLR_ADDR", default_value = "127.0.0.1:8000")]
    pub addr: Option<String>,
    /// `sqlite://path` or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://babblr.db")]
    pub database_url: Option<String>,
    /// Database pool size.
    #[arg(long, env = "BABBLR_DB_MAX_CONNECTIONS", default_value = "8")]
    pub db_max_connections: Option<String>,
    /// `auto` (Ollama when it answers and has the model, else the built-in model), `ollama`, `embedded` (the built-in model), `openai` (any OpenAI-compatible server) or `scripted` (demo).
    #[arg(long, env = "BABBLR_LLM_PROVIDER", default_value = "auto")]
    pub llm_provider: Option<String>,
    /// LLM server [default: $OLLAMA_HOST or http://127.0.0.1:11434; http://127.0.0.1:8080/v1 for openai].
    #[arg(long, env = "BABBLR_LLM_URL")]
    pub llm_url: Option<String>,
    /// Ollama's own address setting, used when BABBLR_LLM_URL is unset.
    #[arg(long, env = "OLLAMA_HOST", hide_short_help = true)]
    pub ollama_host: Option<String>,
    /// The LLM server's model (Ollama or OpenAI-compatible).
    #[arg(long, env = "BABBLR_LLM_MODEL", default_value = "llama3.2:3b")]
    pub llm_model: Option<String>,
    /// The built-in model: a name (smollm2-135m, qwen2.5-0.5b, gemma3-1b, llama3.2-1b, qwen2.5-1.5b, llama3.2-3b, qwen2.5-3b) or a path to a GGUF file.
    #[arg(long, env = "BABBLR_LLM_BUILTIN_MODEL", default_value = "qwen2.5-1.5b")]
    pub llm_builtin_model: Option<String>,
    /// Where `babblr models pull` fetches built-in (GGUF) models from.
    #[arg(
        long,
        env = "BABBLR_LLM_HUB_URL",
        default_value = "https://huggingface.co"
    )]
    pub llm_hub_url: Option<String>,
    /// CPU threads of the built-in model [default: half the cores, 1-4].
    #[arg(long, env = "BABBLR_LLM_THREADS")]
    pub llm_threads: Option<String>,
    /// Bearer key for hosted OpenAI-compatible APIs.
    #[arg(long, env = "BABBLR_LLM_API_KEY", hide_env_values = true)]
    pub llm_api_key: Option<String>,
    /// Seconds to connect to the LLM.
    #[arg(long, env = "BABBLR_LLM_CONNECT_TIMEOUT", default_value = "5")]
    pub llm_connect_timeout: Option<String>,
    /// Seconds for a whole answer (and between streamed pieces); then 504.
    #[arg(long, env = "BABBLR_LLM_TIMEOUT", default_value = "120")]
    pub llm_timeout: Option<String>,
    /// Retries on connection errors only, with backoff.
    #[arg(long, env = "BABBLR_LLM_RETRIES", default_value = "2")]
    pub llm_retries: Option<String>,
    /// How long Ollama keeps the model loaded.
    #[arg(long, env = "BABBLR_LLM_KEEP_ALIVE", default_value = "30m")]
    pub llm_keep_alive: Option<String>,
    /// Load the model in the background at start (1/0).
    #[arg(long, env = "BABBLR_LLM_WARMUP", default_value = "1")]
    pub llm_warmup: Option<String>,
    /// Correct messages at levels up to this one; `off` turns correction off.
    #[arg(long, env = "BABBLR_CORRECTION_MAX_LEVEL", default_value = "B1")]
    pub correction_max_level: Option<String>,
    /// Also correct mistakes of case and punctuation alone (1/0).
    #[arg(long, env = "BABBLR_CORRECT_CASE_AND_PUNCTUATION", default_value = "1")]
    pub correct_case_and_punctuation: Option<String>,
    /// The learner's language, for translations and explanations.
    #[arg(long, env = "BABBLR_NATIVE_LANGUAGE", default_value = "english")]
    pub native_language: Option<String>,
    /// Earlier messages the tutor sees.
    #[arg(long, env = "BABBLR_HISTORY_WINDOW", default_value = "10")]
    pub history_window: Option<String>,
    /// Requests kept in the in-memory perf record (/perf).
    #[arg(long, env = "BABBLR_PERF_BUFFER", default_value = "200")]
    pub perf_buffer: Option<String>,
    /// Largest request body in bytes (413 past it).
    #[arg(long, env = "BABBLR_MAX_BODY_BYTES", default_value = "1048576")]
    pub max_body_bytes: Option<String>,
    /// Seconds a request may take to reach its headers (408 past it).
    #[arg(long, env = "BABBLR_REQUEST_TIMEOUT", default_value = "180")]
    pub request_timeout: Option<String>,
    /// Comma-separated origins allowed cross-origin (and to change state); empty keeps CORS closed.
    #[arg(long, env = "BABBLR_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Comma-separated host names served besides loopback names and IP addresses (`*`: any).
    #[arg(long, env = "BABBLR_ALLOWED_HOSTS")]
    pub allowed_hosts: Option<String>,
    /// Seconds a client has to send a request's headers (slow clients are cut).
    #[arg(long, env = "BABBLR_HEADER_READ_TIMEOUT", default_value = "10")]
    pub header_read_timeout: Option<String>,
    /// Seconds a connection may stay silent before it is closed.
    #[arg(long, env = "BABBLR_IDLE_TIMEOUT", default_value = "60")]
    pub idle_timeout: Option<String>,
    /// Connections served at once (kept under the open-file limit); more wait.
    #[arg(long, env = "BABBLR_MAX_CONNECTIONS", default_value = "1024")]
    pub max_connections: Option<String>,
    /// Whisper model: a name (tiny, base, small, medium, large-v3-turbo, large-v3, .en variants) or a path to a GGML file.
    #[arg(long, env = "BABBLR_WHISPER_MODEL", default_value = "base")]
    pub whisper_model: Option<String>,
    /// Where named models live and `babblr models pull` puts them [default: ~/.cache/babblr/models].
    #[arg(long, env = "BABBLR_MODEL_DIR")]
    pub model_dir: Option<String>,
    /// CPU threads per transcription [default: half the cores, 1-4].
    #[arg(long, env = "BABBLR_WHISPER_THREADS")]
    pub whisper_threads: Option<String>,
    /// Load the Whisper model and transcribe 1 s of silence at start (1/0).
    #[arg(long, env = "BABBLR_WHISPER_WARMUP", default_value = "1")]
    pub whisper_warmup: Option<String>,
    /// Transcriptions at once.
    #[arg(long, env = "BABBLR_STT_MAX_CONCURRENT", default_value = "1")]
    pub stt_max_concurrent: Option<String>,
    /// Transcriptions allowed to wait; past that 503 stt_busy.
    #[arg(long, env = "BABBLR_STT_MAX_QUEUE", default_value = "4")]
    pub stt_max_queue: Option<String>,
    /// Largest audio upload in bytes (413 past it); clips are limited to 120 s.
    #[arg(long, env = "BABBLR_STT_MAX_UPLOAD_BYTES", default_value = "26214400")]
    pub stt_max_upload_bytes: Option<String>,
    /// Voice activity model for spoken conversation: silero-vad, or a path to a GGML file.
    #[arg(long, env = "BABBLR_VAD_MODEL", default_value = "silero-vad")]
    pub vad_model: Option<String>,
    /// Quiet after speech, in ms, that ends a spoken message in hands-free mode (300-5000).
    #[arg(long, env = "BABBLR_VOICE_END_SILENCE_MS", default_value = "700")]
    pub voice_end_silence_ms: Option<String>,
    /// Where `babblr models pull` downloads from.
    #[arg(
        long,
        env = "BABBLR_MODEL_HUB_URL",
        default_value = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main"
    )]
    pub model_hub_url: Option<String>,
    /// `on`: accounts, each learner sees only their own data; `off`: one local learner, no sign-in [default: off on a loopback address; must be set on any other].
    #[arg(long, env = "BABBLR_AUTH")]
    pub auth: Option<String>,
    /// With accounts, who may sign up: `invite` (an admin's invitation link) or `open` (anyone). The first account is always allowed and is the admin.
    #[arg(long, env = "BABBLR_SIGNUP", default_value = "invite")]
    pub signup: Option<String>,
    /// Bearer token that may read /metrics without an admin's session (for Prometheus).
    #[arg(long, env = "BABBLR_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Mark the session cookie Secure: set to 1 when learners reach the server over HTTPS.
    #[arg(long, env = "BABBLR_SECURE_COOKIES", default_value = "0")]
    pub secure_cookies: Option<String>,
    /// Comma-separated IP addresses of reverse proxies whose X-Forwarded-For names the real client (for the per-address sign-in limits).
    #[arg(long, env = "BABBLR_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Where the built site (WASM, CSS, static files) is.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: Option<String>,
}

/// A command holding only [`Settings`], for reading them from a list of
/// arguments without the process environment.
#[derive(clap::Parser, Debug)]
#[command(name = "babblr")]
struct SettingsOnly {
    #[command(flatten)]
    settings: Settings,
}

/// The settings that `matches` holds, by environment variable: what a flag,
/// the environment or a default gave each argument of `command`.
pub fn values_by_variable(
    command: &clap::Command,
    matches: &ArgMatches,
) -> HashMap<String, String> {
    command
        .get_arguments()
        .filter_map(|arg| {
            let var = arg.get_env()?.to_str()?.to_string();
            let value = matches.get_one::<String>(arg.get_id().as_str())?;
            Some((var, value.clone()))
        })
        .collect()
}

/// Parses settings from `args` (`["--addr", "…", …]`) and `env` (a map of
/// variables), never the process environment: for tests, and for proving
/// that flags override variables.
pub fn parse_from(
    args: &[&str],
    env: &HashMap<String, String>,
) -> Result<HashMap<String, String>, clap::Error> {
    // Variables become flags placed before the real flags, so that a real
    // flag given later wins, as it does over the environment.
    let command = SettingsOnly::command().mut_args(|a| a.env(None::<&str>));
    let mut argv: Vec<String> = vec!["babblr".into()];
    for arg in SettingsOnly::command().get_arguments() {
        if let (Some(var), Some(long)) = (arg.get_env().and_then(|v| v.to_str()), arg.get_long()) {
            if let Some(value) = env.get(var) {
                argv.push(format!("--{long}={value}"));
            }
        }
    }
    argv.extend(args.iter().map(|s| s.to_string()));
    let matches = command
        .clone()
        .args_override_self(true)
        .try_get_matches_from(argv)?;
    let with_env = SettingsOnly::command();
    Ok(values_by_variable(&with_env, &matches))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn flags_override_variables_and_defaults_match_the_config() {
        let values = parse_from(
            &["--addr", "127.0.0.1:9999", "--llm-provider", "scripted"],
            &env(&[
                ("BABBLR_ADDR", "127.0.0.1:7777"),
                ("BABBLR_HISTORY_WINDOW", "3"),
            ]),
        )
        .unwrap();
        let c = Config::from_lookup(|k| values.get(k).cloned()).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:9999", "the flag wins");
        assert_eq!(c.history_window, 3, "the variable is used");
        assert_eq!(c.llm.model, "llama3.2:3b");
        // Every default clap shows is the one the config applies.
        let shown = parse_from(&[], &HashMap::new()).unwrap();
        let from_help = Config::from_lookup(|k| shown.get(k).cloned()).unwrap();
        let plain = Config::from_lookup(|_| None).unwrap();
        assert_eq!(format!("{from_help:?}"), format!("{plain:?}"));
    }

    #[test]
    fn every_setting_documents_its_variable() {
        let command = SettingsOnly::command();
        let mut vars = Vec::new();
        for arg in command.get_arguments().filter(|a| a.get_id() != "help") {
            let var = arg.get_env().and_then(|v| v.to_str()).unwrap_or_default();
            assert!(!var.is_empty(), "--{:?} has no variable", arg.get_long());
            assert!(arg.get_help().is_some(), "{var} has no help");
            vars.push(var.to_string());
        }
        // The README's table lists each of them.
        let readme = include_str!("../../README.md");
        for var in vars {
            assert!(
                readme.contains(&format!("`{var}`")),
                "{var} missing from README"
            );
        }
    }
}

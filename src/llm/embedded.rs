//! The built-in model: `babblr-llm` (crate `llm-engine`), a second binary
//! that links llama.cpp and answers Ollama's HTTP API on a loopback port.
//! It runs in a process of its own because llama.cpp and whisper.cpp each
//! bring their own ggml, which cannot be linked into one binary. This
//! provider starts it on first use (span `llm.load_model`), talks to it with
//! the same ollama-rs client as a real Ollama, restarts it if it dies, and
//! stops it with the server (the child is killed when dropped).

use super::ollama::OllamaProvider;
use super::{LlmRequest, TokenStream};
use crate::api::LlmHealth;
use crate::config::LlmConfig;
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::Mutex;

/// The name the built-in model answers to on its port.
const SERVED_NAME: &str = "builtin";
/// Time allowed to load a model and open the port.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Starts and supervises `babblr-llm`.
pub struct EmbeddedProvider {
    config: LlmConfig,
    /// The GGUF file (`None`: the setting names no catalogue model).
    model: Option<PathBuf>,
    running: Mutex<Option<Running>>,
}

struct Running {
    child: Child,
    client: Arc<OllamaProvider>,
    scorer: Scorer,
}

/// The route of `babblr-llm`'s that Ollama has no counterpart of
/// (`/babblr/score`): its base URL and one HTTP client for every call.
#[derive(Clone)]
struct Scorer {
    url: String,
    http: reqwest::Client,
}

impl EmbeddedProvider {
    pub fn new(config: &LlmConfig) -> Self {
        EmbeddedProvider {
            config: config.clone(),
            model: super::models::resolve(&config.builtin_model, &config.model_dir).ok(),
            running: Mutex::new(None),
        }
    }

    /// The model's name or file name, for messages (never its folder).
    pub fn shown(&self) -> String {
        super::models::display_name(&self.config.builtin_model)
    }

    /// True when the model file is there to load.
    pub fn is_present(&self) -> bool {
        self.model.as_deref().is_some_and(|m| m.is_file())
    }

    fn unavailable(&self, why: &str) -> Error {
        let setting = &self.config.builtin_model;
        let fix = if super::models::known(setting).is_some() {
            format!("Run `babblr models pull {setting}`")
        } else {
            format!(
                "Set BABBLR_LLM_BUILTIN_MODEL to one of {} (then `babblr models pull NAME`) or to a GGUF instruct model file",
                super::models::KNOWN
                    .iter()
                    .map(|m| m.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Error::LlmUnavailable(format!(
            "The built-in tutor model {} could not start: {why}. {fix}.",
            self.shown()
        ))
    }

    /// The client of a running `babblr-llm`, starting one when none runs
    /// (never two at once: the lock is held while it loads).
    async fn client(&self) -> Result<Arc<OllamaProvider>> {
        Ok(self.running().await?.0)
    }

    /// The running `babblr-llm`'s client and scorer.
    async fn running(&self) -> Result<(Arc<OllamaProvider>, Scorer)> {
        let mut running = self.running.lock().await;
        if let Some(r) = running.as_mut() {
            if matches!(r.child.try_wait(), Ok(None)) {
                return Ok((r.client.clone(), r.scorer.clone()));
            }
            tracing::warn!("the built-in model's process ended; starting it again");
        }
        let started = crate::perf_timed!(INFO, "llm.load_model", self.start()).await?;
        let found = (started.client.clone(), started.scorer.clone());
        *running = Some(started);
        Ok(found)
    }

    async fn start(&self) -> Result<Running> {
        let Some(model) = self.model.as_ref().filter(|m| m.is_file()) else {
            return Err(self.unavailable("its file is not there"));
        };
        let size = std::fs::metadata(model).map(|m| m.len()).unwrap_or(0);
        if let Some(available) = available_memory() {
            match memory_verdict(size, available) {
                Memory::Enough => {}
                Memory::Tight => tracing::warn!(
                    model_mb = size / MB,
                    available_mb = available / MB,
                    "little free memory for the built-in model; it may be slow to load or swap"
                ),
                Memory::TooLittle => {
                    return Err(self.unavailable(&format!(
                        "it needs about {} MB of memory and only {} MB are free; close other programs or choose a smaller model (e.g. qwen2.5-0.5b)",
                        (size + HEADROOM) / MB,
                        available / MB
                    )))
                }
            }
        }
        let bin = engine_binary();
        let mut child = Command::new(&bin)
            .arg("--model")
            .arg(model)
            .args(["--name", SERVED_NAME, "--addr", "127.0.0.1:0"])
            .args(["--threads", &self.config.threads.to_string()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                tracing::error!(bin = %bin.display(), error = %e, "cannot run babblr-llm");
                self.unavailable("the babblr-llm program is missing next to the server")
            })?;
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        // llama.cpp's log goes to our log at debug; its last line explains a failure.
        let last_error = Arc::new(std::sync::Mutex::new(String::new()));
        let keep = last_error.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(target: "babblr::llm::engine", "{line}");
                if line.starts_with("babblr-llm:") {
                    *keep.lock().unwrap_or_else(|p| p.into_inner()) = line;
                }
            }
        });
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(START_TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("listening on ") {
                    return Some(url.trim().to_string());
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        let Some(url) = url else {
            let _ = child.start_kill();
            let _ = child.wait().await;
            let why = last_error.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let why = why
                .strip_prefix("babblr-llm: ")
                .unwrap_or("it did not start in time")
                .replace(&model.display().to_string(), &self.shown());
            return Err(self.unavailable(&why));
        };
        let mut config = self.config.clone();
        config.url = url.clone();
        config.model = SERVED_NAME.into();
        config.retries = 0;
        let client = Arc::new(OllamaProvider::new(&config)?);
        tracing::info!(model = %self.shown(), "built-in tutor model ready");
        let scorer = Scorer {
            url,
            http: super::http_client(&self.config)?,
        };
        Ok(Running {
            child,
            client,
            scorer,
        })
    }

    pub async fn complete(&self, req: LlmRequest) -> Result<String> {
        self.client().await?.complete(req).await
    }

    pub async fn stream(&self, req: LlmRequest) -> Result<TokenStream> {
        self.client().await?.stream(req).await
    }

    /// The log-probability of each of `answers` as the reply to `turns`
    /// (see [`super::Llm::score`]).
    pub async fn score(&self, turns: &[super::Turn], answers: &[String]) -> Result<Vec<f64>> {
        let Scorer { url, http } = self.running().await?.1;
        let messages: Vec<serde_json::Value> =
            turns.iter().map(super::Turn::message_json).collect();
        let body =
            serde_json::json!({"model": SERVED_NAME, "messages": messages, "answers": answers});
        let hint = "The built-in model's process stopped.";
        let res = http
            .post(format!("{url}/babblr/score"))
            .json(&body)
            .timeout(self.config.request_timeout)
            .send()
            .await
            .map_err(|e| super::reqwest_error(&e, &url, hint))?;
        let status = res.status();
        let answer: serde_json::Value = res
            .json()
            .await
            .map_err(|e| super::reqwest_error(&e, &url, hint))?;
        if !status.is_success() {
            return Err(Error::Llm(format!("scoring failed: {}", answer["error"])));
        }
        let scores: Vec<f64> = answer["scores"]
            .as_array()
            .map(|s| s.iter().filter_map(|s| s["logprob"].as_f64()).collect())
            .unwrap_or_default();
        if scores.len() != answers.len() {
            return Err(Error::Llm(format!("scoring answered {answer}")));
        }
        Ok(scores)
    }

    /// Loads the model (the first learner then does not wait for it).
    pub async fn warmup(&self) -> Result<()> {
        self.client().await.map(|_| ())
    }

    pub async fn health(&self) -> LlmHealth {
        // The lock is held while the model loads.
        let loaded = match self.running.try_lock() {
            Err(_) => None,
            Ok(mut r) => Some(
                r.as_mut()
                    .is_some_and(|r| matches!(r.child.try_wait(), Ok(None))),
            ),
        };
        let (status, detail) = match loaded {
            Some(true) => ("ok", format!("built-in model {} is loaded", self.shown())),
            None => ("ok", format!("built-in model {} is loading", self.shown())),
            Some(false) if self.is_present() => (
                "ok",
                format!("built-in model {} (loads on first use)", self.shown()),
            ),
            Some(false) => (
                "unavailable",
                self.unavailable("its file is not there").to_string(),
            ),
        };
        LlmHealth {
            status: status.into(),
            provider: "embedded".into(),
            model: self.shown(),
            url: String::new(),
            demo: false,
            detail,
            why: String::new(),
        }
    }
}

const MB: u64 = 1024 * 1024;
/// Memory a loaded model needs beyond its file: KV cache, batches, runtime.
const HEADROOM: u64 = 512 * MB;

/// Whether a model of `size` bytes fits in `available` bytes of memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Memory {
    Enough,
    /// Fits, but without the headroom: it loads, maybe slowly.
    Tight,
    /// Not even the weights fit: loading would thrash or be killed.
    TooLittle,
}

fn memory_verdict(size: u64, available: u64) -> Memory {
    if available < size {
        Memory::TooLittle
    } else if available < size + HEADROOM {
        Memory::Tight
    } else {
        Memory::Enough
    }
}

/// `MemAvailable` from `/proc/meminfo` (Linux), in bytes; `None` elsewhere.
fn available_memory() -> Option<u64> {
    parse_mem_available(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

fn parse_mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `babblr-llm` next to the running binary (cargo puts both in one folder),
/// or `BABBLR_LLM_ENGINE` when set.
fn engine_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("BABBLR_LLM_ENGINE") {
        return p.into();
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            let dir = exe.parent()?;
            // Test binaries live one folder down, in `deps/`.
            [dir.join("babblr-llm"), dir.parent()?.join("babblr-llm")]
                .into_iter()
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| "babblr-llm".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_that_does_not_fit_in_free_memory_is_refused_before_loading() {
        let gb = 1024 * MB;
        assert_eq!(memory_verdict(gb, 8 * gb), Memory::Enough);
        assert_eq!(memory_verdict(gb, gb + 100 * MB), Memory::Tight);
        assert_eq!(memory_verdict(gb, gb / 2), Memory::TooLittle);
        let meminfo = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   2048 kB\n";
        assert_eq!(parse_mem_available(meminfo), Some(2048 * 1024));
        assert_eq!(parse_mem_available("MemTotal: 1 kB\n"), None);
    }
}

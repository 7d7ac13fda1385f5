//! The tutor's language model, behind one enum: Ollama (through ollama-rs),
//! any OpenAI-compatible server, or the scripted demo tutor. This module
//! knows models and wire protocols; what to ask them is `tutor`'s business.
//! (The stand-in Ollama the tests use lives in the `testkit` crate.)

pub mod embedded;
pub mod models;
pub mod ollama;
pub mod openai;

use crate::api::LlmHealth;
use crate::config::{LlmConfig, LlmProviderKind};
use crate::domain::Language;
use crate::error::{Error, Result};
use futures::Stream;
use std::pin::Pin;

/// Who wrote a turn of the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnRole {
    System,
    User,
    Assistant,
}

impl TurnRole {
    /// The role's name in the chat APIs (`system`, `user`, `assistant`).
    pub fn as_str(self) -> &'static str {
        match self {
            TurnRole::System => "system",
            TurnRole::User => "user",
            TurnRole::Assistant => "assistant",
        }
    }
}

/// One turn of the prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub role: TurnRole,
    pub content: String,
}

impl Turn {
    /// The turn as a chat API message: `{"role", "content"}`.
    pub fn message_json(&self) -> serde_json::Value {
        serde_json::json!({"role": self.role.as_str(), "content": self.content})
    }
    pub fn system(content: impl Into<String>) -> Self {
        Turn {
            role: TurnRole::System,
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Turn {
            role: TurnRole::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Turn {
            role: TurnRole::Assistant,
            content: content.into(),
        }
    }
}

/// What a request is for. Real models read only the prompt; the scripted
/// demo tutor answers from this.
#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    Opening {
        language: Language,
        topic_id: String,
    },
    Reply {
        language: Language,
    },
    Correction {
        language: Language,
        text: String,
    },
    Translation {
        text: String,
    },
    /// Fix likely speech-recognition mistakes in a transcript.
    TranscriptFix {
        text: String,
    },
}

/// A chat request to the model.
#[derive(Debug, Clone)]
pub struct LlmRequest {
    pub turns: Vec<Turn>,
    /// A JSON schema the answer must follow (Ollama `format`, OpenAI `response_format`).
    pub json_schema: Option<serde_json::Value>,
    /// Most tokens the answer may take (Ollama `num_predict`, OpenAI `max_tokens`).
    pub max_tokens: Option<u32>,
    pub purpose: Purpose,
}

/// The reply, piece by piece. Ends after the last piece; an `Err` means the
/// reply was cut short and must not be stored as complete.
pub type TokenStream = Pin<Box<dyn Stream<Item = Result<String>> + Send>>;

/// The configured provider.
pub enum Llm {
    Ollama(ollama::OllamaProvider),
    Embedded(Box<embedded::EmbeddedProvider>),
    OpenAi(openai::OpenAiProvider),
    Scripted(crate::tutor::scripted::ScriptedProvider),
}

impl Llm {
    /// The provider the configuration names and a sentence saying why it
    /// was chosen. For `auto`, Ollama when it answers and has the model,
    /// else the built-in model ("Ollama not found at … — using the built-in
    /// model qwen2.5-1.5b").
    pub async fn choose(config: &LlmConfig) -> Result<(Llm, String)> {
        if config.provider != LlmProviderKind::Auto {
            let why = format!("BABBLR_LLM_PROVIDER is {}", config.provider.id());
            return Ok((Llm::from_config(config)?, why));
        }
        let ollama = ollama::OllamaProvider::new(config)?;
        Ok(match ollama.probe().await {
            Ok(()) => {
                let why = format!("Ollama at {} has the model {}", config.url, config.model);
                (Llm::Ollama(ollama), why)
            }
            Err(reason) => {
                let builtin = embedded::EmbeddedProvider::new(config);
                let why = format!("{reason} — using the built-in model {}", builtin.shown());
                (Llm::Embedded(Box::new(builtin)), why)
            }
        })
    }

    /// Builds the provider the configuration names (`auto` is decided by
    /// [`Llm::choose`]; here it means Ollama).
    pub fn from_config(config: &LlmConfig) -> Result<Llm> {
        Ok(match config.provider {
            LlmProviderKind::Ollama | LlmProviderKind::Auto => {
                Llm::Ollama(ollama::OllamaProvider::new(config)?)
            }
            LlmProviderKind::Embedded => {
                Llm::Embedded(Box::new(embedded::EmbeddedProvider::new(config)))
            }
            LlmProviderKind::OpenAi => Llm::OpenAi(openai::OpenAiProvider::new(config)?),
            LlmProviderKind::Scripted => {
                Llm::Scripted(crate::tutor::scripted::ScriptedProvider::new(config))
            }
        })
    }

    /// The whole answer at once.
    pub async fn complete(&self, req: LlmRequest) -> Result<String> {
        match self {
            Llm::Ollama(p) => p.complete(req).await,
            Llm::Embedded(p) => p.complete(req).await,
            Llm::OpenAi(p) => p.complete(req).await,
            Llm::Scripted(p) => p.complete(req).await,
        }
    }

    /// The answer as it is generated.
    pub async fn stream(&self, req: LlmRequest) -> Result<TokenStream> {
        match self {
            Llm::Ollama(p) => p.stream(req).await,
            Llm::Embedded(p) => p.stream(req).await,
            Llm::OpenAi(p) => p.stream(req).await,
            Llm::Scripted(p) => p.stream(req).await,
        }
    }

    /// How likely the model finds each of `answers` as the reply to
    /// `turns`: log-probabilities (natural log, summed over the answer's
    /// tokens), in order. `None` when the provider cannot tell (Ollama and
    /// OpenAI-compatible servers do not score text they did not write).
    pub async fn score(&self, turns: &[Turn], answers: &[String]) -> Result<Option<Vec<f64>>> {
        match self {
            Llm::Embedded(p) => crate::perf_timed!(INFO, "llm.score", p.score(turns, answers))
                .await
                .map(Some),
            _ => Ok(None),
        }
    }

    /// Loads the model so the first learner does not wait for it.
    pub async fn warmup(&self) -> Result<()> {
        match self {
            Llm::Ollama(p) => p.warmup().await,
            Llm::Embedded(p) => p.warmup().await,
            Llm::OpenAi(p) => p.warmup().await,
            Llm::Scripted(_) => Ok(()),
        }
    }

    /// What `/health` says about the model.
    pub async fn health(&self) -> LlmHealth {
        match self {
            Llm::Ollama(p) => p.health().await,
            Llm::Embedded(p) => p.health().await,
            Llm::OpenAi(p) => p.health().await,
            Llm::Scripted(p) => p.health(),
        }
    }

    /// The provider's id (`ollama`, `embedded`, `openai`, `scripted`).
    pub fn provider_id(&self) -> &'static str {
        match self {
            Llm::Ollama(_) => "ollama",
            Llm::Embedded(_) => "embedded",
            Llm::OpenAi(_) => "openai",
            Llm::Scripted(_) => "scripted",
        }
    }

    /// The model's name as shown to the learner.
    pub fn model_name(&self, config: &LlmConfig) -> String {
        match self {
            Llm::Embedded(p) => p.shown(),
            _ => config.model.clone(),
        }
    }

    /// True for the scripted demo tutor.
    pub fn is_demo(&self) -> bool {
        matches!(self, Llm::Scripted(_))
    }
}

/// Retries `f` on connection errors only, with exponential backoff
/// (100 ms, 200 ms, 400 ms…); an answer from the server is never retried.
pub(crate) async fn with_retries<T, F, Fut>(retries: u32, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Err(Error::LlmUnavailable(m)) if attempt < retries => {
                attempt += 1;
                tracing::warn!(attempt, error = %m, "LLM unreachable, retrying");
                tokio::time::sleep(std::time::Duration::from_millis(100 << (attempt - 1))).await;
            }
            other => return other,
        }
    }
}

/// The HTTP client a model server is talked to with: connecting is bounded
/// by the setting, a whole answer by each call's own timeout.
pub(crate) fn http_client(config: &LlmConfig) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .build()
        .map_err(|e| Error::Internal(format!("HTTP client: {e}")))
}

/// Maps a reqwest error to what the learner is told.
pub(crate) fn reqwest_error(e: &reqwest::Error, url: &str, hint: &str) -> Error {
    if e.is_timeout() {
        Error::LlmTimeout(format!(
            "The language model at {url} took too long to answer."
        ))
    } else if e.is_connect() {
        Error::LlmUnavailable(format!("Cannot reach the language model at {url}. {hint}"))
    } else {
        Error::Llm(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn connection_errors_are_retried_and_answers_are_not() {
        let calls = AtomicU32::new(0);
        let r: Result<u32> = with_retries(2, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(Error::LlmUnavailable("down".into())),
                n => Ok(n),
            }
        })
        .await;
        assert_eq!(r.unwrap(), 2);

        let calls = AtomicU32::new(0);
        let r: Result<()> = with_retries(5, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::Llm("bad request".into()))
        })
        .await;
        assert!(matches!(r, Err(Error::Llm(_))));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "an answer from the server is never retried"
        );

        let calls = AtomicU32::new(0);
        let r: Result<()> = with_retries(1, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::LlmUnavailable("down".into()))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}

//! Ollama through ollama-rs: streaming, `keep_alive`, structured output,
//! timeouts and retries on connection errors.

use super::{reqwest_error, with_retries, LlmRequest, TokenStream, Turn, TurnRole};
use crate::api::LlmHealth;
use crate::config::LlmConfig;
use crate::error::{Error, Result};
use futures::StreamExt;
use ollama_rs::error::OllamaError;
use ollama_rs::generation::chat::request::ChatMessageRequest;
use ollama_rs::generation::chat::{ChatMessage, ChatMessageFinalResponseData, ChatMessageResponse};
use ollama_rs::generation::parameters::{FormatType, JsonStructure, KeepAlive};
use ollama_rs::Ollama;
use std::time::{Duration, Instant};

/// Talks to one Ollama server and model.
pub struct OllamaProvider {
    client: Ollama,
    url: String,
    model: String,
    keep_alive: Option<KeepAlive>,
    timeout: Duration,
    retries: u32,
}

impl OllamaProvider {
    pub fn new(config: &LlmConfig) -> Result<Self> {
        let http = super::http_client(config)?;
        let client = Ollama::builder()
            .url(config.url.as_str())
            .reqwest_client(http)
            .build();
        Ok(OllamaProvider {
            client,
            url: config.url.clone(),
            model: config.model.clone(),
            keep_alive: serde_json::from_value(serde_json::Value::String(
                config.keep_alive.clone(),
            ))
            .ok(),
            timeout: config.request_timeout,
            retries: config.retries,
        })
    }

    fn hint(&self) -> String {
        format!(
            "Start Ollama (`ollama serve`) and pull the model (`ollama pull {}`), or set BABBLR_LLM_URL.",
            self.model
        )
    }

    fn map_err(&self, e: OllamaError) -> Error {
        match e {
            OllamaError::ReqwestError(e) => reqwest_error(&e, &self.url, &self.hint()),
            OllamaError::Other(body) if body.contains("not found") => {
                Error::LlmUnavailable(format!(
                    "Ollama at {} does not have the model '{}'. Run `ollama pull {}`.",
                    self.url, self.model, self.model
                ))
            }
            other => Error::Llm(other.to_string()),
        }
    }

    fn request(&self, req: &LlmRequest) -> ChatMessageRequest {
        let messages = req.turns.iter().map(to_message).collect();
        let mut r = ChatMessageRequest::new(self.model.clone(), messages);
        if let Some(k) = &self.keep_alive {
            r = r.keep_alive(k.clone());
        }
        if let Some(n) = req.max_tokens {
            r = r.options(ollama_rs::models::ModelOptions::default().num_predict(n as i32));
        }
        if let Some(schema) = &req.json_schema {
            match serde_json::from_value::<JsonStructure>(schema.clone()) {
                Ok(s) => r = r.format(FormatType::StructuredJson(Box::new(s))),
                Err(_) => r = r.format(FormatType::Json),
            }
        }
        r
    }

    fn timeout_error(&self) -> Error {
        Error::LlmTimeout(format!(
            "Ollama at {} did not answer within {:.0} s (model '{}').",
            self.url,
            self.timeout.as_secs_f64(),
            self.model
        ))
    }

    pub async fn complete(&self, req: LlmRequest) -> Result<String> {
        let started = Instant::now();
        let request = self.request(&req);
        let call = with_retries(self.retries, || async {
            self.client
                .send_chat_messages(request.clone())
                .await
                .map_err(|e| self.map_err(e))
        });
        let res = tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| self.timeout_error())??;
        if let Some(stats) = &res.final_data {
            report_model_timings(started, stats);
        }
        Ok(res.message.content)
    }

    pub async fn stream(&self, req: LlmRequest) -> Result<TokenStream> {
        let started = Instant::now();
        let request = self.request(&req);
        let open = with_retries(self.retries, || async {
            self.client
                .send_chat_messages_stream(request.clone())
                .await
                .map_err(|e| self.map_err(e))
        });
        let inner = tokio::time::timeout(self.timeout, open)
            .await
            .map_err(|_| self.timeout_error())??;
        let timeout = self.timeout;
        let timeout_error = self.timeout_error();
        // Each piece must come within the timeout; the stream must end with
        // `done: true`, or it was cut short.
        let stream =
            futures::stream::unfold(Some((inner, timeout_error)), move |state| async move {
                let (mut inner, timeout_error) = state?;
                match tokio::time::timeout(timeout, inner.next()).await {
                    Err(_) => Some((Err(timeout_error), None)),
                    Ok(None) => Some((
                        Err(Error::Llm(
                            "Ollama's stream ended before the reply was done".into(),
                        )),
                        None,
                    )),
                    Ok(Some(Err(()))) => Some((
                        Err(Error::LlmUnavailable(
                            "The connection to Ollama broke mid-reply.".into(),
                        )),
                        None,
                    )),
                    Ok(Some(Ok(ChatMessageResponse {
                        done: true,
                        message,
                        final_data,
                        ..
                    }))) => {
                        if let Some(stats) = &final_data {
                            report_model_timings(started, stats);
                        }
                        // The last line may still carry text; then the stream ends.
                        Some((Ok(message.content), None))
                    }
                    Ok(Some(Ok(r))) => Some((Ok(r.message.content), Some((inner, timeout_error)))),
                }
            })
            .filter(|piece| futures::future::ready(!matches!(piece, Ok(s) if s.is_empty())));
        Ok(Box::pin(stream))
    }

    /// An empty chat loads the model without generating anything.
    pub async fn warmup(&self) -> Result<()> {
        let mut r = ChatMessageRequest::new(self.model.clone(), vec![]);
        if let Some(k) = &self.keep_alive {
            r = r.keep_alive(k.clone());
        }
        tokio::time::timeout(self.timeout, self.client.send_chat_messages(r))
            .await
            .map_err(|_| self.timeout_error())?
            .map_err(|e| self.map_err(e))?;
        Ok(())
    }

    /// Whether Ollama answers and has the model; if not, why not, in a few
    /// words ("Ollama not found at http://127.0.0.1:11434").
    pub async fn probe(&self) -> std::result::Result<(), String> {
        match tokio::time::timeout(
            Duration::from_secs(3),
            self.client.show_model_info(self.model.clone()),
        )
        .await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(OllamaError::ReqwestError(e))) if e.is_connect() => {
                Err(format!("Ollama not found at {}", self.url))
            }
            Ok(Err(e)) => Err(self.map_err(e).to_string()),
            Err(_) => Err(format!("Ollama at {} did not answer in 3 s", self.url)),
        }
    }

    pub async fn health(&self) -> LlmHealth {
        let (status, detail) = match self.probe().await {
            Ok(()) => ("ok", format!("model '{}' is available", self.model)),
            Err(why) => ("unavailable", why),
        };
        LlmHealth {
            status: status.into(),
            provider: "ollama".into(),
            model: self.model.clone(),
            url: self.url.clone(),
            demo: false,
            detail,
            why: String::new(),
        }
    }
}

/// The model server's own account of a request, as perf steps:
/// `llm.prompt_eval` (reading the prompt) and `llm.decode` (writing the
/// answer), laid out from when the request was sent. Ollama and the built-in
/// model both report them.
fn report_model_timings(started: Instant, stats: &ChatMessageFinalResponseData) {
    let ms = |ns: u64| ns as f64 / 1e6;
    let rate = |n: u64, ns: u64| n as f64 / (ns as f64 / 1e9);
    if stats.prompt_eval_duration > 0 {
        let detail = format!(
            "{} tokens, {:.0} tokens/s",
            stats.prompt_eval_count,
            rate(stats.prompt_eval_count, stats.prompt_eval_duration)
        );
        crate::perf::layer::record(
            "llm.prompt_eval",
            started,
            ms(stats.prompt_eval_duration),
            Some(detail),
        );
    }
    if stats.eval_duration > 0 {
        let decode_start = started + Duration::from_nanos(stats.prompt_eval_duration);
        let detail = format!(
            "{} tokens, {:.1} tokens/s",
            stats.eval_count,
            rate(stats.eval_count, stats.eval_duration)
        );
        crate::perf::layer::record(
            "llm.decode",
            decode_start,
            ms(stats.eval_duration),
            Some(detail),
        );
    }
}

fn to_message(t: &Turn) -> ChatMessage {
    match t.role {
        TurnRole::System => ChatMessage::system(t.content.clone()),
        TurnRole::User => ChatMessage::user(t.content.clone()),
        TurnRole::Assistant => ChatMessage::assistant(t.content.clone()),
    }
}

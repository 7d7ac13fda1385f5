//! Any OpenAI-compatible server (`/v1/chat/completions`, streaming SSE):
//! llama.cpp's server, vLLM, LM Studio, or a hosted API with a key.

use super::{reqwest_error, with_retries, LlmRequest, TokenStream};
use crate::api::LlmHealth;
use crate::config::LlmConfig;
use crate::error::{Error, Result};
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;

/// Talks to one OpenAI-compatible endpoint and model.
pub struct OpenAiProvider {
    http: reqwest::Client,
    /// Base URL including `/v1`.
    url: String,
    model: String,
    api_key: Option<String>,
    timeout: Duration,
    retries: u32,
}

impl OpenAiProvider {
    pub fn new(config: &LlmConfig) -> Result<Self> {
        let http = super::http_client(config)?;
        Ok(OpenAiProvider {
            http,
            url: config.url.clone(),
            model: config.model.clone(),
            api_key: config.api_key.clone(),
            timeout: config.request_timeout,
            retries: config.retries,
        })
    }

    fn body(&self, req: &LlmRequest, stream: bool) -> Value {
        let messages: Vec<Value> = req.turns.iter().map(super::Turn::message_json).collect();
        let mut body = json!({"model": self.model, "messages": messages, "stream": stream});
        if let Some(n) = req.max_tokens {
            body["max_tokens"] = json!(n);
        }
        if let Some(schema) = &req.json_schema {
            body["response_format"] =
                json!({"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}});
        }
        body
    }

    async fn post(&self, body: &Value) -> Result<reqwest::Response> {
        let hint = "Start your OpenAI-compatible server or check BABBLR_LLM_URL.";
        let res = with_retries(self.retries, || async {
            let mut r = self
                .http
                .post(format!("{}/chat/completions", self.url))
                .json(body);
            if let Some(key) = &self.api_key {
                r = r.bearer_auth(key);
            }
            r.send()
                .await
                .map_err(|e| reqwest_error(&e, &self.url, hint))
        })
        .await?;
        if !res.status().is_success() {
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            return Err(Error::Llm(format!(
                "{status}: {}",
                text.chars().take(300).collect::<String>()
            )));
        }
        Ok(res)
    }

    fn timeout_error(&self) -> Error {
        Error::LlmTimeout(format!(
            "The model server at {} did not answer within {:.0} s.",
            self.url,
            self.timeout.as_secs_f64()
        ))
    }

    pub async fn complete(&self, req: LlmRequest) -> Result<String> {
        let body = self.body(&req, false);
        let call = async {
            let res = self.post(&body).await?;
            let v: Value = res.json().await.map_err(|e| Error::Llm(e.to_string()))?;
            v["choices"][0]["message"]["content"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| Error::Llm("answer has no choices[0].message.content".into()))
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| self.timeout_error())?
    }

    pub async fn stream(&self, req: LlmRequest) -> Result<TokenStream> {
        let body = self.body(&req, true);
        let res = tokio::time::timeout(self.timeout, self.post(&body))
            .await
            .map_err(|_| self.timeout_error())??;
        let timeout = self.timeout;
        let bytes = res.bytes_stream();
        // SSE: `data: {json}` lines, ending with `data: [DONE]`.
        let stream =
            futures::stream::unfold(Some((bytes, Vec::<u8>::new())), move |state| async move {
                let (mut bytes, mut buf) = state?;
                loop {
                    if let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = buf.drain(..=pos).collect();
                        let line = String::from_utf8_lossy(&line);
                        let Some(data) = line.trim().strip_prefix("data:") else {
                            continue;
                        };
                        let data = data.trim();
                        if data == "[DONE]" {
                            return None;
                        }
                        let piece = serde_json::from_str::<Value>(data)
                            .ok()
                            .and_then(|v| {
                                v["choices"][0]["delta"]["content"]
                                    .as_str()
                                    .map(str::to_string)
                            })
                            .unwrap_or_default();
                        return Some((Ok(piece), Some((bytes, buf))));
                    }
                    match tokio::time::timeout(timeout, bytes.next()).await {
                        Err(_) => {
                            return Some((
                                Err(Error::LlmTimeout("the model stopped sending".into())),
                                None,
                            ))
                        }
                        Ok(Some(Ok(chunk))) => buf.extend_from_slice(&chunk),
                        Ok(Some(Err(_))) | Ok(None) => {
                            return Some((
                                Err(Error::LlmUnavailable(
                                    "The model server's stream broke mid-reply.".into(),
                                )),
                                None,
                            ))
                        }
                    }
                }
            })
            .filter(|piece| futures::future::ready(!matches!(piece, Ok(s) if s.is_empty())));
        Ok(Box::pin(stream))
    }

    /// OpenAI-compatible servers load their model at start; nothing to do.
    pub async fn warmup(&self) -> Result<()> {
        Ok(())
    }

    pub async fn health(&self) -> LlmHealth {
        let mut r = self
            .http
            .get(format!("{}/models", self.url))
            .timeout(Duration::from_secs(3));
        if let Some(key) = &self.api_key {
            r = r.bearer_auth(key);
        }
        let (status, detail) = match r.send().await {
            Ok(res) if res.status().is_success() => ("ok", "server answers /models".to_string()),
            Ok(res) => ("degraded", format!("/models answered {}", res.status())),
            Err(e) => ("unavailable", reqwest_error(&e, &self.url, "").to_string()),
        };
        LlmHealth {
            status: status.into(),
            provider: "openai".into(),
            model: self.model.clone(),
            url: self.url.clone(),
            demo: false,
            detail,
            why: String::new(),
        }
    }
}

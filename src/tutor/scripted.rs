//! The scripted demo tutor: deterministic answers for trying the UI without a
//! model. `/health` and the UI say plainly that it is a demo.

use crate::api::LlmHealth;
use crate::config::LlmConfig;
use crate::error::Result;
use crate::llm::{LlmRequest, Purpose, TokenStream};
use crate::tutor::{corrections, demo};
use futures::StreamExt;
use std::time::Duration;

/// Answers from [`crate::tutor::demo`] and the rule-based corrector.
pub struct ScriptedProvider {
    model: String,
    /// Pause between streamed words, so streaming can be seen.
    token_delay: Duration,
}

impl ScriptedProvider {
    pub fn new(config: &LlmConfig) -> Self {
        ScriptedProvider {
            model: config.model.clone(),
            token_delay: Duration::from_millis(15),
        }
    }

    /// The answer for a request, computed from its purpose.
    pub fn answer(req: &LlmRequest) -> String {
        match &req.purpose {
            Purpose::Opening { language, topic_id } => {
                let (message, translation) = demo::opening(*language, topic_id);
                serde_json::json!({"message": message, "translation": translation}).to_string()
            }
            Purpose::Reply { language } => {
                let last = req
                    .turns
                    .last()
                    .map(|t| t.content.as_str())
                    .unwrap_or_default();
                demo::reply(*language, last).0.to_string()
            }
            Purpose::Correction { language, text } => {
                let (corrected_text, corrections) = corrections::rule_based(*language, text);
                serde_json::json!({"corrected_text": corrected_text, "corrections": corrections})
                    .to_string()
            }
            Purpose::TranscriptFix { text } => {
                serde_json::json!({"text": demo::fix_transcript(text)}).to_string()
            }
            Purpose::Translation { text } => {
                let t =
                    demo::translate(text).unwrap_or_else(|| format!("(demo translation) {text}"));
                serde_json::json!({"translation": t}).to_string()
            }
        }
    }

    pub async fn complete(&self, req: LlmRequest) -> Result<String> {
        Ok(Self::answer(&req))
    }

    pub async fn stream(&self, req: LlmRequest) -> Result<TokenStream> {
        let pieces = split_words(&Self::answer(&req));
        let delay = self.token_delay;
        let stream = futures::stream::iter(pieces).then(move |p| async move {
            tokio::time::sleep(delay).await;
            Ok(p)
        });
        Ok(stream.boxed())
    }

    pub fn health(&self) -> LlmHealth {
        LlmHealth {
            status: "ok".into(),
            provider: "scripted".into(),
            model: self.model.clone(),
            url: String::new(),
            demo: true,
            detail: "Demo tutor: scripted answers, no language model. Set BABBLR_LLM_PROVIDER=auto for a real tutor."
                .into(),
            why: String::new(),
        }
    }
}

/// Splits text into word pieces that keep their leading space, as a model streams them.
pub fn split_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c == ' ' && !current.trim().is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_rejoin_to_the_text() {
        let text = "¡Hola! ¿Cómo  estás?";
        let pieces = split_words(text);
        assert_eq!(pieces.concat(), text);
        assert_eq!(pieces[0], "¡Hola!");
    }
}

//! Translations of the tutor's messages into the learner's own language.

use super::Engine;
use crate::domain::Language;
use crate::error::{Error, Result};
use crate::perf_timed;
use crate::tutor::prompts;

impl Engine {
    /// A tutor message in `native`; computed once, then stored.
    pub async fn translate(&self, message_id: i64, native: Language) -> Result<String> {
        let message = self
            .inner
            .db
            .message(self.me()?, message_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("message {message_id} does not exist")))?;
        if let Some(t) = message.translation {
            return Ok(t);
        }
        let conversation = self.conversation(message.conversation_id).await?;
        let request = prompts::translation_request(conversation.language, &message.content, native);
        let text =
            perf_timed!(INFO, "chat.translate_llm", self.inner.llm.complete(request)).await?;
        let text = prompts::parse_text_field(&text, "translation");
        self.inner.db.set_translation(message_id, &text).await?;
        Ok(text)
    }
}

//! Conversations: create, list, open, delete; and the check that what a
//! request says about a conversation agrees with it.

use super::Engine;
use crate::api::{Conversation, ConversationDetail, Message, TopicSummary};
use crate::domain::{topics, CefrLevel, Language, Topic};
use crate::error::{Error, Result};

impl Engine {
    /// Topics with names in `language` (English when `None`).
    pub fn topics(&self, language: Option<Language>) -> Vec<TopicSummary> {
        let language = language.unwrap_or(Language::English);
        topics()
            .iter()
            .map(|t| {
                let text = t.text(language);
                TopicSummary {
                    id: t.id.clone(),
                    name: text.name.clone(),
                    description: text.description.clone(),
                    level_hint: t.level_hint,
                }
            })
            .collect()
    }

    /// Stores a new conversation.
    pub async fn create_conversation(
        &self,
        language: Language,
        level: CefrLevel,
        topic: &Topic,
    ) -> Result<Conversation> {
        self.inner
            .db
            .create_conversation(self.me()?, language, level, &topic.id)
            .await
    }

    /// The learner's conversations, most recently active first.
    pub async fn list_conversations(&self) -> Result<Vec<Conversation>> {
        self.inner.db.list_conversations(self.me()?).await
    }

    /// One of the learner's conversations, or a 404 (another learner's too:
    /// whether it exists is not theirs to know).
    pub async fn conversation(&self, id: i64) -> Result<Conversation> {
        self.inner
            .db
            .conversation(self.me()?, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("conversation {id} does not exist")))
    }

    /// A conversation with all its messages.
    pub async fn conversation_detail(&self, id: i64) -> Result<ConversationDetail> {
        let conversation = self.conversation(id).await?;
        let messages = self.inner.db.messages(id).await?;
        Ok(ConversationDetail {
            conversation,
            messages,
        })
    }

    /// A conversation's messages, oldest first, or a 404.
    pub async fn messages(&self, id: i64) -> Result<Vec<Message>> {
        self.conversation(id).await?;
        self.inner.db.messages(id).await
    }

    /// Deletes a conversation and its messages, or a 404.
    pub async fn delete_conversation(&self, id: i64) -> Result<()> {
        if self.inner.db.delete_conversation(self.me()?, id).await? {
            Ok(())
        } else {
            Err(Error::NotFound(format!("conversation {id} does not exist")))
        }
    }
}

/// What a request may say about the conversation it is for; each field
/// given must agree with the conversation (the Python app's API sent them with every chat, and curl users still do).
#[derive(Debug, Clone, Copy, Default)]
pub struct Expect<'a> {
    pub language: Option<Language>,
    pub level: Option<CefrLevel>,
    pub topic: Option<&'a Topic>,
}

impl Expect<'_> {
    /// A 422 naming the first field that disagrees.
    pub fn check(&self, conversation: &Conversation) -> Result<()> {
        if let Some(l) = self.language.filter(|l| *l != conversation.language) {
            return Err(Error::invalid(
                "language",
                format!(
                    "'{l}' does not match the conversation's language ({})",
                    conversation.language
                ),
            ));
        }
        if let Some(l) = self.level.filter(|l| *l != conversation.difficulty_level) {
            return Err(Error::invalid(
                "difficulty_level",
                format!(
                    "'{l}' does not match the conversation's level ({})",
                    conversation.difficulty_level
                ),
            ));
        }
        if let Some(t) = self.topic.filter(|t| t.id != conversation.topic_id) {
            return Err(Error::invalid(
                "topic_id",
                format!(
                    "'{}' does not match the conversation's topic ({})",
                    t.id, conversation.topic_id
                ),
            ));
        }
        Ok(())
    }
}

//! Conversations, messages, corrections and the chat turn, as the API sends them.

use crate::domain::{CefrLevel, Language};
use serde::{Deserialize, Serialize};

/// A conversation as listed and opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: i64,
    pub language: Language,
    pub difficulty_level: CefrLevel,
    pub topic_id: String,
    /// The topic's name in the conversation's language (so the browser needs
    /// no topic catalogue of its own).
    pub topic_name: String,
    /// Unix time in milliseconds.
    pub created_at: i64,
    /// Unix time in milliseconds of the last message (or creation).
    pub updated_at: i64,
    pub message_count: i64,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    /// The name stored in the database.
    pub fn id(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// What kind of mistake a correction fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrectionKind {
    Grammar,
    Vocabulary,
    Spelling,
    Punctuation,
    Style,
    #[serde(other)]
    Other,
}

impl CorrectionKind {
    /// The name the API uses (`grammar`, `vocabulary`, …), shown on the chip.
    pub fn label(self) -> &'static str {
        match self {
            CorrectionKind::Grammar => "grammar",
            CorrectionKind::Vocabulary => "vocabulary",
            CorrectionKind::Spelling => "spelling",
            CorrectionKind::Punctuation => "punctuation",
            CorrectionKind::Style => "style",
            CorrectionKind::Other => "other",
        }
    }
}

/// One fix to a learner's message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    pub original: String,
    pub corrected: String,
    pub explanation: String,
    #[serde(rename = "type")]
    pub kind: CorrectionKind,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub role: Role,
    pub content: String,
    /// The tutor message in the learner's own language.
    pub translation: Option<String>,
    /// The learner message as the tutor would write it (user messages only).
    pub corrected_text: Option<String>,
    pub corrections: Option<Vec<Correction>>,
    pub created_at: i64,
}

impl Message {
    /// A learner's message shown before the server has stored it; `id` is a
    /// placeholder until the server says the stored one.
    pub fn pending(conversation_id: i64, id: i64, content: String) -> Message {
        Message {
            id,
            conversation_id,
            role: Role::User,
            content,
            translation: None,
            corrected_text: None,
            corrections: None,
            created_at: 0,
        }
    }

    /// A tutor message as the server stored it.
    pub fn tutor(
        conversation_id: i64,
        id: i64,
        content: String,
        translation: Option<String>,
    ) -> Message {
        Message {
            id,
            conversation_id,
            role: Role::Assistant,
            content,
            translation,
            corrected_text: None,
            corrections: None,
            created_at: 0,
        }
    }
}

/// A conversation with its messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}

/// A topic as the UI lists it, in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    pub level_hint: CefrLevel,
}

/// The answer to `POST /chat/initial-message`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitialMessageResponse {
    pub assistant_message: String,
    pub translation: Option<String>,
    pub message_id: i64,
}

/// The answer to `POST /chat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    pub assistant_message: String,
    /// The learner's message as corrected; equal to it when nothing was wrong
    /// or correction is off for this level.
    pub corrected_text: String,
    pub corrections: Vec<Correction>,
    pub user_message_id: i64,
    pub assistant_message_id: i64,
}

/// One part of a streamed reply (`POST /chat/stream`, Server-Sent Events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ChatStreamEvent {
    /// The learner's message is stored.
    Saved { user_message_id: i64 },
    /// A piece of the tutor's reply.
    Token { text: String },
    /// Corrections of the learner's message, when they are ready.
    Corrections {
        corrected_text: String,
        corrections: Vec<Correction>,
    },
    /// The whole reply, stored.
    Done {
        assistant_message_id: i64,
        assistant_message: String,
    },
    /// The reply failed; the learner's message is kept.
    Error {
        error: super::ErrorCode,
        message: String,
    },
}

/// A learner's own settings, sent with a request; fields left out take the
/// server's defaults (`BABBLR_NATIVE_LANGUAGE`, `BABBLR_CORRECTION_MAX_LEVEL`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LearnerPrefs {
    /// The learner's own language (`english`, `es`…), for translations and explanations.
    #[serde(default)]
    pub native_language: Option<String>,
    /// Correct messages at levels up to this one (`A1`…`C2`), or `off`.
    #[serde(default)]
    pub correction_max_level: Option<String>,
}

/// `POST /chat/stream`'s body: the learner's message and their settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatStreamRequest {
    pub conversation_id: i64,
    pub user_message: String,
    #[serde(flatten)]
    pub prefs: LearnerPrefs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrections_use_type_on_the_wire() {
        let c: Correction = serde_json::from_str(
            r#"{"original":"yo es","corrected":"yo soy","explanation":"ser","type":"grammar"}"#,
        )
        .unwrap();
        assert_eq!(c.kind, CorrectionKind::Grammar);
        let unknown: Correction = serde_json::from_str(
            r#"{"original":"a","corrected":"b","explanation":"c","type":"tone"}"#,
        )
        .unwrap();
        assert_eq!(unknown.kind, CorrectionKind::Other);
    }
}

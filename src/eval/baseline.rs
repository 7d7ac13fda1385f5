//! The correction pipeline as it was before issue 15 (one prompt for every
//! language, the model's own rewrite taken as the corrected text), kept so
//! `babblr eval corrections --pipeline baseline` can measure what the
//! current pipeline ([`crate::tutor::correct`]) gains on the same model.

use crate::domain::{CefrLevel, Language};
use crate::llm::{LlmRequest, Purpose, Turn};
use serde_json::{json, Value};

/// The schema corrections are asked for in.
fn schema(text_chars: usize) -> Value {
    // Bounded (items and lengths, the corrected text by the learner's own):
    // under this schema's grammar a small model that starts repeating itself
    // still ends within the request's token budget, with JSON that parses.
    json!({
        "title": "corrections",
        "type": "object",
        "properties": {
            "corrected_text": {"type": "string", "maxLength": text_chars * 3 / 2 + 40},
            "corrections": {
                "type": "array",
                "maxItems": 4,
                "items": {
                    "type": "object",
                    "properties": {
                        "original": {"type": "string", "maxLength": 80},
                        "corrected": {"type": "string", "maxLength": 80},
                        "explanation": {"type": "string", "maxLength": 160},
                        "type": {"type": "string", "enum": ["grammar", "vocabulary", "spelling", "punctuation", "style"]}
                    },
                    "required": ["original", "corrected", "explanation", "type"]
                }
            }
        },
        "required": ["corrected_text", "corrections"]
    })
}

/// Asks for the mistakes in one learner message.
pub fn request(language: Language, level: CefrLevel, text: &str, native: Language) -> LlmRequest {
    LlmRequest {
        turns: vec![
            Turn::system(format!(
                "You are a careful {lang} teacher. The learner is at level {level}. Find the grammar, \
                 vocabulary, spelling and punctuation mistakes in the learner's {lang} message. Ignore \
                 style unless it is clearly wrong. Write explanations in {native}, one short sentence \
                 each. Answer only with JSON: {{\"corrected_text\": the whole message corrected, \
                 \"corrections\": [{{\"original\", \"corrected\", \"explanation\", \"type\"}}]}}. \
                 When there is nothing to fix, return the message unchanged and an empty list.",
                lang = language.english_name(),
                native = native.english_name(),
            )),
            Turn::user(text.to_string()),
        ],
        json_schema: Some(schema(text.chars().count())),
        max_tokens: Some(900),
        purpose: Purpose::Correction {
            language,
            text: text.to_string(),
        },
    }
}

/// The corrected text as the model rewrote it; `None` when unreadable.
pub fn parse(raw: &str, text: &str) -> Option<String> {
    crate::tutor::corrections::parse(raw, text).map(|(corrected, _)| corrected)
}

//! Prompts written for Babblr: per CEFR level, per topic role-play, replies in
//! the target language, translations into the learner's own.

use crate::api::{Message, Role};
use crate::domain::{CefrLevel, Language, Topic};
use crate::llm::{LlmRequest, Purpose, Turn};
use serde_json::{json, Value};

/// How the tutor adapts to each level.
pub fn level_guidance(level: CefrLevel) -> &'static str {
    match level {
        CefrLevel::A1 => "The learner is a beginner (A1). Use only very common words, the present tense and sentences of at most 8 words. One idea per sentence. Speak slowly and warmly.",
        CefrLevel::A2 => "The learner is elementary (A2). Use everyday vocabulary, present and simple past tenses, sentences of at most 12 words.",
        CefrLevel::B1 => "The learner is intermediate (B1). Use common vocabulary with a few new words, several tenses, and sentences of moderate length.",
        CefrLevel::B2 => "The learner is upper intermediate (B2). Speak naturally, with varied vocabulary, opinions and some idioms.",
        CefrLevel::C1 => "The learner is advanced (C1). Speak as to a fluent adult: rich vocabulary, nuance, idiomatic language.",
        CefrLevel::C2 => "The learner has mastery (C2). Speak as a native speaker would, including subtle idioms and register shifts.",
    }
}

/// The system prompt of a conversation.
pub fn system_prompt(language: Language, level: CefrLevel, topic: &Topic) -> String {
    let lang = language.english_name();
    format!(
        "You are Babblr, a friendly {lang} tutor having a spoken-style conversation with a learner.\n\
         Role-play: {roleplay}\n\
         {guidance}\n\
         Rules: reply only in {lang}. Keep each reply to one to three short sentences and end with a \
         question that keeps the conversation going. Do not correct the learner's mistakes in your reply \
         (corrections are shown separately); simply model the correct form. Stay in the role-play.",
        roleplay = topic.roleplay,
        guidance = level_guidance(level),
    )
}

/// The last messages as prompt turns.
pub fn history_turns(history: &[Message]) -> Vec<Turn> {
    history
        .iter()
        .map(|m| match m.role {
            Role::User => Turn::user(m.content.clone()),
            Role::Assistant => Turn::assistant(m.content.clone()),
        })
        .collect()
}

/// The schema of an opening message: the message and its translation.
///
/// Every schema has a `title` naming its task: the stand-in Ollama in
/// `testkit` answers by it, never by the prompt's wording.
pub fn opening_schema() -> Value {
    json!({
        "title": "opening",
        "type": "object",
        "properties": {
            "message": {"type": "string", "maxLength": 600},
            "translation": {"type": "string", "maxLength": 600}
        },
        "required": ["message", "translation"]
    })
}

/// Asks for the tutor's first message, with a translation into `native`.
pub fn opening_request(
    language: Language,
    level: CefrLevel,
    topic: &Topic,
    native: Language,
) -> LlmRequest {
    let text = topic.text(language);
    let example = text.starters.first().cloned().unwrap_or_default();
    LlmRequest {
        turns: vec![
            Turn::system(system_prompt(language, level, topic)),
            Turn::user(format!(
                "Open the conversation about \"{name}\" in {lang} with a greeting and one question, \
                 like: \"{example}\". Answer as JSON: {{\"message\": the opening in {lang}, \
                 \"translation\": the same in {native}}}.",
                name = text.name,
                lang = language.english_name(),
                native = native.english_name(),
            )),
        ],
        json_schema: Some(opening_schema()),
        max_tokens: Some(400),
        purpose: Purpose::Opening {
            language,
            topic_id: topic.id.clone(),
        },
    }
}

/// Asks for the tutor's next reply given the conversation so far.
pub fn reply_request(
    language: Language,
    level: CefrLevel,
    topic: &Topic,
    history: &[Message],
) -> LlmRequest {
    let mut turns = vec![Turn::system(system_prompt(language, level, topic))];
    turns.extend(history_turns(history));
    LlmRequest {
        turns,
        json_schema: None,
        max_tokens: Some(300),
        purpose: Purpose::Reply { language },
    }
}

/// The schema a translation is asked for in.
pub fn translation_schema() -> Value {
    json!({
        "title": "translation",
        "type": "object",
        "properties": {"translation": {"type": "string", "maxLength": 4000}},
        "required": ["translation"]
    })
}

/// Asks for a translation of a tutor message into `native`.
pub fn translation_request(language: Language, text: &str, native: Language) -> LlmRequest {
    LlmRequest {
        turns: vec![
            Turn::system(format!(
                "Translate the following {} text into {}. Answer only with JSON: \
                 {{\"translation\": the translation}}.",
                language.english_name(),
                native.english_name()
            )),
            Turn::user(text.to_string()),
        ],
        json_schema: Some(translation_schema()),
        max_tokens: Some(600),
        purpose: Purpose::Translation {
            text: text.to_string(),
        },
    }
}

/// The schema a fixed transcript is asked for in.
pub fn transcript_fix_schema() -> Value {
    json!({
        "title": "transcript_fix",
        "type": "object",
        "properties": {"text": {"type": "string", "maxLength": 2000}},
        "required": ["text"]
    })
}

/// Asks for a transcript with likely mis-hearings fixed, given the
/// conversation so far; the learner's own mistakes are left for the tutor.
pub fn transcript_fix_request(
    language: Language,
    context: &[crate::api::Message],
    text: &str,
) -> LlmRequest {
    let history: Vec<String> = context
        .iter()
        .map(|m| {
            let who = match m.role {
                crate::api::Role::User => "Learner",
                crate::api::Role::Assistant => "Tutor",
            };
            format!("{who}: {}", m.content)
        })
        .collect();
    LlmRequest {
        turns: vec![
            Turn::system(format!(
                "You fix speech-recognition mistakes in a {lang} learner's spoken message. \
                 Change only words that were probably mis-heard (words that sound alike \
                 but do not fit the conversation) and add punctuation. Keep the learner's \
                 own grammar and vocabulary mistakes: the tutor corrects those later. \
                 Answer only with JSON: {{\"text\": the fixed message}}.\n\nConversation so far:\n{}",
                history.join("\n"),
                lang = language.english_name(),
            )),
            Turn::user(text.to_string()),
        ],
        json_schema: Some(transcript_fix_schema()),
        max_tokens: Some(400),
        purpose: Purpose::TranscriptFix {
            text: text.to_string(),
        },
    }
}

/// The string field `key` of a JSON answer, or, from a model that ignored
/// the format, the whole answer (never raw JSON of another shape).
pub fn parse_text_field(raw: &str, key: &str) -> String {
    if let Some(v) = super::corrections::extract_json(raw) {
        if let Some(text) = v[key].as_str() {
            return text.trim().to_string();
        }
        if v.is_object() {
            // JSON, but not ours: its first string value is the best guess.
            if let Some(text) = v
                .as_object()
                .and_then(|o| o.values().find_map(|x| x.as_str()))
            {
                return text.trim().to_string();
            }
        }
    }
    raw.trim().to_string()
}

/// A reply as the learner reads it: a small model sometimes answers a chat
/// turn with JSON (`{"reply": …}`, often in code fences, copying the
/// correction call's shape); its text is taken out. Plain text stays as it is.
pub fn clean_reply(raw: &str) -> String {
    let t = raw.trim();
    if t.starts_with('{') || t.starts_with("```") {
        let text = parse_text_field(t, "reply");
        if !text.is_empty() && !text.starts_with('{') {
            return text;
        }
    }
    t.to_string()
}

/// Reads an opening answer: JSON with `message` and `translation`, or, from a
/// model that ignored the format, the whole text as the message.
pub fn parse_opening(raw: &str) -> (String, Option<String>) {
    if let Some(v) = super::corrections::extract_json(raw) {
        if let Some(message) = v["message"].as_str().filter(|m| !m.trim().is_empty()) {
            let translation = v["translation"]
                .as_str()
                .map(str::to_string)
                .filter(|t| !t.trim().is_empty());
            return (message.trim().to_string(), translation);
        }
    }
    (raw.trim().to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::topic;

    #[test]
    fn prompts_carry_language_level_and_roleplay() {
        let t = topic("restaurant").unwrap();
        let p = system_prompt(Language::French, CefrLevel::A1, t);
        assert!(p.contains("French tutor"));
        assert!(p.contains("beginner (A1)"));
        assert!(p.contains("waiter"));
    }

    #[test]
    fn opening_answers_parse_with_or_without_json() {
        let (m, t) =
            parse_opening("```json\n{\"message\": \"¡Hola!\", \"translation\": \"Hi!\"}\n```");
        assert_eq!((m.as_str(), t.as_deref()), ("¡Hola!", Some("Hi!")));
        let (m, t) = parse_opening("¡Hola! ¿Qué tal?");
        assert_eq!((m.as_str(), t), ("¡Hola! ¿Qué tal?", None));
    }

    #[test]
    fn text_answers_parse_from_json_or_plain_text() {
        assert_eq!(
            parse_text_field("{\"translation\": \" Hi \"}", "translation"),
            "Hi"
        );
        assert_eq!(parse_text_field("Hi there", "translation"), "Hi there");
        assert_eq!(
            parse_text_field("```json\n{\"text\": \"Hola.\"}\n```", "text"),
            "Hola."
        );
        assert_eq!(parse_text_field("{\"other\": \"Hola.\"}", "text"), "Hola.");
    }

    #[test]
    fn replies_never_reach_the_learner_as_json() {
        assert_eq!(clean_reply("  ¡Hola! ¿Qué tal?  "), "¡Hola! ¿Qué tal?");
        assert_eq!(
            clean_reply("```json\n{\"reply\": \"Claro, ¿para cuántos?\"}\n```"),
            "Claro, ¿para cuántos?"
        );
        assert_eq!(
            clean_reply("{\"corrected_text\": \"Quiero una mesa.\"}"),
            "Quiero una mesa."
        );
        // Braces inside a normal sentence are left alone.
        assert_eq!(clean_reply("Mira {esto}"), "Mira {esto}");
    }

    #[test]
    fn every_schema_names_its_task() {
        for (schema, title) in [
            (opening_schema(), "opening"),
            (crate::tutor::correct::schema(), "corrections"),
            (translation_schema(), "translation"),
            (transcript_fix_schema(), "transcript_fix"),
        ] {
            assert_eq!(schema["title"], title);
        }
    }
}

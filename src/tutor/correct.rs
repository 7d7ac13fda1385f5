//! The correction pipeline, built for small models: a short, exact prompt
//! per language with worked examples (`data/prompts/corrections.json`), the
//! answer constrained to a bounded schema, and what comes back checked
//! against the learner's text ([`super::checks`]). The app and
//! `babblr eval corrections` both go through [`correct`].

use super::checks::{self, Checked, Rules};
use crate::api::Correction;
use crate::domain::{CefrLevel, Language};
use crate::error::{Error, Result};
use crate::llm::{Llm, LlmRequest, Purpose, Turn};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The prompt's data: a system template and worked examples per language.
#[derive(Debug, Deserialize)]
struct PromptData {
    /// With `{language}`, `{level}` and `{native}` to fill in.
    system: String,
    /// By ISO code.
    examples: HashMap<String, Vec<Example>>,
}

/// A learner sentence and the answer the model should give.
#[derive(Debug, Deserialize)]
struct Example {
    text: String,
    corrections: Vec<Correction>,
}

fn data() -> &'static PromptData {
    static DATA: OnceLock<PromptData> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str(include_str!("../../data/prompts/corrections.json"))
            .expect("data/prompts/corrections.json is checked by a test")
    })
}

/// The schema corrections are asked for in. Bounded (items and lengths):
/// under this schema's grammar a small model that starts repeating itself
/// still ends within the token budget, with JSON that parses. No corrected
/// text is asked for: it is computed from the edits.
pub fn schema() -> Value {
    json!({
        "title": "corrections",
        "type": "object",
        "properties": {
            "corrections": {
                "type": "array",
                "maxItems": 4,
                "items": {
                    "type": "object",
                    "properties": {
                        "original": {"type": "string", "maxLength": 60},
                        "corrected": {"type": "string", "maxLength": 60},
                        "explanation": {"type": "string", "maxLength": 160},
                        "type": {"type": "string", "enum": ["grammar", "vocabulary", "spelling", "punctuation"]}
                    },
                    "required": ["original", "corrected", "explanation", "type"]
                }
            }
        },
        "required": ["corrections"]
    })
}

/// Asks for the mistakes in one learner message: the system prompt, the
/// language's worked examples as earlier turns, then the message.
pub fn request(language: Language, level: CefrLevel, text: &str, native: Language) -> LlmRequest {
    let d = data();
    let system = d
        .system
        .replace("{language}", language.english_name())
        .replace("{level}", level.id())
        .replace("{native}", native.english_name());
    let mut turns = vec![Turn::system(system)];
    for e in d.examples.get(language.iso()).into_iter().flatten() {
        turns.push(Turn::user(e.text.clone()));
        turns.push(Turn::assistant(
            json!({ "corrections": e.corrections }).to_string(),
        ));
    }
    turns.push(Turn::user(text.to_string()));
    LlmRequest {
        turns,
        json_schema: Some(schema()),
        max_tokens: Some(400),
        purpose: Purpose::Correction {
            language,
            text: text.to_string(),
        },
    }
}

/// The proposed corrections in a model's answer; `None` when it is not
/// JSON with a `corrections` list. Items that do not parse are skipped.
pub fn proposed(raw: &str) -> Option<Vec<Correction>> {
    let v = super::corrections::extract_json(raw)?;
    let items = v.get("corrections")?.as_array()?;
    Some(
        items
            .iter()
            .filter_map(|item| serde_json::from_value(item.clone()).ok())
            .collect(),
    )
}

/// Corrects `text`: asks the model, reads its answer, checks each edit.
/// An answer that cannot be read is an error (the caller shows none).
pub async fn correct(
    llm: &Llm,
    language: Language,
    text: &str,
    native: Language,
    rules: Rules,
) -> Result<Checked> {
    let raw = llm
        .complete(request(language, rules.level, text, native))
        .await?;
    let proposed = proposed(&raw).ok_or_else(|| {
        Error::Llm(format!(
            "unusable corrections answer: {}",
            raw.chars().take(200).collect::<String>()
        ))
    })?;
    Ok(checks::check(text, proposed, rules))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_worked_examples_that_apply() {
        let d = data();
        for language in Language::ALL {
            let examples = &d.examples[language.iso()];
            assert!(examples.len() >= 3, "{language}");
            assert!(
                examples.iter().any(|e| e.corrections.is_empty()),
                "{language}: a correct one"
            );
            for e in examples {
                for c in &e.corrections {
                    assert!(e.text.contains(&c.original), "{}: {}", e.text, c.original);
                }
            }
        }
        // None of them is a sentence of the evaluation set.
        for set in crate::eval::load_all().unwrap() {
            for e in &d.examples[set.language.iso()] {
                assert!(set.sentences.iter().all(|s| s.text != e.text), "{}", e.text);
            }
        }
    }

    #[test]
    fn the_request_carries_examples_then_the_message() {
        let r = request(
            Language::German,
            CefrLevel::A2,
            "Ich habe gegangen.",
            Language::French,
        );
        let system = &r.turns[0].content;
        assert!(system.contains("German") && system.contains("A2") && system.contains("French"));
        assert_eq!(r.turns.len(), 1 + 3 * 2 + 1);
        assert_eq!(r.turns.last().unwrap().content, "Ich habe gegangen.");
        assert!(
            proposed(&r.turns[2].content).is_some(),
            "examples answer in the schema's shape"
        );
    }

    #[test]
    fn answers_are_read_leniently_or_refused() {
        let raw = "```json\n{\"corrections\": [{\"original\": \"es\", \"corrected\": \"soy\", \"explanation\": \"x\", \"type\": \"grammar\"}, {\"original\": 3}]}\n```";
        assert_eq!(proposed(raw).unwrap().len(), 1);
        assert!(proposed("I think it is fine").is_none());
        assert!(proposed("{\"corrections\": [").is_none(), "cut off");
    }
}

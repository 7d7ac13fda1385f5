//! The correction pipeline, built for small models: a short, exact prompt
//! (`data/prompts/corrections.json`), the answer constrained to a bounded schema (the message rewritten with its
//! mistakes fixed, then the list that explains them), and what comes back
//! checked against the learner's text ([`super::checks`]): the rewrite is
//! aligned with the message, each changed stretch becomes an edit, and only
//! edits that pass the checks, and that the model itself finds make the
//! text likelier ([`super::weigh`]), are applied. The app and
//! `babblr eval corrections` both go through [`correct`].

use super::checks::{self, Checked, Rules};
use crate::api::Correction;
use crate::domain::{CefrLevel, Language};
use crate::error::{Error, Result};
use crate::llm::{Llm, LlmRequest, Purpose, Turn};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The prompt's data: a system template.
///
/// The file also holds worked examples per language. They test the pipeline
/// (each one's rewrite, aligned back to its text, must give its listed
/// edits) but are not sent to the model: measured with Qwen2.5-Coder-0.5B on
/// 16 Spanish sentences, examples as earlier chat turns made it return every
/// message unchanged (0 of 12 mistakes touched, against 6 of 12 without
/// them), and examples inside the system prompt touched 3 of 12.
#[derive(Debug, Deserialize)]
struct PromptData {
    /// With `{language}`, `{level}` and `{native}` to fill in.
    system: String,
}

fn data() -> &'static PromptData {
    static DATA: OnceLock<PromptData> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_json::from_str(include_str!("../../data/prompts/corrections.json"))
            .expect("data/prompts/corrections.json is checked by a test")
    })
}

/// The schema corrections are asked for in, for a message of `text_chars`
/// characters. Bounded (items and lengths): under this schema's grammar a
/// small model that starts repeating itself still ends within the token
/// budget, with JSON that parses. The rewrite comes first: a small model
/// fixes a sentence better than it lists edits, and the list that follows
/// then explains what it just changed.
pub fn schema_for(text_chars: usize) -> Value {
    json!({
        "title": "corrections",
        "type": "object",
        "properties": {
            "corrected_text": {"type": "string", "maxLength": text_chars * 3 / 2 + 20},
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
        "required": ["corrected_text", "corrections"]
    })
}

/// [`schema_for`] a short message (what tests and docs look at).
pub fn schema() -> Value {
    schema_for(80)
}

/// Asks for the mistakes in one learner message.
pub fn request(language: Language, level: CefrLevel, text: &str, native: Language) -> LlmRequest {
    let system = data()
        .system
        .replace("{language}", language.english_name())
        .replace("{level}", level.id())
        .replace("{native}", native.english_name());
    LlmRequest {
        turns: vec![Turn::system(system), Turn::user(text.to_string())],
        json_schema: Some(schema_for(text.chars().count())),
        max_tokens: Some(400),
        purpose: Purpose::Correction {
            language,
            text: text.to_string(),
        },
    }
}

/// What a model's answer proposes.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The message as the model rewrote it, when it did.
    pub rewrite: Option<String>,
    pub listed: Vec<Correction>,
}

/// The proposal in a model's answer; `None` when it is not JSON with a
/// `corrections` list. Items that do not parse are skipped.
pub fn proposed(raw: &str) -> Option<Proposal> {
    let v = super::corrections::extract_json(raw)?;
    let items = v.get("corrections")?.as_array()?;
    Some(Proposal {
        rewrite: v
            .get("corrected_text")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        listed: items
            .iter()
            .filter_map(|item| serde_json::from_value(item.clone()).ok())
            .collect(),
    })
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
    let checked = match &proposed.rewrite {
        Some(rewrite) => super::rewrite::check_rewrite(text, rewrite, &proposed.listed, rules),
        None => checks::check(text, proposed.listed, rules),
    };
    Ok(if rules.weigh {
        super::weigh::keep_likely(llm, language, text, checked).await
    } else {
        checked
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A learner sentence and the answer the model should give.
    #[derive(Debug, Deserialize)]
    struct Example {
        text: String,
        corrections: Vec<Correction>,
    }

    impl Example {
        /// The text with its corrections applied.
        fn corrected(&self) -> String {
            let mut out = self.text.clone();
            for c in &self.corrections {
                out = out.replacen(&c.original, &c.corrected, 1);
            }
            out
        }
    }

    /// The worked examples, by ISO code.
    fn examples() -> HashMap<String, Vec<Example>> {
        #[derive(Deserialize)]
        struct File {
            examples: HashMap<String, Vec<Example>>,
        }
        let f: File =
            serde_json::from_str(include_str!("../../data/prompts/corrections.json")).unwrap();
        f.examples
    }

    #[test]
    fn every_language_has_worked_examples_that_apply() {
        let all = examples();
        for language in Language::ALL {
            let examples = &all[language.iso()];
            assert!(examples.len() >= 3, "{language}");
            assert!(
                examples.iter().any(|e| e.corrections.is_empty()),
                "{language}: a correct one"
            );
            for e in examples {
                for c in &e.corrections {
                    assert!(e.text.contains(&c.original), "{}: {}", e.text, c.original);
                }
                // The rewrite, aligned back, gives the listed edits.
                let rules = Rules {
                    level: CefrLevel::A2,
                    case_and_punctuation: true,
                    weigh: false,
                };
                let c = crate::tutor::rewrite::check_rewrite(
                    &e.text,
                    &e.corrected(),
                    &e.corrections,
                    rules,
                );
                assert_eq!(c.corrections.len(), e.corrections.len(), "{}", e.text);
                assert!(
                    c.corrections.iter().all(|c| !c.explanation.is_empty()),
                    "{}",
                    e.text
                );
            }
        }
        // None of them is a sentence of the evaluation set.
        for set in crate::eval::load_all().unwrap() {
            for e in &all[set.language.iso()] {
                assert!(set.sentences.iter().all(|s| s.text != e.text), "{}", e.text);
            }
        }
    }

    #[test]
    fn the_request_names_language_level_and_native_language() {
        let r = request(
            Language::German,
            CefrLevel::A2,
            "Ich habe gegangen.",
            Language::French,
        );
        let system = &r.turns[0].content;
        assert!(system.contains("German") && system.contains("A2") && system.contains("French"));
        assert_eq!(r.turns.len(), 2);
        assert_eq!(r.turns[1].content, "Ich habe gegangen.");
        let max = &r.json_schema.unwrap()["properties"]["corrected_text"]["maxLength"];
        assert_eq!(max, 18 * 3 / 2 + 20, "bounded by the message's length");
    }

    #[test]
    fn answers_are_read_leniently_or_refused() {
        let raw = "```json\n{\"corrections\": [{\"original\": \"es\", \"corrected\": \"soy\", \"explanation\": \"x\", \"type\": \"grammar\"}, {\"original\": 3}]}\n```";
        assert_eq!(proposed(raw).unwrap().listed.len(), 1);
        assert_eq!(proposed(raw).unwrap().rewrite, None);
        assert!(proposed("I think it is fine").is_none());
        assert!(proposed("{\"corrections\": [").is_none(), "cut off");
    }
}

//! Corrections: reading them from a model's answer, tolerantly, and a small
//! rule-based corrector for the demo tutor and the stand-in LLM.

use crate::api::{Correction, CorrectionKind};
use crate::domain::Language;
use serde_json::Value;

/// Finds the JSON object in a model's answer, past code fences and prose.
pub fn extract_json(raw: &str) -> Option<Value> {
    let start = raw.find('{')?;
    let end = raw.rfind('}')?;
    if end < start {
        return None;
    }
    serde_json::from_str(&raw[start..=end]).ok()
}

/// Reads `{corrected_text, corrections: [...]}` from a model's answer.
/// `None` means the answer was unusable (the caller warns and shows no corrections).
pub fn parse(raw: &str, original: &str) -> Option<(String, Vec<Correction>)> {
    let v = extract_json(raw)?;
    let items = v.get("corrections")?.as_array()?;
    let corrections: Vec<Correction> = items
        .iter()
        .filter_map(|item| serde_json::from_value::<Correction>(item.clone()).ok())
        .filter(|c| !c.original.trim().is_empty() && c.original.trim() != c.corrected.trim())
        .collect();
    let corrected = v
        .get("corrected_text")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| original.to_string());
    Some((corrected, corrections))
}

/// Common learner mistakes the rule-based corrector knows, per language.
fn known_mistakes(language: Language) -> &'static [(&'static str, &'static str, &'static str)] {
    match language {
        Language::Spanish => &[
            ("yo es", "yo soy", "With 'yo', the verb 'ser' is 'soy'."),
            (
                "yo tiene",
                "yo tengo",
                "With 'yo', the verb 'tener' is 'tengo'.",
            ),
            (
                "yo estas",
                "yo estoy",
                "With 'yo', the verb 'estar' is 'estoy'.",
            ),
        ],
        Language::French => &[
            (
                "je suis 20 ans",
                "j'ai 20 ans",
                "Age uses 'avoir' in French.",
            ),
            ("je va", "je vais", "With 'je', 'aller' is 'vais'."),
        ],
        Language::German => &[
            (
                "ich habe gegangen",
                "ich bin gegangen",
                "'gehen' forms the perfect with 'sein'.",
            ),
            ("ich bist", "ich bin", "With 'ich', 'sein' is 'bin'."),
        ],
        Language::Italian => &[(
            "io sono fame",
            "io ho fame",
            "Hunger uses 'avere' in Italian.",
        )],
        Language::Dutch => &[(
            "ik ben honger",
            "ik heb honger",
            "Hunger uses 'hebben' in Dutch.",
        )],
        Language::Portuguese => &[("eu é", "eu sou", "With 'eu', the verb 'ser' is 'sou'.")],
        Language::English => &[
            ("i is", "I am", "With 'I', the verb 'to be' is 'am'."),
            ("he go ", "he goes ", "Third person singular adds -s."),
        ],
    }
}

/// Deterministic corrections: known mistakes, a capital first letter and
/// final punctuation. Used by the demo tutor and the stand-in LLM.
pub fn rule_based(language: Language, text: &str) -> (String, Vec<Correction>) {
    let mut corrected = text.trim().to_string();
    let mut out = Vec::new();
    for (wrong, right, why) in known_mistakes(language) {
        let lower = corrected.to_lowercase();
        if let Some(pos) = lower.find(wrong) {
            if lower.is_char_boundary(pos) && corrected.is_char_boundary(pos + wrong.len()) {
                let original = corrected[pos..pos + wrong.len()].to_string();
                corrected.replace_range(pos..pos + wrong.len(), right);
                out.push(Correction {
                    original: original.trim().to_string(),
                    corrected: right.trim().to_string(),
                    explanation: why.to_string(),
                    kind: CorrectionKind::Grammar,
                });
            }
        }
    }
    if let Some(first) = corrected.chars().next() {
        if first.is_lowercase() {
            let word = corrected
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            let mut fixed: String = first.to_uppercase().collect();
            fixed.push_str(&corrected[first.len_utf8()..]);
            corrected = fixed;
            let fixed_word = corrected
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
            out.push(Correction {
                original: word,
                corrected: fixed_word,
                explanation: "A sentence starts with a capital letter.".into(),
                kind: CorrectionKind::Spelling,
            });
        }
    }
    if !corrected.is_empty() && !corrected.ends_with(['.', '!', '?', '…', '"', ')']) {
        let last = corrected
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .to_string();
        corrected.push('.');
        out.push(Correction {
            original: last.clone(),
            corrected: format!("{last}."),
            explanation: "A sentence ends with punctuation.".into(),
            kind: CorrectionKind::Punctuation,
        });
    }
    (corrected, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fenced_json_with_prose() {
        let raw = "Sure! Here you go:\n```json\n{\"corrected_text\": \"Yo soy Juan.\", \"corrections\": \
                   [{\"original\": \"yo es\", \"corrected\": \"yo soy\", \"explanation\": \"ser\", \"type\": \"grammar\"}]}\n```";
        let (text, c) = parse(raw, "yo es Juan").unwrap();
        assert_eq!(text, "Yo soy Juan.");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, CorrectionKind::Grammar);
    }

    #[test]
    fn unusable_answers_are_none_and_bad_items_are_dropped() {
        assert!(parse("I cannot help with that", "x").is_none());
        assert!(parse("{\"foo\": 1}", "x").is_none());
        let (text, c) = parse(
            "{\"corrections\": [{\"original\": \"a\"}, {\"original\": \"b\", \"corrected\": \"b\", \"explanation\": \"\", \"type\": \"style\"}]}",
            "orig",
        )
        .unwrap();
        assert_eq!(text, "orig");
        assert!(c.is_empty());
    }

    #[test]
    fn rule_based_fixes_known_mistakes_capitals_and_punctuation() {
        let (text, c) = rule_based(Language::Spanish, "yo es estudiante");
        assert_eq!(text, "Yo soy estudiante.");
        let kinds: Vec<_> = c.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                CorrectionKind::Grammar,
                CorrectionKind::Spelling,
                CorrectionKind::Punctuation
            ]
        );
        let (text, c) = rule_based(Language::English, "All good here.");
        assert_eq!(text, "All good here.");
        assert!(c.is_empty());
    }
}

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

/// Where `needle` (lower case) occurs in `text` ignoring case, as a byte range
/// of `text` itself. Lower-casing can change a character's length (`ẞ` is 3
/// bytes, `ß` 2), so positions in a lower-cased copy are not positions in the
/// text: each lower-cased byte remembers the character it came from. A match
/// that starts or ends inside one character's lower-case expansion is no match.
pub(crate) fn find_lowercase(text: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    let mut lower = String::with_capacity(text.len());
    // For each byte of `lower`: the start of its character in `text`, and
    // whether it begins that character's lower-case expansion.
    let mut origin: Vec<(usize, bool)> = Vec::with_capacity(text.len());
    for (i, ch) in text.char_indices() {
        let mut first = true;
        for low in ch.to_lowercase() {
            let before = lower.len();
            lower.push(low);
            origin.extend((before..lower.len()).map(|_| (i, first)));
            first = false;
        }
    }
    let mut from = 0;
    while let Some(found) = lower[from..].find(needle) {
        let (start, end) = (from + found, from + found + needle.len());
        let starts_clean = origin[start].1;
        let ends_clean = end == lower.len() || origin[end].1;
        if starts_clean && ends_clean {
            let text_end = if end == lower.len() {
                text.len()
            } else {
                origin[end].0
            };
            return Some(origin[start].0..text_end);
        }
        from = start + lower[start..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Deterministic corrections: known mistakes, a capital first letter and
/// final punctuation. Used by the demo tutor and the stand-in LLM. The edits
/// never overlap (a capital or a full stop that falls on a known mistake is
/// folded into its correction), so the corrected text is the learner's text
/// with each edit applied, as the checks compute it.
pub fn rule_based(language: Language, text: &str) -> (String, Vec<Correction>) {
    let text = text.trim();
    let mut edits: Vec<(std::ops::Range<usize>, Correction)> = Vec::new();
    for (wrong, right, why) in known_mistakes(language) {
        if let Some(at) = find_lowercase(text, wrong) {
            if edits
                .iter()
                .any(|(r, _)| r.start < at.end && at.start < r.end)
            {
                continue;
            }
            edits.push((
                at.clone(),
                Correction {
                    original: text[at].to_string(),
                    corrected: right.to_string(),
                    explanation: why.to_string(),
                    kind: CorrectionKind::Grammar,
                },
            ));
        }
    }
    if text.chars().next().is_some_and(char::is_lowercase) {
        let capital = |s: &str| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        };
        match edits.iter_mut().find(|(r, _)| r.start == 0) {
            Some((_, c)) => c.corrected = capital(&c.corrected),
            None => {
                let end = text.find(char::is_whitespace).unwrap_or(text.len());
                edits.push((
                    0..end,
                    Correction {
                        original: text[..end].to_string(),
                        corrected: capital(&text[..end]),
                        explanation: "A sentence starts with a capital letter.".into(),
                        kind: CorrectionKind::Spelling,
                    },
                ));
            }
        }
    }
    if !text.is_empty() && !text.ends_with(['.', '!', '?', '…', '"', ')']) {
        match edits.iter_mut().find(|(r, _)| r.end == text.len()) {
            Some((_, c)) => c.corrected.push('.'),
            None => {
                let start = text
                    .char_indices()
                    .rev()
                    .find(|(_, c)| c.is_whitespace())
                    .map_or(0, |(i, c)| i + c.len_utf8());
                edits.push((
                    start..text.len(),
                    Correction {
                        original: text[start..].to_string(),
                        corrected: format!("{}.", &text[start..]),
                        explanation: "A sentence ends with punctuation.".into(),
                        kind: CorrectionKind::Punctuation,
                    },
                ));
            }
        }
    }
    let corrected = super::checks::apply(text, &edits);
    edits.sort_by_key(|(r, _)| r.start);
    (corrected, edits.into_iter().map(|(_, c)| c).collect())
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
    fn text_whose_lower_case_changes_length_does_not_panic() {
        // Regression: `ẞ` (3 bytes) lower-cases to `ß` (2 bytes), and the
        // match found in the lower-cased copy sliced the original mid-character.
        let (text, c) = rule_based(Language::Spanish, "ẞéyo es estudiante");
        assert!(
            text.starts_with("ẞéyo soy estudiante") || text.starts_with("ẞéYo"),
            "{text}"
        );
        assert!(
            c.iter()
                .any(|c| c.original == "yo es" && c.corrected == "yo soy"),
            "{c:?}"
        );
        let (text, _) = rule_based(Language::Spanish, "İİİyo es");
        assert!(text.contains("yo soy"), "{text}");
        assert_eq!(find_lowercase("ẞYO ES", "yo es"), Some(3..8));
        assert_eq!(find_lowercase("abc", "yo es"), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Any text at all: no panic, and the corrected text is never empty
        /// for a non-empty message.
        #[test]
        fn rule_based_never_panics_on_any_text(text in "\\PC{0,40}", lang in 0usize..7) {
            let language = Language::ALL[lang];
            let (corrected, _) = rule_based(language, &text);
            if !text.trim().is_empty() {
                proptest::prop_assert!(!corrected.is_empty());
            }
        }

        /// Known mistakes in odd company: mixed case, combining marks, RTL.
        #[test]
        fn known_mistakes_are_found_among_any_characters(
            before in "[ẞİΣß\\u{301}\\u{200F}a-zA-Z ]{0,8}",
            after in "[ẞİΣß\\u{301}a-z ]{0,8}",
        ) {
            let text = format!("{before} yo es {after}");
            let (corrected, _) = rule_based(Language::Spanish, &text);
            proptest::prop_assert!(corrected.to_lowercase().contains("yo soy"), "{}", corrected);
        }

        /// The range found is always on character boundaries of the text.
        #[test]
        fn find_lowercase_returns_char_boundaries(text in "\\PC{0,30}", needle in "[a-zß ]{1,4}") {
            if let Some(r) = find_lowercase(&text, &needle) {
                proptest::prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                proptest::prop_assert_eq!(text[r].to_lowercase(), needle);
            }
        }
    }

    #[test]
    fn rule_based_fixes_known_mistakes_capitals_and_punctuation() {
        let (text, c) = rule_based(Language::Spanish, "yo es estudiante");
        assert_eq!(text, "Yo soy estudiante.");
        let kinds: Vec<_> = c.iter().map(|c| c.kind).collect();
        // The capital falls on the known mistake: folded into it.
        assert_eq!(
            kinds,
            [CorrectionKind::Grammar, CorrectionKind::Punctuation]
        );
        assert_eq!(c[0].corrected, "Yo soy");
        // The checks keep every edit and compute the same text.
        let rules = crate::tutor::checks::Rules {
            level: crate::domain::CefrLevel::A1,
            case_and_punctuation: true,
            weigh: false,
        };
        let checked = crate::tutor::checks::check("yo es estudiante", c, rules);
        assert!(checked.dropped.is_empty(), "{:?}", checked.dropped);
        assert_eq!(checked.corrected, "Yo soy estudiante.");
        let (text, c) = rule_based(Language::French, "ça va bien");
        assert_eq!(text, "Ça va bien.");
        assert_eq!(c.len(), 2);
        let (text, c) = rule_based(Language::English, "All good here.");
        assert_eq!(text, "All good here.");
        assert!(c.is_empty());
    }
}

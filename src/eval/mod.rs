//! The correction evaluation set (`data/eval/*.json`): learner sentences
//! per language with their reference corrections as edits, a third of them
//! already correct. Loaded and checked here; scored in [`score`], run
//! against a model by [`run`] (`babblr eval corrections`).

pub mod baseline;
pub mod run;
pub mod score;

use crate::api::CorrectionKind;
use crate::domain::{CefrLevel, Language};
use serde::Deserialize;

/// One language's sentences.
#[derive(Debug, Clone, Deserialize)]
pub struct EvalSet {
    pub language: Language,
    pub sentences: Vec<Sentence>,
}

/// A learner sentence and its reference edits (none when it is correct).
#[derive(Debug, Clone, Deserialize)]
pub struct Sentence {
    pub id: String,
    pub level: CefrLevel,
    pub text: String,
    pub edits: Vec<Edit>,
    #[serde(default)]
    pub note: String,
}

/// One reference edit: `original` at character offset `start` of the text.
#[derive(Debug, Clone, Deserialize)]
pub struct Edit {
    pub original: String,
    pub corrected: String,
    #[serde(rename = "type")]
    pub kind: CorrectionKind,
    pub start: usize,
}

/// The files, compiled in (the set is small: ~40 KB a language).
const FILES: [(&str, &str); 7] = [
    ("es", include_str!("../../data/eval/es.json")),
    ("fr", include_str!("../../data/eval/fr.json")),
    ("de", include_str!("../../data/eval/de.json")),
    ("it", include_str!("../../data/eval/it.json")),
    ("nl", include_str!("../../data/eval/nl.json")),
    ("pt", include_str!("../../data/eval/pt.json")),
    ("en", include_str!("../../data/eval/en.json")),
];

/// Every language's set, checked (see [`EvalSet::check`]).
pub fn load_all() -> Result<Vec<EvalSet>, String> {
    FILES
        .iter()
        .map(|(iso, json)| {
            let set: EvalSet =
                serde_json::from_str(json).map_err(|e| format!("data/eval/{iso}.json: {e}"))?;
            if set.language.iso() != *iso {
                return Err(format!("data/eval/{iso}.json holds {}", set.language));
            }
            set.check()
                .map_err(|e| format!("data/eval/{iso}.json: {e}"))?;
            Ok(set)
        })
        .collect()
}

impl Sentence {
    /// The text with every edit applied.
    pub fn corrected(&self) -> String {
        let mut chars: Vec<char> = self.text.chars().collect();
        let mut edits: Vec<&Edit> = self.edits.iter().collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.start));
        for e in edits {
            let end = e.start + e.original.chars().count();
            chars.splice(e.start..end, e.corrected.chars());
        }
        chars.into_iter().collect()
    }
}

impl EvalSet {
    /// At least 32 sentences, a third of them correct, unique ids, and every
    /// edit found where it says, not overlapping another, and not a no-op.
    pub fn check(&self) -> Result<(), String> {
        if self.sentences.len() < 32 {
            return Err(format!("{} sentences; at least 32", self.sentences.len()));
        }
        let correct = self.sentences.iter().filter(|s| s.edits.is_empty()).count();
        if correct * 3 < self.sentences.len() {
            return Err(format!("{correct} correct sentences; at least a third"));
        }
        let mut ids = std::collections::HashSet::new();
        for s in &self.sentences {
            if !ids.insert(&s.id) || !s.id.starts_with(self.language.iso()) {
                return Err(format!(
                    "id {} is repeated or lacks the language code",
                    s.id
                ));
            }
            let chars: Vec<char> = s.text.chars().collect();
            let mut spans: Vec<(usize, usize)> = Vec::new();
            for e in &s.edits {
                let end = e.start + e.original.chars().count();
                let found: String = chars.get(e.start..end).unwrap_or_default().iter().collect();
                if found != e.original || e.original == e.corrected {
                    return Err(format!("{}: edit {:?} does not apply", s.id, e.original));
                }
                if spans.iter().any(|&(a, b)| e.start < b && a < end) {
                    return Err(format!("{}: edits overlap", s.id));
                }
                spans.push((e.start, end));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_a_valid_set() {
        let sets = load_all().unwrap();
        assert_eq!(sets.len(), Language::ALL.len());
        let es = sets
            .iter()
            .find(|s| s.language == Language::Spanish)
            .unwrap();
        let s = es.sentences.iter().find(|s| s.edits.len() == 2).unwrap();
        assert_ne!(s.corrected(), s.text);
    }

    #[test]
    fn a_broken_edit_is_found() {
        let mut set = load_all().unwrap().remove(0);
        let s = set
            .sentences
            .iter_mut()
            .find(|s| !s.edits.is_empty())
            .unwrap();
        s.edits[0].start += 1;
        assert!(set.check().is_err());
    }
}

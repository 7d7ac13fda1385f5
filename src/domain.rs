//! Languages, CEFR levels and conversation topics: the vocabulary of the app.
//!
//! Compiles for the browser too, so the UI and the server validate the same way.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

/// A language the tutor teaches. Serialised by its English name in lower case (`spanish`), as the Python app this grew from did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Spanish,
    French,
    German,
    Italian,
    Dutch,
    Portuguese,
    English,
}

impl Language {
    /// Every language, in the order the UI lists them.
    pub const ALL: [Language; 7] = [
        Language::Spanish,
        Language::French,
        Language::German,
        Language::Italian,
        Language::Dutch,
        Language::Portuguese,
        Language::English,
    ];

    /// The name used in the API and the database (`spanish`).
    pub fn id(self) -> &'static str {
        match self {
            Language::Spanish => "spanish",
            Language::French => "french",
            Language::German => "german",
            Language::Italian => "italian",
            Language::Dutch => "dutch",
            Language::Portuguese => "portuguese",
            Language::English => "english",
        }
    }

    /// ISO 639-1 code (`es`), as Whisper and `speechSynthesis` want it.
    pub fn iso(self) -> &'static str {
        match self {
            Language::Spanish => "es",
            Language::French => "fr",
            Language::German => "de",
            Language::Italian => "it",
            Language::Dutch => "nl",
            Language::Portuguese => "pt",
            Language::English => "en",
        }
    }

    /// The English name, for prompts and labels (`Spanish`).
    pub fn english_name(self) -> &'static str {
        match self {
            Language::Spanish => "Spanish",
            Language::French => "French",
            Language::German => "German",
            Language::Italian => "Italian",
            Language::Dutch => "Dutch",
            Language::Portuguese => "Portuguese",
            Language::English => "English",
        }
    }

    /// The language's name for itself (`Español`).
    pub fn native_name(self) -> &'static str {
        match self {
            Language::Spanish => "Español",
            Language::French => "Français",
            Language::German => "Deutsch",
            Language::Italian => "Italiano",
            Language::Dutch => "Nederlands",
            Language::Portuguese => "Português",
            Language::English => "English",
        }
    }

    /// Parses a name (`spanish`, `Spanish`) or an ISO code (`es`).
    pub fn parse(s: &str) -> Option<Language> {
        let s = s.trim().to_ascii_lowercase();
        Language::ALL
            .into_iter()
            .find(|l| l.id() == s || l.iso() == s)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A CEFR level, A1 (beginner) to C2 (mastery).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CefrLevel {
    A1,
    A2,
    B1,
    B2,
    C1,
    C2,
}

impl CefrLevel {
    /// Every level, easiest first.
    pub const ALL: [CefrLevel; 6] = [
        CefrLevel::A1,
        CefrLevel::A2,
        CefrLevel::B1,
        CefrLevel::B2,
        CefrLevel::C1,
        CefrLevel::C2,
    ];

    /// `A1` … `C2`.
    pub fn id(self) -> &'static str {
        match self {
            CefrLevel::A1 => "A1",
            CefrLevel::A2 => "A2",
            CefrLevel::B1 => "B1",
            CefrLevel::B2 => "B2",
            CefrLevel::C1 => "C1",
            CefrLevel::C2 => "C2",
        }
    }

    /// A short English label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            CefrLevel::A1 => "A1 · Beginner",
            CefrLevel::A2 => "A2 · Elementary",
            CefrLevel::B1 => "B1 · Intermediate",
            CefrLevel::B2 => "B2 · Upper intermediate",
            CefrLevel::C1 => "C1 · Advanced",
            CefrLevel::C2 => "C2 · Mastery",
        }
    }

    /// Parses `A1`…`C2`, any case.
    pub fn parse(s: &str) -> Option<CefrLevel> {
        let s = s.trim().to_ascii_uppercase();
        CefrLevel::ALL.into_iter().find(|l| l.id() == s)
    }

    /// Parses a correction limit: a level, or `off` / `0` / `none` for no
    /// correction (`Some(None)`); `None` when it is neither. One rule for the
    /// server's setting and a learner's own.
    pub fn parse_limit(s: &str) -> Option<Option<CefrLevel>> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "0" | "none" => Some(None),
            other => CefrLevel::parse(other).map(Some),
        }
    }
}

impl fmt::Display for CefrLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A topic's text in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicText {
    pub name: String,
    pub description: String,
    /// Opening lines the tutor can use in this language.
    pub starters: Vec<String>,
}

/// A conversation topic with its role-play and per-language texts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    pub id: String,
    /// The level the topic suits best; any level may still choose it.
    pub level_hint: CefrLevel,
    /// The scene the tutor plays, in English (it goes into the prompt).
    pub roleplay: String,
    /// Texts keyed by language id (`spanish`).
    pub i18n: BTreeMap<Language, TopicText>,
}

impl Topic {
    /// The topic's text in `lang`, falling back to English.
    pub fn text(&self, lang: Language) -> &TopicText {
        self.i18n
            .get(&lang)
            .or_else(|| self.i18n.get(&Language::English))
            .or_else(|| self.i18n.values().next())
            .expect("topics are validated to have every language")
    }
}

/// The topic catalogue, written by us and kept in `data/topics.json`.
pub const TOPICS_JSON: &str = include_str!("../data/topics.json");

/// All topics, parsed once.
pub fn topics() -> &'static [Topic] {
    static TOPICS: OnceLock<Vec<Topic>> = OnceLock::new();
    TOPICS.get_or_init(|| parse_topics(TOPICS_JSON).expect("data/topics.json is valid (tested)"))
}

/// Looks a topic up by id.
pub fn topic(id: &str) -> Option<&'static Topic> {
    topics().iter().find(|t| t.id == id.trim())
}

/// Parses and validates a topic catalogue: unique ids, every language present
/// with a name, a description and at least one starter.
pub fn parse_topics(json: &str) -> Result<Vec<Topic>, String> {
    let topics: Vec<Topic> = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let mut seen = std::collections::BTreeSet::new();
    for t in &topics {
        if !seen.insert(t.id.as_str()) {
            return Err(format!("topic '{}' appears twice", t.id));
        }
        if t.roleplay.trim().is_empty() {
            return Err(format!("topic '{}' has no role-play", t.id));
        }
        for lang in Language::ALL {
            let text = t
                .i18n
                .get(&lang)
                .ok_or_else(|| format!("topic '{}' lacks {lang}", t.id))?;
            if text.name.trim().is_empty()
                || text.description.trim().is_empty()
                || text.starters.iter().all(|s| s.trim().is_empty())
            {
                return Err(format!("topic '{}' has empty {lang} text", t.id));
            }
        }
    }
    Ok(topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_every_language_for_every_topic() {
        let topics = parse_topics(TOPICS_JSON).unwrap();
        assert!(topics.len() >= 17, "only {} topics", topics.len());
        for id in [
            "greetings",
            "restaurant",
            "travel",
            "shopping",
            "work",
            "family",
            "health",
            "hobbies",
        ] {
            assert!(topic(id).is_some(), "missing topic {id}");
        }
    }

    #[test]
    fn validation_rejects_a_missing_language() {
        let json = r#"[{"id":"x","level_hint":"A1","roleplay":"r","i18n":{"english":{"name":"n","description":"d","starters":["s"]}}}]"#;
        let err = parse_topics(json).unwrap_err();
        assert!(err.contains("lacks spanish"), "{err}");
    }

    #[test]
    fn languages_parse_by_name_and_iso_code() {
        assert_eq!(Language::parse("spanish"), Some(Language::Spanish));
        assert_eq!(Language::parse("ES"), Some(Language::Spanish));
        assert_eq!(Language::parse("nl"), Some(Language::Dutch));
        assert_eq!(Language::parse("klingon"), None);
        assert_eq!(CefrLevel::parse("b2"), Some(CefrLevel::B2));
        assert_eq!(CefrLevel::parse("D1"), None);
    }
}

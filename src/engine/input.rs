//! What a request says, parsed once at the edge (server functions and
//! routes) into the typed values engine methods take. Every field has one
//! parser and one wording for its error, whichever route it came through.

use crate::api::{LearnerPrefs, Rating};
use crate::config::Config;
use crate::domain::{topic as find_topic, CefrLevel, Language, Topic};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// A language by name or ISO code (`spanish`, `es`).
pub fn language(field: &'static str, raw: &str) -> Result<Language> {
    Language::parse(raw).ok_or_else(|| {
        let known: Vec<_> = Language::ALL.iter().map(|l| l.id()).collect();
        Error::invalid(
            field,
            format!(
                "unknown language '{}'; expected one of {}",
                raw.trim(),
                known.join(", ")
            ),
        )
    })
}

/// A language that may be left out (or sent empty).
pub fn optional_language(field: &'static str, raw: Option<&str>) -> Result<Option<Language>> {
    match raw.map(str::trim).filter(|l| !l.is_empty()) {
        None => Ok(None),
        Some(l) => language(field, l).map(Some),
    }
}

/// A CEFR level, `A1`…`C2`.
pub fn level(field: &'static str, raw: &str) -> Result<CefrLevel> {
    CefrLevel::parse(raw).ok_or_else(|| {
        Error::invalid(
            field,
            format!(
                "unknown level '{}'; expected A1, A2, B1, B2, C1 or C2",
                raw.trim()
            ),
        )
    })
}

/// A level that may be left out.
pub fn optional_level(field: &'static str, raw: Option<&str>) -> Result<Option<CefrLevel>> {
    raw.map(|l| level(field, l)).transpose()
}

/// A topic of the catalogue, by id.
pub fn topic(raw: &str) -> Result<&'static Topic> {
    find_topic(raw.trim()).ok_or_else(|| {
        Error::invalid(
            "topic_id",
            format!("unknown topic '{}'; GET /topics lists them", raw.trim()),
        )
    })
}

/// A stored row's id: positive.
pub fn id(field: &'static str, id: i64) -> Result<i64> {
    if id <= 0 {
        return Err(Error::invalid(
            field,
            format!("must be a positive id (got {id})"),
        ));
    }
    Ok(id)
}

/// An id written in a URL path or query.
pub fn id_text(field: &'static str, raw: &str) -> Result<i64> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("'{}' is not a positive integer id", raw.trim()),
            )
        })
}

/// A review rating: `again`, `hard`, `good`, `easy` or 1–4.
pub fn rating(field: &'static str, raw: &serde_json::Value) -> Result<Rating> {
    let text = match raw {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    Rating::parse(&text).ok_or_else(|| {
        Error::invalid(
            field,
            format!("{raw} is not a rating; expected again, hard, good or easy (or 1–4)"),
        )
    })
}

/// A typed answer: a string.
pub fn answer_text<'a>(field: &'static str, raw: &'a serde_json::Value) -> Result<&'a str> {
    raw.as_str()
        .ok_or_else(|| Error::invalid(field, format!("must be a string (got {})", json_kind(raw))))
}

/// Answers by question id: an object of strings.
pub fn answers(field: &'static str, raw: &serde_json::Value) -> Result<BTreeMap<String, String>> {
    let object = raw.as_object().ok_or_else(|| {
        Error::invalid(
            field,
            format!(
                "must be an object of question id → answer (got {})",
                json_kind(raw)
            ),
        )
    })?;
    object
        .iter()
        .map(|(id, a)| match a.as_str() {
            Some(a) => Ok((id.clone(), a.to_string())),
            None => Err(Error::invalid(
                field,
                format!("the answer to {id} must be a string"),
            )),
        })
        .collect()
}

/// Ratings by word: an object of ratings (may be left out).
pub fn ratings(
    field: &'static str,
    raw: Option<&serde_json::Value>,
) -> Result<BTreeMap<String, Rating>> {
    let Some(raw) = raw.filter(|r| !r.is_null()) else {
        return Ok(BTreeMap::new());
    };
    let object = raw.as_object().ok_or_else(|| {
        Error::invalid(
            field,
            format!(
                "must be an object of word → rating (got {})",
                json_kind(raw)
            ),
        )
    })?;
    object
        .iter()
        .map(|(w, r)| Ok((w.clone(), rating(field, r)?)))
        .collect()
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A learner's settings over the server's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefs {
    /// The learner's own language, for translations and explanations.
    pub native: Language,
    /// Correct messages at levels up to this one; `None`: no correction.
    pub correction_max: Option<CefrLevel>,
}

impl Prefs {
    /// The learner's settings, each field left out taking the server's default.
    pub fn resolve(raw: &LearnerPrefs, config: &Config) -> Result<Prefs> {
        let native = optional_language("native_language", raw.native_language.as_deref())?
            .unwrap_or(config.native_language);
        let correction_max = match raw
            .correction_max_level
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            None => config.correction_max_level,
            Some(l) => CefrLevel::parse_limit(l).ok_or_else(|| {
                Error::invalid(
                    "correction_max_level",
                    format!("'{l}' is not A1..C2 or off"),
                )
            })?,
        };
        Ok(Prefs {
            native,
            correction_max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_one_wording() {
        let e = language("language", "klingon").unwrap_err().to_api();
        assert_eq!(e.field.as_deref(), Some("language"));
        assert!(
            e.message.contains("expected one of spanish"),
            "{}",
            e.message
        );
        assert_eq!(optional_language("language", Some(" ")).unwrap(), None);
        assert_eq!(level("difficulty_level", "b2").unwrap(), CefrLevel::B2);
        assert!(topic("mars").is_err());
        assert!(id("conversation_id", 0).is_err());
        assert_eq!(id_text("conversation_id", " 7 ").unwrap(), 7);
        assert!(id_text("conversation_id", "abc").is_err());
    }

    #[test]
    fn correction_off_is_parsed_alike_in_settings_and_requests() {
        let config = Config::from_lookup(|_| None).unwrap();
        for off in ["off", "0", "none", "OFF"] {
            let p = Prefs::resolve(
                &LearnerPrefs {
                    native_language: None,
                    correction_max_level: Some(off.into()),
                },
                &config,
            )
            .unwrap();
            assert_eq!(p.correction_max, None, "{off}");
            let c = Config::from_lookup(|k| {
                (k == "BABBLR_CORRECTION_MAX_LEVEL").then(|| off.to_string())
            })
            .unwrap();
            assert_eq!(c.correction_max_level, None, "{off}");
        }
    }
}

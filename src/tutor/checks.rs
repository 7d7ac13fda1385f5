//! What a model proposes as corrections is checked against what the learner
//! wrote before anyone sees it. Small models name text the learner never
//! wrote, rewrite the sentence into another one, or "fix" what was right; a
//! wrong correction teaches a mistake, so such an edit is dropped (counted in
//! `babblr_corrections_dropped_total` and logged at debug, never shown). The
//! corrected text is the learner's text with the kept edits applied, never
//! the model's own rewrite.

use crate::api::Correction;
use crate::domain::CefrLevel;
use crate::eval::score;

/// Why a proposed edit was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Its `original` is not in the learner's text.
    NotInText,
    /// It changes nothing.
    NoChange,
    /// It overlaps an edit already kept.
    Overlap,
    /// With it, the text would be another sentence (too far for the level).
    Rewrite,
    /// It changes only case or punctuation, and those are not corrected.
    CaseOrPunctuation,
    /// It only removes words (that a model left a word out does not make
    /// the learner's word wrong); a word written twice may go.
    Deletion,
    /// The model itself finds the learner's text likelier without it
    /// ([`super::weigh`]).
    Unlikely,
}

impl Dropped {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Dropped::NotInText => "not_in_text",
            Dropped::NoChange => "no_change",
            Dropped::Overlap => "overlap",
            Dropped::Rewrite => "rewrite",
            Dropped::CaseOrPunctuation => "case_or_punctuation",
            Dropped::Deletion => "deletion",
            Dropped::Unlikely => "unlikely",
        }
    }
}

/// How strict the checks are.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub level: CefrLevel,
    /// Keep edits that change only case or punctuation.
    pub case_and_punctuation: bool,
    /// Keep an edit only if the model finds the text likelier with it,
    /// where the model can tell ([`super::weigh`]).
    pub weigh: bool,
}

impl Rules {
    /// How far (changed characters over the text's, beyond six) the
    /// corrected text may move from the learner's: beginners make more
    /// mistakes a sentence.
    fn max_distance(&self) -> f64 {
        match self.level {
            CefrLevel::A1 => 0.5,
            CefrLevel::A2 => 0.45,
            CefrLevel::B1 => 0.4,
            _ => 0.35,
        }
    }
}

/// The result: what is shown, and what was dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub corrected: String,
    pub corrections: Vec<Correction>,
    /// Where each correction lies in the learner's text (byte ranges), in
    /// the same order.
    pub spans: Vec<Range>,
    pub dropped: Vec<(Correction, Dropped)>,
}

/// Longest explanation shown, in characters (cut at a sentence end).
const MAX_EXPLANATION: usize = 200;

/// Checks `proposed` against `text` (see the module docs).
pub fn check(text: &str, proposed: Vec<Correction>, rules: Rules) -> Checked {
    check_at(
        text,
        proposed.into_iter().map(|c| (None, c)).collect(),
        rules,
    )
}

/// Counts and logs a dropped edit.
pub(super) fn note_dropped(c: &Correction, why: Dropped) {
    tracing::debug!(original = %c.original, corrected = %c.corrected, why = why.as_str(), "correction dropped");
    metrics::counter!("babblr_corrections_dropped_total", "reason" => why.as_str()).increment(1);
}

/// A byte range of the learner's text.
pub type Range = std::ops::Range<usize>;

/// Checks corrections whose place in `text` may already be known.
pub(super) fn check_at(
    text: &str,
    proposed: Vec<(Option<Range>, Correction)>,
    rules: Rules,
) -> Checked {
    let mut kept: Vec<(std::ops::Range<usize>, Correction)> = Vec::new();
    let mut dropped = Vec::new();
    for (known, mut c) in proposed {
        c.original = c.original.trim().to_string();
        c.corrected = c.corrected.trim().to_string();
        let verdict = known
            .or_else(|| locate(text, &c.original, &kept))
            .ok_or(Dropped::NotInText)
            .and_then(|range| {
                if c.original == c.corrected {
                    return Err(Dropped::NoChange);
                }
                if !rules.case_and_punctuation && letters(&c.original) == letters(&c.corrected) {
                    return Err(Dropped::CaseOrPunctuation);
                }
                // Numbers are facts, not grammar: "achttien" → "10" or
                // "2" → "3" says something else.
                let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
                if digits(&c.original) != digits(&c.corrected) {
                    return Err(Dropped::Rewrite);
                }
                if kept
                    .iter()
                    .any(|(r, _)| r.start < range.end && range.start < r.end)
                {
                    return Err(Dropped::Overlap);
                }
                let mut trial = kept.clone();
                trial.push((range.clone(), c.clone()));
                // Six characters are always allowed (short sentences).
                let changed = score::char_edits(text, &apply(text, &trial));
                let allowed = rules.max_distance() * text.chars().count() as f64;
                if changed > 6 && changed as f64 > allowed {
                    return Err(Dropped::Rewrite);
                }
                Ok(range)
            });
        match verdict {
            Ok(range) => {
                c.explanation = bounded(&c.explanation);
                kept.push((range, c));
            }
            Err(why) => {
                note_dropped(&c, why);
                dropped.push((c, why));
            }
        }
    }
    kept.sort_by_key(|(r, _)| r.start);
    Checked::of(text, kept, dropped)
}

impl Checked {
    /// The result of keeping `kept` (in text order) and dropping `dropped`.
    pub(super) fn of(
        text: &str,
        kept: Vec<(Range, Correction)>,
        dropped: Vec<(Correction, Dropped)>,
    ) -> Checked {
        Checked {
            corrected: apply(text, &kept),
            spans: kept.iter().map(|(r, _)| r.clone()).collect(),
            corrections: kept.into_iter().map(|(_, c)| c).collect(),
            dropped,
        }
    }
}

/// Where `original` is in `text`, not inside an edit already kept: as
/// written, or else ignoring case.
fn locate(
    text: &str,
    original: &str,
    kept: &[(std::ops::Range<usize>, Correction)],
) -> Option<std::ops::Range<usize>> {
    if original.is_empty() {
        return None;
    }
    let free =
        |r: &std::ops::Range<usize>| !kept.iter().any(|(k, _)| k.start < r.end && r.start < k.end);
    let exact = text
        .match_indices(original)
        .map(|(i, m)| i..i + m.len())
        .find(free);
    exact
        .or_else(|| super::corrections::find_lowercase(text, &original.to_lowercase()).filter(free))
}

/// `text` with the edits (non-overlapping, in any order) applied.
pub(super) fn apply(text: &str, edits: &[(std::ops::Range<usize>, Correction)]) -> String {
    let mut sorted: Vec<_> = edits.iter().collect();
    sorted.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut out = text.to_string();
    for (range, c) in sorted {
        out.replace_range(range.clone(), &c.corrected);
    }
    out
}

/// Letters and digits only, lower case: what is left when case and
/// punctuation are ignored.
pub(super) fn letters(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The explanation, trimmed, at most [`MAX_EXPLANATION`] characters, cut
/// after a whole sentence when it is longer.
fn bounded(explanation: &str) -> String {
    let e = explanation.trim();
    if e.chars().count() <= MAX_EXPLANATION {
        return e.to_string();
    }
    let cut: String = e.chars().take(MAX_EXPLANATION).collect();
    match cut.rfind(['.', '!', '?']) {
        Some(end) if end > 20 => cut[..=end].to_string(),
        _ => format!("{}…", cut.trim_end()),
    }
}

/// A proposed correction without an explanation (for tests).
#[cfg(test)]
pub(super) fn correction(
    original: &str,
    corrected: &str,
    kind: crate::api::CorrectionKind,
) -> Correction {
    Correction {
        original: original.into(),
        corrected: corrected.into(),
        explanation: String::new(),
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CorrectionKind::Grammar;

    const A1: Rules = Rules {
        level: CefrLevel::A1,
        case_and_punctuation: true,
        weigh: false,
    };

    #[test]
    fn kept_edits_are_applied_to_the_learners_text() {
        let text = "Hola, yo quiero un mesa para dos persona";
        let c = check(
            text,
            vec![
                correction("persona", "personas", Grammar),
                correction("un mesa", "una mesa", Grammar),
            ],
            A1,
        );
        assert_eq!(c.corrected, "Hola, yo quiero una mesa para dos personas");
        assert!(c.dropped.is_empty());
        assert_eq!(c.corrections[0].original, "un mesa", "in text order");
    }

    #[test]
    fn text_the_learner_never_wrote_is_dropped() {
        let c = check(
            "Yo soy hambre",
            vec![
                correction("Yo estoy hambre", "Tengo hambre", Grammar),
                correction("soy", "tengo", Grammar),
            ],
            A1,
        );
        assert_eq!(c.corrected, "Yo tengo hambre");
        assert_eq!(c.dropped[0].1, Dropped::NotInText);
    }

    #[test]
    fn a_rewrite_into_another_sentence_is_dropped() {
        let text = "¿Que tiene usted de postre? Yo gusta el chocolate";
        let c = check(
            text,
            vec![correction(
                text,
                "Yo estoy interesado en el chocolate",
                Grammar,
            )],
            A1,
        );
        assert_eq!(c.corrected, text);
        assert_eq!(c.dropped[0].1, Dropped::Rewrite);
    }

    #[test]
    fn case_punctuation_overlaps_and_no_ops_follow_the_rules() {
        let text = "hola como estas";
        let proposed = vec![
            correction("hola", "Hola", Grammar),
            correction("como", "cómo", Grammar),
            correction("cómo estas", "cómo estás", Grammar),
            correction("estas", "estas", Grammar),
        ];
        let strict = Rules {
            level: CefrLevel::B1,
            case_and_punctuation: false,
            weigh: false,
        };
        let c = check(text, proposed.clone(), strict);
        let why: Vec<Dropped> = c.dropped.iter().map(|d| d.1).collect();
        assert_eq!(
            why,
            [
                Dropped::CaseOrPunctuation,
                Dropped::NotInText,
                Dropped::NoChange
            ]
        );
        assert_eq!(c.corrected, "hola cómo estas");
        // With case and punctuation kept, the capital stays.
        let c = check(text, proposed, A1);
        assert!(c.corrected.starts_with("Hola cómo"), "{}", c.corrected);
    }

    #[test]
    fn numbers_are_not_corrected() {
        let c = check(
            "Mijn broer is achttien jaar",
            vec![correction("achttien", "10", Grammar)],
            A1,
        );
        assert_eq!(c.dropped[0].1, Dropped::Rewrite);
        assert_eq!(c.corrected, "Mijn broer is achttien jaar");
    }

    #[test]
    fn a_long_explanation_is_cut_at_a_sentence() {
        let mut long = correction("es", "soy", Grammar);
        long.explanation = format!("With 'yo' use 'soy'. {}", "More words here. ".repeat(30));
        let c = check("Yo es Ana", vec![long], A1);
        let e = &c.corrections[0].explanation;
        assert!(
            e.chars().count() <= MAX_EXPLANATION && e.ends_with('.'),
            "{e}"
        );
    }
}

//! A model's rewrite of the learner's message, turned into edits: the two
//! are aligned word by word (ignoring case), each changed stretch becomes a
//! correction, explained by the model's own listed correction for it when
//! there is one, and the edits go through the same checks as listed ones
//! ([`super::checks`]). Words the model only left out are not taken.

use super::checks::{check_at, letters, note_dropped, Checked, Dropped, Range, Rules};
use crate::api::{Correction, CorrectionKind};
use crate::eval::score;

/// The model's rewrite of `text` as edits: the two are aligned word by word
/// and each changed stretch becomes a correction, explained by the model's
/// own listed correction for it when there is one. Then checked like
/// [`check`]. A small model rewrites a sentence far better than it lists
/// its edits; the checks keep the rewrite from becoming another sentence.
pub fn check_rewrite(text: &str, rewrite: &str, listed: &[Correction], rules: Rules) -> Checked {
    let (src, tgt) = (score::token_spans(text), score::token_spans(rewrite));
    let words = |t: &str, spans: &[Range]| -> Vec<String> {
        spans.iter().map(|r| t[r.clone()].to_string()).collect()
    };
    let (a, b) = (words(text, &src), words(rewrite, &tgt));
    // Aligned ignoring case: a model that leaves out a sentence's first
    // words capitalises the next one, which is no mistake of the learner's.
    let lower = |w: &Vec<String>| -> Vec<String> { w.iter().map(|x| x.to_lowercase()).collect() };
    let aligned = score::align_split(&lower(&a), &lower(&b), true);
    let mut found = Vec::new();
    let mut deletions = Vec::new();
    for (mut s, mut t) in aligned.clone() {
        let is_word = |w: &str| w.chars().any(char::is_alphanumeric);
        if t.is_empty() && a[s.clone()].iter().any(|w| is_word(w)) {
            let repeated =
                s.start > 0 && a[s.start - 1].to_lowercase() == a[s.start].to_lowercase();
            if !repeated {
                let range = src[s.start].start..src[s.end - 1].end;
                deletions.push(Correction {
                    original: text[range].to_string(),
                    corrected: String::new(),
                    explanation: String::new(),
                    kind: CorrectionKind::Grammar,
                });
                continue;
            }
        }
        // An insertion or a deletion takes a neighbouring word along, so
        // that it names something the learner wrote ("estudiante" →
        // "estudiante.").
        if s.is_empty() || t.is_empty() {
            if s.start > 0 && t.start > 0 {
                // Back to the previous word, past punctuation.
                loop {
                    s.start -= 1;
                    t.start -= 1;
                    if is_word(&a[s.start]) || s.start == 0 || t.start == 0 {
                        break;
                    }
                }
            } else if s.end < a.len() && t.end < b.len() {
                s.end += 1;
                t.end += 1;
            }
        }
        if s.is_empty() || t.is_empty() {
            continue; // the whole text added or removed: not a correction
        }
        let range = src[s.start].start..src[s.end - 1].end;
        let corrected = rewrite[tgt[t.start].start..tgt[t.end - 1].end].to_string();
        let original = text[range.clone()].to_string();
        let explained = listed.iter().find(|c| {
            let (o, k) = (c.original.to_lowercase(), c.corrected.to_lowercase());
            !o.is_empty()
                && (o.contains(&original.to_lowercase()) || original.to_lowercase().contains(&o))
                && (k.contains(&corrected.to_lowercase()) || corrected.to_lowercase().contains(&k))
        });
        let kind = explained.map_or_else(|| guess_kind(&original, &corrected), |c| c.kind);
        found.push((
            Some(range),
            Correction {
                original,
                corrected,
                explanation: explained.map(|c| c.explanation.clone()).unwrap_or_default(),
                kind,
            },
        ));
    }
    // A capital letter for the first word, when that was the only change
    // there: joined to an edit that follows it at once ("yo es" → "Yo soy").
    if let (Some(first), Some(fixed)) = (a.first(), b.first()) {
        let untouched = aligned
            .first()
            .is_none_or(|(s, t)| s.start > 0 && t.start > 0);
        if untouched && first != fixed && first.to_lowercase() == fixed.to_lowercase() {
            let after = src[0].end;
            let next = found.iter_mut().find(|(r, _)| {
                r.as_ref()
                    .is_some_and(|r| r.start >= after && text[after..r.start].trim().is_empty())
            });
            match next {
                Some((Some(r), c)) => {
                    c.original = text[..r.end].to_string();
                    c.corrected = format!("{fixed}{}{}", &text[after..r.start], c.corrected);
                    *r = 0..r.end;
                }
                _ => found.insert(
                    0,
                    (
                        Some(src[0].clone()),
                        Correction {
                            original: first.clone(),
                            corrected: fixed.clone(),
                            explanation: "A sentence starts with a capital letter.".into(),
                            kind: CorrectionKind::Spelling,
                        },
                    ),
                ),
            }
        }
    }
    let mut checked = check_at(text, found, rules);
    for c in deletions {
        note_dropped(&c, Dropped::Deletion);
        checked.dropped.push((c, Dropped::Deletion));
    }
    checked
}

/// The kind of an edit nobody explained: spelling when only accents, case
/// or a letter or two differ, punctuation when only punctuation does.
fn guess_kind(original: &str, corrected: &str) -> CorrectionKind {
    if letters(original) == letters(corrected) {
        return CorrectionKind::Punctuation;
    }
    let plain = |s: &str| crate::text::strip_accents(&letters(s));
    if plain(original) == plain(corrected) || score::char_edits(original, corrected) == 1 {
        CorrectionKind::Spelling
    } else {
        CorrectionKind::Grammar
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CefrLevel;
    use crate::tutor::checks::correction;
    use CorrectionKind::Grammar;

    const A1: Rules = Rules {
        level: CefrLevel::A1,
        case_and_punctuation: true,
        weigh: false,
    };

    #[test]
    fn a_rewrite_becomes_edits_explained_by_the_models_list() {
        let text = "Hola, yo quiero un mesa para dos persona";
        let listed = vec![Correction {
            explanation: "'mesa' is feminine.".into(),
            ..correction("un", "una", Grammar)
        }];
        let c = check_rewrite(
            text,
            "Hola, quiero una mesa para dos personas.",
            &listed,
            A1,
        );
        // "yo" left out is style, not a mistake: not taken.
        assert_eq!(c.corrected, "Hola, yo quiero una mesa para dos personas.");
        let pairs: Vec<(&str, &str)> = c
            .corrections
            .iter()
            .map(|c| (c.original.as_str(), c.corrected.as_str()))
            .collect();
        assert_eq!(pairs, [("un", "una"), ("persona", "personas.")]);
        assert_eq!(c.corrections[0].explanation, "'mesa' is feminine.");
        assert_eq!(guess_kind("papa", "papá"), CorrectionKind::Spelling);
        // A capital letter joins the edit next to it.
        let c = check_rewrite("yo es estudiante", "Yo soy estudiante.", &[], A1);
        let pairs: Vec<(&str, &str)> = c
            .corrections
            .iter()
            .map(|c| (c.original.as_str(), c.corrected.as_str()))
            .collect();
        assert_eq!(pairs, [("yo es", "Yo soy"), ("estudiante", "estudiante.")]);
        let c = check_rewrite("hola Ana", "Hola Ana.", &[], A1);
        assert_eq!(c.corrections[0].original, "hola Ana");
        assert_eq!(c.corrected, "Hola Ana.");
        // Words a model left out are not mistakes; a repeated word is.
        let c = check_rewrite(
            "Hier, je suis allé au marché",
            "Je suis allé au marché",
            &[],
            A1,
        );
        assert_eq!(c.corrected, "Hier, je suis allé au marché");
        assert!(c.dropped.iter().any(|d| d.1 == Dropped::Deletion));
        let c = check_rewrite("Yo yo soy Ana", "Yo soy Ana", &[], A1);
        assert_eq!(c.corrected, "Yo soy Ana");
        // A rewrite into another sentence keeps nothing of it.
        let text = "Yo gusta el chocolate";
        let c = check_rewrite(text, "Estoy interesado en un postre de fresa", &[], A1);
        assert_eq!(c.corrected, text);
        assert!(!c.dropped.is_empty());
    }
}

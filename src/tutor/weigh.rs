//! A second opinion on each edit, from the model's own likelihoods. A small
//! model asked to correct a sentence "fixes" right words too (Portuguese
//! `cozinhar` → `cozinar`), yet the same model, reading both sentences,
//! finds the learner's right one likelier. So each checked edit is applied
//! alone and kept only when the model finds the text likelier with it than
//! without it (Bryant & Briscoe's language-model check for grammatical error
//! correction, 2018). Only providers that can score text do this (the
//! built-in model); for the others the edits stand as checked.

use super::checks::{apply, note_dropped, Checked, Dropped};
use crate::domain::Language;
use crate::llm::{Llm, Turn};

/// How much likelier (natural log) the text must be with an edit than
/// without it: any gain keeps it.
const MARGIN: f64 = 0.0;

/// `checked` without the edits the model finds unlikely (see the module
/// docs). When the model cannot score, every edit stays.
pub async fn keep_likely(llm: &Llm, language: Language, text: &str, checked: Checked) -> Checked {
    if checked.corrections.is_empty() {
        return checked;
    }
    let prompt = [Turn::user(format!(
        "Write a short message in {}.",
        language.english_name()
    ))];
    let mut answers = vec![text.to_string()];
    answers.extend(alone(text, &checked));
    match llm.score(&prompt, &answers).await {
        Ok(Some(scores)) => keep_gains(text, checked, &scores),
        Ok(None) => checked,
        Err(e) => {
            tracing::warn!(error = %e, "the corrections could not be weighed; kept as checked");
            checked
        }
    }
}

/// The text with each edit applied alone, in the edits' order.
fn alone(text: &str, checked: &Checked) -> Vec<String> {
    checked
        .spans
        .iter()
        .zip(&checked.corrections)
        .map(|(span, c)| apply(text, &[(span.clone(), c.clone())]))
        .collect()
}

/// Keeps edit `i` when `scores[i + 1]` (the text with it) beats
/// `scores[0]` (the text as written) by more than [`MARGIN`].
fn keep_gains(text: &str, checked: Checked, scores: &[f64]) -> Checked {
    let Checked {
        corrections,
        spans,
        mut dropped,
        ..
    } = checked;
    let mut kept = Vec::new();
    for (i, (span, c)) in spans.into_iter().zip(corrections).enumerate() {
        match scores.get(i + 1) {
            Some(with) if *with - scores[0] <= MARGIN => {
                tracing::debug!(gain = with - scores[0], "an edit the model finds unlikely");
                note_dropped(&c, Dropped::Unlikely);
                dropped.push((c, Dropped::Unlikely));
            }
            _ => kept.push((span, c)),
        }
    }
    Checked::of(text, kept, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::CorrectionKind::{Grammar, Spelling};
    use crate::domain::CefrLevel;
    use crate::tutor::checks::{check, correction, Rules};

    #[test]
    fn an_edit_stays_only_when_the_model_finds_the_text_likelier_with_it() {
        let text = "Eu gosto de cozinhar e quero um mesa";
        let rules = Rules {
            level: CefrLevel::A1,
            case_and_punctuation: true,
            weigh: true,
        };
        let checked = check(
            text,
            vec![
                correction("cozinhar", "cozinar", Spelling),
                correction("um mesa", "uma mesa", Grammar),
            ],
            rules,
        );
        assert_eq!(
            alone(text, &checked),
            [
                "Eu gosto de cozinar e quero um mesa",
                "Eu gosto de cozinhar e quero uma mesa"
            ]
        );
        // The first edit makes the text less likely, the second more.
        let c = keep_gains(text, checked.clone(), &[-40.0, -47.5, -36.0]);
        assert_eq!(c.corrected, "Eu gosto de cozinhar e quero uma mesa");
        assert_eq!(c.corrections.len(), 1);
        assert_eq!(c.corrections[0].corrected, "uma mesa");
        let at = text.find("um mesa").unwrap();
        assert_eq!(c.spans, vec![at..text.len()]);
        assert_eq!(
            c.dropped,
            [(checked.corrections[0].clone(), Dropped::Unlikely)]
        );
        // No gain at all is no reason to change the learner's text.
        let c = keep_gains(text, checked.clone(), &[-40.0, -40.0, -40.0]);
        assert_eq!(c.corrected, text);
        // Scores missing (a short answer): the edits stand.
        assert_eq!(keep_gains(text, checked.clone(), &[-40.0]), checked);
    }
}

//! Grading a typed answer the way a learner expects: case, surrounding and
//! repeated spaces and final punctuation never matter; accents do, but an
//! answer wrong only in its accents is accepted with a note saying so.

use crate::api::{ExerciseKind, ExerciseResult};
use crate::learn::content::ExerciseData;

/// How an answer compares with the accepted ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grade {
    Correct,
    /// Right but for accents: the accepted form is given.
    AccentsDiffer(String),
    Wrong,
}

/// Lower case, one space between words, one kind of apostrophe, no final
/// or opening punctuation.
pub fn normalize(s: &str) -> String {
    let lowered = s.to_lowercase().replace(['’', 'ʼ'], "'");
    let joined = lowered.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .trim_matches(|c: char| matches!(c, '.' | '!' | '?' | '¿' | '¡' | '…' | ' '))
        .to_string()
}

/// [`normalize`]d, then without accents (`está` → `esta`, `ß` kept).
pub fn fold_accents(s: &str) -> String {
    crate::text::strip_accents(&normalize(s))
}

/// The words of a sentence, normalized, commas dropped: what word-order
/// answers are made of.
pub fn words_of(s: &str) -> Vec<String> {
    normalize(&s.replace(',', " "))
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Grades `answer` against every accepted answer.
pub fn grade(answer: &str, accepted: &[String]) -> Grade {
    let given = normalize(answer);
    if accepted.iter().any(|a| normalize(a) == given) {
        return Grade::Correct;
    }
    let folded = fold_accents(answer);
    match accepted.iter().find(|a| fold_accents(a) == folded) {
        Some(a) => Grade::AccentsDiffer(a.clone()),
        None => Grade::Wrong,
    }
}

/// Grades an answer to `exercise` (word order compares the sentence's words
/// in order, so commas do not matter).
pub fn grade_exercise(exercise: &ExerciseData, answer: &str) -> ExerciseResult {
    let grade = match exercise.kind {
        ExerciseKind::WordOrder => {
            let given = words_of(answer).join(" ");
            let accepted: Vec<String> = exercise
                .answers
                .iter()
                .map(|a| words_of(a).join(" "))
                .collect();
            grade(&given, &accepted)
        }
        _ => grade(answer, &exercise.answers),
    };
    let expected = exercise.answers[0].clone();
    let (correct, note) = match grade {
        Grade::Correct => (true, None),
        Grade::AccentsDiffer(form) => (true, Some(format!("Mind the accents: {form}"))),
        Grade::Wrong => (false, None),
    };
    ExerciseResult {
        exercise_id: exercise.id.clone(),
        correct,
        expected,
        explanation: exercise.explanation.clone(),
        note,
        card_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn case_spaces_and_final_punctuation_do_not_matter() {
        let ok = accepted(&["Hoy estoy cansada."]);
        assert_eq!(grade("  hoy   ESTOY cansada ", &ok), Grade::Correct);
        assert_eq!(grade("¿Hoy estoy cansada?", &ok), Grade::Correct);
        assert_eq!(grade("Hoy estoy cansado", &ok), Grade::Wrong);
    }

    #[test]
    fn accents_only_are_accepted_with_the_right_form() {
        let ok = accepted(&["está"]);
        assert_eq!(grade("esta", &ok), Grade::AccentsDiffer("está".into()));
        assert_eq!(grade("Está", &ok), Grade::Correct);
        assert_eq!(grade("es", &ok), Grade::Wrong);
    }

    #[test]
    fn word_order_ignores_commas_but_not_order() {
        let e = ExerciseData {
            shown: crate::api::Exercise {
                id: "x".into(),
                kind: ExerciseKind::WordOrder,
                prompt: String::new(),
                choices: vec![],
                words: vec!["ja".into(), "komme".into(), "ich".into()],
            },
            answers: accepted(&["Ja, ich komme."]),
            explanation: "why".into(),
        };
        assert!(grade_exercise(&e, "ja ich komme").correct);
        assert!(!grade_exercise(&e, "ich komme ja").correct);
    }
}

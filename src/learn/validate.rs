//! The rules of `data/learn/README.md`, checked on every language's course:
//! by a test, and by the server at start ([`super::content::check`]).

use super::content::{Course, ExerciseData};
use crate::api::ExerciseKind;
use crate::domain::{CefrLevel, Language};
use std::collections::HashSet;

/// Everything wrong with one language's course (empty when it is sound):
/// the rules of `data/learn/README.md`.
pub fn validate(language: Language, course: &Course) -> Vec<String> {
    let mut errors = Vec::new();
    let mut err = |m: String| errors.push(format!("{}: {m}", language.id()));
    let v = &course.vocabulary;
    if v.language != language || course.grammar.language != language {
        err("a file names another language".into());
    }
    let wanted = if language == Language::English {
        Language::Spanish
    } else {
        Language::English
    };
    if v.translation_language != wanted {
        err(format!("translation_language should be {wanted}"));
    }
    let gendered = language != Language::English;
    let mut words = HashSet::new();
    let mut ids = HashSet::new();
    for level in [CefrLevel::A1, CefrLevel::A2] {
        let n = v.lessons.iter().filter(|l| l.level == level).count();
        if n < 4 {
            err(format!(
                "vocabulary {level}: {n} lessons, at least 4 wanted"
            ));
        }
    }
    for l in &v.lessons {
        if !ids.insert(l.id.clone()) {
            err(format!("duplicate lesson id {}", l.id));
        }
        if l.items.len() < 10 {
            err(format!(
                "{}: {} items, at least 10 wanted",
                l.id,
                l.items.len()
            ));
        }
        if l.title.trim().is_empty() {
            err(format!("{}: no title", l.id));
        }
        for it in &l.items {
            let at = format!("{}/{}", l.id, it.word);
            for (name, value) in [
                ("word", &it.word),
                ("translation", &it.translation),
                ("example", &it.example),
                ("example_translation", &it.example_translation),
            ] {
                if value.trim().is_empty() {
                    err(format!("{at}: empty {name}"));
                }
            }
            if !words.insert(it.word.to_lowercase()) {
                err(format!("{at}: duplicate word"));
            }
            let noun = it.part_of_speech == "noun";
            if noun && gendered && (it.article.is_none() || it.gender.is_none()) {
                err(format!("{at}: a noun needs its article and gender"));
            }
            if !gendered && (it.article.is_some() || it.gender.is_some()) {
                err(format!("{at}: English has no article or gender"));
            }
        }
    }
    let g = &course.grammar;
    if g.lessons.len() < 6 {
        err(format!(
            "{} grammar lessons, at least 6 wanted",
            g.lessons.len()
        ));
    }
    let mut exercise_ids = HashSet::new();
    for l in &g.lessons {
        if !ids.insert(l.id.clone()) {
            err(format!("duplicate lesson id {}", l.id));
        }
        if l.level > CefrLevel::B1 {
            err(format!("{}: grammar lessons are A1–B1", l.id));
        }
        if l.explanation.trim().is_empty() || l.examples.is_empty() {
            err(format!("{}: needs an explanation and examples", l.id));
        }
        if l.exercises.len() < 5 {
            err(format!(
                "{}: {} exercises, at least 5 wanted",
                l.id,
                l.exercises.len()
            ));
        }
        for e in &l.exercises {
            if !exercise_ids.insert(e.id.clone()) {
                err(format!("duplicate exercise id {}", e.id));
            }
            if let Some(problem) = exercise_problem(e) {
                err(format!("{}: {problem}", e.id));
            }
        }
    }
    let p = &course.placement;
    if p.language != language {
        err("placement names another language".into());
    }
    if p.questions.len() < 24 {
        err(format!(
            "{} placement questions, at least 24 wanted",
            p.questions.len()
        ));
    }
    for level in &CefrLevel::ALL[..5] {
        if !p.questions.iter().any(|q| q.level == *level) {
            err(format!("placement has no {level} question"));
        }
    }
    let mut question_ids = HashSet::new();
    for q in &p.questions {
        if !question_ids.insert(q.id.clone()) {
            err(format!("duplicate question id {}", q.id));
        }
        if q.choices.len() < 3 || !q.choices.contains(&q.answer) {
            err(format!("{}: its answer must be one of its choices", q.id));
        }
        if (q.skill == "reading") != q.passage.is_some() {
            err(format!(
                "{}: reading questions, and only they, have a passage",
                q.id
            ));
        }
    }
    errors
}

/// What is wrong with one exercise, if anything.
fn exercise_problem(e: &ExerciseData) -> Option<String> {
    if e.answers.is_empty() || e.answers.iter().any(|a| a.trim().is_empty()) {
        return Some("no answers".into());
    }
    if e.explanation.trim().is_empty() {
        return Some("no explanation".into());
    }
    match e.kind {
        ExerciseKind::MultipleChoice | ExerciseKind::FillBlank
            if e.prompt.matches("___").count() != 1 =>
        {
            Some("the prompt needs exactly one ___".into())
        }
        ExerciseKind::MultipleChoice
            if e.answers.len() != 1 || !e.choices.contains(&e.answers[0]) =>
        {
            Some("one answer, and it must be a choice".into())
        }
        ExerciseKind::WordOrder => {
            let mut given = super::grade::words_of(&e.words.join(" "));
            given.sort();
            e.answers.iter().find_map(|a| {
                let mut used = super::grade::words_of(a);
                used.sort();
                (used != given).then(|| format!("'{a}' does not use exactly the given words"))
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::content::{courses, parse, FILES};

    #[test]
    fn learn_content_is_valid_in_every_language() {
        assert_eq!(FILES.len(), Language::ALL.len());
        let mut all_ids = HashSet::new();
        for (lang, v, g, p) in FILES {
            let language = Language::parse(lang).unwrap();
            let course = parse(v, g, p).unwrap_or_else(|e| panic!("{lang}: {e}"));
            let errors = validate(language, &course);
            assert!(errors.is_empty(), "{}", errors.join("\n"));
            let ids = course
                .vocabulary
                .lessons
                .iter()
                .map(|l| &l.id)
                .chain(course.grammar.lessons.iter().map(|l| &l.id))
                .chain(
                    course
                        .grammar
                        .lessons
                        .iter()
                        .flat_map(|l| l.exercises.iter().map(|e| &e.id)),
                )
                .chain(course.placement.questions.iter().map(|q| &q.id));
            for id in ids {
                assert!(
                    all_ids.insert(id.clone()),
                    "{lang}: id {id} is used twice across languages"
                );
            }
        }
    }

    #[test]
    fn validation_catches_what_a_reviewer_would() {
        let (_, v, g, p) = FILES[0];
        let mut course = parse(v, g, p).unwrap();
        course.vocabulary.lessons[0].items[1].word =
            course.vocabulary.lessons[0].items[0].word.clone();
        course.grammar.lessons[0].exercises[0].answers.clear();
        course.placement.questions[0].answer = "not a choice".into();
        let errors = validate(Language::Spanish, &course).join("\n");
        assert!(errors.contains("duplicate word"), "{errors}");
        assert!(errors.contains("no answers"), "{errors}");
        assert!(errors.contains("must be one of its choices"), "{errors}");
    }

    #[test]
    fn every_exercise_answer_grades_as_correct() {
        for course in courses() {
            for l in &course.grammar.lessons {
                for e in &l.exercises {
                    for a in &e.answers {
                        let r = crate::learn::grade::grade_exercise(e, a);
                        assert!(
                            r.correct && r.note.is_none(),
                            "{}: '{a}' graded wrong",
                            e.id
                        );
                    }
                }
            }
        }
    }
}

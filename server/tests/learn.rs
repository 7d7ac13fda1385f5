//! Learning beyond chat through the JSON API, as a learner's session: the
//! placement test sets a level, a lesson fills the deck, a wrong answer and
//! a chat mistake become cards, cards are rated and rescheduled, and the
//! progress summary counts it all. Then bad input and races.

use babblr::domain::Language;
use babblr::learn::content;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use testkit::standin::StandinConfig;
use testkit::{api_error, spawn_app, TestApp};

/// Answers to the placement test, right for the first `right` levels.
fn placement_answers(language: Language, right_levels: usize) -> Value {
    let questions = &content::course(language).placement.questions;
    let mut levels: Vec<_> = questions.iter().map(|q| q.level).collect();
    levels.dedup();
    let answers: BTreeMap<String, String> = questions
        .iter()
        .map(|q| {
            let level_index = levels.iter().position(|l| *l == q.level).unwrap();
            let pick = if level_index < right_levels {
                q.answer.clone()
            } else {
                q.choices.iter().find(|c| **c != q.answer).unwrap().clone()
            };
            (q.id.clone(), pick)
        })
        .collect();
    json!({ "answers": answers })
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    assert_eq!(res.status(), status, "expected {status}");
    res.json().await.unwrap()
}

async fn due(app: &TestApp, language: &str) -> Value {
    json_of(
        app.get(&format!("/review/due?language={language}")).await,
        200,
    )
    .await
}

#[tokio::test]
async fn the_placement_test_sets_the_level_the_home_page_picks() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let tests = json_of(app.get("/assessments?language=german").await, 200).await;
    assert_eq!(tests[0]["id"], "placement-german");
    assert!(tests[0]["question_count"].as_u64().unwrap() >= 24);

    let test = json_of(app.get("/assessments/placement-german").await, 200).await;
    let questions = test["questions"].as_array().unwrap();
    assert!(questions.len() >= 24);
    assert!(
        questions.iter().all(|q| q.get("answer").is_none()),
        "a test never sends its answers"
    );

    let unset = json_of(app.get("/user-levels/german").await, 200).await;
    assert_eq!(unset["level"], Value::Null);

    let res = app
        .post(
            "/assessments/placement-german/attempts",
            placement_answers(Language::German, 3),
        )
        .await;
    let result = json_of(res, 201).await;
    assert_eq!(
        result["level"], "B1",
        "A1, A2 and B1 right, B2 and C1 wrong: {result}"
    );
    assert_eq!(result["by_level"].as_array().unwrap().len(), 5);

    let level = json_of(app.get("/user-levels/german").await, 200).await;
    assert_eq!(
        (level["level"].as_str(), level["source"].as_str()),
        (Some("B1"), Some("placement"))
    );

    let all_right = app
        .post(
            "/assessments/placement-german/attempts",
            placement_answers(Language::German, 5),
        )
        .await;
    assert_eq!(json_of(all_right, 201).await["level"], "C1");

    let res = app.put("/user-levels/german", json!({"level": "a2"})).await;
    assert_eq!(json_of(res, 200).await["source"], "manual");
    let levels = json_of(app.get("/api/user-levels").await, 200).await;
    assert_eq!(levels[0]["level"], "A2");

    let progress = json_of(app.get("/progress/summary?language=german").await, 200).await;
    let history: Vec<&str> = progress["placements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["level"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["B1", "C1"], "oldest first");
    assert_eq!(progress["level"]["level"], "A2");
}

#[tokio::test]
async fn a_vocabulary_lesson_fills_the_deck_scheduled_by_its_ratings() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let lessons = json_of(app.get("/vocabulary/lessons?language=french").await, 200).await;
    let lessons = lessons.as_array().unwrap();
    assert!(lessons.len() >= 8);
    let id = lessons[0]["id"].as_str().unwrap().to_string();
    assert_eq!(lessons[0]["completed_at"], Value::Null);

    let lesson = json_of(app.get(&format!("/vocabulary/lessons/{id}")).await, 200).await;
    let items = lesson["items"].as_array().unwrap();
    assert!(items.len() >= 10);
    assert_eq!(lesson["quiz"].as_array().unwrap().len(), 5);
    let first_word = items[0]["word"].as_str().unwrap();

    let res = app
        .post(
            "/api/vocabulary/lesson/complete",
            json!({"id": id, "ratings": {first_word: "again"}, "quiz_correct": 4}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // Good words wait a day or more; the one rated Again comes back in 10 minutes.
    assert_eq!(due(&app, "french").await["due_count"], 0);
    let progress = json_of(app.get("/progress/summary?language=french").await, 200).await;
    assert_eq!(progress["cards_total"], items.len());
    assert_eq!(progress["cards_learned"], items.len());
    assert_eq!(progress["lessons_completed"], 1);
    assert_eq!(progress["streak_days"], 1);
    let today = &progress["days"][0];
    assert_eq!(today["lessons"], 1);
    assert_eq!(
        today["reviews"],
        items.len(),
        "a lesson's ratings are reviews"
    );
    assert_eq!(today["reviews_passed"], items.len() - 1);

    let listed = json_of(app.get("/vocabulary/lessons?language=french").await, 200).await;
    assert!(listed[0]["completed_at"].is_i64());

    // Finishing it again adds no second copy of any card.
    app.post(
        "/api/vocabulary/lesson/complete",
        json!({"id": id, "quiz_correct": 5}),
    )
    .await;
    let progress = json_of(app.get("/progress/summary?language=french").await, 200).await;
    assert_eq!(progress["cards_total"], items.len());
}

#[tokio::test]
async fn a_wrong_answer_becomes_a_card_that_is_reviewed_and_rescheduled() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let (_, lesson, exercise) = content::course(Language::Spanish)
        .grammar
        .lessons
        .iter()
        .flat_map(|l| l.exercises.iter().map(move |e| (Language::Spanish, l, e)))
        .find(|(_, _, e)| e.kind == babblr::api::ExerciseKind::FillBlank)
        .unwrap();
    let lessons = json_of(app.get("/grammar/lessons?language=spanish").await, 200).await;
    assert!(lessons.as_array().unwrap().len() >= 6);
    let listed = json_of(
        app.get(&format!("/grammar/lessons/{}", lesson.id)).await,
        200,
    )
    .await;
    assert!(
        listed["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("answers").is_none()),
        "a lesson never sends its answers"
    );
    let submit = format!("/grammar/exercises/{}/submit", exercise.id);

    let right = json_of(
        app.post(
            &submit,
            json!({"answer": format!("  {}  ", exercise.answers[0].to_uppercase())}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        right["correct"], true,
        "case and spaces do not matter: {right}"
    );
    assert_eq!(right["card_id"], Value::Null);

    let wrong = json_of(app.post(&submit, json!({"answer": "zzz"})).await, 200).await;
    assert_eq!(wrong["correct"], false);
    assert_eq!(wrong["expected"], exercise.answers[0].as_str());
    assert!(!wrong["explanation"].as_str().unwrap().is_empty());
    let card_id = wrong["card_id"]
        .as_i64()
        .expect("a wrong answer becomes a card");

    let deck = due(&app, "spanish").await;
    assert_eq!(deck["due_count"], 1);
    assert_eq!(deck["cards"][0]["id"], card_id);
    assert_eq!(deck["cards"][0]["kind"], "grammar");
    assert_eq!(deck["cards"][0]["back"], exercise.answers[0].as_str());

    let rated = json_of(
        app.post(
            &format!("/review/cards/{card_id}/rate"),
            json!({"rating": "good"}),
        )
        .await,
        200,
    )
    .await;
    assert!(rated["interval_days"].as_f64().unwrap() >= 1.0, "{rated}");
    assert_eq!(rated["card"]["reps"], 1);
    assert_eq!(due(&app, "spanish").await["due_count"], 0);

    // Not due any more: a second rating is refused, and nothing is logged.
    let again = app
        .post(
            &format!("/review/cards/{card_id}/rate"),
            json!({"rating": "again"}),
        )
        .await;
    api_error(again, 409, "conflict").await;
    let progress = json_of(app.get("/progress/summary?language=spanish").await, 200).await;
    assert_eq!(progress["days"][0]["reviews"], 1);
    assert_eq!(progress["retention"], 1.0);

    // Finishing the lesson: counted once per lesson, whatever the score.
    let done = app
        .post(
            "/api/grammar/lesson/complete",
            json!({"id": lesson.id, "correct": 1}),
        )
        .await;
    assert_eq!(done.status(), 200);
    let too_many = app
        .post(
            "/api/grammar/lesson/complete",
            json!({"id": lesson.id, "correct": 99}),
        )
        .await;
    assert_eq!(
        api_error(too_many, 422, "validation_error").await["field"],
        "correct"
    );
    let progress = json_of(app.get("/progress/summary?language=spanish").await, 200).await;
    assert_eq!(progress["lessons_completed"], 1);
}

#[tokio::test]
async fn the_tutors_corrections_become_cards_in_the_deck() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("spanish", "A1", "greetings").await;
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "yo es estudiante"}),
        )
        .await;
    let turn = json_of(res, 200).await;
    let corrections = turn["corrections"].as_array().unwrap();
    assert!(
        !corrections.is_empty(),
        "the stand-in corrects 'yo es': {turn}"
    );

    let deck = due(&app, "spanish").await;
    let mistakes: Vec<&Value> = deck["cards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "mistake")
        .collect();
    assert_eq!(mistakes.len(), corrections.len());
    assert_eq!(mistakes[0]["front"], corrections[0]["original"]);
    assert_eq!(mistakes[0]["back"], corrections[0]["corrected"]);
    assert_eq!(mistakes[0]["note"], corrections[0]["explanation"]);

    // Deleting the conversation keeps the learner's mistakes in the deck.
    let res = app.delete(&format!("/conversations/{id}")).await;
    assert_eq!(res.status(), 204);
    assert_eq!(due(&app, "spanish").await["due_count"], corrections.len());

    let progress = json_of(app.get("/progress/summary?language=spanish").await, 200).await;
    assert_eq!(progress["messages_written"], 1);
    let by_week = progress["corrections_by_week"].as_array().unwrap();
    let counted: i64 = by_week.iter().map(|w| w["count"].as_i64().unwrap()).sum();
    assert_eq!(counted as usize, corrections.len());

    let counts = json_of(app.get("/api/review/counts").await, 200).await;
    assert_eq!(counts[0]["language"], "spanish");
    assert_eq!(counts[0]["due"], corrections.len());
}

#[tokio::test]
async fn two_ratings_of_one_card_at_once_one_wins_and_the_log_stays_consistent() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let exercise = &content::course(Language::Italian).grammar.lessons[0].exercises[0];
    let wrong = json_of(
        app.post(
            &format!("/grammar/exercises/{}/submit", exercise.id),
            json!({"answer": "zzz"}),
        )
        .await,
        200,
    )
    .await;
    let card = wrong["card_id"].as_i64().unwrap();
    let url = format!("/review/cards/{card}/rate");
    let (a, b) = tokio::join!(
        app.post(&url, json!({"rating": "good"})),
        app.post(&url, json!({"rating": "easy"}))
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let progress = json_of(app.get("/progress/summary?language=italian").await, 200).await;
    assert_eq!(progress["days"][0]["reviews"], 1, "one rating logged");
    assert_eq!(progress["cards_learned"], 1);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_loses_nothing() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let exercise = &content::course(Language::Dutch).grammar.lessons[0].exercises[0];
    let submit = format!("/grammar/exercises/{}/submit", exercise.id);

    api_error(app.get("/vocabulary/lessons/nope").await, 404, "not_found").await;
    api_error(app.get("/grammar/lessons/nope").await, 404, "not_found").await;
    api_error(
        app.post("/grammar/exercises/nope/submit", json!({"answer": "x"}))
            .await,
        404,
        "not_found",
    )
    .await;
    api_error(
        app.get("/assessments/placement-klingon").await,
        404,
        "not_found",
    )
    .await;
    api_error(
        app.post("/review/cards/999/rate", json!({"rating": "good"}))
            .await,
        404,
        "not_found",
    )
    .await;
    api_error(
        app.get("/vocabulary/lessons?language=klingon").await,
        422,
        "validation_error",
    )
    .await;

    for (body, field) in [
        (json!({"answer": 3}), "answer"),
        (json!({"answer": ["a"]}), "answer"),
        (json!({}), "answer"),
        (json!({"answer": "   "}), "answer"),
    ] {
        let e = api_error(
            app.post(&submit, body.clone()).await,
            422,
            "validation_error",
        )
        .await;
        assert_eq!(e["field"], field, "{body}");
    }
    let e = api_error(
        app.post("/review/cards/1/rate", json!({"rating": "meh"}))
            .await,
        422,
        "validation_error",
    )
    .await;
    assert_eq!(e["field"], "rating");
    let e = api_error(
        app.post("/review/cards/abc/rate", json!({"rating": "good"}))
            .await,
        422,
        "validation_error",
    )
    .await;
    assert_eq!(e["field"], "card_id");

    // A placement attempt with a missing answer names it and stores nothing.
    let mut answers = placement_answers(Language::Dutch, 5);
    let missing = content::course(Language::Dutch).placement.questions[7]
        .id
        .clone();
    answers["answers"].as_object_mut().unwrap().remove(&missing);
    let e = api_error(
        app.post("/assessments/placement-dutch/attempts", answers)
            .await,
        422,
        "validation_error",
    )
    .await;
    assert_eq!(e["field"], "answers");
    assert!(e["message"].as_str().unwrap().contains(&missing), "{e}");
    let e = api_error(
        app.post(
            "/assessments/placement-dutch/attempts",
            json!({"answers": "all"}),
        )
        .await,
        422,
        "validation_error",
    )
    .await;
    assert_eq!(e["field"], "answers");
    let level = json_of(app.get("/user-levels/dutch").await, 200).await;
    assert_eq!(
        level["level"],
        Value::Null,
        "a refused attempt sets nothing"
    );

    let res = app.put("/user-levels/dutch", json!({"level": "Z9"})).await;
    assert_eq!(
        api_error(res, 422, "validation_error").await["field"],
        "level"
    );

    let e = api_error(
        app.post(
            "/api/vocabulary/lesson/complete",
            json!({"id": "nl-a1-greetings", "ratings": {"notaword": "good"}, "quiz_correct": 1}),
        )
        .await,
        422,
        "validation_error",
    )
    .await;
    assert_eq!(e["field"], "ratings");
}

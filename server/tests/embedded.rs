//! The built-in tutor (`BABBLR_LLM_PROVIDER=embedded`): the server starts
//! `babblr-llm` on a real small GGUF model (SmolLM2-135M-Instruct) and talks
//! to it like Ollama. Only that it runs and its JSON parses is checked here,
//! not how good the 135M model's Spanish is.

use babblr::config::Config;
use babblr::llm::Llm;
use babblr::tutor::{correct, prompts};
use futures::StreamExt;
use serde_json::{json, Value};
use testkit as common;
use testkit::standin::StandinConfig;

fn embedded(model: &str) -> Vec<(&'static str, String)> {
    vec![
        ("BABBLR_LLM_PROVIDER", "embedded".into()),
        ("BABBLR_LLM_BUILTIN_MODEL", model.into()),
        // One each: the tests' two model processes share two cores.
        ("BABBLR_LLM_THREADS", "1".into()),
    ]
}

/// The built-in provider on the test model, without a server around it.
fn builtin_llm() -> Llm {
    let vars = embedded(&common::gguf_path());
    let config =
        Config::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()))
            .unwrap();
    Llm::from_config(&config.llm).unwrap()
}

async fn app_with(model: &str) -> common::TestApp {
    let vars = embedded(model);
    let overrides: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    common::spawn_app(StandinConfig::default(), &overrides).await
}

#[tokio::test]
async fn the_built_in_model_opens_chats_and_streams() {
    let app = app_with(&common::gguf_path()).await;
    let id = app.conversation("spanish", "A1", "greetings").await;
    let res = app
        .post(
            "/chat/initial-message",
            json!({"conversation_id": id, "language": "spanish", "difficulty_level": "A1", "topic_id": "greetings"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let timing = res.headers()["server-timing"].to_str().unwrap().to_string();
    assert!(timing.contains("llm.load_model;dur="), "{timing}");
    let opening: Value = res.json().await.unwrap();
    let text = opening["assistant_message"].as_str().unwrap();
    assert!(!text.trim().is_empty());
    assert!(
        !text.trim_start().starts_with('{'),
        "raw JSON shown: {text}"
    );

    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "yo es estudiante"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // The model's own timings, as steps of the request.
    let timing = res.headers()["server-timing"].to_str().unwrap().to_string();
    for step in ["llm.prompt_eval;dur=", "llm.decode;dur="] {
        assert!(timing.contains(step), "{step} missing: {timing}");
    }
    let v: Value = res.json().await.unwrap();
    assert!(
        v["corrections"].is_array() && !v["assistant_message"].as_str().unwrap().is_empty(),
        "{v}"
    );

    let res = app
        .post(
            "/chat/stream",
            json!({"conversation_id": id, "user_message": "me gusta el cafe"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains("event: token"), "{body}");
    assert!(body.contains("event: done"), "{body}");
    assert_eq!(app.messages(id).await.len(), 5, "opening + two turns");
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["llm"]["provider"], "embedded", "{health}");
}

#[tokio::test]
async fn corrections_from_the_built_in_model_always_parse() {
    let llm = builtin_llm();
    for (language, text) in [
        (babblr::domain::Language::Spanish, "yo tiene hambre"),
        (babblr::domain::Language::German, "ich habe gegangen"),
    ] {
        let req = correct::request(
            language,
            babblr::domain::CefrLevel::A1,
            text,
            babblr::domain::Language::English,
        );
        let raw = llm.complete(req).await.unwrap();
        assert!(
            correct::proposed(&raw).is_some(),
            "unusable for {text:?}: {raw}"
        );
    }
    let mut stream = llm
        .stream(prompts::translation_request(
            babblr::domain::Language::Spanish,
            "Hola",
            babblr::domain::Language::English,
        ))
        .await
        .unwrap();
    let mut pieces = 0;
    while let Some(p) = stream.next().await {
        p.unwrap();
        pieces += 1;
    }
    assert!(pieces > 1, "streamed in pieces");
}

#[tokio::test]
async fn the_built_in_model_weighs_each_edit_and_drops_the_one_it_finds_unlikely() {
    use babblr::api::{Correction, CorrectionKind};
    use babblr::tutor::checks::{self, Dropped, Rules};
    let llm = builtin_llm();
    let edit = |original: &str, corrected: &str| Correction {
        original: original.into(),
        corrected: corrected.into(),
        explanation: String::new(),
        kind: CorrectionKind::Grammar,
    };
    // One right edit, and one that "corrects" a right word into a wrong one.
    let text = "I is a student and I live in London.";
    let rules = Rules {
        level: babblr::domain::CefrLevel::A1,
        case_and_punctuation: true,
        weigh: true,
    };
    let checked = checks::check(
        text,
        vec![edit("I is", "I am"), edit("London", "Lundon")],
        rules,
    );
    assert_eq!(checked.corrections.len(), 2, "both pass the checks");
    let weighed =
        babblr::tutor::weigh::keep_likely(&llm, babblr::domain::Language::English, text, checked)
            .await;
    assert_eq!(weighed.corrected, "I am a student and I live in London.");
    assert_eq!(weighed.corrections.len(), 1, "{weighed:?}");
    assert_eq!(
        weighed.dropped,
        [(edit("London", "Lundon"), Dropped::Unlikely)]
    );
    // Scores come from the model: a sentence with a misspelling is less likely.
    let answers = [
        "I live in London.".to_string(),
        "I live in Lundon.".to_string(),
    ];
    let prompt = [babblr::llm::Turn::user("Write a short message in English.")];
    let scores = llm.score(&prompt, &answers).await.unwrap().unwrap();
    assert!(scores[0] > scores[1], "{scores:?}");
}

#[tokio::test]
async fn a_missing_or_broken_model_is_a_503_and_the_message_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.gguf");
    std::fs::write(&broken, b"GGUF not a model").unwrap();
    let missing = dir.path().join("missing.gguf");
    for model in [missing, broken] {
        let app = app_with(&model.display().to_string()).await;
        let id = app.conversation("spanish", "A1", "greetings").await;
        let res = app
            .post(
                "/chat",
                json!({"conversation_id": id, "user_message": "hola"}),
            )
            .await;
        let err = common::api_error(res, 503, "llm_unavailable").await;
        let message = err["message"].as_str().unwrap();
        let name = model.file_name().unwrap().to_str().unwrap();
        assert!(message.contains(name), "{message}");
        assert!(
            !message.contains(&dir.path().display().to_string()),
            "a path leaked: {message}"
        );
        assert_eq!(
            app.messages(id).await.len(),
            1,
            "the learner's message is kept"
        );
    }
}

#[tokio::test]
async fn auto_uses_ollama_when_it_answers_and_the_built_in_model_otherwise() {
    // An Ollama (the stand-in) that has the model: it answers.
    let app = common::spawn_app(StandinConfig::default(), &[("BABBLR_LLM_PROVIDER", "auto")]).await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["llm"]["provider"], "ollama", "{health}");
    let why = health["llm"]["why"].as_str().unwrap();
    assert!(why.contains("has the model"), "{why}");

    // Nothing at Ollama's address.
    let (_closed, down) = common::refusing_url();
    let gguf = common::gguf_path();
    let app = common::spawn_app(
        StandinConfig::default(),
        &[
            ("BABBLR_LLM_PROVIDER", "auto"),
            ("BABBLR_LLM_URL", &down),
            ("BABBLR_LLM_BUILTIN_MODEL", &gguf),
            ("BABBLR_LLM_THREADS", "1"),
        ],
    )
    .await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["llm"]["provider"], "embedded", "{health}");
    assert_eq!(
        health["llm"]["why"],
        format!(
            "Ollama not found at {down} — using the built-in model SmolLM2-135M-Instruct.Q4_1.gguf"
        ),
        "{health}"
    );
    let info: Value = app.get("/api/tutor").await.json().await.unwrap();
    assert_eq!(info["provider"], "embedded", "{info}");
    assert_eq!(info["why"], health["llm"]["why"], "{info}");
    let id = app.conversation("spanish", "A1", "greetings").await;
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "hola, yo soy Ana"}),
        )
        .await;
    assert_eq!(res.status(), 200, "the built-in model answers");
}

#[tokio::test]
async fn a_catalogue_model_not_yet_pulled_names_the_command_that_pulls_it() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().display().to_string();
    let app = common::spawn_app(
        StandinConfig::default(),
        &[
            ("BABBLR_LLM_PROVIDER", "embedded"),
            ("BABBLR_LLM_BUILTIN_MODEL", "qwen2.5-0.5b"),
            ("BABBLR_MODEL_DIR", &models),
        ],
    )
    .await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["llm"]["status"], "unavailable", "{health}");
    let id = app.conversation("french", "A2", "restaurant").await;
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "je suis allé au marché"}),
        )
        .await;
    let err = common::api_error(res, 503, "llm_unavailable").await;
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains("babblr models pull qwen2.5-0.5b"),
        "{message}"
    );
    assert!(!message.contains(&models), "a path leaked: {message}");
    assert_eq!(
        app.messages(id).await.len(),
        1,
        "the learner's message is kept"
    );
}

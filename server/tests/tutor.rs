//! The tutor against the stand-in Ollama (the real ollama-rs client over
//! HTTP): opening message, corrected chat, streamed replies and LLM failures.

use testkit as common;

use common::spawn_app;
use futures::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use testkit::standin::StandinConfig;

/// The seed's curl example, verbatim, once conversation 1 exists.
#[tokio::test]
async fn the_seed_initial_message_example_works_verbatim() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    assert_eq!(app.conversation("spanish", "A1", "greetings").await, 1);
    let body = r#"{
    "conversation_id": 1,
    "language": "spanish",
    "difficulty_level": "A1",
    "topic_id": "greetings"
  }"#;
    // The original's request, byte for byte, as its README's curl sent it.
    let ask_opening = || {
        app.http
            .post(app.url("/chat/initial-message"))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let res = ask_opening().await.unwrap();
    assert_eq!(res.status(), 200);
    let timing = res.headers()["server-timing"].to_str().unwrap().to_string();
    assert!(
        timing.contains("initial_message.generate_llm;dur="),
        "{timing}"
    );
    let v: Value = res.json().await.unwrap();
    assert!(v["assistant_message"].as_str().unwrap().contains("Hola"));
    assert!(v["translation"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(v["corrections"].is_null());

    // Stored once: asking again returns the same opening.
    let again: Value = ask_opening().await.unwrap().json().await.unwrap();
    assert_eq!(again["assistant_message"], v["assistant_message"]);
    assert_eq!(app.messages(1).await.len(), 1);

    // After a chat turn, the opening is still the first tutor message.
    let chat = app
        .post(
            "/chat",
            json!({"conversation_id": 1, "user_message": "hola"}),
        )
        .await;
    assert_eq!(chat.status(), 200);
    let third: Value = ask_opening().await.unwrap().json().await.unwrap();
    assert_eq!(third["assistant_message"], v["assistant_message"]);
    assert_eq!(app.messages(1).await.len(), 3);
}

#[tokio::test]
async fn chat_stores_the_learner_message_corrects_it_and_replies() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("spanish", "A1", "greetings").await;
    let res = app
        .post("/chat", json!({"conversation_id": id, "user_message": "yo es estudiante", "language": "spanish", "difficulty_level": "A1"}))
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["corrected_text"], "Yo soy estudiante.");
    let c = &v["corrections"][0];
    assert_eq!(
        (
            c["original"].as_str(),
            c["corrected"].as_str(),
            c["type"].as_str()
        ),
        // The capital letter is folded into the edit it falls on.
        (Some("yo es"), Some("Yo soy"), Some("grammar"))
    );
    assert!(c["explanation"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(!v["assistant_message"].as_str().unwrap().is_empty());

    let messages = app.messages(id).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[0]["corrections"][0]["corrected"], "Yo soy");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"], v["assistant_message"]);
}

#[tokio::test]
async fn correction_is_skipped_above_the_configured_level() {
    let app = spawn_app(
        StandinConfig::default(),
        &[("BABBLR_CORRECTION_MAX_LEVEL", "A2")],
    )
    .await;
    let id = app.conversation("spanish", "C1", "culture").await;
    let v: Value = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "yo es"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["corrections"], json!([]));
    assert_eq!(v["corrected_text"], "yo es");
}

/// The learner waits for the slower of correction and reply, not their sum:
/// the two spans overlap in time.
#[tokio::test]
async fn correction_and_reply_run_concurrently() {
    let standin = StandinConfig {
        first_token_delay: Duration::from_millis(250),
        ..Default::default()
    };
    let app = spawn_app(standin, &[]).await;
    let id = app.conversation("french", "A1", "family").await;
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "je suis 20 ans"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let rid = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let record = app
        .engine
        .perf_store()
        .recent(100)
        .into_iter()
        .find(|r| r.request_id == rid)
        .unwrap();
    let span = |name: &str| {
        record
            .spans
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} in {record:?}"))
            .clone()
    };
    let (a, b) = (
        span("chat.correct_text"),
        span("chat.generate_response_llm"),
    );
    assert!(
        a.start_ms < b.start_ms + b.duration_ms && b.start_ms < a.start_ms + a.duration_ms,
        "{a:?} {b:?}"
    );
}

#[tokio::test]
async fn an_unreachable_llm_is_a_503_naming_the_url_and_keeps_the_message() {
    let (_closed, url) = testkit::refusing_url();
    let app = spawn_app(
        StandinConfig::default(),
        &[("BABBLR_LLM_URL", url.as_str())],
    )
    .await;
    let id = app.conversation("dutch", "A2", "weather").await;
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "ik ben honger"}),
        )
        .await;
    assert_eq!(res.status(), 503);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"], "llm_unavailable");
    let message = err["message"].as_str().unwrap();
    assert!(
        message.contains(&url) && message.contains("ollama serve"),
        "{message}"
    );
    let messages = app.messages(id).await;
    assert_eq!(messages.len(), 1, "the learner's message is kept");
    assert_eq!(messages[0]["content"], "ik ben honger");
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["llm"]["status"], "unavailable");
    assert_eq!(health["status"], "degraded");
}

#[tokio::test]
async fn llm_errors_and_hangs_keep_the_message_and_resending_works() {
    let app = spawn_app(StandinConfig::default(), &[("BABBLR_LLM_TIMEOUT", "0.5")]).await;
    let id = app.conversation("english", "B1", "travel").await;

    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "I is ready #fault:500"}),
        )
        .await;
    assert_eq!(res.status(), 503);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "llm_unavailable"
    );

    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "I is late #fault:hang"}),
        )
        .await;
    assert_eq!(res.status(), 504);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "llm_timeout");

    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "I is ready"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let roles: Vec<String> = app
        .messages(id)
        .await
        .iter()
        .map(|m| m["role"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(roles, ["user", "user", "user", "assistant"]);
}

#[tokio::test]
async fn an_unknown_model_is_a_503_saying_what_to_pull() {
    let app = spawn_app(
        StandinConfig::default(),
        &[("BABBLR_LLM_MODEL", "nonexistent:1b")],
    )
    .await;
    let id = app.conversation("spanish", "A1", "greetings").await;
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "hola"}),
        )
        .await;
    assert_eq!(res.status(), 503);
    let err: Value = res.json().await.unwrap();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("ollama pull nonexistent:1b"),
        "{err}"
    );
}

/// Reads an SSE response into (event, data) pairs.
async fn sse_events(res: reqwest::Response) -> Vec<(String, Value)> {
    let mut body = String::new();
    let mut stream = res.bytes_stream();
    while let Some(chunk) = stream.next().await {
        body.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    body.split("\n\n")
        .filter_map(|block| {
            let event = block.lines().find_map(|l| l.strip_prefix("event: "))?;
            let data = block.lines().find_map(|l| l.strip_prefix("data: "))?;
            Some((event.to_string(), serde_json::from_str(data).unwrap()))
        })
        .collect()
}

#[tokio::test]
async fn a_streamed_reply_arrives_piece_by_piece_and_is_stored_whole() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("portuguese", "A1", "shopping").await;
    let res = app
        .post(
            "/chat/stream",
            json!({"conversation_id": id, "user_message": "eu é feliz"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let rid = res.headers()["x-request-id"].to_str().unwrap().to_string();
    let events = sse_events(res).await;
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names.first(), Some(&"saved"));
    assert_eq!(names.last(), Some(&"done"));
    assert!(names.contains(&"corrections"));
    let tokens: String = events
        .iter()
        .filter(|(e, _)| e == "token")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().filter(|n| **n == "token").count() > 1,
        "{names:?}"
    );
    let done = &events.last().unwrap().1;
    assert_eq!(done["assistant_message"].as_str().unwrap(), tokens);
    let messages = app.messages(id).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["content"].as_str().unwrap(), tokens);
    assert_eq!(messages[0]["corrected_text"], "Eu sou feliz.");

    // Spans from the spawned tasks reach the request's record.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let record = app
        .engine
        .perf_store()
        .recent(100)
        .into_iter()
        .find(|r| r.request_id == rid)
        .unwrap();
    let names: Vec<&str> = record.spans.iter().map(|s| s.name.as_str()).collect();
    for want in [
        "chat.save_user_message",
        "chat.first_token",
        "chat.generate_response_llm",
        "chat.correct_text",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
}

#[tokio::test]
async fn a_stream_cut_short_keeps_the_learner_message_and_stores_no_half_reply() {
    let app = spawn_app(
        StandinConfig::default(),
        &[("BABBLR_CORRECTION_MAX_LEVEL", "0")],
    )
    .await;
    let id = app.conversation("german", "A1", "greetings").await;
    let res = app
        .post(
            "/chat/stream",
            json!({"conversation_id": id, "user_message": "Hallo, wie geht's? #fault:drop"}),
        )
        .await;
    let events = sse_events(res).await;
    let (last, data) = events.last().unwrap();
    assert_eq!(last, "error", "{events:?}");
    assert_eq!(data["error"], "llm_unavailable");
    let messages = app.messages(id).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["role"], "user");

    let res = app
        .post(
            "/chat/stream",
            json!({"conversation_id": id, "user_message": "Hallo, wie geht's?"}),
        )
        .await;
    assert_eq!(sse_events(res).await.last().unwrap().0, "done");
    assert_eq!(app.messages(id).await.len(), 3);
}

/// The same tutor through the OpenAI-compatible provider (the stand-in speaks
/// `/v1/chat/completions` too, streaming as SSE).
#[tokio::test]
async fn the_openai_compatible_provider_chats_and_streams() {
    let standin = testkit::standin::spawn(StandinConfig::default())
        .await
        .unwrap();
    let url = format!("http://{standin}/v1");
    let app = spawn_app(
        StandinConfig::default(),
        &[
            ("BABBLR_LLM_PROVIDER", "openai"),
            ("BABBLR_LLM_URL", url.as_str()),
        ],
    )
    .await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(
        (
            health["llm"]["provider"].as_str(),
            health["llm"]["status"].as_str()
        ),
        (Some("openai"), Some("ok"))
    );

    let id = app.conversation("italian", "A1", "greetings").await;
    let opening: Value = app
        .post("/chat/initial-message", json!({"conversation_id": id, "language": "italian", "difficulty_level": "A1", "topic_id": "greetings"}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        opening["assistant_message"]
            .as_str()
            .unwrap()
            .contains("Ciao"),
        "{opening}"
    );
    let v: Value = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "io sono fame"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["corrected_text"], "Io ho fame.");
    let res = app
        .post(
            "/chat/stream",
            json!({"conversation_id": id, "user_message": "grazie"}),
        )
        .await;
    let events = sse_events(res).await;
    assert!(events.iter().filter(|(e, _)| e == "token").count() > 1);
    assert_eq!(events.last().unwrap().0, "done");
    assert_eq!(app.messages(id).await.len(), 5);
}

#[tokio::test]
async fn the_demo_tutor_says_it_is_a_demo() {
    let app = spawn_app(
        StandinConfig::default(),
        &[("BABBLR_LLM_PROVIDER", "scripted")],
    )
    .await;
    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["llm"]["demo"], true);
    assert!(health["llm"]["detail"].as_str().unwrap().contains("Demo"));
    let id = app.conversation("english", "A1", "greetings").await;
    let v: Value = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "i is happy"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["corrected_text"], "I am happy.");
}

/// Warm-up loads the model at start through an empty chat (span `llm.warmup`).
#[tokio::test]
async fn warm_up_loads_the_model_in_the_background() {
    let app = spawn_app(StandinConfig::default(), &[("BABBLR_LLM_WARMUP", "1")]).await;
    app.engine.spawn_warmup();
    let text = async {
        loop {
            let text = app.get("/metrics").await.text().await.unwrap();
            if text.contains("span=\"llm.warmup\"") {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let text = tokio::time::timeout(Duration::from_secs(10), text)
        .await
        .expect("llm.warmup recorded");
    assert!(text.contains("babblr_span_duration_seconds_count{span=\"llm.warmup\"}"));
}

/// A learner's own settings override the server's defaults, and are validated.
#[tokio::test]
async fn learner_settings_override_the_defaults() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("spanish", "A1", "greetings").await;
    let v: Value = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "yo es", "correction_max_level": "off"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["corrections"],
        json!([]),
        "corrections turned off by the learner"
    );
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "hola", "native_language": "klingon"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "native_language"
    );
    let res = app
        .post(
            "/chat/stream",
            json!({"conversation_id": id, "user_message": "yo es", "correction_max_level": "Z9"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "correction_max_level"
    );
}

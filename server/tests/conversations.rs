//! Conversations through the JSON API, as curl would use it, and bad input.

use testkit as common;

use common::spawn_app;
use serde_json::{json, Value};
use testkit::standin::StandinConfig;

#[tokio::test]
async fn a_conversation_is_created_listed_opened_and_deleted() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("es", "a2", "restaurant").await;

    let list: Vec<Value> = app.get("/conversations").await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0]["language"], "spanish",
        "ISO codes are stored as names"
    );
    assert_eq!(list[0]["difficulty_level"], "A2");
    assert_eq!(
        list[0]["topic_name"], "En el restaurante",
        "the topic is named in the conversation's language"
    );

    let one: Value = app
        .get(&format!("/conversations/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["topic_id"], "restaurant");
    assert_eq!(one["topic_name"], "En el restaurante");
    assert!(app.messages(id).await.is_empty());

    let res = app.delete(&format!("/conversations/{id}")).await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get(&format!("/conversations/{id}")).await.status(), 404);
    let list: Vec<Value> = app.get("/conversations").await.json().await.unwrap();
    assert!(list.is_empty());
}

#[tokio::test]
async fn topics_and_health_answer() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let topics: Vec<Value> = app
        .get("/topics?language=french")
        .await
        .json()
        .await
        .unwrap();
    assert!(topics.len() >= 17);
    let restaurant = topics.iter().find(|t| t["id"] == "restaurant").unwrap();
    assert_eq!(restaurant["name"], "Au restaurant");

    let health: Value = app.get("/health").await.json().await.unwrap();
    assert_eq!(health["database"]["status"], "ok");
    assert_eq!(health["llm"]["provider"], "ollama");
    assert_eq!(
        health["llm"]["status"], "ok",
        "the stand-in has the default model"
    );
    assert_eq!(health["llm"]["demo"], false);
}

/// A request, the status and error code it must get, and the field named.
type Case = (
    (&'static str, Value),
    u16,
    &'static str,
    Option<&'static str>,
);

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_naming_the_field() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("spanish", "A1", "greetings").await;
    let conv = |v: Value| ("/conversations", v);
    let chat = |v: Value| ("/chat", v);
    let cases: Vec<Case> = vec![
        (
            conv(json!({"language": "klingon", "difficulty_level": "A1", "topic_id": "greetings"})),
            422,
            "validation_error",
            Some("language"),
        ),
        (
            conv(json!({"language": "spanish", "difficulty_level": "D4", "topic_id": "greetings"})),
            422,
            "validation_error",
            Some("difficulty_level"),
        ),
        (
            conv(json!({"language": "spanish", "difficulty_level": "A1", "topic_id": "mars"})),
            422,
            "validation_error",
            Some("topic_id"),
        ),
        (
            conv(json!({"language": "spanish", "difficulty_level": "A1"})),
            400,
            "invalid_request",
            Some("topic_id"),
        ),
        (
            conv(json!({"language": 5, "difficulty_level": "A1", "topic_id": "greetings"})),
            400,
            "invalid_request",
            Some("language"),
        ),
        (
            chat(json!({"conversation_id": "one", "user_message": "hola"})),
            400,
            "invalid_request",
            Some("conversation_id"),
        ),
        (
            chat(json!({"conversation_id": 99999, "user_message": "hola"})),
            404,
            "not_found",
            None,
        ),
        (
            chat(json!({"conversation_id": -3, "user_message": "hola"})),
            422,
            "validation_error",
            Some("conversation_id"),
        ),
        (
            chat(json!({"conversation_id": id, "user_message": "   "})),
            422,
            "validation_error",
            Some("user_message"),
        ),
        (
            chat(json!({"conversation_id": id, "user_message": "x".repeat(5000)})),
            422,
            "validation_error",
            Some("user_message"),
        ),
        (
            chat(json!({"conversation_id": id, "user_message": "hola", "language": "french"})),
            422,
            "validation_error",
            Some("language"),
        ),
        (
            chat(json!({"conversation_id": id, "user_message": "hola", "difficulty_level": "C2"})),
            422,
            "validation_error",
            Some("difficulty_level"),
        ),
        (
            (
                "/chat/initial-message",
                json!({"conversation_id": id, "language": "spanish", "difficulty_level": "A1", "topic_id": "travel"}),
            ),
            422,
            "validation_error",
            Some("topic_id"),
        ),
    ];
    for ((path, body), status, code, field) in cases {
        let res = app.post(path, body.clone()).await;
        assert_eq!(res.status(), status, "{path} {body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"], code, "{path} {body}: {err}");
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{err}"
        );
        if let Some(field) = field {
            assert_eq!(err["field"], field, "{path} {body}: {err}");
        }
    }

    // Malformed JSON, a wrong id type in the path, a missing conversation.
    let res = app
        .http
        .post(app.url("/conversations"))
        .header("content-type", "application/json")
        .body("{\"language\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let res = app.get("/conversations/abc").await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.json::<Value>().await.unwrap()["field"],
        "conversation_id"
    );
    assert_eq!(
        app.get("/conversations/424242/messages").await.status(),
        404
    );

    // Huge and overflowing ids, oversized and mistyped bodies.
    for body in [
        "{\"conversation_id\": 99999999999999999999, \"user_message\": \"hola\"}",
        "{\"conversation_id\": 1.5, \"user_message\": \"hola\"}",
        "[]",
        "null",
        "",
    ] {
        let res = app
            .http
            .post(app.url("/chat"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "invalid_request",
            "{body}"
        );
    }
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": i64::MAX, "user_message": "hola"}),
        )
        .await;
    assert_eq!(res.status(), 404);
    let big = format!(
        "{{\"conversation_id\": {id}, \"user_message\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let res = app
        .http
        .post(app.url("/chat"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "payload_too_large"
    );
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "y".repeat(100_000)}),
        )
        .await;
    assert_eq!(res.status(), 422, "a 100 kB message");
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let res = app
            .http
            .post(app.url("/conversations"))
            .header("content-type", ct)
            .body(r#"{"language":"es","difficulty_level":"A1","topic_id":"greetings"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415, "{ct}");
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"],
            "unsupported_media_type"
        );
    }
    let res = app.post("/conversations", json!({"language": "es'; DROP TABLE conversations; --", "difficulty_level": "A1", "topic_id": "greetings"})).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        app.get("/health").await.status(),
        200,
        "the server stays up"
    );

    // Nothing half-written: only the one good conversation, and no messages.
    let list: Vec<Value> = app.get("/conversations").await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(app.messages(id).await.is_empty());
}

#[tokio::test]
async fn sixteen_concurrent_writers_never_see_a_locked_database() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("german", "B1", "work").await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let http = app.http.clone();
        let base = app.base.clone();
        tasks.push(tokio::spawn(async move {
            let a = http
                .post(format!("{base}/conversations"))
                .json(
                    &json!({"language": "german", "difficulty_level": "A1", "topic_id": "family"}),
                )
                .send()
                .await
                .unwrap()
                .status();
            let b = http
                .post(format!("{base}/chat"))
                .json(&json!({"conversation_id": id, "user_message": format!("ich bin gut {i}")}))
                .send()
                .await
                .unwrap()
                .status();
            (a, b)
        }));
    }
    for t in tasks {
        let (a, b) = t.await.unwrap();
        assert_eq!(a, 200);
        assert_eq!(b, 200);
    }
    let messages = app.messages(id).await;
    assert_eq!(
        messages.len(),
        32,
        "16 learner messages and 16 replies, each stored once"
    );
    let list: Vec<Value> = app.get("/conversations").await.json().await.unwrap();
    assert_eq!(list.len(), 17);
}

#[tokio::test]
async fn history_survives_a_restart() {
    let mut app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("italian", "A1", "hobbies").await;
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": "io sono fame"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // A new server on the same database: nothing lives in the process.
    let (vars, schema) = (app.vars.clone(), app.schema.take());
    drop(app.engine);
    let mut again = common::spawn_with(vars, app.standin, tempfile::tempdir().unwrap()).await;
    again.schema = schema;
    let messages = again.messages(id).await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["content"], "io sono fame");
    assert_eq!(messages[0]["corrected_text"], "Io ho fame.");
}

/// SQL and HTML in text are stored and returned as text, never executed.
#[tokio::test]
async fn sql_and_html_in_messages_are_kept_as_text() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("english", "A1", "greetings").await;
    let nasty = "<script>alert('x')</script> Robert'); DROP TABLE messages; --";
    let res = app
        .post(
            "/chat",
            json!({"conversation_id": id, "user_message": nasty}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let messages = app.messages(id).await;
    assert_eq!(messages[0]["content"], nasty);
    assert_eq!(app.messages(id).await.len(), 2, "the table is still there");
}

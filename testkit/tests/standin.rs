//! The stand-in Ollama speaks Ollama's wire protocol: checked with the real
//! ollama-rs client and with raw HTTP (one complete JSON line per chunk).

use futures::StreamExt;
use ollama_rs::generation::completion::request::GenerationRequest;
use ollama_rs::Ollama;
use serde_json::{json, Value};
use testkit::json_http::get_json;
use testkit::standin::{self, StandinConfig};

#[tokio::test]
async fn ollama_rs_lists_shows_and_generates() {
    let addr = standin::spawn(StandinConfig::default()).await.unwrap();
    let ollama = Ollama::try_new(format!("http://{addr}")).unwrap();
    let models = ollama.list_local_models().await.unwrap();
    assert!(models.iter().any(|m| m.name == "llama3.2:3b"));
    assert!(ollama.show_model_info("llama3.2:3b".into()).await.is_ok());

    let req = GenerationRequest::new("llama3.2:3b".into(), "hello there");
    let res = ollama.generate(req.clone()).await.unwrap();
    assert!(res.done);
    assert!(!res.response.is_empty());
    assert!(res.eval_count.is_some_and(|n| n > 0));

    let mut stream = ollama.generate_stream(req).await.unwrap();
    let mut text = String::new();
    let mut done = false;
    while let Some(chunk) = stream.next().await {
        for r in chunk.unwrap() {
            text.push_str(&r.response);
            done |= r.done;
        }
    }
    assert!(done);
    assert_eq!(text, res.response);
}

#[tokio::test]
async fn streams_are_ndjson_and_unknown_models_are_404() {
    let addr = standin::spawn(StandinConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    let res = http
        .post(format!("http://{addr}/api/chat"))
        .json(&json!({"model": "llama3.2:3b", "messages": [{"role": "user", "content": "¡hola, qué tal!"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let body = res.text().await.unwrap();
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("a complete JSON line"))
        .collect();
    assert!(lines.len() > 2);
    assert!(lines[..lines.len() - 1]
        .iter()
        .all(|l| l["done"] == false && l["message"]["role"] == "assistant"));
    let last = lines.last().unwrap();
    assert_eq!(
        (last["done"].as_bool(), last["done_reason"].as_str()),
        (Some(true), Some("stop"))
    );
    for key in [
        "total_duration",
        "load_duration",
        "prompt_eval_count",
        "prompt_eval_duration",
        "eval_count",
        "eval_duration",
    ] {
        assert!(last[key].is_u64(), "{key} in {last}");
    }

    let res = http
        .post(format!("http://{addr}/api/chat"))
        .json(&json!({"model": "mistral:7b", "messages": [{"role": "user", "content": "hi"}], "stream": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"error": "model 'mistral:7b' not found"})
    );
    let v = get_json(&http, &format!("http://{addr}/api/version")).await;
    assert!(v["version"].is_string());
}

/// What a request is for comes from its schema's title: a prompt in any
/// wording gets the same kind of answer.
#[tokio::test]
async fn the_schema_title_decides_the_answer_not_the_wording() {
    let addr = standin::spawn(StandinConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    let ask = |title: Option<&str>| {
        let mut body = json!({
            "model": "llama3.2:3b",
            "stream": false,
            "messages": [
                {"role": "system", "content": "Reworded prompt, in Spanish, with no hint of the task."},
                {"role": "user", "content": "yo es estudiante"}
            ]
        });
        if let Some(t) = title {
            body["format"] = json!({"title": t, "type": "object"});
        }
        http.post(format!("http://{addr}/api/chat"))
            .json(&body)
            .send()
    };
    let content = |v: Value| v["message"]["content"].as_str().unwrap().to_string();
    let answer = content(
        ask(Some("corrections"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    let v: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(v["corrected_text"], "Yo soy estudiante.");
    let answer = content(
        ask(Some("translation"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    assert!(serde_json::from_str::<Value>(&answer).unwrap()["translation"].is_string());
    let answer = content(
        ask(Some("transcript_fix"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    assert!(serde_json::from_str::<Value>(&answer).unwrap()["text"].is_string());
    let answer = content(ask(Some("opening")).await.unwrap().json().await.unwrap());
    assert!(serde_json::from_str::<Value>(&answer).unwrap()["message"].is_string());
    let reply = content(ask(None).await.unwrap().json().await.unwrap());
    assert!(
        serde_json::from_str::<Value>(&reply).is_err(),
        "a plain reply: {reply}"
    );
}

//! The stand-in Ollama speaks Ollama's wire protocol: checked with the real
//! ollama-rs client and with raw HTTP (one complete JSON line per chunk).

#[path = "common/json_http.rs"]
mod json_http;

use babblr::llm::standin::{self, StandinConfig};
use futures::StreamExt;
use json_http::get_json;
use ollama_rs::generation::completion::request::GenerationRequest;
use ollama_rs::Ollama;
use serde_json::{json, Value};

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

//! Load: 200 chats at once against the stand-in Ollama (loopback only,
//! bounded). Checks there are no errors and every message is stored exactly
//! once; prints latency percentiles (the stand-in answers at once, so this is
//! the app's own overhead under load).
//!
//! `cargo bench -p server --bench load` (`BABBLR_TEST_POSTGRES_URL` is not
//! used here: set DATABASE_URL to a PostgreSQL database of its own to load
//! PostgreSQL instead of SQLite; the bench leaves its tables there).

use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;
use testkit::json_http::{get_json, post_json};
use testkit::standin::{self, StandinConfig};

const CONVERSATIONS: usize = 20;
const PER_CONVERSATION: usize = 10;

#[tokio::main]
async fn main() {
    let standin = standin::spawn(StandinConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("load.db").display()));
    let vars: HashMap<String, String> = [
        ("BABBLR_LLM_URL", format!("http://{standin}")),
        ("DATABASE_URL", db),
        ("BABBLR_LLM_WARMUP", "0".into()),
        ("BABBLR_DB_MAX_CONNECTIONS", "16".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let (_engine, base) = testkit::serve(&vars).await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();

    let mut ids = Vec::new();
    for _ in 0..CONVERSATIONS {
        let c = post_json(
            &http,
            &format!("{base}/conversations"),
            &json!({"language": "spanish", "difficulty_level": "A2", "topic_id": "travel"}),
        )
        .await;
        ids.push(c["id"].as_i64().unwrap());
    }

    let started = Instant::now();
    let tasks: Vec<_> = ids
        .iter()
        .flat_map(|&id| (0..PER_CONVERSATION).map(move |n| (id, n)))
        .map(|(id, n)| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move {
                let t = Instant::now();
                let res = http
                    .post(format!("{base}/chat"))
                    .json(&json!({"conversation_id": id, "user_message": format!("mensaje {id}-{n}")}))
                    .send()
                    .await
                    .unwrap();
                let ok = res.status() == 200;
                res.bytes().await.unwrap();
                (ok, t.elapsed().as_secs_f64() * 1000.0)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (ok, ms) = t.await.unwrap();
        errors += usize::from(!ok);
        latencies.push(ms);
    }
    let wall = started.elapsed().as_secs_f64();

    let mut stored_ok = true;
    for id in &ids {
        let messages = get_json(&http, &format!("{base}/conversations/{id}/messages")).await;
        let messages = messages.as_array().expect("a list of messages");
        for n in 0..PER_CONVERSATION {
            let text = format!("mensaje {id}-{n}");
            let copies = messages
                .iter()
                .filter(|m| m["content"] == text.as_str())
                .count();
            stored_ok &= copies == 1;
        }
        stored_ok &= messages.len() == 2 * PER_CONVERSATION;
    }
    let s = babblr::stats::summarize(&latencies);
    let total = CONVERSATIONS * PER_CONVERSATION;
    println!("{total} concurrent chats in {wall:.2} s ({:.0} chats/s): {errors} errors, every message stored exactly once: {stored_ok}",
        total as f64 / wall);
    println!(
        "latency ms: p50 {:.2}  p95 {:.2}  p99 {:.2}  max {:.2}",
        s.p50, s.p95, s.p99, s.max
    );
    assert_eq!(errors, 0);
    assert!(stored_ok);
}

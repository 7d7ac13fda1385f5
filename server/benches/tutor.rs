//! The tutor's latency against the stand-in Ollama, printed as numbers:
//! - chat round trip with a 500 ms LLM: concurrent correction + reply against
//!   the sequential way (one call after the other, as the original did);
//! - time to the first streamed token against the stand-in's first-token delay.
//!
//! `cargo bench -p server --bench tutor`

use babblr::config::Config;
use babblr::llm::Llm;
use babblr::tutor::prompts;
use futures::StreamExt;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use testkit::json_http::post_json;
use testkit::standin::{self, StandinConfig};

const RUNS: usize = 7;
const LLM_MS: u64 = 500;

struct Bench {
    base: String,
    http: reqwest::Client,
    config: Config,
    _dir: tempfile::TempDir,
}

async fn start(first_token_delay_ms: u64) -> Bench {
    let standin = standin::spawn(StandinConfig {
        first_token_delay: Duration::from_millis(first_token_delay_ms),
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vars: HashMap<String, String> = [
        ("BABBLR_LLM_URL", format!("http://{standin}")),
        (
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("bench.db").display()),
        ),
        ("BABBLR_LLM_WARMUP", "0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let (engine, base) = testkit::serve(&vars).await;
    let config = engine.config().clone();
    Bench {
        base,
        http: reqwest::Client::new(),
        config,
        _dir: dir,
    }
}

impl Bench {
    async fn conversation(&self) -> i64 {
        let v = post_json(
            &self.http,
            &format!("{}/conversations", self.base),
            &json!({"language": "spanish", "difficulty_level": "A1", "topic_id": "restaurant"}),
        )
        .await;
        v["id"].as_i64().unwrap()
    }

    /// Milliseconds of one `POST /chat`.
    async fn chat(&self, id: i64, n: usize) -> f64 {
        let t = Instant::now();
        let res = self
            .http
            .post(format!("{}/chat", self.base))
            .json(&json!({"conversation_id": id, "user_message": format!("quiero una mesa {n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap();
        t.elapsed().as_secs_f64() * 1000.0
    }

    /// Milliseconds to the first `token` event of `POST /chat/stream`.
    async fn first_token(&self, id: i64, n: usize) -> f64 {
        let t = Instant::now();
        let res = self
            .http
            .post(format!("{}/chat/stream", self.base))
            .json(&json!({"conversation_id": id, "user_message": format!("hola {n}")}))
            .send()
            .await
            .unwrap();
        let mut stream = res.bytes_stream();
        let mut seen = String::new();
        let mut first = None;
        while let Some(chunk) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if first.is_none() && seen.contains("event: token") {
                first = Some(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        first.expect("a token event")
    }

    /// The original's way: correction, then reply, one after the other.
    async fn sequential(&self, llm: &Llm, n: usize) -> f64 {
        let topic = babblr::domain::topic("restaurant").unwrap();
        let (lang, level) = (
            babblr::domain::Language::Spanish,
            babblr::domain::CefrLevel::A1,
        );
        let text = format!("quiero una mesa {n}");
        let t = Instant::now();
        llm.complete(babblr::tutor::correct::request(
            lang,
            level,
            &text,
            self.config.native_language,
        ))
        .await
        .unwrap();
        llm.complete(prompts::reply_request(lang, level, topic, &[]))
            .await
            .unwrap();
        t.elapsed().as_secs_f64() * 1000.0
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let fast = start(0).await;
    let id = fast.conversation().await;
    fast.chat(id, 0).await;
    let mut fast_runs = Vec::new();
    for n in 0..RUNS {
        fast_runs.push(fast.chat(id, n).await);
    }
    let overhead = median(fast_runs);

    let slow = start(LLM_MS).await;
    let id = slow.conversation().await;
    let mut concurrent = Vec::new();
    for n in 0..RUNS {
        concurrent.push(slow.chat(id, n).await);
    }
    let llm = Llm::from_config(&slow.config.llm).unwrap();
    let mut sequential = Vec::new();
    for n in 0..RUNS {
        sequential.push(slow.sequential(&llm, n).await);
    }
    let mut ttft = Vec::new();
    for n in 0..RUNS {
        ttft.push(slow.first_token(id, n).await);
    }

    let (concurrent, sequential, ttft) = (median(concurrent), median(sequential), median(ttft));
    let bound = 1.05 * LLM_MS as f64 + overhead;
    println!(
        "chat round trip, stand-in LLM at 0 ms (overhead):  {overhead:8.2} ms (median of {RUNS})"
    );
    println!("chat round trip, stand-in LLM at {LLM_MS} ms, concurrent: {concurrent:8.2} ms  (goal < 1.05 x {LLM_MS} + overhead = {bound:.2} ms: {})",
        if concurrent < bound { "met" } else { "MISSED" });
    println!("same two LLM calls one after the other (original): {sequential:8.2} ms");
    println!("time to first streamed token, first-token delay {LLM_MS} ms: {ttft:8.2} ms  (+{:.2} ms; goal < 20 ms: {})",
        ttft - LLM_MS as f64, if ttft - (LLM_MS as f64) < 20.0 { "met" } else { "MISSED" });
}

//! What accounts cost: sign-in (Argon2id, its span from `Server-Timing`),
//! the session lookup every signed-in request pays (`db.load_session`, goal
//! p99 < 0.5 ms on SQLite), and chat throughput with accounts on against off
//! (goal: within 10 %). SQLite, the stand-in Ollama, loopback HTTP.
//!
//! `cargo bench -p server --bench accounts`

use serde_json::json;
use std::collections::HashMap;
use std::time::Instant;
use testkit::json_http::session_cookie;
use testkit::standin::{self, StandinConfig};

const SIGN_INS: usize = 30;
const LOOKUPS: usize = 500;
// Four: with the first account, five sign-ups, the per-address hourly limit.
const WORKERS: usize = 4;
const CHATS_PER_WORKER: usize = 40;

fn pct(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 * q) as usize).min(v.len() - 1)]
}

/// The `dur` of span `name` in a `Server-Timing` header.
fn span_ms(res: &reqwest::Response, name: &str) -> Option<f64> {
    let header = res.headers().get("server-timing")?.to_str().ok()?;
    header.split(", ").find_map(|entry| {
        let mut parts = entry.split(';');
        (parts.next()? == name).then(|| {
            parts
                .find_map(|p| p.strip_prefix("dur="))
                .and_then(|d| d.parse().ok())
        })?
    })
}

async fn server(auth: &str, standin: std::net::SocketAddr, dir: &tempfile::TempDir) -> String {
    let db = format!(
        "sqlite://{}",
        dir.path().join(format!("{auth}.db")).display()
    );
    let vars: HashMap<String, String> = [
        ("BABBLR_LLM_PROVIDER", "ollama".to_string()),
        ("BABBLR_LLM_URL", format!("http://{standin}")),
        ("DATABASE_URL", db),
        ("BABBLR_LLM_WARMUP", "0".into()),
        ("BABBLR_AUTH", auth.into()),
        ("BABBLR_SIGNUP", "open".into()),
        ("BABBLR_DB_MAX_CONNECTIONS", "16".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    testkit::serve(&vars).await.1
}

/// Chats per second: `WORKERS` learners at once, each in a conversation of
/// their own, `CHATS_PER_WORKER` turns each.
async fn chat_rate(base: &str, cookies: &[Option<String>]) -> f64 {
    let http = reqwest::Client::new();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for cookie in cookies {
        let (http, base, cookie) = (http.clone(), base.to_string(), cookie.clone());
        tasks.push(tokio::spawn(async move {
            let with = |r: reqwest::RequestBuilder| match &cookie {
                Some(c) => r.header("cookie", c),
                None => r,
            };
            let res = with(http.post(format!("{base}/conversations")))
                .json(&json!({"language": "spanish", "difficulty_level": "A1", "topic_id": "greetings"}))
                .send()
                .await
                .unwrap();
            let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
            for i in 0..CHATS_PER_WORKER {
                let res = with(http.post(format!("{base}/chat")))
                    .json(&json!({"conversation_id": id, "user_message": format!("yo es Ana {i}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (cookies.len() * CHATS_PER_WORKER) as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    // Collects the perf spans (prints nothing), so Server-Timing lists them.
    testkit::init_tracing();
    let standin = standin::spawn(StandinConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let on = server("on", standin, &dir).await;
    let off = server("off", standin, &dir).await;
    let http = reqwest::Client::new();

    let res = http
        .post(format!("{on}/auth/signup"))
        .json(&json!({"username": "ana", "password": "ana likes tortilla"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let (mut total, mut argon) = (Vec::new(), Vec::new());
    let mut cookie = String::new();
    for _ in 0..SIGN_INS {
        let t = Instant::now();
        let res = http
            .post(format!("{on}/auth/signin"))
            .json(&json!({"username": "ana", "password": "ana likes tortilla"}))
            .send()
            .await
            .unwrap();
        total.push(t.elapsed().as_secs_f64() * 1000.0);
        argon.push(span_ms(&res, "auth.verify_password").expect("the Argon2 span"));
        assert_eq!(res.status(), 200);
        cookie = session_cookie(&res).expect("a session cookie");
    }
    println!("accounts bench (SQLite, loopback, this machine)");
    println!(
        "sign-in ({SIGN_INS} runs)             p50 {:6.1} ms  p95 {:6.1} ms  (auth.verify_password p50 {:.1} ms)",
        pct(&mut total, 0.5),
        pct(&mut total, 0.95),
        pct(&mut argon, 0.5)
    );

    let mut lookups = Vec::with_capacity(LOOKUPS);
    for _ in 0..LOOKUPS {
        let res = http
            .get(format!("{on}/conversations"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        lookups.push(span_ms(&res, "db.load_session").expect("the session lookup span"));
    }
    let p99 = pct(&mut lookups, 0.99);
    println!(
        "session lookup per request ({LOOKUPS})  p50 {:6.3} ms  p99 {:6.3} ms  {}",
        pct(&mut lookups, 0.5),
        p99,
        if p99 < 0.5 {
            "(goal < 0.5 ms: met)"
        } else {
            "(goal < 0.5 ms: MISSED)"
        }
    );

    let mut learners = Vec::new();
    for i in 0..WORKERS {
        let res = http
            .post(format!("{on}/auth/signup"))
            .json(&json!({"username": format!("learner{i}"), "password": "a long enough secret"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            200,
            "{}",
            res.text().await.unwrap_or_default()
        );
        learners.push(Some(session_cookie(&res).expect("a session cookie")));
    }
    // Warm both, then measure off, on, off, on and keep each one's best.
    chat_rate(&off, &vec![None; WORKERS]).await;
    chat_rate(&on, &learners).await;
    let (mut best_off, mut best_on) = (0f64, 0f64);
    for _ in 0..2 {
        best_off = best_off.max(chat_rate(&off, &vec![None; WORKERS]).await);
        best_on = best_on.max(chat_rate(&on, &learners).await);
    }
    let ratio = best_on / best_off;
    println!(
        "chat throughput, {WORKERS} learners at once   off {best_off:6.1}/s  on {best_on:6.1}/s  on/off {:.2} {}",
        ratio,
        if ratio >= 0.9 { "(goal within 10 %: met)" } else { "(goal within 10 %: MISSED)" }
    );
}

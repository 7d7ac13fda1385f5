//! The review queue and the progress summary of a heavy learner: 10,000
//! cards and 100,000 review-log rows in one language (a year of daily
//! reviews), on SQLite. Prints p50/p95/p99 of `GET /review/due` and
//! `GET /progress/summary` over loopback HTTP; the goal is p99 < 20 ms.
//!
//! `cargo bench -p server --bench learn`

use sqlx::{Connection, Executor};
use std::collections::HashMap;
use std::time::Instant;

const CARDS: i64 = 10_000;
const LOG_ROWS: i64 = 100_000;
const RUNS: usize = 300;
const DAY: i64 = 86_400_000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("learn.db");
    let url = format!("sqlite://{}", path.display());
    let vars: HashMap<String, String> = [
        ("BABBLR_LLM_PROVIDER", "scripted".to_string()),
        ("DATABASE_URL", url.clone()),
        ("BABBLR_LLM_WARMUP", "0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let (_engine, base) = testkit::serve(&vars).await;
    seed(&format!("{url}?mode=rw")).await;
    let http = reqwest::Client::new();

    println!("learn bench: {CARDS} cards, {LOG_ROWS} review-log rows (SQLite, {RUNS} runs each)");
    for path in [
        "/review/due?language=spanish&limit=50",
        "/progress/summary?language=spanish",
    ] {
        let mut ms = Vec::with_capacity(RUNS);
        for i in 0..RUNS + 20 {
            let t = Instant::now();
            let res = http.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let body: serde_json::Value = res.json().await.unwrap();
            if i >= 20 {
                ms.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            if path.starts_with("/review") {
                assert!(body["due_count"].as_i64().unwrap() > 0);
            } else {
                assert_eq!(body["cards_total"].as_i64().unwrap(), CARDS);
            }
        }
        ms.sort_by(|a, b| a.total_cmp(b));
        let p = |q: f64| ms[((ms.len() as f64 * q) as usize).min(ms.len() - 1)];
        println!(
            "{path:<42} p50 {:6.2} ms  p95 {:6.2} ms  p99 {:6.2} ms  {}",
            p(0.5),
            p(0.95),
            p(0.99),
            if p(0.99) < 20.0 {
                "(goal < 20 ms: met)"
            } else {
                "(goal < 20 ms: MISSED)"
            }
        );
    }
}

/// Cards of every kind, ~5 % due now; log rows spread over the last year;
/// the per-day counts those rows imply.
async fn seed(url: &str) {
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    let now = babblr::db::now_ms();
    conn.execute("BEGIN").await.unwrap();
    for chunk in (0..CARDS).collect::<Vec<_>>().chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                let kind = ["vocabulary", "grammar", "mistake"][(*i % 3) as usize];
                let due = if i % 20 == 0 { now - i * 1000 } else { now + (i % 60 + 1) * DAY };
                let created = now - (i % 365) * DAY;
                format!(
                    "('spanish', '{kind}', 'bench/{i}', 'front {i}', 'back {i}', '', {ck}, 3.5, 5.0, {reps}, 0, {due}, {created}, {created})",
                    ck = if kind == "mistake" { "'grammar'" } else { "NULL" },
                    reps = i % 10,
                )
            })
            .collect();
        conn.execute(
            format!(
                "INSERT INTO review_cards (language, kind, source_key, front, back, note, correction_kind, \
                 stability, difficulty, reps, lapses, due_at, last_review_at, created_at) VALUES {}",
                values.join(",")
            )
            .as_str(),
        )
        .await
        .unwrap();
    }
    for chunk in (0..LOG_ROWS).collect::<Vec<_>>().chunks(1000) {
        let values: Vec<String> = chunk
            .iter()
            .map(|i| {
                let card = i % CARDS + 1;
                let at = now - (i % 365) * DAY;
                format!(
                    "({card}, 'spanish', {rep}, {rating}, {at}, 1, 3.0, 3.5, 5.0)",
                    rep = i / CARDS,
                    rating = i % 4 + 1
                )
            })
            .collect();
        conn.execute(
            format!(
                "INSERT INTO review_log (card_id, language, rep, rating, reviewed_at, elapsed_days, \
                 interval_days, stability, difficulty) VALUES {}",
                values.join(",")
            )
            .as_str(),
        )
        .await
        .unwrap();
    }
    conn.execute(
        "INSERT INTO activity_days (user_id, language, day, reviews, reviews_passed) \
         SELECT user_id, language, reviewed_at / 86400000, COUNT(*), SUM(CASE WHEN rating > 1 THEN 1 ELSE 0 END) \
         FROM review_log GROUP BY user_id, language, reviewed_at / 86400000",
    )
    .await
    .unwrap();
    conn.execute("COMMIT").await.unwrap();
    conn.execute("ANALYZE").await.unwrap();
}

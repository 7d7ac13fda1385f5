//! The perf layer from outside: timing headers on every kind of response,
//! request ids, spans kept per request, the record and /metrics.

use testkit as common;

use common::spawn_app;
use serde_json::json;
use testkit::standin::StandinConfig;
use tracing::Instrument;

fn assert_timing_headers(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    let rt = h
        .get("x-response-time")
        .unwrap_or_else(|| panic!("{what}: no X-Response-Time"))
        .to_str()
        .unwrap();
    let ms = rt
        .strip_suffix("ms")
        .unwrap_or_else(|| panic!("{what}: {rt}"));
    assert!(
        ms.split_once('.').is_some_and(|(_, d)| d.len() == 2),
        "{what}: two decimals in {rt}"
    );
    assert!(ms.parse::<f64>().is_ok(), "{what}: {rt}");
    let st = h
        .get("server-timing")
        .unwrap_or_else(|| panic!("{what}: no Server-Timing"))
        .to_str()
        .unwrap();
    assert!(st.starts_with(&format!("total;dur={ms}")), "{what}: {st}");
    assert!(h.contains_key("x-request-id"), "{what}");
    let expose = h["access-control-expose-headers"].to_str().unwrap();
    assert!(
        expose.contains("Server-Timing") && expose.contains("X-Response-Time"),
        "{what}: {expose}"
    );
}

#[tokio::test]
async fn every_kind_of_response_carries_timing_headers() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let ok = app
        .post(
            "/conversations",
            json!({"language": "es", "difficulty_level": "A1", "topic_id": "greetings"}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert_timing_headers(&ok, "server function");
    let timing = ok.headers()["server-timing"].to_str().unwrap();
    assert!(timing.contains("db.create_conversation;dur="), "{timing}");

    let bad = app
        .post(
            "/conversations",
            json!({"language": "xx", "difficulty_level": "A1", "topic_id": "greetings"}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_timing_headers(&bad, "error");

    let missing = app.get("/no/such/page").await;
    assert_eq!(missing.status(), 404);
    assert_timing_headers(&missing, "404");

    let page = app.get("/").await;
    assert_eq!(page.status(), 200);
    assert_timing_headers(&page, "page");

    let file = app.get("/favicon.svg").await;
    assert_eq!(
        file.status(),
        200,
        "run scripts/build.sh first: the site must exist"
    );
    assert_timing_headers(&file, "static file");

    let metrics = app.get("/metrics").await;
    assert_timing_headers(&metrics, "json route");
}

#[tokio::test]
async fn request_ids_are_taken_from_the_caller_or_made() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let res = app
        .http
        .get(app.url("/health"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "trace-me-42");
    let a = app.get("/health").await.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let b = app.get("/health").await.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(a, b);
    assert_eq!(a.len(), 32);
}

#[tokio::test]
async fn concurrent_requests_never_mix_their_spans() {
    let app = spawn_app(
        StandinConfig {
            first_token_delay: std::time::Duration::from_millis(100),
            ..Default::default()
        },
        &[],
    )
    .await;
    let id = app.conversation("spanish", "A1", "travel").await;
    let send = |n: usize| {
        let (http, url) = (app.http.clone(), app.url("/chat"));
        async move {
            let res = http
                .post(url)
                .header("x-request-id", format!("concurrent-{n}"))
                .json(&json!({"conversation_id": id, "user_message": format!("quiero viajar {n}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.headers()["server-timing"].to_str().unwrap().to_string()
        }
    };
    let (a, b) = tokio::join!(send(1), send(2));
    for header in [&a, &b] {
        assert_eq!(
            header.matches("chat.save_user_message;").count(),
            1,
            "{header}"
        );
        assert_eq!(
            header.matches("chat.generate_response_llm;").count(),
            1,
            "{header}"
        );
        assert_eq!(header.matches("chat.correct_text;").count(), 1, "{header}");
    }
    let records = app.engine.perf_store().recent(200);
    for rid in ["concurrent-1", "concurrent-2"] {
        let r = records.iter().find(|r| r.request_id == rid).unwrap();
        assert_eq!(
            r.spans
                .iter()
                .filter(|s| s.name == "chat.generate_response_llm")
                .count(),
            1
        );
        assert_eq!(r.route, "/chat");
        assert_eq!(r.status, 200);
    }
}

#[tokio::test]
async fn the_record_is_bounded_and_readable_by_its_server_function() {
    let app = spawn_app(StandinConfig::default(), &[("BABBLR_PERF_BUFFER", "5")]).await;
    for _ in 0..12 {
        app.get("/health").await;
    }
    let records: Vec<serde_json::Value> = app.get("/api/perf/requests").await.json().await.unwrap();
    assert_eq!(records.len(), 5);
    assert_eq!(app.engine.perf_store().len(), 5);
    assert!(records
        .iter()
        .all(|r| r["path"] == "/health" || r["path"] == "/api/perf/requests"));
}

#[tokio::test]
async fn metrics_count_spans_and_routes() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("english", "A1", "family").await;
    app.post(
        "/chat",
        json!({"conversation_id": id, "user_message": "he go home"}),
    )
    .await;
    app.get(&format!("/conversations/{id}/messages")).await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains("babblr_span_duration_seconds_bucket{span=\"chat.correct_text\""),
        "{text}"
    );
    let count_line = text
        .lines()
        .find(|l| {
            l.starts_with("babblr_span_duration_seconds_count{span=\"chat.save_user_message\"}")
        })
        .expect("count line");
    let count: f64 = count_line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 1.0);
    assert!(
        text.contains("route=\"/conversations/{id}/messages\""),
        "route templates, not raw paths"
    );
    assert!(text.contains("babblr_http_request_duration_seconds_bucket{method=\"POST\",route=\"/chat\",status=\"200\""), "{text}");
}

/// The attribute form, sync and async, and a span in a spawned task all land
/// in the request's Server-Timing header.
#[tracing::instrument(
    target = "babblr::perf",
    name = "test.sync_fn",
    level = "debug",
    skip_all
)]
fn timed_sync() -> u32 {
    41
}

#[tracing::instrument(
    target = "babblr::perf",
    name = "test.async_fn",
    level = "info",
    skip_all
)]
async fn timed_async() -> u32 {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    1
}

#[tokio::test]
async fn attribute_spans_and_spawned_task_spans_reach_server_timing() {
    use axum::routing::get;
    use tower::ServiceExt;
    common::init_tracing();
    let store = std::sync::Arc::new(babblr::perf::PerfStore::new(10));
    let router = axum::Router::new()
        .route(
            "/work",
            get(|| async {
                let spawned = babblr::perf::spawn_in_request(babblr::perf_timed!(
                    INFO,
                    "test.spawned",
                    async { tokio::time::sleep(std::time::Duration::from_millis(2)).await }
                ));
                let n = timed_sync() + timed_async().await;
                spawned.await.unwrap();
                n.to_string()
            }),
        )
        .layer(axum::middleware::from_fn_with_state(
            store.clone(),
            babblr::perf::http::middleware,
        ));
    let res = router
        .oneshot(
            http::Request::get("/work")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let timing = res.headers()["server-timing"].to_str().unwrap().to_string();
    for name in [
        "test.sync_fn;dur=",
        "test.async_fn;dur=",
        "test.spawned;dur=",
    ] {
        assert!(timing.contains(name), "{name} missing from {timing}");
    }
    axum::body::to_bytes(res.into_body(), 100).await.unwrap();
    assert_eq!(store.recent(1)[0].route, "/work");
}

/// A perf span is reported when its work ends, even while a clone of it
/// lives on: sqlx's SQLite worker thread holds the current span until after
/// it has answered, which used to drop a `db.*` entry from Server-Timing now
/// and then.
#[tokio::test]
async fn a_span_is_reported_when_its_work_ends_not_when_its_last_clone_drops() {
    common::init_tracing();
    let request = tracing::info_span!(target: babblr::perf::REQUEST_TARGET, "request", request_id = "clone-test");
    let trace = babblr::perf::trace::trace_of(&request).expect("the perf layer is installed");
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let holder = async {
        babblr::perf_timed!("db.held_elsewhere", async {
            let held = tracing::Span::current();
            std::thread::spawn(move || {
                let _ = rx.recv();
                drop(held);
            })
        })
        .await
    }
    .instrument(request.clone())
    .await;
    let names: Vec<String> = trace.spans().into_iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        ["db.held_elsewhere"],
        "reported before the clone dropped"
    );
    tx.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(trace.spans().len(), 1, "and not a second time at close");
}

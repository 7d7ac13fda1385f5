//! A hostile client against the running server: each test is a defect found
//! by attacking it (issue 18), kept as a regression test. Upload bombs,
//! disconnecting clients, slow and idle connections, cross-site and
//! rebinding requests, invented methods, concurrent openings, retries, and
//! internals in error bodies.

use testkit as common;

use common::{api_error, spawn_app, TestApp};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use testkit::standin::StandinConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends raw bytes on a fresh connection and reads until the server closes
/// it (or `wait` passes); the answer as text.
async fn raw(app: &TestApp, request: &str, wait: Duration) -> String {
    let addr = app.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code of a raw HTTP answer.
fn status_of(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A WAV header claiming anything, with 2 kB of noise after it.
fn bomb_wav(rate: u32, channels: u16) -> Vec<u8> {
    let mut v = Vec::new();
    let data: Vec<u8> = (0..2000u32).map(|i| (i * 37 % 251) as u8).collect();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    v.extend_from_slice(b"WAVEfmt ");
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&channels.to_le_bytes());
    v.extend_from_slice(&rate.to_le_bytes());
    v.extend_from_slice(&rate.wrapping_mul(2).to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&data);
    v
}

/// No absolute path, Rust type name or framework wording in an error body.
fn assert_no_internals(body: &str) {
    for leak in [
        "/home/", "/root/", "/tmp/", "/work/", "target/", "::", "i64", "u32", "usize", "struct ",
        "String", "Option<", "panicked",
    ] {
        assert!(!body.contains(leak), "'{leak}' in {body}");
    }
}

#[tokio::test]
async fn upload_bombs_get_a_422_and_the_server_stays_up() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    for (rate, channels) in [(4_294_967_291, 1), (20_000_003, 1), (16_000, 65_535)] {
        let started = Instant::now();
        let res = app
            .transcribe("language=es", bomb_wav(rate, channels))
            .await;
        let body = api_error(res, 422, "validation_error").await;
        assert_no_internals(&body.to_string());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{rate} Hz took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn cross_site_pages_cannot_change_anything() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("spanish", "A1", "greetings").await;
    let delete = |origin: Option<&'static str>, ct: Option<&'static str>| {
        let mut req = app
            .http
            .post(app.url("/api/conversation/delete"))
            .body(format!("{{\"id\": {id}}}"));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(c) = ct {
            req = req.header("content-type", c);
        }
        req.send()
    };
    // Regression: Origin evil.example and no Content-Type deleted it (200).
    let res = delete(Some("http://evil.example"), None).await.unwrap();
    api_error(res, 403, "forbidden").await;
    let res = delete(Some("http://evil.example"), Some("application/json"))
        .await
        .unwrap();
    api_error(res, 403, "forbidden").await;
    let res = delete(Some("null"), Some("application/json"))
        .await
        .unwrap();
    api_error(res, 403, "forbidden").await;
    // No Origin (curl) but no Content-Type either: what a form could send.
    let res = delete(None, None).await.unwrap();
    api_error(res, 415, "unsupported_media_type").await;
    assert_eq!(app.get(&format!("/conversations/{id}")).await.status(), 200);
    // The page's own origin may.
    let own: &'static str = Box::leak(app.base.clone().into_boxed_str());
    let res = delete(Some(own), Some("application/json")).await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(app.get(&format!("/conversations/{id}")).await.status(), 404);
}

#[tokio::test]
async fn an_origin_in_the_cors_list_may_change_state() {
    let app = spawn_app(
        StandinConfig::default(),
        &[("BABBLR_CORS_ORIGINS", "https://app.example")],
    )
    .await;
    let res = app
        .http
        .post(app.url("/conversations"))
        .header("origin", "https://app.example")
        .json(&json!({"language": "es", "difficulty_level": "A1", "topic_id": "greetings"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_rebinding_host_name_gets_nothing() {
    let app = spawn_app(
        StandinConfig::default(),
        &[("BABBLR_ALLOWED_HOSTS", "tutor.example.org")],
    )
    .await;
    app.conversation("spanish", "A1", "greetings").await;
    let ask = |host: &str| {
        format!("GET /conversations HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
    };
    // Regression: `Host: evil.example` got 200 and the data.
    let answer = raw(&app, &ask("evil.example"), Duration::from_secs(5)).await;
    assert_eq!(status_of(&answer), 421, "{answer}");
    assert!(!answer.contains("greetings"), "{answer}");
    for host in [
        "127.0.0.1",
        "localhost:8000",
        "tutor.example.org",
        "[::1]:1",
    ] {
        let answer = raw(&app, &ask(host), Duration::from_secs(5)).await;
        assert_eq!(status_of(&answer), 200, "{host}: {answer}");
    }
}

#[tokio::test]
async fn slow_headers_and_idle_connections_are_closed() {
    let app = spawn_app(
        StandinConfig::default(),
        &[
            ("BABBLR_HEADER_READ_TIMEOUT", "1"),
            ("BABBLR_IDLE_TIMEOUT", "1"),
        ],
    )
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();

    // Slowloris: a header line every 300 ms, never the blank line.
    // Regression: 5 of 5 such connections were still open after 60 s.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut closed_after = None;
    for i in 0..40 {
        if slow
            .write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
            .await
            .is_err()
        {
            closed_after = Some(started.elapsed());
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(300), slow.read(&mut buf)).await {
            Ok(Ok(_)) | Ok(Err(_)) => {
                closed_after = Some(started.elapsed());
                break;
            }
            Err(_) => {}
        }
    }
    let closed_after = closed_after.expect("the slow client was never cut");
    assert!(closed_after < Duration::from_secs(5), "{closed_after:?}");

    // A connection that says nothing is closed too.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(Duration::from_secs(5), idle.read(&mut buf))
        .await
        .expect("the idle connection was never closed");
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");

    // Everyone else is still served.
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn connections_past_the_limit_wait_instead_of_exhausting_files() {
    let app = spawn_app(
        StandinConfig::default(),
        &[
            ("BABBLR_MAX_CONNECTIONS", "4"),
            ("BABBLR_IDLE_TIMEOUT", "30"),
        ],
    )
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let keep_alive = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    // Four kept-alive connections, each answered once and held open.
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(keep_alive).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        held.push(s);
    }
    // A fifth waits: it is not served while the four are held...
    let mut fifth = TcpStream::connect(&addr).await.unwrap();
    fifth.write_all(keep_alive).await.unwrap();
    let mut buf = vec![0u8; 4096];
    assert!(
        tokio::time::timeout(Duration::from_millis(800), fifth.read(&mut buf))
            .await
            .is_err(),
        "served past the limit"
    );
    // ...and is served as soon as one of them leaves.
    drop(held.pop());
    let n = tokio::time::timeout(Duration::from_secs(5), fifth.read(&mut buf))
        .await
        .expect("the waiting client was never served")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn invented_methods_and_long_paths_do_not_grow_metrics_or_the_record() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    for i in 0..30 {
        let method = reqwest::Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
        let _ = app
            .http
            .request(method, app.url("/health"))
            .send()
            .await
            .unwrap();
    }
    let long = format!("/{}", "x".repeat(60_000));
    let res = app.get(&long).await;
    assert!(res.status().is_client_error());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    // Regression: every invented method became a label (1,000 methods, 1,000 series).
    assert!(!metrics.contains("BREW"), "invented methods in /metrics");
    assert!(metrics.contains("method=\"OTHER\""), "folded into OTHER");
    assert!(!metrics.contains(&"x".repeat(100)), "raw path in /metrics");
    let longest = app
        .engine
        .perf_store()
        .recent(1000)
        .iter()
        .map(|r| r.path.len())
        .max()
        .unwrap();
    assert!(longest <= 210, "a {longest}-byte path kept in the record");
}

#[tokio::test]
async fn concurrent_openings_store_one() {
    let standin = StandinConfig {
        first_token_delay: Duration::from_millis(300),
        ..Default::default()
    };
    let a = spawn_app(standin, &[]).await;
    // A second server on the same database, as a second process would be.
    let b = common::spawn_with(a.vars.clone(), a.standin, tempfile::tempdir().unwrap()).await;
    let id = a.conversation("spanish", "A1", "greetings").await;
    let body = json!({"conversation_id": id, "language": "spanish", "difficulty_level": "A1", "topic_id": "greetings"});
    let mut asks = Vec::new();
    for i in 0..6 {
        let (http, url) = if i % 2 == 0 {
            (a.http.clone(), a.url("/chat/initial-message"))
        } else {
            (b.http.clone(), b.url("/chat/initial-message"))
        };
        let body = body.clone();
        asks.push(tokio::spawn(async move {
            let res = http.post(url).json(&body).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()["message_id"]
                .as_i64()
                .unwrap()
        }));
    }
    let mut ids = Vec::new();
    for t in asks {
        ids.push(t.await.unwrap());
    }
    // Regression: five concurrent requests stored five openings.
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert_eq!(a.messages(id).await.len(), 1);
}

#[tokio::test]
async fn a_retry_after_a_failed_reply_answers_the_stored_message() {
    // The LLM is down.
    let (_closed, down) = testkit::refusing_url();
    let mut app = spawn_app(
        StandinConfig::default(),
        &[("BABBLR_LLM_URL", down.as_str())],
    )
    .await;
    let id = app.conversation("dutch", "A2", "weather").await;
    async fn send(app: &TestApp, id: i64) -> reqwest::Response {
        app.post(
            "/chat",
            json!({"conversation_id": id, "user_message": "ik ben honger"}),
        )
        .await
    }
    assert_eq!(send(&app, id).await.status(), 503);
    assert_eq!(send(&app, id).await.status(), 503);
    assert_eq!(app.messages(id).await.len(), 1, "the retry stored no copy");

    // The LLM is back (a restart with it configured): the same text again
    // answers the stored message.
    let mut vars = app.vars.clone();
    vars.insert("BABBLR_LLM_URL".into(), format!("http://{}", app.standin));
    let schema = app.schema.take();
    let mut again = common::spawn_with(vars, app.standin, tempfile::tempdir().unwrap()).await;
    again.schema = schema;
    let res = send(&again, id).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    let messages = again.messages(id).await;
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant"]);
    assert_eq!(v["user_message_id"], messages[0]["id"]);
    assert_eq!(messages[0]["corrected_text"], "Ik heb honger.");

    // Once answered, the same text is a new message.
    assert_eq!(send(&again, id).await.status(), 200);
    assert_eq!(again.messages(id).await.len(), 4);
}

#[tokio::test]
async fn a_client_that_gives_up_still_gets_its_reply_stored() {
    let standin = StandinConfig {
        first_token_delay: Duration::from_millis(500),
        ..Default::default()
    };
    let app = spawn_app(standin, &[]).await;
    let id = app.conversation("spanish", "A1", "greetings").await;
    // Regression: a client that gave up at 0.2 s left the message unanswered.
    let gave_up = app
        .http
        .post(app.url("/chat"))
        .timeout(Duration::from_millis(200))
        .json(&json!({"conversation_id": id, "user_message": "hola amigo"}))
        .send()
        .await;
    assert!(gave_up.is_err(), "the client was meant to give up");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let roles: Vec<String> = app
            .messages(id)
            .await
            .iter()
            .map(|m| m["role"].as_str().unwrap().to_string())
            .collect();
        if roles == ["user", "assistant"] {
            break;
        }
        assert!(Instant::now() < deadline, "no reply stored: {roles:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn framework_errors_are_json_without_internals() {
    let app = spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("spanish", "A1", "greetings").await;
    // A path that is not UTF-8.
    let res = app.get("/conversations/%FF").await;
    assert!(res.status().is_client_error());
    let body = api_body(res).await;
    assert_no_internals(&body.to_string());
    // A multipart body without a (usable) boundary: once a panic in the
    // multipart decoder once the upload became a server function.
    for ct in [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; charset=utf-8",
    ] {
        let res = app
            .http
            .post(app.url("/stt/transcribe"))
            .header("content-type", ct)
            .body("--x\r\n")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{ct}");
        let body = api_body(res).await;
        assert_no_internals(&body.to_string());
    }
    // A method a route does not take.
    let res = app
        .http
        .put(app.url(&format!("/conversations/{id}")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_no_internals(&api_body(res).await.to_string());
    // HEAD has no body, but says JSON like the GET it mirrors.
    let res = app.http.head(app.url("/chat")).send().await.unwrap();
    assert!(res.status().is_client_error());
    let kind = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("application/json"), "{kind}");
    // Mistyped bodies: JSON's words, not Rust's.
    for body in [
        json!({"conversation_id": "one", "user_message": "hola"}),
        json!({"conversation_id": 1.5, "user_message": "hola"}),
        json!([1, 2]),
        json!({"conversation_id": id, "user_message": ["hola"]}),
    ] {
        let res = app.post("/chat", body.clone()).await;
        assert_eq!(res.status(), 400, "{body}");
        assert_no_internals(&res.text().await.unwrap());
    }
    let res = app
        .post(
            "/conversations",
            json!({"language": true, "difficulty_level": "A1", "topic_id": "x"}),
        )
        .await;
    assert_no_internals(&res.text().await.unwrap());
    // Health and the model list name models, never where they live.
    for path in ["/health", "/stt/models"] {
        let text = app.get(path).await.text().await.unwrap();
        assert_no_internals(&text);
        assert!(!text.contains("shared/models"), "{path}: {text}");
    }
}

/// A JSON error body, whatever its status.
async fn api_body(res: reqwest::Response) -> Value {
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(kind.starts_with("application/json"), "{status}: {kind}");
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{body}"
    );
    body
}

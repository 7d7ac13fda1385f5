//! The exact `[PERF]` log lines, read through a capturing subscriber. A test
//! binary of its own, because the subscriber is process-wide.

use testkit as common;

use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use testkit::standin::{self, StandinConfig};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The line with `needle`, and its level.
fn line<'a>(log: &'a str, needle: &str) -> &'a str {
    log.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{log}"))
}

fn ends_with_ms(line: &str, prefix: &str) -> bool {
    let Some(rest) = line.split(prefix).nth(1) else {
        return false;
    };
    let num = rest.split("ms").next().unwrap_or_default();
    num.split_once('.')
        .is_some_and(|(a, b)| !a.is_empty() && b.len() == 2 && num.parse::<f64>().is_ok())
}

#[tokio::test]
async fn perf_lines_have_the_original_format_and_carry_the_request_id() {
    let capture = Capture::default();
    let filter = babblr::perf::subscriber::EnvFilter::new("babblr::perf=debug");
    tracing::subscriber::set_global_default(babblr::perf::subscriber::build(filter, {
        let c = capture.clone();
        move || c.clone()
    }))
    .unwrap();

    let standin = standin::spawn(StandinConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, schema) = common::database(&dir).await;
    let mut app = common::spawn_with(common::settings(standin, &db), standin, dir).await;
    app.schema = schema;
    let id = app.conversation("spanish", "A1", "greetings").await;
    let res = app
        .http
        .post(app.url("/chat"))
        .header("x-request-id", "log-test-1")
        .json(&json!({"conversation_id": id, "user_message": "yo tiene hambre"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let start = line(
        &log,
        "[PERF] REQUEST START - POST /chat request_id=log-test-1",
    );
    assert!(start.contains("DEBUG"), "{start}");
    let s = line(&log, "[PERF] chat.correct_text - START");
    assert!(s.contains("DEBUG") && s.contains("log-test-1"), "{s}");
    let done = line(&log, "[PERF] chat.correct_text - DONE in ");
    assert!(
        done.contains(" INFO ") && done.contains("request_id=log-test-1"),
        "{done}"
    );
    assert!(ends_with_ms(done, "DONE in "), "{done}");
    let small = line(&log, "[PERF] chat.save_user_message - DONE in ");
    assert!(small.contains("DEBUG"), "small spans log at DEBUG: {small}");
    let llm = line(&log, "[PERF] chat.generate_response_llm - DONE in ");
    assert!(llm.contains(" INFO "), "{llm}");
    let complete = line(&log, "[PERF] REQUEST COMPLETE - POST /chat - 200 - ");
    assert!(
        complete.contains(" INFO ") && complete.contains("log-test-1"),
        "{complete}"
    );
    assert!(ends_with_ms(complete, "200 - "), "{complete}");
}

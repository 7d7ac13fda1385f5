//! `babblr models pull`: downloads against a stand-in model hub on loopback
//! (it serves files the way Hugging Face does: `X-Linked-Etag` with the
//! SHA-256, byte ranges), including a download cut short and resumed, and
//! a file whose checksum does not match.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use babblr::stt::models;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The stand-in hub's behaviour.
struct Hub {
    file: Vec<u8>,
    /// The hash it publishes (the right one, or not).
    published: String,
    /// Cut the first N responses off half-way.
    cut_first: usize,
    served: AtomicUsize,
    ranges_asked: AtomicUsize,
}

async fn serve_file(
    State(hub): State<Arc<Hub>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    if name != "ggml-tiny.bin" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let n = hub.served.fetch_add(1, Ordering::SeqCst);
    let start = headers
        .get("range")
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
        .unwrap_or(0);
    if start > 0 {
        hub.ranges_asked.fetch_add(1, Ordering::SeqCst);
    }
    let body = hub.file[start..].to_vec();
    let len = body.len();
    let status = if start > 0 {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let stream: Body = if n < hub.cut_first {
        // Send half, then fail the body: the connection is cut.
        let half = body[..len / 2].to_vec();
        let pieces = vec![
            Ok::<_, std::io::Error>(half),
            Err(std::io::Error::other("cut")),
        ];
        Body::from_stream(futures::StreamExt::then(
            futures::stream::iter(pieces),
            |piece| async move {
                // Let the first half reach the client before the cut.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                piece
            },
        ))
    } else {
        Body::from(body)
    };
    (
        status,
        [
            ("x-linked-etag", format!("\"{}\"", hub.published)),
            ("content-length", len.to_string()),
        ],
        stream,
    )
        .into_response()
}

async fn spawn_hub(hub: Arc<Hub>) -> String {
    let app = Router::new()
        .route("/{name}", get(serve_file))
        .with_state(hub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn file() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

fn sha256(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f");
    std::fs::write(&p, bytes).unwrap();
    models::sha256_file(&p).unwrap()
}

#[tokio::test]
async fn a_cut_download_resumes_where_it_stopped_and_is_checked() {
    let bytes = file();
    let hub = Arc::new(Hub {
        published: sha256(&bytes),
        file: bytes.clone(),
        cut_first: 1,
        served: AtomicUsize::new(0),
        ranges_asked: AtomicUsize::new(0),
    });
    let url = spawn_hub(hub.clone()).await;
    let dir = tempfile::tempdir().unwrap();

    let first = models::pull("tiny", dir.path(), &url, false).await;
    let err = first.unwrap_err().to_string();
    assert!(
        err.contains("run the same command again to resume"),
        "{err}"
    );
    let part = dir.path().join("ggml-tiny.bin.part");
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept < bytes.len() as u64, "kept {kept} bytes");

    let path = models::pull("tiny", dir.path(), &url, false).await.unwrap();
    assert_eq!(path, dir.path().join("ggml-tiny.bin"));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "resumed file is whole"
    );
    assert_eq!(
        hub.ranges_asked.load(Ordering::SeqCst),
        1,
        "asked for the rest only"
    );
    assert!(!part.exists());
}

#[tokio::test]
async fn a_file_that_does_not_match_the_published_hash_is_thrown_away() {
    let hub = Arc::new(Hub {
        published: "0".repeat(64),
        file: file(),
        cut_first: 0,
        served: AtomicUsize::new(0),
        ranges_asked: AtomicUsize::new(0),
    });
    let url = spawn_hub(hub).await;
    let dir = tempfile::tempdir().unwrap();
    let err = models::pull("tiny", dir.path(), &url, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(!dir.path().join("ggml-tiny.bin").exists());
    assert!(!dir.path().join("ggml-tiny.bin.part").exists());

    let err = models::pull("enormous", dir.path(), &url, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown Whisper model"), "{err}");
}

#[test]
fn the_cli_lists_models_and_says_which_is_in_use() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ggml-small.bin"), b"x").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_babblr"))
        .args(["models", "list"])
        .env("BABBLR_MODEL_DIR", dir.path())
        .env("BABBLR_WHISPER_MODEL", "small")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let small = text
        .lines()
        .find(|l| l.trim_start().starts_with("small "))
        .unwrap();
    assert!(
        small.contains("downloaded") && small.contains("(in use)"),
        "{text}"
    );
    let base = text
        .lines()
        .find(|l| l.trim_start().starts_with("base "))
        .unwrap();
    assert!(!base.contains("downloaded"), "{text}");
}

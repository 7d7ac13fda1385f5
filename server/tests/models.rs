//! `babblr models pull`: downloads against a stand-in model hub on loopback
//! (it serves files the way Hugging Face does: `X-Linked-Etag` with the
//! SHA-256, byte ranges, 416 past the end), including a download cut short
//! and resumed, a file whose checksum does not match the catalogue's, a hub
//! that publishes no hash, one that stalls, and a part file already whole;
//! and a built-in (GGUF) model pulled by its catalogue name, checked against
//! the catalogue's real hash.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use babblr::download;
use babblr::stt::models;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The stand-in hub's behaviour.
struct Hub {
    /// The path it serves the file at.
    path: String,
    file: Vec<u8>,
    /// The hash it publishes (the right one, or not, or none).
    published: Option<String>,
    /// Cut the first N responses off half-way.
    cut_first: usize,
    /// Send half, then nothing more (without closing).
    stall: bool,
    served: AtomicUsize,
    ranges_asked: AtomicUsize,
}

async fn serve_file(
    State(hub): State<Arc<Hub>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    if path != hub.path {
        return StatusCode::NOT_FOUND.into_response();
    }
    let published = hub
        .published
        .as_ref()
        .map(|h| format!("\"{h}\""))
        .unwrap_or_default();
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
    if start >= hub.file.len() {
        return StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    }
    let body = hub.file[start..].to_vec();
    let len = body.len();
    let status = if start > 0 {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let stream: Body = if hub.stall {
        let half = body[..len / 2].to_vec();
        let first = futures::stream::iter([Ok::<_, std::io::Error>(half)]);
        Body::from_stream(futures::StreamExt::chain(first, futures::stream::pending()))
    } else if n < hub.cut_first {
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
            ("x-linked-etag", published),
            ("content-length", len.to_string()),
        ],
        stream,
    )
        .into_response()
}

async fn spawn_hub(hub: Arc<Hub>) -> String {
    let app = Router::new()
        .route("/{*path}", get(serve_file))
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
    download::sha256_file(&p).unwrap()
}

fn hub(file: Vec<u8>, published: Option<String>) -> Hub {
    Hub {
        path: "ggml-tiny.bin".into(),
        file,
        published,
        cut_first: 0,
        stall: false,
        served: AtomicUsize::new(0),
        ranges_asked: AtomicUsize::new(0),
    }
}

const QUICK: download::Download = download::Download {
    progress: false,
    read_timeout: std::time::Duration::from_secs(30),
};

/// The stand-in hub's file, checked against its own hash (the catalogue's
/// hashes are for the real files).
async fn fetch_tiny(
    url: &str,
    dir: &std::path::Path,
    sha: &str,
    opts: download::Download,
) -> babblr::error::Result<std::path::PathBuf> {
    download::download(
        &format!("{url}/ggml-tiny.bin"),
        &dir.join("ggml-tiny.bin"),
        sha,
        opts,
    )
    .await
}

#[tokio::test]
async fn a_cut_download_resumes_where_it_stopped_and_is_checked() {
    let bytes = file();
    let sum = sha256(&bytes);
    let hub = Arc::new(Hub {
        cut_first: 1,
        ..hub(bytes.clone(), Some(sum.clone()))
    });
    let url = spawn_hub(hub.clone()).await;
    let dir = tempfile::tempdir().unwrap();

    let first = fetch_tiny(&url, dir.path(), &sum, QUICK).await;
    let err = first.unwrap_err().to_string();
    assert!(
        err.contains("run the same command again to resume"),
        "{err}"
    );
    let part = dir.path().join("ggml-tiny.bin.part");
    let kept = std::fs::metadata(&part).unwrap().len();
    assert!(kept > 0 && kept < bytes.len() as u64, "kept {kept} bytes");

    let path = fetch_tiny(&url, dir.path(), &sum, QUICK).await.unwrap();
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
async fn a_file_that_does_not_match_the_catalogue_is_thrown_away() {
    // The hub publishes the garbage file's own hash: only the catalogue's counts.
    let garbage = file();
    let hub = Arc::new(hub(garbage.clone(), Some(sha256(&garbage))));
    let url = spawn_hub(hub).await;
    let dir = tempfile::tempdir().unwrap();
    let err = models::pull("tiny", dir.path(), &url, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("different file"), "{err}");
    assert!(!dir.path().join("ggml-tiny.bin").exists());

    let err = models::pull("enormous", dir.path(), &url, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown Whisper model"), "{err}");
}

#[tokio::test]
async fn a_hub_that_publishes_no_hash_cannot_plant_a_file() {
    // Regression: with no hash from the hub, a garbage file was saved as the model.
    let hub = Arc::new(hub(file(), None));
    let url = spawn_hub(hub).await;
    let dir = tempfile::tempdir().unwrap();
    let err = models::pull("tiny", dir.path(), &url, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(!dir.path().join("ggml-tiny.bin").exists());
    assert!(!dir.path().join("ggml-tiny.bin.part").exists());
}

#[tokio::test]
async fn paths_and_file_names_are_not_model_names() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "../evil",
        "x/ggml-tiny",
        "ggml-tiny.bin",
        "tiny.bin",
        "/etc/passwd",
    ] {
        let err = models::pull(name, dir.path(), "http://127.0.0.1:9", false)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown Whisper model"), "{name}: {err}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_stalled_hub_times_out_and_the_part_resumes() {
    // Regression: only a connect timeout, so a hub that stopped sending hung forever.
    let bytes = file();
    let sum = sha256(&bytes);
    let stalling = Arc::new(Hub {
        stall: true,
        ..hub(bytes.clone(), Some(sum.clone()))
    });
    let url = spawn_hub(stalling).await;
    let dir = tempfile::tempdir().unwrap();
    let short = download::Download {
        progress: false,
        read_timeout: std::time::Duration::from_millis(500),
    };
    let started = std::time::Instant::now();
    let err = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        fetch_tiny(&url, dir.path(), &sum, short),
    )
    .await
    .expect("gave up on the stalled hub")
    .unwrap_err()
    .to_string();
    assert!(err.contains("stalled"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let healthy = Arc::new(hub(bytes.clone(), Some(sum.clone())));
    let url = spawn_hub(healthy.clone()).await;
    let path = fetch_tiny(&url, dir.path(), &sum, QUICK).await.unwrap();
    assert_eq!(std::fs::read(path).unwrap(), bytes);
    assert_eq!(healthy.ranges_asked.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_part_that_is_already_whole_is_checked_and_kept() {
    // Regression: a complete `.part` got 416 from the hub forever.
    let bytes = file();
    let sum = sha256(&bytes);
    let hub = Arc::new(hub(bytes.clone(), Some(sum.clone())));
    let url = spawn_hub(hub.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ggml-tiny.bin.part"), &bytes).unwrap();
    let path = fetch_tiny(&url, dir.path(), &sum, QUICK).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(!dir.path().join("ggml-tiny.bin.part").exists());

    // A whole-sized part with the wrong bytes is thrown away, not kept.
    std::fs::remove_file(&path).unwrap();
    std::fs::write(
        dir.path().join("ggml-tiny.bin.part"),
        vec![0u8; bytes.len()],
    )
    .unwrap();
    let err = fetch_tiny(&url, dir.path(), &sum, QUICK)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(!dir.path().join("ggml-tiny.bin.part").exists());
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

#[tokio::test]
async fn a_gguf_model_is_pulled_by_name_from_its_repository_path() {
    use babblr::llm::models as gguf;
    // The real SmolLM2 file the catalogue pins, served where Hugging Face
    // serves it.
    let bytes = std::fs::read(testkit::gguf_path()).unwrap();
    let entry = gguf::known("smollm2-135m").unwrap();
    let hub = Arc::new(Hub {
        path: format!("{}/resolve/main/{}", entry.repo, entry.file),
        ..hub(bytes.clone(), Some(entry.sha256.to_string()))
    });
    let url = spawn_hub(hub.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = gguf::pull("smollm2-135m", dir.path(), &url, false)
        .await
        .unwrap();
    assert_eq!(path, dir.path().join("SmolLM2-135M-Instruct.Q4_1.gguf"));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), bytes.len() as u64);
    assert_eq!(
        gguf::resolve("smollm2-135m", dir.path()).unwrap(),
        path,
        "the setting finds what was pulled"
    );
    // Pulled again: the file is checked and kept, nothing is fetched.
    let served = hub.served.load(Ordering::SeqCst);
    gguf::pull("smollm2-135m", dir.path(), &url, false)
        .await
        .unwrap();
    assert_eq!(hub.served.load(Ordering::SeqCst), served);
    let listed = gguf::list(dir.path(), &path);
    assert!(listed
        .iter()
        .any(|m| m.name == "smollm2-135m" && m.downloaded && m.current));
    let e = gguf::pull("llama3.2:3b", dir.path(), &url, false)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("qwen2.5-1.5b"), "{e}");
}

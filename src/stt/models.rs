//! Whisper models: the names a user may give, where their files live, and
//! `babblr models pull NAME`, which downloads whisper.cpp's GGML files from
//! their public hub with a progress bar, resumes a cut download and checks
//! the file's SHA-256 against the one the hub publishes.

use crate::api::SttModel;
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Models whisper.cpp publishes, with their download size in MB.
pub const KNOWN: &[(&str, u32)] = &[
    ("tiny", 75),
    ("tiny.en", 75),
    ("base", 142),
    ("base.en", 142),
    ("small", 466),
    ("small.en", 466),
    ("medium", 1500),
    ("medium.en", 1500),
    ("large-v3-turbo", 1620),
    ("large-v3", 3100),
];

/// The file name of a named model (`ggml-base.bin`).
pub fn file_name(name: &str) -> String {
    format!("ggml-{name}.bin")
}

/// The model file a setting names: a known name inside `dir`, or a path.
pub fn resolve(setting: &str, dir: &Path) -> Result<PathBuf> {
    if KNOWN.iter().any(|(n, _)| *n == setting) {
        return Ok(dir.join(file_name(setting)));
    }
    if setting.contains('/') || setting.ends_with(".bin") {
        return Ok(PathBuf::from(setting));
    }
    Err(Error::SttUnavailable(format!(
        "unknown Whisper model '{setting}'; use one of {} or a path to a GGML file",
        KNOWN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    )))
}

/// Every known model, and whether it is in `dir`.
pub fn list(dir: &Path, current: &Path) -> Vec<SttModel> {
    let mut models: Vec<SttModel> = KNOWN
        .iter()
        .map(|(name, mb)| {
            let path = dir.join(file_name(name));
            SttModel {
                name: name.to_string(),
                size_mb: *mb,
                downloaded: path.is_file(),
                current: path == current,
                path: path.display().to_string(),
            }
        })
        .collect();
    if !models.iter().any(|m| m.current) {
        models.push(SttModel {
            name: current
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size_mb: std::fs::metadata(current)
                .map(|m| (m.len() / 1_000_000) as u32)
                .unwrap_or(0),
            downloaded: current.is_file(),
            current: true,
            path: current.display().to_string(),
        });
    }
    models
}

/// Downloads model `name` from `hub` into `dir`, resuming a `.part` file left
/// by an earlier attempt, and checks its SHA-256 against the hub's
/// `X-Linked-Etag` (Hugging Face's hash of the stored file). Returns the path.
pub async fn pull(name: &str, dir: &Path, hub: &str, progress: bool) -> Result<PathBuf> {
    if !KNOWN.iter().any(|(n, _)| *n == name) {
        resolve(name, dir)?; // the error that lists the names
    }
    let fail = |what: &str, e: &dyn std::fmt::Display| Error::Internal(format!("{what}: {e}"));
    std::fs::create_dir_all(dir)
        .map_err(|e| fail(&format!("cannot create {}", dir.display()), &e))?;
    let target = dir.join(file_name(name));
    let part = dir.join(format!("{}.part", file_name(name)));
    let url = format!("{hub}/{}", file_name(name));
    let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);

    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(|e| fail("HTTP client", &e))?;
    let mut req = client.get(&url);
    if have > 0 {
        req = req.header(http::header::RANGE, format!("bytes={have}-"));
    }
    let res = req
        .send()
        .await
        .map_err(|e| fail(&format!("cannot reach {url}"), &e))?;
    let status = res.status();
    if !status.is_success() {
        return Err(Error::Internal(format!("{url} answered {status}")));
    }
    let expected = published_sha256(res.headers());
    // 206: the server continues where the part file ends; 200: from the start.
    let resumed = status == http::StatusCode::PARTIAL_CONTENT && have > 0;
    let total = res
        .content_length()
        .map(|n| n + if resumed { have } else { 0 });
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(resumed)
        .write(true)
        .truncate(!resumed)
        .open(&part)
        .map_err(|e| fail(&format!("cannot write {}", part.display()), &e))?;
    let bar = progress.then(|| {
        let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_message(file_name(name));
        bar.set_position(if resumed { have } else { 0 });
        bar
    });
    let mut body = res.bytes_stream();
    use futures::StreamExt;
    use std::io::Write;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            fail(
                "download cut short (run the same command again to resume)",
                &e,
            )
        })?;
        file.write_all(&chunk)
            .map_err(|e| fail(&format!("cannot write {}", part.display()), &e))?;
        if let Some(bar) = &bar {
            bar.inc(chunk.len() as u64);
        }
    }
    file.flush().map_err(|e| fail("flush", &e))?;
    drop(file);
    if let Some(bar) = &bar {
        bar.finish();
    }
    let actual = sha256_file(&part).map_err(|e| fail("cannot read the download", &e))?;
    if let Some(expected) = expected {
        if expected != actual {
            let _ = std::fs::remove_file(&part);
            return Err(Error::Internal(format!(
                "checksum mismatch for {}: expected sha256 {expected}, got {actual}; the partial file was removed, run the command again",
                file_name(name)
            )));
        }
    }
    std::fs::rename(&part, &target).map_err(|e| fail("cannot move the download in place", &e))?;
    Ok(target)
}

/// The SHA-256 the hub publishes for the file, when it does.
fn published_sha256(headers: &http::HeaderMap) -> Option<String> {
    ["x-linked-etag", "etag"]
        .iter()
        .filter_map(|h| headers.get(*h)?.to_str().ok())
        .map(|v| {
            v.trim_start_matches("W/")
                .trim_matches('"')
                .to_ascii_lowercase()
        })
        .find(|v| v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The SHA-256 of a file, in hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_resolve() {
        let dir = Path::new("/m");
        assert_eq!(resolve("base", dir).unwrap(), Path::new("/m/ggml-base.bin"));
        assert_eq!(
            resolve("large-v3-turbo", dir).unwrap(),
            Path::new("/m/ggml-large-v3-turbo.bin")
        );
        assert_eq!(
            resolve("../x/ggml-custom.bin", dir).unwrap(),
            Path::new("../x/ggml-custom.bin")
        );
        let e = resolve("huge", dir).unwrap_err().to_api();
        assert_eq!(e.error, "stt_unavailable");
        assert!(e.message.contains("large-v3-turbo"), "{}", e.message);
    }

    #[test]
    fn the_hubs_hash_is_read_from_its_headers() {
        let mut h = http::HeaderMap::new();
        let sum = "a".repeat(64);
        h.insert("x-linked-etag", format!("\"{sum}\"").parse().unwrap());
        assert_eq!(published_sha256(&h), Some(sum));
        let mut h = http::HeaderMap::new();
        h.insert("etag", "\"abc-123\"".parse().unwrap());
        assert_eq!(published_sha256(&h), None);
    }
}

//! Model downloads: one file from a public hub (Hugging Face for Whisper
//! and GGUF models), with a progress bar, resumption of a cut download, and
//! the file kept only when its SHA-256 is the one the caller's catalogue
//! pins.
//!
//! The hashes come from the catalogues rather than from the hub's answer: a
//! hub (or a proxy in front of it) that sends no hash, or a wrong file with
//! its own hash, must not end up as the model. Written here rather than
//! taken from `hf-hub`: that crate trusts the hub's ETag and has no pinned
//! hash, and this one is ~150 lines with its faults tested
//! (`server/tests/models.rs`).

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a download may go without receiving a byte before it is given up
/// (and can be resumed by running the command again).
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// How [`download`] behaves.
#[derive(Debug, Clone, Copy)]
pub struct Download {
    /// Draw a progress bar on the terminal.
    pub progress: bool,
    /// Give up when no byte arrives for this long.
    pub read_timeout: Duration,
}

/// Downloads `url` to `target` through `target.part`, resuming a part left by
/// an earlier attempt with a Range request, and moves it in place only when
/// its SHA-256 is `sha256`; a file that does not match is deleted. A part that
/// is already whole (the hub answers 416 to the range) is checked and kept.
pub async fn download(url: &str, target: &Path, sha256: &str, opts: Download) -> Result<PathBuf> {
    let fail = |what: &str, e: &dyn std::fmt::Display| Error::Internal(format!("{what}: {e}"));
    let shown = file_label(target);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| fail(&format!("cannot create {}", dir.display()), &e))?;
    }
    let part = target.with_file_name(format!("{shown}.part"));
    let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);

    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(opts.read_timeout)
        .build()
        .map_err(|e| fail("HTTP client", &e))?;
    let mut req = client.get(url);
    if have > 0 {
        req = req.header(http::header::RANGE, format!("bytes={have}-"));
    }
    let res = req
        .send()
        .await
        .map_err(|e| fail(&format!("cannot reach {url}"), &e))?;
    let status = res.status();
    // 416: nothing is left after the part's end, so the part is whole.
    let whole = status == http::StatusCode::RANGE_NOT_SATISFIABLE && have > 0;
    if !status.is_success() && !whole {
        return Err(Error::Internal(format!("{url} answered {status}")));
    }
    if let Some(published) = published_sha256(res.headers()).filter(|_| !whole) {
        if published != sha256 {
            return Err(Error::Internal(format!(
                "{url} now serves a different file (sha256 {published}, expected {sha256}); not downloaded"
            )));
        }
    }
    if !whole {
        receive(res, &part, have, &shown, opts).await?;
    }
    let actual = sha256_file(&part).map_err(|e| fail("cannot read the download", &e))?;
    if actual != sha256 {
        let _ = std::fs::remove_file(&part);
        return Err(Error::Internal(format!(
            "checksum mismatch for {shown}: expected sha256 {sha256}, got {actual}; the download was removed, run the command again"
        )));
    }
    std::fs::rename(&part, target).map_err(|e| fail("cannot move the download in place", &e))?;
    Ok(target.to_path_buf())
}

/// Writes a response body to `part`: appended after `have` bytes on a 206,
/// from the start otherwise.
async fn receive(
    res: reqwest::Response,
    part: &Path,
    have: u64,
    shown: &str,
    opts: Download,
) -> Result<()> {
    use futures::StreamExt;
    use std::io::Write;
    let fail = |what: &str, e: &dyn std::fmt::Display| Error::Internal(format!("{what}: {e}"));
    // 206: the server continues where the part file ends; 200: from the start.
    let resumed = res.status() == http::StatusCode::PARTIAL_CONTENT && have > 0;
    let total = res
        .content_length()
        .map(|n| n + if resumed { have } else { 0 });
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(resumed)
        .write(true)
        .truncate(!resumed)
        .open(part)
        .map_err(|e| fail(&format!("cannot write {}", part.display()), &e))?;
    let bar = opts.progress.then(|| {
        let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_message(shown.to_string());
        bar.set_position(if resumed { have } else { 0 });
        bar
    });
    let mut body = res.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            fail(
                "download cut short or stalled (run the same command again to resume)",
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
    if let Some(bar) = &bar {
        bar.finish();
    }
    Ok(())
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

/// A model file as shown to users and clients: its file name, never its
/// folder (where files live is the local admin's business).
pub fn file_label(path: impl AsRef<Path>) -> String {
    path.as_ref()
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
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

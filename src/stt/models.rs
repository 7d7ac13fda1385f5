//! Whisper models: the names a user may give, where their files live, and
//! `babblr models pull NAME`, which downloads whisper.cpp's GGML files from
//! their public hub with a progress bar, resumes a cut download and keeps
//! the file only when its SHA-256 is the one in this catalogue.
//!
//! The hashes live here rather than being taken from the hub's answer: a hub
//! (or a proxy in front of it) that sends no hash, or a wrong file with its
//! own hash, must not end up as the model.

use crate::api::SttModel;
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A model whisper.cpp publishes.
#[derive(Debug, Clone, Copy)]
pub struct ModelFile {
    pub name: &'static str,
    /// Download size, in MB.
    pub size_mb: u32,
    /// SHA-256 of the published file (Hugging Face's LFS object id).
    pub sha256: &'static str,
}

/// The catalogue. `medium.en` is left out: its hash could not be checked.
pub const KNOWN: &[ModelFile] = &[
    model(
        "tiny",
        75,
        "be07e048e1e599ad46341c8d2a135645097a538221678b7acdd1b1919c6e1b21",
    ),
    model(
        "tiny.en",
        75,
        "921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f",
    ),
    model(
        "base",
        142,
        "60ed5bc3dd14eea856493d334349b405782ddcaf0028d4b5df4088345fba2efe",
    ),
    model(
        "base.en",
        142,
        "a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002",
    ),
    model(
        "small",
        466,
        "1be3a9b2063867b937e64e2ec7483364a79917e157fa98c5d94b5c1fffea987b",
    ),
    model(
        "small.en",
        466,
        "c6138d6d58ecc8322097e0f987c32f1be8bb0a18532a3f88f734d1bbf9c41e5d",
    ),
    model(
        "medium",
        1500,
        "6c14d5adee5f86394037b4e4e8b59f1673b6cee10e3cf0b11bbdbee79c156208",
    ),
    model(
        "large-v3-turbo",
        1620,
        "1fc70f774d38eb169993ac391eea357ef47c88757ef72ee5943879b7e8e2bc69",
    ),
    model(
        "large-v3",
        3100,
        "64d182b440b98d5203c4f9bd541544d84c605196c4f7b845dfa11fb23594d1e2",
    ),
];

const fn model(name: &'static str, size_mb: u32, sha256: &'static str) -> ModelFile {
    ModelFile {
        name,
        size_mb,
        sha256,
    }
}

/// The catalogue entry for `name`.
pub fn known(name: &str) -> Option<&'static ModelFile> {
    KNOWN.iter().find(|m| m.name == name)
}

fn unknown(name: &str) -> Error {
    Error::SttUnavailable(format!(
        "unknown Whisper model '{name}'; use one of {} or a path to a GGML file",
        KNOWN.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
    ))
}

/// The file name of a named model (`ggml-base.bin`).
pub fn file_name(name: &str) -> String {
    format!("ggml-{name}.bin")
}

/// The model file a setting names: a known name inside `dir`, or a path.
pub fn resolve(setting: &str, dir: &Path) -> Result<PathBuf> {
    if known(setting).is_some() {
        return Ok(dir.join(file_name(setting)));
    }
    if setting.contains('/') || setting.ends_with(".bin") {
        return Ok(PathBuf::from(setting));
    }
    Err(unknown(setting))
}

/// How a setting is shown to clients: the name, or a path's file name
/// (where files live is the local admin's business, not a client's).
pub fn display_name(setting: &str) -> String {
    if known(setting).is_some() {
        return setting.to_string();
    }
    Path::new(setting)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every known model, and whether it is in `dir`.
pub fn list(dir: &Path, current: &Path) -> Vec<SttModel> {
    let mut models: Vec<SttModel> = KNOWN
        .iter()
        .map(|m| {
            let path = dir.join(file_name(m.name));
            SttModel {
                name: m.name.to_string(),
                size_mb: m.size_mb,
                downloaded: path.is_file(),
                current: path == current,
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
        });
    }
    models
}

/// How long a download may go without receiving a byte before it is given up
/// (and can be resumed by running the command again).
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Downloads catalogue model `name` from `hub` into `dir` (see [`download`]).
/// Only catalogue names are taken: a path or a made-up name is refused.
pub async fn pull(name: &str, dir: &Path, hub: &str, progress: bool) -> Result<PathBuf> {
    let model = known(name).ok_or_else(|| unknown(name))?;
    let file = file_name(model.name);
    download(
        &format!("{}/{file}", hub.trim_end_matches('/')),
        &dir.join(&file),
        model.sha256,
        Download {
            progress,
            read_timeout: READ_TIMEOUT,
        },
    )
    .await
}

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
    let shown = target
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
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
        assert_eq!(display_name("base"), "base");
        assert_eq!(display_name("/home/me/models/ggml-x.bin"), "ggml-x.bin");
        let e = resolve("huge", dir).unwrap_err().to_api();
        assert_eq!(e.error, "stt_unavailable");
        assert!(e.message.contains("large-v3-turbo"), "{}", e.message);
    }

    #[test]
    fn every_catalogue_entry_has_a_sha256() {
        for m in KNOWN {
            assert_eq!(m.sha256.len(), 64, "{}", m.name);
            assert!(m
                .sha256
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        }
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

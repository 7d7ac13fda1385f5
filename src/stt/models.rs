//! Whisper models: the names a user may give, where their files live, and
//! `babblr models pull NAME`, which downloads whisper.cpp's GGML files from
//! their public hub ([`crate::download`]: progress bar, resume, and the file
//! kept only when its SHA-256 is the one in this catalogue).

use crate::api::SttModel;
use crate::download::{download, Download, READ_TIMEOUT};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

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
    crate::download::file_label(setting)
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
            name: crate::download::file_label(current),
            size_mb: std::fs::metadata(current)
                .map(|m| (m.len() / 1_000_000) as u32)
                .unwrap_or(0),
            downloaded: current.is_file(),
            current: true,
        });
    }
    models
}

/// The voice activity model (Silero VAD 5.1.2 in whisper.cpp's format)
/// that cuts a spoken conversation into phrases.
pub const VAD: ModelFile = model(
    "silero-vad",
    1,
    "29940d98d42b91fbd05ce489f3ecf7c72f0a42f027e4875919a28fb4c04ea2cf",
);
/// Its file name, as whisper.cpp publishes it.
pub const VAD_FILE: &str = "ggml-silero-v5.1.2.bin";
/// Where whisper.cpp publishes it.
pub const VAD_HUB: &str = "https://huggingface.co/ggml-org/whisper-vad/resolve/main";

/// The VAD model file a setting names: `silero-vad` inside `dir`, or a path.
pub fn resolve_vad(setting: &str, dir: &Path) -> PathBuf {
    if setting == VAD.name {
        dir.join(VAD_FILE)
    } else {
        PathBuf::from(setting)
    }
}

/// Downloads the VAD model into `dir` (`babblr models pull silero-vad`).
pub async fn pull_vad(dir: &Path, progress: bool) -> Result<PathBuf> {
    download(
        &format!("{VAD_HUB}/{VAD_FILE}"),
        &dir.join(VAD_FILE),
        VAD.sha256,
        Download {
            progress,
            read_timeout: READ_TIMEOUT,
        },
    )
    .await
}

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
}

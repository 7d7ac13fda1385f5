//! Test support for Babblr, used by the server's tests and benches and never
//! shipped in the server:
//!
//! - [`standin`]: the stand-in Ollama, a server that speaks Ollama's (and the
//!   OpenAI-compatible) HTTP API with deterministic answers, so the real
//!   ollama-rs client is what tests exercise. It is not a model.
//! - [`app`]: a Babblr server on a loopback port with a fresh database, and
//!   helpers to talk to it; re-exported here.
//! - [`json_http`]: JSON over HTTP for tests and benches that use a URL.
//! - [`voice`]: the voice stream's websocket, as the browser speaks it.

pub mod app;
pub mod json_http;
pub mod standin;
pub mod voice;

pub use app::*;

//! Babblr's engine.
//!
//! With default features this crate holds only what the browser shares with the
//! server: the domain ([`domain`]) and the JSON shapes of the API ([`api`]). The
//! `server` feature adds everything that runs on the server: configuration,
//! the database, the LLM providers, the tutor and the perf instrumentation.

pub mod api;
pub mod clock;
pub mod domain;
pub mod stats;

#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod db;
#[cfg(feature = "server")]
pub mod download;
#[cfg(feature = "server")]
pub mod engine;
#[cfg(feature = "server")]
pub mod error;
#[cfg(feature = "server")]
pub mod eval;
#[cfg(feature = "server")]
pub mod learn;
#[cfg(feature = "server")]
pub mod llm;
#[cfg(feature = "server")]
pub mod perf;
#[cfg(feature = "stt")]
pub mod stt;
#[cfg(feature = "server")]
pub mod text;
#[cfg(feature = "server")]
pub mod tutor;

#[cfg(feature = "server")]
pub use engine::Engine;
#[cfg(feature = "server")]
pub use error::Error;

//! `babblr-llm`: the built-in tutor model. Loads one GGUF model (memory
//! mapped), answers Ollama's HTTP API (`/api/chat`, `/api/tags`, `/api/show`,
//! `/api/version`) on a loopback port, and prints `listening on http://ADDR`
//! once ready, which is what the server that started it waits for.
//!
//! - [`engine`]: the model on one thread: prompt prefixes kept as KV cache
//!   between turns, JSON-schema-constrained decoding, streaming.
//! - [`cache`]: which conversations' prompts the KV cache holds.
//! - [`api`]: the HTTP side.

mod api;
mod cache;
mod engine;
mod sampling;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// The built-in tutor model, speaking Ollama's HTTP API on loopback.
#[derive(Parser, Debug)]
#[command(version)]
pub struct Args {
    /// The GGUF model file.
    #[arg(long)]
    pub model: PathBuf,
    /// The name the model answers to in the API.
    #[arg(long, default_value = "builtin")]
    pub name: String,
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: String,
    /// CPU threads for decoding and prompt evaluation.
    #[arg(long, default_value_t = 1)]
    pub threads: i32,
    /// Context size in tokens, shared by the cached conversations.
    #[arg(long, default_value_t = 8192)]
    pub ctx: u32,
    /// Conversations whose prompt prefix is kept as KV cache (least recently used evicted).
    #[arg(long, default_value_t = 4)]
    pub slots: u32,
    /// Whether a reply and a correction share decoding steps (`auto`: only
    /// where a step with two sequences, timed at start, costs less than two).
    #[arg(long, value_enum, default_value_t = engine::ShareSteps::Auto)]
    pub share_steps: engine::ShareSteps,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = Args::parse();
    let engine = match engine::Engine::start(&args) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("babblr-llm: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(&args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("babblr-llm: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().expect("bound");
    // The server reads this line to learn the port.
    println!("listening on http://{addr}");
    match axum::serve(listener, api::router(engine, args.name.clone())).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("babblr-llm: {e}");
            ExitCode::FAILURE
        }
    }
}

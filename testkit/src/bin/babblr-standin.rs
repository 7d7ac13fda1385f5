//! `babblr-standin`: the stand-in Ollama (not a model) on a port, for the
//! browser tests, the benches and trying the UI without a model.

use clap::Parser;
use std::process::ExitCode;
use std::time::Duration;
use testkit::standin::{self, StandinConfig};

/// A stand-in Ollama server: Ollama's and the OpenAI-compatible HTTP API
/// with deterministic answers. Not a model.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:11434")]
    addr: String,
    /// Wait before the first piece of each answer, in ms (a model's prompt evaluation).
    #[arg(long, default_value_t = 0)]
    first_token_delay_ms: u64,
    /// Wait between pieces, in ms.
    #[arg(long, default_value_t = 0)]
    token_delay_ms: u64,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = StandinConfig {
        first_token_delay: Duration::from_millis(args.first_token_delay_ms),
        token_delay: Duration::from_millis(args.token_delay_ms),
        ..Default::default()
    };
    let listener = match tokio::net::TcpListener::bind(&args.addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("babblr-standin: cannot listen on {}: {e}", args.addr);
            return ExitCode::FAILURE;
        }
    };
    println!(
        "stand-in Ollama (not a model) listening on http://{}",
        args.addr
    );
    match standin::serve(listener, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("babblr-standin: {e}");
            ExitCode::FAILURE
        }
    }
}

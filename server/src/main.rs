//! `babblr`: serves the app (default), manages Whisper models, or runs the
//! stand-in Ollama server.

use babblr::config::Config;
use babblr::llm::standin::{self, StandinConfig};
use babblr::{perf, Engine};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
Usage:
  babblr [serve]            Serve the app (settings from the environment; see README)
  babblr standin-ollama [--addr HOST:PORT] [--first-token-delay-ms N] [--token-delay-ms N]
                            Run the stand-in Ollama server (not a model) for tests and demos
  babblr models list        List the Whisper models and which are downloaded
  babblr models pull NAME   Download a Whisper model (tiny, base, small, medium,
                            large-v3-turbo, and .en variants) into BABBLR_MODEL_DIR
  babblr help               Show this help";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("standin-ollama") => run_standin(&args[1..]).await,
        Some("models") => run_models(&args[1..]).await,
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("unknown command '{other}'\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

async fn serve() -> ExitCode {
    let _otel = perf::subscriber::init();
    let _ = perf::metrics::handle();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("babblr: bad setting {e}");
            return ExitCode::from(2);
        }
    };
    let addr = config.addr;
    let engine = match Engine::new(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("babblr: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    engine.spawn_warmup();
    engine.spawn_stt_warmup();
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("babblr: cannot listen on {addr}: {e} (set BABBLR_ADDR)");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("Babblr listening on http://{addr}");
    match server::serve(engine, listener).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("babblr: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_standin(args: &[String]) -> ExitCode {
    let mut addr = "127.0.0.1:11434".to_string();
    let mut config = StandinConfig::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let Some(value) = it.next() else {
            eprintln!("{flag} needs a value\n\n{USAGE}");
            return ExitCode::from(2);
        };
        let ms = || value.parse::<u64>().map(Duration::from_millis);
        match (flag.as_str(), ms()) {
            ("--addr", _) => addr = value.clone(),
            ("--first-token-delay-ms", Ok(d)) => config.first_token_delay = d,
            ("--token-delay-ms", Ok(d)) => config.token_delay = d,
            _ => {
                eprintln!("bad argument {flag} {value}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("standin-ollama: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("stand-in Ollama (not a model) listening on http://{addr}");
    match standin::serve(listener, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("standin-ollama: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `babblr models list|pull NAME`.
async fn run_models(args: &[String]) -> ExitCode {
    use babblr::stt::models;
    let config = match Config::from_env() {
        Ok(c) => c.stt,
        Err(e) => {
            eprintln!("babblr: bad setting {e}");
            return ExitCode::from(2);
        }
    };
    match (args.first().map(String::as_str), args.get(1)) {
        (Some("list") | None, _) => {
            let current = models::resolve(&config.model, &config.model_dir).unwrap_or_default();
            println!("models in {}:", config.model_dir.display());
            for m in models::list(&config.model_dir, &current) {
                println!(
                    "  {:<16} {:>5} MB  {}{}",
                    m.name,
                    m.size_mb,
                    if m.downloaded { "downloaded" } else { "-" },
                    if m.current { "  (in use)" } else { "" }
                );
            }
            ExitCode::SUCCESS
        }
        (Some("pull"), Some(name)) => {
            let hub = config.hub_url.clone();
            println!("downloading {name} from {hub}");
            match models::pull(name, &config.model_dir, &hub, true).await {
                Ok(path) => {
                    println!("saved {}", path.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("babblr: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("usage: babblr models list | babblr models pull NAME\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

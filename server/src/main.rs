//! `babblr`: serves the app (the default) or manages Whisper models. Every
//! setting is a flag and an environment variable (`babblr serve --help`).

use babblr::config::settings::{values_by_variable, Settings};
use babblr::config::Config;
use babblr::{perf, Engine};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

/// Babblr: a self-hosted AI language tutor, and a well-instrumented one.
#[derive(Parser)]
#[command(
    name = "babblr",
    version,
    after_help = "Also read from the environment: RUST_LOG (log filter, e.g. info,babblr::perf=debug) and OTEL_EXPORTER_OTLP_ENDPOINT (export perf spans over OTLP/HTTP)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app (what `babblr` alone does).
    Serve(Settings),
    /// Whisper models: list them, or download one.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand)]
enum ModelsAction {
    /// The known models, which are downloaded, which is in use.
    List,
    /// Download a model (tiny, base, small, medium, large-v3-turbo, large-v3,
    /// .en variants) into the model folder, with resume and a SHA-256 check.
    Pull {
        /// The model's name.
        name: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let command = Cli::command();
    let matches = command.clone().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    // Settings by variable name, from the subcommand's flags and environment.
    let settings = |name: &str| {
        let sub = command.find_subcommand(name).expect("declared above");
        let sub_matches = matches.subcommand_matches(name).expect("parsed above");
        let values = values_by_variable(sub, sub_matches);
        Config::from_lookup(|k| values.get(k).cloned())
    };
    match cli.command {
        None => {
            // `babblr` alone: `babblr serve` with the environment's settings.
            let command = Cli::command();
            let matches = command.clone().get_matches_from(["babblr", "serve"]);
            let sub = command.find_subcommand("serve").expect("declared above");
            let values = values_by_variable(sub, matches.subcommand_matches("serve").unwrap());
            serve(Config::from_lookup(|k| values.get(k).cloned())).await
        }
        Some(Command::Serve(_)) => serve(settings("serve")).await,
        Some(Command::Models { action, .. }) => run_models(settings("models"), action).await,
    }
}

/// A bad setting ends the process with the variable's name and exit code 2.
fn checked(config: Result<Config, babblr::config::ConfigError>) -> Result<Config, ExitCode> {
    config.map_err(|e| {
        eprintln!("babblr: bad setting {e}");
        ExitCode::from(2)
    })
}

async fn serve(config: Result<Config, babblr::config::ConfigError>) -> ExitCode {
    let config = match checked(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let _otel = perf::subscriber::init();
    let _ = perf::metrics::handle();
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

/// `babblr models list|pull NAME`.
async fn run_models(
    config: Result<Config, babblr::config::ConfigError>,
    action: ModelsAction,
) -> ExitCode {
    use babblr::stt::models;
    let config = match checked(config) {
        Ok(c) => c.stt,
        Err(code) => return code,
    };
    match action {
        ModelsAction::List => {
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
        ModelsAction::Pull { name } => {
            let hub = config.hub_url.clone();
            println!("downloading {name} from {hub}");
            match models::pull(&name, &config.model_dir, &hub, true).await {
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
    }
}

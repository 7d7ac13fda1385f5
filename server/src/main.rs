//! `babblr`: serves the app (the default) or manages its models. Every
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
    /// Models (Whisper for speech, GGUF for the built-in tutor): list them, or download one.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
        #[command(flatten)]
        settings: Settings,
    },
    /// Measure the tutor against the evaluation set (`data/eval`).
    Eval {
        #[command(subcommand)]
        what: EvalWhat,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand)]
enum EvalWhat {
    /// Corrections: edit precision, recall and F0.5, false alarms on correct
    /// sentences, meaning changes, JSON validity and latency, per language,
    /// from the configured provider (BABBLR_LLM_PROVIDER …).
    Corrections {
        /// Only this language (a name or ISO code); repeat for more.
        #[arg(long = "language")]
        languages: Vec<String>,
        /// At most this many sentences a language.
        #[arg(long)]
        limit: Option<usize>,
        /// The pipeline measured: the app's (`checked`), the app's without
        /// weighing edits by the model's likelihoods (`unweighed`), or the
        /// one before both (`baseline`).
        #[arg(long, value_enum, default_value = "checked")]
        pipeline: babblr::eval::run::Pipeline,
        /// Also write the full result, sentence by sentence, to this file.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum ModelsAction {
    /// The known models, which are downloaded, which is in use.
    List,
    /// Download a model into the model folder, with resume and a SHA-256
    /// check: Whisper (tiny, base, small, medium, large-v3-turbo, large-v3,
    /// .en variants) or built-in tutor (smollm2-135m, qwen2.5-0.5b,
    /// gemma3-1b, llama3.2-1b, qwen2.5-1.5b, llama3.2-3b, qwen2.5-3b).
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
        Some(Command::Eval { what, .. }) => run_eval(settings("eval"), what).await,
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

/// `babblr models list|pull NAME`: Whisper (speech) and GGUF (built-in
/// tutor) models share one folder and one command.
async fn run_models(
    config: Result<Config, babblr::config::ConfigError>,
    action: ModelsAction,
) -> ExitCode {
    use babblr::llm::models as gguf;
    use babblr::stt::models as whisper;
    let config = match checked(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (stt, llm) = (&config.stt, &config.llm);
    match action {
        ModelsAction::List => {
            let current = whisper::resolve(&stt.model, &stt.model_dir).unwrap_or_default();
            println!("models in {}:", stt.model_dir.display());
            println!("speech (Whisper):");
            print_models(whisper::list(&stt.model_dir, &current));
            let vad = whisper::resolve_vad(&stt.vad_model, &stt.model_dir);
            println!("voice activity (spoken conversation):");
            print_models(vec![babblr::api::SttModel {
                name: whisper::display_name(&stt.vad_model),
                size_mb: whisper::VAD.size_mb,
                downloaded: vad.is_file(),
                current: true,
            }]);
            let current = gguf::resolve(&llm.builtin_model, &llm.model_dir).unwrap_or_default();
            println!("built-in tutor (GGUF):");
            print_models(gguf::list(&llm.model_dir, &current));
            ExitCode::SUCCESS
        }
        ModelsAction::Pull { name } => {
            let pulled = if let Some(m) = gguf::known(&name) {
                println!(
                    "downloading {name} ({} MB) from {}/{}",
                    m.size_mb, llm.hub_url, m.repo
                );
                gguf::pull(&name, &llm.model_dir, &llm.hub_url, true).await
            } else if name == whisper::VAD.name {
                println!("downloading {name} from {}", whisper::VAD_HUB);
                whisper::pull_vad(&stt.model_dir, true).await
            } else {
                println!("downloading {name} from {}", stt.hub_url);
                whisper::pull(&name, &stt.model_dir, &stt.hub_url, true).await
            };
            match pulled {
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

/// `babblr eval corrections`: prints the table, writes `--json`.
async fn run_eval(config: Result<Config, babblr::config::ConfigError>, what: EvalWhat) -> ExitCode {
    use babblr::eval::run::{self, Options};
    let config = match checked(config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let EvalWhat::Corrections {
        languages,
        limit,
        pipeline,
        json,
    } = what;
    let mut chosen = Vec::new();
    for l in &languages {
        match babblr::domain::Language::parse(l) {
            Some(l) => chosen.push(l),
            None => {
                eprintln!("babblr: '{l}' is not a language Babblr teaches");
                return ExitCode::from(2);
            }
        }
    }
    let sets = match babblr::eval::load_all() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("babblr: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (llm, why) = match babblr::llm::Llm::choose(&config.llm).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("babblr: {e}");
            return ExitCode::FAILURE;
        }
    };
    let model = llm.model_name(&config.llm);
    eprintln!("tutor: {why}");
    let opts = Options {
        languages: chosen,
        limit,
        pipeline,
        native: config.native_language,
        case_and_punctuation: config.correct_case_and_punctuation,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let report = match run::run(&llm, &model, &sets, &opts).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("babblr: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", run::table(&report));
    if let Some(path) = json {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(|e| e.to_string())
            .and_then(|b| std::fs::write(&path, b).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("babblr: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn print_models(models: Vec<babblr::api::SttModel>) {
    for m in models {
        println!(
            "  {:<16} {:>5} MB  {}{}",
            m.name,
            m.size_mb,
            if m.downloaded { "downloaded" } else { "-" },
            if m.current { "  (in use)" } else { "" }
        );
    }
}

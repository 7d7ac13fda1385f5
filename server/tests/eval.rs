//! `babblr eval corrections`, the real binary end to end: against the
//! stand-in Ollama, which answers a sentence of the evaluation set with its
//! reference edits (so the scores must be perfect), and once against the
//! built-in model on a real small GGUF (it must run and score; how good a
//! 135M model corrects is not asserted).

use serde_json::Value;
use std::process::Command;
use testkit::standin::{self, StandinConfig};

/// Runs the command with `vars` and `args`; returns its JSON report and the
/// table it printed.
fn eval(vars: &[(&str, &str)], args: &[&str]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let run = Command::new(env!("CARGO_BIN_EXE_babblr"))
        .args(["eval", "corrections", "--json"])
        .arg(&out)
        .args(args)
        .envs(vars.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "{table}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    (report, table)
}

#[tokio::test]
async fn reference_answers_score_perfectly_and_the_table_shows_each_language() {
    let addr = standin::spawn(StandinConfig::default()).await.unwrap();
    let url = format!("http://{addr}");
    let (report, table) = tokio::task::spawn_blocking(move || {
        eval(
            &[("BABBLR_LLM_PROVIDER", "ollama"), ("BABBLR_LLM_URL", &url)],
            &["--language", "es", "--language", "de", "--limit", "10"],
        )
    })
    .await
    .unwrap();
    let overall = &report["overall"];
    assert_eq!(overall["counts"]["sentences"], 20, "{overall}");
    assert!(overall["counts"]["true_positives"].as_u64().unwrap() > 0);
    assert_eq!(overall["f05"], 1.0, "{overall}");
    assert_eq!(overall["false_alarm_rate"], 0.0);
    assert_eq!(overall["meaning_change_rate"], 0.0);
    assert_eq!(overall["json_validity"], 1.0);
    assert_eq!(report["languages"].as_array().unwrap().len(), 2);
    assert_eq!(report["items"].as_array().unwrap().len(), 20);
    for row in ["spanish", "german", "all"] {
        assert!(table.lines().any(|l| l.starts_with(row)), "{table}");
    }
}

#[tokio::test]
async fn the_baseline_pipeline_is_measured_by_the_same_command() {
    let addr = standin::spawn(StandinConfig::default()).await.unwrap();
    let url = format!("http://{addr}");
    let (report, _) = tokio::task::spawn_blocking(move || {
        eval(
            &[("BABBLR_LLM_PROVIDER", "ollama"), ("BABBLR_LLM_URL", &url)],
            &["--language", "fr", "--limit", "5", "--pipeline", "baseline"],
        )
    })
    .await
    .unwrap();
    assert_eq!(report["pipeline"], "baseline");
    assert_eq!(report["overall"]["counts"]["sentences"], 5);
}

#[test]
fn the_built_in_model_runs_through_the_whole_pipeline() {
    let gguf = testkit::gguf_path();
    let (report, _) = eval(
        &[
            ("BABBLR_LLM_PROVIDER", "embedded"),
            ("BABBLR_LLM_BUILTIN_MODEL", gguf.as_str()),
            ("BABBLR_LLM_THREADS", "1"),
        ],
        &["--language", "it", "--limit", "3"],
    );
    assert_eq!(report["provider"], "embedded");
    let overall = &report["overall"];
    assert_eq!(overall["counts"]["sentences"], 3);
    // Under the schema's grammar every answer parses.
    assert_eq!(overall["json_validity"], 1.0, "{overall}");
    assert!(overall["p50_ms"].as_f64().unwrap() > 0.0);
}

//! `babblr eval corrections`: runs the evaluation set through the app's own
//! correction path against the configured provider, one sentence at a time,
//! and scores the answers ([`super::score`]).

use super::score::Counts;
use super::{baseline, EvalSet};
use crate::api::Correction;
use crate::domain::{CefrLevel, Language};
use crate::error::{Error, Result};
use crate::llm::Llm;
use crate::tutor::{checks::Rules, correct};
use serde::Serialize;
use std::time::Instant;

/// Which correction path is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Pipeline {
    /// The app's pipeline: a bounded schema, checked edits, each edit
    /// weighed by the model's likelihoods where the provider can tell.
    Checked,
    /// The app's pipeline without the weighing (what weighing adds).
    Unweighed,
    /// The one before it: one prompt, the model's rewrite taken as is.
    Baseline,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Empty: every language.
    pub languages: Vec<Language>,
    /// At most this many sentences a language.
    pub limit: Option<usize>,
    pub pipeline: Pipeline,
    pub native: Language,
    pub case_and_punctuation: bool,
    /// Draw a progress bar on the terminal.
    pub progress: bool,
}

/// One sentence's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: String,
    pub level: CefrLevel,
    pub text: String,
    pub reference: String,
    /// The corrected text shown to the learner; `None`: unreadable answer.
    pub predicted: Option<String>,
    pub corrections: Vec<Correction>,
    /// Edits the checks dropped.
    pub dropped: usize,
    pub ms: f64,
    pub counts: Counts,
}

/// The scores of one language, or of all (`language: None`).
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub language: Option<Language>,
    pub counts: Counts,
    pub precision: f64,
    pub recall: f64,
    pub f05: f64,
    pub false_alarm_rate: f64,
    pub meaning_change_rate: f64,
    pub json_validity: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

impl Score {
    fn of(language: Option<Language>, items: &[&Item]) -> Score {
        let mut counts = Counts::default();
        for i in items {
            counts.add(&i.counts);
        }
        let ms: Vec<f64> = items.iter().map(|i| i.ms).collect();
        let latency = crate::stats::summarize(&ms);
        Score {
            language,
            counts,
            precision: counts.precision(),
            recall: counts.recall(),
            f05: counts.f05(),
            false_alarm_rate: counts.false_alarm_rate(),
            meaning_change_rate: counts.meaning_change_rate(),
            json_validity: counts.json_validity(),
            p50_ms: latency.p50,
            p95_ms: latency.p95,
        }
    }
}

/// The whole result (`--json` writes it).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub provider: String,
    pub model: String,
    pub pipeline: Pipeline,
    pub languages: Vec<Score>,
    pub overall: Score,
    pub items: Vec<(Language, Item)>,
}

/// Runs `sets` through `llm`. A provider that cannot be reached ends the
/// run with its error; an unreadable answer is scored as no correction.
pub async fn run(llm: &Llm, model: &str, sets: &[EvalSet], opts: &Options) -> Result<Report> {
    let chosen: Vec<(&EvalSet, usize)> = sets
        .iter()
        .filter(|s| opts.languages.is_empty() || opts.languages.contains(&s.language))
        .map(|s| (s, opts.limit.unwrap_or(usize::MAX).min(s.sentences.len())))
        .collect();
    let total: usize = chosen.iter().map(|(_, n)| n).sum();
    let bar = opts.progress.then(|| {
        let bar = indicatif::ProgressBar::new(total as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} eta {eta}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar
    });
    let mut items = Vec::with_capacity(total);
    for (set, n) in chosen {
        if let Some(bar) = &bar {
            bar.set_message(set.language.to_string());
        }
        for s in &set.sentences[..n] {
            let started = Instant::now();
            let (predicted, corrections, dropped) = one(llm, set.language, s, opts).await?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let reference = s.corrected();
            let counts = Counts::sentence(&s.text, &reference, predicted.as_deref());
            items.push((
                set.language,
                Item {
                    id: s.id.clone(),
                    level: s.level,
                    text: s.text.clone(),
                    reference,
                    predicted,
                    corrections,
                    dropped,
                    ms,
                    counts,
                },
            ));
            if let Some(bar) = &bar {
                bar.inc(1);
            }
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let mut languages = Vec::new();
    for language in Language::ALL {
        let of: Vec<&Item> = items
            .iter()
            .filter(|(l, _)| *l == language)
            .map(|(_, i)| i)
            .collect();
        if !of.is_empty() {
            languages.push(Score::of(Some(language), &of));
        }
    }
    let all: Vec<&Item> = items.iter().map(|(_, i)| i).collect();
    Ok(Report {
        provider: llm.provider_id().into(),
        model: model.into(),
        pipeline: opts.pipeline,
        overall: Score::of(None, &all),
        languages,
        items,
    })
}

/// One sentence through the chosen pipeline: the corrected text (`None`
/// when the answer was unreadable), the corrections, the dropped edits.
async fn one(
    llm: &Llm,
    language: Language,
    s: &super::Sentence,
    opts: &Options,
) -> Result<(Option<String>, Vec<Correction>, usize)> {
    let unreadable = |e: &Error| matches!(e, Error::Llm(_));
    match opts.pipeline {
        Pipeline::Checked | Pipeline::Unweighed => {
            let rules = Rules {
                level: s.level,
                case_and_punctuation: opts.case_and_punctuation,
                weigh: opts.pipeline == Pipeline::Checked,
            };
            match correct::correct(llm, language, &s.text, opts.native, rules).await {
                Ok(c) => Ok((Some(c.corrected), c.corrections, c.dropped.len())),
                Err(e) if unreadable(&e) => Ok((None, Vec::new(), 0)),
                Err(e) => Err(e),
            }
        }
        Pipeline::Baseline => {
            let req = baseline::request(language, s.level, &s.text, opts.native);
            match llm.complete(req).await {
                Ok(raw) => Ok((baseline::parse(&raw, &s.text), Vec::new(), 0)),
                Err(e) if unreadable(&e) => Ok((None, Vec::new(), 0)),
                Err(e) => Err(e),
            }
        }
    }
}

/// The report as a table: a row per language, then all of them.
pub fn table(r: &Report) -> String {
    let mut out = format!(
        "corrections by {} ({}), pipeline {:?}\n{:<12} {:>5} {:>6} {:>6} {:>6} {:>8} {:>8} {:>6} {:>8} {:>8}\n",
        r.model,
        r.provider,
        r.pipeline,
        "language",
        "n",
        "P",
        "R",
        "F0.5",
        "f.alarm",
        "meaning",
        "JSON",
        "p50 ms",
        "p95 ms"
    );
    for s in r.languages.iter().chain([&r.overall]) {
        out.push_str(&format!(
            "{:<12} {:>5} {:>6.3} {:>6.3} {:>6.3} {:>7.1}% {:>7.1}% {:>5.0}% {:>8.0} {:>8.0}\n",
            s.language.map_or("all".to_string(), |l| l.to_string()),
            s.counts.sentences,
            s.precision,
            s.recall,
            s.f05,
            s.false_alarm_rate * 100.0,
            s.meaning_change_rate * 100.0,
            s.json_validity * 100.0,
            s.p50_ms,
            s.p95_ms
        ));
    }
    out
}

//! Latency summaries and the seed's targets (the Python app's instrumentation summary, `../shared/seed/`), shared by the /perf
//! page, `BabblrPerf.report()` and the benchmarks.

use serde::{Deserialize, Serialize};

/// Count and nearest-rank percentiles of a set of durations (ms).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub count: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// Summarises durations in milliseconds; all zero when there are none.
pub fn summarize(durations: &[f64]) -> Summary {
    if durations.is_empty() {
        return Summary::default();
    }
    let mut d = durations.to_vec();
    d.sort_by(|a, b| a.total_cmp(b));
    let rank = |p: f64| d[((p * d.len() as f64).ceil() as usize).clamp(1, d.len()) - 1];
    Summary {
        count: d.len(),
        p50: rank(0.50),
        p95: rank(0.95),
        p99: rank(0.99),
        max: d[d.len() - 1],
    }
}

/// How a duration compares with the seed's targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Good,
    Acceptable,
    Investigate,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Good => "good",
            Verdict::Acceptable => "acceptable",
            Verdict::Investigate => "investigate",
        }
    }
}

/// The seed's thresholds (good below the first, investigate above the
/// second), in ms, for a span name or route: LLM work 2 s / 5 s,
/// transcription 1 s / 3 s, everything else (API overhead) 200 ms / 500 ms.
pub fn thresholds(name: &str) -> (f64, f64) {
    if name.contains("stt") || name.contains("transcribe") {
        (1000.0, 3000.0)
    } else if name.contains("llm")
        || name.starts_with("chat.")
        || name.starts_with("/chat")
        || name.contains("initial")
    {
        if name.contains("save_") {
            (200.0, 500.0)
        } else {
            (2000.0, 5000.0)
        }
    } else {
        (200.0, 500.0)
    }
}

/// The verdict for `ms` against `name`'s thresholds.
pub fn verdict(name: &str, ms: f64) -> Verdict {
    let (good, acceptable) = thresholds(name);
    if ms < good {
        Verdict::Good
    } else if ms <= acceptable {
        Verdict::Acceptable
    } else {
        Verdict::Investigate
    }
}

/// What kind of work a span is, for colouring: `llm`, `speech`, `database` or `other`.
pub fn kind(name: &str) -> &'static str {
    if name.starts_with("stt.") {
        "speech"
    } else if name.starts_with("db.") || name.contains(".save") {
        "database"
    } else if name.contains("llm") || name.contains("correct_text") || name.contains("first_token")
    {
        "llm"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let d: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = summarize(&d);
        assert_eq!(
            (s.count, s.p50, s.p95, s.p99, s.max),
            (100, 50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(summarize(&[]), Summary::default());
    }

    #[test]
    fn targets_follow_the_original() {
        assert_eq!(verdict("chat.generate_response_llm", 1500.0), Verdict::Good);
        assert_eq!(verdict("/chat", 3000.0), Verdict::Acceptable);
        assert_eq!(
            verdict("initial_message.generate_llm", 6000.0),
            Verdict::Investigate
        );
        assert_eq!(
            verdict("stt.transcribe_whisper", 1500.0),
            Verdict::Acceptable
        );
        assert_eq!(verdict("/conversations", 600.0), Verdict::Investigate);
        assert_eq!(verdict("chat.save_user_message", 100.0), Verdict::Good);
        assert_eq!(kind("chat.save_user_message"), "database");
        assert_eq!(kind("chat.correct_text"), "llm");
        assert_eq!(kind("stt.decode_audio"), "speech");
    }
}

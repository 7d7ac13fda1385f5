//! The perf record and its summaries, as `/api/perf/*` sends them.

use serde::{Deserialize, Serialize};

/// One timed step inside a request, as the perf record keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanTiming {
    pub name: String,
    /// Milliseconds from the start of the request to the start of the span.
    pub start_ms: f64,
    pub duration_ms: f64,
    /// What the step did, when it says ("48 tokens, 24.1 tokens/s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// One finished request in the server's bounded perf record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub request_id: String,
    pub method: String,
    pub path: String,
    /// The route template (`/conversations/{id}`), or `unmatched`.
    pub route: String,
    pub status: u16,
    /// Unix time in milliseconds when the request arrived.
    pub started_at_ms: f64,
    /// Time to response headers (what `X-Response-Time` says).
    pub headers_ms: f64,
    /// Time until the body ended (differs for streamed bodies).
    pub total_ms: f64,
    pub spans: Vec<SpanTiming>,
}

/// A latency summary for one span name or route, with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedSummary {
    pub name: String,
    /// `llm`, `speech`, `database` or `other` (spans); `route` for routes.
    pub kind: String,
    pub summary: crate::stats::Summary,
    /// Against the seed's targets, judged on p95.
    pub verdict: crate::stats::Verdict,
    /// The good and acceptable limits in ms, for the charts.
    pub thresholds: (f64, f64),
}

/// Per-span and per-route summaries of the server's recent requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerfSummary {
    pub requests: usize,
    pub spans: Vec<NamedSummary>,
    pub routes: Vec<NamedSummary>,
}

impl PerfSummary {
    /// Summarises a set of request records.
    pub fn of(records: &[RequestRecord]) -> PerfSummary {
        use std::collections::BTreeMap;
        let mut spans: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        let mut routes: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for r in records {
            routes
                .entry(format!("{} {}", r.method, r.route))
                .or_default()
                .push(r.total_ms);
            for s in &r.spans {
                spans.entry(&s.name).or_default().push(s.duration_ms);
            }
        }
        let named = |name: String, kind: String, d: &[f64], key: &str| {
            let summary = crate::stats::summarize(d);
            NamedSummary {
                verdict: crate::stats::verdict(key, summary.p95),
                thresholds: crate::stats::thresholds(key),
                name,
                kind,
                summary,
            }
        };
        PerfSummary {
            requests: records.len(),
            spans: spans
                .into_iter()
                .map(|(n, d)| named(n.to_string(), crate::stats::kind(n).to_string(), &d, n))
                .collect(),
            routes: routes
                .into_iter()
                .map(|(n, d)| {
                    let route = n
                        .split_once(' ')
                        .map(|(_, r)| r.to_string())
                        .unwrap_or_default();
                    named(n, "route".into(), &d, &route)
                })
                .collect(),
        }
    }
}

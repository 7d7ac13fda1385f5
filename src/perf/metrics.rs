//! Prometheus metrics: a latency histogram per span name and per route.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::cell::RefCell;
use std::sync::OnceLock;

/// Bucket bounds in seconds: from a fast DB write to a slow first LLM call.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0,
    60.0,
];

/// How often histogram samples are folded into buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the process-wide Prometheus recorder once and returns its handle.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (a test harness); then
        // /metrics shows what this handle sees, which is nothing.
        let _ = metrics::set_global_recorder(recorder);
        // Histogram samples wait in the recorder until upkeep folds them into
        // their buckets; `build_recorder` starts no upkeep of its own, so
        // without this they piled up until /metrics was next scraped (the
        // soak test saw RSS grow ~240 bytes a chat).
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new()
            .name("babblr-metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            });
        handle
    })
}

/// Records one finished perf span. Histogram handles are cached per thread,
/// so the hot path is a small map lookup rather than a registry lookup.
pub fn record_span(name: &'static str, duration_ms: f64) {
    thread_local! {
        // Span names are static strings from callsites: found by address
        // first (a pointer compare), by content only for a new address.
        static HANDLES: RefCell<Vec<(&'static str, metrics::Histogram)>> = const { RefCell::new(Vec::new()) };
    }
    HANDLES.with(|h| {
        let mut handles = h.borrow_mut();
        let found = handles
            .iter()
            .position(|(n, _)| std::ptr::eq(*n, name))
            .or_else(|| handles.iter().position(|(n, _)| *n == name));
        let i = found.unwrap_or_else(|| {
            // Installs the recorder first, so no thread caches a no-op handle.
            handle();
            let hist = metrics::histogram!("babblr_span_duration_seconds", "span" => name);
            handles.push((name, hist));
            handles.len() - 1
        });
        handles[i].1.record(duration_ms / 1000.0)
    });
}

/// Records one finished HTTP request.
pub fn record_request(method: &str, route: &str, status: u16, duration_ms: f64) {
    metrics::histogram!(
        "babblr_http_request_duration_seconds",
        "method" => method.to_string(),
        "route" => route.to_string(),
        "status" => status.to_string()
    )
    .record(duration_ms / 1000.0);
}

/// The text `GET /metrics` answers with.
pub fn render() -> String {
    handle().render()
}

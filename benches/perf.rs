//! What the instrumentation costs: one perf span with every sink on, and the
//! request layer per request against the same router without it.
//!
//! `cargo bench -p babblr --features server --bench perf`

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use babblr::perf::{self, subscriber, PerfStore, REQUEST_TARGET};
use babblr::perf_timer;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::sync::Arc;
use tower::ServiceExt;

/// Times `span` run inside a request span (entered and left each time, as
/// is a request's own cost), under `sub`.
fn bench_span(
    c: &mut Criterion,
    name: &str,
    sub: impl tracing::Subscriber + Send + Sync + 'static,
    span: fn(),
) {
    tracing::subscriber::with_default(sub, || {
        c.bench_function(name, |b| {
            b.iter_batched_ref(
                || tracing::info_span!(target: REQUEST_TARGET, "request", request_id = "bench"),
                |request| {
                    let _r = request.enter();
                    span();
                },
                BatchSize::SmallInput,
            )
        });
    });
}

/// One INFO perf span: what `perf_timer!` costs.
fn perf_span() {
    let _t = perf_timer!(INFO, "bench.span");
}

fn spans(c: &mut Criterion) {
    let _ = perf::metrics::handle();
    // The floor: a plain `tracing` span entered and closed under a bare
    // registry, no layer and no perf guard.
    bench_span(
        c,
        "span: bare tracing registry (floor)",
        tracing_subscriber::Registry::default(),
        || {
            let _t = tracing::info_span!("bench.span").entered();
        },
    );
    // Every sink: the INFO log line (formatted, written to a sink), the
    // request's Server-Timing entry, and the Prometheus histogram.
    let all = subscriber::build(
        subscriber::EnvFilter::new("babblr::perf=info"),
        std::io::sink,
    );
    bench_span(c, "span: all sinks on, inside a request", all, perf_span);
    let quiet = subscriber::build(subscriber::EnvFilter::new("off"), std::io::sink);
    bench_span(c, "span: log lines filtered out", quiet, perf_span);
}

fn requests(c: &mut Criterion) {
    let _ = perf::metrics::handle();
    let sub = subscriber::build(
        subscriber::EnvFilter::new("babblr::perf=info"),
        std::io::sink,
    );
    let _guard = tracing::subscriber::set_default(sub);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let plain = Router::new().route("/x", get(|| async { "ok" }));
    let store = Arc::new(PerfStore::new(200));
    let layered = plain.clone().layer(axum::middleware::from_fn_with_state(
        store,
        perf::http::middleware,
    ));

    let mut group = c.benchmark_group("request");
    for (name, router) in [("without perf layer", plain), ("with perf layer", layered)] {
        group.bench_function(name, |b| {
            b.to_async(&rt).iter(|| {
                let router = router.clone();
                async move {
                    let res = router
                        .oneshot(http::Request::get("/x").body(Body::empty()).unwrap())
                        .await
                        .unwrap();
                    // Read the body so the COMPLETE line and record are written.
                    axum::body::to_bytes(res.into_body(), 1024).await.unwrap()
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, spans, requests);
criterion_main!(benches);

//! The process's tracing subscriber: the perf layer always sees every perf
//! span, while `RUST_LOG` only decides which lines are printed. Two plain
//! layers over the registry ([`LogLayer`] is the filter): no per-layer
//! filter, so a span costs no extra lookups on enter, exit and close.

use super::log::{is_perf_span, LogLayer};
use super::PerfLayer;
use tracing::Subscriber;
pub use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

/// The filter used when `RUST_LOG` is unset: INFO everywhere, which shows
/// `[PERF] … DONE` lines of LLM, speech and request spans.
pub const DEFAULT_FILTER: &str = "info";

/// A subscriber printing to `writer` with `filter`, plus the perf layer.
pub fn build<W>(filter: EnvFilter, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    build_with_otel(filter, writer, None)
}

/// [`build`], plus OpenTelemetry export of perf spans through `tracer`.
///
/// Without a tracer the OTLP layer is left out rather than added as `None`,
/// so the stack is exactly the layers in use.
pub fn build_with_otel<W>(
    filter: EnvFilter,
    writer: W,
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    match tracer {
        None => Box::new(
            Registry::default()
                .with(PerfLayer::new())
                .with(LogLayer::new(filter, writer)),
        ),
        Some(t) => {
            let otel = tracing_opentelemetry::layer()
                .with_tracer(t)
                .with_filter(PerfSpans);
            Box::new(
                Registry::default()
                    .with(otel)
                    .with(PerfLayer::new())
                    .with(LogLayer::new(filter, writer)),
            )
        }
    }
}

/// Installs the subscriber for the process, printing to stdout, filtered by
/// `RUST_LOG` (or [`DEFAULT_FILTER`]), exporting over OTLP when
/// `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Keep the guard until exit: dropping
/// it flushes the last spans. A second call installs nothing.
pub fn init() -> Option<super::otel::OtelGuard> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let (tracer, guard) = super::otel::tracer_from_env().unzip();
    let _ =
        tracing::subscriber::set_global_default(build_with_otel(filter, std::io::stdout, tracer));
    guard
}

/// The OTLP layer's filter: perf and request spans, never events (the
/// `[PERF]` lines need not become span events too).
///
/// Its callsites get `Interest::sometimes`, not `always`: with `always` the
/// `tracing` macros skip `enabled()`, and a per-layer filter then reads
/// whatever an earlier, unrelated `enabled()` call on the thread left in its
/// thread-local state, which can hide a span from this layer
/// (tokio-rs/tracing#2519, #3572).
struct PerfSpans;

impl<S> tracing_subscriber::layer::Filter<S> for PerfSpans {
    fn enabled(
        &self,
        meta: &tracing::Metadata<'_>,
        _: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        is_perf_span(meta)
    }

    fn callsite_enabled(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if is_perf_span(meta) {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }
}

//! The process's tracing subscriber: the perf layer always sees every perf
//! span, while `RUST_LOG` only decides which lines are printed.

use super::{PerfLayer, TARGET};
use tracing::Subscriber;
use tracing_subscriber::filter::filter_fn;
pub use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, Registry};

/// The filter used when `RUST_LOG` is unset: INFO everywhere, which shows
/// `[PERF] … DONE` lines of LLM, speech and request spans.
pub const DEFAULT_FILTER: &str = "info";

/// A subscriber printing to `writer` with `filter`, plus the perf layer.
pub fn build<W>(filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    build_with_otel(filter, writer, None)
}

/// [`build`], plus OpenTelemetry export of perf spans through `tracer`.
pub fn build_with_otel<W>(
    filter: EnvFilter,
    writer: W,
    tracer: Option<opentelemetry_sdk::trace::Tracer>,
) -> impl Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    // Spans only: the [PERF] lines need not become span events too.
    let otel = tracer.map(|t| {
        tracing_opentelemetry::layer()
            .with_tracer(t)
            .with_filter(filter_fn(|meta| {
                meta.is_span() && meta.target().starts_with(TARGET)
            }))
    });
    // Spans only: the perf layer never needs events, and leaving them out
    // lets `[PERF]` lines that RUST_LOG filters cost nothing.
    let perf = PerfLayer::new().with_filter(filter_fn(|meta| {
        meta.is_span() && meta.target().starts_with(TARGET)
    }));
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .with_filter(filter);
    Registry::default().with(otel).with(perf).with(fmt)
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

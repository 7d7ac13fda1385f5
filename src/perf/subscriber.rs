//! The process's tracing subscriber: the perf layer always sees every perf
//! span, while `RUST_LOG` only decides which lines are printed.

use super::{PerfLayer, TARGET};
use tracing::field::{Field, Visit};
use tracing::Event;
use tracing::Subscriber;
pub use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::filter::{filter_fn, FilterExt};
use tracing_subscriber::fmt::format::{Format, FormatEvent, FormatFields, Full, Writer};
use tracing_subscriber::fmt::{FmtContext, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
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
                .with(perf_layer())
                .with(fmt_layer(filter, writer)),
        ),
        Some(t) => {
            // Spans only: the [PERF] lines need not become span events too.
            let otel = tracing_opentelemetry::layer()
                .with_tracer(t)
                .with_filter(PerfSpans);
            Box::new(
                Registry::default()
                    .with(otel)
                    .with(perf_layer())
                    .with(fmt_layer(filter, writer)),
            )
        }
    }
}

/// The perf layer, seeing only perf and request spans.
fn perf_layer<S>() -> impl Layer<S> + Send + Sync
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    PerfLayer::new().with_filter(PerfSpans)
}

/// The printing layer. Perf spans carry no fields and their lines name the
/// request, so it need not track them (saving an allocation per span); it
/// still sees the request span, for other lines' context.
fn fmt_layer<S, W>(filter: EnvFilter, writer: W) -> impl Layer<S> + Send + Sync
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(false)
        .event_format(LineFormat::default())
        .with_filter(filter.and(filter_fn(|meta| {
            !(meta.is_span() && meta.target() == TARGET)
        })))
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

/// The perf and OTLP layers' filter: perf and request spans, never events
/// (so `[PERF]` lines that RUST_LOG filters cost nothing).
///
/// Their callsites get `Interest::sometimes`, not `always`: with `always`
/// the `tracing` macros skip `enabled()`, and a per-layer filter then reads
/// whatever an earlier, unrelated `enabled()` call on the thread left in its
/// thread-local state, which can hide a span from this layer
/// (tokio-rs/tracing#2519, #3572).
struct PerfSpans;

impl PerfSpans {
    fn wants(meta: &tracing::Metadata<'_>) -> bool {
        meta.is_span() && meta.target().starts_with(TARGET)
    }
}

impl<S> tracing_subscriber::layer::Filter<S> for PerfSpans {
    fn enabled(
        &self,
        meta: &tracing::Metadata<'_>,
        _: &tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        Self::wants(meta)
    }

    fn callsite_enabled(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if Self::wants(meta) {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }
}

/// tracing's full line format, except for `[PERF]` lines: they are written
/// straight out, `2026-01-01T00:00:00.000000Z  INFO babblr::perf: [PERF] x -
/// DONE in 1.23ms request_id=…`, without the span scope (the request id is on
/// the line already), which halves what a span's DONE line costs.
#[derive(Default)]
struct LineFormat {
    full: Format<Full>,
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let meta = event.metadata();
        if meta.target() != TARGET {
            return self.full.format_event(ctx, writer, event);
        }
        write_timestamp(&mut writer)?;
        writer.write_str(match *meta.level() {
            tracing::Level::ERROR => " ERROR babblr::perf: ",
            tracing::Level::WARN => "  WARN babblr::perf: ",
            tracing::Level::INFO => "  INFO babblr::perf: ",
            tracing::Level::DEBUG => " DEBUG babblr::perf: ",
            tracing::Level::TRACE => " TRACE babblr::perf: ",
        })?;
        let mut fields = LineFields {
            writer: &mut writer,
            result: Ok(()),
            first: true,
        };
        event.record(&mut fields);
        fields.result?;
        writeln!(writer)
    }
}

/// Writes the UTC time as tracing's own format does
/// (`2026-11-28T10:48:25.851510Z`), reusing the date and time of day while
/// the second has not changed.
fn write_timestamp(writer: &mut Writer<'_>) -> std::fmt::Result {
    use std::cell::RefCell;
    thread_local! {
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    SECOND.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.0 != secs {
            *cached = (secs, civil_time(secs));
        }
        let micros = now.subsec_micros();
        let mut frac = *b".000000Z";
        for (i, digit) in frac[1..7].iter_mut().enumerate() {
            *digit = b'0' + (micros / 10u32.pow(5 - i as u32) % 10) as u8;
        }
        writer.write_str(&cached.1)?;
        writer.write_str(std::str::from_utf8(&frac).expect("ASCII digits"))
    })
}

/// `YYYY-MM-DDTHH:MM:SS` for seconds since 1970 (UTC).
fn civil_time(secs: u64) -> String {
    let rem = secs % 86_400;
    let (year, month, day) = crate::clock::civil_from_days((secs / 86_400) as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Writes an event's message, then its other fields as `name=value`.
struct LineFields<'w, 'a> {
    writer: &'w mut Writer<'a>,
    result: std::fmt::Result,
    first: bool,
}

impl Visit for LineFields<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if self.result.is_err() {
            return;
        }
        let sep = if self.first { "" } else { " " };
        self.first = false;
        self.result = if field.name() == "message" {
            write!(self.writer, "{sep}{value:?}")
        } else {
            write!(self.writer, "{sep}{}={value:?}", field.name())
        };
    }
}

#[cfg(test)]
mod tests {
    use super::civil_time;

    #[test]
    fn civil_time_matches_known_instants() {
        assert_eq!(civil_time(0), "1970-01-01T00:00:00");
        assert_eq!(civil_time(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(civil_time(1_795_863_600), "2026-11-28T11:00:00");
    }
}

//! The log layer: prints events as lines, filtered by `RUST_LOG`, and is the
//! stack's one filter, so no per-layer filter looks each span up again on
//! every enter, exit and close.
//!
//! A line is `2026-11-28T10:48:25.851510Z  INFO target: message k=v
//! request_id=…`: an event inside a request names that request even when it
//! does not say so itself.

use super::trace::{request_in, RequestTrace};
use super::TARGET;
use std::cell::RefCell;
use std::io::Write;
use std::sync::Arc;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::filter::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Prints events that `filter` (`RUST_LOG`) lets through to `writer`, and
/// keeps every perf and request span alive whatever `filter` says, for the
/// perf layer below it. Other spans are never recorded: lines name their
/// request instead of a span scope. `filter` uses target and level
/// directives (`info,babblr::perf=debug`); span-field directives do not apply.
pub struct LogLayer<W> {
    filter: EnvFilter,
    writer: W,
}

impl<W> LogLayer<W> {
    pub fn new(filter: EnvFilter, writer: W) -> Self {
        LogLayer { filter, writer }
    }
}

/// Perf spans and request spans: what the perf (and OTLP) layers time.
pub fn is_perf_span(meta: &Metadata<'_>) -> bool {
    meta.is_span() && meta.target().starts_with(TARGET)
}

impl<S, W> Layer<S> for LogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if is_perf_span(meta) {
            Interest::always()
        } else if meta.is_span() {
            Interest::never()
        } else {
            <EnvFilter as Layer<S>>::register_callsite(&self.filter, meta)
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        is_perf_span(meta) || (meta.is_event() && self.filter.enabled(meta, ctx))
    }

    /// Perf spans may be at any level, so the global maximum cannot come
    /// from `RUST_LOG` alone.
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        thread_local! {
            static LINE: RefCell<String> = const { RefCell::new(String::new()) };
        }
        super::with_scratch(&LINE, |line| {
            format_line(line, event, || request_in(ctx.event_scope(event)?));
            let _ = self
                .writer
                .make_writer_for(event.metadata())
                .write_all(line.as_bytes());
        });
    }
}

/// Writes one line: time, level, target, message, fields, and the request id
/// from `request` when the event has no `request_id` of its own.
fn format_line(
    line: &mut String,
    event: &Event<'_>,
    request: impl FnOnce() -> Option<Arc<RequestTrace>>,
) {
    let meta = event.metadata();
    write_timestamp(line);
    line.push_str(match *meta.level() {
        tracing::Level::ERROR => " ERROR ",
        tracing::Level::WARN => "  WARN ",
        tracing::Level::INFO => "  INFO ",
        tracing::Level::DEBUG => " DEBUG ",
        tracing::Level::TRACE => " TRACE ",
    });
    line.push_str(meta.target());
    line.push(':');
    let mut fields = LineFields {
        line,
        request_id: false,
    };
    event.record(&mut fields);
    if !fields.request_id {
        if let Some(trace) = request() {
            line.push_str(" request_id=");
            line.push_str(&trace.request_id);
        }
    }
    line.push('\n');
}

/// Writes an event's fields as ` message name=value …`; strings (the
/// `[PERF]` lines' message and request id) are copied, not formatted.
struct LineFields<'a> {
    line: &'a mut String,
    request_id: bool,
}

impl LineFields<'_> {
    fn name(&mut self, field: &Field) {
        self.line.push(' ');
        if field.name() != "message" {
            self.line.push_str(field.name());
            self.line.push('=');
        }
        self.request_id |= field.name() == "request_id";
    }
}

impl Visit for LineFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.name(field);
        self.line.push_str(value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write as _;
        self.name(field);
        let _ = write!(self.line, "{value:?}");
    }
}

/// Writes the UTC time as tracing's own format does
/// (`2026-11-28T10:48:25.851510Z`), reusing the date and time of day while
/// the second has not changed.
fn write_timestamp(line: &mut String) {
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
        line.push_str(&cached.1);
    });
    let micros = now.subsec_micros();
    line.push('.');
    for i in (0..6).rev() {
        line.push(char::from(b'0' + (micros / 10u32.pow(i) % 10) as u8));
    }
    line.push('Z');
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

#[cfg(test)]
mod tests {
    use super::civil_time;
    use crate::perf::{subscriber, trace::trace_of, REQUEST_TARGET};
    use std::sync::{Arc, Mutex};

    /// Runs `f` under the process's subscriber with `filter`, returning
    /// what it printed.
    fn printed(filter: &str, f: impl FnOnce()) -> String {
        let out = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let out = out.clone();
            move || Sink(out.clone())
        };
        let sub = subscriber::build(subscriber::EnvFilter::new(filter), writer);
        tracing::subscriber::with_default(sub, f);
        let bytes = out.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_inside_a_request_name_it_and_rust_log_filters_them() {
        let log = printed("info", || {
            let request =
                tracing::info_span!(target: REQUEST_TARGET, "request", request_id = "r-1");
            let _r = request.enter();
            tracing::info!(target: "babblr::engine", answer = 42, "hello {}", "world");
            tracing::debug!(target: "babblr::engine", "hidden");
        });
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 1, "{log}");
        let line = lines[0];
        assert!(
            line.ends_with("  INFO babblr::engine: hello world answer=42 request_id=r-1"),
            "{line}"
        );
        // 2026-11-28T10:48:25.851510Z
        let ts = &line[..27];
        assert!(ts.as_bytes()[10] == b'T' && ts.ends_with('Z'), "{ts}");
    }

    #[test]
    fn perf_spans_are_timed_even_when_rust_log_prints_nothing() {
        let mut spans = Vec::new();
        let log = printed("off", || {
            let request =
                tracing::info_span!(target: REQUEST_TARGET, "request", request_id = "r-2");
            let trace = trace_of(&request).expect("request trace");
            {
                let _r = request.enter();
                let _t = crate::perf_timer!("db.quiet_step");
            }
            spans = trace.spans();
        });
        assert_eq!(log, "");
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].name, "db.quiet_step");
    }

    #[test]
    fn civil_time_matches_known_instants() {
        assert_eq!(civil_time(0), "1970-01-01T00:00:00");
        assert_eq!(civil_time(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(civil_time(1_795_863_600), "2026-11-28T11:00:00");
    }
}

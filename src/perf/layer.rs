//! The tracing layer that turns closed perf spans into log lines, header
//! entries and metrics.

use super::trace::{request_in, request_of_current, request_of_span, RequestTrace};
use super::{Ms, REQUEST_TARGET, TARGET};
use std::sync::Arc;
use std::time::Instant;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// When a [`perf_span!`](crate::perf_span) or `#[instrument]` span started.
struct Started(Instant);

/// Feeds every sink from the perf spans of [`TARGET`]; see the module docs.
#[derive(Debug, Default, Clone)]
pub struct PerfLayer {
    _private: (),
}

impl PerfLayer {
    pub fn new() -> Self {
        PerfLayer::default()
    }
}

/// Reads the `request_id` field of a request span.
struct RequestIdVisitor(Option<String>);

impl Visit for RequestIdVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "request_id" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "request_id" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

/// Displays the request id a closure finds, or `-`; the closure runs only
/// when the line is actually formatted.
struct RequestIdOf<F>(F);

impl<F: Fn() -> Option<Arc<RequestTrace>>> std::fmt::Display for RequestIdOf<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0)() {
            Some(t) => f.write_str(&t.request_id),
            None => f.write_str("-"),
        }
    }
}

/// Emits a `[PERF]` line at a level known only at run time; the message and
/// request id are strings, which the log layer copies as they are.
macro_rules! perf_event {
    ($level:expr, $request_id:expr, $message:expr) => {
        match $level {
            Level::ERROR => tracing::error!(target: "babblr::perf", message = $message, request_id = $request_id),
            Level::WARN => tracing::warn!(target: "babblr::perf", message = $message, request_id = $request_id),
            Level::INFO => tracing::info!(target: "babblr::perf", message = $message, request_id = $request_id),
            Level::DEBUG => tracing::debug!(target: "babblr::perf", message = $message, request_id = $request_id),
            _ => tracing::trace!(target: "babblr::perf", message = $message, request_id = $request_id),
        }
    };
}

/// `[PERF] {name} - START`, written only when the line is printed (START
/// lines are DEBUG, usually filtered out).
struct StartLine(&'static str);

impl std::fmt::Display for StartLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[PERF] ")?;
        f.write_str(self.0)?;
        f.write_str(" - START")
    }
}

/// Calls `f` with `[PERF] {name} - DONE in {ms}ms`, built in a reused buffer:
/// copying a ready string into the line costs less than formatting it there.
fn with_done_line(name: &str, duration_ms: f64, detail: Option<&str>, f: impl FnOnce(&str)) {
    thread_local! {
        static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    super::with_scratch(&LINE, |line| {
        line.push_str("[PERF] ");
        line.push_str(name);
        line.push_str(" - DONE in ");
        let _ = Ms(duration_ms).write_to(line);
        line.push_str("ms");
        if let Some(detail) = detail {
            line.push_str(" (");
            line.push_str(detail);
            line.push(')');
        }
        f(line);
    });
}

/// Logs the START line of a [`perf_timer!`](crate::perf_timer) or
/// [`perf_timed!`](crate::perf_timed) span (the layer does it for the others
/// when they are created).
pub fn start(span: &tracing::Span) {
    let Some(meta) = span.metadata() else { return };
    let name = meta.name();
    // The request id is looked up only when the line is printed.
    tracing::debug!(
        target: "babblr::perf",
        message = %StartLine(name),
        request_id = %RequestIdOf(|| request_of_span(span)),
    );
}

/// Reports a [`perf_timer!`](crate::perf_timer) or
/// [`perf_timed!`](crate::perf_timed) span, started at `started`, as done
/// now: its DONE line, its Server-Timing entry, its histogram. Their guards
/// call this when the work ends, because the span itself may close later:
/// sqlx's SQLite worker thread keeps a clone of the current span until after
/// it has answered, so a span timed at close could land after the response
/// headers were written.
pub fn finish(span: &tracing::Span, started: Instant) {
    let Some(meta) = span.metadata() else { return };
    report(meta, started, request_of_span(span));
}

/// Reports a step timed by someone else (a model server's own timings):
/// `name` ran for `duration_ms` from `started`, in the current request. It
/// reaches every sink a span does: the DONE line, Server-Timing, the
/// histogram and the perf record.
/// `detail` says what it did ("48 tokens, 24.1 tokens/s"): it ends the DONE
/// line, becomes the Server-Timing `desc` and is kept in the perf record.
pub fn record(name: &'static str, started: Instant, duration_ms: f64, detail: Option<String>) {
    deliver(
        name,
        Level::INFO,
        started,
        duration_ms,
        detail,
        request_of_current(),
    );
}

/// Sends a finished span to every sink.
fn report(
    meta: &'static tracing::Metadata<'static>,
    started: Instant,
    request: Option<Arc<RequestTrace>>,
) {
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    deliver(
        meta.name(),
        *meta.level(),
        started,
        duration_ms,
        None,
        request,
    );
}

/// One finished step to every sink: the histogram, the request's trace
/// (Server-Timing and the perf record) and the DONE line.
fn deliver(
    name: &'static str,
    level: Level,
    started: Instant,
    duration_ms: f64,
    detail: Option<String>,
    request: Option<Arc<RequestTrace>>,
) {
    super::metrics::record_span(name, duration_ms);
    let line_detail = detail.clone();
    let request_id = match &request {
        Some(trace) => {
            trace.push(
                name,
                started.saturating_duration_since(trace.start).as_secs_f64() * 1000.0,
                duration_ms,
                detail,
            );
            trace.request_id.as_str()
        }
        None => "-",
    };
    with_done_line(name, duration_ms, line_detail.as_deref(), |line| {
        perf_event!(level, request_id, line)
    });
}

fn request_of<S>(ctx: &Context<'_, S>, id: &Id) -> Option<Arc<RequestTrace>>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    request_in(ctx.span(id)?.scope())
}

impl<S> Layer<S> for PerfLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let meta = attrs.metadata();
        if meta.target() == REQUEST_TARGET {
            let mut visitor = RequestIdVisitor(None);
            attrs.record(&mut visitor);
            let trace = RequestTrace::new(visitor.0.unwrap_or_else(|| "-".into()));
            if let Some(span) = ctx.span(id) {
                span.extensions_mut().insert(Arc::new(trace));
            }
            return;
        }
        if meta.target() != TARGET {
            return;
        }
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Started(Instant::now()));
        }
        // The request id is looked up only when the line is printed.
        tracing::debug!(
            target: "babblr::perf",
            message = %StartLine(meta.name()),
            request_id = %RequestIdOf(|| request_of(&ctx, id)),
        );
    }

    /// [`perf_span!`](crate::perf_span) and `#[instrument]` spans are
    /// reported when they close.
    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let meta = span.metadata();
        if meta.target() != TARGET {
            return;
        }
        let Some(&Started(started)) = span.extensions().get::<Started>() else {
            return;
        };
        let request = request_of(&ctx, &id);
        drop(span);
        report(meta, started, request);
    }
}

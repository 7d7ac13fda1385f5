//! Server-side timing: one span, every sink.
//!
//! A step is timed by opening a `tracing` span with target [`TARGET`]:
//! - synchronous code: `let _t = perf_timer!("chat.save_user_message");`
//! - a future: `perf_timed!(INFO, "chat.correct_text", fut).await`
//! - a whole function, sync or async:
//!   `#[tracing::instrument(target = "babblr::perf", name = "x", level = "info", skip_all)]`
//!
//! These are the Rust forms of the original's `perf_timer()`, `async_perf_timer()`,
//! `@time_function()` and `@time_async_function()`. When the span closes,
//! [`layer::PerfLayer`] sends its duration to every sink: the `[PERF] … DONE`
//! log line, the request's `Server-Timing` header ([`http`]), the Prometheus
//! histogram ([`metrics`]) and, through `tracing-opentelemetry` when enabled, OTLP.
//! Use INFO for LLM, speech and request-sized steps, DEBUG (the default) for
//! small ones: the DONE line is logged at the span's level.

pub mod http;
pub mod layer;
pub mod metrics;
pub mod otel;
pub mod store;
pub mod subscriber;

pub use layer::{PerfLayer, RequestTrace};
pub use store::PerfStore;

/// Target of every perf span and `[PERF]` log line (`RUST_LOG=babblr::perf=debug`).
pub const TARGET: &str = "babblr::perf";
/// Target of the one span each HTTP request runs in.
pub const REQUEST_TARGET: &str = "babblr::perf::request";

/// Opens a perf span: `perf_span!("name")` at DEBUG, `perf_span!(INFO, "name")`.
#[macro_export]
macro_rules! perf_span {
    ($name:literal) => {
        $crate::perf_span!(DEBUG, $name)
    };
    ($lvl:ident, $name:literal) => {
        ::tracing::span!(target: "babblr::perf", ::tracing::Level::$lvl, $name)
    };
}

/// Times the rest of a synchronous scope: `let _t = perf_timer!("name");`.
#[macro_export]
macro_rules! perf_timer {
    ($($args:tt)*) => {
        $crate::perf::PerfTimer::new($crate::perf_span!($($args)*))
    };
}

/// Times a future: `perf_timed!(INFO, "name", async { … }).await`.
#[macro_export]
macro_rules! perf_timed {
    ($lvl:ident, $name:literal, $fut:expr) => {
        $crate::perf::PerfTimed::new($fut, $crate::perf_span!($lvl, $name))
    };
    ($name:literal, $fut:expr) => {
        $crate::perf::PerfTimed::new($fut, $crate::perf_span!($name))
    };
}

/// The guard of [`perf_timer!`]: the span is entered while it lives and
/// reported done when it drops, even if a clone of the span lives on.
pub struct PerfTimer {
    span: tracing::span::EnteredSpan,
}

impl PerfTimer {
    pub fn new(span: tracing::Span) -> Self {
        PerfTimer {
            span: span.entered(),
        }
    }
}

impl Drop for PerfTimer {
    fn drop(&mut self) {
        layer::finish(&self.span);
    }
}

pin_project_lite::pin_project! {
    /// The future of [`perf_timed!`]: runs inside its span and reports the
    /// span done the moment the future completes (see [`layer::finish`]).
    pub struct PerfTimed<F> {
        #[pin]
        inner: tracing::instrument::Instrumented<F>,
    }
}

impl<F> PerfTimed<F> {
    pub fn new(fut: F, span: tracing::Span) -> Self {
        PerfTimed {
            inner: tracing::Instrument::instrument(fut, span),
        }
    }
}

impl<F: std::future::Future> std::future::Future for PerfTimed<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let mut inner = self.project().inner;
        let out = inner.as_mut().poll(cx);
        if out.is_ready() {
            layer::finish(inner.span());
        }
        out
    }
}

/// Milliseconds with two decimals (`456.78`), as every `[PERF]` line and
/// header writes them; no allocation or float formatting, as it is on every
/// span's hot path.
#[derive(Debug, Clone, Copy)]
pub struct Ms(pub f64);

impl std::fmt::Display for Ms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !(self.0.is_finite() && self.0 >= 0.0 && self.0 < 1e15) {
            return write!(f, "{:.2}", self.0);
        }
        let hundredths = (self.0 * 100.0).round() as u64;
        write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

/// Spawns a task that stays inside the current request's trace, so its spans
/// still reach that request's `Server-Timing` header.
pub fn spawn_in_request<F>(fut: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(tracing::Instrument::in_current_span(fut))
}

#[cfg(test)]
mod tests {
    use super::Ms;

    #[test]
    fn milliseconds_have_two_decimals() {
        for (ms, text) in [
            (456.784, "456.78"),
            (0.005, "0.01"),
            (2856.0, "2856.00"),
            (0.0, "0.00"),
            (9.999, "10.00"),
        ] {
            assert_eq!(Ms(ms).to_string(), text);
        }
    }
}

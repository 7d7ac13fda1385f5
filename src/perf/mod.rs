//! Server-side timing: one span, every sink.
//!
//! A step is timed by opening a `tracing` span under target [`TARGET`]:
//! - synchronous code: `let _t = perf_timer!("chat.save_user_message");`
//! - a future: `perf_timed!(INFO, "chat.correct_text", fut).await`
//! - a whole function, sync or async:
//!   `#[tracing::instrument(target = "babblr::perf", name = "x", level = "info", skip_all)]`
//!
//! These are the Rust forms of the seed's (the Python app's) `perf_timer()`, `async_perf_timer()`,
//! `@time_function()` and `@time_async_function()`. When the work ends (the
//! macros' guards report it; `#[instrument]` spans when they close),
//! [`layer`] sends its duration to every sink: the `[PERF] … DONE`
//! log line, the request's `Server-Timing` header ([`http`]), the Prometheus
//! histogram ([`metrics`]) and, through `tracing-opentelemetry` when enabled, OTLP.
//! Use INFO for LLM, speech and request-sized steps, DEBUG (the default) for
//! small ones: the DONE line is logged at the span's level.

pub mod http;
pub mod layer;
pub mod log;
pub mod metrics;
pub mod otel;
pub mod store;
pub mod subscriber;
pub mod trace;

pub use layer::PerfLayer;
pub use store::PerfStore;
pub use trace::RequestTrace;

/// Target of every perf span and `[PERF]` log line (`RUST_LOG=babblr::perf=debug`).
pub const TARGET: &str = "babblr::perf";
/// Target of the spans of [`perf_timer!`](crate::perf_timer) and
/// [`perf_timed!`](crate::perf_timed), whose guards keep their start time (the
/// layer keeps it for [`perf_span!`](crate::perf_span) and `#[instrument]` spans).
pub const TIMER_TARGET: &str = "babblr::perf::timer";
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

/// The span of [`perf_timer!`] and [`perf_timed!`]: like [`perf_span!`] but
/// with target [`TIMER_TARGET`], as its guard, not the layer, keeps its time.
#[doc(hidden)]
#[macro_export]
macro_rules! __perf_timer_span {
    ($name:literal) => {
        $crate::__perf_timer_span!(DEBUG, $name)
    };
    ($lvl:ident, $name:literal) => {
        ::tracing::span!(target: "babblr::perf::timer", ::tracing::Level::$lvl, $name)
    };
}

/// Times the rest of a synchronous scope: `let _t = perf_timer!("name");`.
#[macro_export]
macro_rules! perf_timer {
    ($($args:tt)*) => {
        $crate::perf::PerfTimer::new($crate::__perf_timer_span!($($args)*))
    };
}

/// Times a future: `perf_timed!(INFO, "name", async { … }).await`.
#[macro_export]
macro_rules! perf_timed {
    ($lvl:ident, $name:literal, $fut:expr) => {
        $crate::perf::PerfTimed::new($fut, $crate::__perf_timer_span!($lvl, $name))
    };
    ($name:literal, $fut:expr) => {
        $crate::perf::PerfTimed::new($fut, $crate::__perf_timer_span!($name))
    };
}

/// The guard of [`perf_timer!`](crate::perf_timer): the span is entered while it lives and
/// reported done when it drops, even if a clone of the span lives on.
pub struct PerfTimer {
    span: tracing::span::EnteredSpan,
    start: std::time::Instant,
}

impl PerfTimer {
    pub fn new(span: tracing::Span) -> Self {
        layer::start(&span);
        PerfTimer {
            span: span.entered(),
            start: std::time::Instant::now(),
        }
    }
}

impl Drop for PerfTimer {
    fn drop(&mut self) {
        layer::finish(&self.span, self.start);
    }
}

pin_project_lite::pin_project! {
    /// The future of [`perf_timed!`]: runs inside its span and reports the
    /// span done the moment the future completes (see [`layer::finish`]).
    pub struct PerfTimed<F> {
        #[pin]
        inner: tracing::instrument::Instrumented<F>,
        start: Option<std::time::Instant>,
    }
}

impl<F> PerfTimed<F> {
    pub fn new(fut: F, span: tracing::Span) -> Self {
        layer::start(&span);
        PerfTimed {
            inner: tracing::Instrument::instrument(fut, span),
            start: Some(std::time::Instant::now()),
        }
    }
}

impl<F: std::future::Future> std::future::Future for PerfTimed<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.project();
        let mut inner = this.inner;
        let out = inner.as_mut().poll(cx);
        if out.is_ready() {
            if let Some(start) = this.start.take() {
                layer::finish(inner.span(), start);
            }
        }
        out
    }
}

/// Milliseconds with two decimals (`456.78`), as every `[PERF]` line and
/// header writes them; written digit by digit, as it is on every span's hot
/// path.
#[derive(Debug, Clone, Copy)]
pub struct Ms(pub f64);

impl Ms {
    /// Writes the number to `out` (a `String` or a formatter).
    pub fn write_to(self, out: &mut impl std::fmt::Write) -> std::fmt::Result {
        if !(self.0.is_finite() && self.0 >= 0.0 && self.0 < 1e15) {
            return write!(out, "{:.2}", self.0);
        }
        let hundredths = (self.0 * 100.0).round() as u64;
        // Right to left: two decimals, the point, then the integer part.
        let mut digits = [0u8; 24];
        let mut i = digits.len() - 3;
        digits[i] = b'.';
        digits[i + 1] = b'0' + (hundredths / 10 % 10) as u8;
        digits[i + 2] = b'0' + (hundredths % 10) as u8;
        let mut n = hundredths / 100;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.write_str(std::str::from_utf8(&digits[i..]).expect("ASCII digits"))
    }
}

impl std::fmt::Display for Ms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.write_to(f)
    }
}

/// Runs `f` with the thread's buffer in `slot`, emptied: a line is built
/// without allocating. A nested use (a writer that logs, say) gets a fresh
/// buffer instead.
pub(crate) fn with_scratch<R>(
    slot: &'static std::thread::LocalKey<std::cell::RefCell<String>>,
    f: impl FnOnce(&mut String) -> R,
) -> R {
    slot.with(|cell| match cell.try_borrow_mut() {
        Ok(mut line) => {
            line.clear();
            f(&mut line)
        }
        Err(_) => f(&mut String::new()),
    })
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
            (1234567.891, "1234567.89"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(Ms(ms).to_string(), text);
        }
    }
}

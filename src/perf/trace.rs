//! A request's trace: the perf spans one HTTP request ran, kept on the
//! request span while it runs, and how a span finds the request it is in.
//! The perf layer writes to it; the request layer and the log layer read it.

use crate::api::SpanTiming;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tracing_subscriber::registry::{LookupSpan, SpanRef};

/// A finished step: name, start and duration (ms), and what it did.
type Step = (&'static str, f64, f64, Option<String>);

/// The spans one HTTP request ran, collected while it runs.
#[derive(Debug)]
pub struct RequestTrace {
    pub start: Instant,
    pub request_id: String,
    /// Names stay `&'static str` here (no allocation per span); they become
    /// `SpanTiming`s once per request, when read.
    spans: Mutex<Vec<Step>>,
}

impl RequestTrace {
    pub(super) fn new(request_id: String) -> Self {
        RequestTrace {
            start: Instant::now(),
            request_id,
            spans: Mutex::new(Vec::new()),
        }
    }

    /// The spans finished so far, in the order they finished.
    pub fn spans(&self) -> Vec<SpanTiming> {
        self.spans
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(name, start_ms, duration_ms, detail)| SpanTiming {
                name: name.to_string(),
                start_ms: *start_ms,
                duration_ms: *duration_ms,
                detail: detail.clone(),
            })
            .collect()
    }

    pub(super) fn push(
        &self,
        name: &'static str,
        start_ms: f64,
        duration_ms: f64,
        detail: Option<String>,
    ) {
        self.spans.lock().unwrap_or_else(|e| e.into_inner()).push((
            name,
            start_ms,
            duration_ms,
            detail,
        ));
    }
}

/// Returns the [`RequestTrace`] of a request span made with target
/// [`REQUEST_TARGET`], when a [`PerfLayer`] over a registry is installed.
pub fn trace_of(span: &tracing::Span) -> Option<Arc<RequestTrace>> {
    in_registry(span, |data| request_in(std::iter::once(data)))
}

/// Calls `f` with `span`'s data in the registry under the current
/// subscriber, if there is one.
fn in_registry<T>(
    span: &tracing::Span,
    f: impl FnOnce(SpanRef<'_, tracing_subscriber::Registry>) -> Option<T>,
) -> Option<T> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<tracing_subscriber::Registry>()?;
        f(registry.span(id)?)
    })
    .flatten()
}

/// The trace of the request `span` runs in, found through its parents.
pub(super) fn request_of_span(span: &tracing::Span) -> Option<Arc<RequestTrace>> {
    // From the parent up: a timer span is never a request span itself.
    in_registry(span, |data| {
        request_in(std::iter::successors(data.parent(), |s| s.parent()))
    })
}

/// The first request trace among `spans` (a span and its parents).
pub(super) fn request_in<'a, R: LookupSpan<'a> + 'a>(
    mut spans: impl Iterator<Item = SpanRef<'a, R>>,
) -> Option<Arc<RequestTrace>> {
    spans.find_map(|s| s.extensions().get::<Arc<RequestTrace>>().cloned())
}

/// The trace of the request the current span runs in, if any.
pub(super) fn request_of_current() -> Option<Arc<RequestTrace>> {
    in_registry(&tracing::Span::current(), |data| {
        request_in(std::iter::successors(Some(data), |s| s.parent()))
    })
}

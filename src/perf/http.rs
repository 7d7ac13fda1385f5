//! The request layer: `[PERF] REQUEST START/COMPLETE` lines, `X-Request-Id`,
//! `X-Response-Time` and `Server-Timing` on every response, the route
//! histogram and the perf record.
//!
//! The headers measure time to response headers. For a streamed body (the
//! chat stream) the COMPLETE line, the histogram and the record are written
//! when the body ends, so they hold the whole duration.

use super::trace::{trace_of, RequestTrace};
use super::{metrics, Ms, PerfStore, REQUEST_TARGET};
use crate::api::{RequestRecord, SpanTiming};
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use http_body::Frame;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tracing::Instrument;

/// The request id header, read from the request or generated, and returned.
pub const REQUEST_ID: &str = "x-request-id";
/// Most span entries one `Server-Timing` header lists.
const MAX_TIMING_ENTRIES: usize = 64;

/// Axum middleware; install with
/// `axum::middleware::from_fn_with_state(store, perf::http::middleware)` on the whole router.
pub async fn middleware(State(store): State<Arc<PerfStore>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let started_at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0);
    let request_id = request_id(req.headers());
    let method = method_label(req.method()).to_string();
    let path = cut_path(req.uri().path());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());

    let span = tracing::info_span!(target: REQUEST_TARGET, "request", %method, %path, request_id = %request_id);
    super::otel::continue_trace(&span, req.headers());
    let trace = trace_of(&span);
    tracing::debug!(target: "babblr::perf", parent: &span, request_id = %request_id,
        "[PERF] REQUEST START - {method} {path}");

    let mut response = next.run(req).instrument(span.clone()).await;
    let headers_ms = start.elapsed().as_secs_f64() * 1000.0;
    let spans = trace.as_ref().map(|t| t.spans()).unwrap_or_default();
    set_timing_headers(response.headers_mut(), &request_id, headers_ms, &spans);

    let completion = Completion {
        span,
        trace,
        store,
        start,
        record: RequestRecord {
            request_id,
            method,
            path,
            route,
            status: response.status().as_u16(),
            started_at_ms,
            headers_ms,
            total_ms: headers_ms,
            spans: Vec::new(),
        },
    };
    response.map(|inner| {
        Body::new(PerfBody {
            inner,
            completion: Some(completion),
        })
    })
}

/// Longest path kept in log lines and the perf record, in bytes.
const MAX_PATH: usize = 200;

/// A method as a metric label: the standard ones by name, every other one as
/// `OTHER`, so a client inventing methods cannot add series to `/metrics`.
fn method_label(method: &http::Method) -> &'static str {
    use http::Method as M;
    match *method {
        M::GET => "GET",
        M::POST => "POST",
        M::PUT => "PUT",
        M::DELETE => "DELETE",
        M::PATCH => "PATCH",
        M::HEAD => "HEAD",
        M::OPTIONS => "OPTIONS",
        M::CONNECT => "CONNECT",
        M::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// A path cut to [`MAX_PATH`] bytes (at a character boundary, marked `…`),
/// so 60 kB URLs do not make 60 kB log lines and perf records.
fn cut_path(path: &str) -> String {
    if path.len() <= MAX_PATH {
        return path.to_string();
    }
    let mut end = MAX_PATH;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &path[..end])
}

/// Takes a well-formed incoming id, or makes one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

/// A span name as a `Server-Timing` metric name (an HTTP token).
pub fn header_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `total;dur=12.34, chat.correct_text;dur=4.56, …`
pub fn server_timing(total_ms: f64, spans: &[SpanTiming]) -> String {
    let mut out = format!("total;dur={}", Ms(total_ms));
    for s in spans.iter().take(MAX_TIMING_ENTRIES) {
        out.push_str(&format!(
            ", {};dur={}",
            header_safe(&s.name),
            Ms(s.duration_ms)
        ));
        if let Some(detail) = &s.detail {
            // A quoted-string: quotes and backslashes cannot appear in it.
            let safe: String = detail
                .chars()
                .filter(|c| *c != '"' && *c != '\\' && (' '..='~').contains(c))
                .collect();
            out.push_str(&format!(";desc=\"{safe}\""));
        }
    }
    out
}

fn set_timing_headers(
    headers: &mut HeaderMap,
    request_id: &str,
    total_ms: f64,
    spans: &[SpanTiming],
) {
    let pairs = [
        ("x-response-time", format!("{}ms", Ms(total_ms))),
        ("server-timing", server_timing(total_ms, spans)),
        (REQUEST_ID, request_id.to_string()),
    ];
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    // Lets a page on another (allowed) origin read the timing headers; the
    // Python app's browser never saw them.
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static("X-Response-Time, Server-Timing, X-Request-Id"),
    );
}

/// What is logged and recorded once the response body has ended.
struct Completion {
    span: tracing::Span,
    trace: Option<Arc<RequestTrace>>,
    store: Arc<PerfStore>,
    start: Instant,
    record: RequestRecord,
}

impl Completion {
    fn finish(self) {
        let Completion {
            span,
            trace,
            store,
            start,
            mut record,
        } = self;
        let total_ms = start.elapsed().as_secs_f64() * 1000.0;
        record.total_ms = total_ms;
        record.spans = trace.as_ref().map(|t| t.spans()).unwrap_or_default();
        let r = &record;
        tracing::info!(target: "babblr::perf", parent: &span, request_id = %r.request_id,
            "[PERF] REQUEST COMPLETE - {} {} - {} - {}ms", r.method, r.path, r.status, Ms(total_ms));
        metrics::record_request(&r.method, &r.route, r.status, total_ms);
        store.push(record);
    }
}

pin_project_lite::pin_project! {
    /// A response body that reports when it has been sent in full (or dropped).
    struct PerfBody {
        #[pin]
        inner: Body,
        completion: Option<Completion>,
    }

    impl PinnedDrop for PerfBody {
        fn drop(this: Pin<&mut Self>) {
            if let Some(c) = this.project().completion.take() {
                c.finish();
            }
        }
    }
}

impl http_body::Body for PerfBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.project();
        let poll = this.inner.poll_frame(cx);
        if matches!(poll, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            if let Some(c) = this.completion.take() {
                c.finish();
            }
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_header_tokens() {
        assert_eq!(header_safe("chat.correct_text"), "chat.correct_text");
        assert_eq!(header_safe("a b;c,d\"é"), "a_b_c_d__");
    }

    #[test]
    fn server_timing_lists_total_then_spans() {
        let spans = vec![
            SpanTiming {
                name: "chat.correct_text".into(),
                start_ms: 1.0,
                duration_ms: 456.781,
                detail: None,
            },
            SpanTiming {
                name: "llm.decode".into(),
                start_ms: 2.0,
                duration_ms: 400.0,
                detail: Some("48 tokens, 24.1 tokens/s \"x\"".into()),
            },
        ];
        assert_eq!(
            server_timing(2856.344, &spans),
            "total;dur=2856.34, chat.correct_text;dur=456.78, llm.decode;dur=400.00;desc=\"48 tokens, 24.1 tokens/s x\""
        );
    }

    #[test]
    fn odd_methods_and_long_paths_are_bounded() {
        assert_eq!(method_label(&http::Method::GET), "GET");
        let invented = http::Method::from_bytes(&[b'X'; 8000]).unwrap();
        assert_eq!(method_label(&invented), "OTHER");
        let long = "/é".repeat(30_000);
        let cut = cut_path(&long);
        assert!(cut.len() <= MAX_PATH + "…".len(), "{}", cut.len());
        assert!(cut.ends_with('…'));
        assert_eq!(cut_path("/conversations/1"), "/conversations/1");
    }

    #[test]
    fn request_ids_are_taken_when_well_formed() {
        let mut h = HeaderMap::new();
        h.insert(REQUEST_ID, HeaderValue::from_static("abc-123"));
        assert_eq!(request_id(&h), "abc-123");
        h.insert(REQUEST_ID, HeaderValue::from_static("bad id;"));
        assert_eq!(request_id(&h).len(), 32);
    }
}

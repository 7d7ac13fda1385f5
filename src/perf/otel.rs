//! OpenTelemetry: when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, perf spans go out
//! over OTLP/HTTP (protobuf) to any collector (Jaeger, Tempo…), and an
//! incoming W3C `traceparent` header makes the request's span a child of the
//! caller's trace, so a browser trace continues on the server.

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{SpanExporter, WithExportConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use opentelemetry_sdk::Resource;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Keeps the exporter alive; dropping it flushes the spans not yet sent.
pub struct OtelGuard {
    provider: SdkTracerProvider,
}

impl Drop for OtelGuard {
    fn drop(&mut self) {
        let _ = self.provider.shutdown();
    }
}

/// Builds an OTLP/HTTP exporter to `endpoint` (e.g. `http://127.0.0.1:4318`;
/// spans are posted to `{endpoint}/v1/traces`) and returns its tracer.
pub fn tracer(endpoint: &str) -> Result<(Tracer, OtelGuard), String> {
    let exporter = SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build()
        .map_err(|e| format!("OTLP exporter: {e}"))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name("babblr").build())
        .build();
    let tracer = provider.tracer("babblr");
    opentelemetry::global::set_tracer_provider(provider.clone());
    Ok((tracer, OtelGuard { provider }))
}

/// The tracer for `OTEL_EXPORTER_OTLP_ENDPOINT`, when it is set.
pub fn tracer_from_env() -> Option<(Tracer, OtelGuard)> {
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())?;
    match tracer(&endpoint) {
        Ok(t) => Some(t),
        Err(e) => {
            eprintln!("babblr: OpenTelemetry disabled: {e}");
            None
        }
    }
}

struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Makes `span` continue the trace named by a `traceparent` header, if any.
pub fn continue_trace(span: &tracing::Span, headers: &http::HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&Headers(headers));
    let _ = span.set_parent(parent);
}

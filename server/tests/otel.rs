//! OpenTelemetry export: spans reach an OTLP/HTTP collector and continue the
//! caller's W3C trace. The collector here is a stand-in that decodes what it
//! receives with the OTLP protobuf definitions. A test binary of its own,
//! because the subscriber is process-wide.

use testkit as common;

use axum::body::Bytes;
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::json;
use std::sync::{Arc, Mutex};
use testkit::standin::StandinConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_go_out_over_otlp_and_continue_the_callers_trace() {
    let received: Arc<Mutex<Vec<ExportTraceServiceRequest>>> = Arc::default();
    let sink = received.clone();
    let collector = axum::Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock()
                    .unwrap()
                    .push(ExportTraceServiceRequest::decode(body).expect("OTLP protobuf"));
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, collector).await });

    let (tracer, guard) = babblr::perf::otel::tracer(&endpoint).unwrap();
    // Every line on: the START lines are logged while spans are created,
    // which must not hide a span from the OTLP layer's own filter.
    let filter = babblr::perf::subscriber::EnvFilter::new("debug");
    tracing::subscriber::set_global_default(babblr::perf::subscriber::build_with_otel(
        filter,
        std::io::sink,
        Some(tracer),
    ))
    .unwrap();

    let app = common::spawn_app(StandinConfig::default(), &[]).await;
    let id = app.conversation("spanish", "A1", "greetings").await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let res = app
        .http
        .post(app.url("/chat"))
        .header("traceparent", format!("00-{trace_id}-{parent_id}-01"))
        .json(&json!({"conversation_id": id, "user_message": "hola"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    tokio::task::spawn_blocking(move || drop(guard))
        .await
        .unwrap();

    let spans: Vec<_> = received
        .lock()
        .unwrap()
        .iter()
        .flat_map(|r| r.resource_spans.iter())
        .flat_map(|r| r.scope_spans.iter())
        .flat_map(|s| s.spans.iter())
        .cloned()
        .collect();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let in_trace: Vec<_> = spans
        .iter()
        .filter(|s| hex(&s.trace_id) == trace_id)
        .collect();
    let names: Vec<&str> = in_trace.iter().map(|s| s.name.as_str()).collect();
    for want in [
        "request",
        "chat.save_user_message",
        "chat.correct_text",
        "chat.generate_response_llm",
    ] {
        assert!(
            names.contains(&want),
            "{want} not exported in the caller's trace: {names:?}"
        );
    }
    let request = in_trace.iter().find(|s| s.name == "request").unwrap();
    assert_eq!(
        hex(&request.parent_span_id),
        parent_id,
        "the request continues the browser's span"
    );
}

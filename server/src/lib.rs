//! The Babblr server: wiring of the engine, the Leptos app, the JSON routes
//! and the layers. `main.rs` adds the command line.

pub mod routes;
pub mod stt_routes;

use app::{shell, App};
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use babblr::api::{codes, status_for, ApiError};
use babblr::config::Config;
use babblr::{perf, Engine};
use http::{HeaderValue, Method, StatusCode};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// Leptos settings from our config: bundle name, site folder, address.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(app::BUNDLE)
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build()
}

/// The whole app: pages, server functions, JSON routes, static files and
/// errors, all inside the perf layer.
pub fn router(engine: Engine) -> Router {
    let config = engine.config().clone();
    let options = leptos_options(&config);
    let routes = generate_route_list(App);
    let context_engine = engine.clone();
    let pages = Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            move || provide_context(context_engine.clone()),
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options);

    let mut router = pages
        .merge(routes::api(engine.clone()))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        // Speech uploads have their own, larger limit.
        .merge(stt_routes::routes(engine.clone()))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        // Outside the limits, so their plain-text answers become JSON.
        .layer(middleware::from_fn(api_errors))
        .layer(middleware::from_fn_with_state(
            engine.perf_store(),
            perf::http::middleware,
        ));
    if !config.cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers([
                    http::header::CONTENT_TYPE,
                    "x-request-id".parse().unwrap(),
                    "traceparent".parse().unwrap(),
                ])
                .expose_headers([
                    "x-response-time".parse().unwrap(),
                    "server-timing".parse().unwrap(),
                    "x-request-id".parse().unwrap(),
                ]),
        );
    }
    router
}

/// Gives errors their real status and a JSON body: server functions answer
/// every error with 500 and our `{error, message}` body, so the status is
/// taken from the code; a body too large (413) or a request too slow (408)
/// gets JSON instead of plain text.
async fn api_errors(req: Request, next: Next) -> Response {
    if let Some(err) = wrong_content_type(&req) {
        return err.into_response();
    }
    let res = next.run(req).await;
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(codes::PAYLOAD_TOO_LARGE, "The request body is too large.")
            .into_response();
    }
    if res.status() == StatusCode::REQUEST_TIMEOUT {
        return ApiError::new(
            codes::REQUEST_TIMEOUT,
            "The request took too long and was stopped.",
        )
        .into_response();
    }
    if !res
        .headers()
        .contains_key(server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    if let Ok(err) = serde_json::from_slice::<ApiError>(&bytes) {
        parts.status = StatusCode::from_u16(status_for(&err.error))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A POST whose body is declared as something other than JSON gets 415:
/// every POST body this API takes is JSON, but the speech upload, which is
/// multipart.
fn wrong_content_type(req: &Request) -> Option<ApiError> {
    if req.method() != Method::POST {
        return None;
    }
    let upload = req.uri().path() == "/stt/transcribe";
    let ct = match req.headers().get(http::header::CONTENT_TYPE) {
        Some(ct) => ct.to_str().unwrap_or(""),
        None if upload => "",
        None => return None,
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if upload {
        return (mime != "multipart/form-data").then(|| {
            ApiError::new(
                codes::UNSUPPORTED_MEDIA_TYPE,
                format!("send the recording as multipart/form-data with a field named 'audio', not '{mime}'"),
            )
        });
    }
    (mime != "application/json" && !mime.ends_with("+json")).then(|| {
        ApiError::new(
            codes::UNSUPPORTED_MEDIA_TYPE,
            format!("expected a JSON body (Content-Type: application/json), got '{mime}'"),
        )
    })
}

/// Serves until Ctrl-C or SIGTERM, letting requests in flight finish.
pub async fn serve(engine: Engine, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router(engine).into_make_service())
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

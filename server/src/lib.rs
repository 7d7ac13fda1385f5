//! The Babblr server: wiring of the engine, the Leptos app, the JSON routes
//! and the layers. `main.rs` adds the command line.

pub mod auth;
pub mod guard;
pub mod listen;
pub mod routes;

use app::{shell, App};
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use babblr::api::{codes, ApiError};
use babblr::config::Config;
use babblr::{perf, Engine};
use http::{HeaderValue, Method, StatusCode};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::cors::{AllowOrigin, CorsLayer};
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
        // Who is asking: inside the guard, so refused requests touch no session.
        .layer(middleware::from_fn_with_state(
            engine.clone(),
            auth::learner,
        ))
        .layer(auth::session_layer(&engine))
        // Speech uploads have their own, larger limit.
        .layer(middleware::from_fn_with_state(
            guard::BodyLimits::new(&config),
            guard::body_limit,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(middleware::from_fn_with_state(
            guard::Guard::new(&config),
            guard::middleware,
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
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
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
/// taken from the code; any other error answered in plain text (a body too
/// large, a request too slow, an undecodable path, a broken multipart body,
/// a method a route does not take) gets our JSON instead. Pages (HTML) stay.
async fn api_errors(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let res = next.run(req).await;
    let status = res.status();
    if res
        .headers()
        .contains_key(server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        let (mut parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        if let Ok(err) = serde_json::from_slice::<ApiError>(&bytes) {
            parts.status =
                StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        }
        return Response::from_parts(parts, Body::from(bytes));
    }
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let kind = res
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if kind.starts_with("application/json") || kind.starts_with("text/html") {
        return res;
    }
    // The status stays what the handler said; the body becomes ours.
    let mut json = plain_error(status, &method).into_response();
    *json.status_mut() = status;
    for (name, value) in res.headers() {
        if name != http::header::CONTENT_TYPE && name != http::header::CONTENT_LENGTH {
            json.headers_mut().insert(name.clone(), value.clone());
        }
    }
    json
}

/// Our error for a plain-text error answer, by its status: the text itself
/// is framework wording (Rust type names and all), so it is not passed on.
fn plain_error(status: StatusCode, method: &Method) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(codes::PAYLOAD_TOO_LARGE, "The request body is too large.")
        }
        StatusCode::REQUEST_TIMEOUT => ApiError::new(
            codes::REQUEST_TIMEOUT,
            "The request took too long and was stopped.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            codes::METHOD_NOT_ALLOWED,
            format!("This address does not take {method} requests."),
        ),
        StatusCode::NOT_FOUND => ApiError::new(codes::NOT_FOUND, "Nothing is at this address."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            codes::UNSUPPORTED_MEDIA_TYPE,
            "The body's Content-Type is not one this address reads.",
        ),
        s if s.is_server_error() => ApiError::new(codes::INTERNAL, "An internal error occurred."),
        _ => ApiError::new(
            codes::INVALID_REQUEST,
            "The request could not be read: check the URL's encoding, the headers and the body's framing.",
        ),
    }
}

/// Serves until Ctrl-C or SIGTERM, letting requests in flight finish, with
/// the connection limits of [`listen`].
pub async fn serve(engine: Engine, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let limits = engine.config().connections;
    listen::serve(listener, router(engine), limits, shutdown_signal()).await
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

//! Requests refused before any handler runs: ones addressed to a host name
//! this server does not answer to (a DNS-rebinding page reaching a loopback
//! server), state-changing ones sent by another site's page (cross-site
//! request forgery), and bodies of a type the route does not read.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use babblr::api::{codes, ApiError};
use babblr::config::Config;
use http::{header, Method};
use std::net::IpAddr;
use std::sync::Arc;

/// Which hosts and origins are welcome.
#[derive(Debug, Clone)]
pub struct Guard {
    /// Host names allowed beyond loopback names and IP addresses (`*`: any).
    allowed_hosts: Vec<String>,
    /// Origins (`https://app.example`) allowed to change state cross-site.
    cors_origins: Vec<String>,
}

impl Guard {
    pub fn new(config: &Config) -> Arc<Guard> {
        Arc::new(Guard {
            allowed_hosts: config.allowed_hosts.clone(),
            cors_origins: config
                .cors_origins
                .iter()
                .map(|o| o.trim_end_matches('/').to_string())
                .collect(),
        })
    }

    /// The reason to refuse `req`, if there is one.
    fn check(&self, req: &Request) -> Option<ApiError> {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| req.uri().authority().map(|a| a.to_string()));
        if let Some(host) = &host {
            if !self.host_allowed(host) {
                return Some(ApiError::new(
                    codes::MISDIRECTED,
                    "This server does not answer to that host name; its admin can add it to BABBLR_ALLOWED_HOSTS.",
                ));
            }
        }
        // A websocket is opened with a GET, but browsers do not apply CORS to
        // it: another site's page could speak into a learner's session.
        let websocket = req
            .headers()
            .get(header::UPGRADE)
            .is_some_and(|u| u.as_bytes().eq_ignore_ascii_case(b"websocket"));
        let changes_state =
            websocket || !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        if changes_state {
            if let Some(origin) = req.headers().get(header::ORIGIN) {
                let origin = origin.to_str().unwrap_or("null");
                if !self.origin_allowed(origin, host.as_deref()) {
                    return Some(ApiError::new(
                        codes::FORBIDDEN,
                        "Requests from another site's page may not change anything here.",
                    ));
                }
            }
        }
        wrong_content_type(req)
    }

    /// Loopback names and IP addresses (a rebinding attack needs a DNS
    /// name), plus the configured names.
    fn host_allowed(&self, host: &str) -> bool {
        let name = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
        let ip = name.trim_start_matches('[').trim_end_matches(']');
        ip.parse::<IpAddr>().is_ok()
            || name == "localhost"
            || name.ends_with(".localhost")
            || self
                .allowed_hosts
                .iter()
                .any(|h| h == "*" || strip_port(h) == name)
    }

    /// The page's own origin (same host as the request), or a configured one.
    fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.cors_origins.contains(&origin) {
            return true;
        }
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        matches!((authority, host), (Some(a), Some(h)) if a == h.to_ascii_lowercase())
    }
}

/// `host` without its `:port` (IPv6 literals keep their brackets).
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Axum middleware: refuses what [`Guard`] refuses, with our JSON error.
pub async fn middleware(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    match guard.check(&req) {
        Some(err) => err.into_response(),
        None => next.run(req).await,
    }
}

/// The largest body each path takes: the speech upload its own limit, every
/// other request the API's.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    api: usize,
    upload: usize,
}

/// Room for the multipart framing around the largest accepted recording.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

impl BodyLimits {
    pub fn new(config: &Config) -> BodyLimits {
        BodyLimits {
            api: config.max_body_bytes,
            upload: config.stt.max_upload_bytes + MULTIPART_OVERHEAD,
        }
    }
}

/// Axum middleware: a body over its path's limit gets 413 — at once when
/// `Content-Length` says so, else when reading passes the limit.
pub async fn body_limit(State(limits): State<BodyLimits>, req: Request, next: Next) -> Response {
    let limit = if req.uri().path() == UPLOAD_PATH {
        limits.upload
    } else {
        limits.api
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::new(codes::PAYLOAD_TOO_LARGE, "The request body is too large.")
            .into_response();
    }
    let req = req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(req).await
}

/// The speech upload's path.
const UPLOAD_PATH: &str = "/stt/transcribe";

/// A POST, PUT or PATCH must say its body is JSON (the speech upload:
/// multipart). A missing Content-Type is refused too: it is what a
/// cross-site "simple" request can send without asking first.
fn wrong_content_type(req: &Request) -> Option<ApiError> {
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
        return None;
    }
    let upload = req.uri().path() == UPLOAD_PATH;
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|ct| ct.to_str().unwrap_or("?"))
        .unwrap_or("");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let shown = if mime.is_empty() {
        "none"
    } else {
        mime.as_str()
    };
    if upload {
        if mime != "multipart/form-data" {
            return Some(ApiError::new(
                codes::UNSUPPORTED_MEDIA_TYPE,
                format!("send the recording as multipart/form-data with a field named 'audio', not '{shown}'"),
            ));
        }
        // server_fn's multipart decoder panics on a Content-Type whose boundary
        // it cannot parse: the same parser refuses it here first.
        return multer::parse_boundary(ct).is_err().then(|| {
            ApiError::new(
                codes::INVALID_REQUEST,
                "the multipart body has no boundary in its Content-Type",
            )
        });
    }
    (mime != "application/json" && !mime.ends_with("+json")).then(|| {
        ApiError::new(
            codes::UNSUPPORTED_MEDIA_TYPE,
            format!("expected a JSON body (Content-Type: application/json), got '{shown}'"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(hosts: &[&str], origins: &[&str]) -> Guard {
        Guard {
            allowed_hosts: hosts.iter().map(|s| s.to_string()).collect(),
            cors_origins: origins.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn hosts_loopback_ips_and_configured_names_pass() {
        let g = guard(&["tutor.example.org"], &[]);
        for ok in [
            "127.0.0.1:8000",
            "localhost:8000",
            "LOCALHOST",
            "[::1]:8000",
            "192.168.1.20:8000",
            "app.localhost:8000",
            "tutor.example.org",
            "tutor.example.org.:443",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8000",
            "localhost.evil.example",
            "tutor.example.org.evil",
        ] {
            assert!(!g.host_allowed(bad), "{bad}");
        }
        assert!(guard(&["*"], &[]).host_allowed("anything.example"));
    }

    #[test]
    fn origins_same_site_or_configured_pass() {
        let g = guard(&[], &["https://app.example"]);
        assert!(g.origin_allowed("http://127.0.0.1:8000", Some("127.0.0.1:8000")));
        assert!(g.origin_allowed("https://app.example/", Some("127.0.0.1:8000")));
        assert!(!g.origin_allowed("http://evil.example", Some("127.0.0.1:8000")));
        assert!(!g.origin_allowed("null", Some("127.0.0.1:8000")));
        assert!(!g.origin_allowed("http://127.0.0.1:9999", Some("127.0.0.1:8000")));
    }
}

//! Browser-side timing: every server-function call goes through
//! [`PerfClient`], which leaves `performance.mark`/`measure` entries (Chrome's
//! User Timing track), keeps them in a bounded buffer for `window.BabblrPerf`,
//! and logs `[PERF] api.POST./chat - Backend: …ms, Network+Frontend: …ms`
//! while debugging is on.

use futures::{Sink, Stream};
use server_fn::client::browser::BrowserClient;
use server_fn::client::Client;
use server_fn::error::FromServerFnError;
use server_fn::request::browser::BrowserRequest;
use server_fn::response::browser::BrowserResponse;
use std::future::Future;

#[cfg(feature = "hydrate")]
mod console;
#[cfg(feature = "hydrate")]
mod timing;

#[cfg(feature = "hydrate")]
pub use console::install;
#[cfg(feature = "hydrate")]
pub use timing::*;

/// The server-function client that times each call (see the module docs).
pub struct PerfClient;

impl<E, IS, OS> Client<E, IS, OS> for PerfClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    fn send(req: Self::Request) -> impl Future<Output = Result<Self::Response, E>> + Send {
        #[cfg(feature = "hydrate")]
        {
            let timer = timing::ApiTimer::start(req.method().as_ref(), &req.url());
            send_wrapper::SendWrapper::new(async move {
                let res = <BrowserClient as Client<E, IS, OS>>::send(req).await;
                timer.finish(res.as_ref().ok().map(|r| r.generate_headers()));
                res
            })
        }
        #[cfg(not(feature = "hydrate"))]
        {
            <BrowserClient as Client<E, IS, OS>>::send(req)
        }
    }

    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl Stream<Item = Result<server_fn::Bytes, server_fn::Bytes>> + Send + 'static,
                impl Sink<server_fn::Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}

/// Parses `X-Response-Time: 12.34ms`.
pub fn parse_response_time(value: &str) -> Option<f64> {
    value.trim().trim_end_matches("ms").trim().parse().ok()
}

/// Parses `Server-Timing: total;dur=1.2, chat.correct_text;dur=0.5` into (name, ms) pairs.
pub fn parse_server_timing(value: &str) -> Vec<(String, f64)> {
    value
        .split(',')
        .filter_map(|entry| {
            let mut parts = entry.split(';').map(str::trim);
            let name = parts.next().filter(|n| !n.is_empty())?.to_string();
            let dur = parts
                .find_map(|p| p.strip_prefix("dur="))
                .and_then(|d| d.parse().ok())
                .unwrap_or(0.0);
            Some((name, dur))
        })
        .collect()
}

/// `api.POST./chat` from a method and a URL (query dropped).
pub fn measure_name(method: &str, url: &str) -> String {
    let path = url
        .split_once("://")
        .map(|(_, rest)| rest.find('/').map(|i| &rest[i..]).unwrap_or("/"))
        .unwrap_or(url);
    let path = path.split(['?', '#']).next().unwrap_or(path);
    format!("api.{}.{}", method.to_ascii_uppercase(), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_backend_headers() {
        assert_eq!(parse_response_time("2856.34ms"), Some(2856.34));
        assert_eq!(
            parse_server_timing("total;dur=3.5, chat.correct_text;dur=1.25"),
            vec![
                ("total".to_string(), 3.5),
                ("chat.correct_text".to_string(), 1.25)
            ]
        );
    }

    #[test]
    fn names_measures_like_the_original() {
        assert_eq!(
            measure_name("post", "http://127.0.0.1:8000/chat"),
            "api.POST./chat"
        );
        assert_eq!(
            measure_name("GET", "/topics?language=es"),
            "api.GET./topics"
        );
    }
}

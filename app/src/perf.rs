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
pub use browser::*;

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
            let timer = browser::ApiTimer::start(req.method().as_ref(), &req.url());
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

#[cfg(feature = "hydrate")]
mod browser {
    //! The parts that need a browser: User Timing, the console, localStorage
    //! and `window.BabblrPerf`.
    use super::{parse_response_time, parse_server_timing};
    use babblr::stats::summarize;
    use gloo_storage::{LocalStorage, Storage};
    use js_sys::{Array, Function, Object, Reflect};
    use serde::Serialize;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    /// localStorage key of the on/off switch (the original's name).
    pub const STORAGE_KEY: &str = "babblr_perf_debug";
    /// Most measures kept for `getMeasures()`.
    const MAX_MEASURES: usize = 500;

    /// One finished measure, as `getMeasures()` returns it.
    #[derive(Debug, Clone, Serialize)]
    pub struct MeasureRecord {
        pub name: String,
        #[serde(rename = "startTime")]
        pub start_time: f64,
        pub duration: f64,
        pub backend_ms: Option<f64>,
        pub request_id: Option<String>,
    }

    thread_local! {
        static ENABLED: Cell<Option<bool>> = const { Cell::new(None) };
        static MEASURES: RefCell<VecDeque<MeasureRecord>> = const { RefCell::new(VecDeque::new()) };
        static SEQ: Cell<u64> = const { Cell::new(0) };
    }

    fn performance() -> Option<web_sys::Performance> {
        web_sys::window()?.performance()
    }

    /// `performance.now()`, or 0 outside a window.
    pub fn now() -> f64 {
        performance().map(|p| p.now()).unwrap_or(0.0)
    }

    /// Whether debugging output is on (localStorage, read once, then cached).
    pub fn is_enabled() -> bool {
        ENABLED.with(|e| match e.get() {
            Some(v) => v,
            None => {
                let v = LocalStorage::get::<bool>(STORAGE_KEY).unwrap_or(false);
                e.set(Some(v));
                v
            }
        })
    }

    /// Turns debugging output on or off, now and after reloads.
    pub fn set_enabled(on: bool) {
        ENABLED.with(|e| e.set(Some(on)));
        let _ = LocalStorage::set(STORAGE_KEY, on);
        web_sys::console::log_1(
            &format!(
                "[PERF] BabblrPerf {}",
                if on { "enabled" } else { "disabled" }
            )
            .into(),
        );
    }

    fn unique(name: &str, suffix: &str) -> String {
        let n = SEQ.with(|s| {
            s.set(s.get() + 1);
            s.get()
        });
        format!("{name}:{suffix}:{n}")
    }

    /// `performance.mark(name)`; returns the mark's name.
    pub fn mark(name: &str) -> String {
        if let Some(p) = performance() {
            let _ = p.mark(name);
        }
        name.to_string()
    }

    /// `performance.measure(name, {start, end, detail})` and a buffer entry.
    pub fn measure(
        name: &str,
        start_mark: &str,
        end_mark: &str,
        detail: &JsValue,
        backend_ms: Option<f64>,
        request_id: Option<String>,
    ) -> f64 {
        let Some(p) = performance() else { return 0.0 };
        let opts = Object::new();
        let _ = Reflect::set(&opts, &"start".into(), &start_mark.into());
        let _ = Reflect::set(&opts, &"end".into(), &end_mark.into());
        let _ = Reflect::set(&opts, &"detail".into(), detail);
        let measure = Reflect::get(&p, &"measure".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .and_then(|f| f.call2(&p, &name.into(), &opts).ok());
        let (start_time, duration) = measure
            .as_ref()
            .map(|m| {
                let get = |k: &str| {
                    Reflect::get(m, &k.into())
                        .ok()
                        .and_then(|v| v.as_f64())
                        .unwrap_or(0.0)
                };
                (get("startTime"), get("duration"))
            })
            .unwrap_or((0.0, 0.0));
        record(MeasureRecord {
            name: name.to_string(),
            start_time,
            duration,
            backend_ms,
            request_id,
        });
        duration
    }

    fn record(m: MeasureRecord) {
        MEASURES.with(|ms| {
            let mut ms = ms.borrow_mut();
            if ms.len() == MAX_MEASURES {
                ms.pop_front();
            }
            ms.push_back(m);
        });
    }

    /// A user-flow span: `let t = UiTimer::start("ui.send_to_first_token"); … t.finish();`
    pub struct UiTimer {
        name: String,
        start: String,
    }

    impl UiTimer {
        pub fn start(name: &str) -> UiTimer {
            UiTimer {
                name: name.to_string(),
                start: mark(&unique(name, "start")),
            }
        }

        /// Ends the span and returns its duration in milliseconds.
        pub fn finish(self) -> f64 {
            let end = mark(&unique(&self.name, "end"));
            let d = measure(&self.name, &self.start, &end, &JsValue::NULL, None, None);
            if is_enabled() {
                web_sys::console::log_1(&format!("[PERF] {} - {:.2}ms", self.name, d).into());
            }
            d
        }
    }

    /// Times one API call; see [`super::PerfClient`].
    pub struct ApiTimer {
        name: String,
        start: String,
        url: String,
        /// Time spent in `start`, for the wrapper's own cost.
        own_ms: f64,
    }

    impl ApiTimer {
        pub fn start(method: &str, url: &str) -> ApiTimer {
            let t0 = now();
            let name = super::measure_name(method, url);
            if is_enabled() {
                web_sys::console::time_with_label(&name);
            }
            ApiTimer {
                start: mark(&unique(&name, "start")),
                name,
                url: url.to_string(),
                own_ms: now() - t0,
            }
        }

        /// Ends the measure with the backend's timing from the response headers
        /// (`X-Response-Time`, `Server-Timing`, `X-Request-Id`).
        pub fn finish(self, headers: Option<http::HeaderMap>) {
            let end = mark(&unique(&self.name, "end"));
            let t1 = now();
            let header = |h: &http::HeaderMap, k: &str| {
                h.get(k).and_then(|v| v.to_str().ok()).map(str::to_string)
            };
            let backend_ms = headers
                .as_ref()
                .and_then(|h| header(h, "x-response-time"))
                .and_then(|v| parse_response_time(&v));
            let request_id = headers.as_ref().and_then(|h| header(h, "x-request-id"));
            let timing = headers
                .as_ref()
                .and_then(|h| header(h, "server-timing"))
                .map(|v| parse_server_timing(&v))
                .unwrap_or_default();
            let detail = Object::new();
            let _ = Reflect::set(
                &detail,
                &"backend_ms".into(),
                &backend_ms.map(JsValue::from).unwrap_or(JsValue::NULL),
            );
            let _ = Reflect::set(
                &detail,
                &"request_id".into(),
                &request_id
                    .clone()
                    .map(JsValue::from)
                    .unwrap_or(JsValue::NULL),
            );
            let _ = Reflect::set(&detail, &"url".into(), &self.url.clone().into());
            let entries = Array::new();
            for (name, dur) in &timing {
                let e = Object::new();
                let _ = Reflect::set(&e, &"name".into(), &name.into());
                let _ = Reflect::set(&e, &"duration".into(), &(*dur).into());
                entries.push(&e);
            }
            let _ = Reflect::set(&detail, &"server_timing".into(), &entries);
            // The wrapper's own cost: `start`, and `finish` up to here.
            let own_ms = self.own_ms + (now() - t1);
            let _ = Reflect::set(&detail, &"wrapper_ms".into(), &own_ms.into());
            let total = measure(
                &self.name,
                &self.start,
                &end,
                &detail,
                backend_ms,
                request_id,
            );
            if is_enabled() {
                web_sys::console::time_end_with_label(&self.name);
                let backend = backend_ms
                    .map(|b| format!("{b:.2}ms"))
                    .unwrap_or_else(|| "n/a".into());
                web_sys::console::log_1(
                    &format!(
                        "[PERF] {} - Backend: {}, Network+Frontend: {:.2}ms",
                        self.name, backend, total
                    )
                    .into(),
                );
            }
        }
    }

    /// All measures in the buffer, oldest first.
    pub fn measures() -> Vec<MeasureRecord> {
        MEASURES.with(|ms| ms.borrow().iter().cloned().collect())
    }

    #[derive(Serialize)]
    struct Stat {
        name: String,
        count: usize,
        p50: f64,
        p95: f64,
        p99: f64,
        max: f64,
    }

    /// The buffer's measures grouped by name, names in order.
    pub fn measures_by_name() -> Vec<(String, Vec<MeasureRecord>)> {
        let mut all = measures();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all.chunk_by(|a, b| a.name == b.name)
            .map(|group| (group[0].name.clone(), group.to_vec()))
            .collect()
    }

    fn stats() -> Vec<Stat> {
        measures_by_name()
            .into_iter()
            .map(|(name, group)| {
                let d: Vec<f64> = group.iter().map(|m| m.duration).collect();
                let s = summarize(&d);
                Stat {
                    name,
                    count: s.count,
                    p50: s.p50,
                    p95: s.p95,
                    p99: s.p99,
                    max: s.max,
                }
            })
            .collect()
    }

    /// What `exportJson()` returns.
    #[derive(Serialize)]
    struct Export {
        measures: Vec<MeasureRecord>,
        summary: Vec<Stat>,
        enabled: bool,
    }

    fn to_js<T: Serialize>(value: &T) -> JsValue {
        serde_json::to_string(value)
            .ok()
            .and_then(|s| js_sys::JSON::parse(&s).ok())
            .unwrap_or(JsValue::NULL)
    }

    fn set_fn(obj: &Object, name: &str, f: JsValue) {
        let _ = Reflect::set(obj, &name.into(), &f);
    }

    /// Defines `window.BabblrPerf`: enable, disable, isEnabled, getMeasures,
    /// logEvent, clear, report and exportJson.
    pub fn install() {
        let Some(window) = web_sys::window() else {
            return;
        };
        let api = Object::new();
        set_fn(
            &api,
            "enable",
            Closure::<dyn Fn()>::new(|| set_enabled(true)).into_js_value(),
        );
        set_fn(
            &api,
            "disable",
            Closure::<dyn Fn()>::new(|| set_enabled(false)).into_js_value(),
        );
        set_fn(
            &api,
            "isEnabled",
            Closure::<dyn Fn() -> bool>::new(is_enabled).into_js_value(),
        );
        set_fn(
            &api,
            "getMeasures",
            Closure::<dyn Fn() -> JsValue>::new(|| to_js(&measures())).into_js_value(),
        );
        set_fn(
            &api,
            "logEvent",
            Closure::<dyn Fn(String, JsValue)>::new(|name: String, detail: JsValue| {
                let m = mark(&unique(&name, "event"));
                let detail = if detail.is_undefined() {
                    JsValue::NULL
                } else {
                    detail
                };
                let _ = measure(&name, &m, &m, &detail, None, None);
                if is_enabled() {
                    web_sys::console::log_2(&format!("[PERF] event {name}").into(), &detail);
                }
            })
            .into_js_value(),
        );
        set_fn(
            &api,
            "clear",
            Closure::<dyn Fn()>::new(|| {
                MEASURES.with(|ms| ms.borrow_mut().clear());
                if let Some(p) = performance() {
                    p.clear_marks();
                    p.clear_measures();
                }
            })
            .into_js_value(),
        );
        set_fn(
            &api,
            "report",
            Closure::<dyn Fn() -> JsValue>::new(|| {
                let table = to_js(&stats());
                let console = js_sys::global()
                    .dyn_into::<Object>()
                    .ok()
                    .and_then(|g| Reflect::get(&g, &"console".into()).ok());
                if let Some(console) = console {
                    if let Ok(f) = Reflect::get(&console, &"table".into())
                        .and_then(|f| f.dyn_into::<Function>())
                    {
                        let _ = f.call1(&console, &table);
                    }
                }
                table
            })
            .into_js_value(),
        );
        set_fn(
            &api,
            "exportJson",
            Closure::<dyn Fn() -> String>::new(|| {
                serde_json::to_string(&Export {
                    measures: measures(),
                    summary: stats(),
                    enabled: is_enabled(),
                })
                .unwrap_or_default()
            })
            .into_js_value(),
        );
        let _ = Reflect::set(&window, &"BabblrPerf".into(), &api);
    }
}

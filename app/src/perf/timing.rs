//! The timing itself, in the browser: User Timing marks and measures, the
//! bounded buffer `window.BabblrPerf` reads, the on/off switch in
//! localStorage, and the timers of API calls and UI steps.
use super::{parse_response_time, parse_server_timing};
use gloo_storage::{LocalStorage, Storage};
use js_sys::{Array, Function, Object, Reflect};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// localStorage key of the on/off switch (the name the Python app's BabblrPerf used).
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
    pub(super) static MEASURES: RefCell<VecDeque<MeasureRecord>> = const { RefCell::new(VecDeque::new()) };
    static SEQ: Cell<u64> = const { Cell::new(0) };
}

pub(super) fn performance() -> Option<web_sys::Performance> {
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

pub(super) fn unique(name: &str, suffix: &str) -> String {
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

/// A measure from a moment known only by its time (`performance.now()`
/// units, such as the end of the learner's speech, which the server finds)
/// to now; returns its duration in milliseconds.
pub fn measure_since(name: &str, start_time: f64) -> f64 {
    let start = unique(name, "start");
    if let Some(p) = performance() {
        let opts = Object::new();
        let _ = Reflect::set(&opts, &"startTime".into(), &start_time.into());
        if let Some(f) = Reflect::get(&p, &"mark".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            let _ = f.call2(&p, &start.as_str().into(), &opts);
        }
    }
    let end = mark(&unique(name, "end"));
    let d = measure(name, &start, &end, &JsValue::NULL, None, None);
    if is_enabled() {
        web_sys::console::log_1(&format!("[PERF] {name} - {d:.2}ms").into());
    }
    d
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

/// The buffer's measures grouped by name, names in order.
pub fn measures_by_name() -> Vec<(String, Vec<MeasureRecord>)> {
    let mut all = measures();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all.chunk_by(|a, b| a.name == b.name)
        .map(|group| (group[0].name.clone(), group.to_vec()))
        .collect()
}

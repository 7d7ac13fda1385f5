//! `window.BabblrPerf`, the console's view of the browser measures:
//! enable, disable, isEnabled, getMeasures, logEvent, clear, report and
//! exportJson.
use super::timing::*;
use babblr::stats::summarize;
use js_sys::{Function, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[derive(Serialize)]
struct Stat {
    name: String,
    count: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
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
                if let Ok(f) =
                    Reflect::get(&console, &"table".into()).and_then(|f| f.dyn_into::<Function>())
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

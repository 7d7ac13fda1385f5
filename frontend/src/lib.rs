#![recursion_limit = "256"]
//! The browser entry point: hydrates the server-rendered page and installs
//! `window.BabblrPerf`.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the hydration script that the server's HTML loads.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::perf::install();
    let timer = app::perf::UiTimer::start("ui.hydrate");
    leptos::mount::hydrate_body(app::App);
    timer.finish();
    // Lets tests (and curious developers) see that the page is interactive.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

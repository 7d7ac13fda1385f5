//! /perf: where the time goes. A waterfall of the server's last requests
//! (each span a bar on one shared time axis, coloured by kind), per-span and
//! per-route percentiles against the seed's targets, and the browser's
//! own measures beside the server's, so "total − backend" is visible.

use crate::api::{get_perf_summary, perf_requests};
use crate::pages::ErrorNote;
use babblr::api::{NamedSummary, RequestRecord};
use babblr::stats::kind;
use leptos::prelude::*;

/// How many requests the waterfall shows.
const ROWS: usize = 40;

#[component]
pub fn PerfPage() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let live = RwSignal::new(true);
    let records = Resource::new(move || tick.get(), |_| perf_requests(Some(ROWS)));
    let summary = Resource::new(move || tick.get(), |_| get_perf_summary());
    let selected = RwSignal::new(None::<RequestRecord>);

    // Live refresh every two seconds while the box is ticked (browser only).
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if live.get_untracked() {
                    tick.update(|t| *t += 1)
                }
            },
            std::time::Duration::from_secs(2),
        ) {
            on_cleanup(move || handle.clear());
        }
    });

    view! {
        <section class="card perf">
            <div class="perf-head">
                <h1>"Where the time goes"</h1>
                <label class="live"><input type="checkbox" prop:checked=move || live.get()
                    on:change=move |ev| live.set(event_target_checked(&ev)) />" Live"</label>
                <button type="button" on:click=move |_| tick.update(|t| *t += 1)>"Refresh"</button>
            </div>
            <p class="muted">"The server's last requests, newest first, on one time axis. Click a row for its spans and request id."</p>
            <p class="legend">
                <span class="key llm">"LLM"</span><span class="key speech">"speech"</span>
                <span class="key database">"database"</span><span class="key other">"other"</span>
                <span class="key request">"whole request"</span>
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || records.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No requests recorded yet."</p> }.into_any(),
                    Ok(list) => view! { <Waterfall records=list selected=selected /> }.into_any(),
                })}
            </Transition>
            {move || selected.get().map(|r| view! { <Details record=r /> })}
        </section>

        <section class="card perf">
            <h2>"Percentiles"</h2>
            <p class="muted">"Milliseconds, from the same record. Lines mark the original's targets: green below is good, orange the edge of acceptable; past it, investigate."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || summary.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(s) => view! {
                        <h3 id="percentiles-per-span">"Per span"</h3>
                        <div class="table-scroll" role="region" aria-labelledby="percentiles-per-span" tabindex="0">
                            <StatsTable rows=s.spans />
                        </div>
                        <h3 id="percentiles-per-route">"Per route"</h3>
                        <div class="table-scroll" role="region" aria-labelledby="percentiles-per-route" tabindex="0">
                            <StatsTable rows=s.routes />
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </section>

        <section class="card perf">
            <h2>"In this browser"</h2>
            <p class="muted">"Measures from BabblrPerf: what the browser waited, what the server says it spent, and the difference (network and frontend)."</p>
            <BrowserMeasures tick=tick />
        </section>

        <section class="card perf">
            <h2>"Voice turns"</h2>
            <p class="muted">"Hands-free turns in this browser, from the end of the learner's speech: the whole transcript, the reply's first token, the tutor's first sound."</p>
            <VoiceTurns tick=tick />
        </section>
    }
}

/// The requests as rows of bars on one time axis (an SVG per row).
#[component]
fn Waterfall(
    records: Vec<RequestRecord>,
    selected: RwSignal<Option<RequestRecord>>,
) -> impl IntoView {
    let t0 = records
        .iter()
        .map(|r| r.started_at_ms)
        .fold(f64::INFINITY, f64::min);
    let t1 = records
        .iter()
        .map(|r| r.started_at_ms + r.total_ms)
        .fold(0.0, f64::max);
    let span = (t1 - t0).max(1.0);
    let x = move |t: f64| (t - t0) / span * 1000.0;
    let w = move |d: f64| (d / span * 1000.0).max(1.5);
    view! {
        <p class="axis muted">{format!("Axis: {:.0} ms from the oldest request shown to the end of the newest.", span)}</p>
        <ol class="waterfall">
            {records.into_iter().rev().map(|r| {
                let lanes = r.spans.len().min(12);
                let height = 10 + lanes * 7;
                let label = format!("{} {} · {} · {:.2} ms", r.method, r.path, r.status, r.total_ms);
                let bars = r.spans.iter().take(12).enumerate().map(|(i, s)| view! {
                    <rect class=format!("bar {}", kind(&s.name)) data-span=s.name.clone()
                        x=format!("{:.2}", x(r.started_at_ms + s.start_ms)) y=(10 + i * 7).to_string()
                        width=format!("{:.2}", w(s.duration_ms)) height="5">
                        <title>{format!("{} {:.2} ms{}", s.name, s.duration_ms, s.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())}</title>
                    </rect>
                }).collect_view();
                let record = r.clone();
                let verdict = babblr::stats::verdict(&r.route, r.total_ms).label();
                view! {
                    <li class="request-row" tabindex="0" title=r.request_id.clone()
                        on:click=move |_| selected.set(Some(record.clone()))>
                        <span class=format!("label {verdict}")>{label}</span>
                        <svg class="lanes" viewBox=format!("0 0 1000 {height}") preserveAspectRatio="none"
                            role="img" aria-label=format!("spans of {} {}", r.method, r.path)>
                            <rect class="bar request" x=format!("{:.2}", x(r.started_at_ms)) y="1"
                                width=format!("{:.2}", w(r.total_ms)) height="6">
                                <title>{format!("whole request {:.2} ms (headers at {:.2} ms)", r.total_ms, r.headers_ms)}</title>
                            </rect>
                            {bars}
                        </svg>
                        <span class="span-names visually-hidden">
                            {r.spans.iter().map(|s| s.name.clone()).collect::<Vec<_>>().join(", ")}
                        </span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// One request in full.
#[component]
fn Details(record: RequestRecord) -> impl IntoView {
    view! {
        <div class="details" aria-live="polite">
            <h3>{format!("{} {}", record.method, record.path)}</h3>
            <p>
                "Request id " <code>{record.request_id.clone()}</code>
                {format!(" · status {} · route {} · headers after {:.2} ms · done after {:.2} ms",
                    record.status, record.route, record.headers_ms, record.total_ms)}
            </p>
            <div class="table-scroll" role="region" aria-label="Spans of this request" tabindex="0">
            <table class="requests">
                <thead><tr><th>"Span"</th><th>"Kind"</th><th>"Starts at"</th><th>"Duration"</th></tr></thead>
                <tbody>
                    {record.spans.iter().map(|s| view! {
                        <tr>
                            <td>{s.name.clone()}</td>
                            <td>{kind(&s.name)}</td>
                            <td>{format!("{:.2} ms", s.start_ms)}</td>
                            <td>{format!("{:.2} ms", s.duration_ms)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </div>
    }
}

/// Count, p50, p95, p99 and max per name, each with a small chart.
#[component]
fn StatsTable(rows: Vec<NamedSummary>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"Nothing yet."</p> }.into_any();
    }
    view! {
        <table class="stats">
            <thead><tr><th>"Name"</th><th>"Count"</th><th>"p50"</th><th>"p95"</th><th>"p99"</th><th>"Max"</th><th>"p95 verdict"</th><th>"Chart"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let s = r.summary;
                    let (good, acceptable) = r.thresholds;
                    let scale = s.max.max(acceptable) * 1.1;
                    let px = move |v: f64| format!("{:.1}", v / scale * 200.0);
                    view! {
                        <tr class="stat-row" data-name=r.name.clone()>
                            <td><span class=format!("dot {}", r.kind)></span>{r.name.clone()}</td>
                            <td>{s.count}</td>
                            <td>{format!("{:.2}", s.p50)}</td>
                            <td>{format!("{:.2}", s.p95)}</td>
                            <td>{format!("{:.2}", s.p99)}</td>
                            <td>{format!("{:.2}", s.max)}</td>
                            <td><span class=format!("verdict {}", r.verdict.label())>{r.verdict.label()}</span></td>
                            <td>
                                <svg class="mini" viewBox="0 0 200 18" role="img"
                                    aria-label=format!("p50 {:.0}, p95 {:.0}, p99 {:.0} ms", s.p50, s.p95, s.p99)>
                                    <rect class="p99" x="0" y="3" width=px(s.p99) height="12" />
                                    <rect class="p95" x="0" y="3" width=px(s.p95) height="12" />
                                    <rect class="p50" x="0" y="3" width=px(s.p50) height="12" />
                                    <line class="good" x1=px(good) x2=px(good) y1="0" y2="18" />
                                    <line class="acceptable" x1=px(acceptable) x2=px(acceptable) y1="0" y2="18" />
                                </svg>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// One row of the browser's own measures.
#[derive(Clone, Debug, PartialEq)]
struct BrowserRow {
    name: String,
    count: usize,
    total_p50: f64,
    backend_p50: Option<f64>,
}

/// BabblrPerf's API measures, summarised (filled in the browser only).
#[component]
fn BrowserMeasures(tick: RwSignal<u32>) -> impl IntoView {
    let rows = RwSignal::new(Vec::<BrowserRow>::new());
    Effect::new(move |_| {
        tick.track();
        #[cfg(feature = "hydrate")]
        {
            rows.set(
                crate::perf::measures_by_name()
                    .into_iter()
                    .filter(|(name, _)| name.starts_with("api."))
                    .map(|(name, group)| {
                        let total: Vec<f64> = group.iter().map(|m| m.duration).collect();
                        let backend: Vec<f64> = group.iter().filter_map(|m| m.backend_ms).collect();
                        BrowserRow {
                            name,
                            count: total.len(),
                            total_p50: babblr::stats::summarize(&total).p50,
                            backend_p50: (!backend.is_empty())
                                .then(|| babblr::stats::summarize(&backend).p50),
                        }
                    })
                    .collect(),
            );
        }
    });
    view! {
        <div class="table-scroll" role="region" aria-label="Measures in this browser" tabindex="0">
        <table class="stats browser">
            <thead><tr><th>"Call"</th><th>"Count"</th><th>"Total p50"</th><th>"Backend p50"</th><th>"Total − backend"</th></tr></thead>
            <tbody>
                {move || rows.get().into_iter().map(|r| view! {
                    <tr class="browser-row" data-name=r.name.clone()>
                        <td>{r.name.clone()}</td>
                        <td>{r.count}</td>
                        <td>{format!("{:.2}", r.total_p50)}</td>
                        <td>{r.backend_p50.map(|b| format!("{b:.2}")).unwrap_or_else(|| "–".into())}</td>
                        <td>{r.backend_p50.map(|b| format!("{:.2}", r.total_p50 - b)).unwrap_or_else(|| "–".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

/// One hands-free turn: its measures, all starting at the end of speech.
#[derive(Clone, Debug, PartialEq)]
struct VoiceTurn {
    /// (step, milliseconds after the end of speech).
    steps: Vec<(&'static str, f64)>,
}

/// The steps of a voice turn, in the order they happen.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const VOICE_STEPS: [(&str, &str); 3] = [
    ("ui.voice.end_of_speech_to_transcript", "transcript"),
    ("ui.voice.end_of_speech_to_first_token", "first token"),
    ("ui.voice.end_of_speech_to_first_audio", "first sound"),
];

/// The last voice turns as waterfalls from the end of speech to the first
/// sound (filled in the browser only).
#[component]
fn VoiceTurns(tick: RwSignal<u32>) -> impl IntoView {
    let turns = RwSignal::new(Vec::<VoiceTurn>::new());
    Effect::new(move |_| {
        tick.track();
        #[cfg(feature = "hydrate")]
        {
            // A turn's measures share their start: the end of speech.
            let mut by_start: Vec<(f64, VoiceTurn)> = Vec::new();
            for m in crate::perf::measures() {
                let Some((_, label)) = VOICE_STEPS.iter().find(|(n, _)| *n == m.name) else {
                    continue;
                };
                match by_start
                    .iter_mut()
                    .find(|(t, _)| (t - m.start_time).abs() < 0.5)
                {
                    Some((_, turn)) => turn.steps.push((label, m.duration)),
                    None => by_start.push((
                        m.start_time,
                        VoiceTurn {
                            steps: vec![(label, m.duration)],
                        },
                    )),
                }
            }
            turns.set(by_start.into_iter().rev().take(5).map(|(_, t)| t).collect());
        }
    });
    view! {
        {move || {
            let list = turns.get();
            if list.is_empty() {
                return view! { <p class="muted">"No hands-free turns in this browser yet."</p> }.into_any();
            }
            view! {
                <ol class="waterfall voice-turns">
                    {list.into_iter().map(|turn| {
                        let end = turn.steps.iter().map(|(_, d)| *d).fold(1.0, f64::max);
                        let label = turn.steps.iter().map(|(n, d)| format!("{n} {d:.0} ms")).collect::<Vec<_>>().join(" · ");
                        let height = 4 + turn.steps.len() * 8;
                        let bars = turn.steps.iter().enumerate().map(|(i, (n, d))| view! {
                            <rect class="bar speech" data-step=*n x="0" y=(2 + i * 8).to_string()
                                width=format!("{:.2}", d / end * 1000.0) height="6">
                                <title>{format!("end of speech → {n}: {d:.0} ms")}</title>
                            </rect>
                        }).collect_view();
                        view! {
                            <li class="request-row voice-turn">
                                <span class="label">{label}</span>
                                <svg class="lanes" viewBox=format!("0 0 1000 {height}") preserveAspectRatio="none"
                                    role="img" aria-label="voice turn from the end of speech">{bars}</svg>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
    }
}

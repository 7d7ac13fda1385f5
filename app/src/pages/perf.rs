//! /perf: the server's record of recent requests, each with its spans drawn
//! on the request's own time axis.

use crate::api::perf_requests;
use crate::pages::ErrorNote;
use leptos::prelude::*;

#[component]
pub fn PerfPage() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let records = Resource::new(move || tick.get(), |_| perf_requests(Some(50)));
    view! {
        <section class="card perf">
            <h1>"Recent requests"</h1>
            <p class="muted">"Newest first. Each bar is a span inside the request, on the request's own time axis."</p>
            <button type="button" on:click=move |_| tick.update(|t| *t += 1)>"Refresh"</button>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || records.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(list) => view! {
                        <table class="requests">
                            <thead><tr><th>"Request"</th><th>"Status"</th><th>"Time"</th><th>"Spans"</th></tr></thead>
                            <tbody>
                                {list.into_iter().rev().map(|r| {
                                    let total = r.total_ms.max(0.01);
                                    view! {
                                        <tr class="request-row" title=r.request_id.clone()>
                                            <td>{r.method.clone()}" "{r.path.clone()}</td>
                                            <td>{r.status}</td>
                                            <td>{format!("{:.2} ms", r.total_ms)}</td>
                                            <td class="spans">
                                                {r.spans.iter().map(|s| view! {
                                                    <div class="span-bar" title=format!("{} {:.2} ms", s.name, s.duration_ms)
                                                        style=format!("margin-left:{:.1}%;width:{:.1}%", s.start_ms / total * 100.0, (s.duration_ms / total * 100.0).max(0.5))>
                                                        <span>{s.name.clone()}</span>
                                                    </div>
                                                }).collect_view()}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

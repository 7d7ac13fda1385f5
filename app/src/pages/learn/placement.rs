//! The placement test: 25 questions from A1 to C1; the score per level sets
//! the learner's level for the language, which the home page then picks.

use super::{query_language, LanguagePicker};
use crate::api::learn::{attempt_assessment, get_assessment};
use crate::pages::ErrorNote;
use babblr::api::Assessment;
use leptos::prelude::*;
use std::collections::BTreeMap;

#[component]
pub fn PlacementPage() -> impl IntoView {
    let language = query_language();
    let test = Resource::new(
        move || language.get(),
        |l| get_assessment(format!("placement-{}", l.id())),
    );
    view! {
        <section class="card placement">
            <p class="crumbs"><a href=move || format!("/learn?language={}", language.get().id())>"Learn"</a>" · placement"</p>
            <h1>"Placement test"</h1>
            <p class="lead">"Answer every question; don't guess wildly. Your score at each level sets your level."</p>
            <LanguagePicker language path="/placement" />
            <Suspense fallback=|| view! { <p class="muted">"Loading the test…"</p> }>
                {move || test.get().map(|r| match r {
                    Ok(t) => view! { <Test test=t /> }.into_any(),
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Test(test: Assessment) -> impl IntoView {
    let language = test.language;
    let answers = RwSignal::new(BTreeMap::<String, String>::new());
    let total = test.questions.len();
    let id = StoredValue::new(test.id.clone());
    let submit = Action::new(move |a: &BTreeMap<String, String>| {
        let value = serde_json::to_value(a).unwrap_or_default();
        async move { attempt_assessment(id.get_value(), value).await }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submit.dispatch(answers.get_untracked());
    };
    view! {
        {move || match submit.value().get() {
            Some(Ok(result)) => view! {
                <div class="placement-result" role="status">
                    <p class="placed">"Your level: "<strong class="level-badge">{result.level.id()}</strong></p>
                    <p>{format!("{} of {} right", result.score, result.total)}</p>
                    <ul class="level-scores">
                        {result.by_level.iter().map(|s| view! {
                            <li>
                                <span class="level">{s.level.id()}</span>
                                <svg class="mini" viewBox="0 0 100 10" role="img" aria-label=format!("{} of {} right", s.correct, s.total)>
                                    <rect class="track" x="0" y="1" width="100" height="8" />
                                    <rect class="fill" x="0" y="1" width=format!("{:.0}", 100.0 * s.correct as f64 / s.total.max(1) as f64) height="8" />
                                </svg>
                                <span class="muted">{format!("{}/{}", s.correct, s.total)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    <p><a class="button primary" href=format!("/?language={}", language.id())>{format!("Talk with the tutor at {}", result.level.id())}</a>" "
                       <a href=format!("/progress?language={}", language.id())>"Progress"</a></p>
                </div>
            }.into_any(),
            other => view! {
                <form class="placement-form" on:submit=on_submit>
                    <ol class="questions">
                        {test.questions.iter().map(|q| {
                            let qid = q.id.clone();
                            view! {
                                <li class="question" data-id=q.id.clone() data-level=q.level.id()>
                                    <fieldset>
                                        <legend>
                                            {q.passage.clone().map(|p| view! { <p class="passage" lang=language.iso()>{p}</p> })}
                                            <span lang=language.iso()>{q.prompt.clone()}</span>
                                        </legend>
                                        {q.choices.iter().cloned().map(|c| {
                                            let (qid, value) = (qid.clone(), c.clone());
                                            view! {
                                                <label class="option">
                                                    <input type="radio" name=q.id.clone() value=c.clone()
                                                        on:change=move |_| answers.update(|a| { a.insert(qid.clone(), value.clone()); }) />
                                                    <span lang=language.iso()>{c}</span>
                                                </label>
                                            }
                                        }).collect_view()}
                                    </fieldset>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                    <p class="muted">{move || format!("{} of {total} answered", answers.with(BTreeMap::len))}</p>
                    <button type="submit" class="primary" disabled=move || submit.pending().get()>"See my level"</button>
                    {other.and_then(Result::err).map(|e| view! { <ErrorNote error=e /> })}
                </form>
            }.into_any(),
        }}
    }
}

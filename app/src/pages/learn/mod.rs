//! Learning beyond chat: the hub (`/learn`), vocabulary and grammar lessons,
//! the review deck, the placement test and progress. Every page names its
//! language in the query (`?language=spanish`), so a link or a reload keeps it.
//!
//! - [`vocab`]: a vocabulary lesson (cards, then a quiz).
//! - [`grammar`]: a grammar lesson (read, then exercises graded on the server).
//! - [`review`]: the due cards, rated Again/Hard/Good/Easy.
//! - [`placement`]: the placement test.
//! - [`progress`]: the progress page and its charts.

pub mod grammar;
pub mod placement;
pub mod progress;
pub mod review;
pub mod vocab;

use crate::api::learn::{get_due_cards, grammar_lessons, vocabulary_lessons};
use crate::pages::ErrorNote;
use babblr::api::LessonSummary;
use babblr::domain::Language;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

/// The page's language from `?language=` (Spanish when missing or unknown).
pub fn query_language() -> Memo<Language> {
    let query = use_query_map();
    Memo::new(move |_| {
        query
            .read()
            .get("language")
            .and_then(|l| Language::parse(&l))
            .unwrap_or(Language::Spanish)
    })
}

/// A language menu that moves the page to `?language=…`.
#[component]
pub fn LanguagePicker(language: Memo<Language>, path: &'static str) -> impl IntoView {
    let navigate = use_navigate();
    view! {
        <label class="language-picker">
            "Language "
            <select name="language" prop:value=move || language.get().id().to_string()
                on:change=move |ev| navigate(&format!("{path}?language={}", event_target_value(&ev)), Default::default())>
                {Language::ALL.into_iter().map(|l| view! {
                    <option value=l.id()>{format!("{} · {}", l.english_name(), l.native_name())}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// "12 cards due" for a count.
pub fn due_label(n: i64) -> String {
    match n {
        0 => "No cards due".into(),
        1 => "1 card due".into(),
        n => format!("{n} cards due"),
    }
}

/// The hub: what is due, the lessons, the placement test, progress.
#[component]
pub fn LearnPage() -> impl IntoView {
    let language = query_language();
    let vocab = Resource::new(
        move || language.get(),
        |l| vocabulary_lessons(l.id().into()),
    );
    let grammar = Resource::new(move || language.get(), |l| grammar_lessons(l.id().into()));
    let due = Resource::new(
        move || language.get(),
        |l| get_due_cards(l.id().into(), Some(1)),
    );
    let q = move || format!("?language={}", language.get().id());
    view! {
        <section class="card learn-hub">
            <h1>"Learn"</h1>
            <LanguagePicker language path="/learn" />
            <div class="learn-links">
                <a class="tile" href=move || format!("/review{}", q())>
                    <strong>"Review"</strong>
                    <Suspense fallback=|| view! { <span class="muted">"…"</span> }>
                        {move || due.get().map(|r| match r {
                            Ok(d) => view! { <span class="due-count">{due_label(d.due_count)}</span> }.into_any(),
                            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                        })}
                    </Suspense>
                </a>
                <a class="tile" href=move || format!("/placement{}", q())>
                    <strong>"Placement test"</strong>
                    <span class="muted">"25 questions, A1–C1"</span>
                </a>
                <a class="tile" href=move || format!("/progress{}", q())>
                    <strong>"Progress"</strong>
                    <span class="muted">"Streak, cards, mistakes"</span>
                </a>
            </div>
        </section>
        <section class="card">
            <h2>"Vocabulary"</h2>
            <LessonList lessons=vocab kind="vocabulary" />
        </section>
        <section class="card">
            <h2>"Grammar"</h2>
            <LessonList lessons=grammar kind="grammar" />
        </section>
    }
}

/// Lessons with their level and whether they were finished.
#[component]
fn LessonList(
    lessons: Resource<Result<Vec<LessonSummary>, babblr::api::ApiError>>,
    kind: &'static str,
) -> impl IntoView {
    let unit = if kind == "vocabulary" {
        "words"
    } else {
        "exercises"
    };
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || lessons.get().map(|r| match r {
                Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                Ok(list) => view! {
                    <ul class="lesson-list">
                        {list.into_iter().map(|l| view! {
                            <li class="lesson-item" data-id=l.id.clone()>
                                <a href=format!("/learn/{kind}/{}", l.id)>
                                    <span class="level">{l.level.id()}</span>
                                    <span class="title">{l.title}</span>
                                    <span class="muted">{format!("{} {unit}", l.size)}</span>
                                    {l.completed_at.map(|_| view! { <span class="done">"✓ done"</span> })}
                                </a>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
    }
}

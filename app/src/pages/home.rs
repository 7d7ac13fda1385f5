//! The home page: start a conversation (language, level, topic) and see,
//! reopen or delete past ones.

use crate::api::learn::{due_counts, user_levels};
use crate::api::{create_conversation, delete_conversation, list_conversations, list_topics};
use crate::pages::learn::due_label;
use crate::pages::{short_time, ErrorNote};
use babblr::domain::{CefrLevel, Language};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

#[component]
pub fn HomePage() -> impl IntoView {
    // `?language=` (a placement result links here) picks the language; the
    // learner's level in it (placement or set by hand) picks the level.
    let query = use_query_map();
    let first = query
        .read_untracked()
        .get("language")
        .and_then(|l| Language::parse(&l))
        .unwrap_or(Language::Spanish);
    let language = RwSignal::new(first.id().to_string());
    let level = RwSignal::new(CefrLevel::A1.id().to_string());
    let levels = Resource::new(|| (), |_| user_levels());
    let dues = Resource::new(|| (), |_| due_counts());
    Effect::new(move |_| {
        let chosen = language.get();
        let known = levels.get().and_then(Result::ok).and_then(|ls| {
            ls.into_iter()
                .find(|l| l.language.id() == chosen)
                .and_then(|l| l.level)
        });
        if let Some(l) = known {
            level.set(l.id().to_string());
        }
    });
    let topic_id = RwSignal::new("greetings".to_string());

    let topics = Resource::new(move || language.get(), |l| list_topics(Some(l)));
    let deleted = RwSignal::new(0u32);
    let conversations = Resource::new(move || deleted.get(), |_| list_conversations());

    let navigate = use_navigate();
    let create = Action::new(move |(l, d, t): &(String, String, String)| {
        let (l, d, t) = (l.clone(), d.clone(), t.clone());
        async move { create_conversation(l, d, t).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(c)) = create.value().get() {
            navigate(&format!("/c/{}", c.id), Default::default());
        }
    });
    let delete = Action::new(move |id: &i64| {
        let id = *id;
        async move {
            let r = delete_conversation(id).await;
            deleted.update(|n| *n += 1);
            r
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch((
            language.get_untracked(),
            level.get_untracked(),
            topic_id.get_untracked(),
        ));
    };

    view! {
        <section class="card start">
            <h1>"Practise a language by talking"</h1>
            <p class="lead">"Pick a language, your level and a topic. Your tutor opens the conversation, corrects what you write and answers in the language you are learning."</p>
            <form class="start-form" on:submit=on_submit>
                <label>
                    "Language"
                    <select name="language" prop:value=move || language.get()
                        on:change=move |ev| language.set(event_target_value(&ev))>
                        {Language::ALL.into_iter().map(|l| view! {
                            <option value=l.id()>{format!("{} · {}", l.english_name(), l.native_name())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "Level"
                    <select name="difficulty_level" prop:value=move || level.get()
                        on:change=move |ev| level.set(event_target_value(&ev))>
                        {CefrLevel::ALL.into_iter().map(|l| view! { <option value=l.id()>{l.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    "Topic"
                    <select name="topic_id" aria-describedby="topic-description" prop:value=move || topic_id.get()
                        on:change=move |ev| topic_id.set(event_target_value(&ev))>
                        <Suspense fallback=|| view! { <option value="greetings">"Greetings"</option> }>
                            {move || topics.get().map(|r| match r {
                                Ok(ts) => ts.into_iter().map(|t| view! {
                                    <option value=t.id.clone() selected=t.id == topic_id.get_untracked()>
                                        {format!("{} ({})", t.name, t.level_hint)}
                                    </option>
                                }).collect_view().into_any(),
                                Err(_) => view! { <option value="greetings">"Greetings"</option> }.into_any(),
                            })}
                        </Suspense>
                    </select>
                </label>
                <p class="topic-description" id="topic-description">
                    <Suspense fallback=|| ()>
                        {move || topics.get().and_then(Result::ok).and_then(|ts| {
                            let id = topic_id.get();
                            ts.into_iter().find(|t| t.id == id).map(|t| t.description)
                        })}
                    </Suspense>
                </p>
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Starting…" } else { "Start conversation" }}
                </button>
                {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e /> })}
            </form>
        </section>

        <Suspense fallback=|| ()>
            {move || dues.get().and_then(Result::ok).filter(|d| !d.is_empty()).map(|d| view! {
                <section class="card due-banner">
                    <h2>"Review"</h2>
                    <ul class="due-list">
                        {d.into_iter().map(|c| view! {
                            <li><a href=format!("/review?language={}", c.language.id())>
                                <strong>{due_label(c.due)}</strong>" · "{c.language.english_name()}
                            </a></li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
        </Suspense>

        <section class="card">
            <h2>"Your conversations"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || conversations.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted empty">"No conversations yet. Start one above."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="conversation-list">
                            {list.into_iter().map(|c| {
                                let id = c.id;
                                let label = format!("Delete conversation {id}");
                                view! {
                                    <li class="conversation-item" data-id=id>
                                        <a href=format!("/c/{id}") class="open">
                                            <span class="lang">{c.language.english_name()}</span>
                                            <span class="level">{c.difficulty_level.id()}</span>
                                            <span class="topic">{c.topic_name}</span>
                                            <span class="when muted">{short_time(c.updated_at)}" · "{c.message_count}" messages"</span>
                                        </a>
                                        <button type="button" class="delete" aria-label=label
                                            on:click=move |_| {
                                                let ok = window().confirm_with_message("Delete this conversation and all its messages?").unwrap_or(false);
                                                if ok { delete.dispatch(id); }
                                            }>
                                            "Delete"
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

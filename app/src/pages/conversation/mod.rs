//! A conversation: the tutor's messages, the learner's with their
//! corrections, and the box to write the next one.
//!
//! The conversation and its messages are loaded by a [`Resource`] inside
//! `<Suspense>`, so the server renders them: the page is readable before the
//! WASM arrives, and no API call stands between the learner and it.
//!
//! - [`chat`]: the state and the turn (send, stream, answer again).
//! - [`mic`]: the microphone.
//! - [`handsfree`]: talking without the keyboard: the message goes when the
//!   learner pauses, and the reply is spoken as it streams in.
//! - [`bubble`]: one message.

mod bubble;
mod chat;
mod handsfree;
mod mic;

use crate::api::get_conversation;
use crate::pages::ErrorNote;
use bubble::MessageBubble;
use chat::Chat;
use handsfree::{HandsFree, HandsFreeButton, HandsFreeStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use mic::{Mic, MicButton, MicStatus};

/// Starts a UI timing span in the browser; a no-op on the server.
fn ui_timer(name: &'static str) -> impl FnOnce() {
    #[cfg(feature = "hydrate")]
    {
        let t = crate::perf::UiTimer::start(name);
        move || {
            t.finish();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = name;
        || {}
    }
}

#[component]
pub fn ConversationPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let detail = Resource::new(id, get_conversation);
    let chat = Chat::new();
    view! {
        <Suspense fallback=|| view! { <section class="card conversation"><p class="muted">"Loading the conversation…"</p></section> }>
            {move || detail.get().map(|loaded| match loaded {
                Ok(d) => {
                    chat.load(d);
                    view! { <ChatView chat /> }.into_any()
                }
                Err(e) => view! {
                    <section class="card conversation"><ErrorNote error=e /><p><a href="/">"Back to your conversations"</a></p></section>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// The loaded conversation: title, messages, the reply streaming in, and
/// the message box with the microphone.
#[component]
fn ChatView(chat: Chat) -> impl IntoView {
    let mic = Mic::new();
    let hands_free = HandsFree::new();
    // In hands-free mode the reply is spoken sentence by sentence as it streams.
    Effect::new(move |_| hands_free.follow_reply(chat));
    on_cleanup(move || hands_free.leave());
    // An empty conversation asks for the tutor's opening (in the browser:
    // effects do not run on the server, which renders without waiting for it).
    Effect::new(move |_| {
        let empty = chat.messages.with(Vec::is_empty);
        if empty && chat.conversation.with(Option::is_some) && !chat.opening.get_untracked() {
            chat.request_opening();
        }
    });
    let title = move || {
        chat.conversation
            .get()
            .map(|c| {
                format!(
                    "{} · {} · {}",
                    c.language.english_name(),
                    c.difficulty_level,
                    c.topic_name
                )
            })
            .unwrap_or_else(|| "Conversation".into())
    };
    // What a screen reader hears: the tutor's finished reply, once and whole.
    let announcement = move || {
        if chat.sending.get() || chat.opening.get() {
            return String::new();
        }
        chat.messages.with(|ms| {
            ms.last()
                .filter(|m| m.role == babblr::api::Role::Assistant)
                .map(|m| m.content.clone())
                .unwrap_or_default()
        })
    };
    let waiting = move || {
        chat.opening.get()
            || (chat.sending.get() && chat.streaming.get().is_none_or(|s| s.is_empty()))
    };
    let can_answer_again = move || !chat.sending.get() && chat.unanswered().is_some();
    let send_draft = move || {
        mic.heard.set(None);
        chat.send(chat.draft.get_untracked());
    };

    view! {
        <section class="card conversation">
            <h1 class="conversation-title">{title}</h1>
            <ol class="messages" aria-label="Messages">
                <For each=move || chat.messages.get() key=|m| (m.id, m.corrections.is_some()) let:m>
                    <MessageBubble message=m chat />
                </For>
            </ol>
            {move || chat.streaming.get().filter(|s| !s.is_empty()).map(|s| view! {
                <div class="message assistant streaming" data-role="assistant-streaming" aria-busy="true">
                    <div class="bubble"><p class="text" dir="auto">{s}</p></div>
                </div>
            })}
            <p class="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-role="reply-announcer">{announcement}</p>
            <Show when=waiting>
                <p class="typing muted">"Tutor is typing…"</p>
            </Show>
            {move || chat.error.get().map(|e| view! {
                <div class="error-row"><ErrorNote error=e /></div>
            })}
            <Show when=can_answer_again>
                <div class="error-row" data-role="unanswered">
                    <span class="muted">"Your last message has no reply yet."</span>
                    <button type="button" class="retry" on:click=move |_| chat.answer_last()>"Get the reply"</button>
                </div>
            </Show>
            <MicStatus mic />
            <HandsFreeStatus hands_free />
            <form class="composer" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send_draft();
            }>
                <MicButton mic chat />
                <HandsFreeButton hands_free chat />
                <label for="message-input" class="visually-hidden">"Your message"</label>
                <textarea id="message-input" name="user_message" rows="2" maxlength="4000" dir="auto" enterkeyhint="send"
                    placeholder="Write your answer… (Enter sends, Shift+Enter for a new line)"
                    prop:value=move || chat.draft.get()
                    on:input=move |ev| chat.draft.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            send_draft();
                        }
                    }
                ></textarea>
                <button type="submit" class="primary" disabled=move || chat.sending.get() || chat.conversation.get().is_none()>"Send"</button>
            </form>
        </section>
    }
}

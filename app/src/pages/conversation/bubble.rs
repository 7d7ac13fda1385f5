//! One message: the text; for the learner, their corrections (the better
//! sentence can be heard); for the tutor, a translation toggle and a button
//! that reads it aloud.

use super::chat::Chat;
use crate::api::translate_message;
use babblr::api::{Message, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn MessageBubble(message: Message, chat: Chat) -> impl IntoView {
    let show_translation = RwSignal::new(false);
    let translating = RwSignal::new(false);
    let settings = crate::settings::use_settings();
    let is_user = message.role == Role::User;
    let id = message.id;
    let content = message.content.clone();
    let corrections = message.corrections.clone().unwrap_or_default();
    let corrected = message
        .corrected_text
        .clone()
        .filter(|c| *c != message.content);
    // Read from the list, so a translation fetched later shows without
    // rebuilding the bubble (which would drop the keyboard focus).
    let translation = move || {
        chat.messages.with(|ms| {
            ms.iter()
                .find(|m| m.id == id)
                .and_then(|m| m.translation.clone())
        })
    };

    let toggle_translation = move |_| {
        if show_translation.get_untracked() {
            show_translation.set(false);
            return;
        }
        if translation().is_some() {
            show_translation.set(true);
            return;
        }
        // "Translating…" only when the answer is slow to come: a label
        // changed at once makes the browser lay the page out again while the
        // call is in flight, and that frame delays the answer's handling.
        let pending = std::rc::Rc::new(std::cell::Cell::new(true));
        let still = pending.clone();
        set_timeout(
            move || {
                if still.get() {
                    translating.set(true);
                }
            },
            std::time::Duration::from_millis(150),
        );
        let native = settings.get_untracked().native_language;
        spawn_local(async move {
            let answer = translate_message(id, native).await;
            pending.set(false);
            match answer {
                Ok(t) => {
                    chat.messages.update(|ms| {
                        if let Some(m) = ms.iter_mut().find(|m| m.id == id) {
                            m.translation = Some(t);
                        }
                    });
                    show_translation.set(true);
                }
                Err(e) => chat.error.set(Some(e)),
            }
            translating.set(false);
        });
    };

    // Reads `text` aloud in the conversation's language.
    let say = move |text: &str| {
        #[cfg(feature = "hydrate")]
        if let Some(c) = chat.conversation.get_untracked() {
            if let Some((synth, u)) = crate::voice::utterance(text, c.language.iso()) {
                synth.cancel();
                synth.speak(&u);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = text;
    };
    let speak_text = content.clone();
    let speak = move |_| say(&speak_text);
    let better = corrected.clone();
    let speak_better = move |_| {
        if let Some(b) = &better {
            say(b);
        }
    };

    view! {
        <li class=if is_user { "message user" } else { "message assistant" } data-role=if is_user { "user" } else { "assistant" }>
            <div class="bubble">
                <p class="text" dir="auto">{content}</p>
                {(!is_user).then(|| view! {
                    <div class="tools">
                        <button type="button" class="link" on:click=toggle_translation aria-expanded=move || show_translation.get().to_string()>
                            {move || if translating.get() { "Translating…" } else if show_translation.get() { "Hide translation" } else { "Translate" }}
                        </button>
                        <button type="button" class="link" on:click=speak aria-label="Listen to this message">"Listen"</button>
                    </div>
                    <Show when=move || show_translation.get()>
                        <p class="translation muted">{translation}</p>
                    </Show>
                })}
            </div>
            {(is_user && (!corrections.is_empty() || corrected.is_some())).then(|| view! {
                <div class="corrections" role="group" aria-label="Corrections">
                    {corrected.clone().map(|c| view! {
                        <p class="corrected"><span class="label">"Better: "</span>{c}" "
                            <button type="button" class="link" on:click=speak_better aria-label="Listen to the better sentence">"Listen"</button>
                        </p>
                    })}
                    <ul>
                        {corrections.iter().map(|c| view! {
                            <li class="correction">
                                <span class=format!("chip {}", c.kind.label())>
                                    {c.kind.label()}
                                </span>
                                <del>{c.original.clone()}</del>" → "<ins>{c.corrected.clone()}</ins>
                                <span class="explanation">{c.explanation.clone()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    {(!corrections.is_empty()).then(|| {
                        let review = move || chat.conversation.with(|c| {
                            format!("/review?language={}", c.as_ref().map_or("spanish", |c| c.language.id()))
                        });
                        view! { <p class="deck-note muted">"Saved to your review deck. "<a href=review>"Review"</a></p> }
                    })}
                </div>
            })}
        </li>
    }
}

//! A conversation: the tutor's messages, the learner's with their
//! corrections, and the box to write the next one.

use crate::api::{get_conversation, initial_message, translate_message};
use crate::pages::ErrorNote;
use babblr::api::{ApiError, ChatStreamEvent, Conversation, Message, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_params_map;

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

    let conversation = RwSignal::new(None::<Conversation>);
    let messages = RwSignal::new(Vec::<Message>::new());
    let error = RwSignal::new(None::<ApiError>);
    let opening = RwSignal::new(false);
    let sending = RwSignal::new(false);
    let draft = RwSignal::new(String::new());
    let failed_text = RwSignal::new(None::<String>);
    let settings = crate::settings::use_settings();
    // The tutor's reply while it streams in.
    let streaming = RwSignal::new(None::<String>);

    // The microphone: its state, the meter's level, what whisper heard, and
    // the switch that ends a recording.
    let mic = RwSignal::new(Mic::Idle);
    let level = RwSignal::new(0.0f32);
    let heard = RwSignal::new(None::<String>);
    let stop_recording = StoredValue::new(None::<futures::channel::oneshot::Sender<()>>);

    let load_opening = move |c: Conversation| {
        opening.set(true);
        spawn_local(async move {
            let done = ui_timer("ui.opening_message");
            match initial_message(
                c.id,
                c.language.id().into(),
                c.difficulty_level.id().into(),
                c.topic_id.clone(),
                settings.get_untracked().native_language,
            )
            .await
            {
                Ok(r) => messages.update(|ms| {
                    ms.push(Message {
                        id: r.message_id,
                        conversation_id: c.id,
                        role: Role::Assistant,
                        content: r.assistant_message,
                        translation: r.translation,
                        corrected_text: None,
                        corrections: None,
                        created_at: 0,
                    })
                }),
                Err(e) => error.set(Some(e)),
            }
            done();
            opening.set(false);
        });
    };

    // Load on the client; an empty conversation asks for the tutor's opening.
    Effect::new(move |_| {
        let id = id();
        spawn_local(async move {
            match get_conversation(id).await {
                Ok(d) => {
                    let empty = d.messages.is_empty();
                    conversation.set(Some(d.conversation.clone()));
                    messages.set(d.messages);
                    if empty {
                        load_opening(d.conversation);
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        });
    });

    let send = move |text: String| {
        let text = text.trim().to_string();
        if text.is_empty() || sending.get_untracked() {
            return;
        }
        let Some(c) = conversation.get_untracked() else {
            return;
        };
        sending.set(true);
        heard.set(None);
        error.set(None);
        failed_text.set(None);
        draft.set(String::new());
        let pending_id = -(messages.with_untracked(|m| m.len() as i64) + 1);
        messages.update(|ms| {
            ms.push(Message {
                id: pending_id,
                conversation_id: c.id,
                role: Role::User,
                content: text.clone(),
                translation: None,
                corrected_text: None,
                corrections: None,
                created_at: 0,
            })
        });
        spawn_local(async move {
            let reply_done = ui_timer("ui.send_to_reply");
            let mut first_token = Some(ui_timer("ui.send_to_first_token"));
            streaming.set(Some(String::new()));
            let result = crate::stream::stream_chat_or_plain(
                c.id,
                &text,
                &settings.get_untracked().prefs(),
                |ev| match ev {
                    ChatStreamEvent::Saved { user_message_id } => messages.update(|ms| {
                        if let Some(m) = ms.iter_mut().find(|m| m.id == pending_id) {
                            m.id = user_message_id;
                        }
                    }),
                    ChatStreamEvent::Corrections {
                        corrected_text,
                        corrections,
                    } => messages.update(|ms| {
                        if let Some(m) = ms.iter_mut().rev().find(|m| m.role == Role::User) {
                            m.corrected_text = Some(corrected_text);
                            m.corrections = Some(corrections);
                        }
                    }),
                    ChatStreamEvent::Token { text } => {
                        streaming.update(|s| s.get_or_insert_with(String::new).push_str(&text));
                        if let Some(done) = first_token.take() {
                            done();
                        }
                    }
                    ChatStreamEvent::Done {
                        assistant_message_id,
                        assistant_message,
                        translation,
                    } => {
                        streaming.set(None);
                        messages.update(|ms| {
                            ms.push(Message {
                                id: assistant_message_id,
                                conversation_id: c.id,
                                role: Role::Assistant,
                                content: assistant_message,
                                translation,
                                corrected_text: None,
                                corrections: None,
                                created_at: 0,
                            })
                        });
                    }
                    ChatStreamEvent::Error {
                        error: code,
                        message,
                    } => {
                        error.set(Some(ApiError::new(&code, message)));
                        failed_text.set(Some(text.clone()));
                    }
                },
            )
            .await;
            if let Err(e) = result {
                error.set(Some(e));
                failed_text.set(Some(text));
            }
            streaming.set(None);
            reply_done();
            sending.set(false);
        });
    };

    let toggle_mic = move |_| match mic.get_untracked() {
        Mic::Recording => stop_recording.update_value(|tx| {
            if let Some(tx) = tx.take() {
                let _ = tx.send(());
            }
        }),
        Mic::Transcribing => {}
        Mic::Idle => {
            let Some(c) = conversation.get_untracked() else {
                return;
            };
            let (tx, rx) = futures::channel::oneshot::channel();
            stop_recording.set_value(Some(tx));
            error.set(None);
            heard.set(None);
            mic.set(Mic::Recording);
            spawn_local(async move {
                let done = ui_timer("ui.record_to_transcript");
                let result = async {
                    let wav = crate::recorder::record_until(rx, move |l| level.set(l)).await?;
                    mic.set(Mic::Transcribing);
                    crate::recorder::upload(c.id, wav).await
                }
                .await;
                match result {
                    Ok(t) => {
                        draft.set(t.corrected_text.clone());
                        heard.set(Some(t.text));
                        focus_composer();
                    }
                    Err(e) => error.set(Some(e)),
                }
                done();
                level.set(0.0);
                mic.set(Mic::Idle);
            });
        }
    };

    let title = move || {
        conversation.get().map(|c| {
            format!(
                "{} · {} · {}",
                c.language.english_name(),
                c.difficulty_level,
                c.topic_name
            )
        })
    };

    view! {
        <section class="card conversation">
            <h1 class="conversation-title">{move || title().unwrap_or_else(|| "Conversation".into())}</h1>
            <ol class="messages" aria-live="polite">
                <For each=move || messages.get() key=|m| (m.id, m.corrections.is_some(), m.translation.clone()) let:m>
                    <MessageBubble message=m conversation=conversation messages=messages />
                </For>
            </ol>
            {move || streaming.get().filter(|s| !s.is_empty()).map(|s| view! {
                <div class="message assistant streaming" data-role="assistant-streaming">
                    <div class="bubble"><p class="text">{s}</p></div>
                </div>
            })}
            <Show when=move || opening.get() || (sending.get() && streaming.get().is_none_or(|s| s.is_empty()))>
                <p class="typing muted" aria-live="polite">"Tutor is typing…"</p>
            </Show>
            {move || error.get().map(|e| view! {
                <div class="error-row">
                    <ErrorNote error=e />
                    {move || failed_text.get().map(|t| view! {
                        <button type="button" class="retry" on:click=move |_| send(t.clone())>"Retry"</button>
                    })}
                </div>
            })}
            <Show when=move || mic.get() == Mic::Recording>
                <div class="recording-indicator" role="status" data-state="recording">
                    <span class="rec-dot" aria-hidden="true"></span>
                    "Recording… pause to finish, or press ■"
                    <meter class="level" min="0" max="1" aria-label="Microphone level"
                        value=move || (level.get() * 5.0).min(1.0).to_string()></meter>
                </div>
            </Show>
            <Show when=move || mic.get() == Mic::Transcribing>
                <p class="typing muted" role="status" data-state="transcribing">"Transcribing…"</p>
            </Show>
            {move || heard.get().map(|h| view! {
                <p class="heard muted" data-role="heard">"Heard: “" {h} "” — edit if needed, then send."</p>
            })}
            <form class="composer" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                send(draft.get_untracked());
            }>
                <button type="button" id="mic-button"
                    class=move || if mic.get() == Mic::Recording { "mic recording" } else { "mic" }
                    aria-pressed=move || (mic.get() == Mic::Recording).to_string()
                    aria-label=move || match mic.get() {
                        Mic::Idle => "Record a spoken answer",
                        Mic::Recording => "Stop recording",
                        Mic::Transcribing => "Transcribing your recording",
                    }
                    title="Speak your answer (stops by itself when you pause)"
                    disabled=move || mic.get() == Mic::Transcribing || sending.get() || conversation.get().is_none()
                    on:click=toggle_mic
                >
                    {move || match mic.get() {
                        Mic::Idle => view! {
                            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                                <rect x="9" y="3" width="6" height="11" rx="3" fill="currentColor"></rect>
                                <path d="M6 11a6 6 0 0 0 12 0M12 17v4M8 21h8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"></path>
                            </svg>
                        }.into_any(),
                        Mic::Recording => view! {
                            <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                                <rect x="5" y="5" width="14" height="14" rx="2" fill="currentColor"></rect>
                            </svg>
                        }.into_any(),
                        Mic::Transcribing => view! { <span aria-hidden="true">"…"</span> }.into_any(),
                    }}
                </button>
                <label for="message-input" class="visually-hidden">"Your message"</label>
                <textarea id="message-input" name="user_message" rows="2" maxlength="4000"
                    placeholder="Write your answer… (Enter sends, Shift+Enter for a new line)"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Enter" && !ev.shift_key() {
                            ev.prevent_default();
                            send(draft.get_untracked());
                        }
                    }
                ></textarea>
                <button type="submit" class="primary" disabled=move || sending.get() || conversation.get().is_none()>"Send"</button>
            </form>
        </section>
    }
}

/// Where the microphone is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mic {
    Idle,
    Recording,
    Transcribing,
}

/// Puts the cursor in the message box, so a transcript can be edited at once.
fn focus_composer() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("message-input"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
}

/// One message: the text, and for the learner their corrections, for the
/// tutor a translation toggle and a speak button.
#[component]
fn MessageBubble(
    message: Message,
    conversation: RwSignal<Option<Conversation>>,
    messages: RwSignal<Vec<Message>>,
) -> impl IntoView {
    let show_translation = RwSignal::new(false);
    let settings = crate::settings::use_settings();
    let translating = RwSignal::new(false);
    let is_user = message.role == Role::User;
    let id = message.id;
    let content = message.content.clone();
    let translation = message.translation.clone();
    let corrections = message.corrections.clone().unwrap_or_default();
    let corrected = message
        .corrected_text
        .clone()
        .filter(|c| *c != message.content);

    let toggle_translation = move |_| {
        if show_translation.get_untracked() {
            show_translation.set(false);
            return;
        }
        let has =
            messages.with_untracked(|ms| ms.iter().any(|m| m.id == id && m.translation.is_some()));
        if has {
            show_translation.set(true);
            return;
        }
        translating.set(true);
        let native = settings.get_untracked().native_language;
        spawn_local(async move {
            if let Ok(t) = translate_message(id, native).await {
                messages.update(|ms| {
                    if let Some(m) = ms.iter_mut().find(|m| m.id == id) {
                        m.translation = Some(t);
                    }
                });
            }
            translating.set(false);
        });
    };

    let speak_text = content.clone();
    let speak = move |_| {
        #[cfg(feature = "hydrate")]
        if let (Some(c), Some(w)) = (conversation.get_untracked(), web_sys::window()) {
            if let (Ok(synth), Ok(u)) = (
                w.speech_synthesis(),
                web_sys::SpeechSynthesisUtterance::new_with_text(&speak_text),
            ) {
                u.set_lang(c.language.iso());
                synth.cancel();
                synth.speak(&u);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&speak_text, conversation);
    };

    view! {
        <li class=if is_user { "message user" } else { "message assistant" } data-role=if is_user { "user" } else { "assistant" }>
            <div class="bubble">
                <p class="text">{content}</p>
                {(!is_user).then(|| view! {
                    <div class="tools">
                        <button type="button" class="link" on:click=toggle_translation aria-pressed=move || show_translation.get().to_string()>
                            {move || if translating.get() { "Translating…" } else if show_translation.get() { "Hide translation" } else { "Translate" }}
                        </button>
                        <button type="button" class="link" on:click=speak aria-label="Read aloud">"Listen"</button>
                    </div>
                    <Show when=move || show_translation.get()>
                        <p class="translation muted">{translation.clone()}</p>
                    </Show>
                })}
            </div>
            {(is_user && (!corrections.is_empty() || corrected.is_some())).then(|| view! {
                <div class="corrections" aria-label="Corrections">
                    {corrected.clone().map(|c| view! { <p class="corrected"><span class="label">"Better: "</span>{c}</p> })}
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
                </div>
            })}
        </li>
    }
}

//! The microphone: record (stopping by itself after a pause), upload, and
//! put what whisper heard into the message box for a quick edit.

use super::chat::Chat;
use super::ui_timer;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Where the microphone is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MicState {
    Idle,
    Recording,
    Transcribing,
}

/// The microphone's state, shared by its button and its status line.
#[derive(Clone, Copy)]
pub struct Mic {
    pub state: RwSignal<MicState>,
    /// The input level while recording, 0..1.
    pub level: RwSignal<f32>,
    /// What whisper heard last, shown above the message box.
    pub heard: RwSignal<Option<String>>,
    stop: StoredValue<Option<futures::channel::oneshot::Sender<()>>>,
}

impl Mic {
    pub fn new() -> Mic {
        Mic {
            state: RwSignal::new(MicState::Idle),
            level: RwSignal::new(0.0),
            heard: RwSignal::new(None),
            stop: StoredValue::new(None),
        }
    }

    /// Starts recording, or stops it (span `ui.record_to_transcript`).
    pub fn toggle(self, chat: Chat) {
        match self.state.get_untracked() {
            MicState::Recording => self.stop.update_value(|tx| {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(());
                }
            }),
            MicState::Transcribing => {}
            MicState::Idle => {
                let Some(c) = chat.conversation.get_untracked() else {
                    return;
                };
                let (tx, rx) = futures::channel::oneshot::channel();
                self.stop.set_value(Some(tx));
                chat.error.set(None);
                self.heard.set(None);
                self.state.set(MicState::Recording);
                let level = self.level;
                spawn_local(async move {
                    let done = ui_timer("ui.record_to_transcript");
                    let result = async {
                        let wav = crate::recorder::record_until(rx, move |l| level.set(l)).await?;
                        self.state.set(MicState::Transcribing);
                        crate::recorder::upload(c.id, wav).await
                    }
                    .await;
                    match result {
                        Ok(t) => {
                            chat.draft.set(t.corrected_text.clone());
                            self.heard.set(Some(t.text));
                            focus_composer();
                        }
                        Err(e) => chat.error.set(Some(e)),
                    }
                    done();
                    self.level.set(0.0);
                    self.state.set(MicState::Idle);
                });
            }
        }
    }
}

/// The record / stop button inside the message form.
#[component]
pub fn MicButton(mic: Mic, chat: Chat) -> impl IntoView {
    let state = mic.state;
    view! {
        <button type="button" id="mic-button"
            class=move || if state.get() == MicState::Recording { "mic recording" } else { "mic" }
            aria-pressed=move || (state.get() == MicState::Recording).to_string()
            aria-label=move || match state.get() {
                MicState::Idle => "Record a spoken answer",
                MicState::Recording => "Stop recording",
                MicState::Transcribing => "Transcribing your recording",
            }
            title="Speak your answer (stops by itself when you pause)"
            disabled=move || state.get() == MicState::Transcribing || chat.sending.get() || chat.conversation.get().is_none()
            on:click=move |_| mic.toggle(chat)
        >
            {move || match state.get() {
                MicState::Idle => view! {
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                        <rect x="9" y="3" width="6" height="11" rx="3" fill="currentColor"></rect>
                        <path d="M6 11a6 6 0 0 0 12 0M12 17v4M8 21h8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"></path>
                    </svg>
                }.into_any(),
                MicState::Recording => view! {
                    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                        <rect x="5" y="5" width="14" height="14" rx="2" fill="currentColor"></rect>
                    </svg>
                }.into_any(),
                MicState::Transcribing => view! { <span aria-hidden="true">"…"</span> }.into_any(),
            }}
        </button>
    }
}

/// The recording indicator, "Transcribing…", and what was heard.
#[component]
pub fn MicStatus(mic: Mic) -> impl IntoView {
    let (state, level, heard) = (mic.state, mic.level, mic.heard);
    view! {
        {move || match state.get() {
            MicState::Recording => Some(view! {
                <div class="recording-indicator" role="status" data-state="recording">
                    <span class="rec-dot" aria-hidden="true"></span>
                    "Recording… pause to finish, or press ■"
                    <meter class="level" min="0" max="1" aria-label="Microphone level"
                        value=move || (level.get() * 5.0).min(1.0).to_string()></meter>
                </div>
            }.into_any()),
            MicState::Transcribing => Some(view! {
                <p class="typing muted" role="status" data-state="transcribing">"Transcribing…"</p>
            }.into_any()),
            MicState::Idle => None,
        }}
        {move || heard.get().map(|h| view! {
            <p class="heard muted" data-role="heard">"Heard: “" {h} "” — edit if needed, then send."</p>
        })}
    }
}

/// Puts the cursor in the message box, so a transcript can be edited at once.
pub fn focus_composer() {
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

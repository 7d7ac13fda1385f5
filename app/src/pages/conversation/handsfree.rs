//! Hands-free: the learner speaks and the message goes when they pause; the
//! tutor's reply is spoken sentence by sentence as it streams in; the
//! microphone is listening again at once, and speaking over the tutor stops
//! its voice (barge-in).
//!
//! Timed from the end of the learner's speech (which the server's VAD
//! finds): `ui.voice.end_of_speech_to_transcript`,
//! `ui.voice.end_of_speech_to_first_token`, `ui.voice.end_of_speech_to_first_audio`.

use super::chat::Chat;
use crate::voice::Sentences;
use leptos::prelude::*;

/// Where hands-free mode is. (Some states are reached only in the browser.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum Voice {
    Off,
    Starting,
    /// Waiting for the learner to speak.
    Listening,
    /// The learner is speaking.
    Hearing,
    /// The tutor is answering (and may be interrupted).
    Replying,
}

/// Hands-free mode's state, shared by its button, its status line and the
/// effect that speaks the reply.
#[derive(Clone, Copy)]
pub struct HandsFree {
    pub state: RwSignal<Voice>,
    /// What was heard of the utterance so far.
    pub heard: RwSignal<String>,
    /// A note for the learner (the connection dropped).
    pub note: RwSignal<Option<String>>,
    /// Sentences handed to speechSynthesis and not yet finished.
    queued: RwSignal<usize>,
    turn: StoredValue<Turn>,
    stop: StoredValue<Option<futures::channel::oneshot::Sender<()>>>,
}

/// The reply being spoken.
#[derive(Debug, Default)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
struct Turn {
    /// A reply to hands-free speech is on its way.
    replying: bool,
    /// The end of the learner's speech (`performance.now()`), while the
    /// first token and the first sound are still to be timed.
    end_of_speech: Option<f64>,
    first_token: bool,
    first_audio: bool,
    /// The tutor's last message before this turn (not to be spoken again).
    tutor_before: Option<i64>,
    sentences: Sentences,
    language: String,
}

impl HandsFree {
    pub fn new() -> HandsFree {
        HandsFree {
            state: RwSignal::new(Voice::Off),
            heard: RwSignal::new(String::new()),
            note: RwSignal::new(None),
            queued: RwSignal::new(0),
            turn: StoredValue::new(Turn::default()),
            stop: StoredValue::new(None),
        }
    }

    pub fn is_on(&self) -> bool {
        self.state.get() != Voice::Off
    }

    /// Turns hands-free mode on or off.
    pub fn toggle(self, chat: Chat) {
        if self.state.get_untracked() != Voice::Off {
            self.turn_off();
            return;
        }
        let (tx, rx) = futures::channel::oneshot::channel();
        self.stop.set_value(Some(tx));
        self.note.set(None);
        chat.error.set(None);
        self.state.set(Voice::Starting);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(self.run(chat, rx));
        #[cfg(not(feature = "hydrate"))]
        drop(rx);
    }

    /// The page is going away: the microphone and the voice stop.
    pub fn leave(self) {
        self.stop.update_value(|s| {
            if let Some(s) = s.take() {
                let _ = s.send(());
            }
        });
        silence();
    }

    fn turn_off(self) {
        self.leave();
        self.queued.set(0);
        self.turn.update_value(|t| t.replying = false);
        self.state.set(Voice::Off);
    }

    /// Speaks the reply's newly completed sentences; at the end of the
    /// reply, the rest. Called whenever the streaming reply changes.
    pub fn follow_reply(self, chat: Chat) {
        let streaming = chat.streaming.get();
        let sending = chat.sending.get();
        if !self.turn.with_value(|t| t.replying) {
            return;
        }
        let mut say = Vec::new();
        match streaming {
            Some(text) if !text.is_empty() => self.turn.update_value(|t| {
                if std::mem::take(&mut t.first_token) {
                    mark_since("ui.voice.end_of_speech_to_first_token", t.end_of_speech);
                }
                say = t.sentences.complete(&text);
            }),
            Some(_) => {}
            None if !sending => {
                let last = chat.messages.with_untracked(|ms| {
                    ms.last()
                        .filter(|m| m.role == babblr::api::Role::Assistant)
                        .map(|m| (m.id, m.content.clone()))
                });
                self.turn.update_value(|t| {
                    t.replying = false;
                    let text = last
                        .filter(|(id, _)| Some(*id) != t.tutor_before)
                        .map(|(_, text)| text);
                    if let Some(text) = text {
                        say.extend(t.sentences.finish(&text));
                    }
                });
                if say.is_empty() && self.queued.get_untracked() == 0 {
                    self.listening_again();
                }
            }
            None => {}
        }
        let language = self.turn.with_value(|t| t.language.clone());
        for sentence in say {
            self.say(&sentence, &language);
        }
    }

    /// The tutor has finished: back to listening (the microphone already is).
    fn listening_again(self) {
        if self.state.get_untracked() == Voice::Replying {
            self.state.set(Voice::Listening);
        }
    }

    /// Hands one sentence to speechSynthesis, in the conversation's language.
    fn say(self, text: &str, language: &str) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::prelude::*;
            let Some((synth, u)) = crate::voice::utterance(text, language) else {
                return;
            };
            let started = move || {
                self.turn.update_value(|t| {
                    if std::mem::take(&mut t.first_audio) {
                        mark_since("ui.voice.end_of_speech_to_first_audio", t.end_of_speech);
                    }
                });
            };
            let done = std::rc::Rc::new(std::cell::Cell::new(false));
            let finished = move || {
                if !done.replace(true) {
                    self.queued.update(|q| *q = q.saturating_sub(1));
                    if self.queued.get_untracked() == 0 && !self.turn.with_value(|t| t.replying) {
                        self.listening_again();
                    }
                }
            };
            let finished_too = finished.clone();
            u.set_onstart(Some(Closure::once_into_js(started).unchecked_ref()));
            u.set_onend(Some(Closure::once_into_js(finished).unchecked_ref()));
            u.set_onerror(Some(Closure::once_into_js(finished_too).unchecked_ref()));
            self.queued.update(|q| *q += 1);
            synth.speak(&u);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (text, language);
    }

    /// Listens, utterance after utterance, until turned off.
    #[cfg(feature = "hydrate")]
    async fn run(self, chat: Chat, mut stop: futures::channel::oneshot::Receiver<()>) {
        use crate::voice::Listening;
        use babblr::api::{codes, ApiError, VoiceOut, VoiceStart};
        use futures::future::{select, Either};

        enum Outcome {
            Off,
            Again,
            Lost,
            Failed(ApiError),
            Heard(String, f64),
        }
        while self.state.get_untracked() != Voice::Off {
            let Some(c) = chat.conversation.get_untracked() else {
                break;
            };
            let start = VoiceStart {
                sample_rate: crate::recorder::RATE,
                language: Some(c.language.id().into()),
                conversation_id: Some(c.id),
                end_silence_ms: chat.settings().voice_pause_ms,
            };
            let mut ear = match Listening::open(start).await {
                Ok(l) => l,
                Err(e) => {
                    chat.error.set(Some(e));
                    self.turn_off();
                    return;
                }
            };
            if self.state.get_untracked() == Voice::Starting {
                self.state.set(Voice::Listening);
            }
            self.heard.set(String::new());
            let outcome = loop {
                let frame = match select(Box::pin(ear.next()), &mut stop).await {
                    Either::Right(_) => break Outcome::Off,
                    Either::Left((frame, _)) => frame,
                };
                match frame {
                    None => break Outcome::Lost,
                    Some(Err(e)) => break Outcome::Failed(e),
                    Some(Ok(VoiceOut::Listening)) => {}
                    Some(Ok(VoiceOut::SpeechStart { .. })) => {
                        if self.queued.get_untracked() > 0 {
                            // Barge-in: the learner speaks over the tutor.
                            silence();
                            self.queued.set(0);
                        }
                        self.state.set(Voice::Hearing);
                    }
                    Some(Ok(VoiceOut::Phrase { text, .. })) => {
                        self.heard.update(|h| {
                            if !h.is_empty() {
                                h.push(' ');
                            }
                            h.push_str(&text);
                        });
                        chat.draft.set(self.heard.get_untracked());
                    }
                    Some(Ok(VoiceOut::Utterance {
                        text,
                        speech_end_ms,
                        ..
                    })) => {
                        let end = ear.at(speech_end_ms);
                        crate::perf::measure_since("ui.voice.end_of_speech_to_transcript", end);
                        break Outcome::Heard(text, end);
                    }
                    Some(Ok(VoiceOut::Error { error, message })) => {
                        // Nothing recognised (a cough, a door): listen again.
                        if error == codes::VALIDATION && message.contains("no speech") {
                            break Outcome::Again;
                        }
                        break Outcome::Failed(ApiError::new(error, message));
                    }
                }
            };
            ear.stop();
            drop(ear);
            match outcome {
                Outcome::Off => return,
                Outcome::Again => continue,
                Outcome::Failed(e) => {
                    chat.error.set(Some(e));
                    self.turn_off();
                    return;
                }
                Outcome::Lost => {
                    chat.draft.set(self.heard.get_untracked());
                    self.note.set(Some(
                        "The connection dropped: what was heard so far is in the message box."
                            .into(),
                    ));
                    self.turn_off();
                    return;
                }
                Outcome::Heard(text, end) => {
                    if chat.sending.get_untracked() {
                        // The last reply is still coming: keep this one to send.
                        chat.draft.set(text);
                        continue;
                    }
                    let tutor_before = chat.messages.with_untracked(|ms| {
                        ms.iter()
                            .rev()
                            .find(|m| m.role == babblr::api::Role::Assistant)
                            .map(|m| m.id)
                    });
                    self.turn.set_value(Turn {
                        replying: true,
                        end_of_speech: Some(end),
                        first_token: true,
                        first_audio: true,
                        tutor_before,
                        sentences: Sentences::default(),
                        language: c.language.iso().to_string(),
                    });
                    self.state.set(Voice::Replying);
                    self.heard.set(String::new());
                    chat.send(text);
                }
            }
        }
    }
}

/// Stops the tutor's voice.
fn silence() {
    #[cfg(feature = "hydrate")]
    crate::voice::silence();
}

/// A measure from the end of the learner's speech to now.
fn mark_since(name: &str, end_of_speech: Option<f64>) {
    #[cfg(feature = "hydrate")]
    if let Some(t) = end_of_speech {
        crate::perf::measure_since(name, t);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (name, end_of_speech);
}

/// The hands-free switch, beside the microphone.
#[component]
pub fn HandsFreeButton(hands_free: HandsFree, chat: Chat) -> impl IntoView {
    let on = move || hands_free.is_on();
    view! {
        <button type="button" id="hands-free" class=move || if on() { "hands-free on" } else { "hands-free" }
            aria-pressed=move || on().to_string()
            aria-label="Hands-free conversation"
            title="Hands-free: speak, pause, and the tutor answers aloud (headphones help)"
            disabled=move || chat.conversation.get().is_none()
            on:click=move |_| hands_free.toggle(chat)
        >
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                <path d="M4 14v-2a8 8 0 0 1 16 0v2" fill="none" stroke="currentColor" stroke-width="2"></path>
                <rect x="3" y="13" width="4" height="7" rx="1.5" fill="currentColor"></rect>
                <rect x="17" y="13" width="4" height="7" rx="1.5" fill="currentColor"></rect>
            </svg>
        </button>
    }
}

/// What hands-free mode is doing, for eyes and screen readers.
#[component]
pub fn HandsFreeStatus(hands_free: HandsFree) -> impl IntoView {
    let HandsFree {
        state, heard, note, ..
    } = hands_free;
    view! {
        {move || {
            let text = match state.get() {
                Voice::Off => return None,
                Voice::Starting => "Starting the microphone…".to_string(),
                Voice::Listening => "Listening — just speak; pause to send.".to_string(),
                Voice::Hearing => format!("Hearing you… {}", heard.get()),
                Voice::Replying => "The tutor is answering — speak to interrupt.".to_string(),
            };
            let state = format!("{:?}", state.get()).to_lowercase();
            Some(view! { <p class="hands-free-status muted" role="status" data-state=state>{text}</p> })
        }}
        {move || note.get().map(|n| view! { <p class="note" role="alert">{n}</p> })}
    }
}

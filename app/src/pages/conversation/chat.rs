//! The chat as the page holds it: the conversation, its messages, the reply
//! streaming in, what is being written, and the turn's error. One `Copy`
//! handle of signals, so components share it without prop drilling.

use super::ui_timer;
use crate::api::initial_message;
use babblr::api::{ApiError, ChatStreamEvent, Conversation, ConversationDetail, Message, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The chat's state and what can be done with it.
#[derive(Clone, Copy)]
pub struct Chat {
    pub conversation: RwSignal<Option<Conversation>>,
    pub messages: RwSignal<Vec<Message>>,
    pub error: RwSignal<Option<ApiError>>,
    /// The tutor's opening is being asked for.
    pub opening: RwSignal<bool>,
    /// A turn is under way.
    pub sending: RwSignal<bool>,
    /// What the learner is writing.
    pub draft: RwSignal<String>,
    /// The tutor's reply while it streams in.
    pub streaming: RwSignal<Option<String>>,
    /// The learner's settings (taken once: event handlers run outside the
    /// component tree, where context cannot be looked up).
    settings: RwSignal<crate::settings::Settings>,
}

impl Chat {
    /// A chat with nothing loaded; call inside a component (it reads the settings).
    pub fn new() -> Chat {
        Chat {
            conversation: RwSignal::new(None),
            messages: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
            opening: RwSignal::new(false),
            sending: RwSignal::new(false),
            draft: RwSignal::new(String::new()),
            streaming: RwSignal::new(None),
            settings: crate::settings::use_settings(),
        }
    }

    /// The learner's settings now.
    pub fn settings(&self) -> crate::settings::Settings {
        self.settings.get_untracked()
    }

    /// Shows a conversation as the server sent it.
    pub fn load(&self, d: ConversationDetail) {
        self.conversation.set(Some(d.conversation));
        self.messages.set(d.messages);
        self.error.set(None);
    }

    /// The learner's last message when no reply follows it: a turn that
    /// failed, or one a server restart cut short. It can be answered again.
    pub fn unanswered(&self) -> Option<String> {
        self.messages.with(|ms| {
            ms.last()
                .filter(|m| m.role == Role::User)
                .map(|m| m.content.clone())
        })
    }

    /// Asks for the tutor's opening (span `ui.opening_message`).
    pub fn request_opening(self) {
        let Some(c) = self.conversation.get_untracked() else {
            return;
        };
        self.opening.set(true);
        let settings = self.settings;
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
                Ok(r) => self.messages.update(|ms| {
                    ms.push(Message::tutor(
                        c.id,
                        r.message_id,
                        r.assistant_message,
                        r.translation,
                    ))
                }),
                Err(e) => self.error.set(Some(e)),
            }
            done();
            self.opening.set(false);
        });
    }

    /// Sends what the learner wrote as a new message.
    pub fn send(self, text: String) {
        let text = text.trim().to_string();
        if text.is_empty() {
            return;
        }
        self.turn(text, false);
    }

    /// Asks again for the reply to the learner's unanswered last message; the
    /// server answers the stored message rather than storing a copy.
    pub fn answer_last(self) {
        if let Some(text) = self.unanswered() {
            self.turn(text, true);
        }
    }

    /// One streamed turn (spans `ui.send_to_first_token`, `ui.send_to_reply`).
    fn turn(self, text: String, again: bool) {
        if self.sending.get_untracked() {
            return;
        }
        let Some(c) = self.conversation.get_untracked() else {
            return;
        };
        let settings = self.settings;
        self.sending.set(true);
        self.error.set(None);
        if !again {
            self.draft.set(String::new());
        }
        // The learner's message in the list: a new one, or the last one again.
        let placeholder = if again {
            self.messages
                .with_untracked(|ms| ms.last().map(|m| m.id))
                .unwrap_or(0)
        } else {
            let id = -(self.messages.with_untracked(|m| m.len() as i64) + 1);
            self.messages
                .update(|ms| ms.push(Message::pending(c.id, id, text.clone())));
            id
        };
        let Chat {
            messages,
            error,
            streaming,
            sending,
            ..
        } = self;
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
                        if let Some(m) = ms.iter_mut().find(|m| m.id == placeholder) {
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
                    } => {
                        streaming.set(None);
                        messages.update(|ms| {
                            ms.push(Message::tutor(
                                c.id,
                                assistant_message_id,
                                assistant_message,
                                None,
                            ))
                        });
                    }
                    ChatStreamEvent::Error {
                        error: code,
                        message,
                    } => error.set(Some(ApiError::new(code, message))),
                },
            )
            .await;
            if let Err(e) = result {
                error.set(Some(e));
            }
            streaming.set(None);
            reply_done();
            sending.set(false);
        });
    }
}

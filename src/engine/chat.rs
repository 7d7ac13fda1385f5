//! A chat turn: the tutor's opening, the learner's message stored first,
//! then corrected and answered concurrently, whole or streamed.

use super::{tokio_stream_from, Engine, Expect, Prefs, MAX_MESSAGE_CHARS};
use crate::api::{
    ChatResponse, ChatStreamEvent, Conversation, Correction, InitialMessageResponse, Message, Role,
};
use crate::db::NewMessage;
use crate::domain::topic;
use crate::error::{Error, Result};
use crate::tutor::prompts;
use crate::{perf_span, perf_timed};
use futures::{Stream, StreamExt};
use tracing::Instrument;

impl Engine {
    /// The tutor's opening message (span `initial_message.generate_llm`),
    /// stored. A conversation that already has one gets it back.
    pub async fn initial_message(
        &self,
        conversation_id: i64,
        expect: Expect<'_>,
        prefs: Prefs,
    ) -> Result<InitialMessageResponse> {
        let conversation = self.conversation(conversation_id).await?;
        expect.check(&conversation)?;
        // Concurrent first requests in this process wait for one another;
        // across processes the unique index on openings keeps one.
        let _turn = self.inner.openings.lock(conversation_id).await;
        if let Some(first) = self.inner.db.first_tutor_message(conversation_id).await? {
            return Ok(Self::opening_response(first));
        }
        let topic = topic(&conversation.topic_id).ok_or_else(|| {
            Error::Internal(format!(
                "stored topic '{}' is unknown",
                conversation.topic_id
            ))
        })?;
        let request = prompts::opening_request(
            conversation.language,
            conversation.difficulty_level,
            topic,
            prefs.native,
        );
        let raw = perf_timed!(
            INFO,
            "initial_message.generate_llm",
            self.inner.llm.complete(request)
        )
        .await?;
        let (message, translation) = prompts::parse_opening(&raw);
        let stored = perf_timed!(
            "initial_message.save",
            self.inner
                .db
                .insert_opening(conversation_id, &message, translation.as_deref())
        )
        .await?;
        let stored = match stored {
            Some(m) => m,
            // Another process stored its opening first: that one is the opening.
            None => self
                .inner
                .db
                .first_tutor_message(conversation_id)
                .await?
                .ok_or_else(|| Error::Internal("the stored opening vanished".into()))?,
        };
        Ok(Self::opening_response(stored))
    }

    fn opening_response(m: Message) -> InitialMessageResponse {
        InitialMessageResponse {
            assistant_message: m.content,
            translation: m.translation,
            message_id: m.id,
        }
    }

    /// Validates and stores the learner's message before any LLM call
    /// (span `chat.save_user_message`), so a failing model loses nothing.
    async fn save_user_message(
        &self,
        conversation_id: i64,
        user_message: &str,
        expect: Expect<'_>,
    ) -> Result<(Conversation, Message)> {
        let text = user_message.trim();
        if text.is_empty() {
            return Err(Error::invalid("user_message", "must not be empty"));
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(Error::invalid(
                "user_message",
                format!("is too long (at most {MAX_MESSAGE_CHARS} characters)"),
            ));
        }
        let conversation = self.conversation(conversation_id).await?;
        expect.check(&conversation)?;
        let message = perf_timed!("chat.save_user_message", async {
            // A retry after a failed or lost reply (the last message is this
            // same text, still unanswered) answers the stored message instead
            // of storing a copy. Sends to one conversation take turns here, so
            // a double click cannot store it twice either.
            let _turn = self.inner.saves.lock(conversation_id).await;
            if let Some(last) = self.inner.db.last_message(conversation_id).await? {
                if last.role == Role::User && last.content == text {
                    tracing::info!(
                        message_id = last.id,
                        "same unanswered message again: answering the stored one"
                    );
                    return Ok(last);
                }
            }
            self.inner
                .db
                .insert_message(NewMessage {
                    learner: self.me()?,
                    conversation_id,
                    role: Role::User,
                    content: text,
                    counts_for: Some(conversation.language),
                })
                .await
        })
        .await?;
        Ok((conversation, message))
    }

    /// Corrections for a learner message (span `chat.correct_text`), when its
    /// level is up to the configured maximum. An unusable answer means none.
    async fn correct(
        &self,
        conversation: &Conversation,
        message: &Message,
        prefs: Prefs,
    ) -> (String, Vec<Correction>) {
        let wanted = prefs
            .correction_max
            .is_some_and(|max| conversation.difficulty_level <= max);
        if !wanted {
            return (message.content.clone(), Vec::new());
        }
        let rules = crate::tutor::checks::Rules {
            level: conversation.difficulty_level,
            case_and_punctuation: self.inner.config.correct_case_and_punctuation,
            weigh: true,
        };
        let result = async {
            let checked = crate::tutor::correct::correct(
                &self.inner.llm,
                conversation.language,
                &message.content,
                prefs.native,
                rules,
            )
            .await?;
            Ok::<_, Error>((checked.corrected, checked.corrections))
        }
        .instrument(perf_span!(INFO, "chat.correct_text"))
        .await;
        match result {
            Ok(found) => {
                let saved = async {
                    self.inner
                        .db
                        .set_corrections(
                            self.me()?,
                            message.id,
                            conversation.language,
                            &found.0,
                            &found.1,
                        )
                        .await
                };
                if let Err(e) = saved.await {
                    tracing::warn!(error = %e, "could not store corrections");
                }
                found
            }
            Err(e) => {
                tracing::warn!(error = %e, message_id = message.id, "no corrections for this message");
                (message.content.clone(), Vec::new())
            }
        }
    }

    /// The reply prompt: the conversation's role-play and its last messages.
    async fn reply_request(&self, conversation: &Conversation) -> Result<crate::llm::LlmRequest> {
        let history = self
            .inner
            .db
            .recent_messages(conversation.id, self.inner.config.history_window.max(1))
            .await?;
        let topic = topic(&conversation.topic_id).ok_or_else(|| {
            Error::Internal(format!(
                "stored topic '{}' is unknown",
                conversation.topic_id
            ))
        })?;
        Ok(prompts::reply_request(
            conversation.language,
            conversation.difficulty_level,
            topic,
            &history,
        ))
    }

    /// Stores a reply as the learner will read it (never as raw JSON).
    async fn save_reply(&self, conversation_id: i64, text: &str) -> Result<Message> {
        let text = prompts::clean_reply(text);
        perf_timed!(
            "chat.save_assistant_message",
            self.inner.db.insert_message(NewMessage {
                learner: self.me()?,
                conversation_id,
                role: Role::Assistant,
                content: &text,
                counts_for: None,
            })
        )
        .await
    }

    /// One chat turn: store the learner's message (before any LLM call, so a
    /// failing model loses nothing), then [`Engine::answer`] it.
    pub async fn chat(
        &self,
        conversation_id: i64,
        user_message: &str,
        expect: Expect<'_>,
        prefs: Prefs,
    ) -> Result<ChatResponse> {
        let (conversation, message) = self
            .save_user_message(conversation_id, user_message, expect)
            .await?;
        // Once the learner's message is stored, the turn runs to its end in a
        // task of its own: a client that disconnects (a closed tab, a proxy's
        // timeout) still finds the reply stored when it comes back.
        let engine = self.clone();
        crate::perf::spawn_in_request(
            async move { engine.answer(conversation, message, prefs).await },
        )
        .await
        .map_err(|e| Error::Internal(format!("chat task failed: {e}")))?
    }

    /// Corrects a stored learner message and generates the reply
    /// concurrently, so the learner waits for the slower of the two, not
    /// their sum; stores the reply.
    async fn answer(
        &self,
        conversation: Conversation,
        message: Message,
        prefs: Prefs,
    ) -> Result<ChatResponse> {
        let request = self.reply_request(&conversation).await?;
        let reply = perf_timed!(
            INFO,
            "chat.generate_response_llm",
            self.inner.llm.complete(request)
        );
        let ((corrected_text, corrections), reply) =
            tokio::join!(self.correct(&conversation, &message, prefs), reply);
        let reply = reply?;
        let stored = self.save_reply(conversation.id, &reply).await?;
        Ok(ChatResponse {
            assistant_message: stored.content,
            corrected_text,
            corrections,
            user_message_id: message.id,
            assistant_message_id: stored.id,
        })
    }

    /// The streamed chat turn. Events: `saved`, then `token`s and (when
    /// ready) `corrections`, then `done` with the stored reply, or `error`.
    /// Validation errors come back before the stream starts. The work runs in
    /// its own task inside the request's trace: a learner who leaves
    /// mid-reply still finds the full reply stored; a reply cut short by the
    /// model is never stored.
    pub async fn chat_stream(
        &self,
        conversation_id: i64,
        user_message: &str,
        prefs: Prefs,
    ) -> Result<impl Stream<Item = ChatStreamEvent> + Send + 'static> {
        let (conversation, message) = self
            .save_user_message(conversation_id, user_message, Expect::default())
            .await?;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let _ = tx.send(ChatStreamEvent::Saved {
            user_message_id: message.id,
        });
        let engine = self.clone();
        crate::perf::spawn_in_request(async move {
            let correcting = {
                let (engine, conversation, message, tx) = (
                    engine.clone(),
                    conversation.clone(),
                    message.clone(),
                    tx.clone(),
                );
                crate::perf::spawn_in_request(async move {
                    let (corrected_text, corrections) =
                        engine.correct(&conversation, &message, prefs).await;
                    let _ = tx.send(ChatStreamEvent::Corrections {
                        corrected_text,
                        corrections,
                    });
                })
            };
            let event = match engine.stream_reply(&conversation, &tx).await {
                Ok(stored) => ChatStreamEvent::Done {
                    assistant_message_id: stored.id,
                    assistant_message: stored.content,
                },
                Err(e) => {
                    let api = e.to_api();
                    ChatStreamEvent::Error {
                        error: api.error,
                        message: api.message,
                    }
                }
            };
            let _ = correcting.await;
            let _ = tx.send(event);
        });
        Ok(tokio_stream_from(rx))
    }

    /// Streams the reply into `tx` (spans `chat.first_token` and
    /// `chat.generate_response_llm`) and stores it once complete.
    async fn stream_reply(
        &self,
        conversation: &Conversation,
        tx: &tokio::sync::mpsc::UnboundedSender<ChatStreamEvent>,
    ) -> Result<Message> {
        let request = self.reply_request(conversation).await?;
        let generate = perf_span!(INFO, "chat.generate_response_llm");
        let text = async {
            let first_token = perf_span!(INFO, "chat.first_token");
            let mut stream = self
                .inner
                .llm
                .stream(request)
                .instrument(first_token.clone())
                .await?;
            let mut first_token = Some(first_token);
            let mut text = String::new();
            while let Some(piece) = stream.next().await {
                let piece = piece?;
                first_token.take();
                text.push_str(&piece);
                let _ = tx.send(ChatStreamEvent::Token { text: piece });
            }
            if text.trim().is_empty() {
                return Err(Error::Llm("the model sent an empty reply".into()));
            }
            Ok(text)
        }
        .instrument(generate)
        .await?;
        self.save_reply(conversation.id, &text).await
    }
}

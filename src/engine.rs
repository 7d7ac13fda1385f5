//! The engine: every use case of the app, called by server functions and by
//! the thin JSON routes alike, so each has one implementation.

use crate::api::{
    ChatResponse, ChatStreamEvent, ComponentHealth, Conversation, ConversationDetail, Correction,
    Health, InitialMessageResponse, LearnerPrefs, Message, Role, TopicSummary, TutorInfo,
};
use crate::config::Config;
use crate::db::{Db, NewMessage};
use crate::domain::{topic, topics, CefrLevel, Language, Topic};
use crate::error::{Error, Result};
use crate::llm::Llm;
use crate::perf::PerfStore;
use crate::tutor::{corrections, prompts};
use crate::{perf_span, perf_timed};
use futures::{Stream, StreamExt};
use std::sync::Arc;
use tracing::Instrument;

/// Longest learner message accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Shared state of one server process. Cheap to clone. Holds nothing a
/// second process would need: all state lives in the database.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    db: Db,
    llm: Llm,
    perf: Arc<PerfStore>,
    /// One opening request per conversation at a time.
    openings: KeyedLocks,
    /// One learner message stored per conversation at a time.
    saves: KeyedLocks,
    /// The Whisper model, loaded on first use or by the warm-up.
    #[cfg(feature = "stt")]
    stt: tokio::sync::OnceCell<Arc<crate::stt::Stt>>,
    /// Decode-and-transcribe jobs running and waiting.
    #[cfg(feature = "stt")]
    speech_slots: crate::stt::slots::Slots,
}

#[cfg(feature = "stt")]
mod speech;

/// A learner's settings, resolved against the server's defaults.
#[derive(Debug, Clone, Copy)]
struct Prefs {
    native: Language,
    correction_max: Option<CefrLevel>,
}

/// Validated `language`, `difficulty_level` and `topic_id`.
fn parse_choice(
    language: &str,
    level: &str,
    topic_id: &str,
) -> Result<(Language, CefrLevel, &'static Topic)> {
    let language = Language::parse(language).ok_or_else(|| {
        let known: Vec<_> = Language::ALL.iter().map(|l| l.id()).collect();
        Error::invalid(
            "language",
            format!(
                "unknown language '{language}'; expected one of {}",
                known.join(", ")
            ),
        )
    })?;
    let level = CefrLevel::parse(level).ok_or_else(|| {
        Error::invalid(
            "difficulty_level",
            format!("unknown level '{level}'; expected A1, A2, B1, B2, C1 or C2"),
        )
    })?;
    let topic = topic(topic_id).ok_or_else(|| {
        Error::invalid(
            "topic_id",
            format!("unknown topic '{topic_id}'; GET /topics lists them"),
        )
    })?;
    Ok((language, level, topic))
}

fn validate_id(field: &'static str, id: i64) -> Result<()> {
    if id <= 0 {
        return Err(Error::invalid(
            field,
            format!("must be a positive id (got {id})"),
        ));
    }
    Ok(())
}

impl Engine {
    /// Connects to the database (applying migrations) and builds the LLM provider.
    pub async fn new(config: Config) -> Result<Engine> {
        let db = Db::connect(&config.database_url, config.db_max_connections).await?;
        let llm = Llm::from_config(&config.llm)?;
        let perf = Arc::new(PerfStore::new(config.perf_buffer));
        #[cfg(feature = "stt")]
        let speech_slots =
            crate::stt::slots::Slots::new(config.stt.max_concurrent, config.stt.max_queue);
        Ok(Engine {
            inner: Arc::new(Inner {
                config,
                db,
                llm,
                perf,
                openings: KeyedLocks::default(),
                saves: KeyedLocks::default(),
                #[cfg(feature = "stt")]
                stt: Default::default(),
                #[cfg(feature = "stt")]
                speech_slots,
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The bounded record of recent requests.
    pub fn perf_store(&self) -> Arc<PerfStore> {
        self.inner.perf.clone()
    }

    /// Loads the model in the background (span `llm.warmup`) when configured.
    pub fn spawn_warmup(&self) {
        if !self.inner.config.llm.warmup || self.inner.llm.is_demo() {
            return;
        }
        let engine = self.clone();
        tokio::spawn(async move {
            match perf_timed!(INFO, "llm.warmup", engine.inner.llm.warmup()).await {
                Ok(()) => tracing::info!("LLM warm-up done"),
                Err(e) => {
                    tracing::warn!(error = %e, "LLM warm-up failed; the first request will load the model")
                }
            }
        });
    }

    /// Topics with names in `language` (English when `None`).
    pub fn topics(&self, language: Option<Language>) -> Vec<TopicSummary> {
        let language = language.unwrap_or(Language::English);
        topics()
            .iter()
            .map(|t| {
                let text = t.text(language);
                TopicSummary {
                    id: t.id.clone(),
                    name: text.name.clone(),
                    description: text.description.clone(),
                    level_hint: t.level_hint,
                }
            })
            .collect()
    }

    /// Creates a conversation after validating every field.
    pub async fn create_conversation(
        &self,
        language: &str,
        level: &str,
        topic_id: &str,
    ) -> Result<Conversation> {
        let (language, level, topic) = parse_choice(language, level, topic_id)?;
        self.inner
            .db
            .create_conversation(language, level, &topic.id)
            .await
    }

    pub async fn list_conversations(&self) -> Result<Vec<Conversation>> {
        self.inner.db.list_conversations().await
    }

    /// A conversation, or a 404.
    pub async fn conversation(&self, id: i64) -> Result<Conversation> {
        validate_id("conversation_id", id)?;
        self.inner
            .db
            .conversation(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("conversation {id} does not exist")))
    }

    /// A conversation with all its messages.
    pub async fn conversation_detail(&self, id: i64) -> Result<ConversationDetail> {
        let conversation = self.conversation(id).await?;
        let messages = self.inner.db.messages(id).await?;
        Ok(ConversationDetail {
            conversation,
            messages,
        })
    }

    pub async fn messages(&self, id: i64) -> Result<Vec<Message>> {
        self.conversation(id).await?;
        self.inner.db.messages(id).await
    }

    pub async fn delete_conversation(&self, id: i64) -> Result<()> {
        validate_id("conversation_id", id)?;
        if self.inner.db.delete_conversation(id).await? {
            Ok(())
        } else {
            Err(Error::NotFound(format!("conversation {id} does not exist")))
        }
    }

    /// Checks that optional fields sent with a chat agree with the conversation.
    fn check_matches(
        conversation: &Conversation,
        language: Option<&str>,
        level: Option<&str>,
    ) -> Result<()> {
        if let Some(l) = language {
            match Language::parse(l) {
                Some(l) if l == conversation.language => {}
                _ => {
                    return Err(Error::invalid(
                        "language",
                        format!(
                            "'{l}' does not match the conversation's language ({})",
                            conversation.language
                        ),
                    ))
                }
            }
        }
        if let Some(l) = level {
            match CefrLevel::parse(l) {
                Some(l) if l == conversation.difficulty_level => {}
                _ => {
                    return Err(Error::invalid(
                        "difficulty_level",
                        format!(
                            "'{l}' does not match the conversation's level ({})",
                            conversation.difficulty_level
                        ),
                    ))
                }
            }
        }
        Ok(())
    }

    /// The tutor's opening message (span `initial_message.generate_llm`),
    /// stored. A conversation that already has one gets it back.
    pub async fn initial_message(
        &self,
        conversation_id: i64,
        language: &str,
        level: &str,
        topic_id: &str,
        prefs: &LearnerPrefs,
    ) -> Result<InitialMessageResponse> {
        parse_choice(language, level, topic_id)?;
        let prefs = self.resolve(prefs)?;
        let conversation = self.conversation(conversation_id).await?;
        Self::check_matches(&conversation, Some(language), Some(level))?;
        if conversation.topic_id != topic_id.trim() {
            return Err(Error::invalid(
                "topic_id",
                format!(
                    "'{topic_id}' does not match the conversation's topic ({})",
                    conversation.topic_id
                ),
            ));
        }
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
            corrections: None,
            message_id: m.id,
        }
    }

    /// Validates and stores the learner's message before any LLM call
    /// (span `chat.save_user_message`), so a failing model loses nothing.
    async fn save_user_message(
        &self,
        conversation_id: i64,
        user_message: &str,
        language: Option<&str>,
        level: Option<&str>,
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
        Self::check_matches(&conversation, language, level)?;
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
                    conversation_id,
                    role: Role::User,
                    content: text,
                    translation: None,
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
        let request = prompts::correction_request(
            conversation.language,
            conversation.difficulty_level,
            &message.content,
            prefs.native,
        );
        let result = async {
            let raw = self.inner.llm.complete(request).await?;
            corrections::parse(&raw, &message.content).ok_or_else(|| {
                Error::Llm(format!(
                    "unusable corrections answer: {}",
                    raw.chars().take(200).collect::<String>()
                ))
            })
        }
        .instrument(perf_span!(INFO, "chat.correct_text"))
        .await;
        match result {
            Ok(found) => {
                if let Err(e) = self
                    .inner
                    .db
                    .set_corrections(message.id, &found.0, &found.1)
                    .await
                {
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

    async fn save_reply(&self, conversation_id: i64, text: &str) -> Result<Message> {
        perf_timed!(
            "chat.save_assistant_message",
            self.inner.db.insert_message(NewMessage {
                conversation_id,
                role: Role::Assistant,
                content: text.trim(),
                translation: None,
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
        language: Option<&str>,
        level: Option<&str>,
        prefs: &LearnerPrefs,
    ) -> Result<ChatResponse> {
        let prefs = self.resolve(prefs)?;
        let (conversation, message) = self
            .save_user_message(conversation_id, user_message, language, level)
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
            translation: None,
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
        prefs: &LearnerPrefs,
    ) -> Result<impl Stream<Item = ChatStreamEvent> + Send + 'static> {
        let prefs = self.resolve(prefs)?;
        let (conversation, message) = self
            .save_user_message(conversation_id, user_message, None, None)
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
                    translation: None,
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

    /// A tutor message in the learner's own language; computed once, then stored.
    pub async fn translate(&self, message_id: i64, prefs: &LearnerPrefs) -> Result<String> {
        validate_id("message_id", message_id)?;
        let prefs = self.resolve(prefs)?;
        let message = self
            .inner
            .db
            .message(message_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("message {message_id} does not exist")))?;
        if let Some(t) = message.translation {
            return Ok(t);
        }
        let conversation = self.conversation(message.conversation_id).await?;
        let request =
            prompts::translation_request(conversation.language, &message.content, prefs.native);
        let text =
            perf_timed!(INFO, "chat.translate_llm", self.inner.llm.complete(request)).await?;
        let text = text.trim().to_string();
        self.inner.db.set_translation(message_id, &text).await?;
        Ok(text)
    }

    /// A learner's settings over the server's defaults, validated.
    fn resolve(&self, p: &LearnerPrefs) -> Result<Prefs> {
        let c = &self.inner.config;
        let native = match p.native_language.as_deref().map(str::trim) {
            None | Some("") => c.native_language,
            Some(l) => Language::parse(l).ok_or_else(|| {
                Error::invalid("native_language", format!("unknown language '{l}'"))
            })?,
        };
        let correction_max = match p.correction_max_level.as_deref().map(str::trim) {
            None | Some("") => c.correction_max_level,
            Some("off") | Some("0") => None,
            Some(l) => Some(CefrLevel::parse(l).ok_or_else(|| {
                Error::invalid(
                    "correction_max_level",
                    format!("'{l}' is not A1..C2 or off"),
                )
            })?),
        };
        Ok(Prefs {
            native,
            correction_max,
        })
    }

    /// Which tutor answers, without asking it.
    pub fn tutor_info(&self) -> TutorInfo {
        let c = &self.inner.config;
        TutorInfo {
            provider: c.llm.provider.id().to_string(),
            model: c.llm.model.clone(),
            demo: self.inner.llm.is_demo(),
            correction_max_level: c.correction_max_level,
            native_language: c.native_language,
        }
    }

    /// Database, LLM and speech status.
    pub async fn health(&self) -> Health {
        let database = match self.inner.db.ping().await {
            Ok(()) => ComponentHealth {
                status: "ok".into(),
                detail: format!("{:?}", self.inner.db.backend()).to_lowercase(),
            },
            Err(e) => ComponentHealth {
                status: "unavailable".into(),
                detail: e.to_string(),
            },
        };
        let llm = self.inner.llm.health().await;
        let speech = self.speech_health();
        let status = if database.status == "ok" && llm.status == "ok" {
            "ok"
        } else {
            "degraded"
        };
        Health {
            status: status.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            database,
            llm,
            speech,
        }
    }
}

#[cfg(not(feature = "stt"))]
impl Engine {
    fn speech_health(&self) -> ComponentHealth {
        ComponentHealth {
            status: "unavailable".into(),
            detail: "built without the `stt` feature".into(),
        }
    }
}

/// Async locks by key (a conversation id), made on first use and dropped
/// when their last holder is done, so the map holds only keys in use.
#[derive(Default)]
struct KeyedLocks(std::sync::Mutex<std::collections::HashMap<i64, Arc<tokio::sync::Mutex<()>>>>);

/// A held [`KeyedLocks`] lock; forgets the key when it is the last user.
struct KeyedGuard<'a> {
    locks: &'a KeyedLocks,
    key: i64,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    async fn lock(&self, key: i64) -> KeyedGuard<'_> {
        let lock = {
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            // A waiter that was cancelled leaves its key behind: sweep now and then.
            if map.len() > 64 {
                map.retain(|_, l| Arc::strong_count(l) > 1);
            }
            map.entry(key).or_default().clone()
        };
        KeyedGuard {
            locks: self,
            key,
            guard: Some(lock.lock_owned().await),
        }
    }
}

impl Drop for KeyedGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut map = self.locks.0.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map's own reference is left: nobody holds or waits.
        if map
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            map.remove(&self.key);
        }
    }
}

/// An mpsc receiver as a stream.
fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

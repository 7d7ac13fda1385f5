//! The engine: every use case of the app, called by server functions and by
//! the thin JSON routes alike, so each has one implementation. One file per
//! use case, as mini-redis keeps one command per file:
//!
//! - [`accounts`]: sign up, sign in, passwords, export, deletion, admin.
//! - [`conversations`]: create, list, open, delete.
//! - [`chat`]: the opening, a chat turn, the streamed turn.
//! - [`translate`]: tutor messages in the learner's language.
//! - [`lessons`], [`review`], [`placement`], [`progress`]: learning beyond
//!   chat (content and scheduling rules in [`crate::learn`]).
//! - `speech`: transcription (feature `stt`).
//!
//! Methods take typed values; [`input`] parses a request's fields into them
//! at the edge, once. Each request's engine carries the learner it acts for
//! ([`Engine::as_learner`]); every use case that touches a learner's rows
//! asks [`Engine::me`], so an engine without one answers 401 and another
//! learner's id is a 404.

pub mod accounts;
mod chat;
pub mod conversations;
pub mod input;
pub mod lessons;
mod locks;
pub mod placement;
pub mod progress;
pub mod review;
#[cfg(feature = "stt")]
mod speech;
mod translate;
mod voice;

pub use conversations::Expect;
pub use input::Prefs;

use crate::api::{ComponentHealth, Health, LearnerPrefs, TutorInfo};
use crate::auth::Learner;
use crate::config::Config;
use crate::db::Db;
use crate::error::Result;
use crate::llm::Llm;
use crate::perf::PerfStore;
use crate::perf_timed;
use futures::Stream;
use locks::KeyedLocks;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How old a `/health` snapshot may be before it is refreshed.
pub const HEALTH_FRESH: Duration = Duration::from_secs(1);

/// Longest learner message accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Shared state of one server process. Cheap to clone. Holds nothing a
/// second process would need: all state lives in the database.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
    /// Who this request acts for; `None` until [`Engine::as_learner`].
    learner: Option<Learner>,
}

struct Inner {
    config: Config,
    db: Db,
    llm: Llm,
    /// Why this provider answers (`auto` picked it, or the setting named it).
    llm_why: String,
    perf: Arc<PerfStore>,
    /// One opening request per conversation at a time.
    openings: KeyedLocks,
    /// One learner message stored per conversation at a time.
    saves: KeyedLocks,
    /// The last `/health` answer and when it was checked.
    health: Mutex<Option<(Instant, Health)>>,
    health_refreshing: AtomicBool,
    /// The Whisper model, loaded on first use or by the warm-up.
    #[cfg(feature = "stt")]
    stt: tokio::sync::OnceCell<Arc<crate::stt::Stt>>,
    /// Decode-and-transcribe jobs running and waiting.
    #[cfg(feature = "stt")]
    speech_slots: crate::stt::slots::Slots,
}

impl Engine {
    /// Connects to the database (applying migrations) and builds the LLM provider.
    pub async fn new(config: Config) -> Result<Engine> {
        crate::learn::content::check()
            .map_err(|e| crate::Error::Internal(format!("learning content: {e}")))?;
        let db = Db::connect(&config.database_url, config.db_max_connections).await?;
        let (llm, llm_why) = Llm::choose(&config.llm).await?;
        tracing::info!(provider = llm.provider_id(), "tutor: {llm_why}");
        let perf = Arc::new(PerfStore::new(config.perf_buffer));
        #[cfg(feature = "stt")]
        let speech_slots =
            crate::stt::slots::Slots::new(config.stt.max_concurrent, config.stt.max_queue);
        Ok(Engine {
            inner: Arc::new(Inner {
                config,
                db,
                llm,
                llm_why,
                perf,
                openings: KeyedLocks::default(),
                saves: KeyedLocks::default(),
                health: Mutex::new(None),
                health_refreshing: AtomicBool::new(false),
                #[cfg(feature = "stt")]
                stt: Default::default(),
                #[cfg(feature = "stt")]
                speech_slots,
            }),
            learner: None,
        })
    }

    /// This engine acting for `learner`: every use case reads and writes
    /// that learner's rows only.
    pub fn as_learner(&self, learner: Learner) -> Engine {
        Engine {
            inner: self.inner.clone(),
            learner: Some(learner),
        }
    }

    /// This engine acting for the learner the server's auth layer put in a
    /// request's extensions; unscoped (every learner's use case a 401) when
    /// there is none. Routes and server functions both call this.
    pub fn for_request(&self, extensions: &http::Extensions) -> Engine {
        match extensions.get::<Learner>() {
            Some(l) => self.as_learner(*l),
            None => self.clone(),
        }
    }

    /// The learner this engine acts for.
    pub fn learner(&self) -> Option<Learner> {
        self.learner
    }

    /// The id of the learner this engine acts for, or 401.
    pub fn me(&self) -> Result<i64> {
        self.learner
            .map(|l| l.id)
            .ok_or_else(|| crate::Error::Unauthorized(crate::auth::NOT_SIGNED_IN.into()))
    }

    /// Succeeds for an admin; 401 with no learner, 403 for a learner.
    pub fn require_admin(&self) -> Result<()> {
        match self.learner {
            Some(l) if l.admin => Ok(()),
            Some(_) => Err(crate::Error::Forbidden(
                "Only an admin can see this page.".into(),
            )),
            None => Err(crate::Error::Unauthorized(
                crate::auth::NOT_SIGNED_IN.into(),
            )),
        }
    }

    /// Where sign-in sessions are stored (the app's database).
    pub fn session_store(&self) -> crate::db::sessions::DbSessions {
        crate::db::sessions::DbSessions::new(self.inner.db.clone())
    }

    /// The settings it runs with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// A learner's settings sent with a request, over this server's defaults.
    pub fn prefs(&self, raw: &LearnerPrefs) -> Result<Prefs> {
        Prefs::resolve(raw, &self.inner.config)
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

    /// Which tutor answers, without asking it.
    pub fn tutor_info(&self) -> TutorInfo {
        let c = &self.inner.config;
        TutorInfo {
            provider: self.inner.llm.provider_id().to_string(),
            model: self.inner.llm.model_name(&c.llm),
            why: self.inner.llm_why.clone(),
            demo: self.inner.llm.is_demo(),
            correction_max_level: c.correction_max_level,
            native_language: c.native_language,
        }
    }

    /// Database, LLM and speech status, from a snapshot at most
    /// [`HEALTH_FRESH`] old: an older one is answered at once and refreshed in
    /// the background, so a probe never queues behind busy database
    /// connections or a loaded LLM (under 200 concurrent chats a fresh check
    /// took /health's p99 to 120-200 ms). Only the first call checks inline.
    pub async fn health(&self) -> Health {
        let cached = self
            .inner
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match cached {
            Some((at, health)) => {
                let stale = at.elapsed() > HEALTH_FRESH;
                if stale && !self.inner.health_refreshing.swap(true, Ordering::SeqCst) {
                    let engine = self.clone();
                    tokio::spawn(async move {
                        engine.refresh_health().await;
                        engine
                            .inner
                            .health_refreshing
                            .store(false, Ordering::SeqCst);
                    });
                }
                health
            }
            None => self.refresh_health().await,
        }
    }

    async fn refresh_health(&self) -> Health {
        let health = self.check_health().await;
        *self.inner.health.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), health.clone()));
        health
    }

    /// Asks the database, the LLM and the speech service now.
    async fn check_health(&self) -> Health {
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
        let mut llm = self.inner.llm.health().await;
        llm.why = self.inner.llm_why.clone();
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

/// An mpsc receiver as a stream.
pub(super) fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

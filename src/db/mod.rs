//! The database: SQLite by default, PostgreSQL when `DATABASE_URL` says so.
//! Queries live next to what they store: `conversations`, `messages`,
//! [`review`] (the deck and its log), `learning` (lessons, placement, levels,
//! progress), [`activity`] (per-day counts), [`users`] (accounts, export,
//! deletion) and [`sessions`] (sign-in sessions). Every learner's row carries
//! its `user_id`; each query here takes the learner and filters by it.
//!
//! One set of queries serves both through sqlx's `Any` driver: `$N`
//! placeholders (each used once, in order), integer ids, and times as Unix
//! milliseconds. Each backend has its own migrations folder.

use crate::api::Role;
use crate::error::{Error, Result};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::ConnectOptions;
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Which database `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A pool of connections to the app's database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// A message about to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// The learner whose conversation it is (checked by the caller).
    pub learner: i64,
    pub conversation_id: i64,
    pub role: Role,
    pub content: &'a str,
    /// A learner's message counts towards their progress in this language
    /// (`activity_days`), in the same transaction; `None` for the tutor's.
    pub counts_for: Option<crate::domain::Language>,
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub mod activity;
mod attempts;
mod conversations;
mod learning;
mod messages;
pub mod review;
pub mod sessions;
pub mod users;

pub use learning::DeckCounts;
pub use review::{NewCard, StoredCard};

const CONVERSATION_COLUMNS: &str =
    "c.id, c.language, c.difficulty_level, c.topic_id, c.created_at, \
     COALESCE(MAX(m.created_at), c.created_at) AS updated_at, COUNT(m.id) AS message_count";
const MESSAGE_COLUMNS: &str =
    "id, conversation_id, role, content, translation, corrected_text, corrections, created_at";

impl Db {
    /// Connects and applies migrations. SQLite files are created when missing
    /// and run in WAL mode with a busy timeout, so concurrent writers wait
    /// instead of failing with "database is locked".
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(Error::Internal(format!(
                "DATABASE_URL must start with sqlite: or postgres:// (got '{}')",
                url.split(':').next().unwrap_or("")
            )));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        // No sqlx statement logging: the `db.*` perf spans time every query,
        // and sqlx's per-query dynamic `tracing::enabled!` check can leave
        // per-layer filter state behind (tokio-rs/tracing#2519).
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 15000; \
                             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let db = Db { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| Error::Internal(format!("migrations failed: {e}")))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

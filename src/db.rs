//! The database: SQLite by default, PostgreSQL when `DATABASE_URL` says so.
//!
//! One set of queries serves both through sqlx's `Any` driver: `$N`
//! placeholders (each used once, in order), integer ids, and times as Unix
//! milliseconds. Each backend has its own migrations folder.

use crate::api::{Conversation, Correction, Message, Role};
use crate::domain::{CefrLevel, Language};
use crate::error::{Error, Result};
use crate::perf_timed;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::ConnectOptions;
use sqlx::{AnyPool, Executor, Row};
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
    pub conversation_id: i64,
    pub role: Role,
    pub content: &'a str,
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

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

    /// Stores a new conversation.
    pub async fn create_conversation(
        &self,
        language: Language,
        level: CefrLevel,
        topic_id: &str,
    ) -> Result<Conversation> {
        let now = now_ms();
        let row = perf_timed!(
            "db.create_conversation",
            sqlx::query(
                "INSERT INTO conversations (language, difficulty_level, topic_id, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(language.id())
            .bind(level.id())
            .bind(topic_id)
            .bind(now)
            .fetch_one(&self.pool)
        )
        .await?;
        Ok(Conversation {
            id: row.try_get("id")?,
            language,
            difficulty_level: level,
            topic_id: topic_id.to_string(),
            topic_name: topic_name(topic_id, language),
            created_at: now,
            updated_at: now,
            message_count: 0,
        })
    }

    /// All conversations, most recently active first.
    pub async fn list_conversations(&self) -> Result<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c \
             LEFT JOIN messages m ON m.conversation_id = c.id \
             GROUP BY c.id, c.language, c.difficulty_level, c.topic_id, c.created_at \
             ORDER BY updated_at DESC, c.id DESC"
        );
        let rows = perf_timed!(
            "db.list_conversations",
            sqlx::query(&sql).fetch_all(&self.pool)
        )
        .await?;
        rows.iter().map(conversation_from_row).collect()
    }

    /// One conversation, if it exists.
    pub async fn conversation(&self, id: i64) -> Result<Option<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c \
             LEFT JOIN messages m ON m.conversation_id = c.id WHERE c.id = $1 \
             GROUP BY c.id, c.language, c.difficulty_level, c.topic_id, c.created_at"
        );
        let row = perf_timed!(
            "db.get_conversation",
            sqlx::query(&sql).bind(id).fetch_optional(&self.pool)
        )
        .await?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    /// Deletes a conversation and its messages; false when there was none.
    pub async fn delete_conversation(&self, id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM messages WHERE conversation_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM conversations WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Stores a message and returns it with its id.
    pub async fn insert_message(&self, m: NewMessage<'_>) -> Result<Message> {
        let now = now_ms();
        let row = sqlx::query(
            "INSERT INTO messages (conversation_id, role, content, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(m.conversation_id)
        .bind(m.role.id())
        .bind(m.content)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d)
                if d.message().to_ascii_lowercase().contains("foreign key") =>
            {
                Error::NotFound(format!("conversation {} does not exist", m.conversation_id))
            }
            _ => Error::Database(e),
        })?;
        Ok(Message {
            id: row.try_get("id")?,
            conversation_id: m.conversation_id,
            role: m.role,
            content: m.content.to_string(),
            translation: None,
            corrected_text: None,
            corrections: None,
            created_at: now,
        })
    }

    /// Stores a conversation's opening unless it has one already; `None`
    /// when another request stored it first (the unique index on openings
    /// decides, across processes too).
    pub async fn insert_opening(
        &self,
        conversation_id: i64,
        content: &str,
        translation: Option<&str>,
    ) -> Result<Option<Message>> {
        let now = now_ms();
        let opening = match self.backend {
            Backend::Sqlite => "1",
            Backend::Postgres => "TRUE",
        };
        let sql = format!(
            "INSERT INTO messages (conversation_id, role, content, translation, created_at, opening) \
             VALUES ($1, 'assistant', $2, $3, $4, {opening}) ON CONFLICT DO NOTHING RETURNING id"
        );
        let row = sqlx::query(&sql)
            .bind(conversation_id)
            .bind(content)
            .bind(translation)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Message {
                id: row.try_get("id")?,
                conversation_id,
                role: Role::Assistant,
                content: content.to_string(),
                translation: translation.map(str::to_string),
                corrected_text: None,
                corrections: None,
                created_at: now,
            })
        })
        .transpose()
    }

    /// The conversation's first tutor message: its opening.
    pub async fn first_tutor_message(&self, conversation_id: i64) -> Result<Option<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND role = 'assistant' ORDER BY id LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .bind(conversation_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(message_from_row).transpose()
    }

    /// The conversation's last message, if any.
    pub async fn last_message(&self, conversation_id: i64) -> Result<Option<Message>> {
        Ok(self.recent_messages(conversation_id, 1).await?.pop())
    }

    /// Attaches corrections to a stored learner message.
    pub async fn set_corrections(
        &self,
        message_id: i64,
        corrected_text: &str,
        corrections: &[Correction],
    ) -> Result<()> {
        let json =
            serde_json::to_string(corrections).map_err(|e| Error::Internal(e.to_string()))?;
        perf_timed!(
            "db.save_corrections",
            sqlx::query("UPDATE messages SET corrected_text = $1, corrections = $2 WHERE id = $3")
                .bind(corrected_text)
                .bind(json)
                .bind(message_id)
                .execute(&self.pool)
        )
        .await?;
        Ok(())
    }

    /// One message, if it exists.
    pub async fn message(&self, id: i64) -> Result<Option<Message>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(message_from_row).transpose()
    }

    /// Stores the translation of a tutor message.
    pub async fn set_translation(&self, message_id: i64, translation: &str) -> Result<()> {
        sqlx::query("UPDATE messages SET translation = $1 WHERE id = $2")
            .bind(translation)
            .bind(message_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every message of a conversation, oldest first.
    pub async fn messages(&self, conversation_id: i64) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY id"
        );
        let rows = perf_timed!(
            "db.list_messages",
            sqlx::query(&sql)
                .bind(conversation_id)
                .fetch_all(&self.pool)
        )
        .await?;
        rows.iter().map(message_from_row).collect()
    }

    /// The last `limit` messages of a conversation, oldest first.
    pub async fn recent_messages(
        &self,
        conversation_id: i64,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY id DESC LIMIT $2"
        );
        let rows = perf_timed!(
            "db.recent_messages",
            sqlx::query(&sql)
                .bind(conversation_id)
                .bind(limit as i64)
                .fetch_all(&self.pool)
        )
        .await?;
        let mut messages = rows
            .iter()
            .map(message_from_row)
            .collect::<Result<Vec<_>>>()?;
        messages.reverse();
        Ok(messages)
    }
}

/// A topic's name in `language`; the id itself for a topic no longer in the
/// catalogue.
fn topic_name(topic_id: &str, language: Language) -> String {
    crate::domain::topic(topic_id)
        .map(|t| t.text(language).name.clone())
        .unwrap_or_else(|| topic_id.to_string())
}

fn conversation_from_row(row: &AnyRow) -> Result<Conversation> {
    let language: String = row.try_get("language")?;
    let level: String = row.try_get("difficulty_level")?;
    let language = Language::parse(&language)
        .ok_or_else(|| Error::Internal(format!("stored language '{language}' is unknown")))?;
    let topic_id: String = row.try_get("topic_id")?;
    Ok(Conversation {
        id: row.try_get("id")?,
        language,
        difficulty_level: CefrLevel::parse(&level)
            .ok_or_else(|| Error::Internal(format!("stored level '{level}' is unknown")))?,
        topic_name: topic_name(&topic_id, language),
        topic_id,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        message_count: row.try_get("message_count")?,
    })
}

fn message_from_row(row: &AnyRow) -> Result<Message> {
    let role: String = row.try_get("role")?;
    let corrections: Option<String> = row.try_get("corrections")?;
    Ok(Message {
        id: row.try_get("id")?,
        conversation_id: row.try_get("conversation_id")?,
        role: if role == "user" {
            Role::User
        } else {
            Role::Assistant
        },
        content: row.try_get("content")?,
        translation: row.try_get("translation")?,
        corrected_text: row.try_get("corrected_text")?,
        corrections: corrections.and_then(|c| serde_json::from_str(&c).ok()),
        created_at: row.try_get("created_at")?,
    })
}

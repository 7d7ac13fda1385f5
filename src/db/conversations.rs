//! Conversations: create, list, open, delete.

use super::{now_ms, Db, CONVERSATION_COLUMNS};
use crate::api::Conversation;
use crate::domain::{CefrLevel, Language};
use crate::error::{Error, Result};
use crate::perf_timed;
use sqlx::any::AnyRow;
use sqlx::Row;

impl Db {
    /// Stores a new conversation.
    pub async fn create_conversation(
        &self,
        learner: i64,
        language: Language,
        level: CefrLevel,
        topic_id: &str,
    ) -> Result<Conversation> {
        let now = now_ms();
        let row = perf_timed!(
            "db.create_conversation",
            sqlx::query(
                "INSERT INTO conversations (user_id, language, difficulty_level, topic_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(learner)
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

    /// A learner's conversations, most recently active first.
    pub async fn list_conversations(&self, learner: i64) -> Result<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c \
             LEFT JOIN messages m ON m.conversation_id = c.id WHERE c.user_id = $1 \
             GROUP BY c.id, c.language, c.difficulty_level, c.topic_id, c.created_at \
             ORDER BY updated_at DESC, c.id DESC"
        );
        let rows = perf_timed!(
            "db.list_conversations",
            sqlx::query(&sql).bind(learner).fetch_all(&self.pool)
        )
        .await?;
        rows.iter().map(conversation_from_row).collect()
    }

    /// One of a learner's conversations, if it exists and is theirs.
    pub async fn conversation(&self, learner: i64, id: i64) -> Result<Option<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations c \
             LEFT JOIN messages m ON m.conversation_id = c.id WHERE c.id = $1 AND c.user_id = $2 \
             GROUP BY c.id, c.language, c.difficulty_level, c.topic_id, c.created_at"
        );
        let row = perf_timed!(
            "db.get_conversation",
            sqlx::query(&sql)
                .bind(id)
                .bind(learner)
                .fetch_optional(&self.pool)
        )
        .await?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    /// Deletes a learner's conversation and its messages; false when they
    /// have none by that id.
    pub async fn delete_conversation(&self, learner: i64, id: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM messages WHERE conversation_id = \
             (SELECT id FROM conversations WHERE id = $1 AND user_id = $2)",
        )
        .bind(id)
        .bind(learner)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM conversations WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(learner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
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

//! Messages: the learner's and the tutor's, their corrections and translations.

use super::activity::{self, Counts};
use super::review::{insert_cards, NewCard};
use super::{now_ms, Backend, Db, NewMessage, MESSAGE_COLUMNS};
use crate::api::{CardKind, Correction, Message, Role};
use crate::domain::Language;
use crate::error::{Error, Result};
use crate::perf_timed;
use sqlx::any::AnyRow;
use sqlx::Row;

impl Db {
    /// Stores a message and returns it with its id. A learner's message is
    /// counted towards their progress in the same transaction.
    pub async fn insert_message(&self, m: NewMessage<'_>) -> Result<Message> {
        let now = now_ms();
        let insert = || {
            sqlx::query(
                "INSERT INTO messages (conversation_id, role, content, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(m.conversation_id)
            .bind(m.role.id())
            .bind(m.content)
            .bind(now)
        };
        let not_found = |e: sqlx::Error| match &e {
            sqlx::Error::Database(d)
                if d.message().to_ascii_lowercase().contains("foreign key") =>
            {
                Error::NotFound(format!("conversation {} does not exist", m.conversation_id))
            }
            _ => Error::Database(e),
        };
        let row = match m.counts_for {
            None => insert().fetch_one(&self.pool).await.map_err(not_found)?,
            Some(language) => {
                let mut tx = self.pool.begin().await?;
                let row = insert().fetch_one(&mut *tx).await.map_err(not_found)?;
                activity::bump(&mut tx, m.learner, language, now, Counts::message()).await?;
                tx.commit().await?;
                row
            }
        };
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

    /// Attaches corrections to a stored learner message and adds each to the
    /// learner's review deck as a mistake card (what they wrote → the fix,
    /// with the explanation), in one transaction.
    pub async fn set_corrections(
        &self,
        learner: i64,
        message_id: i64,
        language: Language,
        corrected_text: &str,
        corrections: &[Correction],
    ) -> Result<()> {
        let json =
            serde_json::to_string(corrections).map_err(|e| Error::Internal(e.to_string()))?;
        let cards: Vec<NewCard> = corrections
            .iter()
            .enumerate()
            .map(|(i, c)| NewCard {
                language,
                kind: CardKind::Mistake,
                source_key: format!("{message_id}:{i}"),
                front: c.original.clone(),
                back: c.corrected.clone(),
                note: c.explanation.clone(),
                correction_kind: Some(c.kind.label()),
                message_id: Some(message_id),
            })
            .collect();
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE messages SET corrected_text = $1, corrections = $2 WHERE id = $3")
            .bind(corrected_text)
            .bind(json)
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
        insert_cards(&mut tx, learner, &cards).await?;
        perf_timed!("db.save_corrections", tx.commit()).await?;
        Ok(())
    }

    /// One message, if it exists in one of the learner's conversations.
    pub async fn message(&self, learner: i64, id: i64) -> Result<Option<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1 AND conversation_id IN \
             (SELECT id FROM conversations WHERE user_id = $2)"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(learner)
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

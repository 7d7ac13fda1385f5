//! Accounts and invitations, and the two things a learner may do with all
//! of their rows: take them away (export) and delete them.

use super::{now_ms, Db};
use crate::api::AccountInfo;
use crate::error::{Error, Result};
use crate::perf_timed;
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{Column, Row};

/// A stored account.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: Option<String>,
    pub password_hash: Option<String>,
    pub admin: bool,
    pub disabled: bool,
    pub created_at: i64,
}

impl User {
    /// The account as its owner or an admin sees it (no hash).
    pub fn info(&self) -> AccountInfo {
        AccountInfo {
            id: self.id,
            username: self.username.clone().unwrap_or_default(),
            admin: self.admin,
            disabled: self.disabled,
            created_at: self.created_at,
        }
    }
}

/// How a new account may join.
#[derive(Debug, Clone, Copy)]
pub enum Join<'a> {
    /// As the first account: only while the local learner is unclaimed.
    First,
    /// With an invitation (the token's hash), used up in the same transaction.
    Invited(&'a str),
    /// Sign-up is open.
    Open,
}

// sqlx's `Any` driver cannot read SQLite BOOLEAN columns: flags are read as 0/1.
const USER_COLUMNS: &str = "id, username, password_hash, \
     CASE WHEN is_admin THEN 1 ELSE 0 END AS is_admin, \
     CASE WHEN disabled THEN 1 ELSE 0 END AS disabled, created_at";

/// Every table holding a learner's rows, with what an export holds of it
/// (every column of the learner's data; flags as 0/1, which the `Any` driver
/// can read on SQLite). Each table's rows point only at tables above it, so
/// deleting goes bottom up.
const OWNED: [(&str, &str); 9] = [
    (
        "conversations",
        "id, language, difficulty_level, topic_id, created_at",
    ),
    (
        "messages",
        "id, conversation_id, role, content, translation, corrected_text, corrections, created_at",
    ),
    (
        "review_cards",
        "id, language, kind, source_key, front, back, note, correction_kind, message_id, \
      stability, difficulty, reps, lapses, due_at, last_review_at, created_at",
    ),
    (
        "review_log",
        "id, card_id, language, rep, rating, reviewed_at, elapsed_days, interval_days, \
      stability, difficulty",
    ),
    (
        "exercise_answers",
        "id, language, exercise_id, answer, \
      CASE WHEN correct THEN 1 ELSE 0 END AS correct, created_at",
    ),
    (
        "lesson_completions",
        "id, language, lesson_kind, lesson_id, score, total, completed_at",
    ),
    (
        "placement_attempts",
        "id, language, level, score, total, by_level, answers, created_at",
    ),
    ("user_levels", "language, level, source, updated_at"),
    (
        "activity_days",
        "language, day, messages, reviews, reviews_passed, lessons",
    ),
];

impl Db {
    /// An account by id.
    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// An account by (lower-cased) username.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row = perf_timed!(
            "db.user_by_name",
            sqlx::query(&sql).bind(username).fetch_optional(&self.pool)
        )
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Every account with a name, oldest first.
    pub async fn users(&self) -> Result<Vec<User>> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users WHERE username IS NOT NULL ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Creates an account. The first one takes over the local learner (id
    /// 1, an admin, owner of every row written before accounts), so nothing
    /// written without accounts is lost. `None` when the name is taken.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        join: Join<'_>,
    ) -> Result<Option<User>> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let id = if let Join::First = join {
            // Only the first account may claim the local learner: a later one
            // (even after the first admin left) is never learner 1.
            let claimed = sqlx::query(
                "UPDATE users SET username = $1, password_hash = $2, created_at = $3 \
                 WHERE id = 1 AND username IS NULL",
            )
            .bind(username)
            .bind(password_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() != 1 {
                return Err(Error::Conflict(
                    "Another account was just created first; ask its owner for an invitation."
                        .into(),
                ));
            }
            1
        } else {
            let inserted = sqlx::query(
                "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(username)
            .bind(password_hash)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            match inserted {
                Some(row) => row.try_get("id")?,
                None => return Ok(None),
            }
        };
        if let Join::Invited(hash) = join {
            let used = sqlx::query(
                "UPDATE invites SET used_by = $1 WHERE token_hash = $2 AND used_by IS NULL \
                 AND expires_at > $3",
            )
            .bind(id)
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if used.rows_affected() != 1 {
                return Err(Error::invalid(
                    "invite",
                    "this invitation link is not valid (used, expired or mistyped)",
                ));
            }
        }
        tx.commit().await?;
        self.user(id).await
    }

    /// Whether any account has been created yet (the local learner claimed).
    pub async fn has_accounts(&self) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE username IS NOT NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// Replaces a learner's password hash.
    pub async fn set_password(&self, id: i64, password_hash: &str) -> Result<()> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Disables or re-enables an account; a disabled one loses its sessions.
    pub async fn set_disabled(&self, id: i64, disabled: bool) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done =
            sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2 AND username IS NOT NULL")
                .bind(disabled)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends every session of a learner except `keep` (a session id).
    pub async fn end_sessions(&self, id: i64, keep: Option<&str>) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(id)
            .bind(keep.unwrap_or(""))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores an invitation (its token's hash) valid until `expires_at`.
    pub async fn create_invite(&self, by: i64, token_hash: &str, expires_at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO invites (token_hash, created_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(by)
        .bind(now_ms())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deletes a learner and every row they own, in one transaction. The
    /// local learner's row (id 1) is kept, emptied, for `BABBLR_AUTH=off`.
    pub async fn delete_user(&self, id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for (table, _) in OWNED.iter().rev() {
            sqlx::query(&format!("DELETE FROM {table} WHERE {}", owned_by(table)))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if id == 1 {
            sqlx::query(
                "UPDATE users SET username = NULL, password_hash = NULL, disabled = $1 WHERE id = 1",
            )
            .bind(false)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        perf_timed!("db.delete_user", tx.commit()).await?;
        Ok(())
    }

    /// Every row a learner owns, table by table, as JSON objects (column →
    /// value): their copy of their data. Messages are those of their
    /// conversations.
    pub async fn export_user(&self, id: i64) -> Result<Map<String, Value>> {
        let mut out = Map::new();
        for (table, columns) in OWNED {
            let sql = format!(
                "SELECT {columns} FROM {table} WHERE {} ORDER BY 1",
                owned_by(table)
            );
            let rows = sqlx::query(&sql).bind(id).fetch_all(&self.pool).await?;
            out.insert(table.into(), rows_json(&rows));
        }
        Ok(out)
    }
}

/// The condition selecting learner `$1`'s rows of `table`: messages belong
/// to them through their conversations, every other table by `user_id`.
fn owned_by(table: &str) -> &'static str {
    match table {
        "messages" => "conversation_id IN (SELECT id FROM conversations WHERE user_id = $1)",
        _ => "user_id = $1",
    }
}

/// Rows as JSON objects, whatever their columns: integers, reals and text as
/// themselves, anything else as null.
fn rows_json(rows: &[AnyRow]) -> Value {
    Value::Array(
        rows.iter()
            .map(|row| {
                let mut obj = Map::new();
                for (i, col) in row.columns().iter().enumerate() {
                    let v = if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                        v.map(Value::from).unwrap_or(Value::Null)
                    } else if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
                        v.map(Value::from).unwrap_or(Value::Null)
                    } else if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                        v.map(Value::from).unwrap_or(Value::Null)
                    } else {
                        Value::Null
                    };
                    obj.insert(col.name().to_string(), v);
                }
                Value::Object(obj)
            })
            .collect(),
    )
}

fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        admin: flag(row, "is_admin")?,
        disabled: flag(row, "disabled")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A flag selected as 0/1.
fn flag(row: &AnyRow, column: &str) -> Result<bool> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

//! Attempts counted by the sign-in and sign-up limits ([`crate::auth::limits`]).

use super::Db;
use crate::error::Result;
use sqlx::Row;

/// Attempts older than this are deleted as new ones arrive (the longest
/// limit window is an hour).
const KEEP_MS: i64 = 24 * 3_600_000;

impl Db {
    /// How many attempts `key` made at or after `since` (Unix ms), and when
    /// the oldest of them was.
    pub async fn attempts(&self, key: &str, since: i64) -> Result<(i64, Option<i64>)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM auth_attempts WHERE key = $1 AND at >= $2",
        )
        .bind(key)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get("n")?, row.try_get("oldest")?))
    }

    /// Counts an attempt by `key` at `at`, and forgets day-old ones.
    pub async fn add_attempt(&self, key: &str, at: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM auth_attempts WHERE at < $1")
            .bind(at - KEEP_MS)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO auth_attempts (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets every attempt by `key`.
    pub async fn clear_attempts(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM auth_attempts WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

//! Where sign-in sessions are kept: tower-sessions' records in the app's
//! own database (SQLite or PostgreSQL through the same `Any` pool), so every
//! server process sees every session. tower-sessions makes the ids (128
//! random bits), sets the cookie and rotates the id at sign-in; this file
//! only stores records.

use super::{now_ms, Db};
use crate::auth::session::LEARNER_KEY;
use async_trait::async_trait;
use sqlx::Row;
use std::collections::HashMap;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// A [`SessionStore`] over [`Db`].
#[derive(Debug, Clone)]
pub struct DbSessions {
    db: Db,
}

impl DbSessions {
    pub fn new(db: Db) -> DbSessions {
        DbSessions { db }
    }
}

fn store_err(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

/// A record's columns: id, learner, data (JSON), expiry (Unix ms).
fn columns(record: &Record) -> session_store::Result<(String, Option<i64>, String, i64)> {
    Ok((
        record.id.to_string(),
        record.data.get(LEARNER_KEY).and_then(|v| v.as_i64()),
        serde_json::to_string(&record.data).map_err(store_err)?,
        (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64,
    ))
}

const UPSERT: &str =
    "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, data = excluded.data, \
     expires_at = excluded.expires_at";
const INSERT_NEW: &str =
    "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ($1, $2, $3, $4) \
     ON CONFLICT DO NOTHING";

impl DbSessions {
    /// Runs `sql` (one of the two above) for `record`; the rows it wrote.
    async fn write(&self, sql: &str, record: &Record) -> session_store::Result<u64> {
        let (id, learner, data, expires) = columns(record)?;
        let done = sqlx::query(sql)
            .bind(id)
            .bind(learner)
            .bind(data)
            .bind(expires)
            .execute(&self.db.pool)
            .await
            .map_err(store_err)?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl SessionStore for DbSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id on the (astronomically unlikely) clash, as tower-sessions' own stores do.
        while self.write(INSERT_NEW, record).await? == 0 {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(UPSERT, record).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row = crate::perf_timed!(
            "db.load_session",
            sqlx::query("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(id.to_string())
                .bind(now_ms())
                .fetch_optional(&self.db.pool)
        )
        .await
        .map_err(store_err)?;
        let Some(row) = row else { return Ok(None) };
        let data: String = row.try_get("data").map_err(store_err)?;
        let expires: i64 = row.try_get("expires_at").map_err(store_err)?;
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str::<HashMap<String, serde_json::Value>>(&data)
                .map_err(store_err)?,
            expiry_date: OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires) * 1_000_000)
                .map_err(store_err)?,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.db.pool)
            .await
            .map_err(store_err)?;
        Ok(())
    }
}

impl Db {
    /// Drops sessions past their expiry (run now and then; loads ignore them anyway).
    pub async fn delete_expired_sessions(&self) -> crate::error::Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

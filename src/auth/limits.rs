//! Attempt limits: sliding windows of recent failed attempts per key (an
//! account name or a client address). The attempts live in the database, so
//! every process of a deployment counts the same ones and a learner meets
//! the same limit whichever process answers.

use crate::db::{now_ms, Db};
use crate::error::Result;
use std::time::Duration;

/// At most `max` attempts per key in any `window`.
#[derive(Debug, Clone, Copy)]
pub struct Limiter {
    /// Keeps one limit's keys apart from another's (`name`, `address`, `sign-up`).
    kind: &'static str,
    max: i64,
    window: Duration,
}

impl Limiter {
    pub const fn new(kind: &'static str, max: i64, window: Duration) -> Limiter {
        Limiter { kind, max, window }
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.kind)
    }

    fn window_ms(&self) -> i64 {
        self.window.as_millis() as i64
    }

    /// How long `key` must wait before its next attempt, if it must.
    pub async fn wait(&self, db: &Db, key: &str) -> Result<Option<Duration>> {
        let now = now_ms();
        let (count, oldest) = db.attempts(&self.key(key), now - self.window_ms()).await?;
        Ok((count >= self.max.max(1)).then(|| {
            let ends = oldest.unwrap_or(now) + self.window_ms();
            Duration::from_millis((ends - now).max(0) as u64)
        }))
    }

    /// Counts an attempt by `key`.
    pub async fn hit(&self, db: &Db, key: &str) -> Result<()> {
        db.add_attempt(&self.key(key), now_ms()).await
    }

    /// Forgets `key` (a successful sign-in clears its failures).
    pub async fn clear(&self, db: &Db, key: &str) -> Result<()> {
        db.clear_attempts(&self.key(key)).await
    }
}

/// Failed sign-ins per account name: 5 per 15 minutes.
pub const PER_ACCOUNT: Limiter = Limiter::new("name", 5, Duration::from_secs(15 * 60));
/// Failed sign-ins per client address: 20 per 15 minutes.
pub const PER_ADDRESS: Limiter = Limiter::new("address", 20, Duration::from_secs(15 * 60));
/// Sign-ups per client address: 5 per hour.
pub const SIGN_UPS: Limiter = Limiter::new("sign-up", 5, Duration::from_secs(60 * 60));

#[cfg(test)]
mod tests {
    use super::*;

    async fn db() -> Db {
        Db::connect("sqlite::memory:", 1).await.unwrap()
    }

    #[tokio::test]
    async fn a_key_waits_once_it_used_its_attempts_and_others_do_not() {
        let db = db().await;
        let l = Limiter::new("t", 2, Duration::from_secs(60));
        assert_eq!(l.wait(&db, "ana").await.unwrap(), None);
        l.hit(&db, "ana").await.unwrap();
        l.hit(&db, "ana").await.unwrap();
        let wait = l
            .wait(&db, "ana")
            .await
            .unwrap()
            .expect("third attempt waits");
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert_eq!(
            l.wait(&db, "bo").await.unwrap(),
            None,
            "another key is not held up"
        );
        let other = Limiter::new("u", 2, Duration::from_secs(60));
        assert_eq!(
            other.wait(&db, "ana").await.unwrap(),
            None,
            "nor another limit"
        );
        l.clear(&db, "ana").await.unwrap();
        assert_eq!(l.wait(&db, "ana").await.unwrap(), None);
    }

    #[tokio::test]
    async fn attempts_age_out_of_the_window() {
        let db = db().await;
        let l = Limiter::new("t", 1, Duration::from_millis(30));
        l.hit(&db, "ana").await.unwrap();
        assert!(l.wait(&db, "ana").await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(l.wait(&db, "ana").await.unwrap(), None);
    }
}

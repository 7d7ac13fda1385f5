//! Async locks by key, for work that must not run twice at once for one
//! conversation in this process (the database keeps it once across processes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Async locks by key (a conversation id), made on first use and dropped
/// when their last holder is done, so the map holds only keys in use.
#[derive(Default)]
pub(super) struct KeyedLocks(Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>);

/// A held [`KeyedLocks`] lock; forgets the key when it is the last user.
pub(super) struct KeyedGuard<'a> {
    locks: &'a KeyedLocks,
    key: i64,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    pub(super) async fn lock(&self, key: i64) -> KeyedGuard<'_> {
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

//! Attempt limits: sliding windows of recent attempts, per key (an account
//! name or a client address), kept in this process's memory. Several
//! processes each keep their own, so the limit a client meets is at most the
//! number of processes times this one; still enough to make guessing a
//! password online hopeless.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `max` attempts per key in any `window`.
#[derive(Debug)]
pub struct Limiter {
    max: usize,
    window: Duration,
    hits: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Limiter {
    pub fn new(max: usize, window: Duration) -> Limiter {
        Limiter {
            max: max.max(1),
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// How long `key` must wait before its next attempt, if it must.
    pub fn wait(&self, key: &str) -> Option<Duration> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        let q = hits.get_mut(key)?;
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        (q.len() >= self.max).then(|| self.window - now.duration_since(q[0]))
    }

    /// Counts an attempt by `key`.
    pub fn hit(&self, key: &str) {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        // Keys whose attempts have all aged out go, so the map stays small.
        if hits.len() > 10_000 {
            hits.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        hits.entry(key.to_string()).or_default().push_back(now);
    }

    /// Forgets `key` (a successful sign-in clears its failures).
    pub fn clear(&self, key: &str) {
        self.hits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// The limits a server applies.
#[derive(Debug)]
pub struct AuthLimits {
    /// Failed sign-ins per account name: 5 per 15 minutes.
    pub per_account: Limiter,
    /// Failed sign-ins per client address: 20 per 15 minutes.
    pub per_address: Limiter,
    /// Sign-ups per client address: 5 per hour.
    pub sign_ups: Limiter,
}

impl Default for AuthLimits {
    fn default() -> Self {
        AuthLimits {
            per_account: Limiter::new(5, Duration::from_secs(15 * 60)),
            per_address: Limiter::new(20, Duration::from_secs(15 * 60)),
            sign_ups: Limiter::new(5, Duration::from_secs(60 * 60)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_waits_once_it_used_its_attempts_and_others_do_not() {
        let l = Limiter::new(2, Duration::from_secs(60));
        assert_eq!(l.wait("ana"), None);
        l.hit("ana");
        l.hit("ana");
        let wait = l.wait("ana").expect("third attempt waits");
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
        assert_eq!(l.wait("bo"), None, "another key is not held up");
        l.clear("ana");
        assert_eq!(l.wait("ana"), None);
    }

    #[test]
    fn attempts_age_out_of_the_window() {
        let l = Limiter::new(1, Duration::from_millis(30));
        l.hit("ana");
        assert!(l.wait("ana").is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(l.wait("ana"), None);
    }
}

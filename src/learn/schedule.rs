//! When a review card is due next: FSRS (the `fsrs` crate, the scheduler
//! Anki uses) with its default parameters and 90 % desired retention.
//!
//! FSRS works in whole days. A lapse (Again) comes back after a
//! [`RELEARN_MINUTES`] step the same day, as in Anki; every other rating waits
//! at least a day.

use crate::api::Rating;
use crate::error::{Error, Result};
use std::sync::OnceLock;

/// Retention FSRS aims at: the chance of recalling a card when it is due.
pub const DESIRED_RETENTION: f32 = 0.9;
/// How soon a card rated Again is shown again.
pub const RELEARN_MINUTES: i64 = 10;
const DAY_MS: i64 = 86_400_000;

/// A card's memory as FSRS models it; `None` for a card never reviewed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Memory {
    pub stability: f64,
    pub difficulty: f64,
}

/// A card's schedule after one rating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Next {
    pub memory: Memory,
    /// Unix ms.
    pub due_at: i64,
    pub interval_days: f64,
    /// Whole days since the previous review (0 for a new card).
    pub elapsed_days: u32,
}

fn fsrs() -> Result<&'static fsrs::FSRS> {
    static FSRS: OnceLock<Option<fsrs::FSRS>> = OnceLock::new();
    FSRS.get_or_init(|| fsrs::FSRS::new(&[]).ok())
        .as_ref()
        .ok_or_else(|| Error::Internal("FSRS parameters rejected".into()))
}

/// The schedule after rating a card with `memory` (`None` if new), last
/// reviewed at `last_review_at`, at `now`.
pub fn next(
    memory: Option<Memory>,
    last_review_at: Option<i64>,
    now: i64,
    rating: Rating,
) -> Result<Next> {
    let elapsed_days = match (memory, last_review_at) {
        (Some(_), Some(last)) => ((now - last).max(0) / DAY_MS) as u32,
        _ => 0,
    };
    let state = memory.map(|m| fsrs::MemoryState {
        stability: m.stability as f32,
        difficulty: m.difficulty as f32,
    });
    let states = fsrs()?
        .next_states(state, DESIRED_RETENTION, elapsed_days)
        .map_err(|e| Error::Internal(format!("FSRS: {e}")))?;
    let item = match rating {
        Rating::Again => states.again,
        Rating::Hard => states.hard,
        Rating::Good => states.good,
        Rating::Easy => states.easy,
    };
    let interval_days = match rating {
        Rating::Again => RELEARN_MINUTES as f64 / (24.0 * 60.0),
        _ => (item.interval.round() as f64).max(1.0),
    };
    Ok(Next {
        memory: Memory {
            stability: item.memory.stability as f64,
            difficulty: item.memory.difficulty as f64,
        },
        due_at: now + (interval_days * DAY_MS as f64) as i64,
        interval_days,
        elapsed_days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000_000;

    /// Reviews a card `ratings` times, each when it is due.
    fn run(ratings: &[Rating]) -> Vec<Next> {
        let mut out: Vec<Next> = Vec::new();
        let (mut memory, mut last, mut now) = (None, None, T0);
        for r in ratings {
            let n = next(memory, last, now, *r).unwrap();
            memory = Some(n.memory);
            last = Some(now);
            now = n.due_at;
            out.push(n);
        }
        out
    }

    #[test]
    fn good_three_times_is_due_later_each_time() {
        let steps = run(&[Rating::Good, Rating::Good, Rating::Good]);
        let intervals: Vec<f64> = steps.iter().map(|s| s.interval_days).collect();
        assert!(intervals[0] >= 1.0, "{intervals:?}");
        assert!(
            intervals[1] > intervals[0] && intervals[2] > intervals[1],
            "{intervals:?}"
        );
        assert!(steps[2].memory.stability > steps[0].memory.stability);
    }

    #[test]
    fn again_brings_a_card_back_today() {
        let steps = run(&[Rating::Good, Rating::Good, Rating::Again]);
        let lapse = steps[2];
        let reviewed_at = steps[1].due_at;
        assert_eq!(lapse.due_at - reviewed_at, RELEARN_MINUTES * 60_000);
        assert!(lapse.memory.stability < steps[1].memory.stability);
    }

    #[test]
    fn easier_ratings_wait_longer() {
        let n: Vec<f64> = Rating::ALL
            .iter()
            .map(|r| next(None, None, T0, *r).unwrap().interval_days)
            .collect();
        assert!(n[0] < n[1] && n[1] <= n[2] && n[2] < n[3], "{n:?}");
    }
}

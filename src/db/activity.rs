//! One row of activity counts per language and UTC day: what streaks, the
//! progress charts and retention read, bumped in the same transaction as the
//! event it counts.

use crate::domain::Language;
use crate::error::Result;
use sqlx::{Any, Transaction};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The Unix day (UTC) of a Unix-ms time.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// What one event adds to its day.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub messages: i64,
    pub reviews: i64,
    pub reviews_passed: i64,
    pub lessons: i64,
}

impl Counts {
    /// A learner message.
    pub fn message() -> Counts {
        Counts {
            messages: 1,
            ..Counts::default()
        }
    }

    /// A review, `passed` (1) unless rated Again (0).
    pub fn review(passed: i64) -> Counts {
        Counts {
            reviews: 1,
            reviews_passed: passed,
            ..Counts::default()
        }
    }

    /// A finished lesson.
    pub fn lesson() -> Counts {
        Counts {
            lessons: 1,
            ..Counts::default()
        }
    }
}

/// Adds `counts` to the day of `at`.
pub async fn bump(
    tx: &mut Transaction<'_, Any>,
    learner: i64,
    language: Language,
    at: i64,
    counts: Counts,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO activity_days (user_id, language, day, messages, reviews, reviews_passed, lessons) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, language, day) DO UPDATE SET \
         messages = activity_days.messages + excluded.messages, \
         reviews = activity_days.reviews + excluded.reviews, \
         reviews_passed = activity_days.reviews_passed + excluded.reviews_passed, \
         lessons = activity_days.lessons + excluded.lessons",
    )
    .bind(learner)
    .bind(language.id())
    .bind(day_of(at))
    .bind(counts.messages)
    .bind(counts.reviews)
    .bind(counts.reviews_passed)
    .bind(counts.lessons)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

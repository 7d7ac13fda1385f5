//! The review deck: what is due, and rating a card (span `review.schedule`).

use super::Engine;
use crate::api::{DueCards, Rating, ReviewResult};
use crate::db::now_ms;
use crate::domain::Language;
use crate::error::{Error, Result};
use crate::learn::schedule;
use crate::perf_span;

/// Most cards one due-cards answer lists.
pub const MAX_DUE_LIST: i64 = 200;

impl Engine {
    /// Cards of `language` due now, longest overdue first (at most `limit`).
    pub async fn due_cards(&self, language: Language, limit: Option<i64>) -> Result<DueCards> {
        let limit = limit.unwrap_or(50);
        if !(1..=MAX_DUE_LIST).contains(&limit) {
            return Err(Error::invalid("limit", format!("must be 1–{MAX_DUE_LIST}")));
        }
        let (due_count, cards) = self
            .inner
            .db
            .due_cards(self.me()?, language, now_ms(), limit)
            .await?;
        Ok(DueCards {
            language,
            due_count,
            cards,
        })
    }

    /// Cards due now in every language that has any.
    pub async fn due_counts(&self) -> Result<Vec<(Language, i64)>> {
        self.inner.db.due_counts(self.me()?, now_ms()).await
    }

    /// Rates a due card and schedules its next review. A card not yet due is
    /// a 409 (unless `early` — a lesson's first look at a new word); two
    /// ratings of one card at once: one wins, the other is a 409, and the
    /// log holds one row.
    pub async fn rate_card(&self, id: i64, rating: Rating, early: bool) -> Result<ReviewResult> {
        let me = self.me()?;
        let stored = self
            .inner
            .db
            .card(me, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("card {id} does not exist")))?;
        let now = now_ms();
        if !early && stored.card.due_at > now {
            return Err(Error::Conflict(format!(
                "card {id} is not due yet (due in {} min)",
                (stored.card.due_at - now + 59_999) / 60_000
            )));
        }
        let next = {
            let _span = perf_span!("review.schedule").entered();
            schedule::next(stored.memory, stored.last_review_at, now, rating)?
        };
        if !self
            .inner
            .db
            .record_review(me, &stored, rating, &next, now)
            .await?
        {
            return Err(Error::Conflict(format!(
                "card {id} was just rated by another request"
            )));
        }
        let mut card = stored.card;
        card.reps += 1;
        card.lapses += i64::from(rating == Rating::Again && card.reps > 1);
        card.due_at = next.due_at;
        Ok(ReviewResult {
            card,
            rating,
            interval_days: next.interval_days,
        })
    }
}

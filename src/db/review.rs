//! The review deck: cards, their FSRS memory, and the append-only review log.

use super::{activity, now_ms, Db};
use crate::api::{CardKind, Rating, ReviewCard};
use crate::domain::Language;
use crate::error::{Error, Result};
use crate::learn::schedule::{Memory, Next};
use crate::perf_timed;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

const CARD_COLUMNS: &str = "id, language, kind, front, back, note, due_at, reps, lapses, \
     stability, difficulty, last_review_at";

/// A card about to be added to the deck.
#[derive(Debug, Clone)]
pub struct NewCard {
    pub language: Language,
    pub kind: CardKind,
    /// What it was made from; a second card from the same source is not added.
    pub source_key: String,
    pub front: String,
    pub back: String,
    pub note: String,
    pub correction_kind: Option<&'static str>,
    pub message_id: Option<i64>,
}

/// A stored card with what the scheduler needs.
#[derive(Debug, Clone)]
pub struct StoredCard {
    pub card: ReviewCard,
    pub memory: Option<Memory>,
    pub last_review_at: Option<i64>,
}

impl Db {
    /// Adds cards due now, skipping those already in the deck. Returns each
    /// card's id and whether it is new.
    pub async fn add_cards(&self, learner: i64, cards: &[NewCard]) -> Result<Vec<(i64, bool)>> {
        let mut tx = self.pool.begin().await?;
        let out = insert_cards(&mut tx, learner, cards).await?;
        perf_timed!("db.add_cards", tx.commit()).await?;
        Ok(out)
    }

    /// One of the learner's cards by id.
    pub async fn card(&self, learner: i64, id: i64) -> Result<Option<StoredCard>> {
        let sql = format!("SELECT {CARD_COLUMNS} FROM review_cards WHERE id = $1 AND user_id = $2");
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(learner)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(stored_card_from_row).transpose()
    }

    /// Up to `limit` cards of `language` due at `now`, longest overdue first,
    /// and how many are due in all: one query (the count is a window over the
    /// same rows, read from `idx_cards_due`).
    pub async fn due_cards(
        &self,
        learner: i64,
        language: Language,
        now: i64,
        limit: i64,
    ) -> Result<(i64, Vec<ReviewCard>)> {
        let sql = format!(
            "SELECT {CARD_COLUMNS}, COUNT(*) OVER () AS due_count FROM review_cards \
             WHERE user_id = $1 AND language = $2 AND due_at <= $3 ORDER BY due_at, id LIMIT $4"
        );
        let rows = perf_timed!(
            "db.due_cards",
            sqlx::query(&sql)
                .bind(learner)
                .bind(language.id())
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
        )
        .await?;
        let count = match rows.first() {
            Some(r) => r.try_get("due_count")?,
            None => 0,
        };
        let cards = rows
            .iter()
            .map(|r| stored_card_from_row(r).map(|c| c.card))
            .collect::<Result<_>>()?;
        Ok((count, cards))
    }

    /// Cards due at `now`, per language.
    pub async fn due_counts(&self, learner: i64, now: i64) -> Result<Vec<(Language, i64)>> {
        let rows = sqlx::query(
            "SELECT language, COUNT(*) AS n FROM review_cards \
             WHERE user_id = $1 AND due_at <= $2 GROUP BY language",
        )
        .bind(learner)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let language: String = r.try_get("language")?;
                Ok((parse_language(&language)?, r.try_get("n")?))
            })
            .collect()
    }

    /// Stores a rating: the card's new schedule, a review-log row and the
    /// day's activity, in one transaction. Only applies to the card as it
    /// was read (`reps` unchanged); `false` when another rating got there
    /// first, and then nothing is written.
    pub async fn record_review(
        &self,
        learner: i64,
        card: &StoredCard,
        rating: Rating,
        next: &Next,
        now: i64,
    ) -> Result<bool> {
        let c = &card.card;
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE review_cards SET stability = $1, difficulty = $2, reps = reps + 1, \
             lapses = lapses + $3, due_at = $4, last_review_at = $5 \
             WHERE id = $6 AND reps = $7 AND user_id = $8",
        )
        .bind(next.memory.stability)
        .bind(next.memory.difficulty)
        .bind(i64::from(rating == Rating::Again && c.reps > 0))
        .bind(next.due_at)
        .bind(now)
        .bind(c.id)
        .bind(c.reps)
        .bind(learner)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO review_log (user_id, card_id, language, rep, rating, reviewed_at, \
             elapsed_days, interval_days, stability, difficulty) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(learner)
        .bind(c.id)
        .bind(c.language.id())
        .bind(c.reps)
        .bind(i64::from(rating.number()))
        .bind(now)
        .bind(i64::from(next.elapsed_days))
        .bind(next.interval_days)
        .bind(next.memory.stability)
        .bind(next.memory.difficulty)
        .execute(&mut *tx)
        .await?;
        let passed = i64::from(rating != Rating::Again);
        activity::bump(
            &mut tx,
            learner,
            c.language,
            now,
            activity::Counts::review(passed),
        )
        .await?;
        perf_timed!("db.record_review", tx.commit()).await?;
        Ok(true)
    }
}

/// Inserts cards due now inside `tx`, skipping those already in the deck
/// (same learner, language, kind and source): each card's id and whether it is new.
pub(super) async fn insert_cards(
    tx: &mut Transaction<'_, Any>,
    learner: i64,
    cards: &[NewCard],
) -> Result<Vec<(i64, bool)>> {
    let now = now_ms();
    let mut out = Vec::with_capacity(cards.len());
    for c in cards {
        let inserted = sqlx::query(
            "INSERT INTO review_cards (user_id, language, kind, source_key, front, back, note, \
             correction_kind, message_id, due_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(learner)
        .bind(c.language.id())
        .bind(c.kind.id())
        .bind(&c.source_key)
        .bind(&c.front)
        .bind(&c.back)
        .bind(&c.note)
        .bind(c.correction_kind)
        .bind(c.message_id)
        .bind(now)
        .bind(now)
        .fetch_optional(&mut **tx)
        .await?;
        let entry = match inserted {
            Some(row) => (row.try_get("id")?, true),
            None => {
                let row = sqlx::query(
                    "SELECT id FROM review_cards \
                     WHERE user_id = $1 AND language = $2 AND kind = $3 AND source_key = $4",
                )
                .bind(learner)
                .bind(c.language.id())
                .bind(c.kind.id())
                .bind(&c.source_key)
                .fetch_one(&mut **tx)
                .await?;
                (row.try_get("id")?, false)
            }
        };
        out.push(entry);
    }
    Ok(out)
}

pub(super) fn parse_language(id: &str) -> Result<Language> {
    Language::parse(id).ok_or_else(|| Error::Internal(format!("unknown language '{id}' stored")))
}

fn stored_card_from_row(row: &AnyRow) -> Result<StoredCard> {
    let language: String = row.try_get("language")?;
    let kind: String = row.try_get("kind")?;
    let stability: Option<f64> = row.try_get("stability")?;
    let difficulty: Option<f64> = row.try_get("difficulty")?;
    Ok(StoredCard {
        card: ReviewCard {
            id: row.try_get("id")?,
            language: parse_language(&language)?,
            kind: CardKind::parse(&kind)
                .ok_or_else(|| Error::Internal(format!("unknown card kind '{kind}' stored")))?,
            front: row.try_get("front")?,
            back: row.try_get("back")?,
            note: row.try_get("note")?,
            due_at: row.try_get("due_at")?,
            reps: row.try_get("reps")?,
            lapses: row.try_get("lapses")?,
        },
        memory: stability
            .zip(difficulty)
            .map(|(stability, difficulty)| Memory {
                stability,
                difficulty,
            }),
        last_review_at: row.try_get("last_review_at")?,
    })
}

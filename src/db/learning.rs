//! Finished lessons, grammar answers, placement attempts, levels, and the
//! reads behind the progress page (a handful of queries, none per row).

use super::activity::{self, Counts};
use super::review::parse_language;
use super::{now_ms, Db};
use crate::api::{AssessmentResult, DayActivity, UserLevel};
use crate::domain::{CefrLevel, Language};
use crate::error::{Error, Result};
use crate::learn::placement::Score;
use crate::perf_timed;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

/// Card counts of one language's deck.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct DeckCounts {
    pub total: i64,
    pub learned: i64,
    pub due: i64,
}

impl Db {
    /// Records a finished lesson.
    pub async fn complete_lesson(
        &self,
        learner: i64,
        language: Language,
        lesson_kind: &str,
        lesson_id: &str,
        score: i64,
        total: i64,
    ) -> Result<i64> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO lesson_completions \
             (user_id, language, lesson_kind, lesson_id, score, total, completed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(learner)
        .bind(language.id())
        .bind(lesson_kind)
        .bind(lesson_id)
        .bind(score)
        .bind(total)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        activity::bump(&mut tx, learner, language, now, Counts::lesson()).await?;
        perf_timed!("db.complete_lesson", tx.commit()).await?;
        Ok(row.try_get("id")?)
    }

    /// When each lesson of `language` was last completed.
    pub async fn lesson_completions(
        &self,
        learner: i64,
        language: Language,
    ) -> Result<HashMap<String, i64>> {
        let rows = sqlx::query(
            "SELECT lesson_id, MAX(completed_at) AS at FROM lesson_completions \
             WHERE user_id = $1 AND language = $2 GROUP BY lesson_id",
        )
        .bind(learner)
        .bind(language.id())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("lesson_id")?, r.try_get("at")?)))
            .collect()
    }

    /// Records an answer to a grammar exercise.
    pub async fn record_answer(
        &self,
        learner: i64,
        language: Language,
        exercise_id: &str,
        answer: &str,
        correct: bool,
    ) -> Result<()> {
        perf_timed!(
            "db.record_answer",
            sqlx::query(
                "INSERT INTO exercise_answers \
                 (user_id, language, exercise_id, answer, correct, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(learner)
            .bind(language.id())
            .bind(exercise_id)
            .bind(answer)
            .bind(correct)
            .bind(now_ms())
            .execute(&self.pool)
        )
        .await?;
        Ok(())
    }

    /// Stores a placement attempt and sets the learner's level from it, in
    /// one transaction.
    pub async fn save_placement(
        &self,
        learner: i64,
        language: Language,
        score: &Score,
        answers_json: &str,
    ) -> Result<AssessmentResult> {
        let Score {
            level,
            correct,
            total,
            ref by_level,
        } = *score;
        let now = now_ms();
        let by_level_json =
            serde_json::to_string(by_level).map_err(|e| Error::Internal(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "INSERT INTO placement_attempts \
             (user_id, language, level, score, total, by_level, answers, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(learner)
        .bind(language.id())
        .bind(level.id())
        .bind(i64::from(correct))
        .bind(i64::from(total))
        .bind(&by_level_json)
        .bind(answers_json)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        upsert_level(&mut tx, learner, language, level, "placement", now).await?;
        perf_timed!("db.save_placement", tx.commit()).await?;
        Ok(AssessmentResult {
            attempt_id: row.try_get("id")?,
            language,
            level,
            score: correct,
            total,
            by_level: by_level.to_vec(),
            created_at: now,
        })
    }

    /// Placement attempts of `language`, oldest first (the last 50).
    pub async fn placements(
        &self,
        learner: i64,
        language: Language,
    ) -> Result<Vec<AssessmentResult>> {
        let rows = sqlx::query(
            "SELECT id, level, score, total, by_level, created_at FROM placement_attempts \
             WHERE user_id = $1 AND language = $2 ORDER BY created_at DESC, id DESC LIMIT 50",
        )
        .bind(learner)
        .bind(language.id())
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| placement_from_row(language, r))
            .collect::<Result<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    /// The learner's level in `language`.
    pub async fn user_level(&self, learner: i64, language: Language) -> Result<UserLevel> {
        let row = sqlx::query(
            "SELECT level, source, updated_at FROM user_levels WHERE user_id = $1 AND language = $2",
        )
        .bind(learner)
        .bind(language.id())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(UserLevel {
                language,
                level: None,
                source: None,
                updated_at: None,
            }),
            Some(r) => {
                let level: String = r.try_get("level")?;
                Ok(UserLevel {
                    language,
                    level: CefrLevel::parse(&level),
                    source: Some(r.try_get("source")?),
                    updated_at: Some(r.try_get("updated_at")?),
                })
            }
        }
    }

    /// Sets the learner's level by hand.
    pub async fn set_user_level(
        &self,
        learner: i64,
        language: Language,
        level: CefrLevel,
    ) -> Result<UserLevel> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        upsert_level(&mut tx, learner, language, level, "manual", now).await?;
        tx.commit().await?;
        Ok(UserLevel {
            language,
            level: Some(level),
            source: Some("manual".into()),
            updated_at: Some(now),
        })
    }

    /// Every level set, for the home page's preselection.
    pub async fn user_levels(&self, learner: i64) -> Result<Vec<UserLevel>> {
        let rows = sqlx::query(
            "SELECT language, level, source, updated_at FROM user_levels WHERE user_id = $1",
        )
        .bind(learner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let language: String = r.try_get("language")?;
                let level: String = r.try_get("level")?;
                Ok(UserLevel {
                    language: parse_language(&language)?,
                    level: CefrLevel::parse(&level),
                    source: Some(r.try_get("source")?),
                    updated_at: Some(r.try_get("updated_at")?),
                })
            })
            .collect()
    }

    /// Every day with activity in `language`, newest first. One row per day
    /// used, so this stays small however many reviews there are.
    pub async fn activity_days(
        &self,
        learner: i64,
        language: Language,
    ) -> Result<Vec<DayActivity>> {
        let rows = perf_timed!(
            "db.activity_days",
            sqlx::query(
                "SELECT day, messages, reviews, reviews_passed, lessons FROM activity_days \
                 WHERE user_id = $1 AND language = $2 ORDER BY day DESC",
            )
            .bind(learner)
            .bind(language.id())
            .fetch_all(&self.pool)
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DayActivity {
                    day: r.try_get("day")?,
                    messages: r.try_get("messages")?,
                    reviews: r.try_get("reviews")?,
                    reviews_passed: r.try_get("reviews_passed")?,
                    lessons: r.try_get("lessons")?,
                })
            })
            .collect()
    }

    /// Cards in the deck, learned (reviewed at least once) and due at `now`.
    pub async fn deck_counts(
        &self,
        learner: i64,
        language: Language,
        now: i64,
    ) -> Result<DeckCounts> {
        let row = perf_timed!(
            "db.deck_counts",
            sqlx::query(
                "SELECT COUNT(*) AS total, \
                 COALESCE(SUM(CASE WHEN reps > 0 THEN 1 ELSE 0 END), 0) AS learned, \
                 COALESCE(SUM(CASE WHEN due_at <= $1 THEN 1 ELSE 0 END), 0) AS due \
                 FROM review_cards WHERE user_id = $2 AND language = $3",
            )
            .bind(now)
            .bind(learner)
            .bind(language.id())
            .fetch_one(&self.pool)
        )
        .await?;
        Ok(DeckCounts {
            total: row.try_get("total")?,
            learned: row.try_get("learned")?,
            due: row.try_get("due")?,
        })
    }

    /// Mistake cards per UTC day and correction type: (day, kind, count).
    pub async fn mistakes_by_day(
        &self,
        learner: i64,
        language: Language,
    ) -> Result<Vec<(i64, String, i64)>> {
        let rows = perf_timed!(
            "db.mistakes_by_day",
            sqlx::query(
                "SELECT created_at / 86400000 AS day, COALESCE(correction_kind, 'other') AS kind, \
                 COUNT(*) AS n FROM review_cards \
                 WHERE user_id = $1 AND language = $2 AND kind = 'mistake' \
                 GROUP BY created_at / 86400000, COALESCE(correction_kind, 'other')",
            )
            .bind(learner)
            .bind(language.id())
            .fetch_all(&self.pool)
        )
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("day")?, r.try_get("kind")?, r.try_get("n")?)))
            .collect()
    }

    /// Distinct lessons of `language` completed at least once.
    pub async fn lessons_completed(&self, learner: i64, language: Language) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(DISTINCT lesson_id) AS n FROM lesson_completions \
             WHERE user_id = $1 AND language = $2",
        )
        .bind(learner)
        .bind(language.id())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }
}

async fn upsert_level(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    learner: i64,
    language: Language,
    level: CefrLevel,
    source: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_levels (user_id, language, level, source, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, language) DO UPDATE SET level = excluded.level, source = excluded.source, \
         updated_at = excluded.updated_at",
    )
    .bind(learner)
    .bind(language.id())
    .bind(level.id())
    .bind(source)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn placement_from_row(language: Language, r: &AnyRow) -> Result<AssessmentResult> {
    let level: String = r.try_get("level")?;
    let by_level: String = r.try_get("by_level")?;
    let score: i64 = r.try_get("score")?;
    let total: i64 = r.try_get("total")?;
    Ok(AssessmentResult {
        attempt_id: r.try_get("id")?,
        language,
        level: CefrLevel::parse(&level)
            .ok_or_else(|| Error::Internal(format!("unknown level '{level}' stored")))?,
        score: score as u32,
        total: total as u32,
        by_level: serde_json::from_str(&by_level).map_err(|e| Error::Internal(e.to_string()))?,
        created_at: r.try_get("created_at")?,
    })
}

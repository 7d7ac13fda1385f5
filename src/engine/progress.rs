//! The progress summary of one language (span `progress.summary`): six
//! reads run together, each one query over an index or the per-day counts.

use super::Engine;
use crate::api::{CorrectionWeek, DayActivity, ProgressSummary};
use crate::db::activity::day_of;
use crate::db::now_ms;
use crate::domain::Language;
use crate::error::Result;
use crate::perf_timed;
use std::collections::BTreeMap;

/// Days of activity the summary draws.
pub const CHART_DAYS: i64 = 90;
/// Days retention is measured over.
pub const RETENTION_DAYS: i64 = 30;

impl Engine {
    /// Level, streak, counts, retention and the charts' series for `language`.
    pub async fn progress_summary(&self, language: Language) -> Result<ProgressSummary> {
        perf_timed!("progress.summary", self.progress_summary_inner(language)).await
    }

    async fn progress_summary_inner(&self, language: Language) -> Result<ProgressSummary> {
        let (db, me) = (&self.inner.db, self.me()?);
        let now = now_ms();
        let (level, days, deck, mistakes, lessons, placements) = tokio::try_join!(
            db.user_level(me, language),
            db.activity_days(me, language),
            db.deck_counts(me, language, now),
            db.mistakes_by_day(me, language),
            db.lessons_completed(me, language),
            db.placements(me, language),
        )?;
        let today = day_of(now);
        let recent = |n: i64| days.iter().filter(move |d| d.day > today - n);
        let (reviews, passed) =
            recent(RETENTION_DAYS).fold((0, 0), |(r, p), d| (r + d.reviews, p + d.reviews_passed));
        let mut chart: Vec<DayActivity> = recent(CHART_DAYS).cloned().collect();
        chart.reverse();
        Ok(ProgressSummary {
            language,
            level,
            streak_days: streak(&days, today),
            messages_written: days.iter().map(|d| d.messages).sum(),
            lessons_completed: lessons,
            cards_total: deck.total,
            cards_learned: deck.learned,
            cards_due: deck.due,
            retention: (reviews > 0).then(|| passed as f64 / reviews as f64),
            days: chart,
            corrections_by_week: by_week(&mistakes),
            placements,
        })
    }
}

/// Consecutive active days (newest first in `days`) ending today, or
/// yesterday when today has nothing yet.
pub fn streak(days: &[DayActivity], today: i64) -> i64 {
    let mut expect = match days.first() {
        Some(d) if d.day == today || d.day == today - 1 => d.day,
        _ => return 0,
    };
    let mut n = 0;
    for d in days {
        if d.day != expect {
            break;
        }
        n += 1;
        expect -= 1;
    }
    n
}

/// The Monday (UTC) of a Unix day's week; 1970-01-01 was a Thursday.
pub fn week_start(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

fn by_week(mistakes: &[(i64, String, i64)]) -> Vec<CorrectionWeek> {
    let mut weeks: BTreeMap<(i64, &str), i64> = BTreeMap::new();
    for (day, kind, n) in mistakes {
        *weeks.entry((week_start(*day), kind.as_str())).or_default() += n;
    }
    weeks
        .into_iter()
        .map(|((week_start_day, kind), count)| CorrectionWeek {
            week_start_day,
            kind: kind.to_string(),
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(day: i64) -> DayActivity {
        DayActivity {
            day,
            messages: 1,
            reviews: 0,
            reviews_passed: 0,
            lessons: 0,
        }
    }

    #[test]
    fn a_streak_counts_back_from_today_or_yesterday() {
        assert_eq!(streak(&[day(100), day(99), day(98), day(96)], 100), 3);
        assert_eq!(streak(&[day(99), day(98)], 100), 2);
        assert_eq!(streak(&[day(97)], 100), 0);
        assert_eq!(streak(&[], 100), 0);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-11-30 is a Monday: Unix day 20_787.
        assert_eq!(week_start(20_787), 20_787);
        assert_eq!(week_start(20_793), 20_787);
        assert_eq!(week_start(20_786), 20_780);
    }
}

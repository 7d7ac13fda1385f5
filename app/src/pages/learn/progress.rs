//! Progress in one language: level, streak, messages, lessons, cards and
//! retention, with SVG charts (activity per day, mistakes by kind per week,
//! placement history), drawn like the /perf page's.

use super::{query_language, LanguagePicker};
use crate::api::learn::get_progress_summary;
use crate::pages::{short_time, ErrorNote};
use babblr::api::{CorrectionWeek, DayActivity, ProgressSummary};
use babblr::domain::CefrLevel;
use leptos::prelude::*;

#[component]
pub fn ProgressPage() -> impl IntoView {
    let language = query_language();
    let summary = Resource::new(
        move || language.get(),
        |l| get_progress_summary(l.id().into()),
    );
    view! {
        <section class="card progress">
            <p class="crumbs"><a href=move || format!("/learn?language={}", language.get().id())>"Learn"</a>" · progress"</p>
            <h1>"Progress"</h1>
            <LanguagePicker language path="/progress" />
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || summary.get().map(|r| match r {
                    Ok(s) => view! { <Summary s /> }.into_any(),
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Summary(s: ProgressSummary) -> impl IntoView {
    let level = s
        .level
        .level
        .map_or("not set".to_string(), |l| l.id().to_string());
    let retention = s
        .retention
        .map_or("—".to_string(), |r| format!("{:.0}%", r * 100.0));
    let stats = [
        ("Level", level),
        (
            "Streak",
            if s.streak_days == 1 {
                "1 day".to_string()
            } else {
                format!("{} days", s.streak_days)
            },
        ),
        ("Messages written", s.messages_written.to_string()),
        ("Lessons completed", s.lessons_completed.to_string()),
        (
            "Cards learned",
            format!("{} of {}", s.cards_learned, s.cards_total),
        ),
        ("Due now", s.cards_due.to_string()),
        ("Retention (30 days)", retention),
    ];
    view! {
        <dl class="stats">
            {stats.into_iter().map(|(k, v)| view! { <div class="stat" data-stat=k><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
        </dl>
        <h2>"Activity, last 90 days"</h2>
        <ActivityChart days=s.days />
        <h2>"Your mistakes by kind, per week"</h2>
        <MistakesChart weeks=s.corrections_by_week />
        <h2>"Placement history"</h2>
        <PlacementChart attempts=s.placements.iter().map(|p| (p.created_at, p.level)).collect() />
    }
}

/// Chart width in SVG units; heights are per chart.
const W: f64 = 900.0;

/// A Unix day as `2026-11-30`.
fn date(day: i64) -> String {
    short_time(day * 86_400_000).chars().take(10).collect()
}

/// Reviews and messages per day as paired bars.
#[component]
fn ActivityChart(days: Vec<DayActivity>) -> impl IntoView {
    if days.is_empty() {
        return view! { <p class="muted empty">"No activity yet."</p> }.into_any();
    }
    let first = days[0].day;
    let last = days[days.len() - 1].day;
    let span = (last - first + 1).max(14) as f64;
    let max = days
        .iter()
        .map(|d| d.reviews.max(d.messages) + d.lessons)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let h = 140.0;
    let bw = W / span;
    let label = format!(
        "{} active days; {} reviews, {} messages, {} lessons",
        days.len(),
        days.iter().map(|d| d.reviews).sum::<i64>(),
        days.iter().map(|d| d.messages).sum::<i64>(),
        days.iter().map(|d| d.lessons).sum::<i64>()
    );
    view! {
        <svg class="chart activity" viewBox=format!("0 0 {W} {}", h + 2.0) role="img" aria-label=label>
            {days.into_iter().map(|d| {
                let x = (d.day - first) as f64 * bw;
                let rh = d.reviews as f64 / max * h;
                let mh = d.messages as f64 / max * h;
                let lh = d.lessons as f64 / max * h;
                view! {
                    <g data-day=d.day>
                        <title>{format!("{}: {} reviews ({} passed), {} messages, {} lessons", date(d.day), d.reviews, d.reviews_passed, d.messages, d.lessons)}</title>
                        <rect class="bar reviews" x=format!("{x:.1}") y=format!("{:.1}", h - rh) width=format!("{:.1}", (bw * 0.45).max(1.0)) height=format!("{rh:.1}") />
                        <rect class="bar messages" x=format!("{:.1}", x + bw * 0.45) y=format!("{:.1}", h - mh) width=format!("{:.1}", (bw * 0.45).max(1.0)) height=format!("{mh:.1}") />
                        <rect class="bar lessons" x=format!("{x:.1}") y=format!("{:.1}", h - rh - lh) width=format!("{:.1}", (bw * 0.45).max(1.0)) height=format!("{lh:.1}") />
                    </g>
                }
            }).collect_view()}
            <line class="axis" x1="0" y1=h x2=W y2=h />
        </svg>
        <p class="chart-range muted"><span>{date(first)}</span><span>{date(last)}</span></p>
        <p class="legend"><span class="key reviews"></span>"reviews "<span class="key lessons"></span>"lessons "<span class="key messages"></span>"messages"</p>
    }.into_any()
}

/// The correction kinds, in stacking order.
const KINDS: [&str; 6] = [
    "grammar",
    "vocabulary",
    "spelling",
    "punctuation",
    "style",
    "other",
];

/// Mistake cards per week, stacked by kind.
#[component]
fn MistakesChart(weeks: Vec<CorrectionWeek>) -> impl IntoView {
    if weeks.is_empty() {
        return view! { <p class="muted empty">"No corrections yet. Chat with the tutor: each correction becomes a card."</p> }.into_any();
    }
    let mut starts: Vec<i64> = weeks.iter().map(|w| w.week_start_day).collect();
    starts.dedup();
    let totals: Vec<i64> = starts
        .iter()
        .map(|s| {
            weeks
                .iter()
                .filter(|w| w.week_start_day == *s)
                .map(|w| w.count)
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(1).max(1) as f64;
    let h = 120.0;
    let bw = W / starts.len().max(8) as f64;
    let bars = starts.iter().enumerate().flat_map(|(i, s)| {
        let mut y = h;
        KINDS
            .iter()
            .filter_map(|k| {
                let n = weeks
                    .iter()
                    .find(|w| w.week_start_day == *s && w.kind == *k)
                    .map_or(0, |w| w.count);
                (n > 0).then(|| {
                    let bh = n as f64 / max * h;
                    y -= bh;
                    view! {
                        <rect class=format!("bar kind-{k}") x=format!("{:.1}", i as f64 * bw + 2.0) y=format!("{y:.1}")
                            width=format!("{:.1}", bw - 4.0) height=format!("{bh:.1}")>
                            <title>{format!("week of {}: {n} {k}", date(*s))}</title>
                        </rect>
                    }
                })
            })
            .collect::<Vec<_>>()
    }).collect_view();
    let label = format!(
        "{} corrections over {} weeks",
        totals.iter().sum::<i64>(),
        starts.len()
    );
    view! {
        <svg class="chart mistakes" viewBox=format!("0 0 {W} {}", h + 4.0) role="img" aria-label=label>
            {bars}
            <line class="axis" x1="0" y1=h x2=W y2=h />
        </svg>
        <p class="legend">{KINDS.iter().map(|k| view! { <span class=format!("key kind-{k}")></span>{format!("{k} ")} }).collect_view()}</p>
    }.into_any()
}

/// Each placement result as a point: time across, level up.
#[component]
fn PlacementChart(attempts: Vec<(i64, CefrLevel)>) -> impl IntoView {
    if attempts.is_empty() {
        return view! { <p class="muted empty">"No placement test taken yet."</p> }.into_any();
    }
    // Tall enough that its level labels stay legible when a phone scales it down.
    let h = 260.0;
    let n = attempts.len();
    let x = move |i: usize| {
        if n == 1 {
            W / 2.0
        } else {
            90.0 + i as f64 * (W - 130.0) / (n - 1) as f64
        }
    };
    let y = move |l: CefrLevel| h - 20.0 - (l as usize as f64) * (h - 40.0) / 5.0;
    let points: String = attempts
        .iter()
        .enumerate()
        .map(|(i, (_, l))| format!("{:.1},{:.1} ", x(i), y(*l)))
        .collect();
    let label = format!("{n} placement tests; latest {}", attempts[n - 1].1.id());
    view! {
        <svg class="chart placements" viewBox=format!("0 0 {W} {h}") role="img" aria-label=label>
            {CefrLevel::ALL.into_iter().map(|l| view! {
                <text class="tick" x="0" y=format!("{:.1}", y(l) + 10.0)>{l.id()}</text>
                <line class="grid" x1="60" y1=format!("{:.1}", y(l)) x2=W y2=format!("{:.1}", y(l)) />
            }).collect_view()}
            <polyline class="line" points=points />
            {attempts.into_iter().enumerate().map(|(i, (at, l))| view! {
                <circle class="point" cx=format!("{:.1}", x(i)) cy=format!("{:.1}", y(l)) r="12">
                    <title>{format!("{}: {}", short_time(at), l.id())}</title>
                </circle>
            }).collect_view()}
        </svg>
    }.into_any()
}

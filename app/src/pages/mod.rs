//! The app's pages.

pub mod account;
pub mod conversation;
pub mod home;
pub mod learn;
pub mod perf;

use babblr::api::ApiError;
use leptos::prelude::*;

/// Shown for unknown paths.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to your conversations"</a></p>
        </section>
    }
}

/// An error shown inline, with what the server said (and, when the learner
/// is not signed in, the way to sign in).
#[component]
pub fn ErrorNote(error: ApiError) -> impl IntoView {
    let sign_in = error.message == babblr::api::NOT_SIGNED_IN;
    // Back here once signed in.
    let location = leptos_router::hooks::use_location();
    let search = location.search.get_untracked();
    let search = search.trim_start_matches('?');
    let path = location.pathname.get_untracked();
    let back = if search.is_empty() {
        path
    } else {
        format!("{path}?{search}")
    };
    let here = format!(
        "/signin?next={}",
        leptos_router::location::Url::escape(&back)
    );
    view! {
        <p class="error" role="alert">
            <strong>{error.error.as_str().replace('_', " ")}</strong>
            ": "
            {error.message}
            {sign_in.then(|| view! { " " <a href=here>"Sign in"</a> })}
        </p>
    }
}

/// Formats Unix milliseconds as a short UTC date and time.
pub fn short_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = babblr::clock::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_unix_millis() {
        assert_eq!(super::short_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::short_time(1_795_000_000_000), "2026-11-18 11:06 UTC");
    }
}

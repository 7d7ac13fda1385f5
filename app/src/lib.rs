#![recursion_limit = "256"]
//! Babblr's UI: the HTML shell, routes and pages, rendered on the server and
//! hydrated in the browser.

pub mod api;
pub mod pages;
pub mod perf;
pub mod recorder;
pub mod settings;
pub mod stream;
pub mod voice;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The name of the WASM/JS/CSS bundle under `/pkg`.
pub const BUNDLE: &str = "babblr";

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                // resizes-content: the on-screen keyboard shrinks the layout, so the
                // sticky message box and microphone stay above it.
                <meta name="viewport" content="width=device-width, initial-scale=1, interactive-widget=resizes-content" />
                <meta name="color-scheme" content="light dark" />
                <meta name="description" content="Babblr: practise a language by talking with an AI tutor." />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // Fixed head tags live here, not in leptos_meta components,
                // which would put their code into the browser bundle.
                <title>"Babblr · AI language tutor"</title>
                <link rel="stylesheet" id="leptos" href="/pkg/babblr.css" />
                <HydrationScripts options />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The app: header, routes, footer.
#[component]
pub fn App() -> impl IntoView {
    let tutor = Resource::new(|| (), |_| api::get_tutor_info());
    let me = Resource::new(|| (), |_| api::account::whoami());
    settings::provide();
    view! {
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"Babblr"</a>
                <Transition fallback=|| ()>
                    {move || tutor.get().and_then(Result::ok).map(|t| if t.demo {
                        view! {
                            <span class="tutor-badge demo" title="Answers are scripted. Set BABBLR_LLM_PROVIDER=auto for a real tutor.">
                                "Demo tutor · no language model"
                            </span>
                        }.into_any()
                    } else {
                        let label = if t.provider == "embedded" { "built-in" } else { t.provider.as_str() };
                        view! { <span class="tutor-badge" title=t.why.clone()>{format!("{label} · {}", t.model)}</span> }.into_any()
                    })}
                </Transition>
                <settings::SettingsPanel tutor=tutor />
                <nav aria-label="Main">
                    <a href="/">"Conversations"</a>
                    <a href="/learn">"Learn"</a>
                    <Transition fallback=|| ()>
                        {move || me.get().and_then(Result::ok).map(|m| {
                            let admin = m.account.as_ref().is_some_and(|a| a.admin);
                            let account = match (&m.account, m.accounts) {
                                (Some(a), true) => view! { <a href="/account" class="account">{a.username.clone()}</a> }.into_any(),
                                (Some(_), false) => view! { <a href="/account">"Account"</a> }.into_any(),
                                (None, _) => view! { <a href="/signin" class="account">"Sign in"</a> }.into_any(),
                            };
                            view! { {admin.then(|| view! { <a href="/perf">"Performance"</a> })} {account} }
                        })}
                    </Transition>
                </nav>
            </header>
            <main id="main">
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    <Route path=path!("/") view=pages::home::HomePage />
                    <Route path=path!("/c/:id") view=pages::conversation::ConversationPage />
                    <Route path=path!("/perf") view=pages::perf::PerfPage />
                    <Route path=path!("/learn") view=pages::learn::LearnPage />
                    <Route path=path!("/learn/vocabulary/:id") view=pages::learn::vocab::VocabLessonPage />
                    <Route path=path!("/learn/grammar/:id") view=pages::learn::grammar::GrammarLessonPage />
                    <Route path=path!("/review") view=pages::learn::review::ReviewPage />
                    <Route path=path!("/placement") view=pages::learn::placement::PlacementPage />
                    <Route path=path!("/progress") view=pages::learn::progress::ProgressPage />
                    <Route path=path!("/signin") view=pages::account::SignInPage />
                    <Route path=path!("/account") view=pages::account::AccountPage />
                </Routes>
            </main>
        </Router>
    }
}

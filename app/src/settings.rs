//! The learner's settings: their own language and how much to correct, kept
//! in the browser (localStorage `babblr_settings`) and sent with each request;
//! plus the perf-debugging switch. Shown in the header.

use babblr::api::{LearnerPrefs, TutorInfo};
use babblr::domain::{CefrLevel, Language};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the learner chose; `None` keeps the server's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub native_language: Option<String>,
    pub correction_max_level: Option<String>,
    /// Hands-free: the pause, in ms, after which a spoken message is sent.
    #[serde(default)]
    pub voice_pause_ms: Option<u32>,
}

/// localStorage key of the settings.
pub const STORAGE_KEY: &str = "babblr_settings";

impl Settings {
    /// As sent to the server.
    pub fn prefs(&self) -> LearnerPrefs {
        LearnerPrefs {
            native_language: self.native_language.clone(),
            correction_max_level: self.correction_max_level.clone(),
        }
    }
}

/// The settings signal, provided by the app; loaded from localStorage once
/// hydrated (server rendering uses the defaults) and saved on each change.
pub fn provide() -> RwSignal<Settings> {
    let settings = RwSignal::new(Settings::default());
    provide_context(settings);
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::{LocalStorage, Storage};
        Effect::new(move |first: Option<()>| {
            if first.is_none() {
                if let Ok(saved) = LocalStorage::get::<Settings>(STORAGE_KEY) {
                    settings.set(saved);
                }
            } else {
                let _ = LocalStorage::set(STORAGE_KEY, settings.get());
            }
            settings.track();
        });
    }
    settings
}

/// The settings provided by the app (defaults when there is none).
pub fn use_settings() -> RwSignal<Settings> {
    use_context::<RwSignal<Settings>>().unwrap_or_else(|| RwSignal::new(Settings::default()))
}

fn none_if_default(v: String) -> Option<String> {
    (!v.is_empty()).then_some(v)
}

/// The settings panel: a disclosure in the header.
#[component]
pub fn SettingsPanel(tutor: Resource<Result<TutorInfo, babblr::api::ApiError>>) -> impl IntoView {
    let settings = use_settings();
    let perf_on = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| perf_on.set(crate::perf::is_enabled()));
    let toggle_perf = move |on: bool| {
        perf_on.set(on);
        #[cfg(feature = "hydrate")]
        crate::perf::set_enabled(on);
    };
    let default_native = move || {
        tutor
            .get()
            .and_then(Result::ok)
            .map(|t| t.native_language.english_name())
            .unwrap_or("English")
    };
    let default_level = move || {
        tutor
            .get()
            .and_then(Result::ok)
            .map(|t| {
                t.correction_max_level
                    .map(|l| format!("up to {l}"))
                    .unwrap_or_else(|| "off".into())
            })
            .unwrap_or_else(|| "up to B1".into())
    };
    view! {
        <details class="settings">
            <summary>"Settings"</summary>
            // Inside a Transition: it reads the tutor resource.
            <Transition fallback=|| ()>
            <div class="settings-body">
                <label>
                    "Your language (translations, explanations)"
                    <select name="native_language"
                        prop:value=move || settings.get().native_language.unwrap_or_default()
                        on:change=move |ev| settings.update(|s| s.native_language = none_if_default(event_target_value(&ev)))>
                        <option value="">{move || format!("Default ({})", default_native())}</option>
                        {Language::ALL.into_iter().map(|l| view! { <option value=l.id()>{l.english_name()}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    "Correct my messages"
                    <select name="correction_max_level"
                        prop:value=move || settings.get().correction_max_level.unwrap_or_default()
                        on:change=move |ev| settings.update(|s| s.correction_max_level = none_if_default(event_target_value(&ev)))>
                        <option value="">{move || format!("Default ({})", default_level())}</option>
                        <option value="off">"Never"</option>
                        {CefrLevel::ALL.into_iter().map(|l| view! {
                            <option value=l.id()>{format!("At levels up to {l}")}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    "Hands-free: send what I said after a pause of"
                    <select name="voice_pause_ms"
                        prop:value=move || settings.get().voice_pause_ms.map(|ms| ms.to_string()).unwrap_or_default()
                        on:change=move |ev| settings.update(|s| s.voice_pause_ms = event_target_value(&ev).parse().ok())>
                        <option value="">"Default (the server's, 0.7 s unless set)"</option>
                        {[(500, "0.5 s (quick talkers)"), (1000, "1 s"), (1500, "1.5 s"), (2500, "2.5 s (time to think)")]
                            .into_iter()
                            .map(|(ms, label)| view! { <option value=ms.to_string()>{label}</option> })
                            .collect_view()}
                    </select>
                </label>
                <p class="model">
                    "Model in use: "
                    <strong>{move || tutor.get().and_then(Result::ok).map(|t| {
                        if t.demo { "scripted demo tutor (no language model)".to_string() } else { format!("{} via {}", t.model, t.provider) }
                    })}</strong>
                    <span class="why">{move || tutor.get().and_then(Result::ok).map(|t| t.why)}</span>
                </p>
                <label class="check">
                    <input type="checkbox" name="perf_debug" prop:checked=move || perf_on.get()
                        on:change=move |ev| toggle_perf(event_target_checked(&ev)) />
                    " Performance debugging (console [PERF] lines; same as BabblrPerf.enable())"
                </label>
            </div>
            </Transition>
        </details>
    }
}

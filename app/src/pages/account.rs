//! Accounts in the browser: the sign-in page (sign in, or sign up — the
//! first account is the admin; later ones may need an invitation link) and
//! the account page (export, password, delete; an admin's users and
//! invitations). Both reload the page after a sign-in or sign-out, so every
//! resource is fetched again as the new learner.

use crate::api::account::{
    change_password, create_invite, delete_account, list_users, set_user_disabled, sign_in,
    sign_out, sign_up, whoami,
};
use crate::pages::{short_time, ErrorNote};
use babblr::api::ApiError;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Loads `path` as a fresh page (new session, new learner).
fn reload_to(path: &str) {
    let _ = window().location().assign(path);
}

/// A labelled text input bound to `value`.
#[component]
fn Field(
    label: &'static str,
    name: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input type=kind name=name autocomplete=autocomplete required
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev)) />
        </label>
    }
}

/// `/signin`: sign in, or create an account.
#[component]
pub fn SignInPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    let query = use_query_map().read_untracked();
    let invite = query.get("invite");
    // Where to go once signed in: a path on this site only (no open redirect).
    let next = query
        .get("next")
        .filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .unwrap_or_else(|| "/".into());
    let creating = RwSignal::new(invite.is_some());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submit = Action::new(
        move |(create, u, p, invite): &(bool, String, String, Option<String>)| {
            let (create, u, p, invite) = (*create, u.clone(), p.clone(), invite.clone());
            async move {
                if create {
                    sign_up(u, p, invite).await
                } else {
                    sign_in(u, p).await
                }
            }
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = submit.value().get() {
            reload_to(&next);
        }
    });
    let invite_for_submit = invite.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submit.dispatch((
            creating.get_untracked(),
            username.get_untracked(),
            password.get_untracked(),
            invite_for_submit.clone(),
        ));
    };
    view! {
        <section class="card auth">
            <h1>{move || if creating.get() { "Create your account" } else { "Sign in" }}</h1>
            <Suspense fallback=|| ()>
                {move || me.get().and_then(Result::ok).map(|m| {
                    if !m.accounts {
                        view! { <p class="lead">"This server has no accounts: there is one learner and nothing to sign in to. "<a href="/">"Go to your conversations"</a></p> }.into_any()
                    } else if m.first {
                        view! { <p class="lead">"No one has an account yet: the first one is the admin, and keeps every conversation already here."</p> }.into_any()
                    } else if let Some(a) = m.account {
                        view! { <p class="lead">"You are signed in as "<strong>{a.username}</strong>". "<a href="/account">"Your account"</a></p> }.into_any()
                    } else {
                        ().into_any()
                    }
                })}
            </Suspense>
            <form class="auth-form" on:submit=on_submit>
                <Field label="Username" name="username" kind="text" autocomplete="username" value=username />
                <Field label="Password" name="password" kind="password"
                    autocomplete=if invite.is_some() { "new-password" } else { "current-password" } value=password />
                <p class="muted hint" hidden=move || !creating.get()>"At least 10 characters; not a common password."</p>
                <button type="submit" class="primary" disabled=move || submit.pending().get()>
                    {move || match (submit.pending().get(), creating.get()) {
                        (true, _) => "One moment…",
                        (false, true) => "Create account",
                        (false, false) => "Sign in",
                    }}
                </button>
                {move || submit.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e /> })}
            </form>
            <p>
                <button type="button" class="link" on:click=move |_| creating.update(|c| *c = !*c)>
                    {move || if creating.get() { "I have an account: sign in" } else { "New here? Create an account" }}
                </button>
            </p>
        </section>
    }
}

/// `/account`: your data and password; an admin's users and invitations.
#[component]
pub fn AccountPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    let out = Action::new(|_: &()| sign_out());
    Effect::new(move |_| {
        if let Some(Ok(())) = out.value().get() {
            reload_to("/signin");
        }
    });
    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || me.get().map(|r| match r {
                    Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                    Ok(m) => match m.account {
                        None => view! { <p><a href="/signin">"Sign in"</a>" to see your account."</p> }.into_any(),
                        Some(a) => view! {
                            <p class="lead">
                                {if m.accounts { format!("Signed in as {}", a.username) } else { "One local learner: this server has no accounts.".to_string() }}
                                {a.admin.then_some(" · admin")}
                            </p>
                            <p><a class="button" href="/account/export" download="babblr-export.json">"Download all my data (JSON)"</a></p>
                            {m.accounts.then(|| view! {
                                <button type="button" on:click=move |_| { out.dispatch(()); }>"Sign out"</button>
                                <PasswordForm />
                                <DeleteForm />
                            })}
                            {(a.admin && m.accounts).then(|| view! { <AdminPanel me=a.id /> })}
                        }.into_any(),
                    },
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let change = Action::new(|(c, n): &(String, String)| change_password(c.clone(), n.clone()));
    view! {
        <form class="auth-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            change.dispatch((current.get_untracked(), new.get_untracked()));
        }>
            <h2>"Change password"</h2>
            <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" value=current />
            <Field label="New password" name="new_password" kind="password" autocomplete="new-password" value=new />
            <button type="submit" disabled=move || change.pending().get()>"Change password"</button>
            {move || change.value().get().map(|r| match r {
                Ok(()) => view! { <p class="ok" role="status">"Password changed; your other sessions were signed out."</p> }.into_any(),
                Err(e) => view! { <ErrorNote error=e /> }.into_any(),
            })}
        </form>
    }
}

#[component]
fn DeleteForm() -> impl IntoView {
    let password = RwSignal::new(String::new());
    let delete = Action::new(|p: &String| delete_account(p.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            reload_to("/signin");
        }
    });
    view! {
        <form class="auth-form danger" on:submit=move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let ok = window().confirm_with_message("Delete your account and all your conversations, cards and progress? This cannot be undone.").unwrap_or(false);
            if ok { delete.dispatch(password.get_untracked()); }
        }>
            <h2>"Delete my account"</h2>
            <p class="muted">"Deletes your account and everything it owns. Download your data first if you want to keep it."</p>
            <Field label="Password" name="delete_password" kind="password" autocomplete="current-password" value=password />
            <button type="submit" class="danger" disabled=move || delete.pending().get()>"Delete my account and data"</button>
            {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorNote error=e /> })}
        </form>
    }
}

/// Users (disable or enable) and invitation links.
#[component]
fn AdminPanel(me: i64) -> impl IntoView {
    let changed = RwSignal::new(0u32);
    let users = Resource::new(move || changed.get(), |_| list_users());
    let toggle = Action::new(move |(id, disabled): &(i64, bool)| {
        let (id, disabled) = (*id, *disabled);
        async move {
            let r = set_user_disabled(id, disabled).await;
            changed.update(|n| *n += 1);
            r
        }
    });
    let invite = Action::new(|_: &()| create_invite());
    let origin = move || window().location().origin().unwrap_or_default();
    view! {
        <h2>"Learners"</h2>
        <Transition fallback=|| ()>
            {move || users.get().map(|r: Result<_, ApiError>| match r {
                Err(e) => view! { <ErrorNote error=e /> }.into_any(),
                Ok(list) => view! {
                    <ul class="user-list">
                        {list.into_iter().map(|u| {
                            let (id, disabled) = (u.id, u.disabled);
                            view! {
                                <li>
                                    <span>{u.username}{u.admin.then_some(" (admin)")}</span>
                                    <span class="muted">" since "{short_time(u.created_at)}</span>
                                    {(id != me).then(|| view! {
                                        <button type="button" on:click=move |_| { toggle.dispatch((id, !disabled)); }>
                                            {if disabled { "Enable" } else { "Disable" }}
                                        </button>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Transition>
        <button type="button" on:click=move |_| { invite.dispatch(()); }>"Make an invitation link"</button>
        {move || invite.value().get().map(|r| match r {
            Ok(i) => view! { <p class="invite" role="status">"Valid for 7 days, once: "<code>{format!("{}{}", origin(), i.path)}</code></p> }.into_any(),
            Err(e) => view! { <ErrorNote error=e /> }.into_any(),
        })}
        <p><a href="/perf">"Performance (requests, spans)"</a></p>
    }
}

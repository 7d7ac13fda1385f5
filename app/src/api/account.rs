//! Accounts as server functions: who am I, sign up, sign in, sign out,
//! change password, delete my data, and the admin's users and invitations.
//! (The export, `GET /account/export`, is a download link: a JSON route in
//! the server crate, so the browser bundle carries no decoder for it.) The engine decides; these only start and end the session
//! (tower-sessions: a fresh id at every sign-in).

#[cfg(feature = "ssr")]
use super::engine;
use crate::perf::PerfClient;
use babblr::api::{AccountInfo, ApiError, ApiJson, Invite, JsonOut, Me};
use leptos::prelude::*;
use server_fn::codec::GetUrl;

/// The request's session (the server's session layer puts it there).
#[cfg(feature = "ssr")]
async fn session() -> Result<tower_sessions::Session, ApiError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|_| ApiError::new(babblr::api::codes::INTERNAL, "no session layer"))
}

/// The client's address, for the attempt limits.
#[cfg(feature = "ssr")]
fn address(engine: &babblr::Engine) -> String {
    let trusted = &engine.config().auth.trusted_proxies;
    use_context::<http::request::Parts>()
        .map(|p| babblr::auth::client_address(&p, trusted))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(feature = "ssr")]
fn session_error(e: tower_sessions::session::Error) -> ApiError {
    babblr::Error::Internal(format!("session: {e}")).into()
}

/// `GET /auth/me`: whether this server has accounts, and who is signed in.
#[server(prefix = "", endpoint = "auth/me", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn whoami() -> Result<Me, ApiError> {
    Ok(engine()?.whoami().await?)
}

/// `POST /auth/signup {username, password, invite?}`: creates the account
/// and signs it in. The first account is the admin.
#[server(prefix = "", endpoint = "auth/signup", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn sign_up(
    username: String,
    password: String,
    invite: Option<String>,
) -> Result<AccountInfo, ApiError> {
    let engine = engine()?;
    let learner = engine
        .sign_up(&username, &password, invite.as_deref(), &address(&engine))
        .await?;
    babblr::auth::session::begin(&session().await?, learner)
        .await
        .map_err(session_error)?;
    account(&engine.as_learner(learner)).await
}

/// `POST /auth/signin {username, password}`: one 401 for every failure.
#[server(prefix = "", endpoint = "auth/signin", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn sign_in(username: String, password: String) -> Result<AccountInfo, ApiError> {
    let engine = engine()?;
    let learner = engine
        .sign_in(&username, &password, &address(&engine))
        .await?;
    babblr::auth::session::begin(&session().await?, learner)
        .await
        .map_err(session_error)?;
    engine.sweep_sessions().await;
    account(&engine.as_learner(learner)).await
}

#[cfg(feature = "ssr")]
async fn account(engine: &babblr::Engine) -> Result<AccountInfo, ApiError> {
    engine
        .whoami()
        .await?
        .account
        .ok_or_else(|| babblr::Error::Internal("the new account vanished".into()).into())
}

/// `POST /auth/signout`: ends this session (its record and its cookie).
#[server(prefix = "", endpoint = "auth/signout", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn sign_out() -> Result<(), ApiError> {
    session().await?.flush().await.map_err(session_error)
}

/// `POST /auth/password {current_password, new_password}`: ends the
/// learner's other sessions.
#[server(prefix = "", endpoint = "auth/password", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ApiError> {
    let session = session().await?;
    let keep = session.id().map(|id| id.to_string());
    engine()?
        .change_password(&current_password, &new_password, keep.as_deref())
        .await?;
    Ok(())
}

/// `POST /account/delete {password}`: deletes the account and every row it
/// owns, and signs out.
#[server(prefix = "", endpoint = "account/delete", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn delete_account(password: String) -> Result<(), ApiError> {
    engine()?.delete_account(&password).await?;
    session().await?.flush().await.map_err(session_error)
}

/// `GET /admin/users` (admins).
#[server(prefix = "", endpoint = "admin/users", input = GetUrl, output = JsonOut, client = PerfClient)]
pub async fn list_users() -> Result<Vec<AccountInfo>, ApiError> {
    Ok(engine()?.users().await?)
}

/// `POST /admin/invites` (admins): a new invitation link, valid 7 days.
#[server(prefix = "", endpoint = "admin/invites", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn create_invite() -> Result<Invite, ApiError> {
    Ok(engine()?.invite().await?)
}

/// `POST /admin/users/disable {id, disabled}` (admins): a disabled account
/// is signed out everywhere and cannot sign in.
#[server(prefix = "", endpoint = "admin/users/disable", input = ApiJson, output = JsonOut, client = PerfClient)]
pub async fn set_user_disabled(id: i64, disabled: bool) -> Result<(), ApiError> {
    Ok(engine()?.set_user_disabled(id, disabled).await?)
}

//! Sessions and the learner of each request. tower-sessions keeps the
//! session (an HttpOnly, SameSite=Lax cookie holding only a random id; the
//! record in the database), and [`learner`] puts the request's
//! [`Learner`] in its extensions: the local learner when accounts are off,
//! the signed-in one when they are on, nobody otherwise. Handlers turn that
//! into a scoped engine with [`Me`] (routes) or `engine()` (server
//! functions); both call `Engine::for_request`.

use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use babblr::auth::{session, AuthMode, Learner};
use babblr::db::sessions::DbSessions;
use babblr::Engine;
use http::request::Parts;
use std::convert::Infallible;
use tower_sessions::cookie::{time::Duration, SameSite};
use tower_sessions::{Expiry, Session, SessionManagerLayer};

/// The session cookie's name.
pub const COOKIE: &str = "babblr_session";

/// How long a sign-in lasts.
pub const SESSION_DAYS: i64 = 14;

/// The session layer: records in the app's database, so every process of
/// one deployment shares them.
pub fn session_layer(engine: &Engine) -> SessionManagerLayer<DbSessions> {
    SessionManagerLayer::new(engine.session_store())
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(engine.config().auth.secure_cookies)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::days(SESSION_DAYS)))
}

/// Puts the request's learner in its extensions (see the module doc).
pub async fn learner(State(engine): State<Engine>, mut req: Request, next: Next) -> Response {
    let learner = match engine.config().auth.mode {
        AuthMode::Off => Some(Learner::LOCAL),
        AuthMode::On => match req.extensions().get::<Session>() {
            Some(session) => session::learner(session).await,
            None => None,
        },
    };
    if let Some(l) = learner {
        req.extensions_mut().insert(l);
    }
    next.run(req).await
}

/// The engine acting for the request's learner (route extractor).
pub struct Me(pub Engine);

impl FromRequestParts<Engine> for Me {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, engine: &Engine) -> Result<Self, Infallible> {
        Ok(Me(engine.for_request(&parts.extensions)))
    }
}

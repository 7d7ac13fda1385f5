//! Who is asking. With `BABBLR_AUTH=off` every request is the one local
//! learner (id 1, an admin); with `on`, the learner signed in on the request's
//! session, or nobody. The engine scopes every read and write by the
//! [`Learner`] it was handed ([`crate::Engine::as_learner`]), so a route
//! cannot forget to: an engine without one answers 401.
//!
//! - [`password`]: Argon2id hashing and the rules for a new password.
//! - [`limits`]: sign-in and sign-up attempts per account and address.
//! - [`session`]: what a sign-in session holds.

pub mod limits;
pub mod password;
pub mod session;

/// A learner a request acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learner {
    pub id: i64,
    /// Admins see `/perf`, the request record, `/metrics` and the users.
    pub admin: bool,
}

impl Learner {
    /// The local learner of `BABBLR_AUTH=off`: owns everything written
    /// without accounts; the first account to sign up takes it over.
    pub const LOCAL: Learner = Learner { id: 1, admin: true };
}

/// Whether the server has accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// One local learner, no sign-in (only safe on loopback).
    Off,
    /// Accounts: sign up, sign in, each learner sees only their own data.
    On,
}

/// Who may create an account once the first (admin) one exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignUp {
    /// Anyone who can reach the server.
    Open,
    /// Only holders of an invitation link made by an admin.
    Invite,
}

/// The client's address as the listener saw it (`"unknown"` without one),
/// the key of the per-address attempt limits.
pub fn client_address(extensions: &http::Extensions) -> String {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub use crate::api::account::{NOT_SIGNED_IN, SIGN_IN_FAILED};

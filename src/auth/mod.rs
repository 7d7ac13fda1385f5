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

pub use crate::api::account::{NOT_SIGNED_IN, SIGN_IN_FAILED};
use std::net::IpAddr;

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

/// The client's address, the key of the per-address attempt limits: the
/// peer the listener saw, or, when that peer is one of `trusted` proxies, the
/// nearest address in `X-Forwarded-For` that is not a trusted proxy (the
/// entries further left are the client's own say and could be forged).
/// `"unknown"` without a peer.
pub fn client_address(parts: &http::request::Parts, trusted: &[IpAddr]) -> String {
    let Some(peer) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".into();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(&peer)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(peer: &str, forwarded: Option<&str>) -> http::request::Parts {
        let mut req = http::Request::builder();
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        let peer: std::net::SocketAddr = format!("{peer}:5000").parse().unwrap();
        parts.extensions.insert(axum::extract::ConnectInfo(peer));
        parts
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        // Straight from a client: its own address, whatever it claims.
        let direct = parts("203.0.113.7", Some("198.51.100.1"));
        assert_eq!(client_address(&direct, &[proxy]), "203.0.113.7");
        // Through the proxy: the address the proxy saw, not what the
        // client put in front of it.
        let proxied = parts("10.0.0.2", Some("1.2.3.4, 198.51.100.9"));
        assert_eq!(client_address(&proxied, &[proxy]), "198.51.100.9");
        // A proxy with no header: the proxy itself.
        assert_eq!(
            client_address(&parts("10.0.0.2", None), &[proxy]),
            "10.0.0.2"
        );
        // Without trusted proxies the header means nothing.
        assert_eq!(client_address(&proxied, &[]), "10.0.0.2");
        let none = http::Request::new(()).into_parts().0;
        assert_eq!(client_address(&none, &[proxy]), "unknown");
    }
}

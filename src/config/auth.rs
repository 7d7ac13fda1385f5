//! The account settings, and the rule that keeps a server others can reach
//! from running without accounts by accident.

use super::ConfigError;
use crate::auth::{AuthMode, SignUp};
use std::net::{IpAddr, SocketAddr};

/// Account settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub mode: AuthMode,
    pub sign_up: SignUp,
    /// Bearer token that may read `/metrics` (Prometheus) without a session.
    pub metrics_token: Option<String>,
    /// Mark the session cookie `Secure` (the server is reached over HTTPS).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the real client (for
    /// the per-address attempt limits); from anyone else it is ignored.
    pub trusted_proxies: Vec<IpAddr>,
}

/// Reads `BABBLR_AUTH`, `BABBLR_SIGNUP`, `BABBLR_METRICS_TOKEN` and
/// `BABBLR_SECURE_COOKIES`. Without `BABBLR_AUTH`, accounts are off only
/// while the server listens on loopback: listening on any other address
/// needs an explicit choice.
pub fn from_lookup(
    var: impl Fn(&str) -> Option<String>,
    addr: SocketAddr,
) -> Result<AuthConfig, ConfigError> {
    let err = |var: &'static str, message: String| ConfigError { var, message };
    let mode = match var("BABBLR_AUTH")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        Some("on") => AuthMode::On,
        Some("off") => AuthMode::Off,
        Some(other) => return Err(err("BABBLR_AUTH", format!("'{other}' is not on or off"))),
        None if addr.ip().is_loopback() => AuthMode::Off,
        None => {
            return Err(err(
                "BABBLR_AUTH",
                format!(
                    "the server would listen on {addr}, where others can reach it, without \
                     accounts. Set BABBLR_AUTH=on to give each learner an account (the first \
                     to sign up is the admin), or BABBLR_AUTH=off if everyone who can reach \
                     it may read and delete every conversation."
                ),
            ))
        }
    };
    let sign_up = match var("BABBLR_SIGNUP")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("invite") => SignUp::Invite,
        Some("open") => SignUp::Open,
        Some(other) => {
            return Err(err(
                "BABBLR_SIGNUP",
                format!("'{other}' is not open or invite"),
            ))
        }
    };
    let secure_cookies = var("BABBLR_SECURE_COOKIES").is_some_and(|v| super::is_on(&v));
    let mut trusted_proxies = Vec::new();
    for item in var("BABBLR_TRUSTED_PROXIES").unwrap_or_default().split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        trusted_proxies.push(item.parse().map_err(|_| {
            err(
                "BABBLR_TRUSTED_PROXIES",
                format!("'{item}' is not an IP address"),
            )
        })?);
    }
    Ok(AuthConfig {
        trusted_proxies,
        mode,
        sign_up,
        metrics_token: var("BABBLR_METRICS_TOKEN"),
        secure_cookies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(addr: &str, pairs: &[(&str, &str)]) -> Result<AuthConfig, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_lookup(
            |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            addr.parse().unwrap(),
        )
    }

    #[test]
    fn accounts_are_off_by_default_only_on_loopback() {
        assert_eq!(auth("127.0.0.1:8000", &[]).unwrap().mode, AuthMode::Off);
        assert_eq!(auth("[::1]:8000", &[]).unwrap().mode, AuthMode::Off);
        let e = auth("0.0.0.0:8000", &[]).unwrap_err();
        assert_eq!(e.var, "BABBLR_AUTH");
        assert!(e.message.contains("BABBLR_AUTH=on"), "{}", e.message);
        let on = auth("0.0.0.0:8000", &[("BABBLR_AUTH", "on")]).unwrap();
        assert_eq!((on.mode, on.sign_up), (AuthMode::On, SignUp::Invite));
        let off = auth("192.168.1.5:8000", &[("BABBLR_AUTH", "off")]).unwrap();
        assert_eq!(off.mode, AuthMode::Off);
        assert!(auth("127.0.0.1:8000", &[("BABBLR_AUTH", "maybe")]).is_err());
        let open = auth("127.0.0.1:1", &[("BABBLR_SIGNUP", "open")]).unwrap();
        assert_eq!(open.sign_up, SignUp::Open);
        let proxies = auth(
            "127.0.0.1:1",
            &[("BABBLR_TRUSTED_PROXIES", "10.0.0.2, ::1")],
        )
        .unwrap();
        assert_eq!(proxies.trusted_proxies.len(), 2);
        let bad = auth("127.0.0.1:1", &[("BABBLR_TRUSTED_PROXIES", "nginx")]).unwrap_err();
        assert_eq!(bad.var, "BABBLR_TRUSTED_PROXIES");
    }
}

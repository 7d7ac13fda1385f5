//! Accounts: sign up, sign in, change the password, export or delete all of
//! one's data, and the admin's list of users and invitations. Sessions (the
//! cookie, the id rotation at sign-in) are the server's; these methods say
//! who the learner is.

use super::Engine;
use crate::api::{AccountInfo, Invite, Me};
use crate::auth::{limits, password, AuthMode, Learner, SignUp, SIGN_IN_FAILED};
use crate::db::now_ms;
use crate::db::users::Join;
use crate::error::{Error, Result};
use crate::perf_timed;
use sha2::{Digest, Sha256};

/// How long an invitation link stays valid.
const INVITE_DAYS: i64 = 7;

/// A username as stored: trimmed, lower-cased, 2–32 of `a-z 0-9 . _ - @`.
pub fn username(raw: &str) -> Result<String> {
    let name = raw.trim().to_lowercase();
    let n = name.chars().count();
    if !(2..=32).contains(&n) {
        return Err(Error::invalid("username", "must be 2 to 32 characters"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(Error::invalid(
            "username",
            "may hold only letters, digits and . _ - @",
        ));
    }
    Ok(name)
}

/// The stored form of an invitation token: its SHA-256, hex.
fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.trim().as_bytes()))
}

impl Engine {
    fn accounts_on(&self) -> Result<()> {
        match self.inner.config.auth.mode {
            AuthMode::On => Ok(()),
            AuthMode::Off => Err(Error::Conflict(
                "This server has no accounts (BABBLR_AUTH=off): there is one learner and no sign-in."
                    .into(),
            )),
        }
    }

    /// Who this request is, and how accounts work here.
    pub async fn whoami(&self) -> Result<Me> {
        let accounts = self.inner.config.auth.mode == AuthMode::On;
        let account = match self.learner {
            Some(l) if accounts => self.inner.db.user(l.id).await?.map(|u| u.info()),
            Some(l) => Some(AccountInfo {
                id: l.id,
                username: "local".into(),
                admin: l.admin,
                disabled: false,
                created_at: 0,
            }),
            None => None,
        };
        Ok(Me {
            accounts,
            account,
            open_sign_up: self.inner.config.auth.sign_up == SignUp::Open,
            first: accounts && !self.inner.db.has_accounts().await?,
        })
    }

    /// Creates an account and returns its learner. The first account is
    /// the admin and takes over the local learner's data; later ones need an
    /// invitation unless sign-up is open. 5 sign-ups per address per hour.
    pub async fn sign_up(
        &self,
        raw_username: &str,
        new_password: &str,
        invite: Option<&str>,
        address: &str,
    ) -> Result<Learner> {
        self.accounts_on()?;
        let db = &self.inner.db;
        if let Some(wait) = limits::SIGN_UPS.wait(db, address).await? {
            return Err(too_many(wait));
        }
        limits::SIGN_UPS.hit(db, address).await?;
        let name = username(raw_username)?;
        password::check_new("password", new_password, &name)?;
        let first = !self.inner.db.has_accounts().await?;
        let invite_hash = invite.filter(|t| !t.trim().is_empty()).map(token_hash);
        let join = match (first, self.inner.config.auth.sign_up, &invite_hash) {
            (true, _, _) => Join::First,
            (false, _, Some(hash)) => Join::Invited(hash),
            (false, SignUp::Open, None) => Join::Open,
            (false, SignUp::Invite, _) => {
                return Err(Error::Forbidden(
                    "Sign-up here is by invitation: ask an admin for a link.".into(),
                ))
            }
        };
        let hash = hash_password(new_password).await?;
        let user = self
            .inner
            .db
            .create_user(&name, &hash, join)
            .await?
            .ok_or_else(|| {
                Error::Conflict("This username cannot be used; choose another.".into())
            })?;
        tracing::info!(learner = user.id, admin = user.admin, "account created");
        Ok(Learner {
            id: user.id,
            admin: user.admin,
        })
    }

    /// Checks a username and password (span `auth.verify_password`). Every
    /// failure is the same 401, and an unknown name costs the same Argon2
    /// work as a wrong password. Failures are limited per name (5 per 15
    /// min) and per address (20 per 15 min): past that, 429.
    pub async fn sign_in(&self, raw_username: &str, pass: &str, address: &str) -> Result<Learner> {
        self.accounts_on()?;
        let name = raw_username.trim().to_lowercase();
        let db = &self.inner.db;
        let wait = match limits::PER_ADDRESS.wait(db, address).await? {
            Some(wait) => Some(wait),
            None => limits::PER_ACCOUNT.wait(db, &name).await?,
        };
        if let Some(wait) = wait {
            return Err(too_many(wait));
        }
        let user = self.inner.db.user_by_name(&name).await?;
        let ok = self
            .check_password(user.as_ref().and_then(|u| u.password_hash.clone()), pass)
            .await?;
        match user {
            Some(u) if ok && !u.disabled => {
                limits::PER_ACCOUNT.clear(db, &name).await?;
                Ok(Learner {
                    id: u.id,
                    admin: u.admin,
                })
            }
            _ => {
                limits::PER_ACCOUNT.hit(db, &name).await?;
                limits::PER_ADDRESS.hit(db, address).await?;
                Err(Error::Unauthorized(SIGN_IN_FAILED.into()))
            }
        }
    }

    /// Verifies on a blocking thread (Argon2 takes tens of ms on purpose).
    async fn check_password(&self, stored: Option<String>, pass: &str) -> Result<bool> {
        let pass = pass.to_string();
        perf_timed!(
            INFO,
            "auth.verify_password",
            tokio::task::spawn_blocking(move || match stored {
                Some(h) => password::verify(&pass, &h),
                None => {
                    password::verify(&pass, password::decoy());
                    false
                }
            })
        )
        .await
        .map_err(|e| Error::Internal(e.to_string()))
    }

    /// The learner's own password, checked (401 when wrong).
    async fn confirm_password(&self, pass: &str) -> Result<crate::db::users::User> {
        let me = self.me()?;
        let user = self
            .inner
            .db
            .user(me)
            .await?
            .ok_or_else(|| Error::Unauthorized(crate::auth::NOT_SIGNED_IN.into()))?;
        if !self
            .check_password(user.password_hash.clone(), pass)
            .await?
        {
            return Err(Error::Unauthorized(
                "The current password is not right.".into(),
            ));
        }
        Ok(user)
    }

    /// Changes the learner's password and ends their other sessions
    /// (`keep`: the id of the session making the change).
    pub async fn change_password(
        &self,
        current: &str,
        new: &str,
        keep: Option<&str>,
    ) -> Result<()> {
        self.accounts_on()?;
        let user = self.confirm_password(current).await?;
        password::check_new("new_password", new, user.username.as_deref().unwrap_or(""))?;
        let hash = hash_password(new).await?;
        self.inner.db.set_password(user.id, &hash).await?;
        self.inner.db.end_sessions(user.id, keep).await
    }

    /// Deletes the learner's account and every row they own, after checking
    /// their password.
    pub async fn delete_account(&self, pass: &str) -> Result<()> {
        self.accounts_on()?;
        let user = self.confirm_password(pass).await?;
        self.inner.db.delete_user(user.id).await?;
        tracing::info!(learner = user.id, "account deleted with all its data");
        Ok(())
    }

    /// Everything the learner owns, as one JSON document.
    pub async fn export_account(&self) -> Result<serde_json::Value> {
        let me = self.me()?;
        let tables = perf_timed!("account.export", self.inner.db.export_user(me)).await?;
        let account = self.whoami().await?.account;
        Ok(serde_json::json!({
            "format": "babblr-export-1",
            "exported_at": now_ms(),
            "account": account,
            "data": tables,
        }))
    }

    /// Every account (admins only).
    pub async fn users(&self) -> Result<Vec<AccountInfo>> {
        self.require_admin()?;
        Ok(self
            .inner
            .db
            .users()
            .await?
            .iter()
            .map(|u| u.info())
            .collect())
    }

    /// A new invitation link valid for 7 days (admins only).
    pub async fn invite(&self) -> Result<Invite> {
        self.accounts_on()?;
        self.require_admin()?;
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let expires_at = now_ms() + INVITE_DAYS * crate::db::activity::DAY_MS;
        self.inner
            .db
            .create_invite(self.me()?, &token_hash(&token), expires_at)
            .await?;
        Ok(Invite {
            path: format!("/signin?invite={token}"),
            token,
            expires_at,
        })
    }

    /// Disables (ending their sessions) or re-enables an account (admins
    /// only; not their own).
    pub async fn set_user_disabled(&self, id: i64, disabled: bool) -> Result<()> {
        self.require_admin()?;
        if self.me()? == id {
            return Err(Error::invalid(
                "id",
                "admins cannot disable their own account",
            ));
        }
        if self.inner.db.set_disabled(id, disabled).await? {
            Ok(())
        } else {
            Err(Error::NotFound(format!("user {id} does not exist")))
        }
    }

    /// Drops expired sessions (at sign-in, so the table never grows unbounded).
    pub async fn sweep_sessions(&self) {
        if let Err(e) = self.inner.db.delete_expired_sessions().await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
    }
}

/// Hashes on a blocking thread (span `auth.hash_password`: Argon2 takes
/// tens of ms on purpose).
async fn hash_password(pass: &str) -> Result<String> {
    let pass = pass.to_string();
    perf_timed!(
        INFO,
        "auth.hash_password",
        tokio::task::spawn_blocking(move || password::hash(&pass))
    )
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

fn too_many(wait: std::time::Duration) -> Error {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    Error::TooManyRequests(format!(
        "Too many attempts; try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(username("  Ana.Garcia ").unwrap(), "ana.garcia");
        assert!(username("a").is_err());
        assert_eq!(username("Bo").unwrap(), "bo");
        assert!(username("ana garcia").is_err());
        assert!(username(&"a".repeat(33)).is_err());
        assert_eq!(username("bo@school-1").unwrap(), "bo@school-1");
    }

    #[test]
    fn invitation_tokens_are_kept_hashed() {
        let h = token_hash("abc");
        assert_eq!(h.len(), 64);
        assert_eq!(h, token_hash(" abc "));
        assert_ne!(h, token_hash("abd"));
    }
}

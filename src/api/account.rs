//! Accounts: who is signed in, the account list admins see, invitations.

use serde::{Deserialize, Serialize};

/// The one answer to every failed sign-in, whatever the reason (no such
/// account, wrong password, disabled account), so it tells nothing.
pub const SIGN_IN_FAILED: &str = "The username or password is not right.";

/// The answer to a request that needs a learner and has none.
pub const NOT_SIGNED_IN: &str = "Sign in to continue.";

/// An account as its owner (or an admin) sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub id: i64,
    pub username: String,
    pub admin: bool,
    pub disabled: bool,
    pub created_at: i64,
}

/// Who the browser is talking as, for the header and the sign-in page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    /// `false` with `BABBLR_AUTH=off`: one local learner, no sign-in.
    pub accounts: bool,
    /// The signed-in learner; always set when accounts are off (the local one).
    pub account: Option<AccountInfo>,
    /// Whether anyone may sign up (`open`), or only with an invitation.
    pub open_sign_up: bool,
    /// No account exists yet: the first to sign up becomes the admin.
    pub first: bool,
}

/// A new invitation link's token (shown once; only its hash is kept).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invite {
    pub token: String,
    /// The path to open: `/signin?invite=TOKEN`.
    pub path: String,
    pub expires_at: i64,
}

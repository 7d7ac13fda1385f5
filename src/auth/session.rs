//! What a sign-in session holds (the learner's id and whether they are an
//! admin) and how one starts. tower-sessions owns the cookie and the ids;
//! [`crate::db::sessions`] stores the records.

use super::Learner;
use tower_sessions::Session;

/// The session key holding the signed-in learner's id.
pub const LEARNER_KEY: &str = "learner";
/// The session key saying whether that learner is an admin.
pub const ADMIN_KEY: &str = "admin";

/// Starts a session for `learner` on a fresh id, so an id planted before
/// sign-in (session fixation) is never the signed-in one.
pub async fn begin(
    session: &Session,
    learner: Learner,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(LEARNER_KEY, learner.id).await?;
    session.insert(ADMIN_KEY, learner.admin).await?;
    Ok(())
}

/// The learner a session is signed in as. A cookie naming no live session
/// (expired, signed out, never issued) yields nobody; tower-sessions then
/// clears that cookie on the way out.
pub async fn learner(session: &Session) -> Option<Learner> {
    let id = session.get::<i64>(LEARNER_KEY).await.ok().flatten()?;
    let admin = session
        .get::<bool>(ADMIN_KEY)
        .await
        .ok()
        .flatten()
        .unwrap_or(false);
    Some(Learner { id, admin })
}

//! What the portal keeps in the visitor's session, and how pages read it.

use http::request::Parts;
use tower_sessions::Session;

use crate::error::AppError;
use crate::types::{CurrentUser, Flash};

/// Session key of the logged-in user's id.
pub const USER_ID_KEY: &str = "user_id";
/// Session key of the one-time flash message.
pub const FLASH_KEY: &str = "flash";

/// The user the request was authenticated as (placed in the request by the server's middleware).
pub fn current_user(parts: &Parts) -> Option<CurrentUser> {
    parts.extensions.get::<CurrentUser>().cloned()
}

/// Like [`current_user`], but an error for logged-out visitors.
pub fn require_user(parts: &Parts) -> Result<CurrentUser, AppError> {
    current_user(parts).ok_or(AppError::Unauthorized)
}

/// Removes and returns the flash message, if any.
pub async fn take_flash(parts: &Parts) -> Result<Option<Flash>, AppError> {
    let Some(session) = parts.extensions.get::<Session>() else {
        return Ok(None);
    };
    session.remove::<Flash>(FLASH_KEY).await.map_err(|err| {
        tracing::error!(%err, "cannot read the flash message from the session");
        AppError::Internal
    })
}

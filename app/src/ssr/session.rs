//! What the portal keeps in the visitor's session, and how pages read it.

use http::request::Parts;
use tower_sessions::Session;

use super::state::AppState;
use crate::error::AppError;
use crate::types::CurrentUser;

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

/// Session key of the one-time permission to show an app's key in clear.
pub const REVEAL_KEY: &str = "reveal";
/// How long a reveal grant waits for its page load.
const REVEAL_GRANT_MS: i64 = 60_000;

/// Permission to show `appid`'s current key once, until `until` (unix ms).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RevealGrant {
    /// The app.
    pub appid: String,
    /// Expiry, unix ms.
    pub until: i64,
}

/// Grants one page load of `appid`'s detail page the current key in clear.
/// Only the permission is stored in the session, never the key.
pub async fn grant_reveal(session: &Session, appid: &str) -> Result<(), tower_sessions::session::Error> {
    let grant = RevealGrant {
        appid: appid.to_owned(),
        until: super::now_ms() + REVEAL_GRANT_MS,
    };
    session.insert(REVEAL_KEY, grant).await
}

/// Takes the reveal grant; true if it was for `appid` and still fresh.
pub async fn take_reveal_grant(parts: &Parts, appid: &str) -> Result<bool, AppError> {
    let Some(session) = parts.extensions.get::<Session>() else {
        return Ok(false);
    };
    let grant = session
        .get::<RevealGrant>(REVEAL_KEY)
        .await
        .map_err(AppError::internal)?;
    match grant {
        Some(grant) if grant.appid == appid => {
            session
                .remove::<RevealGrant>(REVEAL_KEY)
                .await
                .map_err(AppError::internal)?;
            Ok(grant.until > super::now_ms())
        }
        _ => Ok(false),
    }
}

/// State, request parts and the logged-in user, for a server function.
pub fn request_context() -> Result<(AppState, Parts, CurrentUser), AppError> {
    let state = leptos::prelude::use_context::<AppState>().ok_or(AppError::Internal)?;
    let parts = leptos::prelude::use_context::<Parts>().ok_or(AppError::Internal)?;
    let user = require_user(&parts)?;
    Ok((state, parts, user))
}

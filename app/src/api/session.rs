//! The visitor's session: who is logged in, and any flash message.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::SessionInfo;

/// Returns the logged-in user and takes (removes) the pending flash message.
#[server]
pub async fn load_session() -> Result<SessionInfo, AppError> {
    use crate::ssr::session::{current_user, take_flash};

    let parts = use_context::<http::request::Parts>().ok_or(AppError::Internal)?;
    Ok(SessionInfo {
        user: current_user(&parts),
        flash: take_flash(&parts).await?,
    })
}

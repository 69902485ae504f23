//! Values shared by the server and the browser.

use serde::{Deserialize, Serialize};

/// The logged-in user and their ISV account (the tenant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// The user's id.
    pub user_id: i64,
    /// The ISV (tenant) the user belongs to.
    pub isv_id: i64,
    /// The user's normalised e-mail.
    pub email: String,
    /// The ISV's display name.
    pub isv_name: String,
}

/// A message for the next page, after a form post redirected (post/redirect/get).
///
/// It carries what the user typed, so the form can be shown again filled in.
/// Passwords are never kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// The error to show above the form.
    pub error: String,
    /// The e-mail the user typed.
    pub email: String,
    /// The ISV name the user typed (sign-up only).
    pub isv_name: String,
}

/// What every page needs to know about the visitor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The logged-in user, if any.
    pub user: Option<CurrentUser>,
    /// A one-time message left by the previous form post.
    pub flash: Option<Flash>,
}

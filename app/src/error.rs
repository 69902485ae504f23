//! The error type of every server function.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Errors a server function can return to the page.
///
/// Internal failures carry no detail: the detail is logged on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The visitor is not logged in.
    #[error("please log in")]
    Unauthorized,
    /// The thing does not exist, or belongs to another ISV.
    #[error("not found")]
    NotFound,
    /// The input was rejected; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// Something failed on the server; details are in the server log.
    #[error("something went wrong on our side; please try again")]
    Internal,
    /// The server function call itself failed (network, encoding).
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    /// The message for a person, in `locale` (an `Invalid` message is already in the
    /// request's language, written by the server).
    pub fn text(&self, locale: crate::i18n::Locale) -> String {
        use crate::i18n::td_string;
        match self {
            Self::Unauthorized => td_string!(locale, common.errors.unauthorized).into(),
            Self::NotFound => td_string!(locale, common.errors.not_found).into(),
            Self::Invalid(message) => message.clone(),
            Self::Internal => td_string!(locale, common.errors.internal).into(),
            Self::Transport(detail) => {
                td_string!(locale, common.errors.transport, detail = detail).to_string()
            }
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Logs an internal failure with its detail and returns the generic error.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "server function failed");
        Self::Internal
    }

    /// `NotFound`, and sets the response status to 404 (for pages and server functions alike).
    pub fn not_found() -> Self {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
        Self::NotFound
    }

    /// Maps an app operation's error.
    pub fn from_apps(err: crate::ssr::apps::AppsError) -> Self {
        use crate::ssr::apps::AppsError;
        match err {
            AppsError::NotFound => Self::not_found(),
            AppsError::Invalid(errors) => Self::Invalid(errors.into_values().collect::<Vec<_>>().join(" ")),
            AppsError::Internal(detail) => Self::internal(detail),
        }
    }
}

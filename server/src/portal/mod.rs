//! The portal's HTTP plumbing around the Leptos pages: account and app
//! endpoints, the current user, login redirects and the same-origin check.

pub mod apps;
pub mod auth;
pub mod console;
pub mod guard;
pub mod language;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use app::types::CurrentUser;

/// A 500 answer for a failure on our side; `detail` goes to the log, never to the user.
pub fn internal_error(context: &str, detail: &dyn std::fmt::Display) -> Response {
    tracing::error!(%detail, "{context}");
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side; please try again.",
    )
        .into_response()
}

/// Extractor: the logged-in user and the client IP; logged-out requests are sent to `/login`.
pub struct LoggedIn(pub CurrentUser, pub String);

impl<S: Send + Sync> FromRequestParts<S> for LoggedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let user = parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(|| Redirect::to("/login").into_response())?;
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip().to_string())
            .unwrap_or_default();
        Ok(Self(user, ip))
    }
}

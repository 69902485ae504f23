//! State shared by every request handler and server function.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;

use super::keys::MasterKey;

/// Database pool and Leptos options, cloned cheaply into each request.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The connection pool (SQLite or PostgreSQL).
    pub db: DatabaseConnection,
    /// Leptos' site options (output name, site root, address).
    pub leptos_options: LeptosOptions,
    /// The key-encryption key for app keys.
    pub master_key: MasterKey,
    /// How long a rotated-out key keeps verifying, in milliseconds.
    pub key_grace_ms: i64,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

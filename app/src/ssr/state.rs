//! State shared by every request handler and server function.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;

use super::app_cache::AppCache;
use super::auth::UserCache;
use super::clock::Clock;
use super::keys::MasterKey;
use super::limiter::RateLimiter;
use super::order_batch::OrderBatcher;
use super::order_lookup::OrderLookups;
use super::payment_batch::PaymentBatcher;
use super::sqlite_reads::SqliteReads;
use super::write_gate::WriteGate;

/// Everything a request handler or server function needs, behind one `Arc`:
/// axum clones the state into every request, so a clone is one reference count
/// (the master key's cipher and Leptos' options are not copied per request).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Shared {
    /// The connection pool (SQLite or PostgreSQL).
    pub db: DatabaseConnection,
    /// Leptos' site options (output name, site root, address).
    pub leptos_options: LeptosOptions,
    /// The key-encryption key for app keys.
    pub master_key: MasterKey,
    /// How long a rotated-out key keeps verifying, in milliseconds.
    pub key_grace_ms: i64,
    /// Gateway and notification settings.
    pub settings: Arc<Settings>,
    /// Per-app request budget of the gateway.
    pub limiter: Arc<RateLimiter>,
    /// The HTTP client notifications go out with (redirects are not followed).
    pub http: reqwest::Client,
    /// What "now" is for orders and notifications (injectable for tests).
    pub clock: Arc<dyn Clock>,
    /// Apps by appid with their keys, for the gateway (invalidate after changing an app).
    pub apps: Arc<AppCache>,
    /// Logged-in users by id, for the middleware (forget one after changing it).
    pub users: Arc<UserCache>,
    /// Writes test payments in batches (group commit).
    pub payments: Arc<PaymentBatcher>,
    /// Writes the orders pay.htm creates in batches (group commit).
    pub new_orders: Arc<OrderBatcher>,
    /// Reads the XML queries' orders in batches (PostgreSQL, and SQLite's fallback).
    pub lookups: Arc<OrderLookups>,
    /// Queues this process's hot writers on SQLite (open on PostgreSQL).
    pub writes: Arc<WriteGate>,
    /// Direct reads of a SQLite file for the gateway's XML queries; `None` on PostgreSQL.
    pub sqlite_reads: Option<Arc<SqliteReads>>,
    /// Wakes the dispatcher when a notification becomes due now.
    pub wake: Arc<tokio::sync::Notify>,
}

/// Gateway and notification settings from the environment (SPEC §8.1).
#[derive(Clone, Debug)]
pub struct Settings {
    /// `PORTAL_PUBLIC_URL` without a trailing slash: the base of cashier and portal links.
    pub public_url: String,
    /// `PORTAL_NOTIFY_RETRY_SCHEDULE`: the delays between attempts.
    pub notify_retry_schedule: Vec<Duration>,
    /// `PORTAL_NOTIFY_TIMEOUT`: per-attempt timeout.
    pub notify_timeout: Duration,
    /// `PORTAL_NOTIFY_BLOCK_PRIVATE`: refuse targets on loopback and private networks.
    pub notify_block_private: bool,
    /// `PORTAL_NOTIFY_ID_TTL`: how long a notify_id answers the notify query.
    pub notify_id_ttl: Duration,
    /// `PORTAL_GATEWAY_RATE_LIMIT`: gateway requests per second per app (0: no limit).
    pub gateway_rate_limit: u32,
    /// `PORTAL_NOTIFY_RETENTION_DAYS`: attempts older than this are pruned.
    pub notify_retention_days: u32,
    /// Deliveries in flight at once, in all.
    pub dispatch_concurrency: usize,
    /// Deliveries in flight at once to one host (host:port).
    pub dispatch_per_host: usize,
}

impl Settings {
    /// Cookies get the `Secure` flag when the portal is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            notify_retry_schedule: [1, 2, 4, 8, 16, 32]
                .into_iter()
                .map(|minutes| Duration::from_secs(minutes * 60))
                .collect(),
            notify_timeout: Duration::from_secs(10),
            notify_block_private: false,
            notify_id_ttl: Duration::from_secs(7 * 86_400),
            gateway_rate_limit: 1000,
            notify_retention_days: 30,
            dispatch_concurrency: 512,
            dispatch_per_host: 64,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

//! The portal server: the Leptos pages, the account endpoints and (later) the
//! gateway, in one axum application.
#![forbid(unsafe_code)]
// The island components make the page types deep enough for rustc's layout computation.
#![recursion_limit = "256"]

pub mod config;
pub mod db;
pub mod demo;
pub mod dispatch;
pub mod error;
pub mod gateway;
pub mod inbox;
pub mod portal;
pub mod session_store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use app::ssr::clock::{Clock, SystemClock};
use app::ssr::limiter::RateLimiter;
use app::ssr::state::{AppState, Settings, Shared};
use app::ssr::write_gate::WriteGate;
use app::{App, shell};
use sea_orm::ConnectionTrait;

pub use crate::config::Config;
pub use crate::error::{Error, Result};
use crate::portal::{apps, auth, console, guard, language};
use crate::session_store::DbSessionStore;

/// Request bodies above this size are refused with 413 (SPEC §6).
pub const BODY_LIMIT: usize = 64 * 1024;
/// How often the dashboard's recorded changes are folded into its counts.
const FOLD_EVERY: Duration = Duration::from_millis(500);

/// Sessions end after a week without a request.
const SESSION_IDLE_DAYS: i64 = 7;

/// Opens the database, applies migrations, starts the notification dispatcher,
/// and serves on `listener` until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    run_with_clock(config, listener, shutdown, Arc::new(SystemClock)).await
}

/// [`run`] with the clock orders and notifications go by (tests move it by hand).
pub async fn run_with_clock(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    clock: Arc<dyn Clock>,
) -> Result<()> {
    let state = prepare_with_clock(&config, clock).await?;
    let db = state.db.clone();
    let store = DbSessionStore::new(db.clone());
    let cleanup = tokio::spawn(hourly_cleanup(store.clone(), db.clone()));
    let release = state
        .sqlite_reads
        .is_some()
        .then(|| tokio::spawn(tend_sqlite(state.clone())));
    // Changes a bulk import left are folded before the first dashboard is served.
    if let Err(err) = fold_stats(&state).await {
        tracing::warn!(%err, "folding the dashboard counts failed; trying again");
    }
    let fold = tokio::spawn(fold_stats_often(state.clone()));
    let dispatcher = dispatch::spawn(state.clone());
    let app = router(state, store, &config);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, public_url = %config.public_url, "listening");
    }
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await;
    dispatcher.shutdown().await;
    cleanup.abort();
    fold.abort();
    if let Some(release) = release {
        release.abort();
    }
    if let Err(err) = db.close().await {
        tracing::warn!(%err, "closing the database");
    }
    served.map_err(Error::Serve)
}

/// Opens the database, applies migrations and loads the master key.
pub async fn prepare(config: &Config) -> Result<AppState> {
    prepare_with_clock(config, Arc::new(SystemClock)).await
}

/// [`prepare`] with a given clock.
pub async fn prepare_with_clock(config: &Config, clock: Arc<dyn Clock>) -> Result<AppState> {
    ensure_data_dir(config)?;
    let db = db::connect(&config.database_url).await?;
    db::migrate(&db).await?;
    let sqlite = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
    let master_key = app::ssr::keys::load_master_key(
        config.master_key.as_ref().map(|secret| secret.expose()),
        &config.data_dir,
        &db,
    )
    .await?;
    let settings = Settings {
        public_url: config.public_url.as_str().trim_end_matches('/').to_owned(),
        notify_retry_schedule: config.notify_retry_schedule.clone(),
        notify_timeout: config.notify_timeout,
        notify_block_private: config.notify_block_private,
        notify_id_ttl: config.notify_id_ttl,
        gateway_rate_limit: config.gateway_rate_limit,
        notify_retention_days: config.notify_retention_days,
        ..Settings::default()
    };
    let mut http = reqwest::Client::builder()
        .user_agent(app::ssr::notify::USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.notify_timeout);
    if config.notify_block_private {
        // Connections go straight to the checked addresses: through a proxy (HTTP_PROXY
        // and the like), the proxy would resolve the name and the check would see nothing.
        http = http
            .dns_resolver(Arc::new(app::ssr::notify::PublicOnlyResolver))
            .no_proxy();
    }
    let http = http
        .build()
        .map_err(|err| Error::Config(format!("cannot build the notification HTTP client: {err}")))?;
    Ok(AppState::new(Shared {
        db,
        leptos_options: config.leptos.clone(),
        master_key,
        key_grace_ms: i64::try_from(config.key_grace.as_millis()).unwrap_or(i64::MAX),
        limiter: Arc::new(RateLimiter::new(config.gateway_rate_limit)),
        settings: Arc::new(settings),
        http,
        clock,
        wake: Arc::new(tokio::sync::Notify::new()),
        apps: Arc::default(),
        users: Arc::default(),
        writes: Arc::new(WriteGate::new(sqlite)),
        sqlite_reads: app::ssr::sqlite_reads::SqliteReads::for_url(&config.database_url).map(Arc::new),
        payments: Arc::default(),
        new_orders: Arc::default(),
        lookups: Arc::default(),
    }))
}

/// Creates `PORTAL_DATA_DIR` (SQLite file, generated master key), readable by its owner
/// only: the database holds password hashes and session ids. A directory that exists
/// already keeps its permissions.
pub fn ensure_data_dir(config: &Config) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&config.data_dir).map_err(|source| Error::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })
}

/// The whole HTTP application.
pub fn router(state: AppState, store: DbSessionStore, config: &Config) -> Router {
    let sessions = SessionManagerLayer::new(store)
        .with_name("portal_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(SESSION_IDLE_DAYS)));
    let routes = route_list();
    let leptos_options = state.leptos_options.clone();
    // Called by other servers and the dispatcher: no session, no same-origin check.
    let public = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(demo::RECEIVER_PATH, get(demo::receive).post(demo::receive))
        .route("/inbox/{token}", get(inbox::receive).post(inbox::receive))
        .merge(gateway::routes())
        // Over the limit, the body extractors fail and the gateway answers its own 413
        // (an XML answer or an error page with a retcode); RequestBodyLimitLayer would
        // answer a plain-text one before any handler ran.
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let portal = Router::new()
        .route("/signup", post(auth::signup))
        .route("/login", post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/language", post(language::switch))
        .route("/apps", post(apps::create))
        .route("/apps/{appid}/edit", post(apps::edit))
        .route("/apps/{appid}/status", post(apps::set_status))
        .route("/apps/{appid}/delete", post(apps::delete))
        .route("/apps/{appid}/reveal", post(apps::reveal))
        .route("/apps/{appid}/rotate", post(apps::rotate))
        .route("/apps/{appid}/end-grace", post(apps::end_grace))
        .route("/apps/{appid}/share-login", post(apps::share_login))
        .route("/apps/{appid}/inbox", post(console::set_inbox_answer))
        .route("/test-payments", post(console::test_payment))
        .route("/notifications/{notify_id}/resend", post(console::resend))
        .route("/notifications/{notify_id}/restart", post(console::restart))
        .leptos_routes(&state, routes, move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(guard::redirect_pages))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::load_current_user,
        ))
        .layer(axum::middleware::from_fn_with_state(
            guard::AllowedOrigin::new(&config.public_url),
            guard::same_origin_only,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));
    public
        .merge(portal)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// The app's routes, generated once per process.
///
/// Generating them runs the app with resource loading suppressed through a
/// process-wide flag (leptos#4773): a page rendering at that moment in the same
/// process would wait forever. Generating once, before any server can render,
/// keeps a second server in the same process (tests, restarts) from doing that.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Four times a second, on SQLite: ends the read snapshots idle reading connections
/// hold, and checkpoints the WAL when it is over its limit (`app::ssr::sqlite_reads`,
/// "Checkpoints"); frequent small checkpoints keep each pause of the writers short.
/// The checkpoint goes through the write gate, so this process's hot writers queue
/// behind it instead of retrying in SQLite's busy handler.
async fn tend_sqlite(state: AppState) {
    use app::ssr::sqlite_reads::{MAX_HOLD, WAL_LIMIT};
    let Some(reads) = state.sqlite_reads.clone() else {
        return;
    };
    let mut every_quarter = tokio::time::interval(Duration::from_millis(250));
    loop {
        every_quarter.tick().await;
        reads.release_idle(MAX_HOLD);
        let size = reads.wal_size();
        if size <= WAL_LIMIT {
            continue;
        }
        // First copy what can be copied while payments go on: a passive checkpoint
        // blocks no writer, and it leaves the truncating one, which holds the writers
        // back for its copy and sync, little to do.
        let backfill = Arc::clone(&reads);
        if let Ok(Err(err)) = tokio::task::spawn_blocking(move || backfill.backfill()).await {
            tracing::debug!(%err, wal_bytes = size, "passive WAL checkpoint failed");
        }
        let _gate = state.writes.enter().await;
        let checkpoint = Arc::clone(&reads);
        match tokio::task::spawn_blocking(move || checkpoint.checkpoint()).await {
            Ok(Ok(true)) => tracing::debug!(wal_bytes = size, "WAL checkpointed and truncated"),
            Ok(Ok(false)) if size > 4 * WAL_LIMIT => {
                tracing::warn!(
                    wal_bytes = size,
                    "WAL checkpoint: connections still busy, trying again"
                )
            }
            Ok(Ok(false)) => {
                tracing::debug!(wal_bytes = size, "WAL checkpoint: connections busy, trying again")
            }
            Ok(Err(err)) => tracing::warn!(%err, wal_bytes = size, "WAL checkpoint failed"),
            Err(err) => tracing::warn!(%err, "WAL checkpoint task failed"),
        }
    }
}

/// Twice a second, folds the dashboard's recorded changes into its per-day counts
/// (`app::ssr::dashboard`), so that a visit reads few rows. A fold that keeps failing
/// is logged once a minute, not twice a second; its changes wait for the next one.
async fn fold_stats_often(state: AppState) {
    let mut every = tokio::time::interval(FOLD_EVERY);
    every.tick().await;
    let mut warned: Option<std::time::Instant> = None;
    loop {
        every.tick().await;
        if let Err(err) = fold_stats(&state).await
            && warned.is_none_or(|at| at.elapsed() >= Duration::from_secs(60))
        {
            tracing::warn!(%err, "folding the dashboard counts failed; trying again (logged once a minute)");
            warned = Some(std::time::Instant::now());
        }
    }
}

async fn fold_stats(state: &AppState) -> std::result::Result<(), sea_orm::DbErr> {
    let moved = app::ssr::dashboard::fold_stats(&state.db, &state.writes).await?;
    if moved > 0 {
        tracing::debug!(moved, "dashboard counts folded");
    }
    Ok(())
}

/// At start and then hourly: deletes expired sessions and old login attempts.
async fn hourly_cleanup(store: DbSessionStore, db: sea_orm::DatabaseConnection) {
    let mut every_hour = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        match store.delete_expired().await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "expired sessions deleted"),
            Err(err) => tracing::warn!(%err, "cannot delete expired sessions"),
        }
        match app::ssr::auth::delete_old_login_attempts(&db, app::ssr::now_ms()).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "old login attempts deleted"),
            Err(err) => tracing::warn!(%err, "cannot delete old login attempts"),
        }
    }
}

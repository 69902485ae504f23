//! Server-only code: state, database entities, accounts and sessions.

pub mod app_cache;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod console;
pub mod dashboard;
pub mod db;
pub mod gateway;
pub mod group_commit;
pub mod hint;
pub mod inbox;
pub mod keys;
pub mod limiter;
pub mod msg;
pub mod notify;
pub mod order_batch;
pub mod order_lookup;
pub mod payment_batch;
pub mod session;
pub mod signature;
pub mod sqlite_reads;
pub mod state;
pub mod ttl_map;
pub mod write_gate;

/// The current time as unix milliseconds, the unit every stored time uses.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    // i64 milliseconds cover ±292 million years; the cast cannot truncate a real clock.
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

//! Orders this process's own writers on SQLite.
//!
//! SQLite has one writer at a time. A connection that finds the file locked by
//! another one sleeps in SQLite's busy handler (1, 2, 5, 10 … ms) and tries again,
//! which under steady write traffic turns into idle sleeping with the work queued
//! behind it. The hot writers (test payments, the dispatcher's batches) take this gate
//! first, so they queue in the process and start the moment the previous one commits.
//! On PostgreSQL the gate is open: rows lock, not the whole database.

use tokio::sync::{Mutex, MutexGuard};

/// The gate; see the module documentation.
#[derive(Debug, Default)]
pub struct WriteGate(Option<Mutex<()>>);

impl WriteGate {
    /// A closed gate for SQLite, an open one for other databases.
    pub fn new(sqlite: bool) -> Self {
        Self(sqlite.then(|| Mutex::new(())))
    }

    /// Waits for this process's previous writer to finish (SQLite only); writing is
    /// allowed while the guard lives.
    pub async fn enter(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.0 {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }
}

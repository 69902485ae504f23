//! Opening the database and applying migrations.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::redact_url;
use crate::error::{Error, Result};

/// Connections in a SQLite pool: reads in parallel with the single writer.
const SQLITE_CONNECTIONS: u32 = 4;

/// Prepared statements kept per SQLite connection (sqlx's default is 100).
const SQLITE_STATEMENT_CACHE: usize = 24;

/// Connects to SQLite (file, WAL) or PostgreSQL, failing fast when unreachable.
pub async fn connect(url: &str) -> Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // No ping before each checkout: it is one more round trip per query, and a
        // broken connection fails its query and is dropped from the pool anyway.
        .test_before_acquire(false)
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // sea-orm gives SQLite one connection unless told otherwise. WAL lets readers
        // run beside the one writer; writers wait for each other (busy_timeout).
        options.max_connections(SQLITE_CONNECTIONS);
        options.map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                // Batch statements (IN lists, multi-row inserts) differ by length, and each
                // prepared one holds a large program: a small cache keeps memory bounded
                // while the hot fixed queries stay in it.
                .statement_cache_capacity(SQLITE_STATEMENT_CACHE)
        });
    }
    let db = Database::connect(options)
        .await
        .map_err(|source| Error::Connect {
            url: redact_url(url),
            source,
        })?;
    // sqlx connects lazily for some drivers; a ping makes an unreachable server fail here.
    db.ping().await.map_err(|source| Error::Connect {
        url: redact_url(url),
        source,
    })?;
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    Migrator::up(db, None).await.map_err(Error::Migrate)
}

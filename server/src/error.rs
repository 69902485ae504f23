//! The server's error type: everything that can stop `serve` or `migrate`.

use std::net::SocketAddr;

/// Why the server could not start or keep running. Each variant prints as one line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value is missing or malformed.
    #[error("configuration: {0}")]
    Config(String),
    /// The data directory cannot be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database cannot be opened or reached.
    #[error("cannot open the database {url}: {source}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// The driver's error.
        source: sea_orm::DbErr,
    },
    /// Migrations failed.
    #[error("cannot apply database migrations: {0}")]
    Migrate(sea_orm::DbErr),
    /// The listen address is taken or not ours.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The master key is missing, malformed or wrong.
    #[error("master key: {0}")]
    MasterKey(#[from] app::ssr::keys::KeyError),
    /// `seed-demo` failed.
    #[error("seed-demo: {0}")]
    Seed(String),
    /// The HTTP server failed while running.
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// Result with the server's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

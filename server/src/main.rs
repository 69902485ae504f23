//! `server`: the portal and sandbox in one binary.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use server::{Config, Error, Result};

/// mimalloc rather than glibc's malloc: allocations move between tokio's worker threads,
/// and glibc's per-arena locks made them wait on each other (docs/BENCHMARKS.md, "Gateway").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Open platform sandbox: ISV developer portal and payment gateway.
#[derive(Parser)]
#[command(name = "server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the portal (the default).
    Serve,
    /// Apply database migrations, then exit.
    Migrate,
    /// Create (once) a demo ISV and app, and print their credentials as JSON.
    SeedDemo,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match execute(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> Result<()> {
    let config = Config::load()?;
    match command {
        Command::Serve => {
            let addr = config.leptos.site_addr;
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| Error::Bind { addr, source })?;
            server::run(config, listener, shutdown_signal()).await
        }
        Command::Migrate => {
            server::ensure_data_dir(&config)?;
            let db = server::db::connect(&config.database_url).await?;
            server::db::migrate(&db).await?;
            eprintln!(
                "migrations applied to {}",
                server::config::redact_url(&config.database_url)
            );
            Ok(())
        }
        Command::SeedDemo => {
            let state = server::prepare(&config).await?;
            let credentials = server::demo::seed(&state, &config.public_url).await?;
            let json =
                serde_json::to_string_pretty(&credentials).map_err(|err| Error::Seed(err.to_string()))?;
            println!("{json}");
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

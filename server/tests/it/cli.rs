//! The `server` binary: subcommands and start-up errors.

use std::path::PathBuf;
use std::process::{Command, Output};

fn server(args: &[&str], envs: &[(&str, &str)]) -> Output {
    // From the workspace root, where Leptos.toml lives.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .args(args)
        .current_dir(root)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn");
    for (name, value) in envs {
        command.env(name, value);
    }
    command.output().expect("run server binary")
}

fn one_line_error(output: &Output) -> String {
    assert!(!output.status.success(), "must exit non-zero");
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    assert_eq!(stderr.lines().count(), 1, "one line, got: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn migrate_creates_the_sqlite_database_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let output = server(&["migrate"], &[("PORTAL_DATA_DIR", data.to_str().unwrap())]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(data.join("portal.db").is_file());
    // Twice is fine.
    assert!(
        server(&["migrate"], &[("PORTAL_DATA_DIR", data.to_str().unwrap())])
            .status
            .success()
    );
}

#[test]
fn an_unreachable_database_gives_one_clear_line() {
    let output = server(
        &["migrate"],
        &[("DATABASE_URL", "postgres://portal:secret@127.0.0.1:1/portal")],
    );
    let stderr = one_line_error(&output);
    assert!(
        stderr.starts_with("error: cannot open the database postgres://portal:***@127.0.0.1:1/portal"),
        "{stderr}"
    );
}

#[test]
fn an_unsupported_database_url_gives_one_clear_line() {
    let stderr = one_line_error(&server(
        &["serve"],
        &[("DATABASE_URL", "mysql://127.0.0.1/portal")],
    ));
    assert!(
        stderr.contains("DATABASE_URL must start with sqlite:// or postgres://"),
        "{stderr}"
    );
}

#[test]
fn an_unwritable_sqlite_path_gives_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/missing/dir/portal.db?mode=rwc", dir.path().display());
    let stderr = one_line_error(&server(&["migrate"], &[("DATABASE_URL", &url)]));
    assert!(stderr.starts_with("error: cannot open the database"), "{stderr}");
}

#[test]
fn an_unknown_subcommand_is_refused() {
    let output = server(&["frobnicate"], &[]);
    assert!(!output.status.success());
}

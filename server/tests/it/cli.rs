//! The `server` binary: subcommands and start-up errors.

use std::path::PathBuf;
use std::process::{Command, Output};

use sea_orm::ConnectionTrait;

use crate::helpers::{Backend, TestDb, db_tests};

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

#[cfg(unix)]
#[test]
fn a_new_data_dir_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("new").join("data");
    let url = format!("sqlite://{}/portal.db?mode=rwc", data.display());
    let output = server(
        &["migrate"],
        &[
            ("PORTAL_DATA_DIR", data.to_str().unwrap()),
            ("DATABASE_URL", &url),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for path in [data.clone(), dir.path().join("new")] {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{}", path.display());
    }
}

#[test]
fn an_unknown_subcommand_is_refused() {
    let output = server(&["frobnicate"], &[]);
    assert!(!output.status.success());
}

db_tests!(
    seed_demo_is_idempotent_and_prints_the_credentials,
    a_wrong_master_key_stops_the_server,
    a_lost_master_key_file_is_never_silently_replaced,
);

/// `server seed-demo` against the test database, its data dir the database's temp dir.
fn seed(db: &TestDb, extra: &[(&str, &str)]) -> Output {
    let mut envs = vec![
        ("PORTAL_DATA_DIR", db.dir.path().to_str().unwrap()),
        ("DATABASE_URL", db.url.as_str()),
    ];
    envs.extend_from_slice(extra);
    server(&["seed-demo"], &envs)
}

async fn seed_demo_is_idempotent_and_prints_the_credentials(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = seed(&db, &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&first.stdout).expect("JSON on stdout");
    for field in ["email", "password", "appid", "key", "notify_url"] {
        assert!(
            json[field].as_str().is_some_and(|value| !value.is_empty()),
            "{field} in {json}"
        );
    }
    assert!(json["notify_url"].as_str().unwrap().ends_with("/demo/notify"));
    assert_eq!(json["key"].as_str().unwrap().len(), 32);
    let second = seed(&db, &[]);
    assert!(second.status.success());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&second.stdout).unwrap(),
        json,
        "same credentials"
    );
    // Sample transactions, made once: two paid and one failed, each with its notification.
    let conn = db.connect().await;
    let row = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT (SELECT COUNT(*) FROM orders WHERE trade_state = 0) AS paid, \
             (SELECT COUNT(*) FROM orders WHERE trade_state = 2) AS failed, \
             (SELECT COUNT(*) FROM notifications) AS notifications",
        ))
        .await
        .unwrap()
        .unwrap();
    let get = |name: &str| row.try_get::<i64>("", name).unwrap();
    assert_eq!((get("paid"), get("failed"), get("notifications")), (2, 1, 3));

    // The generated master key file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(db.dir.path().join("master.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

async fn a_wrong_master_key_stops_the_server(backend: Backend) {
    let db = TestDb::new(backend).await;
    let right = "11".repeat(32);
    assert!(seed(&db, &[("PORTAL_MASTER_KEY", &right)]).status.success());
    let stderr = one_line_error(&seed(&db, &[("PORTAL_MASTER_KEY", &"22".repeat(32))]));
    assert!(stderr.contains("does not match"), "{stderr}");
    let stderr = one_line_error(&seed(&db, &[("PORTAL_MASTER_KEY", "short")]));
    assert!(stderr.contains("64 hexadecimal characters"), "{stderr}");
    assert!(
        !db.dir.path().join("master.key").exists(),
        "no key file is made when one is configured"
    );
    // `serve` refuses the wrong key too, before listening.
    let stderr = one_line_error(&server(
        &["serve"],
        &[
            ("PORTAL_DATA_DIR", db.dir.path().to_str().unwrap()),
            ("DATABASE_URL", db.url.as_str()),
            ("PORTAL_MASTER_KEY", &"22".repeat(32)),
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ],
    ));
    assert!(stderr.contains("does not match"), "{stderr}");
}

async fn a_lost_master_key_file_is_never_silently_replaced(backend: Backend) {
    let db = TestDb::new(backend).await;
    assert!(seed(&db, &[]).status.success());
    let file = db.dir.path().join("master.key");
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::remove_file(&file).unwrap();
    let stderr = one_line_error(&seed(&db, &[]));
    assert!(stderr.contains("restore the file from your backup"), "{stderr}");
    assert!(!file.exists());
    // Restoring the backup brings everything back.
    std::fs::write(&file, original).unwrap();
    assert!(seed(&db, &[]).status.success());
}

//! The notification dispatcher against real receivers on loopback: the retry
//! schedule on an injected clock, failure hints, manual actions, scenarios,
//! crash recovery (kill -9 of a server process), two dispatchers on one
//! PostgreSQL, slow-host isolation and graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use app::ssr::clock::{Clock, ManualClock};
use app::ssr::db::notification;
use reqwest::StatusCode;
use sdk::pay::{PayResponse, TradeState};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryResult, Set, Statement};

use crate::gateway::{Behaviour, Merchant, Receiver};
use crate::helpers::{Backend, TestDb, db_tests, spawn_app_with_clock};

async fn rows(conn: &DatabaseConnection, sql: &str) -> Vec<QueryResult> {
    conn.query_all(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap()
}

async fn count(conn: &DatabaseConnection, sql: &str) -> i64 {
    rows(conn, sql).await[0].try_get::<i64>("", "n").unwrap()
}

/// Waits up to `seconds` for `sql` (a COUNT AS n) to reach `want`.
async fn wait_count(conn: &DatabaseConnection, sql: &str, want: i64, seconds: u64) {
    let mut last = -1;
    for _ in 0..seconds * 20 {
        last = count(conn, sql).await;
        if last == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{sql}: wanted {want}, have {last}");
}

/// Makes every app retry in minutes, so no scheduled retry races a test's checks.
async fn real_speed(db: &TestDb) {
    let conn = db.connect().await;
    conn.execute_unprepared("UPDATE apps SET retry_speed = 'real'")
        .await
        .unwrap();
}

/// Adds `count` pending notifications due now, copies of `template` with their own
/// notify_ids (`<prefix><n>`, padded to 40 characters) and target `url`.
async fn clone_notifications(
    conn: &DatabaseConnection,
    template: &notification::Model,
    count: usize,
    prefix: &str,
    url: &str,
) {
    let clones = (0..count).map(|i| {
        let notify_id = format!("{:0>40}", format!("{prefix}{i}"));
        notification::ActiveModel {
            params: Set(template.params.replace(&template.notify_id, &notify_id)),
            notify_id: Set(notify_id),
            isv_id: Set(template.isv_id),
            app_id: Set(template.app_id),
            order_id: Set(template.order_id),
            url: Set(url.to_owned()),
            method: Set(template.method.clone()),
            status: Set("pending".into()),
            attempts: Set(0),
            next_attempt_at: Set(Some(0)),
            scenario: Set("normal".into()),
            created_at: Set(template.created_at),
            updated_at: Set(template.updated_at),
            schedule_step: Set(0),
            ..Default::default()
        }
    });
    notification::Entity::insert_many(clones)
        .exec(conn)
        .await
        .unwrap();
}

/// A test payment through the console's server function; its notify_id.
pub(crate) async fn test_payment(merchant: &Merchant, scenario: &str, notify_url: &str) -> String {
    let response = merchant
        .app
        .post_form(
            "/api/create_test_payment",
            &[
                ("appid", merchant.appid.as_str()),
                ("total_fee", "250"),
                ("body", "Test <tea>"),
                ("scenario", scenario),
                ("notify_url", notify_url),
            ],
        )
        .await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    let created: serde_json::Value = serde_json::from_str(&text).unwrap();
    created["notify_id"].as_str().unwrap().to_owned()
}

db_tests!(
    the_schedule_retries_at_its_gaps_then_gives_up,
    each_kind_of_failure_gets_its_hint,
    manual_resend_and_restart_work_and_are_isolated,
    scenarios_duplicate_delay_and_fail,
    a_slow_host_does_not_delay_other_hosts,
    shutdown_lets_in_flight_attempts_finish,
    a_killed_server_loses_no_notification,
    attempts_past_the_retention_period_are_pruned,
    an_attempt_whose_lease_was_taken_over_still_counts,
    concurrent_test_payments_each_get_their_own_notification,
    a_nul_in_an_answer_is_stored_and_the_schedule_goes_on,
    a_delivered_resend_is_not_undone_by_an_attempt_in_flight,
    a_restarted_schedule_is_not_undone_by_the_attempt_it_interrupted,
    an_answer_longer_than_4_kib_is_not_an_acknowledgement,
);

async fn an_answer_longer_than_4_kib_is_not_an_acknowledgement(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "long@example.com").await;
    real_speed(&db).await;
    // `success`, then blanks past the 4 KiB that are read, then more text.
    let body: &'static str = format!("success{}and more", " ".repeat(5000)).leak();
    let receiver = Receiver::start_with(Behaviour::Answer(200, body)).await;
    test_payment(&merchant, "normal", &receiver.url).await;
    let conn = db.connect().await;
    wait_count(&conn, "SELECT COUNT(*) AS n FROM notification_attempts", 1, 10).await;
    let attempt = rows(&conn, "SELECT outcome FROM notification_attempts").await;
    assert_eq!(attempt[0].try_get::<String>("", "outcome").unwrap(), "failed");
    let state = rows(&conn, "SELECT status FROM notifications").await;
    assert_eq!(state[0].try_get::<String>("", "status").unwrap(), "pending");
}

async fn a_nul_in_an_answer_is_stored_and_the_schedule_goes_on(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "nul@example.com").await;
    real_speed(&db).await;
    // PostgreSQL's text columns refuse NUL: the whole batch of attempts used to be lost.
    let receiver = Receiver::start_with(Behaviour::Answer(200, "fa\0il")).await;
    test_payment(&merchant, "normal", &receiver.url).await;
    let conn = db.connect().await;
    wait_count(&conn, "SELECT COUNT(*) AS n FROM notification_attempts", 1, 10).await;
    let attempt = rows(&conn, "SELECT response_body FROM notification_attempts").await;
    assert_eq!(
        attempt[0].try_get::<String>("", "response_body").unwrap(),
        "fa\u{FFFD}il"
    );
    let state = rows(&conn, "SELECT status, schedule_step FROM notifications").await;
    assert_eq!(state[0].try_get::<String>("", "status").unwrap(), "pending");
    assert_eq!(state[0].try_get::<i32>("", "schedule_step").unwrap(), 1);
}

async fn a_delivered_resend_is_not_undone_by_an_attempt_in_flight(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::with(&db, "inflight@example.com", &[("PORTAL_NOTIFY_TIMEOUT", "1s")]).await;
    real_speed(&db).await;
    let receiver = Receiver::start_with(Behaviour::Hang).await;
    let notify_id = test_payment(&merchant, "normal", &receiver.url).await;
    // The first scheduled attempt hangs; meanwhile Resend now is acknowledged.
    receiver.wait_for(1).await;
    receiver.set(Behaviour::Answer(200, "success"));
    let response = merchant
        .app
        .post_form("/api/resend_notification", &[("notify_id", notify_id.as_str())])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let attempt: serde_json::Value = response.json().await.unwrap();
    assert_eq!(attempt["outcome"], "delivered");
    // The hanging attempt times out and is recorded: it counts, and changes nothing else.
    let conn = db.connect().await;
    wait_count(&conn, "SELECT COUNT(*) AS n FROM notification_attempts", 2, 10).await;
    let state = rows(&conn, "SELECT status, attempts FROM notifications").await;
    assert_eq!(state[0].try_get::<String>("", "status").unwrap(), "delivered");
    assert_eq!(state[0].try_get::<i32>("", "attempts").unwrap(), 2);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.count(), 2, "nothing is sent again");
}

async fn a_restarted_schedule_is_not_undone_by_the_attempt_it_interrupted(backend: Backend) {
    let db = TestDb::new(backend).await;
    // Two attempts in all, a second apart, each timing out after a second.
    let config = [
        ("PORTAL_NOTIFY_TIMEOUT", "1s"),
        ("PORTAL_NOTIFY_RETRY_SCHEDULE", "1s"),
    ];
    let merchant = Merchant::with(&db, "restart@example.com", &config).await;
    real_speed(&db).await;
    let receiver = Receiver::start_with(Behaviour::Hang).await;
    let notify_id = test_payment(&merchant, "normal", &receiver.url).await;
    // While the last attempt hangs, Restart schedule: the row is due again at once and
    // this same dispatcher claims it again.
    receiver.wait_for(2).await;
    let response = merchant
        .app
        .post_form("/api/restart_notification", &[("notify_id", notify_id.as_str())])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    receiver.wait_for(3).await;
    receiver.set(Behaviour::Answer(200, "success"));
    // The interrupted attempt's timeout must not end the restarted schedule as failed:
    // the restarted one goes on, and its retry is acknowledged.
    let conn = db.connect().await;
    wait_count(
        &conn,
        "SELECT COUNT(*) AS n FROM notifications WHERE status = 'delivered'",
        1,
        15,
    )
    .await;
    assert_eq!(
        count(&conn, "SELECT COUNT(*) AS n FROM notification_attempts").await,
        4
    );
}

async fn the_schedule_retries_at_its_gaps_then_gives_up(backend: Backend) {
    let db = TestDb::new(backend).await;
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let app = spawn_app_with_clock(&db, Arc::default(), &[], clock.clone()).await;
    let merchant = Merchant::signed_up(app, "schedule@example.com").await;
    // The app created by the helper retries fast; make it real (minutes).
    real_speed(&db).await;
    let conn = db.connect().await;
    let receiver = Receiver::start("fail").await;
    test_payment(&merchant, "normal", &receiver.url).await;
    let attempts = "SELECT COUNT(*) AS n FROM notification_attempts";
    wait_count(&conn, attempts, 1, 10).await;
    let minutes = [1, 2, 4, 8, 16, 32];
    for (done, gap) in minutes.iter().enumerate() {
        // Just before the gap ends nothing happens…
        clock.advance(gap * 60_000 - 1_000);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            count(&conn, attempts).await,
            done as i64 + 1,
            "early before retry {}",
            done + 1
        );
        // …and at its end the next attempt goes out.
        clock.advance(1_000);
        wait_count(&conn, attempts, done as i64 + 2, 10).await;
    }
    let started: Vec<i64> = rows(&conn, "SELECT started_at FROM notification_attempts ORDER BY id")
        .await
        .iter()
        .map(|row| row.try_get::<i64>("", "started_at").unwrap())
        .collect();
    let gaps: Vec<i64> = started.windows(2).map(|w| (w[1] - w[0]) / 60_000).collect();
    assert_eq!(gaps, minutes, "gaps in minutes");
    let state = rows(
        &conn,
        "SELECT status, attempts, next_attempt_at FROM notifications",
    )
    .await;
    assert_eq!(state[0].try_get::<String>("", "status").unwrap(), "failed");
    assert_eq!(state[0].try_get::<i32>("", "attempts").unwrap(), 7);
    assert_eq!(
        state[0].try_get::<Option<i64>>("", "next_attempt_at").unwrap(),
        None
    );
    clock.advance(3_600_000);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.count(), 7, "no eighth attempt");
}

async fn each_kind_of_failure_gets_its_hint(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::with(&db, "hints@example.com", &[("PORTAL_NOTIFY_TIMEOUT", "500ms")]).await;
    real_speed(&db).await;
    let upper = Receiver::start("SUCCESS").await;
    let html = Receiver::start("<html><body>success</body></html>").await;
    let error = Receiver::start_with(Behaviour::Answer(500, "success")).await;
    let redirect = Receiver::start_with(Behaviour::Redirect).await;
    let hang = Receiver::start_with(Behaviour::Hang).await;
    let ok = Receiver::start(" success\n").await;
    let big: &'static str = Box::leak("x".repeat(10_000).into_boxed_str());
    let large = Receiver::start(big).await;
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}/notify")
    };
    let tls = ok.url.replace("http://", "https://");
    // Each failure's hint as the portal shows it, in English and in Chinese.
    let cases: Vec<(String, &str, &str)> = vec![
        (upper.url.clone(), "lower case", "小写"),
        (html.url.clone(), "inside HTML", "在 HTML 或其他文字中"),
        (error.url.clone(), "HTTP 500", "返回了 HTTP 500"),
        (redirect.url.clone(), "redirects are not followed", "不跟随重定向"),
        (hang.url.clone(), "no answer within 500ms", "500ms 内没有应答"),
        (refused, "connection refused", "连接被拒绝"),
        (
            "http://no-such-host.invalid/notify".into(),
            "did not resolve",
            "无法解析",
        ),
        (tls, "TLS", "TLS 握手失败"),
        (large.url.clone(), "was not success", "正文不是 success"),
        (ok.url.clone(), "", ""),
    ];
    let mut ids = Vec::new();
    for (url, _, _) in &cases {
        ids.push(test_payment(&merchant, "normal", url).await);
    }
    let conn = db.connect().await;
    wait_count(
        &conn,
        "SELECT COUNT(*) AS n FROM notification_attempts",
        cases.len() as i64,
        15,
    )
    .await;
    for ((url, english, chinese), notify_id) in cases.iter().zip(&ids) {
        let found = rows(
            &conn,
            &format!(
                "SELECT a.outcome, a.hint FROM notification_attempts a JOIN notifications n \
                 ON n.id = a.notification_id WHERE n.notify_id = '{notify_id}'"
            ),
        )
        .await;
        let outcome = found[0].try_get::<String>("", "outcome").unwrap();
        let stored = found[0].try_get::<String>("", "hint").unwrap();
        if english.is_empty() {
            assert_eq!(outcome, "delivered", "{url}: {stored}");
            assert_eq!(stored, "", "{url}");
            continue;
        }
        assert_eq!(outcome, "failed", "{url}");
        // Stored as a code, worded in the language of whoever reads it.
        assert!(stored.starts_with("hint:"), "{url}: {stored}");
        for (locale, words) in [("en", english), ("zh", chinese)] {
            let switched = merchant
                .app
                .post_form("/language", &[("locale", locale), ("next", "/dashboard")])
                .await;
            assert_eq!(switched.status(), StatusCode::SEE_OTHER);
            let page = merchant
                .app
                .get_html(&format!("/notifications/{notify_id}"))
                .await;
            assert!(
                page.contains(words),
                "{url}, {locale}: expected {words:?} for {stored}"
            );
        }
    }
    // At most 4 KiB of a body is kept; every request names the platform.
    let kept = rows(
        &conn,
        &format!(
            "SELECT a.response_body FROM notification_attempts a JOIN notifications n \
             ON n.id = a.notification_id WHERE n.notify_id = '{}'",
            ids[ids.len() - 2]
        ),
    )
    .await;
    assert_eq!(
        kept[0].try_get::<String>("", "response_body").unwrap().len(),
        4096
    );
    let agent = ok.agents.lock().unwrap()[0].clone();
    assert!(agent.starts_with("OpenPlatformSandbox-Notify/"), "{agent}");
    // The attempt log keeps the request, the status and the body.
    let logged = rows(
        &conn,
        &format!(
            "SELECT a.request, a.response_status, a.response_body FROM notification_attempts a \
             JOIN notifications n ON n.id = a.notification_id WHERE n.notify_id = '{}'",
            ids[1]
        ),
    )
    .await;
    assert!(
        logged[0]
            .try_get::<String>("", "request")
            .unwrap()
            .contains("sign=")
    );
    assert_eq!(
        logged[0].try_get::<Option<i32>>("", "response_status").unwrap(),
        Some(200)
    );
    assert_eq!(
        logged[0].try_get::<String>("", "response_body").unwrap(),
        "<html><body>success</body></html>"
    );
}

async fn manual_resend_and_restart_work_and_are_isolated(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "manual@example.com").await;
    real_speed(&db).await;
    let receiver = Receiver::start("fail").await;
    let notify_id = test_payment(&merchant, "normal", &receiver.url).await;
    let conn = db.connect().await;
    wait_count(&conn, "SELECT COUNT(*) AS n FROM notification_attempts", 1, 10).await;

    // Another ISV gets 404 for every action on it.
    let other = Merchant::with(&db, "other@example.com", &[]).await;
    for function in ["resend_notification", "restart_notification"] {
        let response = other
            .app
            .post_form(&format!("/api/{function}"), &[("notify_id", notify_id.as_str())])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{function}");
    }
    let response = other
        .app
        .post_form(
            "/api/create_test_payment",
            &[
                ("appid", merchant.appid.as_str()),
                ("total_fee", "1"),
                ("body", "x"),
                ("scenario", "normal"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        count(&conn, "SELECT COUNT(*) AS n FROM notification_attempts").await,
        1
    );

    // Resend now: a manual attempt, recorded as such; it does not move the schedule.
    receiver.set(Behaviour::Answer(200, "success"));
    let before = rows(&conn, "SELECT next_attempt_at, schedule_step FROM notifications").await;
    let response = merchant
        .app
        .post_form("/api/resend_notification", &[("notify_id", notify_id.as_str())])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let attempt: serde_json::Value = response.json().await.unwrap();
    assert_eq!(attempt["manual"], true);
    assert_eq!(attempt["outcome"], "delivered");
    let after = rows(&conn, "SELECT status, schedule_step FROM notifications").await;
    assert_eq!(after[0].try_get::<String>("", "status").unwrap(), "delivered");
    assert_eq!(
        after[0].try_get::<i32>("", "schedule_step").unwrap(),
        before[0].try_get::<i32>("", "schedule_step").unwrap()
    );

    // Restart schedule: pending from step 0, due now, and delivered again.
    let response = merchant
        .app
        .post_form("/api/restart_notification", &[("notify_id", notify_id.as_str())])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    wait_count(&conn, "SELECT COUNT(*) AS n FROM notification_attempts", 3, 10).await;
    let state = rows(&conn, "SELECT status, schedule_step FROM notifications").await;
    assert_eq!(state[0].try_get::<String>("", "status").unwrap(), "delivered");
    assert_eq!(state[0].try_get::<i32>("", "schedule_step").unwrap(), 0);
}

async fn scenarios_duplicate_delay_and_fail(backend: Backend) {
    let db = TestDb::new(backend).await;
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let app = spawn_app_with_clock(&db, Arc::default(), &[], clock.clone()).await;
    let merchant = Merchant::signed_up(app, "scenarios@example.com").await;
    let duplicate = Receiver::start("success").await;
    let delayed = Receiver::start("success").await;
    let failure = Receiver::start("success").await;
    let dup_id = test_payment(&merchant, "duplicate", &duplicate.url).await;
    test_payment(&merchant, "delayed", &delayed.url).await;
    test_payment(&merchant, "failure", &failure.url).await;

    let (_, first) = duplicate.wait_for(1).await;
    let (_, failed) = failure.wait_for(1).await;
    let failed = PayResponse::parse(&failed, &merchant.key).unwrap();
    assert_eq!(failed.trade_state(), TradeState::Failed);
    assert!(!failed.is_pay_successful());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        delayed.count(),
        0,
        "the delayed scenario holds back its first delivery"
    );
    assert_eq!(duplicate.count(), 1);

    clock.advance(30_000);
    delayed.wait_for(1).await;
    let (_, second) = duplicate.wait_for(2).await;
    let (first, second) = (
        PayResponse::parse(&first, &merchant.key).unwrap(),
        PayResponse::parse(&second, &merchant.key).unwrap(),
    );
    assert_eq!(first.notify_id(), Some(dup_id.as_str()));
    assert_eq!(second.notify_id(), first.notify_id(), "the same notify_id twice");
    tokio::time::sleep(Duration::from_millis(600)).await;
    clock.advance(60_000);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(duplicate.count(), 2, "exactly twice");
}

async fn a_slow_host_does_not_delay_other_hosts(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::with(&db, "slow@example.com", &[("PORTAL_NOTIFY_TIMEOUT", "20s")]).await;
    let hanging = Receiver::start_with(Behaviour::Hang).await;
    let fast = Receiver::start("success").await;
    // One real notification, then 3,000 more for the hanging host, all due before any
    // other host's: more than one host may hold in a dispatcher, so most of them are
    // handed back again and again while the fast host's rows must still get through.
    test_payment(&merchant, "normal", &hanging.url).await;
    let conn = db.connect().await;
    let template = notification::Entity::find().one(&conn).await.unwrap().unwrap();
    clone_notifications(&conn, &template, 1500, "slow", &hanging.url).await;
    clone_notifications(&conn, &template, 1500, "later", &hanging.url).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        hanging.count() <= 64,
        "at most 64 in flight to one host, got {}",
        hanging.count()
    );

    let started = std::time::Instant::now();
    for _ in 0..10 {
        test_payment(&merchant, "normal", &fast.url).await;
    }
    for n in 1..=10 {
        fast.wait_for(n).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "other hosts are served while one hangs: {:?}",
        started.elapsed()
    );
}

async fn shutdown_lets_in_flight_attempts_finish(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "shutdown@example.com").await;
    let receiver = Receiver::start_with(Behaviour::Slow(Duration::from_millis(1500))).await;
    test_payment(&merchant, "normal", &receiver.url).await;
    receiver.wait_for(1).await;
    // Stop while the attempt is in flight: it finishes and is recorded.
    merchant.app.stop().await;
    let conn = db.connect().await;
    let state = rows(&conn, "SELECT status, lease_owner FROM notifications").await;
    assert_eq!(state[0].try_get::<String>("", "status").unwrap(), "delivered");
    assert_eq!(
        state[0].try_get::<Option<String>>("", "lease_owner").unwrap(),
        None
    );
    assert_eq!(
        count(&conn, "SELECT COUNT(*) AS n FROM notification_attempts").await,
        1
    );
}

/// The server binary as a child process, so a test can kill -9 it.
struct Process {
    child: std::process::Child,
    base: String,
}

impl Process {
    async fn start(db: &TestDb, extra: &[(&str, &str)]) -> Self {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .arg("serve")
            .current_dir(root)
            .env("DATABASE_URL", &db.url)
            .env("PORTAL_DATA_DIR", db.dir.path())
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", db.dir.path().join("site"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null());
        for (name, value) in extra {
            command.env(name, value);
        }
        let process = Self {
            child: command.spawn().expect("start the server binary"),
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if let Ok(response) = reqwest::get(format!("{}/healthz", process.base)).await
                && response.status() == StatusCode::OK
            {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(process);
        panic!("the server process did not start");
    }

    fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn a_killed_server_loses_no_notification(backend: Backend) {
    let db = TestDb::new(backend).await;
    let settings = [("PORTAL_NOTIFY_TIMEOUT", "1s")];
    // Accounts and the app through an in-process server; then only processes.
    let merchant = Merchant::with(&db, "crash@example.com", &settings).await;
    let receiver = Receiver::start_with(Behaviour::Hang).await;
    let jar = merchant.app.jar.clone();
    merchant.app.stop().await;

    let first = Process::start(&db, &settings).await;
    let client = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(format!("{}/api/create_test_payment", first.base))
        .header("origin", &first.base)
        .form(&[
            ("appid", merchant.appid.as_str()),
            ("total_fee", "1"),
            ("body", "crash"),
            ("scenario", "normal"),
            ("notify_url", receiver.url.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{}",
        response.text().await.unwrap()
    );
    // The attempt is in flight (the receiver holds it): kill -9 now.
    receiver.wait_for(1).await;
    first.kill();
    let conn = db.connect().await;
    let leased = rows(&conn, "SELECT status, lease_owner FROM notifications").await;
    assert_eq!(leased[0].try_get::<String>("", "status").unwrap(), "pending");
    assert!(
        leased[0]
            .try_get::<Option<String>>("", "lease_owner")
            .unwrap()
            .is_some(),
        "left leased"
    );

    // A new process takes the row again once the dead one's lease expires.
    receiver.set(Behaviour::Answer(200, "success"));
    let _second = Process::start(&db, &settings).await;
    receiver.wait_for(2).await;
    wait_count(
        &conn,
        "SELECT COUNT(*) AS n FROM notifications WHERE status = 'delivered'",
        1,
        15,
    )
    .await;
    assert_eq!(
        receiver.count(),
        2,
        "one extra attempt because of the crash, no more"
    );
}

/// Two servers (two dispatchers) on one PostgreSQL deliver each notification once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dispatchers_on_one_postgres_deliver_each_notification_once() {
    let db = TestDb::new(Backend::Postgres).await;
    let merchant = Merchant::new(&db, "pair@example.com").await;
    let second = crate::helpers::spawn_app(&db).await;
    let receiver = Receiver::start_with(Behaviour::Slow(Duration::from_millis(5))).await;
    test_payment(&merchant, "normal", &receiver.url).await;
    receiver.wait_for(1).await;
    let conn = db.connect().await;
    let template = notification::Entity::find().one(&conn).await.unwrap().unwrap();
    let total = 400;
    clone_notifications(&conn, &template, total as usize, "pair", &receiver.url).await;
    wait_count(
        &conn,
        "SELECT COUNT(*) AS n FROM notifications WHERE status = 'delivered'",
        total + 1,
        30,
    )
    .await;
    let got = receiver.got.lock().unwrap().clone();
    let mut ids: Vec<String> = got
        .iter()
        .map(|(_, body)| {
            PayResponse::parse(body, &merchant.key)
                .unwrap()
                .notify_id()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), total as usize + 1);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total as usize + 1, "no notification delivered twice");
    assert_eq!(
        count(&conn, "SELECT COUNT(*) AS n FROM notification_attempts").await,
        total + 1
    );
    drop(second);
}

async fn attempts_past_the_retention_period_are_pruned(backend: Backend) {
    let db = TestDb::new(backend).await;
    let day = 86_400_000;
    let start = 1_800_000_000_000;
    let clock = Arc::new(ManualClock::new(start));
    let app = spawn_app_with_clock(
        &db,
        Arc::default(),
        &[("PORTAL_NOTIFY_RETENTION_DAYS", "2")],
        clock.clone(),
    )
    .await;
    let merchant = Merchant::signed_up(app, "prune@example.com").await;
    let receiver = Receiver::start("success").await;
    test_payment(&merchant, "normal", &receiver.url).await;
    let conn = db.connect().await;
    let attempts = "SELECT COUNT(*) AS n FROM notification_attempts";
    wait_count(&conn, attempts, 1, 10).await;
    // Two more attempts of the same notification: three days old and one day old.
    let id = count(&conn, "SELECT id AS n FROM notifications").await;
    for age in [3 * day, day] {
        conn.execute_unprepared(&format!(
            "INSERT INTO notification_attempts (notification_id, attempt_no, manual, started_at, \
             duration_ms, method, url, request, response_status, response_body, outcome, error, hint) \
             VALUES ({id}, 9, false, {}, 1, 'GET', 'http://x/', '', 200, 'success', 'delivered', '', '')",
            start - age
        ))
        .await
        .unwrap();
    }
    wait_count(&conn, attempts, 3, 5).await;
    // Two messages of the app's built-in inbox, as old.
    let app = rows(&conn, "SELECT id, isv_id FROM apps").await;
    let (app_id, isv_id) = (
        app[0].try_get::<i64>("", "id").unwrap(),
        app[0].try_get::<i64>("", "isv_id").unwrap(),
    );
    for age in [3 * day, day] {
        conn.execute_unprepared(&format!(
            "INSERT INTO inbox_messages (isv_id, app_id, received_at, method, params, notify_id, verdict, answer) \
             VALUES ({isv_id}, {app_id}, {}, 'GET', 'a=1', '', 'unsigned', 'success')",
            start - age
        ))
        .await
        .unwrap();
    }
    let messages = "SELECT COUNT(*) AS n FROM inbox_messages";
    // And two receipts of the demo receiver.
    for age in [3 * day, day] {
        conn.execute_unprepared(&format!(
            "INSERT INTO demo_receipts (appid, method, params, received_at) VALUES ('{}', 'GET', 'a=1', {})",
            merchant.appid,
            start - age
        ))
        .await
        .unwrap();
    }
    let receipts = "SELECT COUNT(*) AS n FROM demo_receipts";
    // Pruning runs hourly by the dispatcher's clock.
    clock.advance(3_600_001);
    wait_count(&conn, attempts, 2, 10).await;
    wait_count(&conn, messages, 1, 10).await;
    wait_count(&conn, receipts, 1, 10).await;
    let oldest = rows(&conn, "SELECT MIN(started_at) AS n FROM notification_attempts").await;
    assert_eq!(oldest[0].try_get::<i64>("", "n").unwrap(), start - day);
}

async fn an_attempt_whose_lease_was_taken_over_still_counts(backend: Backend) {
    let db = TestDb::new(backend).await;
    let clock = Arc::new(ManualClock::new(1_800_000_000_000));
    let app = spawn_app_with_clock(&db, Arc::default(), &[], clock.clone()).await;
    let merchant = Merchant::signed_up(app, "lease@example.com").await;
    real_speed(&db).await;
    let receiver = Receiver::start("success").await;
    test_payment(&merchant, "normal", &receiver.url).await;
    let conn = db.connect().await;
    wait_count(
        &conn,
        "SELECT COUNT(*) AS n FROM notifications WHERE status = 'delivered'",
        1,
        10,
    )
    .await;
    // A dispatcher stalled past its lease; another one has taken the row meanwhile.
    conn.execute_unprepared(
        "UPDATE notifications SET status = 'pending', lease_owner = 'other', \
         lease_expires_at = 9000000000000, next_attempt_at = NULL",
    )
    .await
    .unwrap();
    let stale = notification::Entity::find().one(&conn).await.unwrap().unwrap();
    assert_eq!(stale.attempts, 1);
    let delivery = app::ssr::notify::Delivery {
        notification: stale,
        manual: false,
        started_at: clock.now_ms(),
        duration_ms: 3,
        query: "a=1".into(),
        outcome: app::ssr::notify::Outcome {
            delivered: true,
            status: Some(200),
            body: "success".into(),
            error: String::new(),
            hint: None,
        },
        fast: false,
    };
    let schedule = [Duration::from_secs(60)];
    app::ssr::notify::record(&conn, &schedule, &[delivery], Some("stalled"), clock.now_ms())
        .await
        .unwrap();
    let now = notification::Entity::find().one(&conn).await.unwrap().unwrap();
    assert_eq!(now.attempts, 2, "the stalled dispatcher's attempt counts");
    assert_eq!(now.status, "pending", "the new lease owner decides the state");
    assert_eq!(now.lease_owner.as_deref(), Some("other"));
    assert_eq!(
        count(&conn, "SELECT COUNT(*) AS n FROM notification_attempts").await,
        2
    );
}

/// Test payments made at the same moment are written in shared transactions (group
/// commit); each still gets its own order and notification, paired correctly, and
/// each notification is delivered with its own order's parameters.
async fn concurrent_test_payments_each_get_their_own_notification(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app_with_clock(&db, Arc::default(), &[], Arc::new(app::ssr::clock::SystemClock)).await;
    let merchant = Merchant::signed_up(app, "batch@example.com").await;
    let receiver = Receiver::start("success").await;
    let fees: Vec<String> = (1..=60).map(|fee| fee.to_string()).collect();
    let payments = fees.iter().map(|fee| {
        let merchant = &merchant;
        let url = receiver.url.clone();
        async move {
            let response = merchant
                .app
                .post_form(
                    "/api/create_test_payment",
                    &[
                        ("appid", merchant.appid.as_str()),
                        ("total_fee", fee.as_str()),
                        ("body", "batch"),
                        ("scenario", if fee == "7" { "failure" } else { "normal" }),
                        ("notify_url", url.as_str()),
                    ],
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK);
            let created: serde_json::Value = response.json().await.unwrap();
            (fee.clone(), created)
        }
    });
    let created = futures_join_all(payments).await;
    let conn = db.connect().await;
    assert_eq!(count(&conn, "SELECT COUNT(*) AS n FROM orders").await, 60);
    assert_eq!(count(&conn, "SELECT COUNT(*) AS n FROM notifications").await, 60);
    // Every notification belongs to the order the caller was told about.
    let pairs = rows(
        &conn,
        "SELECT n.notify_id, o.out_trade_no, o.total_fee, o.trade_state FROM notifications n \
         JOIN orders o ON o.id = n.order_id",
    )
    .await;
    for (fee, answer) in &created {
        let pair = pairs
            .iter()
            .find(|row| {
                row.try_get::<String>("", "notify_id").unwrap() == answer["notify_id"].as_str().unwrap()
            })
            .expect("the notification the caller got exists");
        assert_eq!(
            pair.try_get::<String>("", "out_trade_no").unwrap(),
            answer["out_trade_no"].as_str().unwrap()
        );
        assert_eq!(pair.try_get::<i64>("", "total_fee").unwrap().to_string(), *fee);
        let state = pair.try_get::<i16>("", "trade_state").unwrap();
        assert_eq!(state, if fee == "7" { 2 } else { 0 }, "fee {fee}");
    }
    // Each delivery carries its own notify_id and its own order's amount.
    receiver.wait_for(60).await;
    let got = receiver.got.lock().unwrap().clone();
    for (fee, answer) in &created {
        let notify_id = answer["notify_id"].as_str().unwrap();
        let (_, params) = got
            .iter()
            .find(|(_, params)| params.contains(&format!("notify_id={notify_id}")))
            .expect("delivered");
        assert!(params.contains(&format!("total_fee={fee}&")), "{params}");
    }
    wait_count(
        &conn,
        "SELECT COUNT(*) AS n FROM notifications WHERE status = 'delivered'",
        60,
        20,
    )
    .await;
}

/// Runs the futures concurrently on this task and collects their outputs in order.
async fn futures_join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut set: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, future) in set.iter_mut().enumerate() {
            if out[i].is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => out[i] = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(|value| value.expect("ready")).collect()
}

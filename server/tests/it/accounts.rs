//! Sign-up, login, logout, throttling and sessions.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{
    Backend, PASSWORD, TestDb, db_tests, see_other, session_cookie, spawn_app, spawn_app_with_jar,
};

db_tests!(
    sign_up_logs_in_and_lands_on_apps,
    sign_up_with_a_taken_email_is_refused_and_keeps_the_form,
    sign_up_explains_invalid_input,
    wrong_password_and_unknown_email_get_the_same_message,
    login_cycles_the_session_id_and_follows_next,
    logout_ends_the_session,
    ten_failures_for_one_account_lock_it_until_the_window_passes,
    ten_failures_from_one_ip_lock_it,
    a_session_survives_a_server_restart,
    a_huge_typed_value_is_not_kept_in_the_session,
    failures_sent_at_once_cannot_outrun_the_throttle,
    old_login_attempts_are_deleted,
);

async fn old_login_attempts_are_deleted(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = spawn_app(&db).await;
    see_other(&first.login("nobody@example.com", "wrong password!").await);
    let conn = db.connect().await;
    let two_days_ago = app::ssr::now_ms() - 2 * 86_400_000;
    conn.execute_unprepared(&format!(
        "INSERT INTO login_attempts (email, ip, succeeded, created_at) \
         VALUES ('old@example.com', '127.0.0.1', false, {two_days_ago})"
    ))
    .await
    .unwrap();
    assert_eq!(failures(&db).await, 2);
    // The cleanup runs when a server starts, then hourly.
    let _second = spawn_app(&db).await;
    for _ in 0..100 {
        if failures(&db).await == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the two-day-old attempt was not deleted");
}

async fn failures_sent_at_once_cannot_outrun_the_throttle(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    see_other(&app.signup("dev@example.com", PASSWORD, "Acme").await);
    let attacker = spawn_app(&db).await;
    let url = attacker.url("/login");
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let (client, url) = (attacker.client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let form = [("email", "dev@example.com"), ("password", "wrong password!")];
            client.post(url).form(&form).send().await.unwrap().status()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::SEE_OTHER);
    }
    // At most ten of them reached the password check; the others were refused first.
    let failed = failures(&db).await;
    assert!(failed <= 10, "{failed} failures recorded");
    // The right password comes after the lock only when fewer than ten got through.
    let owner = spawn_app(&db).await;
    let expected = if failed == 10 { "/login" } else { "/apps" };
    assert_eq!(
        see_other(&owner.login("dev@example.com", PASSWORD).await),
        expected
    );
}

async fn a_huge_typed_value_is_not_kept_in_the_session(backend: Backend) {
    let db = TestDb::new(backend).await;
    let visitor = spawn_app(&db).await;
    let huge = format!("{}@example.com", "a".repeat(60 * 1024));
    assert_eq!(
        see_other(&visitor.login(&huge, "wrong password!").await),
        "/login"
    );
    assert_eq!(
        see_other(&visitor.signup(&huge, PASSWORD, &"n".repeat(2000)).await),
        "/signup"
    );
    let conn = db.connect().await;
    let row = conn
        .query_one(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n, CAST(MAX(LENGTH(data)) AS BIGINT) AS longest FROM sessions",
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(row.try_get::<i64>("", "n").unwrap() >= 1);
    let longest = row.try_get::<i64>("", "longest").unwrap();
    assert!(longest < 4 * 1024, "a session of {longest} bytes");
    // What was typed still comes back, cut to what a field can hold.
    let html = visitor.get_html("/signup").await;
    assert!(html.contains(&"a".repeat(990)) && !html.contains(&"a".repeat(1001)));
}

async fn sign_up_logs_in_and_lands_on_apps(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;

    let response = app.signup("  Dev@Example.COM ", PASSWORD, "Acme Payments").await;
    assert_eq!(see_other(&response), "/apps");
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("portal_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http must not get Secure cookies: {cookie}"
    );

    let html = app.get_html("/apps").await;
    assert!(html.contains("Acme Payments"), "header shows the ISV name");
    assert!(html.contains("You have no apps yet."));
    assert!(html.contains(r#"action="/logout""#), "logout form");

    // The e-mail was normalised, so the canonical spelling logs in.
    let other = spawn_app(&db).await;
    assert_eq!(
        see_other(&other.login("dev@example.com", PASSWORD).await),
        "/apps"
    );
}

async fn sign_up_with_a_taken_email_is_refused_and_keeps_the_form(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = spawn_app(&db).await;
    see_other(&first.signup("dev@example.com", PASSWORD, "First").await);

    let second = spawn_app(&db).await;
    let response = second.signup("DEV@example.com", PASSWORD, "Second <ISV>").await;
    assert_eq!(see_other(&response), "/signup");
    let html = second.get_html("/signup").await;
    assert!(html.contains("An account with this e-mail already exists."));
    assert!(
        html.contains(r#"value="DEV@example.com""#),
        "keeps the typed e-mail"
    );
    assert!(
        html.contains(r#"value="Second &lt;ISV&gt;""#),
        "keeps the typed ISV name, escaped"
    );
    // The message is shown once.
    assert!(!second.get_html("/signup").await.contains("already exists"));
}

async fn sign_up_explains_invalid_input(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    assert_eq!(
        see_other(&app.signup("not-an-email", "short", "").await),
        "/signup"
    );
    let html = app.get_html("/signup").await;
    assert!(html.contains("Enter a valid e-mail address"));
    assert!(html.contains("at least 10 characters"));
    assert!(html.contains("Enter the name of your company or project."));
    assert_eq!(
        see_other(&app.signup("dev@example.com", &"x".repeat(129), "Acme").await),
        "/signup"
    );
    assert!(app.get_html("/signup").await.contains("at most 128 characters"));
    // Nothing was created: the address is still free.
    assert_eq!(
        see_other(&app.signup("dev@example.com", PASSWORD, "Acme").await),
        "/apps"
    );
}

async fn wrong_password_and_unknown_email_get_the_same_message(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    see_other(&app.signup("dev@example.com", PASSWORD, "Acme").await);
    let visitor = spawn_app(&db).await;

    let mut pages = Vec::new();
    for email in ["dev@example.com", "nobody@example.com"] {
        assert_eq!(
            see_other(&visitor.login(email, "wrong password!").await),
            "/login"
        );
        let html = visitor.get_html("/login").await;
        // Compare the page's content; the script nonces differ on every response.
        let main = html
            .split_once("<main")
            .and_then(|(_, rest)| rest.split_once("</main>"))
            .expect("main")
            .0;
        pages.push(main.replace(email, "EMAIL"));
    }
    assert!(pages[0].contains("Wrong e-mail or password."));
    assert_eq!(pages[0], pages[1], "the two failures must be indistinguishable");
    assert_eq!(
        visitor.get("/apps").await.status(),
        StatusCode::SEE_OTHER,
        "still logged out"
    );
}

async fn login_cycles_the_session_id_and_follows_next(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    see_other(&app.signup("dev@example.com", PASSWORD, "Acme").await);

    let visitor = spawn_app(&db).await;
    // A failed login leaves a flash, hence a session, before authentication.
    see_other(&visitor.login("dev@example.com", "wrong password!").await);
    let before = session_cookie(&visitor).expect("anonymous session");
    let response = visitor
        .post_form(
            "/login",
            &[
                ("email", "dev@example.com"),
                ("password", PASSWORD),
                ("next", "/apps?tab=all"),
            ],
        )
        .await;
    assert_eq!(see_other(&response), "/apps?tab=all");
    let after = session_cookie(&visitor).expect("session after login");
    assert_ne!(before, after, "the session id changes at login");

    // Only local paths are followed.
    let other = spawn_app(&db).await;
    let response = other
        .post_form(
            "/login",
            &[
                ("email", "dev@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(see_other(&response), "/apps");
}

async fn logout_ends_the_session(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    see_other(&app.signup("dev@example.com", PASSWORD, "Acme").await);
    let cookie = session_cookie(&app).expect("session");
    assert_eq!(app.get("/apps").await.status(), StatusCode::OK);

    assert_eq!(see_other(&app.post_form("/logout", &[]).await), "/login");
    assert_eq!(see_other(&app.get("/apps").await), "/login?next=%2Fapps");

    // The old cookie is dead on the server too, not just forgotten by this client.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = replay
        .get(app.url("/apps"))
        .header("cookie", format!("portal_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

async fn failures(db: &TestDb) -> i64 {
    let conn = db.connect().await;
    let row = conn
        .query_one(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM login_attempts WHERE succeeded = false",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

async fn ten_failures_for_one_account_lock_it_until_the_window_passes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    see_other(&app.signup("dev@example.com", PASSWORD, "Acme").await);
    let attacker = spawn_app(&db).await;
    for _ in 0..10 {
        see_other(&attacker.login("dev@example.com", "wrong password!").await);
    }
    assert_eq!(failures(&db).await, 10);

    // Now even the right password is refused, and the page says why.
    let owner = spawn_app(&db).await;
    assert_eq!(
        see_other(&owner.login("dev@example.com", PASSWORD).await),
        "/login"
    );
    assert!(
        owner
            .get_html("/login")
            .await
            .contains("Too many attempts. Try again later.")
    );
    assert_eq!(failures(&db).await, 10, "refused attempts do not extend the lock");

    // Sixteen minutes later the window has passed.
    let conn = db.connect().await;
    conn.execute_unprepared("UPDATE login_attempts SET created_at = created_at - 960000")
        .await
        .unwrap();
    assert_eq!(
        see_other(&owner.login("dev@example.com", PASSWORD).await),
        "/apps"
    );
}

async fn ten_failures_from_one_ip_lock_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    see_other(&app.signup("dev@example.com", PASSWORD, "Acme").await);
    for n in 0..10 {
        see_other(
            &app.login(&format!("guess{n}@example.com"), "wrong password!")
                .await,
        );
    }
    let again = spawn_app(&db).await;
    assert_eq!(
        see_other(&again.login("dev@example.com", PASSWORD).await),
        "/login"
    );
    assert!(again.get_html("/login").await.contains("Too many attempts"));
}

async fn a_session_survives_a_server_restart(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = spawn_app(&db).await;
    see_other(&first.signup("dev@example.com", PASSWORD, "Acme Restarted").await);
    let jar = first.jar.clone();
    first.stop().await;

    let second = spawn_app_with_jar(&db, jar).await;
    let html = second.get_html("/apps").await;
    assert!(
        html.contains("Acme Restarted"),
        "still logged in after the restart"
    );
}

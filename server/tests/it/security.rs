//! Redirects for logged-out and logged-in visitors, cross-origin posts, 404s and body limits.

use reqwest::StatusCode;

use crate::helpers::{Backend, PASSWORD, TestDb, db_tests, see_other, spawn_app};

db_tests!(
    logged_out_visitors_are_sent_to_login_with_next,
    logged_in_visitors_skip_login_and_signup,
    cross_origin_posts_are_refused,
    pages_work_without_javascript_and_unknown_paths_are_404,
    session_cookies_are_secure_behind_an_https_public_url,
    portal_pages_are_not_cached_framed_or_sniffed,
);

async fn portal_pages_are_not_cached_framed_or_sniffed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    see_other(&app.signup("dev@example.com", PASSWORD, "Acme").await);
    let appid = app.create_app("Shop").await;
    for path in [
        "/login".to_owned(),
        "/apps".to_owned(),
        format!("/apps/{appid}"),
        "/no/such/page".to_owned(),
    ] {
        let response = app.get(&path).await;
        let headers = response.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
    }
    // A server function's answer is not cached either.
    let response = app.post_form("/api/list_apps", &[]).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
}

async fn session_cookies_are_secure_behind_an_https_public_url(backend: Backend) {
    let db = TestDb::new(backend).await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let app =
        crate::helpers::spawn_app_configured(&db, jar, &[("PORTAL_PUBLIC_URL", "https://sandbox.example")])
            .await;
    let form = [
        ("email", "dev@example.com"),
        ("password", PASSWORD),
        ("isv_name", "Acme"),
    ];
    let post = |origin: String| {
        app.client
            .post(app.url("/signup"))
            .header("origin", origin)
            .form(&form)
            .send()
    };
    // A plain-http page, even on the portal's own host, cannot post to an https portal.
    assert_eq!(
        post(format!("http://{}", app.addr)).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let response = post("https://sandbox.example".into()).await.unwrap();
    assert_eq!(see_other(&response), "/apps");
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

async fn logged_out_visitors_are_sent_to_login_with_next(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    assert_eq!(see_other(&app.get("/").await), "/login");
    assert_eq!(see_other(&app.get("/apps").await), "/login?next=%2Fapps");
    assert_eq!(
        see_other(&app.get("/apps/1904837261?tab=keys").await),
        "/login?next=%2Fapps%2F1904837261%3Ftab%3Dkeys"
    );
    for path in [
        "/transactions",
        "/notifications",
        "/tools",
        "/audit",
        "/test-payments",
        "/dashboard",
        "/inbox",
    ] {
        assert_eq!(
            see_other(&app.get(path).await),
            format!("/login?next=%2F{}", &path[1..]),
            "{path}"
        );
    }
    assert_eq!(app.get("/login").await.status(), StatusCode::OK);
    assert_eq!(app.get("/signup").await.status(), StatusCode::OK);
    assert_eq!(app.get("/docs").await.status(), StatusCode::OK);
}

async fn logged_in_visitors_skip_login_and_signup(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    see_other(&app.signup("dev@example.com", PASSWORD, "Acme").await);
    assert_eq!(see_other(&app.get("/login").await), "/apps");
    assert_eq!(see_other(&app.get("/signup").await), "/apps");
    assert_eq!(see_other(&app.get("/").await), "/dashboard");
    for (path, text) in [
        ("/transactions", "No transactions match"),
        ("/notifications", "Every server-to-server notification"),
        ("/test-payments", "You need an app first"),
        ("/tools", "Signature debugger"),
        ("/tools/signature", "Paste a pay URL"),
        ("/dashboard", "Nothing to show yet"),
        ("/inbox", "You need an app first"),
        ("/docs", "Retcodes"),
    ] {
        let html = app.get_html(path).await;
        assert!(html.contains(text), "{path}: {html}");
    }
}

async fn cross_origin_posts_are_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    see_other(&app.signup("dev@example.com", PASSWORD, "Acme").await);

    let form = [
        ("email", "x@example.com"),
        ("password", PASSWORD),
        ("isv_name", "Evil"),
    ];
    let evil = app
        .client
        .post(app.url("/signup"))
        .header("origin", "http://evil.example")
        .form(&form);
    assert_eq!(evil.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let null_origin = app.client.post(app.url("/logout")).header("origin", "null");
    assert_eq!(null_origin.send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let server_fn = app
        .client
        .post(app.url("/api/list_apps"))
        .header("origin", "http://evil.example");
    assert_eq!(server_fn.send().await.unwrap().status(), StatusCode::FORBIDDEN);

    // Without Origin, the Referer decides; without either, the post is refused.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = bare
        .post(app.url("/login"))
        .form(&[("email", "dev@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = bare
        .post(app.url("/login"))
        .header("referer", "http://evil.example/page")
        .form(&[("email", "dev@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = bare
        .post(app.url("/login"))
        .header("referer", app.url("/login"))
        .form(&[("email", "dev@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(see_other(&response), "/apps");

    // The refused logout left the session alone, and the refused sign-up created nothing.
    assert_eq!(app.get("/apps").await.status(), StatusCode::OK);
    let stranger = spawn_app(&db).await;
    assert_eq!(
        see_other(&stranger.login("x@example.com", PASSWORD).await),
        "/login"
    );
}

async fn pages_work_without_javascript_and_unknown_paths_are_404(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    let login = app.get_html("/login").await;
    assert!(
        login.contains(r#"<form method="post" action="/login""#),
        "a plain HTML form"
    );
    let signup = app.get_html("/signup").await;
    assert!(signup.contains(r#"<form method="post" action="/signup""#));
    assert!(signup.contains(r#"name="isv_name""#) && signup.contains(r#"name="password""#));

    // Anonymous page views neither set a cookie nor store a session.
    for path in ["/login", "/signup", "/docs", "/no/such/page"] {
        assert!(
            app.get(path).await.headers().get("set-cookie").is_none(),
            "{path}"
        );
    }
    let conn = db.connect().await;
    use sea_orm::ConnectionTrait;
    let row = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM sessions",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0);

    // A logged-in page view reads the session without writing it back.
    let user = crate::helpers::TestApp::signed_up(&db, "dev@example.com", "Acme").await;
    for path in ["/apps", "/audit", "/docs"] {
        assert!(
            user.get(path).await.headers().get("set-cookie").is_none(),
            "{path}"
        );
    }

    let missing = app.get("/no/such/page").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("Page not found"));

    let huge = "x".repeat(server::BODY_LIMIT + 1);
    let response = app
        .post_form("/login", &[("email", huge.as_str()), ("password", PASSWORD)])
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

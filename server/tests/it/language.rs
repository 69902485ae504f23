//! 简体中文 and English: the default from Accept-Language, the switch, its memory
//! per user, and server-written texts (flash messages, field errors, the cashier).

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, SET_COOKIE};

use crate::gateway::Merchant;
use crate::helpers::{Backend, PASSWORD, TestApp, TestDb, app_form, db_tests, see_other, spawn_app};

db_tests!(
    the_browser_language_is_the_default,
    the_choice_is_remembered_per_user_on_every_browser,
    form_errors_and_notices_follow_the_language,
    an_unknown_language_is_refused,
    the_cashier_speaks_the_payers_language,
    the_title_is_translated_under_concurrent_load,
    pages_leave_no_panicking_tasks_behind,
);

/// Panics anywhere in this test process that say a reactive value was used after its
/// owner was disposed (counted by a panic hook that then calls the previous one).
static DISPOSED_PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_disposed_panics() -> usize {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or_default();
            if message.contains("disposed") {
                DISPOSED_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
    DISPOSED_PANICS.load(Ordering::SeqCst)
}

/// A logged-out page asked for with an `Accept-Language` header.
async fn page_in(app: &TestApp, path: &str, accept_language: &str) -> String {
    let response = app
        .client
        .get(app.url(path))
        .header(ACCEPT_LANGUAGE, accept_language)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.text().await.expect("body")
}

async fn switch(app: &TestApp, locale: &str, next: &str) -> reqwest::Response {
    app.post_form("/language", &[("locale", locale), ("next", next)])
        .await
}

async fn the_browser_language_is_the_default(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;

    let zh = page_in(&app, "/login", "zh-CN,zh;q=0.9,en;q=0.8").await;
    assert!(zh.contains(r#"<html lang="zh-CN""#), "{}", &zh[..200]);
    assert!(
        zh.contains("电子邮箱") && zh.contains("还没有账号？"),
        "login page in Chinese"
    );
    assert!(!zh.contains("No account yet?"));

    let en = page_in(&app, "/login", "en-GB,en;q=0.9,zh;q=0.5").await;
    assert!(en.contains(r#"<html lang="en""#));
    assert!(en.contains("No account yet?") && !en.contains("电子邮箱"));

    // No header, or only unsupported languages: English.
    let none = app.get_html("/login").await;
    assert!(none.contains("No account yet?"));
    let other = page_in(&app, "/signup", "fr-FR,de;q=0.5").await;
    assert!(other.contains(r#"<html lang="en""#));
}

async fn the_choice_is_remembered_per_user_on_every_browser(backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = TestApp::signed_up(&db, "lang@example.com", "Lang Co").await;
    assert!(first.get_html("/apps").await.contains(">Apps<"));

    // The switch answers with a redirect back to the page, and a cookie.
    let response = switch(&first, "zh", "/transactions?state=2").await;
    assert_eq!(see_other(&response), "/transactions?state=2");
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("lang=zh;") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let apps = first.get_html("/apps").await;
    assert!(
        apps.contains(r#"<html lang="zh-CN""#) && apps.contains(">应用<"),
        "nav in Chinese"
    );

    // Another browser that prefers English: after login the account's choice wins,
    // and the cookie it gets keeps the login page in Chinese after logout.
    let second = spawn_app(&db).await;
    let response = second
        .client
        .post(second.url("/login"))
        .header(ACCEPT_LANGUAGE, "en-US,en;q=0.9")
        .form(&[("email", "lang@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(see_other(&response), "/apps");
    let cookies: Vec<_> = response.headers().get_all(SET_COOKIE).iter().collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("lang=zh;")),
        "{cookies:?}"
    );
    assert!(page_in(&second, "/dashboard", "en-US").await.contains(">概览<"));
    second.post_form("/logout", &[]).await;
    assert!(page_in(&second, "/login", "en-US").await.contains("还没有账号？"));

    // Switching back on one browser changes the account for all of them.
    assert_eq!(see_other(&switch(&first, "en", "/apps").await), "/apps");
    assert!(first.get_html("/apps").await.contains(">Apps<"));
    let third = spawn_app(&db).await;
    assert_eq!(
        see_other(&third.login("lang@example.com", PASSWORD).await),
        "/apps"
    );
    assert!(page_in(&third, "/apps", "zh-CN").await.contains(">Apps<"));

    // Foreign `next` values are not followed.
    assert_eq!(
        see_other(&switch(&first, "zh", "https://evil.example/").await),
        "/"
    );
}

async fn form_errors_and_notices_follow_the_language(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::signed_up(&db, "zh@example.com", "中文公司").await;
    switch(&app, "zh", "/apps").await;

    let mut form = app_form("");
    form.retain(|(field, _)| *field != "notify_url");
    // Posts the form without a name or notify_url; the page it goes back to.
    let refused_form = || async {
        let response = app
            .client
            .post(app.url("/apps"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(see_other(&response), "/apps/new");
        app.get_html("/apps/new").await
    };
    let html = refused_form().await;
    assert!(html.contains("请修改下方标出的字段。"), "form error in Chinese");
    assert!(html.contains("请填写名称。"), "name error in Chinese");
    assert!(
        html.contains("请填写通知地址（notify_url）。"),
        "notify_url error in Chinese"
    );

    let appid = app.create_app("茶叶店").await;
    let html = app.get_html(&format!("/apps/{appid}")).await;
    assert!(
        html.contains(&format!("应用已创建，appid 为 {appid}。")),
        "notice in Chinese"
    );
    assert!(html.contains("茶叶店"));

    // The same mistakes in English, for a user who chose English.
    switch(&app, "en", "/apps").await;
    let html = refused_form().await;
    assert!(html.contains("Please correct the fields marked below.") && html.contains("Enter a name."));
}

async fn an_unknown_language_is_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::signed_up(&db, "fr@example.com", "Fr").await;
    let response = switch(&app, "fr", "/apps").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(SET_COOKIE).is_none());
    assert!(response.text().await.unwrap().contains("en or zh"));
    assert!(app.get_html("/apps").await.contains(">Apps<"), "nothing changed");
}

async fn the_cashier_speaks_the_payers_language(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "cashier-zh@example.com").await;
    let url = merchant
        .pay("lang-1", "https://shop.example/notify")
        .url(&merchant.base)
        .unwrap();
    let open = |accept_language: &'static str| {
        let request = merchant
            .app
            .client
            .get(&url)
            .header(ACCEPT_LANGUAGE, accept_language);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let zh = open("zh-CN,zh;q=0.9").await;
    assert!(
        zh.contains(r#"<html lang="zh-CN""#) && zh.contains("沙箱收银台"),
        "cashier in Chinese"
    );
    assert!(zh.contains("支付 ¥12.34") && zh.contains("模拟支付失败"));
    assert!(
        zh.contains("Green tea &lt;b&gt;&amp;&lt;/b&gt;"),
        "the order's text is escaped, not translated"
    );
    let en = open("en").await;
    assert!(en.contains("Sandbox cashier") && en.contains("Pay ¥12.34"));

    // A refused request: the page is Chinese, the retmsg stays the protocol's English.
    let refused = merchant
        .app
        .client
        .get(format!(
            "{}/gateway/pay.htm?appid={}",
            merchant.base, merchant.appid
        ))
        .header(ACCEPT_LANGUAGE, "zh-CN")
        .send()
        .await
        .unwrap();
    assert!(refused.status().is_client_error());
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("支付请求被拒绝") && html.contains(r#"id="retmsg""#),
        "{html}"
    );
}

/// The `<title>` is rendered after the page's reactive owners are gone; reading the
/// locale signal there panicked on some requests under load (the connection dropped).
async fn the_title_is_translated_under_concurrent_load(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::signed_up(&db, "title@example.com", "Title Co").await;
    switch(&app, "zh", "/apps").await;
    let paths = [
        "/apps",
        "/transactions",
        "/notifications",
        "/dashboard",
        "/docs",
        "/inbox",
        "/audit",
        "/tools",
    ];
    for round in 0..25 {
        let loads: Vec<_> = paths
            .iter()
            .map(|path| {
                let request = app.client.get(app.url(path));
                tokio::spawn(async move { request.send().await?.text().await })
            })
            .collect();
        for (path, load) in paths.iter().zip(loads) {
            let html = load
                .await
                .unwrap()
                .unwrap_or_else(|err| panic!("round {round}, GET {path}: {err}"));
            assert!(
                html.contains("<title>开放平台沙箱</title>"),
                "GET {path}: {}",
                html.chars().take(300).collect::<String>()
            );
        }
    }
}

/// A page's render must not leave tasks behind that outlive it. leptos_i18n's context
/// provider spawned an effect per request that read the locale after the request's
/// reactive owner was gone: the response was fine, but the task panicked in the
/// background on about 0.1 % of pages under load. Pages now read the locale from a plain
/// context.
async fn pages_leave_no_panicking_tasks_behind(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_app(&db).await;
    let before = count_disposed_panics();
    let workers: Vec<_> = (0..16)
        .map(|worker| {
            let (client, base) = (app.client.clone(), app.url(""));
            tokio::spawn(async move {
                for round in 0..150 {
                    let path = ["/login", "/signup", "/docs"][(worker + round) % 3];
                    let response = client.get(format!("{base}{path}")).send().await.expect("GET");
                    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
                    response.text().await.expect("body");
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    // Whatever a render spawned has had time to run.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        count_disposed_panics(),
        before,
        "a background task used a disposed reactive value (see the panic messages above)"
    );
}

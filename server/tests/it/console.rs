//! The sandbox console: test payments through the form, transactions and
//! notifications pages and server functions, keyset pages, and isolation.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

use crate::gateway::{Merchant, Receiver};
use crate::helpers::{Backend, TestDb, db_tests, see_other};

/// Posts the test payment form (no JavaScript) and returns the transaction page it leads to.
async fn pay_by_form(merchant: &Merchant, body: &str, scenario: &str, notify_url: &str) -> String {
    let response = merchant
        .app
        .post_form(
            "/test-payments",
            &[
                ("appid", merchant.appid.as_str()),
                ("amount", "2.50"),
                ("body", body),
                ("scenario", scenario),
                ("notify_url", notify_url),
                ("mode", "direct"),
            ],
        )
        .await;
    let location = see_other(&response);
    assert!(location.starts_with("/transactions/"), "{location}");
    location
}

/// Calls a server function as a form post; returns its status and JSON answer.
pub async fn json(
    merchant: &Merchant,
    function: &str,
    form: &[(&str, &str)],
) -> (StatusCode, serde_json::Value) {
    let response = merchant.app.post_form(&format!("/api/{function}"), form).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

fn list_form<'a>(q: &'a str, state: &'a str, before: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("appid", ""),
        ("state", state),
        ("from", ""),
        ("to", ""),
        ("q", q),
    ];
    if let Some(before) = before {
        form.push(("before", before));
    }
    form
}

db_tests!(
    a_test_payment_shows_up_in_transactions_and_notifications,
    the_test_payment_form_explains_bad_input_and_keeps_it,
    transaction_pages_are_stable_while_rows_are_added,
    another_isv_sees_none_of_it,
    the_signature_debugger_explains_common_mistakes,
    the_dashboard_counts_per_app_and_charts_fourteen_days,
    the_dashboard_counts_follow_every_change_and_survive_folds,
    the_migration_counts_what_is_there_and_concurrent_folds_add_each_change_once,
    the_docs_render_the_gateway_definitions_and_the_sdk_quickstart,
    the_platforms_own_notifications_reach_the_demo_receiver,
);

async fn the_platforms_own_notifications_reach_the_demo_receiver(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "demo-receiver@example.com").await;
    let demo = merchant.app.url("/demo/notify");
    pay_by_form(&merchant, "Tea", "normal", &demo).await;
    let page = format!("/apps/{}", merchant.appid);
    for _ in 0..200 {
        let html = merchant.app.get_html(&page).await;
        if html.contains("Received by the built-in demo receiver") {
            assert!(html.contains("notify_id="), "{html}");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the signed notification was not recorded by the demo receiver");
}

async fn a_test_payment_shows_up_in_transactions_and_notifications(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "console@example.com").await;
    let receiver = Receiver::start("success").await;
    let location = pay_by_form(&merchant, "<b>Tea</b> & cake", "normal", &receiver.url).await;
    let transaction_id = location.trim_start_matches("/transactions/").to_owned();
    receiver.wait_for(1).await;

    // A live refresh of the page (the island's background fetch) leaves the flash for
    // the page the user is shown.
    let refreshed = merchant
        .app
        .client
        .get(merchant.app.url(&location))
        .header(app::components::live_refresh::HEADER, "1")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(refreshed.contains(&transaction_id) && !refreshed.contains("Test payment made"));
    let page = merchant.app.get_html(&location).await;
    assert!(page.contains("Test payment made"), "the flash says what happened");
    assert!(
        page.contains("&lt;b&gt;Tea&lt;/b&gt; &amp; cake"),
        "escaped body: {page}"
    );
    assert!(!page.contains("<b>Tea</b>"));
    assert!(page.contains("¥2.50"));
    assert!(page.contains("normalorderquery.xml?"), "copy as cURL");
    assert!(page.contains("Order paid"), "timeline");

    // The signed cURL really answers: run its URL.
    let (status, detail) = json(
        &merchant,
        "get_transaction",
        &[("transaction_id", &transaction_id)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let curl = detail["curl"].as_str().unwrap();
    let url = curl.trim_start_matches("curl '").trim_end_matches('\'');
    let xml = merchant.get(url).await.text().await.unwrap();
    assert!(xml.contains("<retcode>0</retcode>"), "{xml}");

    // The list, with filters.
    let list = merchant.app.get_html("/transactions").await;
    assert!(list.contains(&transaction_id));
    let (_, by_id) = json(
        &merchant,
        "list_transactions",
        &list_form(&transaction_id, "", None),
    )
    .await;
    assert_eq!(by_id["rows"].as_array().unwrap().len(), 1);
    let (_, failed_only) = json(&merchant, "list_transactions", &list_form("", "2", None)).await;
    assert!(failed_only["rows"].as_array().unwrap().is_empty());
    let (status, bad) = json(&merchant, "list_transactions", &list_form("", "9", None)).await;
    assert_ne!(status, StatusCode::OK);
    assert!(bad.to_string().contains("state must be"), "{bad}");
    let filtered = merchant
        .app
        .get_html(&format!(
            "/transactions?state=0&q={}",
            detail["row"]["out_trade_no"].as_str().unwrap()
        ))
        .await;
    assert!(filtered.contains(&transaction_id));

    // Notifications: list and detail with the attempt, then the manual actions.
    let (_, notifications) = json(&merchant, "list_notifications", &[("status", "delivered")]).await;
    let notify_id = notifications["rows"][0]["notify_id"].as_str().unwrap().to_owned();
    let list = merchant.app.get_html("/notifications").await;
    assert!(list.contains(&notify_id));
    let detail_path = format!("/notifications/{notify_id}");
    let detail = merchant.app.get_html(&detail_path).await;
    assert!(
        detail.contains("delivered") && detail.contains("Resend now") && detail.contains("Restart schedule")
    );
    assert!(detail.contains("success"), "the response body is shown");
    let resent = merchant
        .app
        .post_form(&format!("{detail_path}/resend"), &[])
        .await;
    assert_eq!(see_other(&resent), detail_path);
    let page = merchant.app.get_html(&detail_path).await;
    assert!(page.contains("Resent: delivered."), "{page}");
    assert!(page.contains("(manual)"));
    let restarted = merchant
        .app
        .post_form(&format!("{detail_path}/restart"), &[])
        .await;
    assert_eq!(see_other(&restarted), detail_path);
    receiver.wait_for(3).await;
}

async fn the_test_payment_form_explains_bad_input_and_keeps_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "form@example.com").await;
    assert!(
        merchant
            .app
            .get_html("/test-payments")
            .await
            .contains("Make test payment")
    );
    // Posts the form in direct mode; it is refused, and the form's page is returned.
    let refused = async |field: &str, [amount, body, scenario, notify_url]: [&str; 4]| {
        let response = merchant
            .app
            .post_form(
                "/test-payments",
                &[
                    ("appid", merchant.appid.as_str()),
                    ("amount", amount),
                    ("body", body),
                    ("scenario", scenario),
                    ("notify_url", notify_url),
                    ("mode", "direct"),
                ],
            )
            .await;
        assert_eq!(see_other(&response), "/test-payments", "{field}");
        merchant.app.get_html("/test-payments").await
    };
    let cases = [
        ("amount", ["12.345", "Green tea", "normal", ""], "amount in yuan"),
        ("amount", ["0", "Green tea", "normal", ""], "amount in yuan"),
        ("scenario", ["1", "Green tea", "surprise", ""], "scenario must be"),
        ("body", ["1", "", "normal", ""], "body must be"),
    ];
    for (field, form, message) in cases {
        let page = refused(field, form).await;
        assert!(page.contains(message), "{field}: {page}");
        assert!(
            page.contains(&format!("value=\"{}\"", form[0])),
            "keeps what was typed"
        );
    }
    // The same rules in Chinese, for a user who chose it.
    let switch = async |locale: &str| {
        merchant
            .app
            .post_form("/language", &[("locale", locale), ("next", "/test-payments")])
            .await
    };
    assert_eq!(see_other(&switch("zh").await), "/test-payments");
    let cases = [
        (
            "body",
            ["1", "", "normal", ""],
            "商品描述（body）必须是 1 到 128 个字符",
        ),
        (
            "scenario",
            ["1", "Green tea", "surprise", ""],
            "场景（scenario）必须是以下之一：normal",
        ),
        (
            "notify_url",
            ["1", "Green tea", "normal", "ftp://example.com/notify"],
            "通知地址（notify_url）必须是绝对的 http(s) URL",
        ),
    ];
    for (field, form, message) in cases {
        let page = refused(field, form).await;
        assert!(page.contains(message), "{field}: {page}");
    }
    assert_eq!(see_other(&switch("en").await), "/test-payments");
    // The cashier mode sends the browser to a signed pay URL for the app.
    let response = merchant
        .app
        .post_form(
            "/test-payments",
            &[
                ("appid", merchant.appid.as_str()),
                ("amount", "1.00"),
                ("body", "Via the cashier"),
                ("scenario", "normal"),
                ("mode", "cashier"),
            ],
        )
        .await;
    let location = see_other(&response);
    assert!(location.contains("/gateway/pay.htm?"), "{location}");
    let cashier = merchant.get(&location).await.text().await.unwrap();
    assert!(
        cashier.contains("Sandbox cashier") && cashier.contains("¥1.00"),
        "{cashier}"
    );
}

async fn transaction_pages_are_stable_while_rows_are_added(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "pages@example.com").await;
    let target = "http://127.0.0.1:9/notify";
    for _ in 0..52 {
        pay_by_form(&merchant, "item", "normal", target).await;
    }
    let (_, first) = json(&merchant, "list_transactions", &list_form("", "", None)).await;
    let rows = first["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 50);
    let before = first["next_before"].as_i64().expect("a next page").to_string();
    // New rows arrive while the user reads page 1; page 2 is still the two oldest.
    pay_by_form(&merchant, "newer", "normal", target).await;
    let (_, second) = json(&merchant, "list_transactions", &list_form("", "", Some(&before))).await;
    let second = second["rows"].as_array().unwrap();
    assert_eq!(second.len(), 2);
    let seen: Vec<&str> = rows
        .iter()
        .map(|r| r["transaction_id"].as_str().unwrap())
        .collect();
    assert!(
        second
            .iter()
            .all(|r| !seen.contains(&r["transaction_id"].as_str().unwrap()))
    );
    let html = merchant.app.get_html("/transactions").await;
    assert!(html.contains("Older transactions"));
}

async fn another_isv_sees_none_of_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = Merchant::new(&db, "owner@example.com").await;
    let receiver = Receiver::start("success").await;
    let location = pay_by_form(&a, "secret tea", "normal", &receiver.url).await;
    let transaction_id = location.trim_start_matches("/transactions/").to_owned();
    receiver.wait_for(1).await;
    let (_, notifications) = json(&a, "list_notifications", &[("status", "")]).await;
    let notify_id = notifications["rows"][0]["notify_id"].as_str().unwrap().to_owned();
    let (_, detail) = json(&a, "get_transaction", &[("transaction_id", &transaction_id)]).await;
    let out_trade_no = detail["row"]["out_trade_no"].as_str().unwrap().to_owned();

    let b = Merchant::new(&db, "stranger@example.com").await;
    for path in [location.clone(), format!("/notifications/{notify_id}")] {
        let response = b.app.get(&path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!response.text().await.unwrap().contains("secret tea"));
    }
    for (function, form) in [
        (
            "get_transaction",
            vec![("transaction_id", transaction_id.as_str())],
        ),
        ("get_notification", vec![("notify_id", notify_id.as_str())]),
        ("resend_notification", vec![("notify_id", notify_id.as_str())]),
        ("restart_notification", vec![("notify_id", notify_id.as_str())]),
    ] {
        let (status, _) = json(&b, function, &form).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{function}");
    }
    for q in [transaction_id.as_str(), out_trade_no.as_str(), ""] {
        let (status, page) = json(&b, "list_transactions", &list_form(q, "", None)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page["rows"].as_array().unwrap().is_empty(), "q={q}: {page}");
    }
    let (_, theirs) = json(&b, "list_notifications", &[("status", "")]).await;
    assert!(theirs["rows"].as_array().unwrap().is_empty());
    for action in ["resend", "restart"] {
        let response = b
            .app
            .post_form(&format!("/notifications/{notify_id}/{action}"), &[])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let response = b
        .app
        .post_form(
            "/test-payments",
            &[
                ("appid", a.appid.as_str()),
                ("amount", "1"),
                ("body", "x"),
                ("mode", "direct"),
            ],
        )
        .await;
    assert_eq!(see_other(&response), "/test-payments");
    assert_eq!(receiver.count(), 1, "nothing more was sent for A");
}

/// Uppercase MD5 of a hand-built canonical string (to build a signer's mistakes).
fn md5(text: &str, charset: sdk::sign::Charset) -> String {
    sdk::sign::md5_upper_hex(text, charset).unwrap()
}

async fn check(merchant: &Merchant, input: &str) -> serde_json::Value {
    let (status, result) = json(
        merchant,
        "check_signature",
        &[("appid", merchant.appid.as_str()), ("input", input)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    result
}

fn hints(result: &serde_json::Value) -> String {
    result["hints"].to_string()
}

async fn the_signature_debugger_explains_common_mistakes(backend: Backend) {
    use sdk::sign::Charset;
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "debug@example.com").await;
    let key = merchant.key.clone();
    let appid = merchant.appid.clone();
    let url = merchant
        .pay("dbg-1", "http://127.0.0.1:9/notify")
        .url(&merchant.base)
        .unwrap();

    let valid = check(&merchant, &url).await;
    assert_eq!(valid["verdict"], "valid", "{valid}");
    assert!(valid["canonical"].as_str().unwrap().ends_with("&key=<app key>"));
    assert!(!valid.to_string().contains(&key), "the key is never shown");
    let sign = valid["expected"].as_str().unwrap().to_owned();
    let lower = check(&merchant, &url.replace(&sign, &sign.to_lowercase())).await;
    assert_eq!(lower["verdict"], "valid");
    assert!(hints(&lower).contains("Lowercase hex is fine"));

    // URL-encoded values signed.
    let encoded = format!("appid={appid}&body=green%20tea&total_fee=1");
    let wrong = md5(
        &format!("appid={appid}&body=green%20tea&total_fee=1&key={key}"),
        Charset::Utf8,
    );
    let result = check(&merchant, &format!("{encoded}&sign={wrong}")).await;
    assert_eq!(result["verdict"], "mismatch");
    assert!(hints(&result).contains("URL-encoded"), "{result}");
    // The same through the page's GET form, as a browser encodes it.
    let input: String =
        url::form_urlencoded::byte_serialize(format!("{encoded}&sign={wrong}").as_bytes()).collect();
    let page = merchant
        .app
        .get_html(&format!("/tools/signature?appid={appid}&input={input}"))
        .await;
    assert!(page.contains("URL-encoded"), "{page}");

    // Empty values kept.
    let wrong = md5(
        &format!("appid={appid}&attach=&total_fee=1&key={key}"),
        Charset::Utf8,
    );
    let result = check(
        &merchant,
        &format!("appid={appid}&attach=&total_fee=1&sign={wrong}"),
    )
    .await;
    assert!(hints(&result).contains("empty values"), "{result}");

    // `sign` included in the signed string.
    let wrong = md5(
        &format!("appid={appid}&sign=MD5&total_fee=1&key={key}"),
        Charset::Utf8,
    );
    let result = check(&merchant, &format!("appid={appid}&total_fee=1&sign={wrong}")).await;
    assert!(hints(&result).contains("included sign itself"), "{result}");

    // Hashed as UTF-8 while input_charset says GBK.
    let wrong = md5(
        &format!("appid={appid}&body=测试&input_charset=GBK&key={key}"),
        Charset::Utf8,
    );
    let result = check(
        &merchant,
        &format!("appid={appid}&body=%B2%E2%CA%D4&input_charset=GBK&sign={wrong}"),
    )
    .await;
    assert!(hints(&result).contains("as UTF-8 bytes"), "{result}");

    // The wrong key slot after a rotation.
    see_other(
        &merchant
            .app
            .post_form(&format!("/apps/{appid}/rotate"), &[])
            .await,
    );
    let old = md5(
        &format!("appid={appid}&sign_key_index=2&total_fee=1&key={key}"),
        Charset::Utf8,
    );
    let result = check(
        &merchant,
        &format!("appid={appid}&sign_key_index=2&total_fee=1&sign={old}"),
    )
    .await;
    assert_eq!(result["verdict"], "mismatch");
    assert!(hints(&result).contains("slot 1"), "{result}");
    // The same hint in Chinese, for a user who chose it.
    for (locale, words) in [
        ("zh", "它与密钥槽 1 的密钥相符"),
        ("en", "It matches the key in slot 1"),
    ] {
        let switched = merchant
            .app
            .post_form("/language", &[("locale", locale), ("next", "/tools/signature")])
            .await;
        assert_eq!(see_other(&switched), "/tools/signature");
        let result = check(
            &merchant,
            &format!("appid={appid}&sign_key_index=2&total_fee=1&sign={old}"),
        )
        .await;
        assert!(hints(&result).contains(words), "{locale}: {result}");
    }

    // The page works as a plain GET form, and another ISV's app is not found.
    let page = merchant
        .app
        .get_html(&format!(
            "/tools/signature?appid={appid}&input=appid%3D{appid}%26total_fee%3D1"
        ))
        .await;
    assert!(page.contains("Verdict") && page.contains("unsigned"), "{page}");
    let other = Merchant::new(&db, "debug-other@example.com").await;
    let (status, _) = json(
        &other,
        "check_signature",
        &[("appid", appid.as_str()), ("input", "a=1")],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_dashboard_counts_per_app_and_charts_fourteen_days(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "dash@example.com").await;
    let receiver = Receiver::start("success").await;
    pay_by_form(&merchant, "paid <tea>", "normal", &receiver.url).await;
    pay_by_form(&merchant, "failed tea", "failure", &receiver.url).await;
    receiver.wait_for(2).await;
    // The paid order and its notification were made three days ago (UTC+8 days).
    let conn = db.connect().await;
    let day = 86_400_000_i64;
    conn.execute_unprepared(&format!(
        "UPDATE orders SET created_at = created_at - {} WHERE trade_state = 0",
        3 * day
    ))
    .await
    .unwrap();
    conn.execute_unprepared(&format!(
        "UPDATE notifications SET created_at = created_at - {} \
         WHERE order_id IN (SELECT id FROM orders WHERE trade_state = 0)",
        3 * day
    ))
    .await
    .unwrap();

    let mut data = serde_json::Value::Null;
    for _ in 0..100 {
        data = json(&merchant, "get_dashboard", &[]).await.1;
        if data["apps"][0]["delivered"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let app = &data["apps"][0];
    assert_eq!(app["appid"], merchant.appid.as_str());
    assert_eq!(app["orders"], 2, "{data}");
    assert_eq!(app["paid"], 1);
    assert_eq!(app["paid_fen"], 250);
    assert_eq!(app["delivered"], 2);
    assert_eq!(app["failed"], 0);
    let days = data["days"].as_array().unwrap();
    assert_eq!(days.len(), 14);
    let today = app::protocol::protocol_date(app::ssr::now_ms());
    assert_eq!(
        days[13]["date"].as_str().unwrap().replace('-', ""),
        today,
        "the last day is today, UTC+8"
    );
    assert_eq!(days[10]["payments"], 1, "three days ago: {data}");
    assert_eq!(days[10]["delivered"], 1);
    assert_eq!(days[13]["payments"], 0, "the failed order is not a payment");
    assert_eq!(days[13]["delivered"], 1, "its failure notification was delivered");

    let page = merchant.app.get_html("/dashboard").await;
    assert!(page.contains("<svg"), "a chart without JavaScript");
    assert_eq!(page.matches("<rect").count(), 14, "one bar per day");
    assert!(page.contains("¥2.50"));
    assert!(page.contains("<polyline"));

    // Another ISV's dashboard shows only its own app, empty.
    let other = Merchant::new(&db, "dash-other@example.com").await;
    let theirs = json(&other, "get_dashboard", &[]).await.1;
    assert_eq!(theirs["apps"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["apps"][0]["orders"], 0, "{theirs}");
    assert!(
        theirs["days"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["payments"] == 0 && d["delivered"] == 0)
    );
}

/// The numbers of one app counted from its rows, the way the dashboard used to:
/// orders, paid, paid_fen, delivered, failed, pending.
async fn recount(conn: &sea_orm::DatabaseConnection, appid: &str) -> [i64; 6] {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one(sea_orm::Statement::from_string(
            backend,
            format!(
                "SELECT (SELECT COUNT(*) FROM orders o WHERE o.app_id = a.id) AS orders, \
                 (SELECT COUNT(*) FROM orders o WHERE o.app_id = a.id AND o.trade_state = 0) AS paid, \
                 (SELECT CAST(COALESCE(SUM(total_fee), 0) AS BIGINT) FROM orders o \
                   WHERE o.app_id = a.id AND o.trade_state = 0) AS paid_fen, \
                 (SELECT COUNT(*) FROM notifications n WHERE n.app_id = a.id AND n.status = 'delivered') AS delivered, \
                 (SELECT COUNT(*) FROM notifications n WHERE n.app_id = a.id AND n.status = 'failed') AS failed, \
                 (SELECT COUNT(*) FROM notifications n WHERE n.app_id = a.id AND n.status = 'pending') AS pending \
                 FROM apps a WHERE a.appid = '{appid}'"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    ["orders", "paid", "paid_fen", "delivered", "failed", "pending"]
        .map(|name| row.try_get::<i64>("", name).unwrap())
}

async fn dashboard_numbers(merchant: &Merchant) -> ([i64; 6], serde_json::Value) {
    let data = json(merchant, "get_dashboard", &[]).await.1;
    let app = &data["apps"][0];
    let numbers = ["orders", "paid", "paid_fen", "delivered", "failed", "pending"]
        .map(|name| app[name].as_i64().unwrap_or_else(|| panic!("{name} in {data}")));
    (numbers, data["days"].clone())
}

async fn pending_changes(conn: &sea_orm::DatabaseConnection) -> i64 {
    conn.query_one(sea_orm::Statement::from_string(
        conn.get_database_backend(),
        "SELECT COUNT(*) AS n FROM stats_changes",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "n")
    .unwrap()
}

/// A merchant with one test payment per scenario, each notification delivered and
/// recorded as delivered, and a connection to the database.
async fn delivered_payments(
    db: &TestDb,
    email: &str,
    scenarios: &[&str],
) -> (Merchant, sea_orm::DatabaseConnection) {
    let merchant = Merchant::new(db, email).await;
    let receiver = Receiver::start("success").await;
    for scenario in scenarios {
        pay_by_form(&merchant, "tea", scenario, &receiver.url).await;
    }
    receiver.wait_for(scenarios.len()).await;
    let conn = db.connect().await;
    // The dispatcher records each delivery just after the receiver has answered.
    let delivered = i64::try_from(scenarios.len()).unwrap();
    for _ in 0..200 {
        if recount(&conn, &merchant.appid).await[3] == delivered {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        recount(&conn, &merchant.appid).await[3],
        delivered,
        "all delivered"
    );
    (merchant, conn)
}

async fn the_dashboard_counts_follow_every_change_and_survive_folds(backend: Backend) {
    use app::ssr::dashboard::fold_stats;
    use app::ssr::write_gate::WriteGate;

    let db = TestDb::new(backend).await;
    let (merchant, conn) =
        delivered_payments(&db, "folds@example.com", &["normal", "normal", "failure"]).await;
    let gate = WriteGate::new(matches!(backend, Backend::Sqlite));
    let check = async |when: &str| {
        let expected = recount(&conn, &merchant.appid).await;
        let (numbers, days) = dashboard_numbers(&merchant).await;
        assert_eq!(numbers, expected, "{when}");
        days
    };
    // The server folds twice a second; this one folds what is recorded by now.
    fold_stats(&conn, &gate).await.unwrap();
    assert_eq!(pending_changes(&conn).await, 0);
    let days = check("after a fold").await;
    assert_eq!(days[13]["payments"], 2, "{days}");

    // Changes by hand, as a bulk import or an operator might make them: a payment
    // moved two days back, a delivered notification marked failed, one row deleted.
    let day = 86_400_000_i64;
    for sql in [
        format!(
            "UPDATE orders SET created_at = created_at - {} WHERE id = (SELECT MIN(id) FROM orders WHERE trade_state = 0)",
            2 * day
        ),
        "UPDATE notifications SET status = 'failed' WHERE id = (SELECT MIN(id) FROM notifications)"
            .to_owned(),
        "UPDATE orders SET trade_state = 0 WHERE trade_state = 2".to_owned(),
        "DELETE FROM notification_attempts WHERE notification_id = (SELECT MAX(id) FROM notifications)"
            .to_owned(),
        "DELETE FROM notifications WHERE id = (SELECT MAX(id) FROM notifications)".to_owned(),
    ] {
        conn.execute_unprepared(&sql).await.unwrap();
    }
    assert!(pending_changes(&conn).await > 0);
    // Not folded yet: the dashboard adds the recorded changes to the folded counts.
    let before = check("with changes not folded").await;
    assert_eq!(before[11]["payments"], 1, "two days ago: {before}");
    assert_eq!(
        before[13]["payments"], 2,
        "the failed order became paid: {before}"
    );
    assert_eq!(before[13]["failed"], 1, "{before}");
    assert!(fold_stats(&conn, &gate).await.unwrap() > 0);
    assert_eq!(pending_changes(&conn).await, 0);
    let after = check("after the second fold").await;
    assert_eq!(after, before);
    assert_eq!(fold_stats(&conn, &gate).await.unwrap(), 0, "nothing left to fold");
}

async fn the_migration_counts_what_is_there_and_concurrent_folds_add_each_change_once(backend: Backend) {
    use app::ssr::dashboard::fold_stats;
    use app::ssr::write_gate::WriteGate;
    use migration::{Migrator, MigratorTrait};

    let db = TestDb::new(backend).await;
    let (merchant, conn) = delivered_payments(&db, "backfill@example.com", &["normal", "failure"]).await;
    // A database from before migration 000008, changed while it had no triggers: the
    // migration counts what is there. (000009 to 000011 come after it.)
    Migrator::down(&conn, Some(4)).await.unwrap();
    conn.execute_unprepared("UPDATE orders SET trade_state = 0, updated_at = updated_at + 1")
        .await
        .unwrap();
    Migrator::up(&conn, None).await.unwrap();
    let expected = recount(&conn, &merchant.appid).await;
    assert_eq!(expected[1], 2, "both orders paid now");
    assert_eq!(
        dashboard_numbers(&merchant).await.0,
        expected,
        "after the migration"
    );
    // As after a crash between the migration's commit and its record: it runs again.
    conn.execute_unprepared("DELETE FROM seaql_migrations WHERE version LIKE '%000008%'")
        .await
        .unwrap();
    Migrator::up(&conn, None).await.unwrap();
    assert_eq!(
        dashboard_numbers(&merchant).await.0,
        expected,
        "after running it again"
    );

    // Many changes, then two folds at once (the server's own may run too): each change
    // is added exactly once.
    for _ in 0..3 {
        for sql in [
            "UPDATE orders SET trade_state = 2 WHERE trade_state = 0",
            "UPDATE orders SET trade_state = 0 WHERE trade_state = 2",
            "UPDATE notifications SET status = 'failed'",
            "UPDATE notifications SET status = 'delivered'",
        ] {
            conn.execute_unprepared(sql).await.unwrap();
        }
    }
    conn.execute_unprepared(
        "UPDATE notifications SET status = 'pending' WHERE id = (SELECT MIN(id) FROM notifications)",
    )
    .await
    .unwrap();
    let gate = WriteGate::new(matches!(backend, Backend::Sqlite));
    let other = db.connect().await;
    let (first, second) = tokio::join!(fold_stats(&conn, &gate), fold_stats(&other, &gate));
    first.unwrap();
    second.unwrap();
    assert_eq!(pending_changes(&conn).await, 0);
    let expected = recount(&conn, &merchant.appid).await;
    assert_eq!(expected[5], 1, "one pending notification");
    assert_eq!(
        dashboard_numbers(&merchant).await.0,
        expected,
        "after concurrent folds"
    );
}

async fn the_docs_render_the_gateway_definitions_and_the_sdk_quickstart(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = crate::helpers::spawn_app(&db).await;
    // Public: no login.
    let page = app.get_html("/docs").await;
    for code in app::protocol::RETCODES {
        assert!(page.contains(&code.code.to_string()), "retcode {}", code.code);
    }
    for param in app::protocol::PAY_PARAMS {
        assert!(page.contains(param.rule), "rule of {}", param.name);
    }
    assert!(
        page.contains("1 min, 2 min, 4 min, 8 min, 16 min, 32 min"),
        "the schedule"
    );
    assert!(page.contains("PayRequest::new"), "the SDK quickstart");
    assert!(!page.contains("Ok::&lt;"), "rustdoc-hidden lines left out");
}

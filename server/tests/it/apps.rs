//! Apps: creation, validation, edits, status, deletion, keys and the audit log.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{Backend, TestApp, TestDb, db_tests, see_other};

db_tests!(
    a_new_app_gets_an_appid_and_an_encrypted_masked_key,
    invalid_app_forms_explain_each_field_and_keep_the_input,
    apps_can_be_edited_disabled_and_soft_deleted,
    rotation_moves_the_key_to_the_other_slot_with_a_grace_period,
    the_audit_log_records_actions_newest_first_in_pages,
    the_demo_receiver_answers_success_and_shows_what_it_got,
    a_colliding_appid_is_drawn_again,
    the_grace_period_is_configurable,
);

async fn text_column(db: &TestDb, sql: &str) -> String {
    let conn = db.connect().await;
    let row = conn
        .query_one(Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .expect("a row");
    row.try_get_by_index::<String>(0).unwrap()
}

async fn a_new_app_gets_an_appid_and_an_encrypted_masked_key(backend: Backend) {
    let db = TestDb::new(backend).await;
    let isv = TestApp::signed_up(&db, "dev@example.com", "Acme").await;
    let appid = isv.create_app("Shop <One>").await;

    let page = isv.get_html(&format!("/apps/{appid}")).await;
    assert!(
        page.contains("App created. Its appid is"),
        "a notice after creation"
    );
    assert!(page.contains("Shop &lt;One&gt;"), "the name is escaped");
    assert!(page.contains(&appid));
    assert!(page.contains("badge-current"));
    assert!(
        !page.contains(r#"id="revealed-key""#),
        "the key is masked until revealed"
    );

    let key = isv.reveal_key(&appid).await;
    assert!(
        key.len() == 32
            && key
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{key}"
    );
    let masked = isv.get_html(&format!("/apps/{appid}")).await;
    assert!(
        !masked.contains(&key),
        "revealed once, masked again on the next load"
    );
    assert!(
        masked.contains(&key[28..]),
        "the mask shows the last four characters"
    );

    let stored = text_column(&db, &format!("SELECT key1 FROM apps WHERE appid = '{appid}'")).await;
    assert!(!stored.contains(&key), "the key is encrypted at rest");
    assert!(stored.len() > 40);

    let list = isv.get_html("/apps").await;
    assert!(list.contains(&format!(r#"href="/apps/{appid}""#)));
    assert!(!list.contains("You have no apps yet."));
}

async fn invalid_app_forms_explain_each_field_and_keep_the_input(backend: Backend) {
    let db = TestDb::new(backend).await;
    let isv = TestApp::signed_up(&db, "dev@example.com", "Acme").await;
    let long_url = format!("https://shop.example/{}", "a".repeat(600));
    let form = [
        ("name", ""),
        ("notify_url", "ftp://shop.example/<notify>"),
        ("return_url", long_url.as_str()),
        ("app_url", "not a url"),
    ];
    let response = isv
        .client
        .post(isv.url("/apps"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(see_other(&response), "/apps/new");
    let page = isv.get_html("/apps/new").await;
    assert!(page.contains("Please correct the fields marked below."));
    assert!(page.contains("Enter a name."));
    assert!(page.contains("The notify URL must be an absolute http:// or https:// URL."));
    assert!(page.contains("The return URL must be at most 512 characters."));
    assert!(page.contains("The app URL must be an absolute http:// or https:// URL."));
    assert!(
        page.contains(r#"value="ftp://shop.example/&lt;notify&gt;""#),
        "typed input kept, escaped"
    );
    assert!(
        isv.get_html("/apps").await.contains("You have no apps yet."),
        "nothing was created"
    );
}

async fn apps_can_be_edited_disabled_and_soft_deleted(backend: Backend) {
    let db = TestDb::new(backend).await;
    let isv = TestApp::signed_up(&db, "dev@example.com", "Acme").await;
    let appid = isv.create_app("Shop").await;

    let mut form = crate::helpers::app_form("Shop renamed");
    form.push(("app_url", "https://shop.example/".into()));
    let response = isv
        .client
        .post(isv.url(&format!("/apps/{appid}/edit")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(see_other(&response), format!("/apps/{appid}"));
    let page = isv.get_html(&format!("/apps/{appid}")).await;
    assert!(page.contains("Shop renamed") && page.contains("https://shop.example/"));

    // A bad edit comes back to the edit form with the typed values.
    let bad = [
        ("name", "Shop renamed again"),
        ("notify_url", "nope"),
        ("return_url", "https://x.example/r"),
    ];
    let response = isv
        .client
        .post(isv.url(&format!("/apps/{appid}/edit")))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(see_other(&response), format!("/apps/{appid}/edit"));
    let edit = isv.get_html(&format!("/apps/{appid}/edit")).await;
    assert!(edit.contains("Enter the notify URL.") || edit.contains("absolute http"));
    assert!(edit.contains(r#"value="Shop renamed again""#));

    assert_eq!(
        see_other(
            &isv.post_form(&format!("/apps/{appid}/status"), &[("enabled", "false")])
                .await
        ),
        format!("/apps/{appid}")
    );
    assert!(
        isv.get_html(&format!("/apps/{appid}"))
            .await
            .contains("badge-disabled")
    );
    see_other(
        &isv.post_form(&format!("/apps/{appid}/status"), &[("enabled", "true")])
            .await,
    );
    assert!(
        isv.get_html(&format!("/apps/{appid}"))
            .await
            .contains("badge-active")
    );

    assert!(
        isv.get_html(&format!("/apps/{appid}/delete"))
            .await
            .contains("is never given to another app")
    );
    assert_eq!(
        see_other(&isv.post_form(&format!("/apps/{appid}/delete"), &[]).await),
        "/apps"
    );
    assert_eq!(
        isv.get(&format!("/apps/{appid}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(!isv.get_html("/apps").await.contains(&appid));
    let status = text_column(&db, &format!("SELECT status FROM apps WHERE appid = '{appid}'")).await;
    assert_eq!(status, "deleted", "the row stays, so the appid is never reused");

    let audit = isv.get_html("/audit").await;
    for action in [
        "app.created",
        "app.edited",
        "app.disabled",
        "app.enabled",
        "app.deleted",
    ] {
        assert!(
            audit.contains(&format!(r#"data-action="{action}""#)),
            "{action} audited"
        );
    }
    assert!(audit.contains("changed: name, description") || audit.contains("changed: name, app_url"));
}

async fn rotation_moves_the_key_to_the_other_slot_with_a_grace_period(backend: Backend) {
    let db = TestDb::new(backend).await;
    let isv = TestApp::signed_up(&db, "dev@example.com", "Acme").await;
    let appid = isv.create_app("Shop").await;
    let first = isv.reveal_key(&appid).await;

    let response = isv.post_form(&format!("/apps/{appid}/rotate"), &[]).await;
    assert_eq!(see_other(&response), format!("/apps/{appid}#credentials"));
    let page = isv.get_html(&format!("/apps/{appid}")).await;
    assert!(page.contains("Key rotated. The previous key keeps verifying until"));
    assert!(page.contains(r#"class="slot slot-grace""#) && page.contains("Still verifies until"));
    assert!(page.contains(r#"class="slot slot-current""#));
    assert!(page.contains("End grace now"));

    let second = isv.reveal_key(&appid).await;
    assert_ne!(first, second, "a new key");
    let index = text_column(
        &db,
        &format!("SELECT CAST(current_key_index AS TEXT) FROM apps WHERE appid = '{appid}'"),
    )
    .await;
    assert_eq!(index, "2");

    see_other(&isv.post_form(&format!("/apps/{appid}/end-grace"), &[]).await);
    let page = isv.get_html(&format!("/apps/{appid}")).await;
    assert!(page.contains(r#"class="slot slot-expired""#) && !page.contains("End grace now"));

    let audit = isv.get_html("/audit").await;
    assert!(audit.contains(r#"data-action="key.rotated""#) && audit.contains("slot 2 is current"));
    assert!(audit.contains(r#"data-action="key.grace_ended""#));
    assert!(
        !audit.contains(&first) && !audit.contains(&second),
        "keys never reach the audit log"
    );
}

async fn the_audit_log_records_actions_newest_first_in_pages(backend: Backend) {
    let db = TestDb::new(backend).await;
    let isv = TestApp::signed_up(&db, "dev@example.com", "Acme").await;
    see_other(&isv.login("dev@example.com", "a wrong password").await);
    see_other(&isv.login("dev@example.com", crate::helpers::PASSWORD).await);
    let appid = isv.create_app("Shop").await;
    for _ in 0..50 {
        see_other(&isv.post_form(&format!("/apps/{appid}/reveal"), &[]).await);
    }
    let first = isv.get_html("/audit").await;
    assert_eq!(first.matches("<tr data-action=").count(), 50);
    assert!(
        !first.contains(r#"data-action="app.created""#),
        "older entries are on the next page"
    );
    let link = first
        .split(r#"href="/audit?before="#)
        .nth(1)
        .expect("a link to older entries");
    let before: String = link.chars().take_while(char::is_ascii_digit).collect();
    let second = isv.get_html(&format!("/audit?before={before}")).await;
    for action in ["app.created", "login.succeeded", "login.failed"] {
        assert!(
            second.contains(&format!(r#"data-action="{action}""#)),
            "{action} on page 2"
        );
    }
    assert!(
        second.contains("dev@example.com") && second.contains("127.0.0.1"),
        "who and from where"
    );
}

async fn the_demo_receiver_answers_success_and_shows_what_it_got(backend: Backend) {
    let db = TestDb::new(backend).await;
    let isv = TestApp::signed_up(&db, "dev@example.com", "Acme").await;
    let appid = isv.create_app("Shop").await;
    let key = isv.reveal_key(&appid).await;
    let signed = |notify_id: &str, attach: &str| {
        sdk::params::Params::from_pairs([
            ("appid", appid.clone()),
            ("notify_id", notify_id.to_owned()),
            ("attach", attach.to_owned()),
        ])
        .unwrap()
        .signed(&key)
        .unwrap()
        .to_query()
    };
    // The receiver is for servers: no Origin, no cookie.
    let bare = reqwest::Client::new();
    let post = |body: String| {
        bare.post(isv.url("/demo/notify"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let response = post(signed("abc", "<script>")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "success");
    // A GET notify_url may have its own parameters; they are not part of the signature.
    let response = bare
        .get(isv.url(&format!("/demo/notify?from=shop&{}", signed("def", "x"))))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "success");
    // Anyone can know an appid: without the app's signature nothing is recorded.
    for forged in [
        format!("appid={appid}&notify_id=forged1"),
        signed("forged2", "x").replace("notify_id=forged2", "notify_id=forged3"),
        format!("appid=0000000000&notify_id=forged4&sign={}", "A".repeat(32)),
    ] {
        let response = post(forged).await.unwrap();
        assert_eq!(response.text().await.unwrap(), "fail");
    }

    let page = isv.get_html(&format!("/apps/{appid}")).await;
    assert!(page.contains("Received by the built-in demo receiver"));
    assert!(page.contains("notify_id=abc") && page.contains("notify_id=def"));
    assert!(!page.contains("forged"), "{page}");
    assert!(!page.contains("<script>"), "escaped");
    let conn = db.connect().await;
    let stored = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM demo_receipts",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.try_get::<i64>("", "n").unwrap(), 2);
}

/// The unique index decides: an appid that is taken (even by a deleted app) is drawn again.
async fn a_colliding_appid_is_drawn_again(backend: Backend) {
    use app::ssr::apps::{AppForm, create_drawing};
    use app::ssr::audit::Actor;
    let db = TestDb::new(backend).await;
    let app = TestApp::signed_up(&db, "collide@example.com", "Collide").await;
    let taken = app.create_app("First").await;
    let conn = db.connect().await;
    let user_id: i64 = conn
        .query_one(Statement::from_string(
            conn.get_database_backend(),
            "SELECT id FROM users WHERE email = 'collide@example.com'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "id")
        .unwrap();
    let user = app::ssr::auth::load_user(&conn, user_id).await.unwrap().unwrap();
    let master = app::ssr::keys::MasterKey::from_bytes([7; 32]);
    let input = AppForm {
        name: "Second".into(),
        notify_url: "https://shop.example/notify".into(),
        return_url: "https://shop.example/return".into(),
        ..AppForm::default()
    }
    .parse()
    .unwrap();
    let mut draws = vec![taken.clone(), taken.clone(), "5550001111".to_owned()].into_iter();
    let mut drawn = 0;
    let created = create_drawing(
        &conn,
        &master,
        Actor {
            user: &user,
            ip: "test",
        },
        input,
        || {
            drawn += 1;
            draws.next().expect("at most three draws")
        },
    )
    .await
    .unwrap();
    assert_eq!(created.appid, "5550001111");
    assert_eq!(drawn, 3, "two collisions, then a free appid");
    let apps = text_column(&db, "SELECT COUNT(*) || '' AS value FROM apps").await;
    assert_eq!(apps, "2", "the taken appid still belongs to the first app only");
}

/// `PORTAL_KEY_GRACE` sets how long a rotated-out key keeps verifying.
async fn the_grace_period_is_configurable(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app =
        crate::helpers::spawn_app_configured(&db, Default::default(), &[("PORTAL_KEY_GRACE", "90m")]).await;
    assert_eq!(
        crate::helpers::see_other(
            &app.signup("grace@example.com", crate::helpers::PASSWORD, "Grace")
                .await
        ),
        "/apps"
    );
    let appid = app.create_app("Grace shop").await;
    let before = app::ssr::now_ms();
    app.post_form(&format!("/apps/{appid}/rotate"), &[]).await;
    let after = app::ssr::now_ms();
    let expires: i64 = text_column(
        &db,
        &format!("SELECT previous_key_expires_at || '' AS value FROM apps WHERE appid = '{appid}'"),
    )
    .await
    .parse()
    .unwrap();
    let grace = 90 * 60 * 1000;
    assert!(
        (before + grace..=after + grace).contains(&expires),
        "expires {expires}, rotated between {before} and {after}"
    );
}

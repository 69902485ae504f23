//! The built-in inbox: each app's `/inbox/<token>` records what arrives, answers
//! what the ISV chose (and the dispatcher reacts to it), and only its ISV sees it.

use std::time::Duration;

use reqwest::StatusCode;

use crate::console::json;
use crate::gateway::Merchant;
use crate::helpers::{Backend, TestDb, db_tests, see_other};

async fn inbox(merchant: &Merchant, appid: &str) -> (StatusCode, serde_json::Value) {
    json(merchant, "list_inbox", &[("appid", appid)]).await
}

/// The app's inbox URL, from the server function.
async fn inbox_url(merchant: &Merchant) -> String {
    let (status, page) = inbox(merchant, "").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let url = page["inboxes"][0]["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&merchant.app.url("/inbox/")), "{url}");
    url
}

/// Waits until the inbox holds `want` messages; returns them, newest first.
async fn wait_messages(merchant: &Merchant, want: usize) -> Vec<serde_json::Value> {
    let mut rows = Vec::new();
    for _ in 0..200 {
        rows = inbox(merchant, "").await.1["rows"].as_array().unwrap().clone();
        if rows.len() >= want {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("wanted {want} inbox messages, have {}", rows.len());
}

/// A test payment to `notify_url`, straight to paid; returns its notify_id.
async fn pay_to(merchant: &Merchant, notify_url: &str) -> String {
    let response = merchant
        .app
        .post_form(
            "/test-payments",
            &[
                ("appid", merchant.appid.as_str()),
                ("amount", "0.01"),
                ("body", "Inbox test"),
                ("scenario", "normal"),
                ("notify_url", notify_url),
                ("mode", "direct"),
            ],
        )
        .await;
    assert!(see_other(&response).starts_with("/transactions/"));
    let (_, page) = json(merchant, "list_notifications", &[("status", "")]).await;
    page["rows"][0]["notify_id"].as_str().unwrap().to_owned()
}

async fn first_attempt(merchant: &Merchant, notify_id: &str) -> serde_json::Value {
    for _ in 0..200 {
        let (_, view) = json(merchant, "get_notification", &[("notify_id", notify_id)]).await;
        if let Some(attempt) = view["attempt_log"].as_array().and_then(|log| log.first()) {
            return attempt.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no attempt for {notify_id}");
}

db_tests!(
    the_inbox_records_notifications_and_answers_as_chosen,
    another_isv_cannot_see_or_change_an_inbox,
);

async fn the_inbox_records_notifications_and_answers_as_chosen(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "inbox@example.com").await;
    let url = inbox_url(&merchant).await;
    assert_eq!(url, inbox_url(&merchant).await, "one inbox per app, kept");

    // Answer success: delivered, and the message is recorded with a valid signature.
    let notify_id = pay_to(&merchant, &url).await;
    let rows = wait_messages(&merchant, 1).await;
    assert_eq!(rows[0]["notify_id"], notify_id.as_str());
    assert_eq!(rows[0]["verdict"], "valid");
    assert_eq!(rows[0]["answer"], "success");
    assert_eq!(rows[0]["appid"], merchant.appid.as_str());
    assert_eq!(first_attempt(&merchant, &notify_id).await["outcome"], "delivered");

    // Answer fail, then HTML: each attempt fails with its hint.
    for (answer, hint) in [("fail", "not success"), ("html", "inside HTML")] {
        let response = merchant
            .app
            .post_form(&format!("/apps/{}/inbox", merchant.appid), &[("answer", answer)])
            .await;
        assert_eq!(see_other(&response), "/inbox");
        let count = wait_messages(&merchant, 0).await.len();
        let notify_id = pay_to(&merchant, &url).await;
        let rows = wait_messages(&merchant, count + 1).await;
        assert_eq!(rows[0]["answer"], answer);
        let attempt = first_attempt(&merchant, &notify_id).await;
        assert_eq!(attempt["outcome"], "failed", "{answer}");
        assert!(
            attempt["hint"].as_str().unwrap().contains(hint),
            "{answer}: {attempt}"
        );
    }
    let response = merchant
        .app
        .post_form(&format!("/apps/{}/inbox", merchant.appid), &[("answer", "maybe")])
        .await;
    assert_eq!(see_other(&response), "/inbox");
    let page = merchant.app.get_html("/inbox").await;
    assert!(
        page.contains("the answer must be success, fail or html"),
        "{page}"
    );
    let (_, listed) = inbox(&merchant, "").await;
    assert_eq!(
        listed["inboxes"][0]["answer"], "html",
        "a refused answer changes nothing"
    );

    // Anything may arrive: unsigned and hostile text is stored and shown escaped.
    let client = reqwest::Client::new();
    let answer = client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("note=<script>alert(1)</script>")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(
        answer.text().await.unwrap().contains("<p>success</p>"),
        "html answer"
    );
    let rows = wait_messages(&merchant, 4).await;
    assert_eq!(rows[0]["verdict"], "unsigned");
    let page = merchant.app.get_html("/inbox").await;
    assert!(
        page.contains("note=&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains(&url), "the inbox URL is shown");

    // A tampered notification is recorded as invalid.
    let tampered = client
        .get(format!("{url}?appid={}&total_fee=1&sign=00", merchant.appid))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), StatusCode::OK);
    assert_eq!(wait_messages(&merchant, 5).await[0]["verdict"], "invalid");

    // An unknown token is not an inbox.
    let unknown = client
        .get(merchant.app.url("/inbox/nosuchtoken"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

async fn another_isv_cannot_see_or_change_an_inbox(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = Merchant::new(&db, "inbox-owner@example.com").await;
    let url = inbox_url(&a).await;
    pay_to(&a, &url).await;
    wait_messages(&a, 1).await;

    let b = Merchant::new(&db, "inbox-stranger@example.com").await;
    let (status, _) = inbox(&b, &a.appid).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "A's app as a filter");
    let (status, theirs) = inbox(&b, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(theirs["rows"].as_array().unwrap().is_empty(), "{theirs}");
    let inboxes = theirs["inboxes"].as_array().unwrap();
    assert_eq!(inboxes.len(), 1);
    assert_ne!(inboxes[0]["url"], url.as_str());
    let response = b
        .app
        .post_form(&format!("/apps/{}/inbox", a.appid), &[("answer", "fail")])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let page = b.app.get_html("/inbox").await;
    assert!(!page.contains(&url));
    let (_, mine) = inbox(&a, "").await;
    assert_eq!(mine["inboxes"][0]["answer"], "success", "unchanged");
}

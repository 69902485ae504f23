//! Tenant isolation: ISV B gets the same 404 for ISV A's app as for an appid that
//! does not exist, on every page, action and server function, and changes nothing.

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, TestDb, app_form, db_tests};

db_tests!(another_isv_can_neither_see_nor_change_an_app);

fn main_of(html: &str) -> String {
    html.split_once("<main")
        .and_then(|(_, rest)| rest.split_once("</main>"))
        .map(|(main, _)| main.to_owned())
        .unwrap_or_default()
}

async fn another_isv_can_neither_see_nor_change_an_app(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = TestApp::signed_up(&db, "a@example.com", "ISV A").await;
    let appid = a.create_app("A's shop").await;
    let key = a.reveal_key(&appid).await;
    let b = TestApp::signed_up(&db, "b@example.com", "ISV B").await;
    let missing = if appid == "1234567890" {
        "1234567891"
    } else {
        "1234567890"
    };

    for suffix in ["", "/edit", "/delete"] {
        let theirs = b.get(&format!("/apps/{appid}{suffix}")).await;
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND, "GET /apps/A{suffix}");
        let theirs = main_of(&theirs.text().await.unwrap()).replace(&appid, "APPID");
        let nobody = b.get(&format!("/apps/{missing}{suffix}")).await;
        assert_eq!(nobody.status(), StatusCode::NOT_FOUND);
        let nobody = main_of(&nobody.text().await.unwrap()).replace(missing, "APPID");
        assert_eq!(theirs, nobody, "a foreign app looks exactly like a missing one");
        assert!(!theirs.contains("A's shop"));
    }

    let form = app_form("Hijacked");
    for action in [
        "reveal",
        "rotate",
        "end-grace",
        "delete",
        "status",
        "edit",
        "share-login",
        "inbox",
    ] {
        let send = |appid: &str| {
            let request = b.client.post(b.url(&format!("/apps/{appid}/{action}")));
            match action {
                "edit" => request.form(&form),
                "status" => request.form(&[("enabled", "false")]),
                "inbox" => request.form(&[("answer", "fail")]),
                _ => request.form(&[("x", "")]),
            }
            .send()
        };
        let theirs = send(&appid).await.unwrap();
        let nobody = send("9999999999").await.unwrap();
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND, "POST /apps/A/{action}");
        assert_eq!(
            nobody.status(),
            StatusCode::NOT_FOUND,
            "POST /apps/missing/{action}"
        );
        assert_eq!(
            theirs.text().await.unwrap(),
            nobody.text().await.unwrap(),
            "POST /apps/A/{action} answers like a missing app"
        );
    }

    for function in ["get_app"] {
        let response = b
            .post_form(&format!("/api/{function}"), &[("appid", appid.as_str())])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "server function {function}"
        );
        assert!(!response.text().await.unwrap().contains("A's shop"));
    }
    assert!(!b.get_html("/apps").await.contains(&appid));
    let audit_b = b.get_html("/audit").await;
    assert!(!audit_b.contains(&appid) && !audit_b.contains("a@example.com"));
    let list = b.post_form("/api/list_apps", &[]).await;
    assert_eq!(list.status(), StatusCode::OK, "the server function answers");
    let list = list.text().await.unwrap();
    assert!(list.starts_with('['), "a JSON list: {list}");
    assert!(!list.contains(&appid));

    // Nothing changed for A: same key, same name, active, no entries by B.
    assert_eq!(a.reveal_key(&appid).await, key);
    let page = a.get_html(&format!("/apps/{appid}")).await;
    assert!(page.contains("A&#x27;s shop") || page.contains("A's shop"));
    assert!(page.contains("badge-active"));
    assert!(!a.get_html("/audit").await.contains("b@example.com"));
}

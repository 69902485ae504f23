//! The gateway protocol driven through the SDK: pay, cashier, return, notify,
//! the XML queries, every retcode, tampering, GBK, oversized input, concurrency,
//! key rotation and share-login.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use sdk::params::Params;
use sdk::pay::{PayRequest, PayResponse, TradeState};
use sdk::query::{NotifyQueryRequest, OrderQueryRequest};
use sdk::share_login::ShareLoginState;
use sdk::sign::Charset;
use sea_orm::ConnectionTrait;

use crate::helpers::{Backend, TestApp, TestDb, db_tests, see_other, spawn_app_configured};

/// How a test receiver answers.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// This status and body.
    Answer(u16, &'static str),
    /// A 302 to another URL.
    Redirect,
    /// Never answers.
    Hang,
    /// Waits, then answers `success`.
    Slow(Duration),
}

/// A merchant's notify endpoint on loopback: records what it gets and answers per its behaviour.
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<(String, String)>>>,
    behaviour: Arc<Mutex<Behaviour>>,
    /// The User-Agent of each request.
    pub agents: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    pub async fn start(answer: &'static str) -> Self {
        Self::start_with(Behaviour::Answer(200, answer)).await
    }

    pub async fn start_with(behaviour: Behaviour) -> Self {
        use axum::extract::{RawQuery, State};
        use axum::http::{Method, StatusCode as Status};
        use axum::response::{IntoResponse, Response};
        type Shared = (
            Arc<Mutex<Vec<(String, String)>>>,
            Arc<Mutex<Behaviour>>,
            Arc<Mutex<Vec<String>>>,
        );
        async fn receive(
            State((got, behaviour, agents)): State<Shared>,
            method: Method,
            headers: axum::http::HeaderMap,
            RawQuery(query): RawQuery,
            body: String,
        ) -> Response {
            let agent = headers
                .get("user-agent")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            agents.lock().unwrap().push(agent);
            let params = if method == Method::POST {
                body
            } else {
                query.unwrap_or_default()
            };
            got.lock().unwrap().push((method.to_string(), params));
            let behaviour = *behaviour.lock().unwrap();
            match behaviour {
                Behaviour::Answer(status, body) => (Status::from_u16(status).unwrap(), body).into_response(),
                Behaviour::Redirect => {
                    (Status::FOUND, [("location", "http://127.0.0.1:9/elsewhere")]).into_response()
                }
                Behaviour::Hang => std::future::pending().await,
                Behaviour::Slow(delay) => {
                    tokio::time::sleep(delay).await;
                    "success".into_response()
                }
            }
        }
        let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let agents: Arc<Mutex<Vec<String>>> = Arc::default();
        let behaviour = Arc::new(Mutex::new(behaviour));
        let router = axum::Router::new()
            .route("/notify", axum::routing::any(receive))
            .with_state((got.clone(), behaviour.clone(), agents.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url: format!("http://{addr}/notify"),
            got,
            behaviour,
            agents,
        }
    }

    /// Changes how it answers from now on.
    pub fn set(&self, behaviour: Behaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    /// How many requests it got.
    pub fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// Waits up to 10 s for the `n`th notification.
    pub async fn wait_for(&self, n: usize) -> (String, String) {
        for _ in 0..200 {
            if let Some(got) = self.got.lock().unwrap().get(n - 1) {
                return got.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("notification {n} did not arrive");
    }
}

/// An ISV with one app, its key, and a test client.
pub struct Merchant {
    pub app: TestApp,
    pub appid: String,
    pub key: String,
    pub base: String,
}

impl Merchant {
    pub async fn new(db: &TestDb, email: &str) -> Self {
        Self::with(db, email, &[]).await
    }

    pub async fn with(db: &TestDb, email: &str, extra: &[(&str, &str)]) -> Self {
        let app = spawn_app_configured(db, Arc::default(), extra).await;
        Self::signed_up(app, email).await
    }

    /// Signs up on a running server and creates an app.
    pub async fn signed_up(app: TestApp, email: &str) -> Self {
        assert_eq!(
            see_other(&app.signup(email, crate::helpers::PASSWORD, "Shop").await),
            "/apps"
        );
        let appid = app.create_app("Tea shop").await;
        let key = app.reveal_key(&appid).await;
        let base = app.url("");
        Self {
            app,
            appid,
            key,
            base,
        }
    }

    pub fn pay(&self, out_trade_no: &str, notify_url: &str) -> PayRequest {
        PayRequest::new(&self.appid, &self.key)
            .out_trade_no(out_trade_no)
            .total_fee(1234)
            .body("Green tea <b>&</b>")
            .attach("cart=7")
            .notify_url(notify_url)
            .return_url("https://shop.example/return")
            .spbill_create_ip("127.0.0.1")
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.app.client.get(url).send().await.expect("GET")
    }

    /// Opens a pay URL and returns the cashier's (transaction_id, token).
    pub async fn open_cashier(&self, url: &str) -> (String, String) {
        let response = self.get(url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let html = response.text().await.unwrap();
        (hidden(&html, "transaction_id"), hidden(&html, "token"))
    }

    pub async fn cashier(&self, transaction_id: &str, token: &str, action: &str) -> reqwest::Response {
        self.app
            .client
            .post(self.app.url("/gateway/cashier"))
            .form(&[
                ("transaction_id", transaction_id),
                ("token", token),
                ("action", action),
                ("buyer_id", "sandbox_buyer_10001"),
            ])
            .send()
            .await
            .expect("POST cashier")
    }

    async fn xml(&self, url: &str) -> String {
        let response = self.get(url).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "text/xml; charset=UTF-8",
            "XML content type"
        );
        response.text().await.unwrap()
    }

    async fn order_query(&self, request: OrderQueryRequest) -> sdk::query::OrderQueryResponse {
        let xml = self.xml(&request.url(&self.base).unwrap()).await;
        request.parse_response(xml).expect("a verified answer")
    }
}

/// The value of a hidden input on a page.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// The retcode shown on an HTML error page.
fn page_retcode(html: &str) -> u32 {
    let marker = "id=\"retcode\">";
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no retcode in {html}"))
        + marker.len();
    html[start..start + 8].parse().unwrap()
}

fn xml_retcode(xml: &str) -> u32 {
    let start = xml.find("<retcode>").expect("retcode") + 9;
    xml[start..start + xml[start..].find('<').unwrap()]
        .parse()
        .unwrap()
}

fn query_of(location: &str) -> &str {
    location.split_once('?').expect("a query string").1
}

db_tests!(
    a_payment_flows_from_pay_url_to_return_notify_and_queries,
    every_retcode_is_reachable,
    tampered_requests_and_results_are_refused,
    gbk_requests_round_trip,
    oversized_and_hostile_input_get_clean_answers,
    concurrent_pays_of_one_out_trade_no_make_one_order,
    a_rotated_out_key_verifies_only_during_its_grace,
    failure_and_cancel_follow_the_state_rules,
    share_login_opens_the_app_with_a_signed_user,
    one_isv_cannot_query_another_isvs_orders,
    private_targets_are_refused_when_blocking_is_on,
    an_order_query_closes_an_expired_unpaid_order,
    parameters_go_before_a_urls_fragment,
    orders_close_after_two_hours_and_paid_ones_stay_shown,
    notify_ids_name_their_order_and_expire,
    a_batch_of_new_orders_answers_each_row,
    a_batch_of_lookups_finds_each_order_in_its_own_app,
);

/// A merchant on a server whose clock the test moves, starting at `start_ms`.
async fn merchant_on_a_manual_clock(
    db: &TestDb,
    email: &str,
    start_ms: i64,
) -> (Merchant, Arc<app::ssr::clock::ManualClock>) {
    let clock = Arc::new(app::ssr::clock::ManualClock::new(start_ms));
    let app = crate::helpers::spawn_app_with_clock(db, Arc::default(), &[], clock.clone()).await;
    (Merchant::signed_up(app, email).await, clock)
}

/// Orders `out_trade_no` and pays it a minute later through the cashier; its
/// transaction_id and notify_id.
async fn paid(
    merchant: &Merchant,
    clock: &app::ssr::clock::ManualClock,
    out_trade_no: &str,
) -> (String, String) {
    let url = merchant
        .pay(out_trade_no, "http://127.0.0.1:9/notify")
        .url(&merchant.base)
        .unwrap();
    let (transaction_id, token) = merchant.open_cashier(&url).await;
    clock.advance(60_000);
    let paid = merchant.cashier(&transaction_id, &token, "pay").await;
    assert_eq!(paid.status(), StatusCode::FOUND);
    let location = paid.headers()[LOCATION].to_str().unwrap().to_owned();
    let result = PayResponse::parse(query_of(&location), &merchant.key).expect("signed return");
    (transaction_id, result.notify_id().expect("notify_id").to_owned())
}

/// The retcode of a notify query of `notify_id` by `merchant`'s app.
async fn notify_retcode(merchant: &Merchant, notify_id: &str) -> u32 {
    let request = NotifyQueryRequest::new(&merchant.appid, &merchant.key, notify_id);
    xml_retcode(&merchant.xml(&request.url(&merchant.base).unwrap()).await)
}

async fn notify_ids_name_their_order_and_expire(backend: Backend) {
    use app::ssr::clock::Clock as _;
    let db = TestDb::new(backend).await;
    let start_ms = 1_800_000_000_000;
    let (merchant, clock) = merchant_on_a_manual_clock(&db, "notify-ids@example.com", start_ms).await;

    // A notify_id is 32 random characters, then the order id: the transaction_id's serial.
    let (transaction_id, notify_id) = paid(&merchant, &clock, "named-1").await;
    assert_eq!(notify_id.len(), 42, "{notify_id}");
    assert_eq!(notify_id[32..], transaction_id[18..]);
    assert_eq!(notify_retcode(&merchant, &notify_id).await, 0);
    // A test payment (written in a batch) gets one of the same shape.
    let test_id = crate::dispatch::test_payment(&merchant, "normal", "http://127.0.0.1:9/notify").await;
    assert_eq!(test_id.len(), 42, "{test_id}");
    assert_ne!(test_id[32..], notify_id[32..]);
    let request = NotifyQueryRequest::new(&merchant.appid, &merchant.key, &test_id);
    let answer = request
        .parse_response(merchant.xml(&request.url(&merchant.base).unwrap()).await)
        .expect("a verified answer");
    assert!(answer.is_pay_successful());
    assert_eq!(answer.get("notify_id"), Some(test_id.as_str()));

    // The right order with another random part, or another order's id, is not valid.
    let mut forged = notify_id.clone();
    forged.replace_range(0..1, if notify_id.starts_with('A') { "B" } else { "A" });
    assert_eq!(notify_retcode(&merchant, &forged).await, 88_222_005);
    let other_order = format!("{}{}", &notify_id[..32], &test_id[32..]);
    assert_eq!(notify_retcode(&merchant, &other_order).await, 88_222_005);
    // An unpaid order has no notify_id to match.
    let url = merchant
        .pay("unpaid-1", "http://127.0.0.1:9/notify")
        .url(&merchant.base)
        .unwrap();
    let (unpaid, _) = merchant.open_cashier(&url).await;
    let unpaid_id = format!("{}{}", &notify_id[..32], &unpaid[18..]);
    assert_eq!(notify_retcode(&merchant, &unpaid_id).await, 88_222_005);
    // Another ISV's app cannot use it.
    let other = Merchant::new(&db, "other-isv@example.com").await;
    assert_eq!(notify_retcode(&other, &notify_id).await, 88_222_005);

    // A notify_id made before they named their order (40 characters) is found through
    // the notify_id index; the backfill of migration 10 copies it to its order.
    let (_, legacy_of) = paid(&merchant, &clock, "legacy-1").await;
    let legacy = "L".repeat(40);
    let conn = db.connect().await;
    conn.execute_unprepared(&format!(
        "UPDATE notifications SET notify_id = '{legacy}' WHERE notify_id = '{legacy_of}'"
    ))
    .await
    .unwrap();
    conn.execute_unprepared("UPDATE orders SET notify_id = NULL, notified_at = NULL")
        .await
        .unwrap();
    assert_eq!(notify_retcode(&merchant, &legacy).await, 0);
    assert_eq!(
        notify_retcode(&merchant, &notify_id).await,
        88_222_005,
        "not copied yet"
    );
    {
        use migration::{Migrator, MigratorTrait};
        // Back to before migration 10 (11 comes after it), then forward again.
        Migrator::down(&conn, Some(2)).await.unwrap();
        Migrator::up(&conn, None).await.unwrap();
    }
    let copied = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM orders o JOIN notifications n ON n.order_id = o.id \
             WHERE o.notify_id = n.notify_id AND o.notified_at = n.created_at",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(copied, 3, "every settled order has its notify_id back");
    assert_eq!(notify_retcode(&merchant, &notify_id).await, 0);
    assert_eq!(notify_retcode(&merchant, &legacy).await, 0);
    assert_eq!(notify_retcode(&merchant, &legacy_of).await, 88_222_005);
    // A start that stopped during the backfill runs the migration again: the columns
    // are there already, and the copy is made.
    conn.execute_unprepared("UPDATE orders SET notify_id = NULL, notified_at = NULL")
        .await
        .unwrap();
    conn.execute_unprepared("DELETE FROM seaql_migrations WHERE version LIKE '%000010%'")
        .await
        .unwrap();
    {
        use migration::{Migrator, MigratorTrait};
        Migrator::up(&conn, None).await.unwrap();
    }
    assert_eq!(notify_retcode(&merchant, &notify_id).await, 0);

    // Valid for 7 days (PORTAL_NOTIFY_ID_TTL) from the payment, not from the order, then
    // 88222005; the order stays queryable. named-1 was paid at start + 1 min, the test
    // payment then too, legacy-1 at start + 2 min.
    clock.advance(start_ms + 60_000 + 7 * 86_400_000 - clock.now_ms());
    assert_eq!(notify_retcode(&merchant, &notify_id).await, 0);
    clock.advance(1);
    for id in [&notify_id, &test_id] {
        assert_eq!(notify_retcode(&merchant, id).await, 88_222_005, "{id}");
    }
    assert_eq!(notify_retcode(&merchant, &legacy).await, 0);
    clock.advance(60_000);
    assert_eq!(notify_retcode(&merchant, &legacy).await, 88_222_005);
    let by_id = OrderQueryRequest::new(&merchant.appid, &merchant.key).transaction_id(&transaction_id);
    assert!(merchant.order_query(by_id).await.is_pay_successful());
}

async fn an_order_query_closes_an_expired_unpaid_order(backend: Backend) {
    let db = TestDb::new(backend).await;
    let start_ms = 1_800_000_000_000;
    let (merchant, clock) = merchant_on_a_manual_clock(&db, "expiry@example.com", start_ms).await;
    let expires = time::OffsetDateTime::from_unix_timestamp(start_ms / 1000 + 600).unwrap();
    let url = merchant
        .pay("expiring-1", "http://127.0.0.1:9/notify")
        .time_expire(expires)
        .url(&merchant.base)
        .unwrap();
    let (transaction_id, _) = merchant.open_cashier(&url).await;
    let by_id = || OrderQueryRequest::new(&merchant.appid, &merchant.key).transaction_id(&transaction_id);
    let by_no = || OrderQueryRequest::new(&merchant.appid, &merchant.key).out_trade_no("expiring-1");
    for _ in 0..2 {
        assert_eq!(
            merchant.order_query(by_id()).await.trade_state(),
            Some(TradeState::Created)
        );
    }
    clock.advance(600_000);
    let closed = merchant.order_query(by_id()).await;
    assert_eq!(closed.trade_state(), Some(TradeState::Closed));
    assert_eq!(closed.get("pay_info"), Some("closed: the order expired unpaid"));
    // The close was stored: the next query, by the other key, reads it back.
    let again = merchant.order_query(by_no()).await;
    assert_eq!(again.trade_state(), Some(TradeState::Closed));
    assert_eq!(again.transaction_id(), Some(transaction_id.as_str()));
}

async fn orders_close_after_two_hours_and_paid_ones_stay_shown(backend: Backend) {
    let db = TestDb::new(backend).await;
    let start_ms = 1_800_000_000_000;
    let (merchant, clock) = merchant_on_a_manual_clock(&db, "lifetime@example.com", start_ms).await;
    let at = |ms: i64| time::OffsetDateTime::from_unix_timestamp(ms / 1000).unwrap();
    // A day's time_expire does not keep an unpaid order open past 2 h (SPEC §6.1).
    let late = merchant
        .pay("late-1", "http://127.0.0.1:9/notify")
        .time_expire(at(start_ms + 24 * 3600 * 1000))
        .url(&merchant.base)
        .unwrap();
    let (transaction_id, token) = merchant.open_cashier(&late).await;
    // Paid in time: an order whose time_expire is 10 minutes away.
    let soon = merchant
        .pay("soon-1", "http://127.0.0.1:9/notify")
        .time_expire(at(start_ms + 600_000))
        .url(&merchant.base)
        .unwrap();
    let (soon_id, soon_token) = merchant.open_cashier(&soon).await;
    assert_eq!(
        merchant.cashier(&soon_id, &soon_token, "pay").await.status(),
        StatusCode::FOUND
    );

    // An order stored before the limit, its expires_at 24 h out, gets it from the migration.
    {
        use migration::{Migrator, MigratorTrait};
        let conn = db.connect().await;
        conn.execute_unprepared(
            "UPDATE orders SET expires_at = created_at + 86400000 WHERE out_trade_no = 'late-1'",
        )
        .await
        .unwrap();
        conn.execute_unprepared("DELETE FROM seaql_migrations WHERE version LIKE '%000009%'")
            .await
            .unwrap();
        Migrator::up(&conn, None).await.unwrap();
    }
    clock.advance(2 * 3600 * 1000 - 1000);
    let query = || OrderQueryRequest::new(&merchant.appid, &merchant.key).transaction_id(&transaction_id);
    assert_eq!(
        merchant.order_query(query()).await.trade_state(),
        Some(TradeState::Created)
    );
    clock.advance(1000);
    assert_eq!(
        merchant.order_query(query()).await.trade_state(),
        Some(TradeState::Closed)
    );
    let reopened = merchant.get(&late).await;
    assert_eq!(reopened.status(), StatusCode::GONE);
    assert_eq!(page_retcode(&reopened.text().await.unwrap()), 88000011);
    let refused = merchant.cashier(&transaction_id, &token, "pay").await;
    assert_eq!(refused.status(), StatusCode::GONE);

    // Past its time_expire, the paid order's pay URL still shows that it is paid.
    let again = merchant.get(&soon).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(again.text().await.unwrap().contains("Already paid"));
    // A new order with a past time_expire is not created.
    let expired = merchant
        .pay("never-1", "http://127.0.0.1:9/notify")
        .time_expire(at(start_ms))
        .url(&merchant.base)
        .unwrap();
    let response = merchant.get(&expired).await;
    assert_eq!(response.status(), StatusCode::GONE);
    let never = OrderQueryRequest::new(&merchant.appid, &merchant.key).out_trade_no("never-1");
    let xml = merchant.xml(&never.url(&merchant.base).unwrap()).await;
    assert_eq!(xml_retcode(&xml), 88221009);
}

async fn a_payment_flows_from_pay_url_to_return_notify_and_queries(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "flow@example.com").await;
    let receiver = Receiver::start("success").await;
    let url = merchant
        .pay("order-1", &receiver.url)
        .url(&merchant.base)
        .unwrap();

    let response = merchant.get(&url).await;
    assert_eq!(response.status(), StatusCode::OK);
    // No other site can frame the cashier and have its Pay button clicked.
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("¥12.34"), "{html}");
    assert!(
        html.contains("Green tea &lt;b&gt;&amp;&lt;/b&gt;"),
        "body is escaped: {html}"
    );
    assert!(html.contains("Simulate failure") && html.contains("Cancel and return"));
    let (transaction_id, token) = (hidden(&html, "transaction_id"), hidden(&html, "token"));
    assert_eq!(transaction_id.len(), 28);
    assert!(transaction_id.starts_with(&merchant.appid));

    // The same request again is the same order and the same cashier.
    assert_eq!(
        merchant.open_cashier(&url).await,
        (transaction_id.clone(), token.clone())
    );

    let paid = merchant.cashier(&transaction_id, &token, "pay").await;
    assert_eq!(paid.status(), StatusCode::FOUND);
    let location = paid.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with("https://shop.example/return?"), "{location}");
    let result = PayResponse::parse(query_of(&location), &merchant.key).expect("signed return");
    assert!(result.is_pay_successful());
    assert_eq!(result.total_fee(), 1234);
    assert_eq!(result.transaction_id(), Some(transaction_id.as_str()));
    assert_eq!(result.attach(), Some("cart=7"));
    assert_eq!(result.get("buyer_id"), Some("sandbox_buyer_10001"));
    let notify_id = result.notify_id().expect("notify_id").to_owned();

    // The app's notify method is POST: a signed form arrives at the receiver.
    let (method, body) = receiver.wait_for(1).await;
    assert_eq!(method, "POST");
    let notified = PayResponse::parse(&body, &merchant.key).expect("signed notification");
    assert_eq!(notified.notify_id(), Some(notify_id.as_str()));
    assert_eq!(notified.trade_state(), TradeState::Paid);

    // Notify query and order query (by out_trade_no and by transaction_id) agree.
    let client = sdk::client::Client::new(merchant.base.clone()).unwrap();
    let confirmed = client
        .notify_query(&NotifyQueryRequest::new(
            &merchant.appid,
            &merchant.key,
            &notify_id,
        ))
        .await
        .expect("notify query");
    assert!(confirmed.is_pay_successful());
    assert_eq!(confirmed.get("notify_id"), Some(notify_id.as_str()));
    let by_no = merchant
        .order_query(OrderQueryRequest::new(&merchant.appid, &merchant.key).out_trade_no("order-1"))
        .await;
    assert!(by_no.is_pay_successful());
    assert_eq!(by_no.get("is_refund"), Some("false"));
    let by_id = client
        .order_query(&OrderQueryRequest::new(&merchant.appid, &merchant.key).transaction_id(&transaction_id))
        .await
        .unwrap();
    assert_eq!(by_id.out_trade_no(), Some("order-1"));

    // The attempt is logged as delivered.
    let conn = db.connect().await;
    let mut delivered = false;
    for _ in 0..100 {
        let row = conn
            .query_one(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                "SELECT status FROM notifications",
            ))
            .await
            .unwrap()
            .unwrap();
        if row.try_get::<String>("", "status").unwrap() == "delivered" {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(delivered, "the notification is marked delivered");
    let attempts = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n, MAX(response_body) AS body, MAX(outcome) AS outcome FROM notification_attempts",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attempts.try_get::<i64>("", "n").unwrap(), 1);
    assert_eq!(attempts.try_get::<String>("", "body").unwrap(), "success");

    // Paying again is refused: the cashier now says it is already paid.
    let again = merchant.get(&url).await.text().await.unwrap();
    assert!(again.contains("Already paid"), "{again}");
    assert!(again.contains("Back to the merchant"));
}

async fn every_retcode_is_reachable(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::with(&db, "codes@example.com", &[("PORTAL_GATEWAY_RATE_LIMIT", "1000")]).await;
    let key = merchant.key.clone();
    let signed = |pairs: Vec<(&str, String)>, key: &str| -> String {
        let params = Params::from_pairs(pairs).unwrap().signed(key).unwrap();
        format!("{}/gateway/pay.htm?{}", merchant.base, params.to_query())
    };
    let valid = |overrides: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&'static str, String)> = vec![
            ("appid", merchant.appid.clone()),
            ("out_trade_no", "codes-1".into()),
            ("total_fee", "100".into()),
            ("body", "tea".into()),
            ("notify_url", "http://127.0.0.1:9/notify".into()),
            ("return_url", "https://shop.example/return".into()),
            ("spbill_create_ip", "127.0.0.1".into()),
        ];
        for (name, value) in overrides {
            match pairs.iter_mut().find(|(k, _)| k == name) {
                Some(pair) => pair.1 = value.to_string(),
                None => pairs.push((name, value.to_string())),
            }
        }
        pairs.retain(|(_, v)| v != "<drop>");
        pairs
    };
    let pay_retcode = |url: String| {
        let client = merchant.app.client.clone();
        async move {
            let response = client.get(url).send().await.unwrap();
            let status = response.status();
            let html = response.text().await.unwrap();
            if status == StatusCode::OK {
                return (status, 0);
            }
            (status, page_retcode(&html))
        }
    };
    // A first order, paid attention to by 88000009 below.
    assert_eq!(pay_retcode(signed(valid(&[]), &key)).await, (StatusCode::OK, 0));
    let cases: Vec<(&str, String, StatusCode, u32)> = vec![
        (
            "missing body",
            signed(valid(&[("body", "<drop>")]), &key),
            StatusCode::BAD_REQUEST,
            88_000_001,
        ),
        (
            "malformed fee",
            signed(valid(&[("total_fee", "abc")]), &key),
            StatusCode::BAD_REQUEST,
            88_000_002,
        ),
        (
            "wrong key",
            signed(valid(&[]), &"0".repeat(32)),
            StatusCode::FORBIDDEN,
            88_000_003,
        ),
        (
            "unknown appid",
            signed(valid(&[("appid", "0000000000")]), &key),
            StatusCode::NOT_FOUND,
            88_000_004,
        ),
        (
            "sign_type",
            signed(valid(&[("sign_type", "RSA")]), &key),
            StatusCode::BAD_REQUEST,
            88_000_006,
        ),
        (
            "charset",
            format!("{}/gateway/pay.htm?input_charset=latin1&appid=1", merchant.base),
            StatusCode::BAD_REQUEST,
            88_000_006,
        ),
        (
            "fee_type",
            signed(valid(&[("fee_type", "2")]), &key),
            StatusCode::BAD_REQUEST,
            88_000_006,
        ),
        (
            "reused out_trade_no",
            signed(valid(&[("total_fee", "101")]), &key),
            StatusCode::CONFLICT,
            88_000_009,
        ),
        (
            "expired",
            signed(
                valid(&[("out_trade_no", "codes-2"), ("time_expire", "20200101000000")]),
                &key,
            ),
            StatusCode::GONE,
            88_000_011,
        ),
    ];
    for (what, url, status, code) in cases {
        assert_eq!(pay_retcode(url).await, (status, code), "{what}");
    }

    // XML: not found, notify_id invalid, and OK.
    let order = OrderQueryRequest::new(&merchant.appid, &key).out_trade_no("nope");
    assert_eq!(
        xml_retcode(&merchant.xml(&order.url(&merchant.base).unwrap()).await),
        88_221_009
    );
    let notify = NotifyQueryRequest::new(&merchant.appid, &key, "x".repeat(40));
    let xml = merchant.xml(&notify.url(&merchant.base).unwrap()).await;
    assert_eq!(xml_retcode(&xml), 88_222_005);
    assert!(!xml.contains("<sign>"), "error answers are not signed: {xml}");
    let ok = OrderQueryRequest::new(&merchant.appid, &key).out_trade_no("codes-1");
    let xml = merchant.xml(&ok.url(&merchant.base).unwrap()).await;
    assert_eq!(xml_retcode(&xml), 0);
    assert!(ok.parse_response(&xml).unwrap().trade_state() == Some(TradeState::Created));

    // Disabled app.
    let response = merchant
        .app
        .post_form(
            &format!("/apps/{}/status", merchant.appid),
            &[("enabled", "false")],
        )
        .await;
    see_other(&response);
    assert_eq!(
        pay_retcode(signed(valid(&[]), &key)).await,
        (StatusCode::FORBIDDEN, 88_000_005)
    );
    assert_eq!(
        xml_retcode(&merchant.xml(&ok.url(&merchant.base).unwrap()).await),
        88_000_005
    );
    merchant
        .app
        .post_form(
            &format!("/apps/{}/status", merchant.appid),
            &[("enabled", "true")],
        )
        .await;

    // System busy: the database fails underneath; details stay in the log.
    let conn = db.connect().await;
    conn.execute_unprepared("DROP TABLE notification_attempts")
        .await
        .unwrap();
    conn.execute_unprepared("DROP TABLE notifications").await.unwrap();
    let xml = merchant.xml(&notify.url(&merchant.base).unwrap()).await;
    assert_eq!(xml_retcode(&xml), 99_999_999, "{xml}");
    assert!(!xml.to_lowercase().contains("table"), "no internals leak: {xml}");

    // Rate limit: a server allowing 3 requests per second per app.
    let limited_db = TestDb::new(backend).await;
    let limited = Merchant::with(
        &limited_db,
        "rate@example.com",
        &[("PORTAL_GATEWAY_RATE_LIMIT", "3")],
    )
    .await;
    let query = OrderQueryRequest::new(&limited.appid, &limited.key).out_trade_no("x");
    let url = query.url(&limited.base).unwrap();
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(xml_retcode(&limited.xml(&url).await));
    }
    assert_eq!(codes[..3], [88_221_009; 3]);
    assert!(codes[3..].contains(&88_000_010), "{codes:?}");
}

async fn tampered_requests_and_results_are_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "tamper@example.com").await;
    let url = merchant
        .pay("t-1", "http://127.0.0.1:9/notify")
        .url(&merchant.base)
        .unwrap();
    // total_fee=1234 → 1 after signing.
    let tampered = url.replace("total_fee=1234", "total_fee=1");
    assert_ne!(tampered, url);
    let response = merchant.get(&tampered).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(page_retcode(&response.text().await.unwrap()), 88_000_003);
    // Lowercase signatures verify; a changed one does not.
    let (start, _) = url.split_once("sign=").unwrap();
    let sign = &url[start.len() + 5..start.len() + 37];
    let lower = url.replace(sign, &sign.to_lowercase());
    assert_eq!(merchant.get(&lower).await.status(), StatusCode::OK);
    let last = if sign.ends_with('0') { '1' } else { '0' };
    let flipped = url.replace(sign, &format!("{}{last}", &sign[..31]));
    assert_ne!(flipped, url);
    assert_eq!(merchant.get(&flipped).await.status(), StatusCode::FORBIDDEN);

    // A result whose amount was changed in transit fails the SDK's check.
    let (transaction_id, token) = merchant.open_cashier(&url).await;
    let paid = merchant.cashier(&transaction_id, &token, "pay").await;
    let location = paid.headers()[LOCATION].to_str().unwrap().to_owned();
    let forged = query_of(&location).replace("total_fee=1234", "total_fee=123400");
    let err = PayResponse::parse(&forged, &merchant.key).unwrap_err();
    assert!(err.is_signature(), "{err}");
    assert!(PayResponse::parse(query_of(&location), &"f".repeat(32)).is_err());
}

async fn gbk_requests_round_trip(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "gbk@example.com").await;
    let receiver = Receiver::start("success").await;
    let request = merchant
        .pay("gbk-1", &receiver.url)
        .body("测试商品")
        .attach("附加")
        .charset(Charset::Gbk);
    let url = request.url(&merchant.base).unwrap();
    assert!(url.contains("%B2%E2%CA%D4"), "GBK percent-encoding: {url}");
    let response = merchant.get(&url).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("测试商品"), "decoded from GBK: {html}");
    let (transaction_id, token) = (hidden(&html, "transaction_id"), hidden(&html, "token"));
    let paid = merchant.cashier(&transaction_id, &token, "pay").await;
    let location = paid.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(location.contains("input_charset=GBK"), "{location}");
    let result = PayResponse::parse(query_of(&location), &merchant.key).unwrap();
    assert_eq!(result.attach(), Some("附加"));
    let (_, body) = receiver.wait_for(1).await;
    assert!(
        body.contains("%B8%BD%BC%D3"),
        "the notification is GBK-encoded: {body}"
    );
    assert_eq!(
        PayResponse::parse(&body, &merchant.key).unwrap().attach(),
        Some("附加")
    );
    // The same string signed as UTF-8 does not pass as GBK.
    let utf8 = url.replace("input_charset=GBK", "input_charset=UTF-8");
    assert_ne!(merchant.get(&utf8).await.status(), StatusCode::OK);
}

async fn oversized_and_hostile_input_get_clean_answers(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "hostile@example.com").await;
    let big = "a".repeat(70 * 1024);
    // The server answers without reading the rest and drops the connection; a pooled
    // client could otherwise reuse that connection for the next request.
    let post = |path: &str, body: String| {
        merchant
            .app
            .client
            .post(merchant.app.url(path))
            .header("connection", "close")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let response = post("/gateway/pay.htm", format!("body={big}")).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // The gateway's own answer, with a retcode, not a bare 413.
    let html = response.text().await.unwrap();
    assert_eq!(page_retcode(&html), 88000002, "{html}");
    assert!(html.contains("over 64 KiB"), "{html}");
    let response = post("/gateway/cashier", format!("token={big}")).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(page_retcode(&response.text().await.unwrap()), 88000002);
    for path in ["/gateway/normalorderquery.xml", "/gateway/verifynotifyid.xml"] {
        let response = post(path, format!("appid={big}")).await.unwrap();
        // SPEC §6: the XML APIs always answer 200, with the retcode.
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/xml; charset=UTF-8");
        assert_eq!(xml_retcode(&response.text().await.unwrap()), 88000002, "{path}");
    }

    let hostile = [
        "appid=1%27%20OR%201=1--&sign=x",
        "appid=%FF%FE&sign=x",
        "%FF=1",
        "appid=<script>alert(1)</script>&sign=x",
        "appid=1234567890&sign=x&sign=y",
        "input_charset=GBK&body=%FF",
        "appid=1234567890&out_trade_no=x&sign=%00",
        "&&&==&",
    ];
    for query in hostile {
        for path in [
            "/gateway/pay.htm",
            "/gateway/normalorderquery.xml",
            "/gateway/verifynotifyid.xml",
        ] {
            let response = merchant.get(&format!("{}{path}?{query}", merchant.base)).await;
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(!status.is_server_error(), "{path}?{query}: {status}");
            assert!(!text.contains("<script>"), "{path}?{query} echoes markup: {text}");
            let code = if path.ends_with(".xml") {
                xml_retcode(&text)
            } else {
                page_retcode(&text)
            };
            assert!(
                (88_000_001..=88_000_006).contains(&code),
                "{path}?{query}: {code}"
            );
        }
    }
}

async fn concurrent_pays_of_one_out_trade_no_make_one_order(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "race@example.com").await;
    let url = merchant
        .pay("race-1", "http://127.0.0.1:9/notify")
        .url(&merchant.base)
        .unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let client = merchant.app.client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let response = client.get(url).send().await.unwrap();
            (
                response.status(),
                hidden(&response.text().await.unwrap(), "transaction_id"),
            )
        }));
    }
    let mut ids = Vec::new();
    for task in tasks {
        let (status, id) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK);
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every request got the same order");
    let conn = db.connect().await;
    let row = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM orders",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);

    // Concurrent "Pay" clicks settle once and queue one notification.
    let (transaction_id, token) = merchant.open_cashier(&url).await;
    let mut clicks = Vec::new();
    for _ in 0..8 {
        let client = merchant.app.client.clone();
        let form = [
            ("transaction_id", transaction_id.clone()),
            ("token", token.clone()),
            ("action", "pay".to_owned()),
            ("buyer_id", "sandbox_buyer_10002".to_owned()),
        ];
        let target = merchant.app.url("/gateway/cashier");
        clicks.push(tokio::spawn(async move {
            client.post(target).form(&form).send().await.unwrap().status()
        }));
    }
    for click in clicks {
        assert_eq!(click.await.unwrap(), StatusCode::FOUND);
    }
    let row = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM notifications",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
}

async fn a_rotated_out_key_verifies_only_during_its_grace(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "rotate@example.com").await;
    let old_key = merchant.key.clone();
    see_other(
        &merchant
            .app
            .post_form(&format!("/apps/{}/rotate", merchant.appid), &[])
            .await,
    );
    let new_key = merchant.app.reveal_key(&merchant.appid).await;
    assert_ne!(old_key, new_key);
    let query = |key: &str, slot: Option<u8>| {
        let mut request = OrderQueryRequest::new(&merchant.appid, key).out_trade_no("none");
        if let Some(slot) = slot {
            request = request.sign_key_index(slot);
        }
        request.url(&merchant.base).unwrap()
    };
    assert_eq!(
        xml_retcode(&merchant.xml(&query(&old_key, None)).await),
        88_221_009
    );
    assert_eq!(
        xml_retcode(&merchant.xml(&query(&old_key, Some(1))).await),
        88_221_009
    );
    assert_eq!(
        xml_retcode(&merchant.xml(&query(&new_key, Some(2))).await),
        88_221_009
    );
    // The right key with the wrong slot does not verify.
    assert_eq!(
        xml_retcode(&merchant.xml(&query(&old_key, Some(2))).await),
        88_000_003
    );
    see_other(
        &merchant
            .app
            .post_form(&format!("/apps/{}/end-grace", merchant.appid), &[])
            .await,
    );
    let xml = merchant.xml(&query(&old_key, None)).await;
    assert_eq!(xml_retcode(&xml), 88_000_003);
    assert_eq!(
        xml_retcode(&merchant.xml(&query(&new_key, None)).await),
        88_221_009
    );

    // Answers are signed with the current key and say which slot.
    let receiver_url = "http://127.0.0.1:9/notify";
    let url = PayRequest::new(&merchant.appid, &new_key)
        .out_trade_no("rot-1")
        .total_fee(5)
        .body("x")
        .notify_url(receiver_url)
        .return_url("https://shop.example/return")
        .spbill_create_ip("::1")
        .url(&merchant.base)
        .unwrap();
    merchant.open_cashier(&url).await;
    let response = merchant
        .order_query(OrderQueryRequest::new(&merchant.appid, &new_key).out_trade_no("rot-1"))
        .await;
    assert_eq!(response.get("sign_key_index"), Some("2"));

    // The gateway caches apps per process. A change made by another server process
    // sharing the database (here: written to the row directly) is seen once the
    // cache entry expires.
    let conn = db.connect().await;
    conn.execute_unprepared(&format!(
        "UPDATE apps SET status = 'disabled' WHERE appid = '{}'",
        merchant.appid
    ))
    .await
    .unwrap();
    tokio::time::sleep(app::ssr::app_cache::TTL + Duration::from_millis(100)).await;
    assert_eq!(
        xml_retcode(&merchant.xml(&query(&new_key, None)).await),
        88_000_005
    );
}

async fn failure_and_cancel_follow_the_state_rules(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "states@example.com").await;
    let receiver = Receiver::start("success").await;

    // Cancel returns unpaid, signed, and leaves the order open.
    let url = merchant.pay("s-1", &receiver.url).url(&merchant.base).unwrap();
    let (transaction_id, token) = merchant.open_cashier(&url).await;
    let cancelled = merchant.cashier(&transaction_id, &token, "cancel").await;
    assert_eq!(cancelled.status(), StatusCode::FOUND);
    let location = cancelled.headers()[LOCATION].to_str().unwrap().to_owned();
    let result = PayResponse::parse(query_of(&location), &merchant.key).unwrap();
    assert_eq!(result.trade_state(), TradeState::Created);
    assert_eq!(result.notify_id(), None);

    // A cross-site form without the token changes nothing.
    let forged = merchant.cashier(&transaction_id, "guessed", "pay").await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // Simulate failure: failed, a failure notification, and failed cannot become paid.
    let failed = merchant.cashier(&transaction_id, &token, "fail").await;
    let location = failed.headers()[LOCATION].to_str().unwrap().to_owned();
    let result = PayResponse::parse(query_of(&location), &merchant.key).unwrap();
    assert_eq!(result.trade_state(), TradeState::Failed);
    assert!(!result.is_pay_successful());
    assert!(result.pay_info().unwrap().contains("simulated"));
    let (_, body) = receiver.wait_for(1).await;
    assert_eq!(
        PayResponse::parse(&body, &merchant.key).unwrap().trade_state(),
        TradeState::Failed
    );
    let pay_after_fail = merchant.cashier(&transaction_id, &token, "pay").await;
    assert_eq!(pay_after_fail.status(), StatusCode::GONE);
    let state = merchant
        .order_query(OrderQueryRequest::new(&merchant.appid, &merchant.key).transaction_id(&transaction_id))
        .await;
    assert_eq!(state.trade_state(), Some(TradeState::Failed));
    let page = merchant.get(&url).await.text().await.unwrap();
    assert!(page.contains("Payment failed"), "{page}");

    // A return_url with non-ASCII text still makes a valid Location, percent-encoded.
    let url = merchant
        .pay("s-2", &receiver.url)
        .return_url("https://shop.example/返回?from=pay")
        .url(&merchant.base)
        .unwrap();
    let (transaction_id, token) = merchant.open_cashier(&url).await;
    let cancelled = merchant.cashier(&transaction_id, &token, "cancel").await;
    assert_eq!(cancelled.status(), StatusCode::FOUND);
    let location = cancelled.headers()[LOCATION].to_str().unwrap().to_owned();
    let prefix = "https://shop.example/%E8%BF%94%E5%9B%9E?from=pay&";
    assert!(location.starts_with(prefix), "{location}");
    PayResponse::parse(&location[prefix.len()..], &merchant.key).expect("signed");
}

async fn share_login_opens_the_app_with_a_signed_user(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "share@example.com").await;
    let path = format!("/apps/{}/share-login", merchant.appid);
    // Without an app_url the portal asks for one.
    let response = merchant.app.post_form(&path, &[]).await;
    assert_eq!(see_other(&response), format!("/apps/{}/edit", merchant.appid));
    let mut form = crate::helpers::app_form("Tea shop");
    form.push(("app_url", "https://shop.example/enter?from=platform".into()));
    let edit: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    see_other(
        &merchant
            .app
            .post_form(&format!("/apps/{}/edit", merchant.appid), &edit)
            .await,
    );

    let response = merchant.app.post_form(&path, &[]).await;
    let location = see_other(&response);
    assert!(
        location.starts_with("https://shop.example/enter?from=platform&"),
        "{location}"
    );
    let query = query_of(&location).trim_start_matches("from=platform&");
    let now = time::OffsetDateTime::now_utc();
    let state = ShareLoginState::verify(query, &merchant.key, now).expect("verified");
    assert_eq!(state.appid(), merchant.appid);
    assert!(state.user_id().starts_with("sandbox_user_"));
    assert!(ShareLoginState::verify(query, &merchant.key, now + time::Duration::minutes(6)).is_err());
    assert!(ShareLoginState::verify(query, &"a".repeat(32), now).is_err());
    let audit = merchant.app.get_html("/audit").await;
    assert!(audit.contains("app.share_login"), "{audit}");

    // The redirect goes to the URL as the url crate writes it, which is always a valid
    // Location header: a non-ASCII app_url, or one with a newline stored before such
    // URLs were refused, would not be one as typed.
    let conn = db.connect().await;
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE apps SET app_url = $1",
        _ => "UPDATE apps SET app_url = ?",
    };
    for (stored, sent) in [
        (
            "https://商店.example/入口",
            "https://xn--czrs0t.example/%E5%85%A5%E5%8F%A3?appid=",
        ),
        ("https://shop.example/a\nb", "https://shop.example/ab?appid="),
    ] {
        conn.execute(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [stored.into()],
        ))
        .await
        .unwrap();
        let response = merchant.app.post_form(&path, &[]).await;
        let location = see_other(&response);
        assert!(location.starts_with(sent), "{location}");
    }
}

async fn parameters_go_before_a_urls_fragment(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "fragment@example.com").await;
    // Notifications by GET, so their parameters travel in the URL too.
    let mut form = crate::helpers::app_form("Tea shop");
    form.retain(|(name, _)| *name != "notify_method");
    form.push(("notify_method", "GET".into()));
    form.push(("app_url", "https://shop.example/enter#/welcome".into()));
    let edit: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    see_other(
        &merchant
            .app
            .post_form(&format!("/apps/{}/edit", merchant.appid), &edit)
            .await,
    );
    let receiver = Receiver::start("success").await;
    let url = merchant
        .pay("fragment-1", &format!("{}#ignored", receiver.url))
        .return_url("https://shop.example/return#/paid")
        .url(&merchant.base)
        .unwrap();
    let (transaction_id, token) = merchant.open_cashier(&url).await;
    let paid = merchant.cashier(&transaction_id, &token, "pay").await;
    let location = paid.headers()[LOCATION].to_str().unwrap().to_owned();
    let query = location
        .strip_prefix("https://shop.example/return?")
        .and_then(|rest| rest.strip_suffix("#/paid"))
        .unwrap_or_else(|| panic!("the parameters sit before the fragment: {location}"));
    assert!(
        PayResponse::parse(query, &merchant.key)
            .unwrap()
            .is_pay_successful()
    );

    // An HTTP client drops the fragment; the parameters before it still arrive.
    let (method, got) = receiver.wait_for(1).await;
    assert_eq!(method, "GET");
    let notified = PayResponse::parse(&got, &merchant.key).expect("a signed notification");
    assert_eq!(notified.transaction_id(), Some(transaction_id.as_str()));

    let response = merchant
        .app
        .post_form(&format!("/apps/{}/share-login", merchant.appid), &[])
        .await;
    let location = see_other(&response);
    let query = location
        .strip_prefix("https://shop.example/enter?")
        .and_then(|rest| rest.strip_suffix("#/welcome"))
        .unwrap_or_else(|| panic!("the parameters sit before the fragment: {location}"));
    let now = time::OffsetDateTime::now_utc();
    ShareLoginState::verify(query, &merchant.key, now).expect("a signed share-login");
}

async fn one_isv_cannot_query_another_isvs_orders(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = Merchant::new(&db, "a@example.com").await;
    let url = a
        .pay("secret-order", "http://127.0.0.1:9/notify")
        .url(&a.base)
        .unwrap();
    let (transaction_id, _) = a.open_cashier(&url).await;
    let b = Merchant::new(&db, "b@example.com").await;
    // B's own app cannot see A's order by out_trade_no or transaction_id…
    for request in [
        OrderQueryRequest::new(&b.appid, &b.key).out_trade_no("secret-order"),
        OrderQueryRequest::new(&b.appid, &b.key).transaction_id(&transaction_id),
    ] {
        assert_eq!(
            xml_retcode(&b.xml(&request.url(&b.base).unwrap()).await),
            88_221_009
        );
    }
    // …and B's key does not open A's appid.
    let request = OrderQueryRequest::new(&a.appid, &b.key).out_trade_no("secret-order");
    assert_eq!(
        xml_retcode(&b.xml(&request.url(&b.base).unwrap()).await),
        88_000_003
    );
    // A's cashier cannot be driven with B's order token either.
    let forged = b.cashier(&transaction_id, "x", "pay").await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

async fn private_targets_are_refused_when_blocking_is_on(backend: Backend) {
    let db = TestDb::new(backend).await;
    let merchant = Merchant::with(
        &db,
        "ssrf@example.com",
        &[("PORTAL_NOTIFY_BLOCK_PRIVATE", "true")],
    )
    .await;
    let receiver = Receiver::start("success").await;
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    for (no, target) in [("ssrf-1", receiver.url.clone()), ("ssrf-2", by_name)] {
        let url = merchant.pay(no, &target).url(&merchant.base).unwrap();
        let (transaction_id, token) = merchant.open_cashier(&url).await;
        assert_eq!(
            merchant.cashier(&transaction_id, &token, "pay").await.status(),
            StatusCode::FOUND
        );
    }
    let conn = db.connect().await;
    let mut hints = Vec::new();
    for _ in 0..100 {
        hints = conn
            .query_all(sea_orm::Statement::from_string(
                conn.get_database_backend(),
                "SELECT hint FROM notification_attempts ORDER BY id",
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.try_get::<String>("", "hint").unwrap())
            .collect();
        if hints.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hints.len(), 2, "both attempts are logged");
    for hint in &hints {
        assert_eq!(hint, &app::ssr::hint::Hint::Blocked.code());
        let words = app::ssr::hint::hint_text(hint, app::i18n::Locale::en);
        assert!(words.contains("PORTAL_NOTIFY_BLOCK_PRIVATE"), "{words}");
    }
    assert!(
        receiver.got.lock().unwrap().is_empty(),
        "nothing reached the private target"
    );
}

/// pay.htm inserts its orders in batches (`app::ssr::order_batch`). Each row gets its
/// own answer: a row whose out_trade_no is taken, before or earlier in the same batch,
/// gets none (its request then finds the stored order), and is never handed the order
/// of another row. A batch the database refuses stores nothing, and is then inserted
/// row by row, so only the row at fault fails.
async fn a_batch_of_new_orders_answers_each_row(backend: Backend) {
    use app::ssr::db::{app as app_entity, order};
    use app::ssr::order_batch::{insert_each, insert_orders};
    use sea_orm::{EntityTrait, PaginatorTrait, Set};

    let db = TestDb::new(backend).await;
    let merchant = Merchant::new(&db, "batch@example.com").await;
    let second_appid = merchant.app.create_app("Second shop").await;
    let conn = db.connect().await;
    let apps = app_entity::Entity::find().all(&conn).await.unwrap();
    let [app, second] = [&merchant.appid, &second_appid].map(|appid| {
        apps.iter()
            .find(|app| &app.appid == appid)
            .expect("the merchant's apps")
            .clone()
    });
    let row_in = |app: &app_entity::Model, out_trade_no: &str, total_fee: u64| {
        pay_row(&merchant, app, out_trade_no, total_fee)
    };
    let row = |out_trade_no: &str, total_fee: u64| row_in(&app, out_trade_no, total_fee);
    let count = || order::Entity::find().count(&conn);

    let before = insert_orders(&conn, vec![row("b-0", 100)]).await.unwrap();
    assert_eq!(
        before.iter().map(answer_of).collect::<Vec<_>>(),
        [Some(("b-0".to_owned(), 100))]
    );
    // Six rows (the statement pads them to eight with copies of the last one); the
    // second app's "b-1" is an order of its own.
    let rows = vec![
        row("b-3", 103),
        row("b-1", 101),
        row("b-0", 100),
        row_in(&second, "b-1", 555),
        row("b-2", 102),
        row("b-1", 999),
    ];
    let inserted = insert_orders(&conn, rows.clone()).await.unwrap();
    assert_eq!(
        inserted.iter().map(answer_of).collect::<Vec<_>>(),
        [
            Some(("b-3".to_owned(), 103)),
            Some(("b-1".to_owned(), 101)),
            None,
            Some(("b-1".to_owned(), 555)),
            Some(("b-2".to_owned(), 102)),
            None,
        ]
    );
    for (row, order) in rows.iter().zip(&inserted) {
        if let Some(order) = order {
            assert_eq!(&order.cashier_token, row.cashier_token.as_ref());
            assert_eq!(&order.app_id, row.app_id.as_ref());
            assert_eq!(order.trade_state, app::protocol::trade_state::CREATED);
        }
    }
    assert_eq!(inserted[3].as_ref().unwrap().app_id, second.id);
    assert_eq!(count().await.unwrap(), 5);

    // A row of an app that does not exist breaks the foreign key.
    let mut stray = row("b-5", 105);
    stray.app_id = Set(app.id + 1_000);
    let refused = vec![row("b-4", 104), stray, row("b-1", 101), row("b-6", 106)];
    assert!(insert_orders(&conn, refused.clone()).await.is_err());
    assert_eq!(count().await.unwrap(), 5, "a refused batch stores nothing");
    let answers = insert_each(&conn, refused).await;
    assert!(answers[1].is_err(), "{:?}", answers[1]);
    assert_eq!(
        answers
            .iter()
            .map(|answer| answer.as_ref().ok().map(answer_of))
            .collect::<Vec<_>>(),
        [
            Some(Some(("b-4".to_owned(), 104))),
            None,
            Some(None),
            Some(Some(("b-6".to_owned(), 106))),
        ]
    );
    assert_eq!(count().await.unwrap(), 7);
    assert!(insert_each(&conn, Vec::new()).await.is_empty());
}

/// The XML queries' lookups are read in batches on PostgreSQL
/// (`app::ssr::order_lookup`): each lookup gets the order of its own app or nothing,
/// whatever else is in its batch.
async fn a_batch_of_lookups_finds_each_order_in_its_own_app(backend: Backend) {
    use app::ssr::db::app as app_entity;
    use app::ssr::order_batch::insert_orders;
    use app::ssr::order_lookup::{Lookup, find_orders};
    use sea_orm::EntityTrait;

    let db = TestDb::new(backend).await;
    let shop_a = Merchant::new(&db, "lookup-a@example.com").await;
    let shop_b = Merchant::new(&db, "lookup-b@example.com").await;
    let conn = db.connect().await;
    let apps = app_entity::Entity::find().all(&conn).await.unwrap();
    let app_of = |merchant: &Merchant| {
        apps.iter()
            .find(|app| app.appid == merchant.appid)
            .expect("the merchant's app")
            .clone()
    };
    let (app_a, app_b) = (app_of(&shop_a), app_of(&shop_b));
    let stored = |merchant: &Merchant, app: app_entity::Model, out_trade_no: &str, total_fee: u64| {
        let row = pay_row(merchant, &app, out_trade_no, total_fee);
        let conn = &conn;
        async move {
            insert_orders(conn, vec![row])
                .await
                .unwrap()
                .pop()
                .flatten()
                .expect("a new order")
        }
    };
    // Both apps use the out_trade_no "shared".
    let a_shared = stored(&shop_a, app_a.clone(), "shared", 100).await;
    let b_shared = stored(&shop_b, app_b.clone(), "shared", 200).await;
    let a_only = stored(&shop_a, app_a.clone(), "a-only", 300).await;

    let by_id = |app: &app_entity::Model, id: i64| Lookup::Id { app_id: app.id, id };
    let by_number = |app: &app_entity::Model, out_trade_no: &str| Lookup::OutTradeNo {
        app_id: app.id,
        out_trade_no: out_trade_no.to_owned(),
    };
    let lookups = [
        by_id(&app_a, a_shared.id),
        by_id(&app_b, a_shared.id),
        by_number(&app_a, "shared"),
        by_number(&app_b, "shared"),
        by_number(&app_b, "a-only"),
        by_id(&app_b, b_shared.id),
        by_id(&app_a, a_only.id),
        by_id(&app_a, a_only.id),
        by_id(&app_a, b_shared.id + 1_000),
        by_number(&app_a, "none"),
    ];
    let found = find_orders(&conn, &lookups).await.unwrap();
    let ids = found
        .iter()
        .map(|order| order.as_ref().map(|order| (order.id, order.app_id)))
        .collect::<Vec<_>>();
    let (a, b) = (app_a.id, app_b.id);
    assert_eq!(
        ids,
        [
            Some((a_shared.id, a)),
            None,
            Some((a_shared.id, a)),
            Some((b_shared.id, b)),
            None,
            Some((b_shared.id, b)),
            Some((a_only.id, a)),
            Some((a_only.id, a)),
            None,
            None,
        ]
    );
    assert_eq!(found[3].as_ref().unwrap().total_fee, 200);
    assert!(find_orders(&conn, &[]).await.unwrap().is_empty());
}

/// The new order row pay.htm would insert for `merchant`'s request in `app`.
fn pay_row(
    merchant: &Merchant,
    app: &app::ssr::db::app::Model,
    out_trade_no: &str,
    total_fee: u64,
) -> app::ssr::db::order::ActiveModel {
    let url = merchant
        .pay(out_trade_no, "http://127.0.0.1:9/notify")
        .total_fee(total_fee)
        .url(&merchant.base)
        .unwrap();
    let params = Params::parse(query_of(&url).as_bytes()).unwrap();
    let input = app::ssr::gateway::validate_pay(&params).unwrap();
    app::ssr::gateway::order_row(app, &input, "normal", 1_800_000_000_000)
}

/// What a row of a batch got: its out_trade_no and total_fee, or nothing.
fn answer_of(order: &Option<app::ssr::db::order::Model>) -> Option<(String, i64)> {
    order
        .as_ref()
        .map(|order| (order.out_trade_no.clone(), order.total_fee))
}

/// On SQLite the XML queries read orders through `SqliteReads` (rusqlite) rather than
/// sea-orm: both must give the same rows, every column included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_sqlite_reads_agree_with_sea_orm() {
    use app::ssr::db::{notification, order};
    use app::ssr::gateway::OrderResult;
    use app::ssr::sqlite_reads::SqliteReads;
    use sea_orm::EntityTrait;

    let db = TestDb::new(Backend::Sqlite).await;
    let merchant = Merchant::new(&db, "direct@example.com").await;
    let receiver = Receiver::start("success").await;
    let url = merchant
        .pay("direct-1", &receiver.url)
        .product_fee(1000)
        .transport_fee(234)
        .goods_tag("tag_7")
        .bank_type("BL")
        .url(&merchant.base)
        .unwrap();
    let (transaction_id, token) = merchant.open_cashier(&url).await;
    let query = || OrderQueryRequest::new(&merchant.appid, &merchant.key).transaction_id(&transaction_id);
    // The server's reading connection now holds a snapshot in which the order is unpaid...
    for _ in 0..2 {
        let unpaid = merchant.order_query(query()).await;
        assert_eq!(unpaid.trade_state(), Some(TradeState::Created));
    }
    assert_eq!(
        merchant.cashier(&transaction_id, &token, "pay").await.status(),
        StatusCode::FOUND
    );
    // ...which the payment's commit retires: the next query sees the payment.
    let paid = merchant.order_query(query()).await;
    assert_eq!(paid.trade_state(), Some(TradeState::Paid));

    let conn = db.connect().await;
    let stored = order::Entity::find().all(&conn).await.unwrap();
    let [stored] = stored.as_slice() else {
        panic!("one order: {stored:?}");
    };
    assert_eq!(
        (stored.product_fee, stored.transport_fee),
        (Some(1000), Some(234))
    );
    assert!(stored.time_end.is_some());
    let notified = notification::Entity::find()
        .one(&conn)
        .await
        .unwrap()
        .expect("notification");

    let reads = SqliteReads::for_url(&db.url).expect("a SQLite file");
    // The reads lend each row to a closure; its Debug text stands in for it here.
    let result = format!("{:?}", OrderResult::from(stored));
    let seen = |order: OrderResult<'_>| format!("{order:?}");
    assert_eq!(
        reads.order_by_id(stored.app_id, stored.id, seen).unwrap(),
        Some(result.clone())
    );
    assert_eq!(
        reads
            .order_by_out_trade_no(stored.app_id, "direct-1", seen)
            .unwrap(),
        Some(result.clone())
    );
    assert_eq!(
        reads
            .notified_order(stored.app_id, &notified.notify_id, |at, order| (at, seen(order)))
            .unwrap(),
        Some((notified.created_at, result.clone()))
    );
    // The order keeps its notification's notify_id, which ends with the order's id, and
    // the notify query's read by that id gives them with the same order.
    assert_eq!(
        (stored.notify_id.as_deref(), stored.notified_at),
        (Some(notified.notify_id.as_str()), Some(notified.created_at))
    );
    assert_eq!(
        app::ssr::gateway::notify_id_order(&notified.notify_id),
        Some(stored.id)
    );
    assert_eq!(
        reads
            .notice_by_order_id(stored.app_id, stored.id, |notify_id, at, order| {
                (notify_id.map(str::to_owned), at, seen(order))
            })
            .unwrap(),
        Some((
            Some(notified.notify_id.clone()),
            Some(notified.created_at),
            result.clone()
        ))
    );
    // The sea-orm query PostgreSQL uses (and SQLite falls back to) reads the same.
    assert_eq!(
        app::ssr::gateway::notified_order(&conn, stored.app_id, &notified.notify_id)
            .await
            .unwrap(),
        Some((notified.created_at, stored.clone()))
    );
    // A notify_id from before migration 10 is found in the covering index alone, and so
    // is an order by out_trade_no.
    for (sql, index) in [
        (
            app::ssr::sqlite_reads::NOTIFIED_ORDER_SQL,
            "COVERING INDEX idx_notifications_lookup",
        ),
        (
            app::ssr::sqlite_reads::ORDER_BY_OUT_TRADE_NO_SQL,
            "COVERING INDEX idx_orders_lookup",
        ),
    ] {
        let plan = conn
            .query_all(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                format!("EXPLAIN QUERY PLAN {sql}"),
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", "detail").unwrap())
            .collect::<Vec<_>>();
        assert!(plan.iter().any(|step| step.contains(index)), "{plan:?}");
    }
    // Another app's id, or an unknown key, finds nothing.
    assert_eq!(
        reads.order_by_id(stored.app_id + 1, stored.id, seen).unwrap(),
        None
    );
    assert_eq!(
        reads
            .order_by_out_trade_no(stored.app_id, "direct-2", seen)
            .unwrap(),
        None
    );
    let notified_at = |at: i64, _: OrderResult<'_>| at;
    assert_eq!(
        reads
            .notified_order(stored.app_id + 1, &notified.notify_id, notified_at)
            .unwrap(),
        None
    );
    assert_eq!(
        reads
            .notified_order(stored.app_id, "no-such-notify-id", notified_at)
            .unwrap(),
        None
    );
}

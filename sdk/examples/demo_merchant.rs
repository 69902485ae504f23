//! A demo merchant: takes an order, sends the buyer to the sandbox cashier, and ships only
//! after a verified notification has been confirmed with a notify query.
//!
//! ```text
//! APPID=1904837261 APP_KEY=<key> cargo run -p sdk --features client --example demo_merchant
//! ```
//!
//! Environment: `SANDBOX_URL` (default `http://127.0.0.1:3000`), `APPID`, `APP_KEY`,
//! `MERCHANT_ADDR` (default `127.0.0.1:4000`; the notify and return URLs point here).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use sdk::client::Client;
use sdk::params::Params;
use sdk::pay::{PayRequest, PayResponse, TradeState};
use sdk::query::NotifyQueryRequest;
use tokio::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Unpaid,
    Paid,
    Failed,
}

struct Order {
    body: String,
    total_fee: u64,
    status: Status,
    transaction_id: Option<String>,
}

struct Shop {
    sandbox_url: String,
    public_url: String,
    appid: String,
    key: String,
    client: Client,
    /// Each order has its own lock, so two deliveries of one notification are handled one
    /// after the other while other orders go on. The map's lock is never held across an await.
    orders: StdMutex<BTreeMap<String, Arc<Mutex<Order>>>>,
    serial: AtomicU64,
}

type App = State<Arc<Shop>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (Some(appid), Some(key)) = (env("APPID"), env("APP_KEY")) else {
        return Err("set APPID and APP_KEY (e.g. from `server seed-demo`)".into());
    };
    let sandbox_url = env("SANDBOX_URL").unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let addr: SocketAddr = env("MERCHANT_ADDR")
        .unwrap_or_else(|| "127.0.0.1:4000".into())
        .parse()?;
    let shop = Arc::new(Shop {
        client: Client::new(&sandbox_url)?,
        sandbox_url,
        public_url: format!("http://{addr}"),
        appid,
        key,
        orders: StdMutex::default(),
        serial: AtomicU64::new(1),
    });
    let app = Router::new()
        .route("/", get(home).post(create_order))
        .route("/return", get(return_page))
        .route("/notify", get(notify).post(notify))
        .route("/orders", get(list_orders))
        .with_state(shop);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("demo merchant on http://{}", listener.local_addr()?);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
    Ok(())
}

async fn home() -> Html<String> {
    page(
        "Demo shop",
        r#"<form method="post" action="/">
  <label>Amount (CNY) <input name="amount" value="0.01" required></label>
  <label>What <input name="body" value="A cup of tea" required></label>
  <button>Pay</button>
</form>"#,
    )
}

#[derive(serde::Deserialize)]
struct NewOrder {
    amount: String,
    body: String,
}

async fn create_order(
    State(shop): App,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<NewOrder>,
) -> Response {
    let Some(total_fee) = parse_yuan(&form.amount) else {
        return bad_request("the amount must look like 12.34");
    };
    let serial = shop.serial.fetch_add(1, Ordering::Relaxed);
    let out_trade_no = format!(
        "demo-{}-{serial}",
        time::OffsetDateTime::now_utc().unix_timestamp()
    );
    let url = PayRequest::new(&shop.appid, &shop.key)
        .out_trade_no(&out_trade_no)
        .total_fee(total_fee)
        .body(&form.body)
        .notify_url(format!("{}/notify", shop.public_url))
        .return_url(format!("{}/return", shop.public_url))
        .spbill_create_ip(peer.ip().to_string())
        .url(&shop.sandbox_url);
    match url {
        Ok(url) => {
            let order = Order {
                body: form.body,
                total_fee,
                status: Status::Unpaid,
                transaction_id: None,
            };
            lock(&shop.orders).insert(out_trade_no, Arc::new(Mutex::new(order)));
            Redirect::to(&url).into_response()
        }
        Err(err) => bad_request(&err.to_string()),
    }
}

async fn return_page(State(shop): App, RawQuery(query): RawQuery) -> Response {
    let result = match PayResponse::parse(query.unwrap_or_default(), &shop.key) {
        Ok(result) => result,
        Err(err) => return bad_request(&format!("this return link is not genuine: {err}")),
    };
    let order = lock(&shop.orders).get(result.out_trade_no()).cloned();
    let status = match order {
        Some(order) => format!("{:?}", order.lock().await.status),
        None => "unknown order".to_owned(),
    };
    let body = format!(
        "<p>The cashier says: <b>{}</b> for order {} (¥{}).</p>\
         <p>Our records (updated by confirmed notifications): <b>{status}</b>.</p>\
         <p><a href=\"/orders\">All orders</a></p>",
        if result.is_pay_successful() {
            "paid"
        } else {
            "not paid"
        },
        escape(result.out_trade_no()),
        yuan(result.total_fee()),
    );
    page("Payment result", &body).into_response()
}

/// The platform's notification, by GET query or POST form. Answers `success` only once
/// the order's state is final in our records; anything else makes the platform retry.
async fn notify(State(shop): App, RawQuery(query): RawQuery, body: Bytes) -> &'static str {
    let query = query.unwrap_or_default();
    let verified = Params::parse_parts(&[query.as_bytes(), &body])
        .map_err(sdk::Error::from)
        .and_then(|params| PayResponse::from_params(params, &shop.key));
    let outcome = match verified {
        Ok(notification) => record(&shop, &notification).await,
        Err(err) => Err(format!("refused a notification: {err}")),
    };
    match outcome {
        Ok(()) => PayResponse::ACK_SUCCESS,
        Err(reason) => {
            eprintln!("notify: {reason}");
            PayResponse::ACK_FAIL
        }
    }
}

async fn record(shop: &Shop, notification: &PayResponse) -> Result<(), String> {
    let no = notification.out_trade_no();
    let order = lock(&shop.orders)
        .get(no)
        .cloned()
        .ok_or(format!("unknown order {no}"))?;
    let mut order = order.lock().await;
    if order.status != Status::Unpaid {
        // A duplicate delivery: the first one already did the work.
        return Ok(());
    }
    if notification.appid() != shop.appid || notification.total_fee() != order.total_fee {
        return Err(format!("order {no}: the notification does not match the order"));
    }
    let notify_id = notification
        .notify_id()
        .ok_or("the notification has no notify_id")?;
    let request = NotifyQueryRequest::new(&shop.appid, &shop.key, notify_id);
    let answer = shop
        .client
        .notify_query(&request)
        .await
        .map_err(|e| e.to_string())?;
    if !answer.is_ok() {
        return Err(format!("notify query: {} {}", answer.retcode(), answer.retmsg()));
    }
    if answer.out_trade_no() != Some(no) || answer.total_fee() != Some(order.total_fee) {
        return Err(format!("order {no}: the notify query describes another order"));
    }
    match answer.trade_state() {
        Some(TradeState::Paid) => {
            order.status = Status::Paid;
            order.transaction_id = answer.transaction_id().map(str::to_owned);
            println!("order {no} paid: ship {}", order.body);
        }
        Some(TradeState::Failed | TradeState::Closed) => order.status = Status::Failed,
        _ => {}
    }
    Ok(())
}

async fn list_orders(State(shop): App) -> Html<String> {
    let orders: Vec<_> = lock(&shop.orders)
        .iter()
        .map(|(no, o)| (no.clone(), o.clone()))
        .collect();
    let mut rows = String::new();
    for (no, order) in orders {
        let order = order.lock().await;
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>¥{}</td><td>{:?}</td><td>{}</td></tr>",
            escape(&no),
            escape(&order.body),
            yuan(order.total_fee),
            order.status,
            escape(order.transaction_id.as_deref().unwrap_or("")),
        ));
    }
    page(
        "Orders",
        &format!(
            "<table><tr><th>out_trade_no</th><th>body</th><th>amount</th><th>status</th>\
             <th>transaction_id</th></tr>{rows}</table><p><a href=\"/\">New order</a></p>"
        ),
    )
}

fn lock<T>(mutex: &StdMutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the map's lock leaves the map itself consistent.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `12.34` → 1234 fen; at most two decimals.
fn parse_yuan(text: &str) -> Option<u64> {
    let (whole, cents) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || cents.len() > 2 || !digits(whole) || !digits(cents) {
        return None;
    }
    let cents: u64 = format!("{cents:0<2}").parse().ok()?;
    whole.parse::<u64>().ok()?.checked_mul(100)?.checked_add(cents)
}

fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    ))
}

fn bad_request(message: &str) -> Response {
    let html = page(
        "Sorry",
        &format!("<p>{}</p><p><a href=\"/\">Back</a></p>", escape(message)),
    );
    (axum::http::StatusCode::BAD_REQUEST, html).into_response()
}

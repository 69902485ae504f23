//! The sandbox console's queries: transactions and notifications of one ISV,
//! filtered, keyset-paginated (newest first, stable while rows are added).

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::db::{app, notification, notification_attempt, order};
use super::gateway::{split_transaction_id, transaction_id};
use super::state::AppState;
use crate::protocol::parse_protocol_time;
use crate::types::{
    AttemptDetail, NotificationPage, NotificationView, TransactionDetail, TransactionPage, TransactionRow,
};

/// Rows per page.
pub const PAGE_SIZE: u64 = 50;

/// Filters of `/transactions`, as typed; empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionFilter {
    pub appid: String,
    /// A trade_state number.
    pub state: String,
    /// `YYYY-MM-DD` (UTC+8), inclusive.
    pub from: String,
    /// `YYYY-MM-DD` (UTC+8), inclusive.
    pub to: String,
    /// An exact out_trade_no or transaction_id.
    pub q: String,
    /// Only rows with a smaller id (the next page).
    pub before: Option<i64>,
}

/// Why a filter was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Start of a `YYYY-MM-DD` day in UTC+8, as unix ms.
fn day_start(text: &str, name: &str) -> Result<i64, ConsoleError> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    parse_protocol_time(&format!("{digits}000000"))
        .filter(|_| text.len() == 10)
        .ok_or_else(|| ConsoleError::Invalid(format!("{name} must be a date like 2026-11-27")))
}

fn row(order: &order::Model) -> TransactionRow {
    TransactionRow {
        id: order.id,
        transaction_id: transaction_id(order),
        out_trade_no: order.out_trade_no.clone(),
        appid: order.appid.clone(),
        body: order.body.clone(),
        total_fee: order.total_fee,
        trade_state: order.trade_state,
        created_at: order.created_at,
        time_end: order.time_end,
    }
}

/// One page of the ISV's transactions.
pub async fn transactions(
    db: &DatabaseConnection,
    isv_id: i64,
    filter: &TransactionFilter,
) -> Result<TransactionPage, ConsoleError> {
    let mut query = order::Entity::find_for_isv(isv_id);
    if !filter.appid.is_empty() {
        query = query.filter(order::Column::Appid.eq(filter.appid.as_str()));
    }
    if !filter.state.is_empty() {
        let state: i16 = filter
            .state
            .parse()
            .ok()
            .filter(|state| (0..=4).contains(state))
            .ok_or_else(|| ConsoleError::Invalid("state must be 0 to 4".into()))?;
        query = query.filter(order::Column::TradeState.eq(state));
    }
    if !filter.from.is_empty() {
        query = query.filter(order::Column::CreatedAt.gte(day_start(&filter.from, "from")?));
    }
    if !filter.to.is_empty() {
        query = query.filter(order::Column::CreatedAt.lt(day_start(&filter.to, "to")? + 86_400_000));
    }
    let q = filter.q.trim();
    if !q.is_empty() {
        query = match split_transaction_id(q) {
            // The serial is the id; the whole transaction_id is checked below.
            Some((_, _, id)) => query.filter(order::Column::Id.eq(id)),
            None => query.filter(order::Column::OutTradeNo.eq(q)),
        };
    }
    if let Some(before) = filter.before {
        query = query.filter(order::Column::Id.lt(before));
    }
    let mut orders = query
        .order_by_desc(order::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await?;
    if split_transaction_id(q).is_some() {
        orders.retain(|order| transaction_id(order) == q);
    }
    let more = orders.len() as u64 > PAGE_SIZE;
    orders.truncate(PAGE_SIZE as usize);
    Ok(TransactionPage {
        next_before: more.then(|| orders.last().map(|o| o.id)).flatten(),
        rows: orders.iter().map(row).collect(),
    })
}

fn attempt_detail(attempt: notification_attempt::Model) -> AttemptDetail {
    AttemptDetail {
        attempt_no: attempt.attempt_no,
        manual: attempt.manual,
        started_at: attempt.started_at,
        duration_ms: attempt.duration_ms,
        method: attempt.method,
        url: attempt.url,
        request: attempt.request,
        response_status: attempt.response_status,
        response_body: attempt.response_body,
        outcome: attempt.outcome,
        error: attempt.error,
        hint: attempt.hint,
    }
}

fn notification_view(n: notification::Model, order: &order::Model, now: i64) -> NotificationView {
    NotificationView {
        notify_id: n.notify_id,
        transaction_id: transaction_id(order),
        out_trade_no: order.out_trade_no.clone(),
        appid: order.appid.clone(),
        url: n.url,
        method: n.method,
        status: n.status,
        attempts: n.attempts,
        next_attempt_at: n.next_attempt_at,
        scenario: n.scenario,
        created_at: n.created_at,
        delivered_at: n.delivered_at,
        attempt_log: Vec::new(),
        now,
    }
}

/// Attempts of these notifications, oldest first, by notification id.
async fn attempt_logs(
    db: &DatabaseConnection,
    ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<AttemptDetail>>, DbErr> {
    let mut logs: HashMap<i64, Vec<AttemptDetail>> = HashMap::new();
    let attempts = notification_attempt::Entity::find()
        .filter(notification_attempt::Column::NotificationId.is_in(ids))
        .order_by_asc(notification_attempt::Column::Id)
        .all(db)
        .await?;
    for attempt in attempts {
        logs.entry(attempt.notification_id)
            .or_default()
            .push(attempt_detail(attempt));
    }
    Ok(logs)
}

/// One of the ISV's transactions with its notifications and their attempts.
pub async fn transaction(
    state: &AppState,
    isv_id: i64,
    transaction_id_text: &str,
) -> Result<TransactionDetail, ConsoleError> {
    let db = &state.db;
    let (_, _, id) = split_transaction_id(transaction_id_text).ok_or(ConsoleError::NotFound)?;
    let order = order::Entity::find_for_isv(isv_id)
        .filter(order::Column::Id.eq(id))
        .one(db)
        .await?
        .filter(|order| transaction_id(order) == transaction_id_text)
        .ok_or(ConsoleError::NotFound)?;
    let app = app::Entity::find_by_id(order.app_id)
        .one(db)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let notifications = notification::Entity::find_for_isv(isv_id)
        .filter(notification::Column::OrderId.eq(order.id))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await?;
    let mut logs = attempt_logs(db, notifications.iter().map(|n| n.id).collect()).await?;
    let notifications = notifications
        .into_iter()
        .map(|n| {
            let log = logs.remove(&n.id).unwrap_or_default();
            let mut view = notification_view(n, &order, state.clock.now_ms());
            view.attempt_log = log;
            view
        })
        .collect();
    let curl = order_query_curl(state, &app, &order);
    Ok(TransactionDetail {
        row: row(&order),
        app_name: app.name,
        fee_type: order.fee_type,
        attach: order.attach,
        bank_type: order.bank_type,
        notify_url: order.notify_url,
        return_url: order.return_url,
        spbill_create_ip: order.spbill_create_ip,
        input_charset: order.input_charset,
        buyer_id: order.buyer_id,
        pay_info: order.pay_info,
        scenario: order.scenario,
        expires_at: order.expires_at,
        updated_at: order.updated_at,
        notifications,
        curl,
    })
}

/// `curl '<public url>/gateway/normalorderquery.xml?…'`, signed with the app's current key.
fn order_query_curl(state: &AppState, app: &app::Model, order: &order::Model) -> String {
    let pairs = [
        ("appid".to_owned(), app.appid.clone()),
        ("transaction_id".to_owned(), transaction_id(order)),
    ];
    match super::gateway::sign_outgoing(state, app, pairs, sdk::sign::Charset::Utf8) {
        Ok(params) => format!(
            "curl '{}/gateway/normalorderquery.xml?{}'",
            state.settings.public_url,
            params.to_query()
        ),
        Err(err) => format!("# cannot sign: {}", err.retmsg),
    }
}

/// One page of the ISV's notifications, optionally of one status.
pub async fn notifications(
    db: &DatabaseConnection,
    isv_id: i64,
    status: &str,
    before: Option<i64>,
    now: i64,
) -> Result<NotificationPage, ConsoleError> {
    let mut query = notification::Entity::find_for_isv(isv_id);
    match status {
        "" => {}
        "pending" | "delivered" | "failed" => query = query.filter(notification::Column::Status.eq(status)),
        _ => {
            return Err(ConsoleError::Invalid(
                "status must be pending, delivered or failed".into(),
            ));
        }
    }
    if let Some(before) = before {
        query = query.filter(notification::Column::Id.lt(before));
    }
    let mut rows = query
        .order_by_desc(notification::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_before = more.then(|| rows.last().map(|n| n.id)).flatten();
    let orders: HashMap<i64, order::Model> = order::Entity::find_for_isv(isv_id)
        .filter(Condition::all().add(order::Column::Id.is_in(rows.iter().map(|n| n.order_id))))
        .all(db)
        .await?
        .into_iter()
        .map(|order| (order.id, order))
        .collect();
    Ok(NotificationPage {
        rows: rows
            .into_iter()
            .filter_map(|n| {
                let order = orders.get(&n.order_id)?;
                Some(notification_view(n, order, now))
            })
            .collect(),
        next_before,
        now,
    })
}

/// One of the ISV's notifications with its attempts.
pub async fn notification(
    db: &DatabaseConnection,
    isv_id: i64,
    notify_id: &str,
    now: i64,
) -> Result<NotificationView, ConsoleError> {
    let n = notification::Entity::find_for_isv(isv_id)
        .filter(notification::Column::NotifyId.eq(notify_id))
        .one(db)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let order = order::Entity::find_for_isv(isv_id)
        .filter(order::Column::Id.eq(n.order_id))
        .one(db)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    let mut logs = attempt_logs(db, vec![n.id]).await?;
    let id = n.id;
    let mut view = notification_view(n, &order, now);
    view.attempt_log = logs.remove(&id).unwrap_or_default();
    Ok(view)
}

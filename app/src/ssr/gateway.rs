//! The gateway's rules (SPEC §6): authenticating a request, validating a pay
//! request, creating orders idempotently, settling them from the cashier, and
//! the signed result parameters and XML answers.
//!
//! The HTTP side (parsing, the cashier page, redirects) is in the server crate.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

use base64::Engine;
use rand::RngCore;
use rand::rngs::OsRng;
use sdk::params::{Params, ParamsError};
use sdk::sign::Charset;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    FromQueryResult, JoinType, QueryFilter, QueryResult, QuerySelect, QueryTrait, RelationTrait, Set,
    Statement, TransactionTrait,
};
use subtle::ConstantTimeEq;

use super::app_cache::CachedApp;
use super::apps::current_key;
use super::db::{app, notification, order};
use super::order_lookup::Lookup;
use super::sqlite_reads::SqliteReads;
use super::state::AppState;
use crate::protocol::{self, Param, trade_state};

/// A refused request: the retcode and a message that names the parameter and rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{retcode}: {retmsg}")]
pub struct GatewayError {
    pub retcode: u32,
    pub retmsg: String,
}

impl GatewayError {
    pub fn new(retcode: u32, retmsg: impl Into<String>) -> Self {
        Self {
            retcode,
            retmsg: retmsg.into(),
        }
    }

    pub fn missing(name: &str) -> Self {
        Self::new(protocol::MISSING, format!("required parameter {name} is missing"))
    }

    pub fn malformed(name: &str, rule: &str) -> Self {
        Self::new(
            protocol::MALFORMED,
            format!("parameter {name} is malformed: it must be {rule}"),
        )
    }

    /// An internal failure: logged with its details, answered as "system busy".
    pub fn busy(err: impl std::fmt::Display) -> Self {
        tracing::error!(%err, "gateway internal error");
        Self::new(protocol::SYSTEM_BUSY, "system busy, try again later")
    }
}

impl From<DbErr> for GatewayError {
    fn from(err: DbErr) -> Self {
        Self::busy(err)
    }
}

impl From<ParamsError> for GatewayError {
    fn from(err: ParamsError) -> Self {
        match err {
            ParamsError::UnsupportedCharset(_) => Self::new(
                protocol::UNSUPPORTED,
                "input_charset is not supported: it must be UTF-8 or GBK",
            ),
            ParamsError::Encoding { name, charset } => Self::new(
                protocol::MALFORMED,
                format!("parameter {name} is malformed: it is not valid {charset} after percent-decoding"),
            ),
            ParamsError::BadName(_) => Self::new(
                protocol::MALFORMED,
                "a parameter name is malformed: names are letters, digits and _",
            ),
            ParamsError::Duplicate(name) => Self::new(
                protocol::MALFORMED,
                format!("parameter {name} is malformed: it must be given once"),
            ),
        }
    }
}

/// Checks that every required parameter of `spec` is present and not empty.
pub fn check_required(params: &Params, spec: &[Param]) -> Result<(), GatewayError> {
    match spec
        .iter()
        .find(|p| p.required && params.non_empty(p.name).is_none())
    {
        Some(param) => Err(GatewayError::missing(param.name)),
        None => Ok(()),
    }
}

/// The app a signed request is for, once appid, status, sign_type, signature and then
/// the rate limit have been checked, read through the per-process app cache.
pub async fn authenticate(
    state: &AppState,
    params: &Params,
    now: i64,
) -> Result<Arc<CachedApp>, GatewayError> {
    let appid = params
        .non_empty("appid")
        .ok_or_else(|| GatewayError::missing("appid"))?;
    if appid.len() != 10 || !appid.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GatewayError::malformed("appid", protocol::RULE_APPID));
    }
    let provided = params
        .non_empty("sign")
        .ok_or_else(|| GatewayError::missing("sign"))?;
    let cached = state
        .apps
        .get(&state.db, &state.master_key, appid)
        .await
        .map_err(GatewayError::busy)?
        .ok_or_else(|| GatewayError::new(protocol::UNKNOWN_APPID, format!("appid {appid} is unknown")))?;
    let app = &cached.model;
    if app.status != "active" {
        return Err(GatewayError::new(
            protocol::APP_DISABLED,
            format!("app {appid} is disabled; enable it in the portal"),
        ));
    }
    if let Some(sign_type) = params.non_empty("sign_type")
        && !sign_type.eq_ignore_ascii_case("MD5")
    {
        return Err(GatewayError::new(
            protocol::UNSUPPORTED,
            "sign_type is not supported: it must be MD5",
        ));
    }
    let slot = match params.non_empty("sign_key_index") {
        None => None,
        Some("1") => Some(1),
        Some("2") => Some(2),
        Some(_) => {
            return Err(GatewayError::malformed(
                "sign_key_index",
                protocol::RULE_SIGN_KEY_INDEX,
            ));
        }
    };
    let keys = cached.verifying_keys(now);
    let verified = keys
        .iter()
        .filter(|(index, _)| slot.is_none_or(|slot| slot == *index))
        .any(|(_, key)| {
            sdk::sign::verify(params.iter(), key.expose(), params.charset(), provided).unwrap_or(false)
        });
    if !verified {
        let detail = match slot {
            Some(slot) if keys.iter().all(|(index, _)| *index != slot) => {
                format!("; key slot {slot} does not verify requests now (rotated out, grace ended)")
            }
            _ => String::new(),
        };
        return Err(GatewayError::new(
            protocol::BAD_SIGNATURE,
            format!("signature mismatch{detail}"),
        ));
    }
    // Counted after the signature, so unsigned junk cannot spend an app's budget.
    if !state.limiter.allow(appid, now) {
        return Err(GatewayError::new(
            protocol::RATE_LIMITED,
            format!(
                "too many requests for app {appid}: at most {} per second",
                state.settings.gateway_rate_limit
            ),
        ));
    }
    Ok(cached)
}

/// A validated pay request (SPEC §6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayInput {
    pub out_trade_no: String,
    pub total_fee: i64,
    pub body: String,
    pub notify_url: String,
    pub return_url: String,
    pub spbill_create_ip: String,
    pub attach: String,
    pub bank_type: String,
    pub time_start: String,
    pub time_expire: Option<i64>,
    pub charset: Charset,
    pub product_fee: Option<i64>,
    pub transport_fee: Option<i64>,
    pub goods_tag: String,
    pub buyer_id: String,
}

/// Maximum total_fee: 100,000,000 yuan.
pub const MAX_TOTAL_FEE: i64 = 10_000_000_000;

fn no_controls(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// An integer of fen without sign, spaces or leading `+`.
fn parse_fen(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 11 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// An absolute http(s) URL of at most 512 characters.
pub fn valid_url(text: &str) -> bool {
    text.len() <= 512
        && no_controls(text)
        && url::Url::parse(text)
            .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
}

/// `[A-Za-z0-9_-]{1,32}`.
pub fn valid_out_trade_no(text: &str) -> bool {
    (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Validates a pay request whose signature has been checked.
pub fn validate_pay(params: &Params) -> Result<PayInput, GatewayError> {
    let get = |name: &str| params.get(name).unwrap_or("");
    let out_trade_no = get("out_trade_no");
    if !valid_out_trade_no(out_trade_no) {
        return Err(GatewayError::malformed(
            "out_trade_no",
            protocol::RULE_OUT_TRADE_NO,
        ));
    }
    let total_fee = parse_fen(get("total_fee"))
        .filter(|fee| (1..=MAX_TOTAL_FEE).contains(fee))
        .ok_or_else(|| GatewayError::malformed("total_fee", protocol::RULE_TOTAL_FEE))?;
    let body = get("body");
    if body.chars().count() > 128 || !no_controls(body) {
        return Err(GatewayError::malformed("body", protocol::RULE_BODY));
    }
    for name in ["notify_url", "return_url"] {
        if !valid_url(get(name)) {
            return Err(GatewayError::malformed(name, protocol::RULE_URL));
        }
    }
    if get("spbill_create_ip").parse::<IpAddr>().is_err() {
        return Err(GatewayError::malformed("spbill_create_ip", protocol::RULE_IP));
    }
    let attach = get("attach");
    if attach.chars().count() > 127 || !no_controls(attach) {
        return Err(GatewayError::malformed("attach", protocol::RULE_ATTACH));
    }
    if let Some(fee_type) = params.non_empty("fee_type")
        && fee_type != "1"
    {
        return Err(GatewayError::new(
            protocol::UNSUPPORTED,
            "fee_type is not supported: it must be 1 (CNY)",
        ));
    }
    let bank_type = params.non_empty("bank_type").unwrap_or("DEFAULT");
    if bank_type.len() > 32 || !bank_type.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(GatewayError::malformed(
            "bank_type",
            "DEFAULT, or up to 32 characters of A-Z a-z 0-9 _",
        ));
    }
    let time_start = get("time_start");
    if !time_start.is_empty() && protocol::parse_protocol_time(time_start).is_none() {
        return Err(GatewayError::malformed("time_start", protocol::RULE_TIME));
    }
    let time_expire = match params.non_empty("time_expire") {
        None => None,
        Some(text) => Some(
            protocol::parse_protocol_time(text)
                .ok_or_else(|| GatewayError::malformed("time_expire", protocol::RULE_TIME))?,
        ),
    };
    let fee_part = |name: &str| -> Result<Option<i64>, GatewayError> {
        match params.non_empty(name) {
            None => Ok(None),
            Some(text) => parse_fen(text)
                .map(Some)
                .ok_or_else(|| GatewayError::malformed(name, protocol::RULE_FEE_PART)),
        }
    };
    let (product_fee, transport_fee) = (fee_part("product_fee")?, fee_part("transport_fee")?);
    if (product_fee.is_some() || transport_fee.is_some())
        && product_fee.unwrap_or(0) + transport_fee.unwrap_or(0) != total_fee
    {
        let name = if product_fee.is_some() {
            "product_fee"
        } else {
            "transport_fee"
        };
        return Err(GatewayError::malformed(name, protocol::RULE_FEE_PART));
    }
    let goods_tag = get("goods_tag");
    if goods_tag.len() > 32
        || !goods_tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(GatewayError::malformed("goods_tag", protocol::RULE_TOKEN));
    }
    let buyer_id = get("buyer_id");
    if buyer_id.chars().count() > 64 || !no_controls(buyer_id) {
        return Err(GatewayError::malformed("buyer_id", protocol::RULE_BUYER_ID));
    }
    Ok(PayInput {
        out_trade_no: out_trade_no.to_owned(),
        total_fee,
        body: body.to_owned(),
        notify_url: get("notify_url").to_owned(),
        return_url: get("return_url").to_owned(),
        spbill_create_ip: get("spbill_create_ip").to_owned(),
        attach: attach.to_owned(),
        bank_type: bank_type.to_owned(),
        time_start: time_start.to_owned(),
        time_expire,
        charset: params.charset(),
        product_fee,
        transport_fee,
        goods_tag: goods_tag.to_owned(),
        buyer_id: buyer_id.to_owned(),
    })
}

/// `count` random bytes as unpadded URL-safe base64.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buffer);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

/// Random characters at the start of a notify_id (SPEC §3: at least 32).
const NOTIFY_ID_RANDOM: usize = 32;
/// Digits of the order id at the end of a notify_id.
const NOTIFY_ID_ORDER_DIGITS: u32 = 10;
/// The length of a notify_id that names its order.
const NOTIFY_ID_LEN: usize = NOTIFY_ID_RANDOM + NOTIFY_ID_ORDER_DIGITS as usize;

/// A new notify_id for the notification of order `order_id`: 32 random URL-safe
/// characters (192 bits), then the order id in 10 digits, 42 characters in all. The
/// notify query reads the order by that id and compares the notify_id stored on it
/// ([`notify_id_order`]). An id over 10 digits gets 40 random characters instead, which
/// the query finds through the notify_id index, as it finds notify_ids made before
/// migration 10 (also 40 characters).
pub fn new_notify_id(order_id: i64) -> String {
    if !(0..10_i64.pow(NOTIFY_ID_ORDER_DIGITS)).contains(&order_id) {
        return random_token(30);
    }
    // Base64 writes 4 characters for every 3 bytes.
    let mut id = random_token(NOTIFY_ID_RANDOM / 4 * 3);
    protocol::push_digits(&mut id, order_id, NOTIFY_ID_ORDER_DIGITS);
    id
}

/// The order id at the end of a notify_id made by [`new_notify_id`]; `None` for any
/// other shape (older notify_ids are 40 characters).
pub fn notify_id_order(notify_id: &str) -> Option<i64> {
    if notify_id.len() != NOTIFY_ID_LEN {
        return None;
    }
    let digits = &notify_id.as_bytes()[NOTIFY_ID_RANDOM..];
    digits.iter().all(u8::is_ascii_digit).then(|| {
        digits
            .iter()
            .fold(0, |id, digit| id * 10 + i64::from(digit - b'0'))
    })
}

/// The 28-digit transaction_id: appid, creation date (UTC+8), and the order id as serial.
pub fn transaction_id(order: &order::Model) -> String {
    transaction_id_of(&order.appid, order.created_at, order.id)
}

fn transaction_id_of(appid: &str, created_at: i64, id: i64) -> String {
    let serial = id % 10_000_000_000;
    if serial < 0 {
        return format!("{appid}{}{serial:010}", protocol::protocol_date(created_at));
    }
    // Written directly: the queries build one of these for every answer.
    let mut out = String::with_capacity(appid.len() + 8 + 10 + 6);
    out.push_str(appid);
    protocol::push_protocol_time(&mut out, created_at);
    out.truncate(out.len() - 6);
    protocol::push_digits(&mut out, serial, 10);
    out
}

/// The columns of an order that its result parameters (SPEC §6.1) and the XML
/// queries' answers are made of, borrowed from an `order::Model` or, on the direct
/// SQLite path, from the row being read (so an answer copies no text twice). The
/// queries read only these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderResult<'a> {
    pub id: i64,
    pub appid: &'a str,
    pub out_trade_no: &'a str,
    pub total_fee: i64,
    pub fee_type: &'a str,
    pub trade_state: i16,
    pub pay_info: &'a str,
    pub bank_type: &'a str,
    pub time_end: Option<i64>,
    pub attach: &'a str,
    pub buyer_id: &'a str,
    pub input_charset: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

impl OrderResult<'_> {
    pub fn transaction_id(&self) -> String {
        transaction_id_of(self.appid, self.created_at, self.id)
    }
}

impl<'a> From<&'a order::Model> for OrderResult<'a> {
    fn from(order: &'a order::Model) -> Self {
        Self {
            id: order.id,
            appid: &order.appid,
            out_trade_no: &order.out_trade_no,
            total_fee: order.total_fee,
            fee_type: &order.fee_type,
            trade_state: order.trade_state,
            pay_info: &order.pay_info,
            bank_type: &order.bank_type,
            time_end: order.time_end,
            attach: &order.attach,
            buyer_id: &order.buyer_id,
            input_charset: &order.input_charset,
            created_at: order.created_at,
            expires_at: order.expires_at,
        }
    }
}

/// Splits a transaction_id into (appid, date, serial); `None` if it is not 28 digits.
pub fn split_transaction_id(text: &str) -> Option<(&str, &str, i64)> {
    if text.len() != 28 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((&text[..10], &text[10..18], text[18..].parse().ok()?))
}

/// The order of `app` with this transaction_id, if any.
pub async fn find_by_transaction_id(
    db: &impl ConnectionTrait,
    app_id: i64,
    transaction_id: &str,
) -> Result<Option<order::Model>, DbErr> {
    let Some((_, _, serial)) = split_transaction_id(transaction_id) else {
        return Ok(None);
    };
    let found = find_in_app(db, app_id, serial).await?;
    // The whole id must match, so a serial with another date or appid finds nothing.
    Ok(found.filter(|order| self::transaction_id(order) == transaction_id))
}

/// The order of `app` with primary key `id`, if any.
pub async fn find_in_app(
    db: &impl ConnectionTrait,
    app_id: i64,
    id: i64,
) -> Result<Option<order::Model>, DbErr> {
    static SQL: BuiltOnce = BuiltOnce::new(|backend| {
        order::Entity::find_by_id(0)
            .filter(order::Column::AppId.eq(0))
            .build(backend)
            .sql
    });
    let statement = SQL.statement(db.get_database_backend(), [id.into(), app_id.into()]);
    order::Model::find_by_statement(statement).one(db).await
}

/// The order of `app` with this out_trade_no, if any.
pub async fn find_by_out_trade_no(
    db: &impl ConnectionTrait,
    app_id: i64,
    out_trade_no: &str,
) -> Result<Option<order::Model>, DbErr> {
    static SQL: BuiltOnce = BuiltOnce::new(|backend| {
        order::Entity::find()
            .filter(order::Column::AppId.eq(0))
            .filter(order::Column::OutTradeNo.eq(""))
            .build(backend)
            .sql
    });
    let statement = SQL.statement(db.get_database_backend(), [app_id.into(), out_trade_no.into()]);
    order::Model::find_by_statement(statement).one(db).await
}

/// The SQL of a query that the gateway runs for nearly every request, built by
/// sea-query once per backend instead of on each call (which showed in profiles);
/// each call binds its own values, in the order of the placeholders.
struct BuiltOnce {
    build: fn(DbBackend) -> String,
    sql: [OnceLock<String>; 3],
}

impl BuiltOnce {
    const fn new(build: fn(DbBackend) -> String) -> Self {
        Self {
            build,
            sql: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        }
    }

    fn statement<const N: usize>(&self, backend: DbBackend, values: [sea_orm::Value; N]) -> Statement {
        let slot = match backend {
            DbBackend::Sqlite => 0,
            DbBackend::Postgres => 1,
            DbBackend::MySql => 2,
        };
        let sql = self.sql[slot].get_or_init(|| (self.build)(backend));
        debug_assert_eq!(
            sql.matches(if backend == DbBackend::Postgres { "$" } else { "?" })
                .count(),
            N,
            "one value per placeholder: {sql}"
        );
        Statement::from_sql_and_values(backend, sql.as_str(), values)
    }
}

/// Closes an unpaid order whose time has passed; returns it as it is now.
pub async fn close_if_expired(
    db: &impl ConnectionTrait,
    order: order::Model,
    now: i64,
) -> Result<order::Model, DbErr> {
    if order.trade_state != trade_state::CREATED || order.expires_at > now {
        return Ok(order);
    }
    order::Entity::update_many()
        .col_expr(order::Column::TradeState, trade_state::CLOSED.into())
        .col_expr(order::Column::PayInfo, "closed: the order expired unpaid".into())
        .col_expr(order::Column::UpdatedAt, now.into())
        .filter(order::Column::Id.eq(order.id))
        .filter(order::Column::TradeState.eq(trade_state::CREATED))
        .exec(db)
        .await?;
    order::Entity::find_by_id(order.id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("order {}", order.id)))
}

/// A new order (state *created*) for `app` from validated pay parameters.
pub fn order_row(app: &app::Model, input: &PayInput, scenario: &str, now: i64) -> order::ActiveModel {
    order::ActiveModel {
        isv_id: Set(app.isv_id),
        app_id: Set(app.id),
        appid: Set(app.appid.clone()),
        out_trade_no: Set(input.out_trade_no.clone()),
        total_fee: Set(input.total_fee),
        fee_type: Set("1".into()),
        body: Set(input.body.clone()),
        attach: Set(input.attach.clone()),
        bank_type: Set(input.bank_type.clone()),
        notify_url: Set(input.notify_url.clone()),
        return_url: Set(input.return_url.clone()),
        spbill_create_ip: Set(input.spbill_create_ip.clone()),
        input_charset: Set(input.charset.as_str().into()),
        product_fee: Set(input.product_fee),
        transport_fee: Set(input.transport_fee),
        goods_tag: Set(input.goods_tag.clone()),
        buyer_id: Set(input.buyer_id.clone()),
        time_start: Set(input.time_start.clone()),
        // SPEC §6.1: closed at time_expire, and in any case 2 h after creation.
        expires_at: Set({
            let lifetime_end = now + protocol::DEFAULT_ORDER_LIFETIME_MS;
            input
                .time_expire
                .map_or(lifetime_end, |expire| expire.min(lifetime_end))
        }),
        trade_state: Set(trade_state::CREATED),
        pay_info: Set(String::new()),
        scenario: Set(scenario.into()),
        cashier_token: Set(random_token(24)),
        time_end: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Creates the order for a pay request, or finds the one with the same out_trade_no.
///
/// The unique index on (app, out_trade_no) makes concurrent requests agree on one
/// order. The same total_fee and body give the same order; different ones give
/// 88000009. A closed or expired order gives 88000011, and so does a request whose
/// `time_expire` has passed, unless the order it names was paid or failed before: that
/// one shows its result.
pub async fn create_or_find_order(
    state: &AppState,
    app: &app::Model,
    input: PayInput,
    scenario: &str,
    now: i64,
) -> Result<order::Model, GatewayError> {
    let db = &state.db;
    if input.time_expire.is_some_and(|expire| expire <= now) {
        let settled = find_by_out_trade_no(db, app.id, &input.out_trade_no)
            .await?
            .filter(|order| {
                same_order(order, &input)
                    && matches!(order.trade_state, trade_state::PAID | trade_state::FAILED)
            });
        return settled.ok_or_else(|| {
            GatewayError::new(protocol::ORDER_CLOSED, "order closed: time_expire has passed")
        });
    }
    let row = order_row(app, &input, scenario, now);
    // INSERT … ON CONFLICT DO NOTHING RETURNING *, together with the other new orders
    // of the moment (`OrderBatcher`); no row back means the out_trade_no exists already.
    let inserted = state.new_orders.insert(state, row).await?;
    let order = match inserted {
        Some(order) => order,
        None => {
            let existing = find_by_out_trade_no(db, app.id, &input.out_trade_no)
                .await?
                .ok_or_else(|| GatewayError::busy("conflicting order vanished"))?;
            if !same_order(&existing, &input) {
                return Err(GatewayError::new(
                    protocol::OUT_TRADE_NO_REUSED,
                    format!(
                        "out_trade_no {} is already used with a different total_fee or body",
                        input.out_trade_no
                    ),
                ));
            }
            existing
        }
    };
    let order = close_if_expired(db, order, now).await?;
    if order.trade_state == trade_state::CLOSED {
        return Err(GatewayError::new(
            protocol::ORDER_CLOSED,
            "order closed: it expired unpaid",
        ));
    }
    Ok(order)
}

/// Whether a pay request names `order` again: the same total_fee and body (SPEC §6.1).
fn same_order(order: &order::Model, input: &PayInput) -> bool {
    order.total_fee == input.total_fee && order.body == input.body
}

/// What the tester chose in the cashier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Pay as this sandbox buyer.
    Pay { buyer_id: String },
    /// Simulate a failed payment with this reason.
    Fail { reason: String },
}

/// Moves a created order to paid or failed and queues its notification, atomically.
///
/// Only a created, unexpired order moves; paying a paid order again returns it
/// unchanged (a double click), and anything else is refused.
pub async fn settle(
    db: &DatabaseConnection,
    app: &app::Model,
    order: order::Model,
    settlement: Settlement,
    now: i64,
) -> Result<(order::Model, Option<notification::Model>), GatewayError> {
    let (state, buyer_id, pay_info) = match &settlement {
        Settlement::Pay { buyer_id } => (trade_state::PAID, buyer_id.clone(), String::new()),
        Settlement::Fail { reason } => (trade_state::FAILED, order.buyer_id.clone(), reason.clone()),
    };
    // One round trip: the conditional UPDATE returns the row it moved. The order
    // keeps its notification's notify_id, for the notify query.
    let notify_id = new_notify_id(order.id);
    let mut update = order::Entity::update_many()
        .col_expr(order::Column::TradeState, state.into())
        .col_expr(order::Column::BuyerId, buyer_id.into())
        .col_expr(order::Column::PayInfo, pay_info.into())
        .col_expr(order::Column::TimeEnd, Some(now).into())
        .col_expr(order::Column::UpdatedAt, now.into())
        .col_expr(order::Column::NotifyId, Some(notify_id).into())
        .col_expr(order::Column::NotifiedAt, Some(now).into())
        .filter(order::Column::Id.eq(order.id))
        .filter(order::Column::TradeState.eq(trade_state::CREATED))
        .filter(order::Column::ExpiresAt.gt(now))
        .into_query();
    update.returning_all();
    let statement = db.get_database_backend().build(&update);
    let txn = db.begin().await?;
    if let Some(moved) = order::Entity::find().from_raw_sql(statement).one(&txn).await? {
        let queued = queue_notification(&txn, app, &moved, now).await?;
        txn.commit().await?;
        return Ok((moved, Some(queued)));
    }
    txn.commit().await?;
    // Not moved: a double click, or an order that is no longer payable.
    let current = order::Entity::find_by_id(order.id)
        .one(db)
        .await?
        .ok_or_else(|| GatewayError::busy("settled order vanished"))?;
    let current = close_if_expired(db, current, now).await?;
    match (current.trade_state, &settlement) {
        (trade_state::PAID, Settlement::Pay { .. }) => Ok((current, None)),
        (trade_state::PAID, _) => Err(GatewayError::new(
            protocol::ORDER_CLOSED,
            "the order is already paid; a paid order is final",
        )),
        (trade_state::FAILED, _) => Err(GatewayError::new(
            protocol::ORDER_CLOSED,
            "order closed: its payment failed; start a new order",
        )),
        _ => Err(GatewayError::new(
            protocol::ORDER_CLOSED,
            "order closed or expired",
        )),
    }
}

/// Creates the notification of a settled order; the dispatcher delivers it.
pub async fn queue_notification(
    db: &impl ConnectionTrait,
    app: &app::Model,
    order: &order::Model,
    now: i64,
) -> Result<notification::Model, DbErr> {
    notification_row(&app.notify_method, order, now)?.insert(db).await
}

/// The notification of a settled order, due now (or later for the *delayed*
/// scenario), sent by GET or POST as `notify_method` says. Its notify_id is the one
/// stored on the order when it was settled; an order without one is refused.
pub fn notification_row(
    notify_method: &str,
    order: &order::Model,
    now: i64,
) -> Result<notification::ActiveModel, DbErr> {
    let Some(notify_id) = order.notify_id.clone() else {
        return Err(DbErr::Custom(format!(
            "order {} was settled without a notify_id",
            order.id
        )));
    };
    let params: serde_json::Map<String, serde_json::Value> =
        result_params(&OrderResult::from(order), Some(&notify_id))
            .into_iter()
            .map(|(name, value)| (name.to_owned(), serde_json::Value::String(value.into_owned())))
            .collect();
    Ok(notification::ActiveModel {
        notify_id: Set(notify_id),
        isv_id: Set(order.isv_id),
        app_id: Set(order.app_id),
        order_id: Set(order.id),
        url: Set(order.notify_url.clone()),
        method: Set(if notify_method == "POST" { "POST" } else { "GET" }.into()),
        params: Set(serde_json::Value::Object(params).to_string()),
        status: Set("pending".into()),
        attempts: Set(0),
        next_attempt_at: Set(Some(if order.scenario == super::notify::SCENARIO_DELAYED {
            now + super::notify::DELAYED_FIRST_MS
        } else {
            now
        })),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        scenario: Set(order.scenario.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        delivered_at: Set(None),
        schedule_step: Set(0),
        ..Default::default()
    })
}

/// Sandbox scenarios of a portal test payment (SPEC §7).
pub const SCENARIOS: &[&str] = &["normal", "failure", "duplicate", "delayed"];

/// A portal test payment: an order for one of the ISV's apps, settled at once
/// (paid, or failed for the *failure* scenario), whose notification follows the
/// scenario: *duplicate* is delivered twice, *delayed* waits before its first
/// delivery. `notify_url` overrides the app's.
pub async fn test_payment(
    state: &AppState,
    isv_id: i64,
    appid: &str,
    total_fee: i64,
    body: &str,
    scenario: &str,
    notify_url: Option<&str>,
) -> Result<(order::Model, notification::Model), TestPaymentError> {
    if !SCENARIOS.contains(&scenario) {
        return Err(TestPaymentError::Invalid(TestPaymentField::Scenario));
    }
    if !(1..=MAX_TOTAL_FEE).contains(&total_fee) {
        return Err(TestPaymentError::Invalid(TestPaymentField::Amount));
    }
    if body.trim().is_empty() || body.chars().count() > 128 || !no_controls(body) {
        return Err(TestPaymentError::Invalid(TestPaymentField::Body));
    }
    // The gateway's app cache: one query less per test payment.
    let cached = state
        .apps
        .get(&state.db, &state.master_key, appid)
        .await
        .map_err(GatewayError::busy)?
        .filter(|cached| cached.model.isv_id == isv_id)
        .ok_or(TestPaymentError::NotFound)?;
    let app = &cached.model;
    let notify_url = notify_url
        .filter(|url| !url.trim().is_empty())
        .unwrap_or(&app.notify_url);
    if !valid_url(notify_url) {
        return Err(TestPaymentError::Invalid(TestPaymentField::NotifyUrl));
    }
    let now = state.clock.now_ms();
    let input = PayInput {
        out_trade_no: format!("test-{}", random_token(12)),
        total_fee,
        body: body.trim().to_owned(),
        notify_url: notify_url.to_owned(),
        return_url: app.return_url.clone(),
        spbill_create_ip: "127.0.0.1".into(),
        attach: String::new(),
        bank_type: "DEFAULT".into(),
        time_start: String::new(),
        time_expire: None,
        charset: Charset::Utf8,
        product_fee: None,
        transport_fee: None,
        goods_tag: String::new(),
        buyer_id: String::new(),
    };
    // The order is new (a fresh out_trade_no) and settled at once: it is inserted
    // paid (or failed) with its notification, in one transaction with the other test
    // payments that arrive meanwhile (`PaymentBatcher`).
    let mut row = order_row(app, &input, scenario, now);
    row.time_end = Set(Some(now));
    if scenario == "failure" {
        row.trade_state = Set(trade_state::FAILED);
        row.pay_info = Set("sandbox: test payment with the failure scenario".into());
    } else {
        row.trade_state = Set(trade_state::PAID);
        row.buyer_id = Set("sandbox_buyer_10001".into());
    }
    let (order, queued) = state
        .payments
        .write(state, row, &app.notify_method, now)
        .await
        .map_err(GatewayError::from)?;
    state.wake.notify_one();
    Ok((order, queued))
}

/// A field of a test payment that can break its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestPaymentField {
    /// Not one of [`SCENARIOS`].
    Scenario,
    /// Not 1 to [`MAX_TOTAL_FEE`] fen.
    Amount,
    /// Empty, over 128 characters, or with control characters.
    Body,
    /// Not an absolute http(s) URL of at most 512 characters.
    NotifyUrl,
}

impl TestPaymentField {
    /// The field's name in the form and the protocol.
    pub fn name(self) -> &'static str {
        match self {
            Self::Scenario => "scenario",
            Self::Amount => "amount",
            Self::Body => "body",
            Self::NotifyUrl => "notify_url",
        }
    }
}

/// Why a test payment was not made.
#[derive(Debug, thiserror::Error)]
pub enum TestPaymentError {
    /// Not one of the ISV's apps.
    #[error("app not found")]
    NotFound,
    /// A field breaks its rule (`app::ssr::msg::Msg::TestPaymentRule` words it).
    #[error("{} breaks its rule", .0.name())]
    Invalid(TestPaymentField),
    #[error(transparent)]
    Gateway(#[from] GatewayError),
}

/// The order's result parameters (SPEC §6.1), without the signature fields; text
/// columns are borrowed from `order`.
pub fn result_params<'a>(
    order: &OrderResult<'a>,
    notify_id: Option<&'a str>,
) -> Vec<(&'static str, Cow<'a, str>)> {
    let mut params = Vec::with_capacity(14);
    params.push(("appid", Cow::Borrowed(order.appid)));
    if let Some(notify_id) = notify_id {
        params.push(("notify_id", notify_id.into()));
    }
    params.extend([
        ("out_trade_no", order.out_trade_no.into()),
        ("transaction_id", order.transaction_id().into()),
        ("total_fee", order.total_fee.to_string().into()),
        ("fee_type", order.fee_type.into()),
        ("trade_state", order.trade_state.to_string().into()),
        ("trade_mode", "1".into()),
        ("pay_info", order.pay_info.into()),
        ("bank_type", order.bank_type.into()),
        (
            "time_end",
            order
                .time_end
                .map(protocol::protocol_time)
                .unwrap_or_default()
                .into(),
        ),
        ("attach", order.attach.into()),
        ("buyer_id", order.buyer_id.into()),
        ("input_charset", order.input_charset.into()),
    ]);
    params
}

/// Signs outgoing parameters with the app's current key, adding `sign_type`,
/// `sign_key_index` and `input_charset`; empty values are dropped.
pub fn sign_outgoing(
    state: &AppState,
    app: &app::Model,
    params: impl IntoIterator<Item = (String, String)>,
    charset: Charset,
) -> Result<Params, GatewayError> {
    let key = current_key(&state.master_key, app).map_err(GatewayError::busy)?;
    sign_with_key(key.expose(), app.current_key_index, params, charset)
}

/// Whether an outgoing parameter is signed as the caller gave it: not empty, and not
/// one of the fields the signing itself sets (`sign`, `sign_type`, `sign_key_index`,
/// `input_charset`).
fn signed_as_given(name: &str, value: &str) -> bool {
    !value.is_empty() && !matches!(name, "sign" | "sign_type" | "sign_key_index" | "input_charset")
}

/// [`sign_outgoing`] with an already decrypted key and its slot.
pub fn sign_with_key(
    key: &str,
    key_index: i16,
    params: impl IntoIterator<Item = (String, String)>,
    charset: Charset,
) -> Result<Params, GatewayError> {
    let mut pairs: Vec<(String, String)> = params
        .into_iter()
        .filter(|(name, value)| signed_as_given(name, value))
        .collect();
    pairs.push(("input_charset".into(), charset.as_str().into()));
    pairs.push(("sign_type".into(), "MD5".into()));
    pairs.push(("sign_key_index".into(), key_index.to_string()));
    Params::from_pairs(pairs)
        .map_err(GatewayError::busy)?
        .signed(key)
        .map_err(GatewayError::busy)
}

/// The signed return (or cancel) URL of an order: its return_url plus the result parameters.
pub fn return_url(
    state: &AppState,
    app: &app::Model,
    order: &order::Model,
    notify_id: Option<&str>,
) -> Result<String, GatewayError> {
    let charset = Charset::parse(&order.input_charset).unwrap_or_default();
    let params = sign_outgoing(
        state,
        app,
        result_params(&OrderResult::from(order), notify_id)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_owned())),
        charset,
    )?;
    // The URL as the url crate writes it: percent-encoded, so it is a valid Location header.
    let base = url::Url::parse(&order.return_url)
        .map(String::from)
        .map_err(GatewayError::busy)?;
    Ok(sdk::params::append_query(&base, &params.to_query()))
}

/// An XML answer (SPEC §6.2, §6.3): `<root>` with one element per field, escaped.
pub fn xml_document(fields: &[(&str, &str)]) -> String {
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
    let mut writer = quick_xml::Writer::new(Vec::with_capacity(512));
    // Writing into a Vec cannot fail.
    let write = |writer: &mut quick_xml::Writer<Vec<u8>>, event: Event<'_>| {
        writer.write_event(event).expect("writing XML into memory");
    };
    write(
        &mut writer,
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
    );
    write(&mut writer, Event::Start(BytesStart::new("root")));
    for &(name, value) in fields {
        write(&mut writer, Event::Start(BytesStart::new(name)));
        // Most values have nothing to escape; finding that out with memchr is cheaper
        // than quick-xml's byte-by-byte scan, and the answers are on the hot path.
        let text = if needs_escaping(value) {
            BytesText::new(value)
        } else {
            BytesText::from_escaped(value)
        };
        write(&mut writer, Event::Text(text));
        write(&mut writer, Event::End(BytesEnd::new(name)));
    }
    write(&mut writer, Event::End(BytesEnd::new("root")));
    String::from_utf8(writer.into_inner()).expect("XML of UTF-8 strings is UTF-8")
}

/// Whether `text` holds a character quick-xml escapes in text (`<>&'"`).
fn needs_escaping(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr3(b'<', b'>', b'&', bytes).is_some() || memchr::memchr2(b'\'', b'"', bytes).is_some()
}

/// An unsigned error answer.
pub fn xml_error(err: &GatewayError) -> String {
    xml_document(&[("retcode", &err.retcode.to_string()), ("retmsg", &err.retmsg)])
}

/// A signed success answer: retcode 0, then `fields`, signed over UTF-8 with the
/// app's current key (SPEC §6.2, §6.3). Empty fields are left out, as in every
/// signed parameter set; `sign` comes last.
pub fn xml_success(app: &CachedApp, fields: &[(&str, &str)]) -> Result<String, GatewayError> {
    let key = app
        .current_key()
        .ok_or_else(|| GatewayError::busy(format!("app {} has no current key", app.model.appid)))?;
    let key_index = app.model.current_key_index.to_string();
    let mut signed: Vec<(&str, &str)> = Vec::with_capacity(fields.len() + 6);
    signed.extend([("retcode", "0"), ("retmsg", "ok")]);
    signed.extend(
        fields
            .iter()
            .copied()
            .filter(|&(name, value)| signed_as_given(name, value) && !matches!(name, "retcode" | "retmsg")),
    );
    signed.extend([
        ("input_charset", Charset::Utf8.as_str()),
        ("sign_type", "MD5"),
        ("sign_key_index", key_index.as_str()),
    ]);
    let sign =
        sdk::sign::sign(signed.iter().copied(), key.expose(), Charset::Utf8).map_err(GatewayError::busy)?;
    signed.push(("sign", &sign));
    Ok(xml_document(&signed))
}

/// A lookup through the direct SQLite reads, when the database has them
/// ([`super::sqlite_reads`]); `None` means "ask sea-orm", also when the read failed.
fn direct_read<T>(
    state: &AppState,
    read: impl FnOnce(&SqliteReads) -> Result<T, super::sqlite_reads::Error>,
) -> Option<T> {
    let reads = state.sqlite_reads.as_deref()?;
    read(reads)
        .inspect_err(|err| {
            // At most one line a minute: a read that keeps failing must not flood the log.
            static LAST_WARNED: AtomicI64 = AtomicI64::new(i64::MIN);
            let now = state.clock.now_ms();
            let last = LAST_WARNED.load(Ordering::Relaxed);
            if now.saturating_sub(last) >= 60_000
                && LAST_WARNED
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                tracing::warn!(error = %err, "direct SQLite read failed; asking sea-orm (logged once a minute)");
            }
        })
        .ok()
}

/// `/gateway/normalorderquery.xml`: the order's current fields plus `is_refund`.
pub async fn order_query(state: &AppState, params: &Params, now: i64) -> Result<String, GatewayError> {
    /// What a found order gives: its answer, or that it must be closed first.
    enum Found {
        Answer(String),
        Expired(i64),
    }
    check_required(params, protocol::ORDER_QUERY_PARAMS)?;
    let app = authenticate(state, params, now).await?;
    let app = app.as_ref();
    // Run on the row while it is read (direct reads) or on the loaded model.
    let answer = |order: OrderResult<'_>| {
        if order.trade_state == trade_state::CREATED && order.expires_at <= now {
            return Ok(Found::Expired(order.id));
        }
        order_answer(app, &order).map(Found::Answer)
    };
    let app_id = app.model.id;
    let found = match (
        params.non_empty("transaction_id"),
        params.non_empty("out_trade_no"),
    ) {
        (Some(id), _) => {
            let Some((_, _, serial)) = split_transaction_id(id) else {
                return Err(GatewayError::malformed(
                    "transaction_id",
                    protocol::RULE_TRANSACTION_ID,
                ));
            };
            // The whole id must match, as in find_by_transaction_id.
            let matching = |order: OrderResult<'_>| (order.transaction_id() == id).then(|| answer(order));
            match direct_read(state, |reads| reads.order_by_id(app_id, serial, matching)) {
                Some(found) => found.flatten(),
                None => state
                    .lookups
                    .find(&state.db, Lookup::Id { app_id, id: serial })
                    .await?
                    .as_ref()
                    .and_then(|order| matching(order.into())),
            }
        }
        (None, Some(no)) => {
            if !valid_out_trade_no(no) {
                return Err(GatewayError::malformed(
                    "out_trade_no",
                    protocol::RULE_OUT_TRADE_NO,
                ));
            }
            match direct_read(state, |reads| reads.order_by_out_trade_no(app_id, no, answer)) {
                Some(found) => found,
                None => {
                    let lookup = Lookup::OutTradeNo {
                        app_id,
                        out_trade_no: no.to_owned(),
                    };
                    state
                        .lookups
                        .find(&state.db, lookup)
                        .await?
                        .as_ref()
                        .map(|order| answer(order.into()))
                }
            }
        }
        (None, None) => return Err(GatewayError::missing("out_trade_no")),
    };
    let not_found = || GatewayError::new(protocol::ORDER_NOT_FOUND, "order not found");
    match found.ok_or_else(not_found)?? {
        Found::Answer(xml) => Ok(xml),
        Found::Expired(id) => {
            // Rare: an unpaid order past its expiry is closed now, through its whole row.
            let model = order::Entity::find_by_id(id)
                .one(&state.db)
                .await?
                .ok_or_else(not_found)?;
            let closed = close_if_expired(&state.db, model, now).await?;
            order_answer(app, &OrderResult::from(&closed))
        }
    }
}

/// The order query's signed answer for `order`.
fn order_answer(app: &CachedApp, order: &OrderResult<'_>) -> Result<String, GatewayError> {
    let params = result_params(order, None);
    let mut fields: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_ref())).collect();
    fields.push(("is_refund", "false"));
    xml_success(app, &fields)
}

/// An order with the creation time of one of its notifications.
struct NotifiedOrder(i64, order::Model);

impl FromQueryResult for NotifiedOrder {
    fn from_query_result(row: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        Ok(Self(
            row.try_get(pre, "notification_created_at")?,
            order::Model::from_query_result(row, pre)?,
        ))
    }
}

/// For the notification `notify_id` of app `app_id`: when it was created, and its order.
/// One query, which searches the notify_id index, then reads the order's columns and one
/// of the notification's. Only notify_ids that do not name their order
/// ([`notify_id_order`]) are looked up this way.
pub async fn notified_order(
    db: &impl ConnectionTrait,
    app_id: i64,
    notify_id: &str,
) -> Result<Option<(i64, order::Model)>, DbErr> {
    static SQL: BuiltOnce = BuiltOnce::new(|backend| {
        order::Entity::find()
            .join_rev(JoinType::InnerJoin, notification::Relation::Order.def())
            .column_as(notification::Column::CreatedAt, "notification_created_at")
            .filter(notification::Column::NotifyId.eq(""))
            .filter(notification::Column::AppId.eq(0))
            .build(backend)
            .sql
    });
    let statement = SQL.statement(db.get_database_backend(), [notify_id.into(), app_id.into()]);
    let found = NotifiedOrder::find_by_statement(statement).one(db).await?;
    Ok(found.map(|NotifiedOrder(at, order)| (at, order)))
}

/// `/gateway/verifynotifyid.xml`: the notified order's fields, while the notify_id is valid.
pub async fn notify_query(state: &AppState, params: &Params, now: i64) -> Result<String, GatewayError> {
    check_required(params, protocol::NOTIFY_QUERY_PARAMS)?;
    let app = authenticate(state, params, now).await?;
    let notify_id = params.non_empty("notify_id").unwrap_or_default();
    let invalid = || GatewayError::new(protocol::NOTIFY_ID_INVALID, "notify_id is invalid or expired");
    if !(32..=64).contains(&notify_id.len())
        || !notify_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(invalid());
    }
    let ttl = i64::try_from(state.settings.notify_id_ttl.as_millis()).unwrap_or(i64::MAX);
    let app = app.as_ref();
    // Run on the row while it is read (direct reads) or on the loaded model.
    let answer = |created_at: i64, order: OrderResult<'_>| {
        if now - created_at > ttl {
            return Err(invalid());
        }
        let params = result_params(&order, Some(notify_id));
        let fields: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_ref())).collect();
        xml_success(app, &fields)
    };
    let app_id = app.model.id;
    let found = match notify_id_order(notify_id) {
        // The order named at the end of the notify_id, by its primary key: it holds the
        // notify_id it was notified with and when.
        Some(order_id) => {
            let matching = |stored: Option<&str>, notified_at: Option<i64>, order: OrderResult<'_>| {
                let stored = stored.unwrap_or_default().as_bytes();
                match notified_at {
                    Some(at) if bool::from(stored.ct_eq(notify_id.as_bytes())) => Some(answer(at, order)),
                    _ => None,
                }
            };
            match direct_read(state, |reads| {
                reads.notice_by_order_id(app_id, order_id, matching)
            }) {
                Some(found) => found.flatten(),
                None => state
                    .lookups
                    .find(&state.db, Lookup::Id { app_id, id: order_id })
                    .await?
                    .and_then(|order| {
                        matching(
                            order.notify_id.as_deref(),
                            order.notified_at,
                            OrderResult::from(&order),
                        )
                    }),
            }
        }
        // Older notify_ids: the notification through its notify_id, and its order.
        None => match direct_read(state, |reads| reads.notified_order(app_id, notify_id, answer)) {
            Some(found) => found,
            None => notified_order(&state.db, app_id, notify_id)
                .await?
                .map(|(at, order)| answer(at, OrderResult::from(&order))),
        },
    };
    found.ok_or_else(invalid)?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pay_params(overrides: &[(&str, &str)]) -> Params {
        let mut params = Params::from_pairs([
            ("appid", "1234567890"),
            ("out_trade_no", "A-1_x"),
            ("total_fee", "100"),
            ("body", "tea"),
            ("notify_url", "http://127.0.0.1:9/notify"),
            ("return_url", "https://shop.example/return?x=1"),
            ("spbill_create_ip", "127.0.0.1"),
            ("sign", "X"),
        ])
        .unwrap();
        for (name, value) in overrides {
            params.set(name, *value);
        }
        params
    }

    #[test]
    fn a_valid_pay_request_validates() {
        let input = validate_pay(&pay_params(&[])).unwrap();
        assert_eq!(input.total_fee, 100);
        assert_eq!(input.bank_type, "DEFAULT");
        assert_eq!(input.time_expire, None);
    }

    #[test]
    fn each_rule_names_its_parameter() {
        let cases: &[(&str, &str, u32)] = &[
            ("out_trade_no", "has space", protocol::MALFORMED),
            ("out_trade_no", &"x".repeat(33), protocol::MALFORMED),
            ("total_fee", "0", protocol::MALFORMED),
            ("total_fee", "10000000001", protocol::MALFORMED),
            ("total_fee", "+5", protocol::MALFORMED),
            ("total_fee", "1.5", protocol::MALFORMED),
            ("body", "a\u{0}b", protocol::MALFORMED),
            ("notify_url", "javascript:alert(1)", protocol::MALFORMED),
            ("return_url", "/relative", protocol::MALFORMED),
            ("spbill_create_ip", "1.2.3", protocol::MALFORMED),
            ("attach", &"a".repeat(128), protocol::MALFORMED),
            ("fee_type", "2", protocol::UNSUPPORTED),
            ("time_expire", "20261301000000", protocol::MALFORMED),
            ("product_fee", "60", protocol::MALFORMED),
            ("bank_type", "<script>", protocol::MALFORMED),
        ];
        for (name, value, code) in cases {
            let err = validate_pay(&pay_params(&[(name, value)])).unwrap_err();
            assert_eq!(err.retcode, *code, "{name}={value}");
            assert!(err.retmsg.contains(name), "{name}: {}", err.retmsg);
        }
        let ok = validate_pay(&pay_params(&[("product_fee", "60"), ("transport_fee", "40")])).unwrap();
        assert_eq!(ok.product_fee, Some(60));
    }

    #[test]
    fn required_parameters_are_checked_in_order() {
        let mut params = pay_params(&[]);
        params.set("body", "");
        assert_eq!(
            check_required(&params, protocol::PAY_PARAMS),
            Err(GatewayError::missing("body"))
        );
    }

    #[test]
    fn notify_ids_end_with_their_order_id() {
        for order_id in [0, 42, 9_999_999_999] {
            let id = new_notify_id(order_id);
            assert_eq!(id.len(), NOTIFY_ID_LEN, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            );
            assert_eq!(notify_id_order(&id), Some(order_id), "{id}");
        }
        // Random: two for one order differ.
        assert_ne!(new_notify_id(42)[..32], new_notify_id(42)[..32]);
        // Ids that do not fit 10 digits get 40 random characters, which name no order.
        for order_id in [10_000_000_000, -1] {
            let id = new_notify_id(order_id);
            assert_eq!(id.len(), 40, "{id}");
            assert_eq!(notify_id_order(&id), None);
        }
        let shape = "A".repeat(32);
        assert_eq!(notify_id_order(&format!("{shape}0000000007")), Some(7));
        assert_eq!(notify_id_order(&format!("{shape}000000007x")), None);
        assert_eq!(notify_id_order(&format!("{shape}00000000007")), None);
        assert_eq!(notify_id_order(&format!("{shape}-000000007")), None);
    }

    #[test]
    fn transaction_ids_are_28_digits_and_split_back() {
        let order = order::Model {
            id: 42,
            isv_id: 1,
            app_id: 1,
            appid: "1234567890".into(),
            out_trade_no: "o".into(),
            total_fee: 1,
            fee_type: "1".into(),
            body: "b".into(),
            attach: String::new(),
            bank_type: "DEFAULT".into(),
            notify_url: String::new(),
            return_url: String::new(),
            spbill_create_ip: String::new(),
            input_charset: "UTF-8".into(),
            product_fee: None,
            transport_fee: None,
            goods_tag: String::new(),
            buyer_id: String::new(),
            time_start: String::new(),
            expires_at: 0,
            trade_state: 1,
            pay_info: String::new(),
            scenario: "normal".into(),
            cashier_token: String::new(),
            time_end: None,
            created_at: 1_795_752_000_000,
            updated_at: 0,
            notify_id: None,
            notified_at: None,
        };
        let id = transaction_id(&order);
        assert_eq!(id, "1234567890202611270000000042");
        assert_eq!(split_transaction_id(&id), Some(("1234567890", "20261127", 42)));
        assert_eq!(split_transaction_id("12345"), None);
        for (id, created_at) in [(12_345_678_901, 1_795_752_000_000), (7, 0), (9_999_999_999, -1)] {
            assert_eq!(
                transaction_id_of("1234567890", created_at, id),
                format!(
                    "1234567890{}{:010}",
                    protocol::protocol_date(created_at),
                    id % 10_000_000_000
                )
            );
        }
    }

    #[test]
    fn xml_escapes_values() {
        let xml = xml_document(&[("retmsg", "a<b & \"c\"")]);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><root><retmsg>a&lt;b &amp; &quot;c&quot;</retmsg></root>"
        );
        // Each markup character alone, and text without any, as quick-xml escapes them.
        for value in ["<", ">", "&", "'", "\"", "x<", "'y", "plain text 支付", ""] {
            let expected = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><root><v>{}</v></root>",
                quick_xml::escape::escape(value)
            );
            assert_eq!(xml_document(&[("v", value)]), expected, "{value}");
        }
    }
}

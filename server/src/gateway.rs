//! The gateway's HTTP side (SPEC §6): `/gateway/pay.htm` and its sandbox
//! cashier, and the two XML queries. The rules live in `app::ssr::gateway`.
//!
//! These routes are called by browsers arriving from other sites and by ISV
//! servers, so they sit outside the portal's session and same-origin layers.
//! The cashier's own form is protected by a per-order token instead.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use subtle::ConstantTimeEq;

use app::lang;
use app::protocol::{self, trade_state, yuan};
use app::ssr::db::{app as app_entity, notification, order};
use app::ssr::gateway::{self, GatewayError, Settlement};
use app::ssr::msg::CashierText;
use app::ssr::state::AppState;
use sdk::params::Params;

use crate::BODY_LIMIT;

/// Sandbox buyers the cashier offers.
pub const SANDBOX_BUYERS: [&str; 3] = [
    "sandbox_buyer_10001",
    "sandbox_buyer_10002",
    "sandbox_buyer_10003",
];

/// The gateway's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/gateway/pay.htm", get(pay).post(pay))
        .route("/gateway/cashier", post(cashier))
        .route(
            "/gateway/verifynotifyid.xml",
            get(notify_query).post(notify_query),
        )
        .route(
            "/gateway/normalorderquery.xml",
            get(order_query).post(order_query),
        )
}

/// Why a request body was not read, as a retcode and the HTTP status to answer with:
/// 413 over the limit, 400 for a body that broke off.
fn unreadable_body(rejection: &BytesRejection) -> (StatusCode, GatewayError) {
    let status = rejection.status();
    let retmsg = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "the request body is over 64 KiB"
    } else {
        "the request body could not be read"
    };
    (status, GatewayError::new(protocol::MALFORMED, retmsg))
}

/// The request's parameters: the query string, plus the form body of a POST.
fn read_params(
    text: &CashierText,
    query: Option<&str>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Params, Box<Response>> {
    let failed = |status: StatusCode, err: &GatewayError| {
        let mut response = error_page(text, err);
        *response.status_mut() = status;
        Box::new(response)
    };
    let body = body.map_err(|rejection| {
        let (status, err) = unreadable_body(&rejection);
        failed(status, &err)
    })?;
    let query = query.unwrap_or_default();
    if query.len() > BODY_LIMIT {
        let err = GatewayError::new(protocol::MALFORMED, "the query string is over 64 KiB");
        return Err(failed(StatusCode::PAYLOAD_TOO_LARGE, &err));
    }
    Params::parse_parts(&[query.as_bytes(), &body])
        .map_err(|err| Box::new(error_page(text, &GatewayError::from(err))))
}

/// HTTP status of a browser-facing error page.
fn status_for(retcode: u32) -> StatusCode {
    match retcode {
        protocol::BAD_SIGNATURE | protocol::APP_DISABLED => StatusCode::FORBIDDEN,
        protocol::UNKNOWN_APPID | protocol::ORDER_NOT_FOUND => StatusCode::NOT_FOUND,
        protocol::OUT_TRADE_NO_REUSED => StatusCode::CONFLICT,
        protocol::ORDER_CLOSED => StatusCode::GONE,
        protocol::RATE_LIMITED => StatusCode::TOO_MANY_REQUESTS,
        protocol::SYSTEM_BUSY => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;background:#f4f6f8;color:#1d2733;margin:0}\
main{max-width:34rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 4px #0002}\
h1{font-size:1.4rem;margin-top:0}.sandbox{background:#fff4d6;padding:.5rem .75rem;border-radius:4px}\
dl{display:grid;grid-template-columns:9rem 1fr;gap:.4rem}dt{color:#5b6b7c}dd{margin:0;word-break:break-all}\
.amount{font-size:1.6rem;font-weight:600}.buttons{display:flex;gap:.5rem;flex-wrap:wrap;margin-top:1rem}\
button,a.button{font:inherit;padding:.55rem 1rem;border-radius:4px;border:1px solid #9aa8b6;background:#fff;\
cursor:pointer;color:inherit;text-decoration:none}button.pay{background:#1a73e8;color:#fff;border-color:#1a73e8}\
.error{color:#a0141e}code{background:#eef1f4;padding:0 .25rem}";

fn page(text: &CashierText, title: &str, content: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} · {}</title>\
<style>{STYLE}</style></head><body><main>{content}</main></body></html>",
        text.html_lang,
        escape(title),
        text.title_suffix,
    )
}

/// The cashier's language: the visitor's `lang` cookie, then `Accept-Language`.
fn cashier_text(headers: &HeaderMap) -> CashierText {
    CashierText::new(lang::of_headers(None, headers))
}

/// A browser-facing error: HTML with a 4xx (or 503), the retcode and the retmsg.
fn error_page(text: &CashierText, err: &GatewayError) -> Response {
    let body = page(
        text,
        text.refused_title,
        &format!(
            "<h1>{}</h1><p class=\"error\">retcode <code id=\"retcode\">{}</code></p>\
<p id=\"retmsg\">{}</p><p>{}<a href=\"/docs\">{}</a>{}</p>",
            text.refused_title,
            err.retcode,
            escape(&err.retmsg),
            text.refused_help_before,
            text.refused_help_link,
            text.refused_help_after,
        ),
    );
    let mut response = (status_for(err.retcode), Html(body)).into_response();
    insert_page_headers(&mut response);
    response
}

fn insert_no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// The headers of the cashier's pages: not cached, and never framed by another site,
/// where a hidden cashier could be clicked through to *Pay*.
fn insert_page_headers(response: &mut Response) {
    insert_no_store(response);
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

fn xml(body: String) -> Response {
    let mut response = (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=UTF-8"),
        )],
        body,
    )
        .into_response();
    insert_no_store(&mut response);
    response
}

/// `GET|POST /gateway/pay.htm`: validates, creates or finds the order, shows the cashier.
pub async fn pay(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let text = cashier_text(&headers);
    let params = match read_params(&text, query.as_deref(), body) {
        Ok(params) => params,
        Err(response) => return *response,
    };
    match pay_inner(&state, &text, &params).await {
        Ok(response) => response,
        Err(err) => error_page(&text, &err),
    }
}

async fn pay_inner(state: &AppState, text: &CashierText, params: &Params) -> Result<Response, GatewayError> {
    let now = state.clock.now_ms();
    gateway::check_required(params, protocol::PAY_PARAMS)?;
    let cached = gateway::authenticate(state, params, now).await?;
    let app = &cached.model;
    let input = gateway::validate_pay(params)?;
    let order = gateway::create_or_find_order(state, app, input, "normal", now).await?;
    order_page(state, text, app, &order).await
}

/// The cashier for a created order; a result page for a settled one.
async fn order_page(
    state: &AppState,
    text: &CashierText,
    app: &app_entity::Model,
    order: &order::Model,
) -> Result<Response, GatewayError> {
    let transaction_id = gateway::transaction_id(order);
    let details = format!(
        "<dl><dt>{}</dt><dd id=\"app-name\">{}</dd><dt>{}</dt><dd id=\"body\">{}</dd>\
<dt>{}</dt><dd class=\"amount\" id=\"amount\">{}</dd><dt>{}</dt><dd id=\"out-trade-no\">{}</dd>\
<dt>{}</dt><dd id=\"transaction-id\">{}</dd></dl>",
        text.app,
        escape(&app.name),
        text.item,
        escape(&order.body),
        text.amount,
        yuan(order.total_fee),
        text.order_no,
        escape(&order.out_trade_no),
        text.transaction,
        transaction_id,
    );
    let banner = format!("<p class=\"sandbox\">{}</p>", text.banner);
    let html = if order.trade_state == trade_state::CREATED {
        let mut buyers = String::new();
        let requested = order.buyer_id.as_str();
        if !requested.is_empty() && !SANDBOX_BUYERS.contains(&requested) {
            buyers.push_str(&format!(
                "<option value=\"{0}\" selected>{0} {1}</option>",
                escape(requested),
                text.from_request,
            ));
        }
        for (id, label) in SANDBOX_BUYERS.iter().zip(text.buyers) {
            let selected = if *id == requested { " selected" } else { "" };
            buyers.push_str(&format!("<option value=\"{id}\"{selected}>{label}</option>"));
        }
        page(
            text,
            text.pay_title,
            &format!(
                "<h1>{}</h1>{banner}{details}\
<form method=\"post\" action=\"/gateway/cashier\">\
<input type=\"hidden\" name=\"transaction_id\" value=\"{transaction_id}\">\
<input type=\"hidden\" name=\"token\" value=\"{}\">\
<label>{} <select name=\"buyer_id\">{buyers}</select></label>\
<div class=\"buttons\"><button class=\"pay\" name=\"action\" value=\"pay\">{}</button>\
<button name=\"action\" value=\"fail\">{}</button>\
<button name=\"action\" value=\"cancel\">{}</button></div></form>",
                text.cashier_title,
                escape(&order.cashier_token),
                text.pay_as,
                text.pay(&yuan(order.total_fee)),
                text.simulate_failure,
                text.cancel,
            ),
        )
    } else {
        let notification = latest_notification(state, order.id).await?;
        let back = gateway::return_url(
            state,
            app,
            order,
            notification.as_ref().map(|n| n.notify_id.as_str()),
        )?;
        let (title, state_text) = match order.trade_state {
            trade_state::PAID => (text.paid_title, text.paid_text),
            trade_state::FAILED => (text.failed_title, text.failed_text),
            _ => (text.closed_title, text.closed_text),
        };
        page(
            text,
            title,
            &format!(
                "<h1>{title}</h1><p id=\"state\">{state_text}</p>{details}\
<p><a class=\"button\" id=\"back\" href=\"{}\">{}</a></p>",
                escape(&back),
                text.back,
            ),
        )
    };
    let mut response = Html(html).into_response();
    insert_page_headers(&mut response);
    Ok(response)
}

async fn latest_notification(
    state: &AppState,
    order_id: i64,
) -> Result<Option<notification::Model>, GatewayError> {
    Ok(notification::Entity::find()
        .filter(notification::Column::OrderId.eq(order_id))
        .order_by_desc(notification::Column::Id)
        .one(&state.db)
        .await?)
}

/// The cashier form as posted.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CashierForm {
    pub transaction_id: String,
    pub token: String,
    pub action: String,
    pub buyer_id: String,
}

/// `POST /gateway/cashier`: pay, simulate a failure, or cancel; then 302 to return_url.
pub async fn cashier(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let text = cashier_text(&headers);
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let (status, err) = unreadable_body(&rejection);
            let mut response = error_page(&text, &err);
            *response.status_mut() = status;
            return response;
        }
    };
    let form: CashierForm = match serde_urlencoded_form(&body) {
        Some(form) => form,
        None => {
            return error_page(
                &text,
                &GatewayError::malformed("cashier form", "the form the cashier page posts"),
            );
        }
    };
    match cashier_inner(&state, &text, form).await {
        Ok(response) => response,
        Err(err) => error_page(&text, &err),
    }
}

fn serde_urlencoded_form(body: &[u8]) -> Option<CashierForm> {
    let params = Params::parse(body).ok()?;
    let get = |name: &str| params.get(name).unwrap_or_default().to_owned();
    Some(CashierForm {
        transaction_id: get("transaction_id"),
        token: get("token"),
        action: get("action"),
        buyer_id: get("buyer_id"),
    })
}

async fn cashier_inner(
    state: &AppState,
    text: &CashierText,
    form: CashierForm,
) -> Result<Response, GatewayError> {
    let now = state.clock.now_ms();
    let not_found = || GatewayError::new(protocol::ORDER_NOT_FOUND, "order not found");
    let (appid, _, _) = gateway::split_transaction_id(&form.transaction_id).ok_or_else(not_found)?;
    let app = app_entity::Entity::find()
        .filter(app_entity::Column::Appid.eq(appid))
        .filter(app_entity::Column::DeletedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    let order = gateway::find_by_transaction_id(&state.db, app.id, &form.transaction_id)
        .await?
        .ok_or_else(not_found)?;
    // The token is only on this order's cashier page: a form from another site cannot know it.
    if !bool::from(order.cashier_token.as_bytes().ct_eq(form.token.as_bytes())) {
        return Err(GatewayError::new(
            protocol::BAD_SIGNATURE,
            "the cashier form's token does not match this order; pay from the cashier page",
        ));
    }
    if app.status != "active" {
        return Err(GatewayError::new(
            protocol::APP_DISABLED,
            format!("app {appid} is disabled"),
        ));
    }
    let settlement = match form.action.as_str() {
        "pay" => {
            let known = SANDBOX_BUYERS.contains(&form.buyer_id.as_str())
                || (!order.buyer_id.is_empty() && form.buyer_id == order.buyer_id);
            if !known {
                return Err(GatewayError::malformed(
                    "buyer_id",
                    "one of the sandbox buyers the cashier offers",
                ));
            }
            Settlement::Pay {
                buyer_id: form.buyer_id.clone(),
            }
        }
        "fail" => Settlement::Fail {
            reason: "sandbox: payment failed (simulated in the cashier)".into(),
        },
        "cancel" => {
            let order = gateway::close_if_expired(&state.db, order, now).await?;
            let back = gateway::return_url(state, &app, &order, None)?;
            return Ok(redirect(text, &back));
        }
        _ => return Err(GatewayError::malformed("action", "pay, fail or cancel")),
    };
    let (order, queued) = gateway::settle(&state.db, &app, order, settlement, now).await?;
    if queued.is_some() {
        state.wake.notify_one();
    }
    let notify_id = match queued {
        Some(notification) => Some(notification.notify_id),
        None => latest_notification(state, order.id).await?.map(|n| n.notify_id),
    };
    let back = gateway::return_url(state, &app, &order, notify_id.as_deref())?;
    Ok(redirect(text, &back))
}

/// A 302 to `location` (the protocol's return redirect).
fn redirect(text: &CashierText, location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = StatusCode::FOUND.into_response();
            response.headers_mut().insert(header::LOCATION, value);
            insert_no_store(&mut response);
            response
        }
        Err(_) => error_page(
            text,
            &GatewayError::busy(format!("return URL is not a valid header: {location:?}")),
        ),
    }
}

/// `GET|POST /gateway/normalorderquery.xml`.
pub async fn order_query(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    xml_endpoint(&state, query.as_deref(), body, |state, params, now| {
        Box::pin(gateway::order_query(state, params, now))
    })
    .await
}

/// `GET|POST /gateway/verifynotifyid.xml`.
pub async fn notify_query(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    xml_endpoint(&state, query.as_deref(), body, |state, params, now| {
        Box::pin(gateway::notify_query(state, params, now))
    })
    .await
}

type XmlFuture<'a> = std::pin::Pin<Box<dyn Future<Output = Result<String, GatewayError>> + Send + 'a>>;

async fn xml_endpoint(
    state: &AppState,
    query: Option<&str>,
    body: Result<Bytes, BytesRejection>,
    handler: impl for<'a> FnOnce(&'a AppState, &'a Params, i64) -> XmlFuture<'a>,
) -> Response {
    // SPEC §6: the XML APIs always answer HTTP 200, oversized input included, so that a
    // client reads the retcode (the SDK's client refuses other statuses).
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return xml(gateway::xml_error(&unreadable_body(&rejection).1)),
    };
    if query.is_some_and(|query| query.len() > BODY_LIMIT) {
        let err = GatewayError::new(protocol::MALFORMED, "the query string is over 64 KiB");
        return xml(gateway::xml_error(&err));
    }
    let params = match Params::parse_parts(&[query.unwrap_or_default().as_bytes(), &body]) {
        Ok(params) => params,
        Err(err) => return xml(gateway::xml_error(&GatewayError::from(err))),
    };
    match handler(state, &params, state.clock.now_ms()).await {
        Ok(body) => xml(body),
        Err(err) => xml(gateway::xml_error(&err)),
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape("<a href='x'>\"&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;&quot;&lt;/a&gt;"
        );
    }
}

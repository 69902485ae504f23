//! The sandbox console's reads: transactions and notifications, ISV-scoped.
//! Another ISV's transaction or notify_id answers 404, like one that does not exist.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{
    Dashboard, InboxPage, NotificationPage, NotificationView, SignatureCheck, TransactionDetail,
    TransactionPage,
};

#[cfg(feature = "ssr")]
fn console_error(err: crate::ssr::console::ConsoleError) -> AppError {
    use crate::ssr::console::ConsoleError;
    match err {
        ConsoleError::Invalid(message) => AppError::Invalid(message),
        ConsoleError::NotFound => AppError::not_found(),
        ConsoleError::Db(err) => AppError::internal(err),
    }
}

/// One page of transactions, newest first. Empty filters mean "any"; `q` is an
/// exact out_trade_no or transaction_id; `from`/`to` are `YYYY-MM-DD` (UTC+8).
#[server(endpoint = "list_transactions")]
pub async fn list_transactions(
    appid: String,
    state: String,
    from: String,
    to: String,
    q: String,
    before: Option<i64>,
) -> Result<TransactionPage, AppError> {
    use crate::ssr::console::{TransactionFilter, transactions};
    use crate::ssr::session::request_context;
    let (app_state, _, user) = request_context()?;
    let filter = TransactionFilter {
        appid,
        state,
        from,
        to,
        q,
        before,
    };
    transactions(&app_state.db, user.isv_id, &filter)
        .await
        .map_err(console_error)
}

/// One transaction with its notifications and their attempts.
#[server(endpoint = "get_transaction")]
pub async fn get_transaction(transaction_id: String) -> Result<TransactionDetail, AppError> {
    use crate::ssr::session::request_context;
    let (state, parts, user) = request_context()?;
    let mut detail = crate::ssr::console::transaction(&state, user.isv_id, &transaction_id)
        .await
        .map_err(console_error)?;
    let locale = crate::lang::of_request(&parts);
    for notification in &mut detail.notifications {
        crate::ssr::hint::localize(&mut notification.attempt_log, locale);
    }
    Ok(detail)
}

/// One page of notifications, newest first; `status` is empty, pending, delivered or failed.
#[server(endpoint = "list_notifications")]
pub async fn list_notifications(status: String, before: Option<i64>) -> Result<NotificationPage, AppError> {
    use crate::ssr::session::request_context;
    let (state, _, user) = request_context()?;
    crate::ssr::console::notifications(&state.db, user.isv_id, &status, before, state.clock.now_ms())
        .await
        .map_err(console_error)
}

/// One notification with its attempts.
#[server(endpoint = "get_notification")]
pub async fn get_notification(notify_id: String) -> Result<NotificationView, AppError> {
    use crate::ssr::session::request_context;
    let (state, parts, user) = request_context()?;
    let mut view =
        crate::ssr::console::notification(&state.db, user.isv_id, &notify_id, state.clock.now_ms())
            .await
            .map_err(console_error)?;
    crate::ssr::hint::localize(&mut view.attempt_log, crate::lang::of_request(&parts));
    Ok(view)
}

/// The signature debugger: pasted parameters (a URL, a query string or a form
/// body) checked against one of the ISV's apps.
#[server(endpoint = "check_signature")]
pub async fn check_signature(appid: String, input: String) -> Result<SignatureCheck, AppError> {
    use crate::ssr::session::request_context;
    let (state, parts, user) = request_context()?;
    let locale = crate::lang::of_request(&parts);
    crate::ssr::signature::check(&state, user.isv_id, &appid, &input, locale)
        .await
        .map_err(AppError::from_apps)
}

/// The ISV's inboxes and a page of what they received, newest first; `appid`
/// (empty for all) must be one of the ISV's apps.
#[server(endpoint = "list_inbox")]
pub async fn list_inbox(appid: String, before: Option<i64>) -> Result<InboxPage, AppError> {
    use crate::ssr::inbox::{InboxError, page};
    use crate::ssr::session::request_context;
    let (state, _, user) = request_context()?;
    page(
        &state.db,
        &state.settings.public_url,
        user.isv_id,
        &appid,
        before,
        state.clock.now_ms(),
    )
    .await
    .map_err(|err| match err {
        InboxError::NotFound => AppError::not_found(),
        InboxError::Invalid(message) => AppError::Invalid(message),
        InboxError::Db(err) => AppError::internal(err),
    })
}

/// The dashboard: per-app counts and the last 14 days of payments and notifications.
#[server(endpoint = "get_dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    use crate::ssr::session::request_context;
    let (state, _, user) = request_context()?;
    crate::ssr::dashboard::dashboard(&state.db, user.isv_id, state.clock.now_ms())
        .await
        .map_err(AppError::internal)
}

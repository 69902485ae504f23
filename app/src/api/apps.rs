//! Apps and the audit log, read through ISV-scoped server functions.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{AppDetail, AppSummary, AuditPage};

/// The logged-in ISV's apps, newest first.
#[server(endpoint = "list_apps")]
pub async fn list_apps() -> Result<Vec<AppSummary>, AppError> {
    use crate::ssr::{apps, session::request_context};
    let (state, _, user) = request_context()?;
    apps::list(&state.db, user.isv_id)
        .await
        .map_err(AppError::internal)
}

/// One of the ISV's apps; 404 for any other appid, existing or not.
///
/// Right after an explicit reveal (a one-time grant in the session), the answer
/// includes the current key in clear.
#[server(endpoint = "get_app")]
pub async fn get_app(appid: String) -> Result<AppDetail, AppError> {
    use crate::ssr::{
        apps, now_ms,
        session::{request_context, take_reveal_grant},
    };
    let (state, parts, user) = request_context()?;
    let model = apps::find(&state.db, user.isv_id, &appid)
        .await
        .map_err(AppError::from_apps)?;
    let revealed = take_reveal_grant(&parts, &appid).await?;
    let mut detail =
        apps::detail(&state.master_key, model, revealed, now_ms()).map_err(AppError::from_apps)?;
    detail.demo_receipts = apps::demo_receipts(&state.db, &appid)
        .await
        .map_err(AppError::internal)?;
    Ok(detail)
}

/// One page of the ISV's audit log, newest first, older than entry `before`.
#[server(endpoint = "list_audit")]
pub async fn list_audit(before: Option<i64>) -> Result<AuditPage, AppError> {
    use crate::ssr::{audit, session::request_context};
    let (state, _, user) = request_context()?;
    audit::page(&state.db, user.isv_id, before)
        .await
        .map_err(AppError::internal)
}

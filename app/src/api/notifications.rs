//! Notifications and test payments: the actions the sandbox console calls.
//! Every one is scoped to the logged-in ISV; anything else is 404.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::{AttemptView, TestPayment};

/// Makes a test payment for one of the ISV's apps with a sandbox scenario:
/// `normal`, `failure`, `duplicate` (the notification is delivered twice) or
/// `delayed` (its first delivery waits 30 s). `notify_url` overrides the app's.
#[server(endpoint = "create_test_payment")]
pub async fn create_test_payment(
    appid: String,
    total_fee: i64,
    body: String,
    scenario: String,
    notify_url: Option<String>,
) -> Result<TestPayment, AppError> {
    use crate::ssr::gateway::{self, TestPaymentError};
    use crate::ssr::session::request_context;
    let (state, parts, user) = request_context()?;
    let result = gateway::test_payment(
        &state,
        user.isv_id,
        &appid,
        total_fee,
        &body,
        &scenario,
        notify_url.as_deref(),
    )
    .await;
    match result {
        Ok((order, notification)) => Ok(TestPayment {
            transaction_id: gateway::transaction_id(&order),
            out_trade_no: order.out_trade_no,
            notify_id: notification.notify_id,
        }),
        Err(TestPaymentError::NotFound) => Err(AppError::not_found()),
        Err(TestPaymentError::Invalid(field)) => Err(AppError::Invalid(
            crate::ssr::msg::Msg::TestPaymentRule(field).text(crate::lang::of_request(&parts)),
        )),
        Err(TestPaymentError::Gateway(err)) => Err(AppError::Invalid(err.retmsg)),
    }
}

/// "Resend now": one manual attempt at once; returns how it went.
#[server(endpoint = "resend_notification")]
pub async fn resend_notification(notify_id: String) -> Result<AttemptView, AppError> {
    use crate::ssr::notify::{NotifyError, resend_now};
    use crate::ssr::session::request_context;
    let (state, parts, user) = request_context()?;
    match resend_now(&state, user.isv_id, &notify_id).await {
        Ok(attempt) => Ok(AttemptView {
            attempt_no: attempt.attempt_no,
            manual: attempt.manual,
            started_at: attempt.started_at,
            duration_ms: attempt.duration_ms,
            response_status: attempt.response_status,
            outcome: attempt.outcome,
            hint: crate::ssr::hint::hint_text(&attempt.hint, crate::lang::of_request(&parts)),
        }),
        Err(NotifyError::NotFound) => Err(AppError::not_found()),
        Err(NotifyError::Db(err)) => Err(AppError::internal(err)),
    }
}

/// "Restart schedule": the notification is pending again from the first step, due now.
#[server(endpoint = "restart_notification")]
pub async fn restart_notification(notify_id: String) -> Result<(), AppError> {
    use crate::ssr::notify::{NotifyError, restart_schedule};
    use crate::ssr::session::request_context;
    let (state, _, user) = request_context()?;
    match restart_schedule(&state, user.isv_id, &notify_id).await {
        Ok(()) => Ok(()),
        Err(NotifyError::NotFound) => Err(AppError::not_found()),
        Err(NotifyError::Db(err)) => Err(AppError::internal(err)),
    }
}

//! The console's form posts (they work without JavaScript): test payments and
//! the manual notification actions. Each answers a 303 with a flash message.

use std::collections::BTreeMap;

use axum::Extension;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use app::i18n::Locale;
use app::ssr::gateway::{self, TestPaymentError};
use app::ssr::hint::hint_text;
use app::ssr::msg::Msg;
use app::ssr::notify::{NotifyError, resend_now, restart_schedule};
use app::ssr::state::AppState;
use app::types::Flash;

use super::LoggedIn;
use super::auth::flash_and_redirect;

/// The test payment form as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TestPaymentForm {
    pub appid: String,
    /// Yuan, e.g. `12.34`.
    pub amount: String,
    pub body: String,
    pub scenario: String,
    pub notify_url: String,
    /// `direct` (paid at once) or `cashier` (through the sandbox cashier).
    pub mode: String,
}

/// `12.34` (yuan, at most two decimals) as fen.
pub fn parse_yuan(text: &str) -> Option<i64> {
    let text = text.trim().trim_start_matches('¥');
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || whole.len() > 9 || fraction.len() > 2 {
        return None;
    }
    if !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fen = whole.parse::<i64>().ok()? * 100 + format!("{fraction:0<2}").parse::<i64>().ok()?;
    (fen >= 1).then_some(fen)
}

/// `POST /test-payments`.
pub async fn test_payment(
    State(state): State<AppState>,
    LoggedIn(user, _): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Form(form): Form<TestPaymentForm>,
) -> Response {
    let values: BTreeMap<String, String> = [
        ("appid", &form.appid),
        ("amount", &form.amount),
        ("body", &form.body),
        ("scenario", &form.scenario),
        ("notify_url", &form.notify_url),
        ("mode", &form.mode),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.clone()))
    .collect();
    let again = |field: &str, message: String| Flash {
        error: Msg::FixFields.text(locale),
        values: values.clone(),
        field_errors: BTreeMap::from([(field.to_owned(), message)]),
        ..Flash::default()
    };
    let Some(total_fee) = parse_yuan(&form.amount) else {
        let flash = again("amount", Msg::AmountInvalid.text(locale));
        return flash_and_redirect(&session, flash, "/test-payments").await;
    };
    if form.mode == "cashier" {
        return match cashier_url(&state, user.isv_id, &form, total_fee, locale).await {
            Ok(url) => Redirect::to(&url).into_response(),
            Err((field, message)) => {
                flash_and_redirect(&session, again(field, message), "/test-payments").await
            }
        };
    }
    let scenario = if form.scenario.is_empty() {
        "normal"
    } else {
        form.scenario.as_str()
    };
    let notify_url = Some(form.notify_url.as_str());
    match gateway::test_payment(
        &state,
        user.isv_id,
        &form.appid,
        total_fee,
        &form.body,
        scenario,
        notify_url,
    )
    .await
    {
        Ok((order, _)) => {
            let notice = Flash::notice(Msg::TestPaymentMade(scenario.to_owned()).text(locale));
            let to = format!("/transactions/{}", gateway::transaction_id(&order));
            flash_and_redirect(&session, notice, &to).await
        }
        Err(TestPaymentError::NotFound) => {
            flash_and_redirect(
                &session,
                again("appid", Msg::PickApp.text(locale)),
                "/test-payments",
            )
            .await
        }
        Err(TestPaymentError::Invalid(field)) => {
            let message = Msg::TestPaymentRule(field).text(locale);
            flash_and_redirect(&session, again(field.name(), message), "/test-payments").await
        }
        Err(TestPaymentError::Gateway(err)) => {
            flash_and_redirect(&session, again("body", err.retmsg), "/test-payments").await
        }
    }
}

/// A signed pay URL for the app, returning to the portal's transaction list.
async fn cashier_url(
    state: &AppState,
    isv_id: i64,
    form: &TestPaymentForm,
    total_fee: i64,
    locale: Locale,
) -> Result<String, (&'static str, String)> {
    let app = app::ssr::apps::find(&state.db, isv_id, &form.appid)
        .await
        .map_err(|_| ("appid", Msg::PickApp.text(locale)))?;
    let key = app::ssr::apps::current_key(&state.master_key, &app)
        .map_err(|_| ("appid", Msg::KeyUnreadable.text(locale)))?;
    let notify_url = if form.notify_url.trim().is_empty() {
        app.notify_url.clone()
    } else {
        form.notify_url.trim().to_owned()
    };
    let out_trade_no = format!("test-{}", gateway::random_token(12));
    let body = if form.body.trim().is_empty() {
        "Test payment"
    } else {
        form.body.trim()
    };
    let return_url = format!("{}/transactions?q={out_trade_no}", state.settings.public_url);
    sdk::pay::PayRequest::new(&app.appid, key.expose())
        .out_trade_no(&out_trade_no)
        .total_fee(u64::try_from(total_fee).unwrap_or_default())
        .body(body)
        .notify_url(notify_url)
        .return_url(return_url)
        .spbill_create_ip("127.0.0.1")
        .sign_key_index(u8::try_from(app.current_key_index).unwrap_or(1))
        .url(&state.settings.public_url)
        .map_err(|err| ("body", err.to_string()))
}

fn not_found(locale: Locale, err: NotifyError) -> Response {
    match err {
        NotifyError::NotFound => (
            axum::http::StatusCode::NOT_FOUND,
            Msg::NotificationNotFound.text(locale),
        )
            .into_response(),
        NotifyError::Db(err) => super::internal_error("notification action failed", &err),
    }
}

/// `POST /notifications/{notify_id}/resend`.
pub async fn resend(
    State(state): State<AppState>,
    LoggedIn(user, _): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Path(notify_id): Path<String>,
) -> Response {
    match resend_now(&state, user.isv_id, &notify_id).await {
        Ok(attempt) => {
            let text = if attempt.outcome == "delivered" {
                Msg::ResentDelivered
            } else {
                Msg::ResentFailed(hint_text(&attempt.hint, locale))
            }
            .text(locale);
            flash_and_redirect(
                &session,
                Flash::notice(text),
                &format!("/notifications/{notify_id}"),
            )
            .await
        }
        Err(err) => not_found(locale, err),
    }
}

/// `POST /notifications/{notify_id}/restart`.
pub async fn restart(
    State(state): State<AppState>,
    LoggedIn(user, _): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Path(notify_id): Path<String>,
) -> Response {
    match restart_schedule(&state, user.isv_id, &notify_id).await {
        Ok(()) => {
            let notice = Flash::notice(Msg::ScheduleRestarted.text(locale));
            flash_and_redirect(&session, notice, &format!("/notifications/{notify_id}")).await
        }
        Err(err) => not_found(locale, err),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_yuan;

    #[test]
    fn yuan_amounts_parse_to_fen() {
        assert_eq!(parse_yuan("12.34"), Some(1234));
        assert_eq!(parse_yuan("12.3"), Some(1230));
        assert_eq!(parse_yuan("¥5"), Some(500));
        assert_eq!(parse_yuan("0.01"), Some(1));
        for bad in ["", "0", "0.00", "1.234", "-1", "1e3", "abc", "12,34"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
    }
}

/// The inbox answer form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InboxAnswerForm {
    pub answer: String,
}

/// `POST /apps/{appid}/inbox`: `answer=success|fail|html`, then back to `/inbox`.
pub async fn set_inbox_answer(
    State(state): State<AppState>,
    LoggedIn(user, ip): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Path(appid): Path<String>,
    Form(form): Form<InboxAnswerForm>,
) -> Response {
    use app::ssr::inbox::{InboxError, set_answer};
    let actor = app::ssr::audit::Actor { user: &user, ip: &ip };
    match set_answer(&state.db, actor, &appid, &form.answer, state.clock.now_ms()).await {
        Ok(()) => {
            let notice = Flash::notice(
                Msg::InboxAnswerSet {
                    appid: appid.clone(),
                    answer: form.answer.clone(),
                }
                .text(locale),
            );
            flash_and_redirect(&session, notice, "/inbox").await
        }
        Err(InboxError::Invalid(message)) => {
            let flash = Flash {
                error: message,
                ..Flash::default()
            };
            flash_and_redirect(&session, flash, "/inbox").await
        }
        Err(InboxError::NotFound) => {
            (axum::http::StatusCode::NOT_FOUND, Msg::AppNotFound.text(locale)).into_response()
        }
        Err(InboxError::Db(err)) => super::internal_error("cannot set an inbox's answer", &err),
    }
}

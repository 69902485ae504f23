//! Sign-up, login and logout: plain form posts answered with 303 redirects,
//! so they work without JavaScript.

use std::net::SocketAddr;

use axum::Extension;
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use app::i18n::Locale;
use app::ssr::auth::{Email, IsvName, LoginError, Password, SignupError, authenticate, create_account};
use app::ssr::msg::Msg;
use app::ssr::session::{FLASH_KEY, USER_ID_KEY};
use app::ssr::state::AppState;
use app::types::{CurrentUser, Flash};

/// The sign-up form; missing fields read as empty and fail validation.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignupForm {
    email: String,
    password: String,
    isv_name: String,
}

/// The login form; `next` is where to go afterwards.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

/// `POST /signup`: creates the ISV and its user, logs in, and goes to `/apps`.
pub async fn signup(
    State(state): State<AppState>,
    Extension(locale): Extension<Locale>,
    session: Session,
    Form(form): Form<SignupForm>,
) -> Response {
    let again = |error: String| Flash {
        error,
        values: [("email", &form.email), ("isv_name", &form.isv_name)]
            .into_iter()
            .map(|(field, value)| (field.to_owned(), value.trim().to_owned()))
            .collect(),
        ..Flash::default()
    };
    let parsed = (
        Email::parse(&form.email),
        IsvName::parse(&form.isv_name),
        Password::parse(form.password.clone()),
    );
    let (email, isv_name, password) = match parsed {
        (Ok(email), Ok(name), Ok(password)) => (email, name, password),
        (email, name, password) => {
            let errors: Vec<String> = [email.err(), name.err(), password.err()]
                .into_iter()
                .flatten()
                .map(|message| message.text(locale))
                .collect();
            return flash_and_redirect(&session, again(errors.join(" ")), "/signup").await;
        }
    };
    match create_account(&state.db, email, isv_name, password).await {
        Ok(user) => log_in(&state, locale, &session, &user, "/apps").await,
        Err(SignupError::DuplicateEmail) => {
            flash_and_redirect(&session, again(Msg::DuplicateEmail.text(locale)), "/signup").await
        }
        Err(SignupError::Internal(err)) => {
            tracing::error!(%err, "sign-up failed");
            flash_and_redirect(&session, again(Msg::GenericError.text(locale)), "/signup").await
        }
    }
}

/// `POST /login`: checks the credentials (throttled) and goes to `next` or `/apps`.
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(locale): Extension<Locale>,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(&form.next);
    match authenticate(&state.db, &form.email, form.password, &peer.ip().to_string()).await {
        Ok(user) => {
            tracing::info!(user_id = user.user_id, "login");
            log_in(&state, locale, &session, &user, next).await
        }
        Err(err) => {
            let message = match &err {
                LoginError::Internal(detail) => {
                    tracing::error!(%detail, "login failed");
                    Msg::GenericError
                }
                LoginError::InvalidCredentials => Msg::WrongCredentials,
                LoginError::Throttled => Msg::Throttled,
            };
            let mut flash = Flash::error(message.text(locale));
            flash.values.insert("email".into(), form.email.trim().to_owned());
            let back = if next == "/apps" {
                "/login".to_owned()
            } else {
                let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                format!("/login?next={encoded}")
            };
            flash_and_redirect(&session, flash, &back).await
        }
    }
}

/// `POST /logout`: ends the session.
pub async fn logout(session: Session) -> Response {
    if let Err(err) = session.flush().await {
        tracing::error!(%err, "cannot end the session");
    }
    Redirect::to("/login").into_response()
}

/// Only same-site paths are followed after login (no open redirect).
fn safe_next(next: &str) -> &str {
    if is_local_path(next) && next != "/" {
        next
    } else {
        "/apps"
    }
}

/// A path on this site: `/…`, not `//host`, and with no backslash, whitespace or
/// control character (browsers drop tabs and newlines from a `Location`, so
/// `/<tab>/evil.example` would become `//evil.example`).
pub fn is_local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

async fn log_in(
    state: &AppState,
    locale: Locale,
    session: &Session,
    user: &CurrentUser,
    to: &str,
) -> Response {
    let secure = state.settings.secure_cookies();
    // A fresh id at login defeats session fixation.
    let stored = async {
        session.cycle_id().await?;
        session.insert(USER_ID_KEY, user.user_id).await
    };
    if let Err(err) = stored.await {
        tracing::error!(%err, "cannot store the session");
        return flash_and_redirect(session, Flash::error(Msg::GenericError.text(locale)), "/login").await;
    }
    // The user's language outlives the session in this browser (the login page after logout).
    match user.locale.as_deref().and_then(app::lang::parse) {
        Some(locale) => (
            [(header::SET_COOKIE, app::lang::set_cookie(locale, secure))],
            Redirect::to(to),
        )
            .into_response(),
        None => Redirect::to(to).into_response(),
    }
}

pub async fn flash_and_redirect(session: &Session, flash: Flash, to: &str) -> Response {
    if let Err(err) = session.insert(FLASH_KEY, flash.bounded()).await {
        tracing::error!(%err, "cannot store the flash message");
    }
    Redirect::to(to).into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_accepts_local_paths_only() {
        assert_eq!(safe_next("/apps/123?tab=keys"), "/apps/123?tab=keys");
        for bad in [
            "",
            "/",
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "apps",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
        ] {
            assert_eq!(safe_next(bad), "/apps", "{bad:?}");
        }
    }
}

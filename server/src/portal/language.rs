//! `POST /language`: switches the portal between 简体中文 and English.
//!
//! A plain form post, so it works without JavaScript. The choice is stored on the
//! account of a logged-in user (it follows them to every browser) and in the `lang`
//! cookie (it outlives the session, so the login page keeps it too).

use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use app::i18n::Locale;
use app::lang;
use app::ssr::auth::set_locale;
use app::ssr::msg::Msg;
use app::ssr::state::AppState;
use app::types::CurrentUser;

use super::internal_error;

/// The switch form: the language, and the page to go back to.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LanguageForm {
    locale: String,
    next: String,
}

/// `POST /language`.
pub async fn switch(
    State(state): State<AppState>,
    user: Option<axum::Extension<CurrentUser>>,
    axum::Extension(current): axum::Extension<Locale>,
    Form(form): Form<LanguageForm>,
) -> Response {
    let Some(locale) = lang::parse(&form.locale) else {
        return (StatusCode::BAD_REQUEST, Msg::UnknownLanguage.text(current)).into_response();
    };
    if let Some(axum::Extension(user)) = user {
        let saved = set_locale(&state.db, user.user_id, locale).await;
        state.users.forget(user.user_id);
        if let Err(err) = saved {
            return internal_error("cannot store the user's language", &err);
        }
    }
    let secure = state.settings.secure_cookies();
    (
        [(header::SET_COOKIE, lang::set_cookie(locale, secure))],
        Redirect::to(local_path(&form.next)),
    )
        .into_response()
}

/// Only paths of this site are followed back (no open redirect).
fn local_path(next: &str) -> &str {
    if super::auth::is_local_path(next) {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/transactions?q=1"), "/transactions?q=1");
        for bad in [
            "",
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "apps",
            "/\t/evil.example",
        ] {
            assert_eq!(local_path(bad), "/", "{bad:?}");
        }
    }
}

//! App forms and actions: create, edit, enable/disable, delete, reveal, rotate,
//! end grace. Plain form posts answered with 303 redirects; 404 for any appid
//! that is not the ISV's own.

use axum::Extension;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use app::i18n::Locale;
use app::ssr::apps::{self, AppForm, AppsError};
use app::ssr::audit::Actor;
use app::ssr::msg::Msg;
use app::ssr::session::grant_reveal;
use app::ssr::state::AppState;
use app::types::{Flash, format_time};

use super::LoggedIn;
use super::auth::flash_and_redirect;

fn failure(locale: Locale, err: AppsError) -> Response {
    match err {
        AppsError::NotFound => (StatusCode::NOT_FOUND, Msg::AppNotFound.text(locale)).into_response(),
        AppsError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.into_values().collect::<Vec<_>>().join(" "),
        )
            .into_response(),
        AppsError::Internal(detail) => super::internal_error("app action failed", &detail),
    }
}

fn invalid(locale: Locale, form: &AppForm, field_errors: std::collections::BTreeMap<String, Msg>) -> Flash {
    Flash {
        error: Msg::FixFields.text(locale),
        values: form.values(),
        field_errors: field_errors
            .into_iter()
            .map(|(field, message)| (field, message.text(locale)))
            .collect(),
        ..Flash::default()
    }
}

/// `POST /apps`: creates an app and opens its page.
pub async fn create(
    State(state): State<AppState>,
    LoggedIn(user, ip): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Form(form): Form<AppForm>,
) -> Response {
    let input = match form.parse() {
        Ok(input) => input,
        Err(errors) => {
            return flash_and_redirect(&session, invalid(locale, &form, errors), "/apps/new").await;
        }
    };
    match apps::create(
        &state.db,
        &state.master_key,
        Actor { user: &user, ip: &ip },
        input,
    )
    .await
    {
        Ok(model) => {
            let notice = Flash::notice(Msg::AppCreated(model.appid.clone()).text(locale));
            flash_and_redirect(&session, notice, &format!("/apps/{}", model.appid)).await
        }
        Err(err) => failure(locale, err),
    }
}

/// `POST /apps/{appid}/edit`.
pub async fn edit(
    State(state): State<AppState>,
    LoggedIn(user, ip): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Path(appid): Path<String>,
    Form(form): Form<AppForm>,
) -> Response {
    let actor = Actor { user: &user, ip: &ip };
    let input = match form.parse() {
        Ok(input) => input,
        Err(errors) => {
            // A foreign appid is a 404 before anything else, even with bad input.
            if let Err(err) = apps::find(&state.db, user.isv_id, &appid).await {
                return failure(locale, err);
            }
            return flash_and_redirect(
                &session,
                invalid(locale, &form, errors),
                &format!("/apps/{appid}/edit"),
            )
            .await;
        }
    };
    let result = apps::update(&state.db, actor, &appid, input).await;
    state.apps.invalidate(&appid);
    match result {
        Ok(()) => {
            flash_and_redirect(
                &session,
                Flash::notice(Msg::ChangesSaved.text(locale)),
                &format!("/apps/{appid}"),
            )
            .await
        }
        Err(err) => failure(locale, err),
    }
}

/// The enable/disable form.
#[derive(Deserialize)]
pub struct StatusForm {
    enabled: bool,
}

/// `POST /apps/{appid}/status`: `enabled=true|false`.
pub async fn set_status(
    State(state): State<AppState>,
    LoggedIn(user, ip): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Path(appid): Path<String>,
    Form(form): Form<StatusForm>,
) -> Response {
    let result = apps::set_enabled(&state.db, Actor { user: &user, ip: &ip }, &appid, form.enabled).await;
    state.apps.invalidate(&appid);
    match result {
        Ok(()) => {
            let notice = if form.enabled {
                Msg::AppEnabled
            } else {
                Msg::AppDisabled
            };
            flash_and_redirect(
                &session,
                Flash::notice(notice.text(locale)),
                &format!("/apps/{appid}"),
            )
            .await
        }
        Err(err) => failure(locale, err),
    }
}

/// `POST /apps/{appid}/delete`: soft delete, then back to the list.
pub async fn delete(
    State(state): State<AppState>,
    LoggedIn(user, ip): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Path(appid): Path<String>,
) -> Response {
    let result = apps::delete(&state.db, Actor { user: &user, ip: &ip }, &appid).await;
    state.apps.invalidate(&appid);
    match result {
        Ok(()) => {
            flash_and_redirect(
                &session,
                Flash::notice(Msg::AppDeleted(appid.clone()).text(locale)),
                "/apps",
            )
            .await
        }
        Err(err) => failure(locale, err),
    }
}

/// `POST /apps/{appid}/reveal`: audits, then lets the next page load show the key once.
pub async fn reveal(
    State(state): State<AppState>,
    LoggedIn(user, ip): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Path(appid): Path<String>,
) -> Response {
    match apps::reveal(
        &state.db,
        &state.master_key,
        Actor { user: &user, ip: &ip },
        &appid,
    )
    .await
    {
        Ok(_) => {
            if let Err(err) = grant_reveal(&session, &appid).await {
                tracing::error!(%err, "cannot store the reveal grant");
            }
            Redirect::to(&format!("/apps/{appid}#credentials")).into_response()
        }
        Err(err) => failure(locale, err),
    }
}

/// `POST /apps/{appid}/rotate`: new key in the other slot, the old one in grace.
pub async fn rotate(
    State(state): State<AppState>,
    LoggedIn(user, ip): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Path(appid): Path<String>,
) -> Response {
    let actor = Actor { user: &user, ip: &ip };
    let result = apps::rotate(&state.db, &state.master_key, actor, &appid, state.key_grace_ms).await;
    state.apps.invalidate(&appid);
    match result {
        Ok(_) => {
            let until = format_time(app::ssr::now_ms() + state.key_grace_ms);
            let notice = Msg::KeyRotated(until).text(locale);
            flash_and_redirect(
                &session,
                Flash::notice(notice),
                &format!("/apps/{appid}#credentials"),
            )
            .await
        }
        Err(err) => failure(locale, err),
    }
}

/// `POST /apps/{appid}/end-grace`: the previous key stops verifying now.
pub async fn end_grace(
    State(state): State<AppState>,
    LoggedIn(user, ip): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Path(appid): Path<String>,
) -> Response {
    let result = apps::end_grace(&state.db, Actor { user: &user, ip: &ip }, &appid).await;
    state.apps.invalidate(&appid);
    match result {
        Ok(()) => {
            let notice = Flash::notice(Msg::GraceEnded.text(locale));
            flash_and_redirect(&session, notice, &format!("/apps/{appid}#credentials")).await
        }
        Err(err) => failure(locale, err),
    }
}

/// `POST /apps/{appid}/share-login`: "Open app as sandbox user" (SPEC §6.4).
pub async fn share_login(
    State(state): State<AppState>,
    LoggedIn(user, ip): LoggedIn,
    Extension(locale): Extension<Locale>,
    session: Session,
    Path(appid): Path<String>,
) -> Response {
    let actor = Actor { user: &user, ip: &ip };
    match apps::share_login_url(&state.db, &state.master_key, actor, &appid, app::ssr::now_ms()).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(apps::ShareLoginError::NoAppUrl) => {
            let error = Flash::error(Msg::NeedAppUrl.text(locale));
            flash_and_redirect(&session, error, &format!("/apps/{appid}/edit")).await
        }
        Err(apps::ShareLoginError::App(err)) => failure(locale, err),
    }
}

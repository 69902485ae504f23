//! `/apps/new` and `/apps/{appid}/edit`: the app form, posted to the server.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::apps::get_app;
use crate::i18n::*;
use crate::pages::{FieldError, FormError, app_detail::AppMissing};
use crate::types::Flash;

/// The app's fields, filled from `values`, with an error under each bad field.
#[component]
fn AppFields(values: BTreeMap<String, String>, flash: Flash) -> impl IntoView {
    let locale = crate::lang::use_locale();
    let value = move |field: &str| values.get(field).cloned().unwrap_or_default();
    let method = value("notify_method");
    let speed = value("retry_speed");
    view! {
        <label class="field">
            <span>{td!(locale, apps.name)}</span>
            <input type="text" name="name" required maxlength="64" value=value("name") />
            <FieldError message=flash.field_error("name") />
        </label>
        <label class="field">
            <span>{td!(locale, apps.form.description)} " " <small class="muted">{td!(locale, apps.form.optional)}</small></span>
            <textarea name="description" rows="3" maxlength="1000">
                {value("description")}
            </textarea>
            <FieldError message=flash.field_error("description") />
        </label>
        <label class="field">
            <span>
                {td!(locale, apps.form.notify_url)} " " <small class="muted">{td!(locale, apps.form.notify_url_hint)}</small>
            </span>
            <input type="url" name="notify_url" required maxlength="512" value=value("notify_url") placeholder="https://shop.example.com/pay/notify" />
            <FieldError message=flash.field_error("notify_url") />
        </label>
        <label class="field">
            <span>
                {td!(locale, apps.form.return_url)} " " <small class="muted">{td!(locale, apps.form.return_url_hint)}</small>
            </span>
            <input type="url" name="return_url" required maxlength="512" value=value("return_url") placeholder="https://shop.example.com/pay/done" />
            <FieldError message=flash.field_error("return_url") />
        </label>
        <label class="field">
            <span>
                {td!(locale, apps.form.app_url)} " " <small class="muted">{td!(locale, apps.form.app_url_hint)}</small>
            </span>
            <input type="url" name="app_url" maxlength="512" value=value("app_url") />
            <FieldError message=flash.field_error("app_url") />
        </label>
        <fieldset class="field">
            <legend>{td!(locale, apps.form.notify_method)}</legend>
            <label class="choice">
                <input type="radio" name="notify_method" value="GET" checked=method != "POST" />
                " "
                {td!(locale, apps.form.notify_get)}
            </label>
            <label class="choice">
                <input type="radio" name="notify_method" value="POST" checked=method == "POST" />
                " "
                {td!(locale, apps.form.notify_post)}
            </label>
            <FieldError message=flash.field_error("notify_method") />
        </fieldset>
        <fieldset class="field">
            <legend>{td!(locale, apps.form.retry_speed)}</legend>
            <label class="choice">
                <input type="radio" name="retry_speed" value="real" checked=speed != "fast" />
                " "
                {td!(locale, apps.form.retry_real)}
            </label>
            <label class="choice">
                <input type="radio" name="retry_speed" value="fast" checked=speed == "fast" />
                " "
                {td!(locale, apps.form.retry_fast)}
            </label>
            <FieldError message=flash.field_error("retry_speed") />
        </fieldset>
    }
}

/// `/apps/new`.
#[component]
pub fn NewAppPage() -> impl IntoView {
    let flash = crate::pages::use_flash();
    let locale = crate::lang::use_locale();
    let values = flash.values.clone();
    view! {
        <section class="card">
            <h1>{td!(locale, apps.form.new_title)}</h1>
            <FormError message=flash.error.clone() />
            <form method="post" action="/apps" class="stack">
                <AppFields values flash />
                <div class="actions">
                    <button type="submit" class="primary">{td!(locale, apps.create)}</button>
                    <a href="/apps">{td!(locale, apps.cancel)}</a>
                </div>
            </form>
        </section>
    }
}

/// `/apps/{appid}/edit`: filled from the app, or from what was typed after an error.
#[component]
pub fn EditAppPage() -> impl IntoView {
    let flash = crate::pages::use_flash();
    let locale = crate::lang::use_locale();
    let params = use_params_map();
    let appid = move || params.read().get("appid").unwrap_or_default();
    let app = Resource::new_blocking(appid, get_app);
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let flash = flash.clone();
                Suspend::new(async move {
                match app.await {
                    Err(err) => view! { <AppMissing error=err /> }.into_any(),
                    Ok(app) => {
                        let values = if flash.values.is_empty() {
                            [
                                ("name", app.name.clone()),
                                ("description", app.description.clone()),
                                ("notify_url", app.notify_url.clone()),
                                ("return_url", app.return_url.clone()),
                                ("app_url", app.app_url.clone().unwrap_or_default()),
                                ("notify_method", app.notify_method.clone()),
                                ("retry_speed", app.retry_speed.clone()),
                            ]
                                .into_iter()
                                .map(|(field, value)| (field.to_owned(), value))
                                .collect()
                        } else {
                            flash.values.clone()
                        };
                        let action = format!("/apps/{}/edit", app.appid);
                        let back = format!("/apps/{}", app.appid);
                        view! {
                            <section class="card">
                                <h1>{td!(locale, apps.form.edit_title, name = app.name.clone())}</h1>
                                <FormError message=flash.error.clone() />
                                <form method="post" action=action class="stack">
                                    <AppFields values flash />
                                    <div class="actions">
                                        <button type="submit" class="primary">{td!(locale, apps.form.save)}</button>
                                        <a href=back>{td!(locale, apps.cancel)}</a>
                                    </div>
                                </form>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}}
        </Suspense>
    }
}

//! `/test-payments`: make a sandbox payment for one of your apps, straight to
//! paid or through the cashier, with a notification scenario.

use leptos::prelude::*;

use crate::api::apps::list_apps;
use crate::i18n::*;
use crate::pages::{FieldError, FormError};

/// The notification scenarios (form values) with their descriptions in `locale`.
fn scenarios(locale: Locale) -> [(&'static str, &'static str); 4] {
    [
        (
            "normal",
            td_string!(locale, console.test_payment.scenarios.normal),
        ),
        (
            "failure",
            td_string!(locale, console.test_payment.scenarios.failure),
        ),
        (
            "duplicate",
            td_string!(locale, console.test_payment.scenarios.duplicate),
        ),
        (
            "delayed",
            td_string!(locale, console.test_payment.scenarios.delayed),
        ),
    ]
}

/// The test payment form.
#[component]
pub fn TestPaymentsPage() -> impl IntoView {
    let flash = crate::pages::use_flash();
    let locale = crate::lang::use_locale();
    let apps = Resource::new_blocking(|| (), |_| list_apps());
    view! {
        <section class="card">
            <h1>{td!(locale, console.test_payment.title)}</h1>
            <p class="muted">{td!(locale, console.test_payment.intro)}</p>
            <Suspense fallback=|| ()>
                {move || {
                    let flash = flash.clone();
                    Suspend::new(async move {
                        let value = |field: &str| flash.values.get(field).cloned().unwrap_or_default();
                        let chosen_app = value("appid");
                        let scenario = value("scenario");
                        let mode = value("mode");
                        match apps.await {
                            Err(err) => view! { <p class="error">{err.text(locale)}</p> }.into_any(),
                            Ok(apps) if apps.is_empty() => {
                                view! {
                                    <p class="empty">
                                        {td!(locale, console.need_app.before)}
                                        <a href="/apps/new">{td!(locale, console.need_app.link)}</a>
                                        {td!(locale, console.need_app.after)}
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(apps) => {
                                view! {
                                    <FormError message=flash.error.clone() />
                                    <form method="post" action="/test-payments" class="form">
                                        <label class="field">
                                            <span>{td!(locale, console.col.app)}</span>
                                            <select name="appid" required>
                                                {apps
                                                    .into_iter()
                                                    .map(|app| {
                                                        let selected = app.appid == chosen_app;
                                                        view! {
                                                            <option value=app.appid.clone() selected=selected>
                                                                {format!("{} ({})", app.name, app.appid)}
                                                            </option>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </select>
                                            <FieldError message=flash.field_error("appid") />
                                        </label>
                                        <label class="field">
                                            <span>{td!(locale, console.test_payment.amount_yuan)}</span>
                                            <input name="amount" inputmode="decimal" required placeholder="12.34" value=value("amount") />
                                            <FieldError message=flash.field_error("amount") />
                                        </label>
                                        <label class="field">
                                            <span>{td!(locale, console.col.item_body)}</span>
                                            <input
                                                name="body"
                                                required
                                                maxlength="128"
                                                placeholder=td_string!(locale, console.test_payment.body_placeholder)
                                                value=value("body")
                                            />
                                            <FieldError message=flash.field_error("body") />
                                        </label>
                                        <fieldset class="field">
                                            <legend>{td!(locale, console.col.scenario)}</legend>
                                            {scenarios(locale)
                                                .iter()
                                                .map(|(name, label)| {
                                                    let checked = if scenario.is_empty() { *name == "normal" } else { scenario == *name };
                                                    view! {
                                                        <label class="choice">
                                                            <input type="radio" name="scenario" value=*name checked=checked />
                                                            " " {*label}
                                                        </label>
                                                    }
                                                })
                                                .collect_view()}
                                            <FieldError message=flash.field_error("scenario") />
                                        </fieldset>
                                        <label class="field">
                                            <span>
                                                {td!(locale, console.test_payment.notify_url)} " "
                                                <small class="muted">
                                                    {td!(locale, console.test_payment.notify_url_optional)}
                                                </small>
                                            </span>
                                            <input type="url" name="notify_url" maxlength="512" value=value("notify_url") />
                                            <FieldError message=flash.field_error("notify_url") />
                                        </label>
                                        <fieldset class="field">
                                            <legend>{td!(locale, console.test_payment.how)}</legend>
                                            <label class="choice">
                                                <input type="radio" name="mode" value="direct" checked=mode != "cashier" />
                                                " " {td!(locale, console.test_payment.direct)}
                                            </label>
                                            <label class="choice">
                                                <input type="radio" name="mode" value="cashier" checked=mode == "cashier" />
                                                " " {td!(locale, console.test_payment.cashier)}
                                            </label>
                                        </fieldset>
                                        <button type="submit" class="primary">
                                            {td!(locale, console.test_payment.submit)}
                                        </button>
                                    </form>
                                }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

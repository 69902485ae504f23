//! `/test-payments`: make a sandbox payment for one of your apps, straight to
//! paid or through the cashier, with a notification scenario.

use leptos::prelude::*;

use crate::api::apps::list_apps;
use crate::pages::{FieldError, FormError};

const SCENARIOS: &[(&str, &str)] = &[
    ("normal", "Normal: paid, notified until acknowledged"),
    (
        "failure",
        "Failure: the payment fails; a failure notification is sent",
    ),
    ("duplicate", "Duplicate: the same notify_id is delivered twice"),
    ("delayed", "Delayed: the first delivery waits 30 s"),
];

/// The test payment form.
#[component]
pub fn TestPaymentsPage() -> impl IntoView {
    let flash = crate::pages::use_flash();
    let apps = Resource::new_blocking(|| (), |_| list_apps());
    view! {
        <section class="card">
            <h1>"Test payment"</h1>
            <p class="muted">
                "Creates an order for one of your apps, settles it, and sends its notification to the app's notify URL (or the one you give), signed with the app's key. You land on the transaction and can watch each attempt."
            </p>
            <Suspense fallback=|| ()>
                {move || {
                    let flash = flash.clone();
                    Suspend::new(async move {
                        let value = |field: &str| flash.values.get(field).cloned().unwrap_or_default();
                        let chosen_app = value("appid");
                        let scenario = value("scenario");
                        let mode = value("mode");
                        match apps.await {
                            Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                            Ok(apps) if apps.is_empty() => {
                                view! {
                                    <p class="empty">
                                        "You need an app first: " <a href="/apps/new">"create one"</a> "."
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(apps) => {
                                view! {
                                    <FormError message=flash.error.clone() />
                                    <form method="post" action="/test-payments" class="form">
                                        <label class="field">
                                            <span>"App"</span>
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
                                            <span>"Amount (yuan)"</span>
                                            <input name="amount" inputmode="decimal" required placeholder="12.34" value=value("amount") />
                                            <FieldError message=flash.field_error("amount") />
                                        </label>
                                        <label class="field">
                                            <span>"Item (body)"</span>
                                            <input name="body" required maxlength="128" placeholder="Green tea" value=value("body") />
                                            <FieldError message=flash.field_error("body") />
                                        </label>
                                        <fieldset class="field">
                                            <legend>"Scenario"</legend>
                                            {SCENARIOS
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
                                            <span>"Notify URL " <small class="muted">"(optional: instead of the app's)"</small></span>
                                            <input type="url" name="notify_url" maxlength="512" value=value("notify_url") />
                                            <FieldError message=flash.field_error("notify_url") />
                                        </label>
                                        <fieldset class="field">
                                            <legend>"How"</legend>
                                            <label class="choice">
                                                <input type="radio" name="mode" value="direct" checked=mode != "cashier" />
                                                " Pay directly"
                                            </label>
                                            <label class="choice">
                                                <input type="radio" name="mode" value="cashier" checked=mode == "cashier" />
                                                " Open the sandbox cashier (a signed pay URL, as your app would send)"
                                            </label>
                                        </fieldset>
                                        <button type="submit" class="primary">"Make test payment"</button>
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

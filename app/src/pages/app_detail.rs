//! `/apps/{appid}`: credentials (masked, reveal, rotate), settings and status;
//! and `/apps/{appid}/delete`, the confirmation before a soft delete.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::apps::get_app;
use crate::components::copy_button::CopyButton;
use crate::error::AppError;
use crate::types::{AppDetail, KeySlot, KeySlotState, format_time};

/// What to show when the app cannot be loaded: 404 for unknown or foreign appids.
#[component]
pub fn AppMissing(error: AppError) -> impl IntoView {
    let message = match error {
        AppError::NotFound => "There is no app with this appid in your account.".to_owned(),
        other => other.to_string(),
    };
    view! {
        <section>
            <h1>"App not found"</h1>
            <p class="muted">{message} " " <a href="/apps">"Back to your apps"</a></p>
        </section>
    }
}

fn slot_row(slot: KeySlot) -> impl IntoView {
    let (state, note) = match slot.state {
        KeySlotState::Current => ("current", "Signs and verifies".to_owned()),
        KeySlotState::Grace => (
            "grace",
            format!(
                "Still verifies until {}",
                slot.expires_at.map(format_time).unwrap_or_default()
            ),
        ),
        KeySlotState::Expired => ("expired", "No longer verifies".to_owned()),
        KeySlotState::Empty => ("empty", "Unused".to_owned()),
    };
    view! {
        <tr class=format!("slot slot-{state}")>
            <td>{slot.index}</td>
            <td>
                <code>{slot.masked}</code>
            </td>
            <td>
                <span class=format!("badge badge-{state}")>{state}</span>
                " "
                <span class="muted">{note}</span>
            </td>
            <td>{slot.created_at.map(format_time).unwrap_or_default()}</td>
        </tr>
    }
}

fn detail_view(app: AppDetail) -> impl IntoView {
    let base = format!("/apps/{}", app.appid);
    let in_grace = app.slots.iter().any(|slot| slot.state == KeySlotState::Grace);
    let current = app
        .slots
        .iter()
        .find(|slot| slot.state == KeySlotState::Current)
        .map_or(1, |slot| slot.index);
    let enabled = app.status == "active";
    view! {
        <div class="page-head">
            <h1>
                {app.name.clone()} " "
                <span class=format!("badge badge-{}", app.status)>{app.status.clone()}</span>
            </h1>
            <a href="/apps">"All apps"</a>
        </div>
        {(!app.description.is_empty()).then(|| view! { <p class="muted">{app.description.clone()}</p> })}
        <section class="card" id="credentials">
            <h2>"Credentials"</h2>
            <dl class="facts">
                <dt>"appid"</dt>
                <dd>
                    <code class="appid">{app.appid.clone()}</code>
                </dd>
                <dt>"sign_key_index"</dt>
                <dd>{current} <span class="muted">" (the current key's slot)"</span></dd>
            </dl>
            {app
                .revealed_key
                .clone()
                .map(|key| {
                    view! {
                        <div class="revealed" role="status">
                            <p>"Current key (slot " {current} "). It is shown this once; reload the page to hide it."</p>
                            <code class="key" id="revealed-key">{key.clone()}</code>
                            " "
                            <CopyButton text=key />
                        </div>
                    }
                })}
            <table class="slots">
                <thead>
                    <tr>
                        <th>"Slot"</th>
                        <th>"Key"</th>
                        <th>"State"</th>
                        <th>"Created (UTC+8)"</th>
                    </tr>
                </thead>
                <tbody>{app.slots.clone().into_iter().map(slot_row).collect_view()}</tbody>
            </table>
            <div class="actions">
                <form method="post" action=format!("{base}/reveal")>
                    <button type="submit">"Reveal key"</button>
                </form>
                <form method="post" action=format!("{base}/rotate")>
                    <button type="submit">"Rotate key"</button>
                </form>
                {in_grace
                    .then(|| {
                        view! {
                            <form method="post" action=format!("{base}/end-grace")>
                                <button type="submit">"End grace now"</button>
                            </form>
                        }
                    })}
            </div>
            <p class="muted small">
                "Rotating puts a new key in the other slot and makes it current. The previous key keeps verifying your requests for the grace period, so you can deploy the new one without downtime."
            </p>
        </section>
        {(!app.demo_receipts.is_empty())
            .then(|| {
                view! {
                    <section class="card" id="demo-receipts">
                        <h2>"Received by the built-in demo receiver"</h2>
                        <table class="list">
                            <thead>
                                <tr>
                                    <th>"When (UTC+8)"</th>
                                    <th>"Method"</th>
                                    <th>"Parameters"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {app
                                    .demo_receipts
                                    .clone()
                                    .into_iter()
                                    .map(|receipt| {
                                        view! {
                                            <tr>
                                                <td>{format_time(receipt.received_at)}</td>
                                                <td>{receipt.method}</td>
                                                <td>
                                                    <code class="wrap">{receipt.params}</code>
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </section>
                }
            })}
        <section class="card">
            <h2>"Settings"</h2>
            <dl class="facts">
                <dt>"Notify URL"</dt>
                <dd>
                    <code>{app.notify_url.clone()}</code>
                </dd>
                <dt>"Return URL"</dt>
                <dd>
                    <code>{app.return_url.clone()}</code>
                </dd>
                <dt>"App URL"</dt>
                <dd>
                    <code>{app.app_url.clone().unwrap_or_else(|| "—".into())}</code>
                </dd>
                <dt>"Notify method"</dt>
                <dd>{app.notify_method.clone()}</dd>
                <dt>"Retry speed"</dt>
                <dd>{if app.retry_speed == "fast" { "fast (seconds)" } else { "real (minutes)" }}</dd>
                <dt>"Created"</dt>
                <dd>{format_time(app.created_at)}</dd>
                <dt>"Updated"</dt>
                <dd>{format_time(app.updated_at)}</dd>
            </dl>
            <div class="actions">
                <a class="button" href=format!("{base}/edit")>"Edit"</a>
                <form method="post" action=format!("{base}/status")>
                    <input type="hidden" name="enabled" value=if enabled { "false" } else { "true" } />
                    <button type="submit">{if enabled { "Disable" } else { "Enable" }}</button>
                </form>
                <a class="button danger" href=format!("{base}/delete")>"Delete…"</a>
            </div>
        </section>
        <section class="card" id="share-login">
            <h2>"Share login"</h2>
            <p class="muted small">
                "Opens the app's entry URL as a sandbox platform user, with appid, user_id, token, timestamp and sign, as the platform does when one of its users jumps into your app."
            </p>
            <form method="post" action=format!("{base}/share-login")>
                <button type="submit">"Open app as sandbox user"</button>
            </form>
        </section>
    }
}

/// `/apps/{appid}`.
#[component]
pub fn AppDetailPage() -> impl IntoView {
    let params = use_params_map();
    let appid = move || params.read().get("appid").unwrap_or_default();
    let app = Resource::new_blocking(appid, get_app);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match app.await {
                    Ok(app) => detail_view(app).into_any(),
                    Err(error) => view! { <AppMissing error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/apps/{appid}/delete`: asks before deleting.
#[component]
pub fn DeleteAppPage() -> impl IntoView {
    let params = use_params_map();
    let appid = move || params.read().get("appid").unwrap_or_default();
    let app = Resource::new_blocking(appid, get_app);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match app.await {
                    Err(error) => view! { <AppMissing error /> }.into_any(),
                    Ok(app) => {
                        let action = format!("/apps/{}/delete", app.appid);
                        let back = format!("/apps/{}", app.appid);
                        view! {
                            <section class="card narrow">
                                <h1>"Delete " {app.name.clone()} "?"</h1>
                                <p>
                                    "The app stops working at once: the gateway refuses its requests. Its appid "
                                    <code>{app.appid.clone()}</code>
                                    " is never given to another app."
                                </p>
                                <form method="post" action=action class="actions">
                                    <button type="submit" class="danger">"Delete app"</button>
                                    <a href=back>"Cancel"</a>
                                </form>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

//! `/apps/{appid}`: credentials (masked, reveal, rotate), settings and status;
//! and `/apps/{appid}/delete`, the confirmation before a soft delete.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::apps::get_app;
use crate::components::copy_button::CopyButton;
use crate::error::AppError;
use crate::i18n::*;
use crate::types::{AppDetail, KeySlot, KeySlotState, format_time};

/// What to show when the app cannot be loaded: 404 for unknown or foreign appids.
#[component]
pub fn AppMissing(error: AppError) -> impl IntoView {
    let locale = crate::lang::use_locale();
    let message = match error {
        AppError::NotFound => td_string!(locale, apps.missing.not_found).to_owned(),
        other => other.to_string(),
    };
    view! {
        <section>
            <h1>{td!(locale, apps.missing.title)}</h1>
            <p class="muted">{message} " " <a href="/apps">{td!(locale, apps.missing.back)}</a></p>
        </section>
    }
}

/// The app status (`active`, `disabled`, `deleted`) as shown to people; unknown codes as they are.
pub fn status_label(locale: Locale, status: &str) -> String {
    match status {
        "active" => td_string!(locale, apps.status.active).to_owned(),
        "disabled" => td_string!(locale, apps.status.disabled).to_owned(),
        "deleted" => td_string!(locale, apps.status.deleted).to_owned(),
        other => other.to_owned(),
    }
}

fn slot_row(locale: Locale, slot: KeySlot) -> impl IntoView {
    let (state, label, note) = match slot.state {
        KeySlotState::Current => (
            "current",
            td_string!(locale, apps.slot_state.current),
            td_string!(locale, apps.slot_note.current).to_owned(),
        ),
        KeySlotState::Grace => (
            "grace",
            td_string!(locale, apps.slot_state.grace),
            td_string!(
                locale,
                apps.slot_note.grace,
                time = slot.expires_at.map(format_time).unwrap_or_default()
            )
            .to_string(),
        ),
        KeySlotState::Expired => (
            "expired",
            td_string!(locale, apps.slot_state.expired),
            td_string!(locale, apps.slot_note.expired).to_owned(),
        ),
        KeySlotState::Empty => (
            "empty",
            td_string!(locale, apps.slot_state.empty),
            td_string!(locale, apps.slot_note.empty).to_owned(),
        ),
    };
    view! {
        <tr class=format!("slot slot-{state}")>
            <td>{slot.index}</td>
            <td>
                <code>{slot.masked}</code>
            </td>
            <td>
                <span class=format!("badge badge-{state}")>{label}</span>
                " "
                <span class="muted">{note}</span>
            </td>
            <td>{slot.created_at.map(format_time).unwrap_or_default()}</td>
        </tr>
    }
}

fn detail_view(locale: Locale, app: AppDetail) -> impl IntoView {
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
                <span class=format!("badge badge-{}", app.status)>{status_label(locale, &app.status)}</span>
            </h1>
            <a href="/apps">{td!(locale, apps.detail.all_apps)}</a>
        </div>
        {(!app.description.is_empty()).then(|| view! { <p class="muted">{app.description.clone()}</p> })}
        <section class="card" id="credentials">
            <h2>{td!(locale, apps.detail.credentials)}</h2>
            <dl class="facts">
                <dt>"appid"</dt>
                <dd>
                    <code class="appid">{app.appid.clone()}</code>
                </dd>
                <dt>"sign_key_index"</dt>
                <dd>
                    {current} <span class="muted">" " {td!(locale, apps.detail.current_slot_note)}</span>
                </dd>
            </dl>
            {app
                .revealed_key
                .clone()
                .map(|key| {
                    view! {
                        <div class="revealed" role="status">
                            <p>{td!(locale, apps.detail.revealed, slot = current)}</p>
                            <code class="key" id="revealed-key">{key.clone()}</code>
                            " "
                            <CopyButton text=key />
                        </div>
                    }
                })}
            <table class="slots">
                <thead>
                    <tr>
                        <th>{td!(locale, apps.detail.slot)}</th>
                        <th>{td!(locale, apps.detail.key)}</th>
                        <th>{td!(locale, apps.detail.state)}</th>
                        <th>{td!(locale, apps.created_utc8)}</th>
                    </tr>
                </thead>
                <tbody>{app.slots.clone().into_iter().map(|slot| slot_row(locale, slot)).collect_view()}</tbody>
            </table>
            <div class="actions">
                <form method="post" action=format!("{base}/reveal")>
                    <button type="submit">{td!(locale, apps.detail.reveal)}</button>
                </form>
                <form method="post" action=format!("{base}/rotate")>
                    <button type="submit">{td!(locale, apps.detail.rotate)}</button>
                </form>
                {in_grace
                    .then(|| {
                        view! {
                            <form method="post" action=format!("{base}/end-grace")>
                                <button type="submit">{td!(locale, apps.detail.end_grace)}</button>
                            </form>
                        }
                    })}
            </div>
            <p class="muted small">
                {td!(locale, apps.detail.rotate_help)}
            </p>
        </section>
        {(!app.demo_receipts.is_empty())
            .then(|| {
                view! {
                    <section class="card" id="demo-receipts">
                        <h2>{td!(locale, apps.detail.demo_title)}</h2>
                        <table class="list">
                            <thead>
                                <tr>
                                    <th>{td!(locale, apps.detail.when_utc8)}</th>
                                    <th>{td!(locale, apps.detail.method)}</th>
                                    <th>{td!(locale, apps.detail.parameters)}</th>
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
            <h2>{td!(locale, apps.detail.settings)}</h2>
            <dl class="facts">
                <dt>{td!(locale, apps.form.notify_url)}</dt>
                <dd>
                    <code>{app.notify_url.clone()}</code>
                </dd>
                <dt>{td!(locale, apps.form.return_url)}</dt>
                <dd>
                    <code>{app.return_url.clone()}</code>
                </dd>
                <dt>{td!(locale, apps.form.app_url)}</dt>
                <dd>
                    <code>{app.app_url.clone().unwrap_or_else(|| "—".into())}</code>
                </dd>
                <dt>{td!(locale, apps.form.notify_method)}</dt>
                <dd>{app.notify_method.clone()}</dd>
                <dt>{td!(locale, apps.detail.retry_speed)}</dt>
                <dd>
                    {if app.retry_speed == "fast" {
                        td_string!(locale, apps.detail.retry_fast)
                    } else {
                        td_string!(locale, apps.detail.retry_real)
                    }}
                </dd>
                <dt>{td!(locale, apps.detail.created)}</dt>
                <dd>{format_time(app.created_at)}</dd>
                <dt>{td!(locale, apps.detail.updated)}</dt>
                <dd>{format_time(app.updated_at)}</dd>
            </dl>
            <div class="actions">
                <a class="button" href=format!("{base}/edit")>{td!(locale, apps.detail.edit)}</a>
                <form method="post" action=format!("{base}/status")>
                    <input type="hidden" name="enabled" value=if enabled { "false" } else { "true" } />
                    <button type="submit">
                        {if enabled {
                            td_string!(locale, apps.detail.disable)
                        } else {
                            td_string!(locale, apps.detail.enable)
                        }}
                    </button>
                </form>
                <a class="button danger" href=format!("{base}/delete")>{td!(locale, apps.detail.delete)}</a>
            </div>
        </section>
        <section class="card" id="share-login">
            <h2>{td!(locale, apps.detail.share_login)}</h2>
            <p class="muted small">
                {td!(locale, apps.detail.share_login_help)}
            </p>
            <form method="post" action=format!("{base}/share-login")>
                <button type="submit">{td!(locale, apps.detail.share_login_open)}</button>
            </form>
        </section>
    }
}

/// `/apps/{appid}`.
#[component]
pub fn AppDetailPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
    let params = use_params_map();
    let appid = move || params.read().get("appid").unwrap_or_default();
    let app = Resource::new_blocking(appid, get_app);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match app.await {
                    Ok(app) => detail_view(locale, app).into_any(),
                    Err(error) => view! { <AppMissing error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/apps/{appid}/delete`: asks before deleting.
#[component]
pub fn DeleteAppPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
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
                                <h1>{td!(locale, apps.delete.title, name = app.name.clone())}</h1>
                                <p>
                                    {td!(locale, apps.delete.body_before)}
                                    " "
                                    <code>{app.appid.clone()}</code>
                                    " "
                                    {td!(locale, apps.delete.body_after)}
                                </p>
                                <form method="post" action=action class="actions">
                                    <button type="submit" class="danger">{td!(locale, apps.delete.confirm)}</button>
                                    <a href=back>{td!(locale, apps.cancel)}</a>
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

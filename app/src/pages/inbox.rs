//! `/inbox`: each app's built-in sandbox notify endpoint, what it answers, and
//! what it received. Everything is a link or a plain form.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::console::list_inbox;
use crate::i18n::*;
use crate::pages::FormError;
use crate::types::{InboxInfo, InboxMessageView, format_time};

/// What an inbox can answer (form values), with their descriptions in `locale`.
fn answers(locale: Locale) -> [(&'static str, &'static str); 3] {
    [
        ("success", td_string!(locale, console.inbox.answer.success)),
        ("fail", td_string!(locale, console.inbox.answer.fail)),
        ("html", td_string!(locale, console.inbox.answer.html)),
    ]
}

/// The label of a signature verdict (`valid`, `invalid`, `unsigned`) in `locale`; any
/// other value as it is.
fn verdict_label(locale: Locale, verdict: &str) -> &str {
    match verdict {
        "valid" => td_string!(locale, console.inbox.verdict.valid),
        "invalid" => td_string!(locale, console.inbox.verdict.invalid),
        "unsigned" => td_string!(locale, console.inbox.verdict.unsigned),
        other => other,
    }
}

/// The inbox page.
#[component]
pub fn InboxPage() -> impl IntoView {
    let flash = crate::pages::use_flash();
    let locale = crate::lang::use_locale();
    let query = use_query_map();
    let filter = move || {
        let query = query.read();
        (
            query.get("appid").unwrap_or_default(),
            query.get("before").and_then(|value| value.parse::<i64>().ok()),
        )
    };
    let page = Resource::new_blocking(filter, |(appid, before)| list_inbox(appid, before));
    view! {
        <section>
            <h1>{td!(locale, console.inbox.title)}</h1>
            <p class="muted">{td!(locale, console.inbox.intro)}</p>
            <FormError message=flash.error.clone() />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(err) => view! { <p class="error">{err.text(locale)}</p> }.into_any(),
                        Ok(page) if page.inboxes.is_empty() => {
                            view! {
                                <p class="empty">
                                    {td!(locale, console.need_app.before)}
                                    <a href="/apps/new">{td!(locale, console.need_app.link)}</a>
                                    {td!(locale, console.need_app.after)}
                                </p>
                            }
                                .into_any()
                        }
                        Ok(page) => inbox_view(locale, page).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn inbox_view(locale: Locale, page: crate::types::InboxPage) -> impl IntoView {
    let selected = page.appid.clone();
    let next = page.next_before.map(|id| {
        let app = if selected.is_empty() {
            String::new()
        } else {
            format!("appid={selected}&")
        };
        format!("/inbox?{app}before={id}")
    });
    let options = page
        .inboxes
        .iter()
        .map(|inbox| {
            let chosen = inbox.appid == selected;
            view! {
                <option value=inbox.appid.clone() selected=chosen>
                    {format!("{} ({})", inbox.app_name, inbox.appid)}
                </option>
            }
        })
        .collect_view();
    let empty = page.rows.is_empty();
    view! {
        <table class="list" id="inboxes">
            <thead>
                <tr>
                    <th>{td!(locale, console.col.app)}</th>
                    <th>{td!(locale, console.inbox.url)}</th>
                    <th>{td!(locale, console.inbox.answers)}</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{page.inboxes.into_iter().map(|inbox| inbox_row(locale, inbox)).collect_view()}</tbody>
        </table>
        <h2>{td!(locale, console.inbox.received)}</h2>
        <form method="get" action="/inbox" class="filters">
            <label>
                {td!(locale, console.col.app)}
                " "
                <select name="appid">
                    <option value="">{td!(locale, console.inbox.all_apps)}</option>
                    {options}
                </select>
            </label>
            <button type="submit">{td!(locale, console.inbox.show)}</button>
            <a href="">{td!(locale, console.refresh)}</a>
        </form>
        {if empty {
            view! { <p class="empty muted">{td!(locale, console.inbox.nothing)}</p> }.into_any()
        } else {
            view! {
                <table class="list" id="inbox-messages">
                    <thead>
                        <tr>
                            <th>{td!(locale, console.inbox.received_at)}</th>
                            <th>{td!(locale, console.col.app)}</th>
                            <th>{td!(locale, console.inbox.method)}</th>
                            <th>"notify_id"</th>
                            <th>{td!(locale, console.inbox.signature)}</th>
                            <th>{td!(locale, console.inbox.answered)}</th>
                            <th>{td!(locale, console.inbox.parameters)}</th>
                        </tr>
                    </thead>
                    <tbody>{page.rows.into_iter().map(|message| message_row(locale, message)).collect_view()}</tbody>
                </table>
            }
                .into_any()
        }}
        <p class="pager">{next.map(|href| view! { <a href=href>{td!(locale, console.older)}</a> })}</p>
    }
}

fn inbox_row(locale: Locale, inbox: InboxInfo) -> impl IntoView {
    let answer = inbox.answer.clone();
    view! {
        <tr>
            <td>
                <a href=format!("/apps/{}", inbox.appid)>{inbox.app_name.clone()}</a>
                <br />
                <code class="muted small">{inbox.appid.clone()}</code>
            </td>
            <td>
                <code class="wrap inbox-url">{inbox.url.clone()}</code>
            </td>
            <td>
                <form method="post" action=format!("/apps/{}/inbox", inbox.appid) class="inline">
                    <select name="answer" aria-label=td_string!(locale, console.inbox.answer_label)>
                        {answers(locale)
                            .into_iter()
                            .map(|(value, label)| {
                                view! {
                                    <option value=value selected=answer == value>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <button type="submit">{td!(locale, console.inbox.save)}</button>
                </form>
            </td>
            <td>
                <form method="post" action="/test-payments" class="inline">
                    <input type="hidden" name="appid" value=inbox.appid.clone() />
                    <input type="hidden" name="amount" value="0.01" />
                    <input type="hidden" name="body" value="Inbox test" />
                    <input type="hidden" name="scenario" value="normal" />
                    <input type="hidden" name="mode" value="direct" />
                    <input type="hidden" name="notify_url" value=inbox.url.clone() />
                    <button type="submit">{td!(locale, console.inbox.send_test)}</button>
                </form>
            </td>
        </tr>
    }
}

fn message_row(locale: Locale, message: InboxMessageView) -> impl IntoView {
    let notify = (!message.notify_id.is_empty()).then(|| {
        view! {
            <a href=format!("/notifications/{}", message.notify_id)>
                <code>{message.notify_id.clone()}</code>
            </a>
        }
    });
    view! {
        <tr>
            <td>{format_time(message.received_at)}</td>
            <td>
                <code>{message.appid}</code>
            </td>
            <td>{message.method}</td>
            <td>{notify}</td>
            <td>
                <span class=format!(
                    "badge verdict-{}",
                    message.verdict,
                )>{verdict_label(locale, &message.verdict).to_owned()}</span>
            </td>
            <td>{message.answer}</td>
            <td>
                <code class="wrap">{message.params}</code>
            </td>
        </tr>
    }
}

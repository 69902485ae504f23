//! `/inbox`: each app's built-in sandbox notify endpoint, what it answers, and
//! what it received. Everything is a link or a plain form.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::console::list_inbox;
use crate::pages::FormError;
use crate::types::{InboxInfo, InboxMessageView, format_time};

const ANSWERS: [(&str, &str); 3] = [
    ("success", "success (acknowledged)"),
    ("fail", "fail (the platform retries)"),
    ("html", "success inside HTML (not an acknowledgement)"),
];

/// The inbox page.
#[component]
pub fn InboxPage() -> impl IntoView {
    let flash = crate::pages::use_flash();
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
            <h1>"Inbox"</h1>
            <p class="muted">
                "Each app has a sandbox notify endpoint on this platform. Use its URL as the app's notify URL (or as the notify URL of a test payment) to watch notifications arrive without a public server, and choose what it answers to see how the platform retries."
            </p>
            <FormError message=flash.error.clone() />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                        Ok(page) if page.inboxes.is_empty() => {
                            view! {
                                <p class="empty">
                                    "You need an app first: " <a href="/apps/new">"create one"</a> "."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(page) => inbox_view(page).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn inbox_view(page: crate::types::InboxPage) -> impl IntoView {
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
                    <th>"App"</th>
                    <th>"Inbox URL"</th>
                    <th>"Answers"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{page.inboxes.into_iter().map(inbox_row).collect_view()}</tbody>
        </table>
        <h2>"Received"</h2>
        <form method="get" action="/inbox" class="filters">
            <label>
                "App "
                <select name="appid">
                    <option value="">"All apps"</option>
                    {options}
                </select>
            </label>
            <button type="submit">"Show"</button>
            <a href="">"Refresh"</a>
        </form>
        {if empty {
            view! { <p class="empty muted">"Nothing received yet."</p> }.into_any()
        } else {
            view! {
                <table class="list" id="inbox-messages">
                    <thead>
                        <tr>
                            <th>"Received (UTC+8)"</th>
                            <th>"App"</th>
                            <th>"Method"</th>
                            <th>"notify_id"</th>
                            <th>"Signature"</th>
                            <th>"Answered"</th>
                            <th>"Parameters"</th>
                        </tr>
                    </thead>
                    <tbody>{page.rows.into_iter().map(message_row).collect_view()}</tbody>
                </table>
            }
                .into_any()
        }}
        <p class="pager">{next.map(|href| view! { <a href=href>"Older →"</a> })}</p>
    }
}

fn inbox_row(inbox: InboxInfo) -> impl IntoView {
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
                    <select name="answer" aria-label="What the inbox answers">
                        {ANSWERS
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
                    <button type="submit">"Save"</button>
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
                    <button type="submit">"Send a test payment here"</button>
                </form>
            </td>
        </tr>
    }
}

fn message_row(message: InboxMessageView) -> impl IntoView {
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
                <span class=format!("badge verdict-{}", message.verdict)>{message.verdict.clone()}</span>
            </td>
            <td>{message.answer}</td>
            <td>
                <code class="wrap">{message.params}</code>
            </td>
        </tr>
    }
}

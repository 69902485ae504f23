//! `/notifications` (status filter, keyset pages) and `/notifications/{notify_id}`
//! (every attempt, with *Resend now* and *Restart schedule* as plain forms).

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::console::{get_notification, list_notifications};
use crate::components::live_refresh::LiveRefresh;
use crate::i18n::*;
use crate::types::{AttemptDetail, NotificationView, format_time};

/// "in 42 s", "in 3 min", or "due now", from `now` to `at`, in `locale`.
pub fn next_attempt_in(locale: Locale, at: Option<i64>, now: i64) -> String {
    match at {
        None => "—".into(),
        Some(at) if at <= now => td_string!(locale, console.next_attempt.due_now).into(),
        Some(at) => {
            let secs = (at - now + 999) / 1000;
            if secs < 120 {
                td_string!(locale, console.next_attempt.in_secs, secs = secs).to_string()
            } else {
                td_string!(locale, console.next_attempt.in_mins, mins = (secs + 59) / 60).to_string()
            }
        }
    }
}

/// The label of a notification status or an attempt outcome (`pending`, `delivered`,
/// `failed`) in `locale`; any other value as it is.
pub fn status_label(locale: Locale, status: &str) -> &str {
    match status {
        "pending" => td_string!(locale, console.status.pending),
        "delivered" => td_string!(locale, console.status.delivered),
        "failed" => td_string!(locale, console.status.failed),
        other => other,
    }
}

/// The short name of a notification scenario in `locale`; any other value as it is.
fn scenario_label(locale: Locale, scenario: &str) -> &str {
    match scenario {
        "normal" => td_string!(locale, console.scenario.normal),
        "failure" => td_string!(locale, console.scenario.failure),
        "duplicate" => td_string!(locale, console.scenario.duplicate),
        "delayed" => td_string!(locale, console.scenario.delayed),
        other => other,
    }
}

/// The attempts of one notification.
#[component]
pub fn AttemptTable(attempts: Vec<AttemptDetail>) -> impl IntoView {
    let locale = crate::lang::use_locale();
    if attempts.is_empty() {
        return view! { <p class="muted">{td!(locale, console.attempt.none)}</p> }.into_any();
    }
    view! {
        <table class="list attempts">
            <thead>
                <tr>
                    <th>"#"</th>
                    <th>{td!(locale, console.attempt.started)}</th>
                    <th>{td!(locale, console.attempt.request)}</th>
                    <th>{td!(locale, console.attempt.status)}</th>
                    <th>{td!(locale, console.attempt.body)}</th>
                    <th class="num">{td!(locale, console.attempt.latency)}</th>
                    <th>{td!(locale, console.attempt.outcome)}</th>
                </tr>
            </thead>
            <tbody>
                {attempts
                    .into_iter()
                    .map(|a| {
                        let class = format!("outcome-{}", a.outcome);
                        let number = if a.manual {
                            td_string!(locale, console.attempt.manual, n = a.attempt_no).to_string()
                        } else {
                            a.attempt_no.to_string()
                        };
                        let outcome = status_label(locale, &a.outcome).to_owned();
                        view! {
                            <tr class=class>
                                <td>{number}</td>
                                <td>{format_time(a.started_at)}</td>
                                <td>
                                    <code class="wrap">{format!("{} {}", a.method, a.url)}</code>
                                    <details>
                                        <summary>{td!(locale, console.attempt.parameters)}</summary>
                                        <code class="wrap">{a.request}</code>
                                    </details>
                                </td>
                                <td>{a.response_status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                                <td>
                                    <code class="wrap">{a.response_body}</code>
                                </td>
                                <td class="num">{format!("{} ms", a.duration_ms)}</td>
                                <td>
                                    <strong>{outcome}</strong>
                                    {(!a.hint.is_empty()).then(|| view! { <br /> <span class="hint">{a.hint}</span> })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The notification list.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
    let query = use_query_map();
    let filter = move || {
        let query = query.read();
        (
            query.get("status").unwrap_or_default(),
            query.get("before").and_then(|value| value.parse::<i64>().ok()),
        )
    };
    let page = Resource::new_blocking(filter, |(status, before)| list_notifications(status, before));
    view! {
        <section>
            <h1>{td!(locale, console.notifications.title)}</h1>
            <p class="muted">{td!(locale, console.notifications.intro)}</p>
            <Transition fallback=|| ()>
                {move || {
                    let (status, _) = filter();
                    Suspend::new(async move {
                        let tabs = ["", "pending", "delivered", "failed"]
                            .into_iter()
                            .map(|s| {
                                let label = if s.is_empty() {
                                    td_string!(locale, console.notifications.all)
                                } else {
                                    status_label(locale, s)
                                };
                                let href = if s.is_empty() {
                                    "/notifications".to_owned()
                                } else {
                                    format!("/notifications?status={s}")
                                };
                                view! {
                                    <a href=href class:current=status == s>
                                        {label}
                                    </a>
                                }
                            })
                            .collect_view();
                        match page.await {
                            Err(err) => view! { <p class="error">{err.text(locale)}</p> }.into_any(),
                            Ok(page) => {
                                let now = page.now;
                                let pending = page.rows.iter().any(|n| n.status == "pending");
                                let next = page
                                    .next_before
                                    .map(|id| {
                                        let sep = if status.is_empty() { String::new() } else { format!("status={status}&") };
                                        format!("/notifications?{sep}before={id}")
                                    });
                                view! {
                                    {pending.then(|| view! { <LiveRefresh /> })}
                                    <nav class="tabs">{tabs}</nav>
                                    <table class="list" id="notifications" data-live="">
                                        <thead>
                                            <tr>
                                                <th>{td!(locale, console.col.created)}</th>
                                                <th>"notify_id"</th>
                                                <th>{td!(locale, console.col.transaction)}</th>
                                                <th>{td!(locale, console.col.status)}</th>
                                                <th class="num">{td!(locale, console.col.attempts)}</th>
                                                <th>{td!(locale, console.col.next_attempt)}</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {page
                                                .rows
                                                .into_iter()
                                                .map(|n| row_view(locale, n, now))
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                    <p class="pager">
                                        <a href="">{td!(locale, console.refresh)}</a>
                                        " "
                                        {next.map(|href| view! { <a href=href>{td!(locale, console.older)}</a> })}
                                    </p>
                                }
                                    .into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

fn row_view(locale: Locale, n: NotificationView, now: i64) -> impl IntoView {
    view! {
        <tr>
            <td>{format_time(n.created_at)}</td>
            <td>
                <a href=format!("/notifications/{}", n.notify_id)>
                    <code>{n.notify_id.clone()}</code>
                </a>
            </td>
            <td>
                <a href=format!("/transactions/{}", n.transaction_id)>
                    <code>{n.out_trade_no}</code>
                </a>
            </td>
            <td>
                <span class=format!("badge status-{}", n.status)>{status_label(locale, &n.status).to_owned()}</span>
            </td>
            <td class="num">{n.attempts}</td>
            <td>{next_attempt_in(locale, n.next_attempt_at, now)}</td>
        </tr>
    }
}

/// `/notifications/{notify_id}`.
#[component]
pub fn NotificationPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
    let params = use_params_map();
    let id = move || params.read().get("notify_id").unwrap_or_default();
    let detail = Resource::new_blocking(id, get_notification);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(err) => {
                        view! {
                            <h1>{td!(locale, console.notification.not_found)}</h1>
                            <p class="error">{err.text(locale)}</p>
                            <p>
                                <a href="/notifications">{td!(locale, console.notification.all)}</a>
                            </p>
                        }
                            .into_any()
                    }
                    Ok(n) => {
                        let now = n.now;
                        let base = format!("/notifications/{}", n.notify_id);
                        let pending = n.status == "pending";
                        view! {
                            {pending.then(|| view! { <LiveRefresh /> })}
                            <div id="notification" data-live="">
                            <div class="page-head">
                                <h1>
                                    {td!(locale, console.notification.heading)}
                                    " "
                                    <span class=format!(
                                        "badge status-{}",
                                        n.status,
                                    )>{status_label(locale, &n.status).to_owned()}</span>
                                </h1>
                                <a href="/notifications">{td!(locale, console.notification.all)}</a>
                            </div>
                            <section class="card">
                                <dl class="facts">
                                    <dt>"notify_id"</dt>
                                    <dd>
                                        <code>{n.notify_id.clone()}</code>
                                    </dd>
                                    <dt>{td!(locale, console.col.transaction)}</dt>
                                    <dd>
                                        <a href=format!("/transactions/{}", n.transaction_id)>
                                            <code>{n.transaction_id.clone()}</code>
                                        </a>
                                        " (" <code>{n.out_trade_no.clone()}</code> ")"
                                    </dd>
                                    <dt>{td!(locale, console.notification.target)}</dt>
                                    <dd>
                                        <code class="wrap">{format!("{} {}", n.method, n.url)}</code>
                                    </dd>
                                    <dt>{td!(locale, console.col.scenario)}</dt>
                                    <dd>{scenario_label(locale, &n.scenario).to_owned()}</dd>
                                    <dt>{td!(locale, console.col.attempts)}</dt>
                                    <dd>{n.attempts}</dd>
                                    <dt>{td!(locale, console.col.next_attempt)}</dt>
                                    <dd id="next-attempt">{next_attempt_in(locale, n.next_attempt_at, now)}</dd>
                                </dl>
                                <div class="actions">
                                    <form method="post" action=format!("{base}/resend")>
                                        <button type="submit">{td!(locale, console.notification.resend)}</button>
                                    </form>
                                    <form method="post" action=format!("{base}/restart")>
                                        <button type="submit">{td!(locale, console.notification.restart)}</button>
                                    </form>
                                    <a class="button" href=base.clone()>
                                        {td!(locale, console.refresh)}
                                    </a>
                                </div>
                            </section>
                            <section class="card">
                                <h2>{td!(locale, console.col.attempts)}</h2>
                                <AttemptTable attempts=n.attempt_log />
                            </section>
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::next_attempt_in;
    use crate::i18n::Locale;

    #[test]
    fn next_attempt_reads_naturally() {
        let english = Locale::en;
        assert_eq!(next_attempt_in(english, None, 0), "—");
        assert_eq!(next_attempt_in(english, Some(0), 5), "due now");
        assert_eq!(next_attempt_in(english, Some(42_000), 0), "in 42 s");
        assert_eq!(next_attempt_in(english, Some(8 * 60_000), 0), "in 8 min");
        assert_eq!(next_attempt_in(Locale::zh, Some(42_000), 0), "42 秒后");
        assert_eq!(next_attempt_in(Locale::zh, Some(8 * 60_000), 0), "8 分钟后");
    }
}

//! `/notifications` (status filter, keyset pages) and `/notifications/{notify_id}`
//! (every attempt, with *Resend now* and *Restart schedule* as plain forms).

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::console::{get_notification, list_notifications};
use crate::types::{AttemptDetail, NotificationView, format_time};

/// How often a page with pending notifications reloads its data (JavaScript on).
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// Live refresh: with JavaScript on, calls `refetch` a few seconds after `pending()`
/// becomes true, and again after each reload while it stays true. Without
/// JavaScript the page's "Refresh" link does the same by hand.
pub fn refresh_while(pending: impl Fn() -> bool + 'static, refetch: impl Fn() + Clone + 'static) {
    Effect::new(move |_| {
        if pending() {
            let refetch = refetch.clone();
            if let Ok(handle) = set_timeout_with_handle(refetch, REFRESH_EVERY) {
                on_cleanup(move || handle.clear());
            }
        }
    });
}

/// "in 42 s", "in 3 min", or "due now", from `now` to `at`.
pub fn next_attempt_in(at: Option<i64>, now: i64) -> String {
    match at {
        None => "—".into(),
        Some(at) if at <= now => "due now".into(),
        Some(at) => {
            let secs = (at - now + 999) / 1000;
            if secs < 120 {
                format!("in {secs} s")
            } else {
                format!("in {} min", (secs + 59) / 60)
            }
        }
    }
}

/// The attempts of one notification.
#[component]
pub fn AttemptTable(attempts: Vec<AttemptDetail>) -> impl IntoView {
    if attempts.is_empty() {
        return view! { <p class="muted">"No attempt yet."</p> }.into_any();
    }
    view! {
        <table class="list attempts">
            <thead>
                <tr>
                    <th>"#"</th>
                    <th>"Started (UTC+8)"</th>
                    <th>"Request"</th>
                    <th>"Status"</th>
                    <th>"Body"</th>
                    <th class="num">"Latency"</th>
                    <th>"Outcome"</th>
                </tr>
            </thead>
            <tbody>
                {attempts
                    .into_iter()
                    .map(|a| {
                        let class = format!("outcome-{}", a.outcome);
                        view! {
                            <tr class=class>
                                <td>{a.attempt_no} {a.manual.then_some(" (manual)")}</td>
                                <td>{format_time(a.started_at)}</td>
                                <td>
                                    <code class="wrap">{format!("{} {}", a.method, a.url)}</code>
                                    <details>
                                        <summary>"parameters"</summary>
                                        <code class="wrap">{a.request}</code>
                                    </details>
                                </td>
                                <td>{a.response_status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                                <td>
                                    <code class="wrap">{a.response_body}</code>
                                </td>
                                <td class="num">{format!("{} ms", a.duration_ms)}</td>
                                <td>
                                    <strong>{a.outcome}</strong>
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
    let query = use_query_map();
    let filter = move || {
        let query = query.read();
        (
            query.get("status").unwrap_or_default(),
            query.get("before").and_then(|value| value.parse::<i64>().ok()),
        )
    };
    let page = Resource::new_blocking(filter, |(status, before)| list_notifications(status, before));
    refresh_while(
        move || {
            page.with(
                |page| matches!(page, Some(Ok(page)) if page.rows.iter().any(|n| n.status == "pending")),
            )
        },
        move || page.refetch(),
    );
    view! {
        <section>
            <h1>"Notifications"</h1>
            <p class="muted">
                "Every server-to-server notification of your sandbox orders. Attempt 1 goes out at once; failures are retried after 1, 2, 4, 8, 16 and 32 minutes (seconds for apps in fast mode)."
            </p>
            <Transition fallback=|| ()>
                {move || {
                    let (status, _) = filter();
                    Suspend::new(async move {
                        let tabs = ["", "pending", "delivered", "failed"]
                            .into_iter()
                            .map(|s| {
                                let label = if s.is_empty() { "all" } else { s };
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
                            Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                            Ok(page) => {
                                let now = page.now;
                                let next = page
                                    .next_before
                                    .map(|id| {
                                        let sep = if status.is_empty() { String::new() } else { format!("status={status}&") };
                                        format!("/notifications?{sep}before={id}")
                                    });
                                view! {
                                    <nav class="tabs">{tabs}</nav>
                                    <table class="list" id="notifications">
                                        <thead>
                                            <tr>
                                                <th>"Created (UTC+8)"</th>
                                                <th>"notify_id"</th>
                                                <th>"Transaction"</th>
                                                <th>"Status"</th>
                                                <th class="num">"Attempts"</th>
                                                <th>"Next attempt"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {page
                                                .rows
                                                .into_iter()
                                                .map(|n| row_view(n, now))
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                    <p class="pager">
                                        <a href="">"Refresh"</a>
                                        " "
                                        {next.map(|href| view! { <a href=href>"Older →"</a> })}
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

fn row_view(n: NotificationView, now: i64) -> impl IntoView {
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
                <span class=format!("badge status-{}", n.status)>{n.status.clone()}</span>
            </td>
            <td class="num">{n.attempts}</td>
            <td>{next_attempt_in(n.next_attempt_at, now)}</td>
        </tr>
    }
}

/// `/notifications/{notify_id}`.
#[component]
pub fn NotificationPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("notify_id").unwrap_or_default();
    let detail = Resource::new_blocking(id, get_notification);
    refresh_while(
        move || detail.with(|detail| matches!(detail, Some(Ok(n)) if n.status == "pending")),
        move || detail.refetch(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(err) => {
                        view! {
                            <h1>"Notification not found"</h1>
                            <p class="error">{err.to_string()}</p>
                            <p>
                                <a href="/notifications">"All notifications"</a>
                            </p>
                        }
                            .into_any()
                    }
                    Ok(n) => {
                        let now = n.now;
                        let base = format!("/notifications/{}", n.notify_id);
                        view! {
                            <div class="page-head">
                                <h1>
                                    "Notification "
                                    <span class=format!("badge status-{}", n.status)>{n.status.clone()}</span>
                                </h1>
                                <a href="/notifications">"All notifications"</a>
                            </div>
                            <section class="card">
                                <dl class="facts">
                                    <dt>"notify_id"</dt>
                                    <dd>
                                        <code>{n.notify_id.clone()}</code>
                                    </dd>
                                    <dt>"Transaction"</dt>
                                    <dd>
                                        <a href=format!("/transactions/{}", n.transaction_id)>
                                            <code>{n.transaction_id.clone()}</code>
                                        </a>
                                        " (" <code>{n.out_trade_no.clone()}</code> ")"
                                    </dd>
                                    <dt>"Target"</dt>
                                    <dd>
                                        <code class="wrap">{format!("{} {}", n.method, n.url)}</code>
                                    </dd>
                                    <dt>"Scenario"</dt>
                                    <dd>{n.scenario.clone()}</dd>
                                    <dt>"Attempts"</dt>
                                    <dd>{n.attempts}</dd>
                                    <dt>"Next attempt"</dt>
                                    <dd id="next-attempt">{next_attempt_in(n.next_attempt_at, now)}</dd>
                                </dl>
                                <div class="actions">
                                    <form method="post" action=format!("{base}/resend")>
                                        <button type="submit">"Resend now"</button>
                                    </form>
                                    <form method="post" action=format!("{base}/restart")>
                                        <button type="submit">"Restart schedule"</button>
                                    </form>
                                    <a class="button" href=base.clone()>"Refresh"</a>
                                </div>
                            </section>
                            <section class="card">
                                <h2>"Attempts"</h2>
                                <AttemptTable attempts=n.attempt_log />
                            </section>
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

    #[test]
    fn next_attempt_reads_naturally() {
        assert_eq!(next_attempt_in(None, 0), "—");
        assert_eq!(next_attempt_in(Some(0), 5), "due now");
        assert_eq!(next_attempt_in(Some(42_000), 0), "in 42 s");
        assert_eq!(next_attempt_in(Some(8 * 60_000), 0), "in 8 min");
    }
}

//! `/transactions` (filters, keyset pages) and `/transactions/{transaction_id}`
//! (every field, a state timeline, notifications with their attempts, cURL).

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::console::{get_transaction, list_transactions};
use crate::components::copy_button::CopyButton;
use crate::pages::notifications::{AttemptTable, refresh_while};
use crate::protocol::{trade_state, yuan};
use crate::types::{TransactionDetail, format_time};

/// The filter form's values, from the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Filter {
    appid: String,
    state: String,
    from: String,
    to: String,
    q: String,
    before: Option<i64>,
}

impl Filter {
    /// The query string of these filters, without `before`.
    fn query(&self) -> String {
        let pairs = [
            ("appid", &self.appid),
            ("state", &self.state),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ];
        pairs
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}={}", urlencode(value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A badge for a trade_state.
#[component]
pub fn StateBadge(state: i16) -> impl IntoView {
    view! { <span class=format!("badge state-{}", trade_state::name(state))>{trade_state::name(state)}</span> }
}

/// The transaction list.
#[component]
pub fn TransactionsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let query = query.read();
        let get = |name: &str| query.get(name).unwrap_or_default();
        Filter {
            appid: get("appid"),
            state: get("state"),
            from: get("from"),
            to: get("to"),
            q: get("q"),
            before: query.get("before").and_then(|value| value.parse().ok()),
        }
    };
    let page = Resource::new_blocking(filter, |f| {
        list_transactions(f.appid, f.state, f.from, f.to, f.q, f.before)
    });
    view! {
        <section>
            <div class="page-head">
                <h1>"Transactions"</h1>
                <a class="button primary" href="/test-payments">"New test payment"</a>
            </div>
            <Suspense fallback=|| ()>
                {move || {
                    let current = filter();
                    Suspend::new(async move {
                        let form = filter_form(&current);
                        match page.await {
                            Err(err) => view! { {form} <p class="error">{err.to_string()}</p> }.into_any(),
                            Ok(page) if page.rows.is_empty() => {
                                view! {
                                    {form}
                                    <p class="empty">
                                        "No transactions match. Make one from "
                                        <a href="/test-payments">"Test payments"</a>
                                        ", or send a signed pay request to /gateway/pay.htm."
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(page) => {
                                let next = page
                                    .next_before
                                    .map(|id| {
                                        let query = current.query();
                                        let sep = if query.is_empty() { "" } else { "&" };
                                        format!("/transactions?{query}{sep}before={id}")
                                    });
                                view! {
                                    {form}
                                    <table class="list" id="transactions">
                                        <thead>
                                            <tr>
                                                <th>"Created (UTC+8)"</th>
                                                <th>"transaction_id"</th>
                                                <th>"out_trade_no"</th>
                                                <th>"appid"</th>
                                                <th>"Item"</th>
                                                <th class="num">"Amount"</th>
                                                <th>"State"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {page
                                                .rows
                                                .into_iter()
                                                .map(|row| {
                                                    view! {
                                                        <tr>
                                                            <td>{format_time(row.created_at)}</td>
                                                            <td>
                                                                <a href=format!(
                                                                    "/transactions/{}",
                                                                    row.transaction_id,
                                                                )>
                                                                    <code>{row.transaction_id.clone()}</code>
                                                                </a>
                                                            </td>
                                                            <td>
                                                                <code>{row.out_trade_no}</code>
                                                            </td>
                                                            <td>
                                                                <code>{row.appid}</code>
                                                            </td>
                                                            <td>{row.body}</td>
                                                            <td class="num">{yuan(row.total_fee)}</td>
                                                            <td>
                                                                <StateBadge state=row.trade_state />
                                                            </td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                    <p class="pager">
                                        {next.map(|href| view! { <a href=href>"Older transactions →"</a> })}
                                    </p>
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

/// The GET form of filters: works without JavaScript.
fn filter_form(current: &Filter) -> impl IntoView {
    let states = [
        ("", "any state"),
        ("0", "paid"),
        ("1", "created"),
        ("2", "failed"),
        ("3", "closed"),
    ];
    let selected = current.state.clone();
    view! {
        <form method="get" action="/transactions" class="filters">
            <label>
                "appid" <input name="appid" value=current.appid.clone() inputmode="numeric" size="12" />
            </label>
            <label>
                "State"
                <select name="state">
                    {states
                        .into_iter()
                        .map(|(value, label)| {
                            view! {
                                <option value=value selected=selected == value>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>"From" <input type="date" name="from" value=current.from.clone() /></label>
            <label>"To" <input type="date" name="to" value=current.to.clone() /></label>
            <label>
                "out_trade_no or transaction_id"
                <input name="q" value=current.q.clone() size="30" />
            </label>
            <button type="submit">"Filter"</button>
            <a href="/transactions">"Clear"</a>
        </form>
    }
}

/// `/transactions/{transaction_id}`.
#[component]
pub fn TransactionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("transaction_id").unwrap_or_default();
    let detail = Resource::new_blocking(id, get_transaction);
    refresh_while(
        move || {
            detail.with(|detail| {
                matches!(detail, Some(Ok(d)) if d.notifications.iter().any(|n| n.status == "pending"))
            })
        },
        move || detail.refetch(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => transaction_view(detail).into_any(),
                    Err(err) => {
                        view! {
                            <h1>"Transaction not found"</h1>
                            <p class="error">{err.to_string()}</p>
                            <p>
                                <a href="/transactions">"All transactions"</a>
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn transaction_view(detail: TransactionDetail) -> impl IntoView {
    let row = detail.row.clone();
    let facts: Vec<(&str, String)> = vec![
        ("transaction_id", row.transaction_id.clone()),
        ("out_trade_no", row.out_trade_no.clone()),
        ("App", format!("{} ({})", detail.app_name, row.appid)),
        ("Item (body)", row.body.clone()),
        (
            "Amount",
            format!("{} ({} fen)", yuan(row.total_fee), row.total_fee),
        ),
        ("fee_type", detail.fee_type.clone()),
        ("attach", detail.attach.clone()),
        ("bank_type", detail.bank_type.clone()),
        ("buyer_id", detail.buyer_id.clone()),
        ("pay_info", detail.pay_info.clone()),
        ("notify_url", detail.notify_url.clone()),
        ("return_url", detail.return_url.clone()),
        ("spbill_create_ip", detail.spbill_create_ip.clone()),
        ("input_charset", detail.input_charset.clone()),
        ("Scenario", detail.scenario.clone()),
    ];
    let mut timeline = vec![(row.created_at, "Order created".to_owned())];
    if let Some(end) = row.time_end {
        timeline.push((end, format!("Order {}", trade_state::name(row.trade_state))));
    } else if row.trade_state == trade_state::CLOSED {
        timeline.push((detail.updated_at, "Order closed (expired unpaid)".to_owned()));
    }
    for n in &detail.notifications {
        for attempt in &n.attempt_log {
            let kind = if attempt.manual {
                "manual attempt"
            } else {
                "attempt"
            };
            timeline.push((
                attempt.started_at,
                format!("Notification {kind} {}: {}", attempt.attempt_no, attempt.outcome),
            ));
        }
    }
    timeline.sort_by_key(|(at, _)| *at);
    view! {
        <div class="page-head">
            <h1>"Transaction " <StateBadge state=row.trade_state /></h1>
            <a href="/transactions">"All transactions"</a>
        </div>
        <section class="card">
            <dl class="facts">
                {facts
                    .into_iter()
                    .map(|(name, value)| {
                        view! {
                            <dt>{name}</dt>
                            <dd>
                                <code class="wrap">{value}</code>
                            </dd>
                        }
                    })
                    .collect_view()}
            </dl>
        </section>
        <section class="card">
            <h2>"Timeline (UTC+8)"</h2>
            <ol class="timeline">
                {timeline
                    .into_iter()
                    .map(|(at, what)| view! { <li><time>{format_time(at)}</time> " " {what}</li> })
                    .collect_view()}
            </ol>
        </section>
        <section class="card">
            <h2>"Notifications"</h2>
            {if detail.notifications.is_empty() {
                view! { <p class="muted">"None: the order is not settled."</p> }.into_any()
            } else {
                detail
                    .notifications
                    .into_iter()
                    .map(|n| {
                        view! {
                            <h3>
                                <a href=format!("/notifications/{}", n.notify_id)>
                                    <code>{n.notify_id.clone()}</code>
                                </a>
                                " "
                                <span class=format!("badge status-{}", n.status)>{n.status.clone()}</span>
                            </h3>
                            <AttemptTable attempts=n.attempt_log />
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
        </section>
        <section class="card">
            <h2>"Query it yourself"</h2>
            <p class="muted small">"An order query for this transaction, signed with the app's current key:"</p>
            <pre class="wrap" id="curl">{detail.curl.clone()}</pre>
            <CopyButton text=detail.curl />
        </section>
    }
}

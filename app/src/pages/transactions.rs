//! `/transactions` (filters, keyset pages) and `/transactions/{transaction_id}`
//! (every field, a state timeline, notifications with their attempts, cURL).

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::console::{get_transaction, list_transactions};
use crate::components::copy_button::CopyButton;
use crate::components::live_refresh::LiveRefresh;
use crate::i18n::*;
use crate::pages::notifications::{AttemptTable, status_label};
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

/// The label of a trade_state, in `locale` (in English, the state's name).
pub fn state_label(locale: Locale, state: i16) -> &'static str {
    match trade_state::name(state) {
        "paid" => td_string!(locale, console.trade_state.paid),
        "created" => td_string!(locale, console.trade_state.created),
        "failed" => td_string!(locale, console.trade_state.failed),
        "closed" => td_string!(locale, console.trade_state.closed),
        "refunded" => td_string!(locale, console.trade_state.refunded),
        _ => td_string!(locale, console.trade_state.unknown),
    }
}

/// A badge for a trade_state.
#[component]
pub fn StateBadge(state: i16) -> impl IntoView {
    let locale = crate::lang::use_locale();
    view! { <span class=format!("badge state-{}", trade_state::name(state))>{state_label(locale, state)}</span> }
}

/// The transaction list.
#[component]
pub fn TransactionsPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
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
                <h1>{td!(locale, console.transactions.title)}</h1>
                <a class="button primary" href="/test-payments">
                    {td!(locale, console.transactions.new_test_payment)}
                </a>
            </div>
            <Suspense fallback=|| ()>
                {move || {
                    let current = filter();
                    Suspend::new(async move {
                        let form = filter_form(locale, &current);
                        match page.await {
                            Err(err) => view! { {form} <p class="error">{err.text(locale)}</p> }.into_any(),
                            Ok(page) if page.rows.is_empty() => {
                                view! {
                                    {form}
                                    <p class="empty">
                                        {td!(locale, console.transactions.empty_before)}
                                        <a href="/test-payments">{td!(locale, console.transactions.empty_link)}</a>
                                        {td!(locale, console.transactions.empty_after)}
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
                                                <th>{td!(locale, console.col.created)}</th>
                                                <th>"transaction_id"</th>
                                                <th>"out_trade_no"</th>
                                                <th>"appid"</th>
                                                <th>{td!(locale, console.transactions.item)}</th>
                                                <th class="num">{td!(locale, console.col.amount)}</th>
                                                <th>{td!(locale, console.transactions.state)}</th>
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
                                        {next
                                            .map(|href| {
                                                view! {
                                                    <a href=href>{td!(locale, console.transactions.older)}</a>
                                                }
                                            })}
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
fn filter_form(locale: Locale, current: &Filter) -> impl IntoView {
    let states = [
        ("", td_string!(locale, console.transactions.filter.any_state)),
        ("0", state_label(locale, trade_state::PAID)),
        ("1", state_label(locale, trade_state::CREATED)),
        ("2", state_label(locale, trade_state::FAILED)),
        ("3", state_label(locale, trade_state::CLOSED)),
    ];
    let selected = current.state.clone();
    view! {
        <form method="get" action="/transactions" class="filters">
            <label>
                "appid" <input name="appid" value=current.appid.clone() inputmode="numeric" size="12" />
            </label>
            <label>
                {td!(locale, console.transactions.filter.state)}
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
            <label>
                {td!(locale, console.transactions.filter.from)}
                <input type="date" name="from" value=current.from.clone() />
            </label>
            <label>
                {td!(locale, console.transactions.filter.to)}
                <input type="date" name="to" value=current.to.clone() />
            </label>
            <label>
                {td!(locale, console.transactions.filter.q)}
                <input name="q" value=current.q.clone() size="30" />
            </label>
            <button type="submit">{td!(locale, console.transactions.filter.submit)}</button>
            <a href="/transactions">{td!(locale, console.transactions.filter.clear)}</a>
        </form>
    }
}

/// `/transactions/{transaction_id}`.
#[component]
pub fn TransactionPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
    let params = use_params_map();
    let id = move || params.read().get("transaction_id").unwrap_or_default();
    let detail = Resource::new_blocking(id, get_transaction);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => transaction_view(locale, detail).into_any(),
                    Err(err) => {
                        view! {
                            <h1>{td!(locale, console.transaction.not_found)}</h1>
                            <p class="error">{err.text(locale)}</p>
                            <p>
                                <a href="/transactions">{td!(locale, console.transaction.all)}</a>
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn transaction_view(locale: Locale, detail: TransactionDetail) -> impl IntoView {
    let row = detail.row.clone();
    let facts: Vec<(&str, String)> = vec![
        ("transaction_id", row.transaction_id.clone()),
        ("out_trade_no", row.out_trade_no.clone()),
        (
            td_string!(locale, console.col.app),
            format!("{} ({})", detail.app_name, row.appid),
        ),
        (td_string!(locale, console.col.item_body), row.body.clone()),
        (
            td_string!(locale, console.col.amount),
            td_string!(
                locale,
                console.transaction.amount_fen,
                yuan = yuan(row.total_fee),
                fen = row.total_fee
            )
            .to_string(),
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
        (td_string!(locale, console.col.scenario), detail.scenario.clone()),
    ];
    let mut timeline = vec![(
        row.created_at,
        td_string!(locale, console.timeline.created).to_owned(),
    )];
    if let Some(end) = row.time_end {
        let state = state_label(locale, row.trade_state);
        timeline.push((
            end,
            td_string!(locale, console.timeline.settled, state = state).to_string(),
        ));
    } else if row.trade_state == trade_state::CLOSED {
        timeline.push((
            detail.updated_at,
            td_string!(locale, console.timeline.closed_expired).to_owned(),
        ));
    }
    for n in &detail.notifications {
        for attempt in &n.attempt_log {
            let (no, outcome) = (attempt.attempt_no, status_label(locale, &attempt.outcome));
            let what = if attempt.manual {
                td_string!(locale, console.timeline.manual_attempt, n = no, outcome = outcome).to_string()
            } else {
                td_string!(locale, console.timeline.attempt, n = no, outcome = outcome).to_string()
            };
            timeline.push((attempt.started_at, what));
        }
    }
    timeline.sort_by_key(|(at, _)| *at);
    let pending = detail.notifications.iter().any(|n| n.status == "pending");
    view! {
        {pending.then(|| view! { <LiveRefresh /> })}
        <div class="page-head">
            <h1>{td!(locale, console.transaction.heading)} " " <StateBadge state=row.trade_state /></h1>
            <a href="/transactions">{td!(locale, console.transaction.all)}</a>
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
        <section class="card" id="timeline" data-live="">
            <h2>{td!(locale, console.transaction.timeline)}</h2>
            <ol class="timeline">
                {timeline
                    .into_iter()
                    .map(|(at, what)| view! { <li><time>{format_time(at)}</time> " " {what}</li> })
                    .collect_view()}
            </ol>
        </section>
        <section class="card" id="transaction-notifications" data-live="">
            <h2>{td!(locale, console.transaction.notifications)}</h2>
            {if detail.notifications.is_empty() {
                view! { <p class="muted">{td!(locale, console.transaction.no_notifications)}</p> }.into_any()
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
                                <span class=format!(
                                    "badge status-{}",
                                    n.status,
                                )>{status_label(locale, &n.status).to_owned()}</span>
                            </h3>
                            <AttemptTable attempts=n.attempt_log />
                        }
                    })
                    .collect_view()
                    .into_any()
            }}
        </section>
        <section class="card">
            <h2>{td!(locale, console.transaction.query_title)}</h2>
            <p class="muted small">{td!(locale, console.transaction.query_help)}</p>
            <pre class="wrap" id="curl">{detail.curl.clone()}</pre>
            <CopyButton text=detail.curl />
        </section>
    }
}

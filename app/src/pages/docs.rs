//! `/docs`: the gateway protocol reference and the SDK quickstart.
//!
//! The parameter tables, retcodes, trade states and result parameters are
//! rendered from `crate::protocol`, the definitions the gateway validates
//! with. The notification schedule is the one this server runs with. The SDK
//! quickstart is `docs/SDK.md`, rendered on the server.

use leptos::prelude::*;

use crate::api::docs::get_docs;
use crate::protocol::{
    COMMON_OPTIONAL, NOTIFY_QUERY_PARAMS, ORDER_QUERY_PARAMS, PAY_PARAMS, Param, RESULT_PARAMS, RETCODES,
    trade_state,
};

/// The docs page (public).
#[component]
pub fn DocsPage() -> impl IntoView {
    let docs = Resource::new_blocking(|| (), |_| get_docs());
    view! {
        <article class="docs">
            <h1>"Docs"</h1>
            <nav class="toc">
                <a href="#signature">"Signature"</a>
                <a href="#pay">"Pay"</a>
                <a href="#results">"Return and notification"</a>
                <a href="#notify-query">"Notify query"</a>
                <a href="#order-query">"Order query"</a>
                <a href="#retcodes">"Retcodes"</a>
                <a href="#notifications">"Retries"</a>
                <a href="#sdk">"SDK quickstart"</a>
            </nav>
            <p>
                "The sandbox speaks the open platform's protocol: signed GET or POST requests to "
                <code>"/gateway/…"</code>
                ", answered with an HTML cashier, a signed redirect, or signed XML. Amounts are integers in fen (¥1.00 = 100); times are "
                <code>"yyyyMMddHHmmss"</code> " in UTC+8."
            </p>

            <h2 id="signature">"Signature"</h2>
            <ol>
                <li>
                    "Take every parameter except " <code>"sign"</code>
                    ", and drop those whose value is empty."
                </li>
                <li>"Sort them by name (byte order) and join them as " <code>"name=value"</code> " with " <code>"&"</code> ", values not URL-encoded."</li>
                <li>"Append " <code>"&key=<app key>"</code> "."</li>
                <li>
                    "MD5 of that string in the request's charset (" <code>"input_charset"</code>
                    ": UTF-8 or GBK), as uppercase hex, is " <code>"sign"</code>
                    ". The platform compares case-insensitively."
                </li>
            </ol>
            <p>
                "The " <a href="/tools/signature">"signature debugger"</a>
                " shows the canonical string and the expected signature for any request you paste."
            </p>

            <h2 id="pay">"Pay: " <code>"/gateway/pay.htm"</code></h2>
            <p>
                "Send the buyer's browser here (GET, or a form POST). A valid request creates the order (the same "
                <code>"out_trade_no"</code>
                " with the same amount and body finds it again) and shows the sandbox cashier; a refused one shows an error page with its retcode."
            </p>
            <ParamTable params=PAY_PARAMS />
            <p>"Every gateway request may also carry:"</p>
            <ParamTable params=COMMON_OPTIONAL />

            <h2 id="results">"Return and notification"</h2>
            <p>
                "After paying, the cashier redirects the browser to " <code>"return_url"</code>
                " with these signed parameters, and the platform sends the same parameters (with "
                <code>"notify_id"</code> ") to " <code>"notify_url"</code>
                ", server to server. Empty values are left out."
            </p>
            <p class="params">
                {RESULT_PARAMS
                    .iter()
                    .map(|name| view! { <code>{*name}</code> " " })
                    .collect_view()}
            </p>
            <table class="list">
                <thead>
                    <tr>
                        <th>"trade_state"</th>
                        <th>"Meaning"</th>
                    </tr>
                </thead>
                <tbody>
                    {[
                        trade_state::PAID,
                        trade_state::CREATED,
                        trade_state::FAILED,
                        trade_state::CLOSED,
                        trade_state::REFUNDED,
                    ]
                        .into_iter()
                        .map(|state| {
                            view! {
                                <tr>
                                    <td class="num">{state}</td>
                                    <td>{trade_state::name(state)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>

            <h2 id="notify-query">"Notify query: " <code>"/gateway/verifynotifyid.xml"</code></h2>
            <p>
                "Confirms a notification you received before you ship: the answer is the notified order, as signed XML, while the "
                <code>"notify_id"</code> " is valid."
            </p>
            <ParamTable params=NOTIFY_QUERY_PARAMS />

            <h2 id="order-query">"Order query: " <code>"/gateway/normalorderquery.xml"</code></h2>
            <p>"The order's current fields plus " <code>"is_refund"</code> ", as signed XML."</p>
            <ParamTable params=ORDER_QUERY_PARAMS />
            <p>
                "XML answers are " <code>"<root>"</code> " with one element per field, "
                <code>"retcode"</code> " and " <code>"retmsg"</code>
                " first. They are signed (with the fields above) only when retcode is 0."
            </p>

            <h2 id="retcodes">"Retcodes"</h2>
            <table class="list" id="retcode-table">
                <thead>
                    <tr>
                        <th>"retcode"</th>
                        <th>"Meaning"</th>
                    </tr>
                </thead>
                <tbody>
                    {RETCODES
                        .iter()
                        .map(|code| {
                            view! {
                                <tr>
                                    <td class="num">
                                        <code>{code.code}</code>
                                    </td>
                                    <td>{code.meaning}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>

            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match docs.await {
                        Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                        Ok(docs) => {
                            view! {
                                <h2 id="notifications">"Notifications and retries"</h2>
                                <p>
                                    "A notification is acknowledged by an HTTP 2xx answer whose body, trimmed, is exactly "
                                    <code>"success"</code>
                                    ". Anything else (another body, a redirect, a timeout of "
                                    {docs.timeout.clone()}
                                    ", an error) is a failed attempt, and the console shows a hint saying which. The first attempt goes out at once; failed ones are retried after "
                                    <strong>{docs.schedule.clone()}</strong>
                                    ", then the notification is failed. Apps in fast mode wait seconds where the schedule says minutes."
                                </p>
                                <section id="sdk" class="markdown" inner_html=docs.sdk_html></section>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </article>
    }
}

/// A request's parameters: name, required or optional, and the rule.
#[component]
fn ParamTable(params: &'static [Param]) -> impl IntoView {
    view! {
        <table class="list params">
            <thead>
                <tr>
                    <th>"Parameter"</th>
                    <th>"Required"</th>
                    <th>"Rule"</th>
                </tr>
            </thead>
            <tbody>
                {params
                    .iter()
                    .map(|param| {
                        view! {
                            <tr>
                                <td>
                                    <code>{param.name}</code>
                                </td>
                                <td>{if param.required { "yes" } else { "no" }}</td>
                                <td>{param.rule}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

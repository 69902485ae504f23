//! `/docs`: the gateway protocol reference and the SDK quickstart.
//!
//! The parameter tables, retcodes, trade states and result parameters are
//! rendered from `crate::protocol`, the definitions the gateway validates
//! with. The notification schedule is the one this server runs with. The SDK
//! quickstart is `docs/SDK.md`, rendered on the server.

use leptos::prelude::*;

use crate::api::docs::get_docs;
use crate::i18n::*;
use crate::protocol::{
    COMMON_OPTIONAL, NOTIFY_QUERY_PARAMS, ORDER_QUERY_PARAMS, PAY_PARAMS, Param, RESULT_PARAMS, RETCODES,
    trade_state,
};

/// The docs page (public).
#[component]
pub fn DocsPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
    let zh = locale == Locale::zh;
    let docs = Resource::new_blocking(|| (), |_| get_docs());
    view! {
        <article class="docs">
            <h1>{td!(locale, tools.docs.title)}</h1>
            <nav class="toc">
                <a href="#signature">{td!(locale, tools.docs.toc.signature)}</a>
                <a href="#pay">{td!(locale, tools.docs.toc.pay)}</a>
                <a href="#results">{td!(locale, tools.docs.toc.results)}</a>
                <a href="#notify-query">{td!(locale, tools.docs.toc.notify_query)}</a>
                <a href="#order-query">{td!(locale, tools.docs.toc.order_query)}</a>
                <a href="#retcodes">{td!(locale, tools.docs.toc.retcodes)}</a>
                <a href="#notifications">{td!(locale, tools.docs.toc.retries)}</a>
                <a href="#sdk">{td!(locale, tools.docs.toc.sdk)}</a>
            </nav>
            <p>{td!(locale, tools.docs.intro, <c> = <code />)}</p>

            <h2 id="signature">{td!(locale, tools.docs.signature.title)}</h2>
            <ol>
                <li>{td!(locale, tools.docs.signature.step_params, <c> = <code />)}</li>
                <li>{td!(locale, tools.docs.signature.step_sort, <c> = <code />)}</li>
                <li>{td!(locale, tools.docs.signature.step_key, <c> = <code />, key = "&key=<app key>")}</li>
                <li>{td!(locale, tools.docs.signature.step_md5, <c> = <code />)}</li>
            </ol>
            <p>{td!(locale, tools.docs.signature.debugger, <a> = <a href="/tools/signature" />)}</p>

            <h2 id="pay">{td!(locale, tools.docs.pay.title)} <code>"/gateway/pay.htm"</code></h2>
            <p>{td!(locale, tools.docs.pay.intro, <c> = <code />)}</p>
            <ParamTable params=PAY_PARAMS />
            <p>{td!(locale, tools.docs.pay.common)}</p>
            <ParamTable params=COMMON_OPTIONAL />

            <h2 id="results">{td!(locale, tools.docs.results.title)}</h2>
            <p>{td!(locale, tools.docs.results.intro, <c> = <code />)}</p>
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
                        <th>{td!(locale, tools.docs.meaning)}</th>
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
                                    <td>{trade_state_text(locale, state)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>

            <h2 id="notify-query">
                {td!(locale, tools.docs.notify_query.title)} <code>"/gateway/verifynotifyid.xml"</code>
            </h2>
            <p>{td!(locale, tools.docs.notify_query.intro, <c> = <code />)}</p>
            <ParamTable params=NOTIFY_QUERY_PARAMS />

            <h2 id="order-query">
                {td!(locale, tools.docs.order_query.title)} <code>"/gateway/normalorderquery.xml"</code>
            </h2>
            <p>{td!(locale, tools.docs.order_query.intro, <c> = <code />)}</p>
            <ParamTable params=ORDER_QUERY_PARAMS />
            <p>{td!(locale, tools.docs.order_query.xml, <c> = <code />, root = "<root>")}</p>

            <h2 id="retcodes">{td!(locale, tools.docs.retcodes)}</h2>
            <table class="list" id="retcode-table">
                <thead>
                    <tr>
                        <th>"retcode"</th>
                        <th>{td!(locale, tools.docs.meaning)}</th>
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
                                    <td>{if zh { code.meaning_zh } else { code.meaning }}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>

            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match docs.await {
                        Err(err) => view! { <p class="error">{err.text(locale)}</p> }.into_any(),
                        Ok(docs) => {
                            // A component, not a variable: leptos_i18n reads a variable
                            // that comes before a component in a text as plain text.
                            let timeout = docs.timeout.clone();
                            view! {
                                <h2 id="notifications">{td!(locale, tools.docs.notifications.title)}</h2>
                                <p>
                                    {td!(
                                        locale,
                                        tools.docs.notifications.body,
                                        <c> = <code />,
                                        <b> = <strong />,
                                        <timeout/> = move || timeout.clone(),
                                        schedule = docs.schedule.clone()
                                    )}
                                </p>
                                {zh.then(|| view! { <p class="muted small">{td!(locale, tools.docs.sdk_in_english)}</p> })}
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

/// A `trade_state`'s name in the page's language (English: [`trade_state::name`]).
fn trade_state_text(locale: Locale, state: i16) -> &'static str {
    match state {
        trade_state::PAID => td_string!(locale, tools.docs.trade_states.paid),
        trade_state::CREATED => td_string!(locale, tools.docs.trade_states.created),
        trade_state::FAILED => td_string!(locale, tools.docs.trade_states.failed),
        trade_state::CLOSED => td_string!(locale, tools.docs.trade_states.closed),
        trade_state::REFUNDED => td_string!(locale, tools.docs.trade_states.refunded),
        _ => trade_state::name(state),
    }
}

/// A request's parameters: name, required or optional, and the rule.
#[component]
fn ParamTable(params: &'static [Param]) -> impl IntoView {
    let locale = crate::lang::use_locale();
    let zh = locale == Locale::zh;
    view! {
        <table class="list params">
            <thead>
                <tr>
                    <th>{td!(locale, tools.docs.params.parameter)}</th>
                    <th>{td!(locale, tools.docs.params.required)}</th>
                    <th>{td!(locale, tools.docs.params.rule)}</th>
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
                                <td>
                                    {if param.required {
                                        td_string!(locale, tools.docs.params.yes)
                                    } else {
                                        td_string!(locale, tools.docs.params.no)
                                    }}
                                </td>
                                <td>{if zh { param.rule_zh } else { param.rule }}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

//! `/tools` and `/tools/signature`: the signature debugger, a GET form that
//! works without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::apps::list_apps;
use crate::api::console::check_signature;
use crate::i18n::*;
use crate::types::SignatureCheck;

/// `/tools`.
#[component]
pub fn ToolsPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
    view! {
        <section class="card">
            <h1>{td!(locale, tools.index.title)}</h1>
            <ul>
                <li>{td!(locale, tools.index.signature, <a> = <a href="/tools/signature" />)}</li>
            </ul>
        </section>
    }
}

/// One parameter of a raw query string, form-decoded once (`+` is a space).
///
/// The router's query map decodes percent escapes a second time, which would
/// turn a pasted `green%20tea` into `green tea`: exactly the difference this
/// tool must see. So the raw query string is read and decoded here.
fn raw_query_param(search: &str, name: &str) -> String {
    let search = search.trim_start_matches('?');
    let Some(value) = search.split('&').find_map(|pair| {
        pair.split_once('=')
            .filter(|(key, _)| *key == name)
            .map(|(_, value)| value)
    }) else {
        return String::new();
    };
    let hex = |byte: u8| char::from(byte).to_digit(16).map(|d| d as u8);
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) => hex(hi).zip(hex(lo)).map(|(hi, lo)| hi << 4 | lo),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, byte) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `/tools/signature?appid=…&input=…`.
#[component]
pub fn SignaturePage() -> impl IntoView {
    let locale = crate::lang::use_locale();
    let location = use_location();
    let form = move || {
        let search = location.search.get();
        (
            raw_query_param(&search, "appid"),
            raw_query_param(&search, "input"),
        )
    };
    let data = Resource::new_blocking(form, |(appid, input)| async move {
        let apps = list_apps().await?;
        let check = if input.trim().is_empty() || appid.is_empty() {
            None
        } else {
            Some(check_signature(appid, input).await)
        };
        Ok::<_, crate::error::AppError>((apps, check))
    });
    view! {
        <section class="card">
            <h1>{td!(locale, tools.signature.title)}</h1>
            <p class="muted">{td!(locale, tools.signature.intro)}</p>
            <Suspense fallback=|| ()>
                {move || {
                    let (appid, input) = form();
                    Suspend::new(async move {
                        match data.await {
                            Err(err) => view! { <p class="error">{err.text(locale)}</p> }.into_any(),
                            Ok((apps, check)) => {
                                view! {
                                    <form method="get" action="/tools/signature" class="form">
                                        <label class="field">
                                            <span>{td!(locale, tools.signature.app)}</span>
                                            <select name="appid" required>
                                                {apps
                                                    .into_iter()
                                                    .map(|app| {
                                                        let selected = app.appid == appid;
                                                        view! {
                                                            <option value=app.appid.clone() selected=selected>
                                                                {format!("{} ({})", app.name, app.appid)}
                                                            </option>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </select>
                                        </label>
                                        <label class="field">
                                            <span>{td!(locale, tools.signature.request)}</span>
                                            <textarea name="input" rows="5" required placeholder="https://…/gateway/pay.htm?appid=…&sign=…">
                                                {input.clone()}
                                            </textarea>
                                        </label>
                                        <button type="submit" class="primary">
                                            {td!(locale, tools.signature.check)}
                                        </button>
                                    </form>
                                    {check.map(|check| result_view(locale, check))}
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

/// The verdict in the page's language (the server's word when it is not a known one).
fn verdict_text(locale: Locale, verdict: &str) -> String {
    match verdict {
        "valid" => td_string!(locale, tools.signature.verdicts.valid),
        "mismatch" => td_string!(locale, tools.signature.verdicts.mismatch),
        "unsigned" => td_string!(locale, tools.signature.verdicts.unsigned),
        "expired key" => td_string!(locale, tools.signature.verdicts.expired_key),
        "empty" => td_string!(locale, tools.signature.verdicts.empty),
        "unreadable" => td_string!(locale, tools.signature.verdicts.unreadable),
        "no key" => td_string!(locale, tools.signature.verdicts.no_key),
        other => other,
    }
    .to_owned()
}

fn result_view(locale: Locale, check: Result<SignatureCheck, crate::error::AppError>) -> impl IntoView {
    match check {
        Err(err) => view! { <p class="error">{err.text(locale)}</p> }.into_any(),
        Ok(check) => {
            let good = check.verdict == "valid";
            let verdict = verdict_text(locale, &check.verdict);
            view! {
                <div class="result" id="signature-result">
                    <p class=if good { "notice" } else { "error" } id="verdict">
                        {td!(locale, tools.signature.verdict)} <strong>{verdict}</strong>
                    </p>
                    <dl class="facts">
                        <dt>{td!(locale, tools.signature.canonical)}</dt>
                        <dd>
                            <code class="wrap" id="canonical">{check.canonical.clone()}</code>
                        </dd>
                        <dt>{td!(locale, tools.signature.charset)}</dt>
                        <dd>{check.charset.clone()}</dd>
                        <dt>{td!(locale, tools.signature.key_slot)}</dt>
                        <dd>{check.key_slot}</dd>
                        <dt>{td!(locale, tools.signature.expected)}</dt>
                        <dd>
                            <code id="expected">{check.expected.clone()}</code>
                        </dd>
                        <dt>{td!(locale, tools.signature.given)}</dt>
                        <dd>
                            <code>{check.provided.clone()}</code>
                        </dd>
                    </dl>
                    <ul class="hints" id="hints">
                        {check.hints.into_iter().map(|hint| view! { <li>{hint}</li> }).collect_view()}
                    </ul>
                </div>
            }
            .into_any()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::raw_query_param;

    #[test]
    fn raw_query_params_are_decoded_once() {
        let search = "?appid=123&input=body%3Dgreen%2520tea%26x%3D1+2&bad=%zz%4";
        assert_eq!(raw_query_param(search, "appid"), "123");
        assert_eq!(raw_query_param(search, "input"), "body=green%20tea&x=1 2");
        assert_eq!(raw_query_param(search, "bad"), "%zz%4");
        assert_eq!(raw_query_param(search, "missing"), "");
    }
}

//! `/tools` and `/tools/signature`: the signature debugger, a GET form that
//! works without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::apps::list_apps;
use crate::api::console::check_signature;
use crate::types::SignatureCheck;

/// `/tools`.
#[component]
pub fn ToolsPage() -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Tools"</h1>
            <ul>
                <li>
                    <a href="/tools/signature">"Signature debugger"</a>
                    ": paste a request and see the canonical string, the expected signature, and what went wrong."
                </li>
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
            <h1>"Signature debugger"</h1>
            <p class="muted">
                "Paste a pay URL, a query string or a form body, pick the app, and see what the platform signs: the canonical string, the expected signature and a verdict. Nothing is sent anywhere."
            </p>
            <Suspense fallback=|| ()>
                {move || {
                    let (appid, input) = form();
                    Suspend::new(async move {
                        match data.await {
                            Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                            Ok((apps, check)) => {
                                view! {
                                    <form method="get" action="/tools/signature" class="form">
                                        <label class="field">
                                            <span>"App"</span>
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
                                            <span>"Request"</span>
                                            <textarea name="input" rows="5" required placeholder="https://…/gateway/pay.htm?appid=…&sign=…">
                                                {input.clone()}
                                            </textarea>
                                        </label>
                                        <button type="submit" class="primary">"Check"</button>
                                    </form>
                                    {check.map(result_view)}
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

fn result_view(check: Result<SignatureCheck, crate::error::AppError>) -> impl IntoView {
    match check {
        Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
        Ok(check) => {
            let good = check.verdict == "valid";
            view! {
                <div class="result" id="signature-result">
                    <p class=if good { "notice" } else { "error" } id="verdict">
                        "Verdict: " <strong>{check.verdict.clone()}</strong>
                    </p>
                    <dl class="facts">
                        <dt>"Canonical string"</dt>
                        <dd>
                            <code class="wrap" id="canonical">{check.canonical.clone()}</code>
                        </dd>
                        <dt>"Charset"</dt>
                        <dd>{check.charset.clone()}</dd>
                        <dt>"Key slot"</dt>
                        <dd>{check.key_slot}</dd>
                        <dt>"Expected sign"</dt>
                        <dd>
                            <code id="expected">{check.expected.clone()}</code>
                        </dd>
                        <dt>"Given sign"</dt>
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

//! `/audit`: the ISV's audit log, newest first, 50 per page.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::apps::list_audit;
use crate::i18n::*;
use crate::types::format_time;

/// A short description of an audit action code, in the page's language.
fn action_label(locale: Locale, action: &str) -> &'static str {
    match action {
        "app.created" => td_string!(locale, apps.audit.action.app_created),
        "app.edited" => td_string!(locale, apps.audit.action.app_edited),
        "app.disabled" => td_string!(locale, apps.audit.action.app_disabled),
        "app.enabled" => td_string!(locale, apps.audit.action.app_enabled),
        "app.deleted" => td_string!(locale, apps.audit.action.app_deleted),
        "key.revealed" => td_string!(locale, apps.audit.action.key_revealed),
        "key.rotated" => td_string!(locale, apps.audit.action.key_rotated),
        "key.grace_ended" => td_string!(locale, apps.audit.action.key_grace_ended),
        "login.succeeded" => td_string!(locale, apps.audit.action.login_succeeded),
        "login.failed" => td_string!(locale, apps.audit.action.login_failed),
        _ => td_string!(locale, apps.audit.action.other),
    }
}

/// The audit log page; `?before=<id>` pages to older entries.
#[component]
pub fn AuditPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
    let query = use_query_map();
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|value| value.parse::<i64>().ok())
    };
    let page = Resource::new_blocking(before, list_audit);
    view! {
        <section>
            <h1>{td!(locale, apps.audit.title)}</h1>
            <p class="muted">{td!(locale, apps.audit.intro)}</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(err) => view! { <p class="error">{err.text(locale)}</p> }.into_any(),
                        Ok(page) => {
                            view! {
                                <table class="list audit">
                                    <thead>
                                        <tr>
                                            <th>{td!(locale, apps.audit.when)}</th>
                                            <th>{td!(locale, apps.audit.who)}</th>
                                            <th>{td!(locale, apps.audit.what)}</th>
                                            <th>{td!(locale, apps.audit.target)}</th>
                                            <th>{td!(locale, apps.audit.detail)}</th>
                                            <th>{td!(locale, apps.audit.ip)}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {page
                                            .entries
                                            .into_iter()
                                            .map(|entry| {
                                                view! {
                                                    <tr data-action=entry.action.clone()>
                                                        <td>{format_time(entry.created_at)}</td>
                                                        <td>{entry.actor}</td>
                                                        <td>{action_label(locale, &entry.action)}</td>
                                                        <td>
                                                            <code>{entry.target}</code>
                                                        </td>
                                                        <td>{entry.detail}</td>
                                                        <td>{entry.ip}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                                <p class="pager">
                                    {page
                                        .next_before
                                        .map(|id| {
                                            view! { <a href=format!("/audit?before={id}")>{td!(locale, apps.audit.older)}</a> }
                                        })}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

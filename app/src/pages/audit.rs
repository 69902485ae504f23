//! `/audit`: the ISV's audit log, newest first, 50 per page.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::apps::list_audit;
use crate::types::format_time;

fn action_label(action: &str) -> &'static str {
    match action {
        "app.created" => "App created",
        "app.edited" => "App edited",
        "app.disabled" => "App disabled",
        "app.enabled" => "App enabled",
        "app.deleted" => "App deleted",
        "key.revealed" => "Key revealed",
        "key.rotated" => "Key rotated",
        "key.grace_ended" => "Key grace ended",
        "login.succeeded" => "Login",
        "login.failed" => "Login failed",
        _ => "Other",
    }
}

/// The audit log page; `?before=<id>` pages to older entries.
#[component]
pub fn AuditPage() -> impl IntoView {
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
            <h1>"Audit log"</h1>
            <p class="muted">"Logins, app changes and key reveals and rotations in your account. Times are UTC+8."</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                        Ok(page) => {
                            view! {
                                <table class="list audit">
                                    <thead>
                                        <tr>
                                            <th>"When"</th>
                                            <th>"Who"</th>
                                            <th>"What"</th>
                                            <th>"Target"</th>
                                            <th>"Detail"</th>
                                            <th>"IP"</th>
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
                                                        <td>{action_label(&entry.action)}</td>
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
                                            view! { <a href=format!("/audit?before={id}")>"Older entries →"</a> }
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

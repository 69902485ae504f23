//! `/apps`: the ISV's apps.

use leptos::prelude::*;

use crate::api::apps::list_apps;
use crate::types::format_time;

/// The app list, or an empty state with a way to create the first app.
#[component]
pub fn AppsPage() -> impl IntoView {
    let apps = Resource::new_blocking(|| (), |_| list_apps());
    view! {
        <section>
            <div class="page-head">
                <h1>"Apps"</h1>
                <a class="button primary" href="/apps/new">"Create app"</a>
            </div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match apps.await {
                        Err(err) => view! { <p class="error">{err.to_string()}</p> }.into_any(),
                        Ok(apps) if apps.is_empty() => {
                            view! {
                                <div class="empty">
                                    <p>
                                        <strong>"You have no apps yet."</strong>
                                    </p>
                                    <p class="muted">
                                        "An app holds the appid and the key your integration signs requests with, and the URLs the platform notifies and returns to."
                                    </p>
                                </div>
                            }
                                .into_any()
                        }
                        Ok(apps) => {
                            view! {
                                <table class="list">
                                    <thead>
                                        <tr>
                                            <th>"Name"</th>
                                            <th>"appid"</th>
                                            <th>"Status"</th>
                                            <th>"Created (UTC+8)"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {apps
                                            .into_iter()
                                            .map(|app| {
                                                let href = format!("/apps/{}", app.appid);
                                                view! {
                                                    <tr>
                                                        <td>
                                                            <a href=href>{app.name}</a>
                                                        </td>
                                                        <td>
                                                            <code>{app.appid}</code>
                                                        </td>
                                                        <td>
                                                            <span class=format!(
                                                                "badge badge-{}",
                                                                app.status,
                                                            )>{app.status.clone()}</span>
                                                        </td>
                                                        <td>{format_time(app.created_at)}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

//! `/apps`: the ISV's apps.

use leptos::prelude::*;

use crate::api::apps::list_apps;
use crate::i18n::*;
use crate::pages::app_detail::status_label;
use crate::types::format_time;

/// The app list, or an empty state with a way to create the first app.
#[component]
pub fn AppsPage() -> impl IntoView {
    let locale = crate::lang::use_locale();
    let apps = Resource::new_blocking(|| (), |_| list_apps());
    view! {
        <section>
            <div class="page-head">
                <h1>{td!(locale, apps.list.title)}</h1>
                <a class="button primary" href="/apps/new">{td!(locale, apps.create)}</a>
            </div>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match apps.await {
                        Err(err) => view! { <p class="error">{err.text(locale)}</p> }.into_any(),
                        Ok(apps) if apps.is_empty() => {
                            view! {
                                <div class="empty">
                                    <p>
                                        <strong>{td!(locale, apps.list.empty_title)}</strong>
                                    </p>
                                    <p class="muted">
                                        {td!(locale, apps.list.empty_help)}
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
                                            <th>{td!(locale, apps.name)}</th>
                                            <th>"appid"</th>
                                            <th>{td!(locale, apps.list.status)}</th>
                                            <th>{td!(locale, apps.created_utc8)}</th>
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
                                                            )>{status_label(locale, &app.status)}</span>
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

//! The page header: brand, navigation, and the account box.

use leptos::prelude::*;

use crate::SessionResource;

const NAV: [(&str, &str); 5] = [
    ("/apps", "Apps"),
    ("/transactions", "Transactions"),
    ("/notifications", "Notifications"),
    ("/tools", "Tools"),
    ("/docs", "Docs"),
];

/// Header with the ISV name, navigation and a logout form when logged in.
#[component]
pub fn Header() -> impl IntoView {
    let SessionResource(session) = expect_context();
    view! {
        <header class="topbar">
            <a class="brand" href="/apps">
                "Open Platform "
                <span>"Sandbox"</span>
            </a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match session.await.ok().and_then(|info| info.user) {
                        Some(user) => {
                            view! {
                                <nav class="mainnav">
                                    {NAV
                                        .into_iter()
                                        .map(|(href, label)| view! { <a href=href>{label}</a> })
                                        .collect_view()}
                                </nav>
                                <div class="account">
                                    <a href="/audit">"Audit log"</a>
                                    <span class="isv-name" title=user.email.clone()>
                                        {user.isv_name.clone()}
                                    </span>
                                    <form method="post" action="/logout">
                                        <button type="submit" class="link">
                                            "Log out"
                                        </button>
                                    </form>
                                </div>
                            }
                                .into_any()
                        }
                        None => {
                            view! {
                                <nav class="mainnav">
                                    <a href="/docs">"Docs"</a>
                                </nav>
                                <div class="account">
                                    <a href="/login">"Log in"</a>
                                    <a class="button" href="/signup">
                                        "Sign up"
                                    </a>
                                </div>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </header>
    }
}

/// The success message left by the previous form post, if any.
#[component]
pub fn Notice() -> impl IntoView {
    let SessionResource(session) = expect_context();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let notice = session.await.ok().and_then(|info| info.flash).map(|flash| flash.notice).unwrap_or_default();
                (!notice.is_empty()).then(|| view! { <p class="notice" role="status">{notice}</p> })
            })}
        </Suspense>
    }
}

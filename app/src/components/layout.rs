//! The page header (brand, navigation, account box) and the notice banner.

use leptos::prelude::*;

use crate::types::SessionInfo;

const NAV: [(&str, &str); 8] = [
    ("/dashboard", "Dashboard"),
    ("/apps", "Apps"),
    ("/transactions", "Transactions"),
    ("/notifications", "Notifications"),
    ("/test-payments", "Test payments"),
    ("/inbox", "Inbox"),
    ("/tools", "Tools"),
    ("/docs", "Docs"),
];

/// Header with the ISV name, navigation and a logout form when logged in.
#[component]
pub fn Header() -> impl IntoView {
    let session = expect_context::<SessionInfo>();
    let account = match session.user {
        Some(user) => view! {
            <nav class="mainnav">
                {NAV.into_iter().map(|(href, label)| view! { <a href=href>{label}</a> }).collect_view()}
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
        .into_any(),
        None => view! {
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
        .into_any(),
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/apps">
                "Open Platform "
                <span>"Sandbox"</span>
            </a>
            {account}
        </header>
    }
}

/// The success message left by the previous form post, if any, on the page it was
/// left for (not on pages reached by client-side navigation afterwards).
#[component]
pub fn Notice() -> impl IntoView {
    let info = expect_context::<SessionInfo>();
    let notice = info.flash.map(|flash| flash.notice).unwrap_or_default();
    let location = leptos_router::hooks::use_location();
    let path = info.flash_path;
    move || {
        (!notice.is_empty() && location.pathname.get() == path)
            .then(|| view! { <p class="notice" role="status">{notice.clone()}</p> })
    }
}

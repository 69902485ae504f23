//! The page header (brand, navigation, account box) and the notice banner.

use leptos::prelude::*;

use crate::i18n::*;
use crate::types::SessionInfo;

/// Header with the ISV name, navigation and a logout form when logged in.
#[component]
pub fn Header() -> impl IntoView {
    let session = expect_context::<SessionInfo>();
    let locale = crate::lang::use_locale();
    let account = match session.user {
        Some(user) => view! {
            <nav class="mainnav">
                <a href="/dashboard">{td!(locale, common.nav.dashboard)}</a>
                <a href="/apps">{td!(locale, common.nav.apps)}</a>
                <a href="/transactions">{td!(locale, common.nav.transactions)}</a>
                <a href="/notifications">{td!(locale, common.nav.notifications)}</a>
                <a href="/test-payments">{td!(locale, common.nav.test_payments)}</a>
                <a href="/inbox">{td!(locale, common.nav.inbox)}</a>
                <a href="/tools">{td!(locale, common.nav.tools)}</a>
                <a href="/docs">{td!(locale, common.nav.docs)}</a>
            </nav>
            <div class="account">
                <LanguageSwitch />
                <a href="/audit">{td!(locale, common.nav.audit)}</a>
                <span class="isv-name" title=user.email.clone()>
                    {user.isv_name.clone()}
                </span>
                <form method="post" action="/logout">
                    <button type="submit" class="link">
                        {td!(locale, common.log_out)}
                    </button>
                </form>
            </div>
        }
        .into_any(),
        None => view! {
            <nav class="mainnav">
                <a href="/docs">{td!(locale, common.nav.docs)}</a>
            </nav>
            <div class="account">
                <LanguageSwitch />
                <a href="/login">{td!(locale, common.log_in)}</a>
                <a class="button" href="/signup">
                    {td!(locale, common.sign_up)}
                </a>
            </div>
        }
        .into_any(),
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/apps">
                {td!(locale, common.brand)}
                <span>{td!(locale, common.brand_sandbox)}</span>
            </a>
            {account}
        </header>
    }
}

/// A form that switches to the other language and comes back to this page
/// (a plain post: it works without JavaScript, and the server remembers the choice).
#[component]
fn LanguageSwitch() -> impl IntoView {
    let locale = crate::lang::use_locale();
    let location = leptos_router::hooks::use_location();
    let next = move || {
        let search = location.search.get();
        let path = location.pathname.get();
        if search.is_empty() {
            path
        } else {
            format!("{path}?{search}")
        }
    };
    let other = move || match locale {
        Locale::en => "zh",
        Locale::zh => "en",
    };
    view! {
        <form method="post" action="/language" class="language">
            <input type="hidden" name="locale" value=other />
            <input type="hidden" name="next" value=next />
            <button
                type="submit"
                class="link"
                lang=move || if other() == "zh" { "zh-CN" } else { "en" }
                title=move || td_string!(locale, common.switch_language_title)
            >
                {td!(locale, common.switch_language)}
            </button>
        </form>
    }
}

/// The success message left by the previous form post, if any, on the page it was
/// left for.
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

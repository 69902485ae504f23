//! The page header (brand, navigation, account box) and the notice banner.

use leptos::prelude::*;

use crate::i18n::*;
use crate::types::SessionInfo;

/// Header with the ISV name, navigation and a logout form when logged in.
#[component]
pub fn Header() -> impl IntoView {
    let session = expect_context::<SessionInfo>();
    let i18n = use_i18n();
    let account = match session.user {
        Some(user) => view! {
            <nav class="mainnav">
                <a href="/dashboard">{t!(i18n, common.nav.dashboard)}</a>
                <a href="/apps">{t!(i18n, common.nav.apps)}</a>
                <a href="/transactions">{t!(i18n, common.nav.transactions)}</a>
                <a href="/notifications">{t!(i18n, common.nav.notifications)}</a>
                <a href="/test-payments">{t!(i18n, common.nav.test_payments)}</a>
                <a href="/inbox">{t!(i18n, common.nav.inbox)}</a>
                <a href="/tools">{t!(i18n, common.nav.tools)}</a>
                <a href="/docs">{t!(i18n, common.nav.docs)}</a>
            </nav>
            <div class="account">
                <LanguageSwitch />
                <a href="/audit">{t!(i18n, common.nav.audit)}</a>
                <span class="isv-name" title=user.email.clone()>
                    {user.isv_name.clone()}
                </span>
                <form method="post" action="/logout">
                    <button type="submit" class="link">
                        {t!(i18n, common.log_out)}
                    </button>
                </form>
            </div>
        }
        .into_any(),
        None => view! {
            <nav class="mainnav">
                <a href="/docs">{t!(i18n, common.nav.docs)}</a>
            </nav>
            <div class="account">
                <LanguageSwitch />
                <a href="/login">{t!(i18n, common.log_in)}</a>
                <a class="button" href="/signup">
                    {t!(i18n, common.sign_up)}
                </a>
            </div>
        }
        .into_any(),
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/apps">
                {t!(i18n, common.brand)}
                <span>{t!(i18n, common.brand_sandbox)}</span>
            </a>
            {account}
        </header>
    }
}

/// A form that switches to the other language and comes back to this page
/// (a plain post: it works without JavaScript, and the server remembers the choice).
#[component]
fn LanguageSwitch() -> impl IntoView {
    let i18n = use_i18n();
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
    let other = move || match i18n.get_locale() {
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
                title=move || t_string!(i18n, common.switch_language_title)
            >
                {t!(i18n, common.switch_language)}
            </button>
        </form>
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

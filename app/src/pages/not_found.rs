//! The page for unknown paths (HTTP 404).

use leptos::prelude::*;

use crate::i18n::*;

/// Shown for any path no route matches; answers 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let locale = crate::lang::use_locale();
    view! {
        <section>
            <h1>{td!(locale, common.not_found.title)}</h1>
            <p class="muted">
                {td!(locale, common.not_found.text)} " " <a href="/apps">{td!(locale, common.not_found.go_apps)}</a>
            </p>
        </section>
    }
}

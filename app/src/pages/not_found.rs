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
    let i18n = use_i18n();
    view! {
        <section>
            <h1>{t!(i18n, common.not_found.title)}</h1>
            <p class="muted">
                {t!(i18n, common.not_found.text)} " " <a href="/apps">{t!(i18n, common.not_found.go_apps)}</a>
            </p>
        </section>
    }
}

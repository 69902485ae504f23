//! The page for unknown paths (HTTP 404).

use leptos::prelude::*;

/// Shown for any path no route matches; answers 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section>
            <h1>"Page not found"</h1>
            <p class="muted">
                "There is nothing at this address. " <a href="/apps">"Go to your apps"</a>
            </p>
        </section>
    }
}

//! Sections of the console that are not built yet.

use leptos::prelude::*;

/// A page that says its section is coming.
#[component]
pub fn ComingPage(
    /// The section's name.
    title: &'static str,
) -> impl IntoView {
    view! {
        <section>
            <h1>{title}</h1>
            <div class="empty">
                <p class="muted">"This part of the console is coming."</p>
            </div>
        </section>
    }
}

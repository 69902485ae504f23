//! `/apps`: the ISV's apps.

use leptos::prelude::*;

/// The app list; an ISV starts with none.
#[component]
pub fn AppsPage() -> impl IntoView {
    view! {
        <section>
            <h1>"Apps"</h1>
            <div class="empty">
                <p>
                    <strong>"You have no apps yet."</strong>
                </p>
                <p class="muted">
                    "An app holds the appid and the key your integration signs requests with, and the URLs the platform notifies and returns to."
                </p>
            </div>
        </section>
    }
}

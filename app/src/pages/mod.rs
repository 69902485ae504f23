//! One module per page.

pub mod apps;
pub mod coming;
pub mod login;
pub mod not_found;
pub mod signup;

use leptos::prelude::*;

/// The error box above a form; renders nothing for an empty message.
#[component]
pub fn FormError(
    /// The message; empty means no error.
    message: String,
) -> impl IntoView {
    (!message.is_empty()).then(|| {
        view! {
            <p class="error" role="alert">
                {message}
            </p>
        }
    })
}

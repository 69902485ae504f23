//! One module per page.

pub mod app_detail;
pub mod app_form;
pub mod apps;
pub mod audit;
pub mod dashboard;
pub mod docs;
pub mod inbox;
pub mod login;
pub mod not_found;
pub mod notifications;
pub mod signature;
pub mod signup;
pub mod test_payments;
pub mod transactions;

use leptos::prelude::*;

use crate::types::{Flash, SessionInfo};

/// The flash message left for this page: only the page it was left for shows it.
pub fn use_flash() -> Flash {
    let info = expect_context::<SessionInfo>();
    let here = leptos_router::hooks::use_location().pathname.get_untracked();
    match info.flash {
        Some(flash) if here == info.flash_path => flash,
        _ => Flash::default(),
    }
}

/// The message under a form field; renders nothing for an empty message.
#[component]
pub fn FieldError(
    /// The message; empty means no error.
    message: String,
) -> impl IntoView {
    (!message.is_empty()).then(|| view! { <small class="field-error">{message}</small> })
}

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

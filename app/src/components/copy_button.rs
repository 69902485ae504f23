//! A "Copy" button for a secret shown on the page (needs JavaScript; without it
//! the text can still be selected by hand).

use leptos::prelude::*;

use crate::i18n::*;

/// Copies `text` to the clipboard when clicked.
#[component]
pub fn CopyButton(
    /// What to copy.
    text: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let (label, set_label) = signal(t_string!(i18n, common.copy.copy));
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let promise = window().navigator().clipboard().write_text(&text);
            leptos::task::spawn_local(async move {
                let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                set_label.set(if copied {
                    t_string!(i18n, common.copy.copied)
                } else {
                    t_string!(i18n, common.copy.failed)
                });
            });
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (&text, set_label, i18n);
        }
    };
    view! {
        <button type="button" class="copy" on:click=copy>
            {label}
        </button>
    }
}

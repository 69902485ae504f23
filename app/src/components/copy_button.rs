//! A "Copy" button for a secret shown on the page (needs JavaScript; without it
//! the text can still be selected by hand).

use leptos::prelude::*;

/// Copies `text` to the clipboard when clicked.
#[component]
pub fn CopyButton(
    /// What to copy.
    text: String,
) -> impl IntoView {
    let (label, set_label) = signal("Copy");
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let promise = window().navigator().clipboard().write_text(&text);
            leptos::task::spawn_local(async move {
                let copied = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                set_label.set(if copied {
                    "Copied"
                } else {
                    "Copy failed: select the key by hand"
                });
            });
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (&text, set_label);
        }
    };
    view! {
        <button type="button" class="copy" on:click=copy>
            {label}
        </button>
    }
}

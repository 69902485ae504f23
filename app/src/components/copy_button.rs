//! A "Copy" button for a secret shown on the page (needs JavaScript; without it
//! the text can still be selected by hand).

use leptos::prelude::*;

use crate::i18n::*;

/// Copies `text` to the clipboard when clicked. Rendered on the server in the page's
/// language; the button itself is an island, the only part that ships as WebAssembly.
#[component]
pub fn CopyButton(
    /// What to copy.
    text: String,
) -> impl IntoView {
    let locale = crate::lang::use_locale();
    view! {
        <CopyIsland
            text
            copy=td_string!(locale, common.copy.copy).to_owned()
            copied=td_string!(locale, common.copy.copied).to_owned()
            failed=td_string!(locale, common.copy.failed).to_owned()
        />
    }
}

/// The interactive part of [`CopyButton`]: the labels come as props, so the bundle
/// needs no translations.
#[island]
fn CopyIsland(text: String, copy: String, copied: String, failed: String) -> impl IntoView {
    let (label, set_label) = signal(copy);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let promise = window().navigator().clipboard().write_text(&text);
            let (copied, failed) = (copied.clone(), failed.clone());
            leptos::task::spawn_local(async move {
                let done = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                set_label.set(if done { copied } else { failed });
            });
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (&text, &copied, &failed, set_label);
        }
    };
    view! {
        <button type="button" class="copy" on:click=on_click>
            {label}
        </button>
    }
}

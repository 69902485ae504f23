//! A password input with a show/hide toggle (the toggle needs JavaScript;
//! the field works without it).

use leptos::prelude::*;

use crate::i18n::*;

/// A labelled password input with a "Show" button handled by the WebAssembly bundle.
#[component]
pub fn PasswordField(
    /// The form field name.
    name: &'static str,
    /// The visible label.
    label: &'static str,
    /// The `autocomplete` hint (`current-password` or `new-password`).
    autocomplete: &'static str,
) -> impl IntoView {
    let locale = crate::lang::use_locale();
    view! {
        <label class="field">
            <span>{label}</span>
            <PasswordToggle
                name=name.to_owned()
                autocomplete=autocomplete.to_owned()
                show=td_string!(locale, auth.show).to_owned()
                hide=td_string!(locale, auth.hide).to_owned()
                toggle=td_string!(locale, auth.password_toggle).to_owned()
            />
        </label>
    }
}

/// The input and its toggle: an island, with its labels as props.
#[island]
fn PasswordToggle(
    name: String,
    autocomplete: String,
    show: String,
    hide: String,
    toggle: String,
) -> impl IntoView {
    let (shown, set_shown) = signal(false);
    view! {
        <span class="password-row">
            <input
                type=move || if shown.get() { "text" } else { "password" }
                name=name
                autocomplete=autocomplete
                required
                minlength="10"
                maxlength="128"
            />
            <button
                type="button"
                class="toggle"
                aria-label=toggle
                on:click=move |_| set_shown.update(|shown| *shown = !*shown)
            >
                {move || if shown.get() { hide.clone() } else { show.clone() }}
            </button>
        </span>
    }
}

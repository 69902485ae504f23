//! A password input with a show/hide toggle (the toggle needs JavaScript;
//! the field works without it).

use leptos::prelude::*;

use crate::i18n::*;

/// A labelled password input with a "Show" button handled by hydrated code.
#[component]
pub fn PasswordField(
    /// The form field name.
    name: &'static str,
    /// The visible label.
    label: &'static str,
    /// The `autocomplete` hint (`current-password` or `new-password`).
    autocomplete: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let (shown, set_shown) = signal(false);
    view! {
        <label class="field">
            <span>{label}</span>
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
                    aria-label=move || t_string!(i18n, auth.password_toggle)
                    on:click=move |_| set_shown.update(|shown| *shown = !*shown)
                >
                    {move || if shown.get() { t_string!(i18n, auth.hide) } else { t_string!(i18n, auth.show) }}
                </button>
            </span>
        </label>
    }
}

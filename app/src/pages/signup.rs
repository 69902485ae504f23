//! `/signup`: create an ISV account and its first user.

use leptos::prelude::*;

use crate::components::password_field::PasswordField;
use crate::i18n::*;
use crate::pages::FormError;

/// The sign-up form. After an error it comes back filled with what was typed.
#[component]
pub fn SignupPage() -> impl IntoView {
    let flash = crate::pages::use_flash();
    let locale = crate::lang::use_locale();
    view! {
        <section class="card narrow">
            <h1>{td!(locale, auth.signup.title)}</h1>
            <p class="muted">
                {td!(locale, auth.signup.intro)}
            </p>
            <FormError message=flash.error.clone() />
            <form method="post" action="/signup" class="stack">
                <label class="field">
                    <span>{td!(locale, auth.signup.isv_name)}</span>
                    <input
                        type="text"
                        name="isv_name"
                        required
                        maxlength="64"
                        autocomplete="organization"
                        value=flash.value("isv_name")
                    />
                </label>
                <label class="field">
                    <span>{td!(locale, auth.email)}</span>
                    <input
                        type="email"
                        name="email"
                        required
                        maxlength="254"
                        autocomplete="email"
                        value=flash.value("email")
                    />
                </label>
                <PasswordField name="password" label=td_string!(locale, auth.signup.password) autocomplete="new-password" />
                <button type="submit" class="primary">
                    {td!(locale, auth.signup.submit)}
                </button>
            </form>
            <p class="muted">
                {td!(locale, auth.signup.have_account)} " " <a href="/login">{td!(locale, auth.signup.log_in)}</a>
            </p>
        </section>
    }
}

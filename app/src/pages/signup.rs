//! `/signup`: create an ISV account and its first user.

use leptos::prelude::*;

use crate::components::password_field::PasswordField;
use crate::pages::FormError;

/// The sign-up form. After an error it comes back filled with what was typed.
#[component]
pub fn SignupPage() -> impl IntoView {
    let flash = crate::pages::use_flash();
    view! {
        <section class="card narrow">
            <h1>"Create your ISV account"</h1>
            <p class="muted">
                "One account per company or developer. You will create apps and test payments under it."
            </p>
            <FormError message=flash.error.clone() />
            <form method="post" action="/signup" class="stack">
                <label class="field">
                    <span>"ISV name"</span>
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
                    <span>"E-mail"</span>
                    <input
                        type="email"
                        name="email"
                        required
                        maxlength="254"
                        autocomplete="email"
                        value=flash.value("email")
                    />
                </label>
                <PasswordField name="password" label="Password (10 to 128 characters)" autocomplete="new-password" />
                <button type="submit" class="primary">
                    "Sign up"
                </button>
            </form>
            <p class="muted">"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}

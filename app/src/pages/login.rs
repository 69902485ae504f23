//! `/login`: e-mail and password, posted to the `/login` endpoint.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::password_field::PasswordField;
use crate::i18n::*;
use crate::pages::FormError;

/// The login form. Errors come back as a flash message after the redirect.
#[component]
pub fn LoginPage() -> impl IntoView {
    let flash = crate::pages::use_flash();
    let locale = crate::lang::use_locale();
    let next = use_query_map().read_untracked().get("next").unwrap_or_default();
    view! {
        <section class="card narrow">
            <h1>{td!(locale, auth.login.title)}</h1>
            <FormError message=flash.error.clone() />
            <form method="post" action="/login" class="stack">
                <input type="hidden" name="next" value=next />
                <label class="field">
                    <span>{td!(locale, auth.email)}</span>
                    <input type="email" name="email" autocomplete="email" required value=flash.value("email") />
                </label>
                <PasswordField
                    name="password"
                    label=td_string!(locale, auth.password)
                    autocomplete="current-password"
                />
                <button type="submit" class="primary">
                    {td!(locale, auth.login.submit)}
                </button>
            </form>
            <p class="muted">
                {td!(locale, auth.login.no_account)} " " <a href="/signup">{td!(locale, auth.login.sign_up)}</a>
            </p>
        </section>
    }
}

//! Compiles the translations in `locales/<locale>/<namespace>.json` into the `i18n`
//! module (leptos_i18n). A key used in code but missing from the English files fails
//! the build; `tests::locales_have_the_same_keys` checks that Chinese has every key too.

use std::error::Error;
use std::path::PathBuf;

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};

/// One file per part of the UI, so that each stays small enough to review.
const NAMESPACES: [&str; 7] = ["common", "auth", "apps", "console", "tools", "msg", "cashier"];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("i18n");
    let config = Config::new("en")?
        .add_locale("zh")?
        .add_namespaces(NAMESPACES)?
        .parse_options(ParseOptions::default().interpolate_display(true));
    let infos = TranslationsInfos::parse(config)?;
    infos.emit_diagnostics();
    infos.rerun_if_locales_changed();
    infos.generate_i18n_module(out)?;
    Ok(())
}

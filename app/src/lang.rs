//! Which language a page is shown in: 简体中文 or English.
//!
//! The texts live in `app/locales/<locale>/<namespace>.json` and are compiled into the
//! [`crate::i18n`] module by leptos_i18n. The server picks the locale of each request
//! (see [`choose`]) and the page renders in it: components read it with [`use_locale`]
//! and render texts with `td!`/`td_string!`. The islands shipped to the browser get
//! their texts as props, so the bundle needs no translations.

use leptos_i18n::Locale as _;

use crate::i18n::Locale;

/// The locale the server chose for the page being rendered (English outside a page).
pub fn use_locale() -> Locale {
    leptos::prelude::use_context::<Locale>().unwrap_or_default()
}

/// The cookie that remembers a visitor's choice (a logged-in user's choice is also
/// stored on the account, and wins).
pub const COOKIE: &str = "lang";

/// The locale named by `tag` (`en`, `zh`, `zh-CN`, `en-GB`, … in any case), if supported.
pub fn parse(tag: &str) -> Option<Locale> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
    if primary.eq_ignore_ascii_case("zh") {
        Some(Locale::zh)
    } else if primary.eq_ignore_ascii_case("en") {
        Some(Locale::en)
    } else {
        None
    }
}

/// The supported locale the browser prefers most, from an `Accept-Language` header
/// (`zh-CN,zh;q=0.9,en;q=0.8`). Ranges with `q=0` are refused ones; on a tie the
/// earlier range wins.
pub fn from_accept_language(header: &str) -> Option<Locale> {
    let mut best: Option<(u16, Locale)> = None;
    for range in header.split(',') {
        let mut parts = range.split(';');
        let Some(locale) = parts.next().and_then(parse) else {
            continue;
        };
        let quality = parts
            .find_map(|param| param.trim().strip_prefix("q="))
            .map_or(Some(1000), parse_quality);
        let Some(quality) = quality.filter(|q| *q > 0) else {
            continue;
        };
        if best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, locale));
        }
    }
    best.map(|(_, locale)| locale)
}

/// A quality value (`0`, `0.8`, `1.000`) in thousandths; `None` when malformed.
fn parse_quality(raw: &str) -> Option<u16> {
    let value: f32 = raw.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

/// The locale of a request: the user's saved choice, then the `lang` cookie, then
/// `Accept-Language`, then English.
pub fn choose(saved: Option<&str>, cookie: Option<&str>, accept_language: Option<&str>) -> Locale {
    saved
        .and_then(parse)
        .or_else(|| cookie.and_then(parse))
        .or_else(|| accept_language.and_then(from_accept_language))
        .unwrap_or(Locale::en)
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value.trim())
    })
}

/// The locale's code: `en` or `zh`.
pub fn code(locale: Locale) -> &'static str {
    locale.as_str()
}

/// The `Set-Cookie` value that remembers `locale` for a year on this browser.
/// Not HttpOnly: it holds no secret, only a language.
pub fn set_cookie(locale: Locale, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        locale.as_str()
    )
}

/// The `lang` cookie's locale in these request headers, if any.
#[cfg(feature = "ssr")]
pub fn cookie_of(headers: &http::HeaderMap) -> Option<Locale> {
    headers
        .get(http::header::COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(|cookies| cookie_value(cookies, COOKIE))
        .and_then(parse)
}

/// [`choose`] for a request: `saved`, then its `lang` cookie, then its `Accept-Language`.
#[cfg(feature = "ssr")]
pub fn of_headers(saved: Option<&str>, headers: &http::HeaderMap) -> Locale {
    let accept_language = headers
        .get(http::header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok());
    choose(saved, cookie_of(headers).map(code), accept_language)
}

/// The locale the server chose for this request (placed there by its middleware).
#[cfg(feature = "ssr")]
pub fn of_request(parts: &http::request::Parts) -> Locale {
    parts.extensions.get::<Locale>().copied().unwrap_or(Locale::en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_locale() {
        assert_eq!(from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Some(Locale::zh));
        assert_eq!(from_accept_language("en-US,en;q=0.9,zh;q=0.8"), Some(Locale::en));
        assert_eq!(
            from_accept_language("fr-FR, zh-TW;q=0.5, en;q=0.7"),
            Some(Locale::en)
        );
        assert_eq!(from_accept_language("fr, de;q=0.5"), None);
        assert_eq!(from_accept_language("zh;q=0, en;q=0.1"), Some(Locale::en));
        assert_eq!(from_accept_language("zh;q=abc, EN"), Some(Locale::en));
        assert_eq!(from_accept_language(""), None);
    }

    #[test]
    fn the_saved_choice_wins_then_the_cookie_then_the_browser() {
        assert_eq!(choose(Some("zh"), Some("en"), Some("en")), Locale::zh);
        assert_eq!(choose(None, Some("zh"), Some("en")), Locale::zh);
        assert_eq!(choose(Some("xx"), Some("bogus"), Some("zh-CN")), Locale::zh);
        assert_eq!(choose(None, None, None), Locale::en);
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        assert_eq!(cookie_value("id=abc; lang=zh", "lang"), Some("zh"));
        assert_eq!(cookie_value("xlang=zh; lang=en", "lang"), Some("en"));
        assert_eq!(cookie_value("id=abc", "lang"), None);
    }

    /// Every key of every namespace exists in both languages, with the same
    /// `{{ placeholders }}`: a missing Chinese text would silently show English.
    #[test]
    fn locales_have_the_same_keys() {
        use std::collections::BTreeMap;
        fn flatten(prefix: &str, value: &serde_json::Value, out: &mut BTreeMap<String, String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, value) in map {
                        flatten(&format!("{prefix}{key}."), value, out);
                    }
                }
                serde_json::Value::String(text) => {
                    let mut vars: Vec<&str> = text.match_indices("{{").map(|(i, _)| &text[i..]).collect();
                    vars.iter_mut()
                        .for_each(|v| *v = v.split("}}").next().unwrap_or_default());
                    vars.sort_unstable();
                    out.insert(prefix.trim_end_matches('.').to_owned(), vars.join(","));
                }
                other => panic!("{prefix}: unexpected {other}"),
            }
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        let load = |locale: &str| {
            let mut keys = BTreeMap::new();
            for entry in std::fs::read_dir(dir.join(locale)).expect("locale dir") {
                let path = entry.expect("entry").path();
                let ns = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .expect("name")
                    .to_owned();
                let json: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
                flatten(&format!("{ns}."), &json, &mut keys);
            }
            keys
        };
        let (en, zh) = (load("en"), load("zh"));
        assert!(en.len() > 100, "only {} English texts", en.len());
        let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(only_en.is_empty(), "no Chinese text for {only_en:?}");
        assert!(only_zh.is_empty(), "no English text for {only_zh:?}");
        let differ: Vec<_> = en
            .iter()
            .filter(|(k, vars)| zh[*k] != **vars)
            .map(|(k, _)| k)
            .collect();
        assert!(differ.is_empty(), "placeholders differ in {differ:?}");
    }
}

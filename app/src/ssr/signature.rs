//! The signature debugger (`/tools/signature`): what the platform would compute
//! for pasted parameters, a verdict, and hints for the classic mistakes.

use sdk::params::Params;
use sdk::sign::{self, Charset};

use super::apps::{self, AppsError};
use super::keys::AppKey;
use super::state::AppState;
use crate::i18n::{Locale, td_string};
use crate::types::SignatureCheck;

/// A hint of the signature debugger, worded in the reader's language
/// (`app/locales/<locale>/msg.json`, keys `signature_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureHint {
    /// The parameters could not be parsed: the parser's (English) reason.
    Unreadable(String),
    Empty,
    /// The key slot the request names holds no key.
    EmptySlot(i16),
    Unsigned,
    LowercaseHex,
    /// Signed with a slot whose grace period has ended.
    GraceEnded(i16),
    UrlEncoded,
    EmptyValues,
    SignIncluded,
    /// Hashed in the other charset than the declared one.
    Charset {
        used: Charset,
        declared: Charset,
    },
    /// Signed with the key of another slot than the request names.
    OtherSlot {
        index: i16,
        slot: i16,
    },
    NoCommonMistake,
}

impl SignatureHint {
    /// The hint in words, in `locale`.
    pub fn text(&self, locale: Locale) -> String {
        let l = locale;
        match self {
            Self::Unreadable(reason) => {
                td_string!(l, msg.signature_unreadable, reason = reason.as_str()).to_string()
            }
            Self::Empty => td_string!(l, msg.signature_empty).to_string(),
            Self::EmptySlot(slot) => td_string!(l, msg.signature_empty_slot, slot = *slot).to_string(),
            Self::Unsigned => td_string!(l, msg.signature_unsigned).to_string(),
            Self::LowercaseHex => td_string!(l, msg.signature_lowercase_hex).to_string(),
            Self::GraceEnded(slot) => td_string!(l, msg.signature_grace_ended, slot = *slot).to_string(),
            Self::UrlEncoded => td_string!(l, msg.signature_url_encoded).to_string(),
            Self::EmptyValues => td_string!(l, msg.signature_empty_values).to_string(),
            Self::SignIncluded => td_string!(l, msg.signature_sign_included).to_string(),
            Self::Charset { used, declared } => td_string!(
                l,
                msg.signature_charset,
                used = used.as_str(),
                declared = declared.as_str()
            )
            .to_string(),
            Self::OtherSlot { index, slot } => {
                td_string!(l, msg.signature_other_slot, index = *index, slot = *slot).to_string()
            }
            Self::NoCommonMistake => td_string!(l, msg.signature_no_common_mistake).to_string(),
        }
    }
}

/// The query part of a pasted URL, query string or form body.
fn query_part(input: &str) -> &str {
    let input = input.trim();
    match input.split_once('?') {
        Some((_, query)) => query.split('#').next().unwrap_or_default(),
        None => input,
    }
}

/// Parses raw pairs without decoding, for the "signed URL-encoded values" check.
fn raw_pairs(query: &str) -> Vec<(&str, &str)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .collect()
}

/// Checks `input` against one of the ISV's apps.
pub async fn check(
    state: &AppState,
    isv_id: i64,
    appid: &str,
    input: &str,
    locale: Locale,
) -> Result<SignatureCheck, AppsError> {
    let app = apps::find(&state.db, isv_id, appid).await?;
    let now = state.clock.now_ms();
    let keys: Vec<(i16, AppKey)> = apps::all_keys(&state.master_key, &app)?;
    let verifying: Vec<i16> = apps::verifying_keys(&state.master_key, &app, now)?
        .into_iter()
        .map(|(slot, _)| slot)
        .collect();
    let query = query_part(input);
    let mut result = SignatureCheck {
        appid: app.appid.clone(),
        ..SignatureCheck::default()
    };
    let params = match Params::parse(query.as_bytes()) {
        Ok(params) => params,
        Err(err) => {
            result.verdict = "unreadable".into();
            result
                .hints
                .push(SignatureHint::Unreadable(err.to_string()).text(locale));
            return Ok(result);
        }
    };
    if params.is_empty() {
        result.verdict = "empty".into();
        result.hints.push(SignatureHint::Empty.text(locale));
        return Ok(result);
    }
    let charset = params.charset();
    let slot = match params.non_empty("sign_key_index") {
        Some("2") => 2,
        Some("1") => 1,
        _ => app.current_key_index,
    };
    let Some((_, key)) = keys.iter().find(|(index, _)| *index == slot) else {
        result.verdict = "no key".into();
        result.hints.push(SignatureHint::EmptySlot(slot).text(locale));
        return Ok(result);
    };
    result.key_slot = slot;
    result.charset = charset.as_str().into();
    result.canonical = sign::canonical_string(params.iter(), "<app key>");
    result.expected = sign::sign(params.iter(), key.expose(), charset).unwrap_or_default();
    let provided = params.non_empty("sign").unwrap_or_default().to_owned();
    result.provided = provided.clone();
    if provided.is_empty() {
        result.verdict = "unsigned".into();
        result.hints.push(SignatureHint::Unsigned.text(locale));
        return Ok(result);
    }
    let matches =
        |candidate: Option<String>| candidate.is_some_and(|s| sign::signatures_match(&s, &provided));
    if sign::signatures_match(&result.expected, &provided) {
        result.verdict = "valid".into();
        if provided != result.expected {
            result.hints.push(SignatureHint::LowercaseHex.text(locale));
        }
        if !verifying.contains(&slot) {
            result.verdict = "expired key".into();
            result.hints.push(SignatureHint::GraceEnded(slot).text(locale));
        }
        return Ok(result);
    }
    result.verdict = "mismatch".into();
    let with_key =
        |pairs: Vec<(&str, &str)>, key: &str, charset: Charset| sign::sign(pairs, key, charset).ok();
    // Signed the values as they appear in the URL, still percent-encoded.
    if query.contains('%') || query.contains('+') {
        let raw = raw_pairs(query);
        if matches(with_key(raw, key.expose(), charset)) {
            result.hints.push(SignatureHint::UrlEncoded.text(locale));
        }
    }
    // Kept empty parameters in the string.
    let mut with_empty = String::new();
    let mut sorted: Vec<(&str, &str)> = params.iter().filter(|(name, _)| *name != "sign").collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for (name, value) in &sorted {
        with_empty.push_str(&format!("{name}={value}&"));
    }
    with_empty.push_str(&format!("key={}", key.expose()));
    if sorted.iter().any(|(_, value)| value.is_empty())
        && matches(sign::md5_upper_hex(&with_empty, charset).ok())
    {
        result.hints.push(SignatureHint::EmptyValues.text(locale));
    }
    // Signed with a `sign` placeholder already in the set (a common bug in
    // code that adds `sign` to the map before signing it).
    let placeholder = ["MD5", "md5", "null", "undefined", "0", "sign"]
        .into_iter()
        .any(|placeholder| {
            let mut pairs: Vec<(&str, &str)> = params.iter().filter(|(name, _)| *name != "sign").collect();
            pairs.push(("sign_", placeholder));
            let text = sign::canonical_string(pairs, key.expose()).replace("sign_=", "sign=");
            matches(sign::md5_upper_hex(&text, charset).ok())
        });
    if placeholder {
        result.hints.push(SignatureHint::SignIncluded.text(locale));
    }
    // The other charset.
    let other = if charset == Charset::Utf8 {
        Charset::Gbk
    } else {
        Charset::Utf8
    };
    if matches(with_key(params.iter().collect(), key.expose(), other)) {
        result.hints.push(
            SignatureHint::Charset {
                used: other,
                declared: charset,
            }
            .text(locale),
        );
    }
    // Another key slot.
    for (index, other_key) in &keys {
        if *index != slot && matches(with_key(params.iter().collect(), other_key.expose(), charset)) {
            result
                .hints
                .push(SignatureHint::OtherSlot { index: *index, slot }.text(locale));
        }
    }
    if result.hints.is_empty() {
        result.hints.push(SignatureHint::NoCommonMistake.text(locale));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_hint_reads_differently_in_each_language_with_its_details() {
        let hints = [
            SignatureHint::Unreadable("bad percent-encoding".into()),
            SignatureHint::Empty,
            SignatureHint::EmptySlot(2),
            SignatureHint::Unsigned,
            SignatureHint::LowercaseHex,
            SignatureHint::GraceEnded(2),
            SignatureHint::UrlEncoded,
            SignatureHint::EmptyValues,
            SignatureHint::SignIncluded,
            SignatureHint::Charset {
                used: Charset::Utf8,
                declared: Charset::Gbk,
            },
            SignatureHint::OtherSlot { index: 1, slot: 2 },
            SignatureHint::NoCommonMistake,
        ];
        let mut seen = std::collections::HashSet::new();
        for hint in &hints {
            let (en, zh) = (hint.text(Locale::en), hint.text(Locale::zh));
            assert!(!en.is_empty() && en != zh, "{hint:?}");
            assert!(seen.insert(en) && seen.insert(zh), "{hint:?} repeats a text");
        }
        let other = SignatureHint::OtherSlot { index: 1, slot: 2 };
        for locale in [Locale::en, Locale::zh] {
            assert!(other.text(locale).contains("sign_key_index=1"), "{locale:?}");
        }
        let charset = &hints[9];
        assert!(charset.text(Locale::zh).contains("UTF-8") && charset.text(Locale::zh).contains("GBK"));
    }
}

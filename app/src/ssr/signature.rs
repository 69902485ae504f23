//! The signature debugger (`/tools/signature`): what the platform would compute
//! for pasted parameters, a verdict, and hints for the classic mistakes.

use sdk::params::Params;
use sdk::sign::{self, Charset};

use super::apps::{self, AppsError};
use super::keys::AppKey;
use super::state::AppState;
use crate::types::SignatureCheck;

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
                .push(format!("The parameters cannot be read: {err}."));
            return Ok(result);
        }
    };
    if params.is_empty() {
        result.verdict = "empty".into();
        result
            .hints
            .push("Paste a pay URL, a query string or a form body.".into());
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
        result
            .hints
            .push(format!("Key slot {slot} of this app is empty."));
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
        result
            .hints
            .push("There is no sign parameter; the expected one is shown above.".into());
        return Ok(result);
    }
    let matches =
        |candidate: Option<String>| candidate.is_some_and(|s| sign::signatures_match(&s, &provided));
    if sign::signatures_match(&result.expected, &provided) {
        result.verdict = "valid".into();
        if provided != result.expected {
            result
                .hints
                .push("Lowercase hex is fine: signatures are compared case-insensitively.".into());
        }
        if !verifying.contains(&slot) {
            result.verdict = "expired key".into();
            result.hints.push(format!(
                "It was signed with key slot {slot}, whose grace period has ended: the gateway answers 88000003."
            ));
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
            result.hints.push(
                "You signed the URL-encoded values. Sign the raw values (decode first), then encode for the URL."
                    .into(),
            );
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
        result
            .hints
            .push("You kept parameters with empty values. Leave them out of the string you sign.".into());
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
        result
            .hints
            .push("You included sign itself in the signed string. Leave sign out.".into());
    }
    // The other charset.
    let other = if charset == Charset::Utf8 {
        Charset::Gbk
    } else {
        Charset::Utf8
    };
    if matches(with_key(params.iter().collect(), key.expose(), other)) {
        result.hints.push(format!(
            "You hashed the string as {} bytes, but input_charset says {}. Hash in the declared charset.",
            other.as_str(),
            charset.as_str()
        ));
    }
    // Another key slot.
    for (index, other_key) in &keys {
        if *index != slot && matches(with_key(params.iter().collect(), other_key.expose(), charset)) {
            result.hints.push(format!(
                "It matches the key in slot {index}, but the request uses slot {slot}. Set sign_key_index={index} \
                 or sign with the current key."
            ));
        }
    }
    if result.hints.is_empty() {
        result.hints.push(
            "No common mistake explains it: check the key (it may have been rotated) and that every parameter \
             sent is in the string you sign."
                .into(),
        );
    }
    Ok(result)
}

//! What every outgoing request shares: the appid, the key, the charset, and the rules
//! checked before signing.

use std::fmt;

use crate::error::{Error, Result};
use crate::params::Params;
use crate::sign::Charset;

/// An app key; `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct AppKey(String);

impl AppKey {
    pub(crate) fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppKey(***)")
    }
}

/// Parameters being collected for a signed request.
#[derive(Debug, Clone)]
pub(crate) struct Builder {
    pairs: Vec<(String, String)>,
    key: AppKey,
    charset: Charset,
}

impl Builder {
    pub(crate) fn new(appid: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            pairs: vec![("appid".to_owned(), appid.into())],
            key: AppKey::new(key),
            charset: Charset::Utf8,
        }
    }

    pub(crate) fn key(&self) -> &str {
        self.key.expose()
    }

    pub(crate) fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.pairs.iter_mut().find(|(k, _)| k == name) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((name.to_owned(), value)),
        }
    }

    pub(crate) fn charset(&mut self, charset: Charset) {
        self.charset = charset;
    }

    /// The value of `name` if set and not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, or an error saying it is required.
    pub(crate) fn require(&self, name: &'static str) -> Result<&str> {
        self.get(name).ok_or_else(|| Error::invalid(name, "is required"))
    }

    /// Checks the rules every request shares, then the request's own (`check`), then signs.
    pub(crate) fn build(&self, check: impl FnOnce(&Self) -> Result<()>) -> Result<Params> {
        let key = self.key.expose();
        if key.is_empty() || key.chars().any(char::is_whitespace) {
            return Err(Error::invalid("key", "must be non-empty and without whitespace"));
        }
        if !is_digits(self.require("appid")?, 10) {
            return Err(Error::invalid("appid", "must be 10 digits"));
        }
        if let Some(index) = self.get("sign_key_index")
            && index != "1"
            && index != "2"
        {
            return Err(Error::invalid("sign_key_index", "must be 1 or 2"));
        }
        for (name, value) in &self.pairs {
            match name.as_str() {
                "sign" => return Err(Error::invalid(name, "is computed by the SDK")),
                "input_charset" => return Err(Error::invalid(name, "is set with charset()")),
                _ if self.charset.encode(value).is_err() => {
                    return Err(Error::invalid(name, "has characters the charset cannot encode"));
                }
                _ => {}
            }
        }
        check(self)?;
        let charset = ("input_charset".to_owned(), self.charset.as_str().to_owned());
        let params = Params::from_pairs(self.pairs.iter().cloned().chain([charset]))?;
        Ok(params.signed(key)?)
    }
}

/// `base` (with or without a trailing `/`) + `path` + `?` + `query`.
pub(crate) fn url(base: &str, path: &str, query: &str) -> String {
    format!("{}{path}?{query}", base.trim_end_matches('/'))
}

/// Whether `value` is exactly `len` ASCII digits.
pub(crate) fn is_digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `value` is a valid out_trade_no: 1–32 of `[A-Za-z0-9_-]`.
pub(crate) fn is_out_trade_no(value: &str) -> bool {
    (1..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Parses an amount in fen: ASCII digits only (no sign), fitting in a `u64`.
pub(crate) fn parse_fen(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// Reads a required incoming field through `parse`: missing if absent or empty,
/// malformed if `parse` refuses it.
pub(crate) fn required<T>(
    value: Option<&str>,
    name: &'static str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T> {
    let value = value.filter(|v| !v.is_empty()).ok_or(Error::Missing(name))?;
    parse(value).ok_or_else(|| Error::Malformed {
        name,
        value: value.to_owned(),
    })
}

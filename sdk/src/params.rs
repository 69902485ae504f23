//! Protocol parameters: parsing query strings and form bodies in their
//! `input_charset`, and encoding them back (SPEC §4, §6).
//!
//! Parameter names are ASCII, so the charset is found first (from the raw
//! `input_charset` parameter), and then every name and value is percent-decoded
//! and decoded in that charset. With GBK, `%B2%E2%CA%D4` is `测试`.
//!
//! ```
//! use sdk::params::Params;
//! use sdk::sign::Charset;
//!
//! let params = Params::parse(b"body=%B2%E2%CA%D4&input_charset=GBK&total_fee=1").unwrap();
//! assert_eq!(params.charset(), Charset::Gbk);
//! assert_eq!(params.get("body"), Some("测试"));
//! assert_eq!(params.to_query(), "body=%B2%E2%CA%D4&input_charset=GBK&total_fee=1");
//! ```

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};

use crate::sign::{self, Charset, SignError};

/// Why raw parameters could not be read. Each names the parameter at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// `input_charset` is neither `UTF-8` nor `GBK`.
    #[error("input_charset must be UTF-8 or GBK, got {0:?}")]
    UnsupportedCharset(String),
    /// A name or value is not valid in the charset, or a name is not a plain identifier.
    #[error("parameter {name} is not valid {charset}")]
    Encoding {
        /// The parameter (as far as it could be read).
        name: String,
        /// The charset it was decoded in.
        charset: &'static str,
    },
    /// A name that is empty or not made of `[A-Za-z0-9_]`.
    #[error("parameter name {0:?} is not made of letters, digits and _")]
    BadName(String),
    /// The same name twice: which value was signed would be ambiguous.
    #[error("parameter {0} is given more than once")]
    Duplicate(String),
}

impl ParamsError {
    /// The parameter this error is about.
    pub fn parameter(&self) -> &str {
        match self {
            Self::UnsupportedCharset(_) => "input_charset",
            Self::Encoding { name, .. } | Self::BadName(name) | Self::Duplicate(name) => name,
        }
    }
}

/// Decoded parameters in the order they came, with their charset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
    charset: Charset,
}

/// Bytes that stay literal in an encoded value: RFC 3986 unreserved characters.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

impl Params {
    /// Builds parameters from decoded pairs. The charset comes from `input_charset`
    /// (UTF-8 when absent).
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self, ParamsError>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let pairs: Vec<(String, String)> = pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        // Protocol requests have a few names: comparing each with the ones before is
        // cheaper than hashing them. A long set (64 KiB can hold thousands of names)
        // uses a hash set, so the check stays linear.
        let mut seen = std::collections::HashSet::new();
        for (at, (name, _)) in pairs.iter().enumerate() {
            check_name(name)?;
            let repeated = if pairs.len() <= 32 {
                pairs[..at].iter().any(|(earlier, _)| earlier == name)
            } else {
                !seen.insert(name.as_str())
            };
            if repeated {
                return Err(ParamsError::Duplicate(name.clone()));
            }
        }
        let charset = match pairs.iter().find(|(name, _)| name == "input_charset") {
            None => Charset::Utf8,
            Some((_, value)) if value.is_empty() => Charset::Utf8,
            Some((_, value)) => {
                Charset::parse(value).ok_or_else(|| ParamsError::UnsupportedCharset(value.clone()))?
            }
        };
        Ok(Self { pairs, charset })
    }

    /// Parses one `application/x-www-form-urlencoded` string (a query string or a form body).
    pub fn parse(raw: &[u8]) -> Result<Self, ParamsError> {
        Self::parse_parts(&[raw])
    }

    /// Parses several parts as one parameter set, e.g. a POST's query string and its body.
    pub fn parse_parts(parts: &[&[u8]]) -> Result<Self, ParamsError> {
        let raw: Vec<(Vec<u8>, Vec<u8>)> = parts
            .iter()
            .flat_map(|part| part.split(|&b| b == b'&'))
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = match pair.iter().position(|&b| b == b'=') {
                    Some(at) => (&pair[..at], &pair[at + 1..]),
                    None => (pair, &b""[..]),
                };
                (form_decode(name), form_decode(value))
            })
            .collect();
        // Names are ASCII, so input_charset can be read before the charset is known.
        let charset = match raw.iter().find(|(name, _)| name == b"input_charset") {
            None => Charset::Utf8,
            Some((_, value)) if value.is_empty() => Charset::Utf8,
            Some((_, value)) => Charset::parse(&String::from_utf8_lossy(value)).ok_or_else(|| {
                ParamsError::UnsupportedCharset(String::from_utf8_lossy(value).into_owned())
            })?,
        };
        let mut pairs = Vec::with_capacity(raw.len());
        for (name, value) in raw {
            let name = String::from_utf8(name)
                .map_err(|err| ParamsError::BadName(String::from_utf8_lossy(err.as_bytes()).into_owned()))?;
            let encoding = || ParamsError::Encoding {
                name: name.clone(),
                charset: charset.as_str(),
            };
            // Text that needs no conversion keeps the decoded bytes (no second copy).
            let value = match charset.decode(&value).map_err(|_| encoding())? {
                Cow::Owned(text) => text,
                Cow::Borrowed(_) => String::from_utf8(value).map_err(|_| encoding())?,
            };
            pairs.push((name, value));
        }
        let params = Self::from_pairs(pairs)?;
        debug_assert_eq!(params.charset, charset);
        Ok(params)
    }

    /// The charset named by `input_charset` (UTF-8 when absent).
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// The value of `name`, if present (it may be empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name` if present and not empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|value| !value.is_empty())
    }

    /// Every pair, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Sets `name` to `value`, replacing an existing value.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.pairs.iter_mut().find(|(k, _)| k == name) {
            Some(pair) => pair.1 = value,
            None => self.pairs.push((name.to_owned(), value)),
        }
    }

    /// The uppercase MD5 signature of these parameters with `key` (SPEC §4).
    pub fn sign(&self, key: &str) -> Result<String, SignError> {
        sign::sign(self.iter(), key, self.charset)
    }

    /// Adds (or replaces) `sign` with the signature made with `key`.
    pub fn signed(mut self, key: &str) -> Result<Self, SignError> {
        let signature = self.sign(key)?;
        self.set("sign", signature);
        Ok(self)
    }

    /// Whether the `sign` parameter matches `key` (case-insensitive, constant time).
    /// A missing `sign` never matches.
    pub fn verify(&self, key: &str) -> Result<bool, SignError> {
        match self.non_empty("sign") {
            Some(provided) => sign::verify(self.iter(), key, self.charset, provided),
            None => Ok(false),
        }
    }

    /// Percent-encodes every non-empty parameter in the charset, sorted by name, as
    /// `k1=v1&k2=v2`. Parsed parameters always fit their charset; characters that a
    /// constructed set's charset cannot hold are sent as UTF-8 (signing them fails first).
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, &str)> = self.iter().filter(|(_, v)| !v.is_empty()).collect();
        pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut out = String::new();
        for (name, value) in pairs {
            if !out.is_empty() {
                out.push('&');
            }
            out.extend(percent_encode(name.as_bytes(), VALUE));
            out.push('=');
            let bytes = self
                .charset
                .encode(value)
                .unwrap_or(std::borrow::Cow::Borrowed(value.as_bytes()));
            out.extend(percent_encode(&bytes, VALUE));
        }
        out
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = (&'a str, &'a str);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a str)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// `url` with `query` added to its query string: after `?`, or after `&` when the URL has
/// a query already, and before any `#fragment` (which a browser keeps and an HTTP client
/// drops, so parameters after it would never reach the server).
///
/// ```
/// use sdk::params::append_query;
/// assert_eq!(append_query("https://shop.example/ret", "a=1"), "https://shop.example/ret?a=1");
/// assert_eq!(append_query("https://shop.example/ret?from=pay", "a=1"), "https://shop.example/ret?from=pay&a=1");
/// assert_eq!(append_query("https://shop.example/#/paid", "a=1"), "https://shop.example/?a=1#/paid");
/// ```
pub fn append_query(url: &str, query: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    // The first `?` starts the query; a later one is part of a value.
    let separator = match base.split_once('?') {
        None => "?",
        Some((_, own)) if own.is_empty() || own.ends_with('&') => "",
        Some(_) => "&",
    };
    let mut out = String::with_capacity(url.len() + query.len() + 2);
    out.push_str(base);
    out.push_str(separator);
    out.push_str(query);
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

fn check_name(name: &str) -> Result<(), ParamsError> {
    if name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ParamsError::BadName(name.to_owned()));
    }
    Ok(())
}

/// Form decoding: `+` is a space, `%XX` a byte; a `%` without two hex digits stays literal.
fn form_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => match (input.get(i + 1).and_then(hex), input.get(i + 2).and_then(hex)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

fn hex(byte: &u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_values_are_decoded_in_gbk() {
        let params = Params::parse(b"input_charset=GBK&body=%B2%E2%CA%D4").unwrap();
        assert_eq!(params.get("body"), Some("测试"));
        assert_eq!(params.charset(), Charset::Gbk);
    }

    #[test]
    fn utf8_is_the_default_and_plus_is_a_space() {
        let params = Params::parse(b"body=%E6%B5%8B%E8%AF%95+x&attach=").unwrap();
        assert_eq!(params.charset(), Charset::Utf8);
        assert_eq!(params.get("body"), Some("测试 x"));
        assert_eq!(params.get("attach"), Some(""));
        assert_eq!(params.non_empty("attach"), None);
    }

    #[test]
    fn bad_input_names_the_parameter() {
        assert_eq!(
            Params::parse(b"input_charset=latin1").unwrap_err(),
            ParamsError::UnsupportedCharset("latin1".into())
        );
        let err = Params::parse(b"body=%FF").unwrap_err();
        assert_eq!(err.parameter(), "body");
        assert_eq!(
            Params::parse(b"a=1&a=2").unwrap_err(),
            ParamsError::Duplicate("a".into())
        );
        assert_eq!(
            Params::parse(b"%27or=1").unwrap_err(),
            ParamsError::BadName("'or".into())
        );
    }

    #[test]
    fn a_lone_percent_stays_literal() {
        let params = Params::parse(b"body=100%&attach=%4").unwrap();
        assert_eq!(params.get("body"), Some("100%"));
        assert_eq!(params.get("attach"), Some("%4"));
    }

    #[test]
    fn query_round_trips_in_both_charsets() {
        for charset in ["UTF-8", "GBK"] {
            let params = Params::from_pairs([
                ("body", "测试 & = + %"),
                ("input_charset", charset),
                ("total_fee", "1"),
            ])
            .unwrap()
            .signed("k")
            .unwrap();
            let parsed = Params::parse(params.to_query().as_bytes()).unwrap();
            assert_eq!(parsed.get("body"), Some("测试 & = + %"));
            assert!(parsed.verify("k").unwrap());
            assert!(!parsed.verify("other").unwrap());
        }
    }

    #[test]
    fn a_gbk_query_that_parses_round_trips_even_in_sign() {
        // The fuzzer's input: a GB18030-only character in `sign`, which signing skips, so
        // it slipped through parse and came back from to_query as UTF-8 bytes.
        let crash = b"appid=1&input_charset=GBK&sign=%CD1%C71";
        assert_eq!(
            Params::parse(crash).unwrap_err(),
            ParamsError::Encoding {
                name: "sign".into(),
                charset: "GBK"
            }
        );
        let params = Params::parse(b"appid=1&input_charset=GBK&sign=%B2%E2").unwrap();
        assert_eq!(Params::parse(params.to_query().as_bytes()).unwrap(), params);
    }

    #[test]
    fn duplicates_are_found_in_short_and_long_sets() {
        for count in [3, 32, 33, 500] {
            let names: Vec<String> = (0..count).map(|n| format!("p{n}")).collect();
            let query = names
                .iter()
                .map(|name| format!("{name}=1"))
                .collect::<Vec<_>>()
                .join("&");
            assert_eq!(Params::parse(query.as_bytes()).unwrap().len(), count);
            let repeated = format!("{query}&p{}=2", count - 1);
            assert_eq!(
                Params::parse(repeated.as_bytes()),
                Err(ParamsError::Duplicate(format!("p{}", count - 1))),
                "{count} names"
            );
        }
    }

    #[test]
    fn parts_are_merged_and_duplicates_across_parts_refused() {
        let params = Params::parse_parts(&[b"appid=1", b"body=x"]).unwrap();
        assert_eq!(params.len(), 2);
        assert!(Params::parse_parts(&[b"appid=1", b"appid=2"]).is_err());
    }

    #[test]
    fn append_query_joins_after_a_bare_question_mark_or_ampersand() {
        assert_eq!(
            append_query("https://a.example/?", "x=1"),
            "https://a.example/?x=1"
        );
        assert_eq!(
            append_query("https://a.example/?a=1&", "x=1"),
            "https://a.example/?a=1&x=1"
        );
        assert_eq!(
            append_query("https://a.example/p?a=1#f?g&h", "x=1"),
            "https://a.example/p?a=1&x=1#f?g&h"
        );
        assert_eq!(
            append_query("https://a.example/#", "x=1"),
            "https://a.example/?x=1#"
        );
        assert_eq!(
            append_query("https://a.example/?v=b?", "x=1"),
            "https://a.example/?v=b?&x=1"
        );
    }
}

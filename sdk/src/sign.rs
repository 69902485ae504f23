//! The open platform's MD5 signature (SPEC §4).
//!
//! 1. Take every parameter except `sign`, and drop those whose value is empty.
//! 2. Sort by name, ascending byte order.
//! 3. Join as `k1=v1&k2=v2&…` with raw (decoded) values.
//! 4. Append `&key=<app key>`.
//! 5. MD5 over the bytes of that string in the request's `input_charset`.
//! 6. Emit uppercase hex; verify case-insensitively, in constant time.

use std::borrow::Cow;

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// Character sets the protocol accepts as `input_charset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Charset {
    /// `UTF-8`, the default.
    #[default]
    Utf8,
    /// `GBK`, the legacy Chinese encoding.
    Gbk,
}

impl Charset {
    /// Parses an `input_charset` value, case-insensitively (`UTF-8`, `utf8`, `GBK`).
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_uppercase().as_str() {
            "UTF-8" | "UTF8" => Some(Self::Utf8),
            "GBK" => Some(Self::Gbk),
            _ => None,
        }
    }

    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Gbk => "GBK",
        }
    }

    /// Encodes text into this charset's bytes; fails on characters GBK cannot hold.
    pub fn encode(self, text: &str) -> Result<Cow<'_, [u8]>, SignError> {
        match self {
            Self::Utf8 => Ok(Cow::Borrowed(text.as_bytes())),
            Self::Gbk => {
                let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
                if unmappable {
                    Err(SignError::Unencodable(self))
                } else {
                    Ok(bytes)
                }
            }
        }
    }

    /// Decodes bytes in this charset; fails on malformed input, and for GBK also on
    /// characters GBK cannot encode back.
    pub fn decode(self, bytes: &[u8]) -> Result<Cow<'_, str>, SignError> {
        let encoding = match self {
            Self::Utf8 => encoding_rs::UTF_8,
            Self::Gbk => encoding_rs::GBK,
        };
        let text = encoding
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or(SignError::Malformed(self))?;
        // encoding_rs decodes GBK as GB18030, whose four-byte sequences reach characters
        // GBK cannot encode; such text could be neither signed nor sent back as it came.
        if self == Self::Gbk && !text.is_ascii() && self.encode(&text).is_err() {
            return Err(SignError::Malformed(self));
        }
        Ok(text)
    }
}

/// Why a signature could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The text has characters the charset cannot represent.
    #[error("the parameters contain characters that {} cannot encode", .0.as_str())]
    Unencodable(Charset),
    /// The bytes are not valid in the charset.
    #[error("the bytes are not valid {}", .0.as_str())]
    Malformed(Charset),
}

/// The string that is hashed: sorted non-empty parameters except `sign`, then `&key=…`.
pub fn canonical_string<'a, I>(params: I, key: &str) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut kept: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(name, value)| *name != "sign" && !value.is_empty())
        .collect();
    // Stable sort: repeated names keep their order, so the result is deterministic.
    kept.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out =
        String::with_capacity(kept.iter().map(|(k, v)| k.len() + v.len() + 2).sum::<usize>() + key.len() + 5);
    for (name, value) in kept {
        out.push_str(name);
        out.push('=');
        out.push_str(value);
        out.push('&');
    }
    out.push_str("key=");
    out.push_str(key);
    out
}

/// Uppercase hex MD5 of `text` encoded in `charset`.
pub fn md5_upper_hex(text: &str, charset: Charset) -> Result<String, SignError> {
    let digest = Md5::digest(charset.encode(text)?);
    let mut hex = String::with_capacity(32);
    for byte in digest {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        hex.push(HEX[usize::from(byte >> 4)] as char);
        hex.push(HEX[usize::from(byte & 0x0f)] as char);
    }
    Ok(hex)
}

/// Signs `params` with `key`: uppercase hex MD5 of the canonical string.
pub fn sign<'a, I>(params: I, key: &str, charset: Charset) -> Result<String, SignError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    md5_upper_hex(&canonical_string(params, key), charset)
}

/// Checks `provided` against the signature of `params`: case-insensitive, constant time.
pub fn verify<'a, I>(params: I, key: &str, charset: Charset, provided: &str) -> Result<bool, SignError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let expected = sign(params, key, charset)?;
    Ok(signatures_match(&expected, provided))
}

/// Compares two hex signatures case-insensitively in constant time (for equal lengths).
pub fn signatures_match(expected: &str, provided: &str) -> bool {
    let provided = provided.trim().to_ascii_uppercase();
    let expected = expected.to_ascii_uppercase();
    // The length of a signature is public (always 32), so an early return leaks nothing.
    expected.len() == provided.len() && bool::from(expected.as_bytes().ct_eq(provided.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits a SPEC §4 canonical string back into its parameters and key.
    fn split(canonical: &str) -> (Vec<(&str, &str)>, &str) {
        let (params, key) = canonical.rsplit_once("&key=").expect("vector has a key");
        let pairs = params
            .split('&')
            .map(|pair| pair.split_once('=').expect("pair has ="))
            .collect();
        (pairs, key)
    }

    const V1: &str = "appid=0000000001&body=test&notify_url=http://localhost/notify&out_trade_no=1033537274&return_url=http://localhost/return&spbill_create_ip=127.0.0.1&total_fee=1&key=0123456789abcdef0123456789abcdef";
    const V2: &str = "bank_type=DEFAULT&body=test&fee_type=1&input_charset=UTF-8&notify_url=http://localhost/notify&out_trade_no=1033537274&partner=1900000109&return_url=http://localhost/return&service_version=1.0&sign_key_index=1&sign_type=MD5&spbill_create_ip=127.0.0.1&total_fee=1&key=8934e7d15453e97507ef794cf7b0519d";
    const V3: &str = "body=测试&input_charset=GBK&out_trade_no=1&partner=1900000109&total_fee=1&key=8934e7d15453e97507ef794cf7b0519d";

    #[test]
    fn spec_vectors_hash_to_their_documented_md5() {
        let cases = [
            (V1, Charset::Utf8, "C163B4EDD3A161AB76B176E7CEF3A99B"),
            (V2, Charset::Utf8, "F20B6C0CD473BC7ADBD3FB1DED81E2C3"),
            (V3, Charset::Gbk, "20589F84506B6C7888851D4A6112AFF2"),
            (V3, Charset::Utf8, "85B0FA3F515C2A58E38955B95C5F9313"),
        ];
        for (canonical, charset, md5) in cases {
            assert_eq!(
                md5_upper_hex(canonical, charset).unwrap(),
                md5,
                "{canonical} in {charset:?}"
            );
        }
    }

    #[test]
    fn canonical_string_sorts_drops_empty_values_and_sign() {
        for vector in [V1, V2, V3] {
            let (mut pairs, key) = split(vector);
            pairs.reverse();
            pairs.push(("sign", "WHATEVER"));
            pairs.push(("attach", ""));
            assert_eq!(canonical_string(pairs, key), vector);
        }
    }

    #[test]
    fn verify_accepts_lowercase_and_rejects_a_changed_parameter() {
        let (pairs, key) = split(V1);
        assert!(
            verify(
                pairs.clone(),
                key,
                Charset::Utf8,
                "c163b4edd3a161ab76b176e7cef3a99b"
            )
            .unwrap()
        );
        let mut tampered = pairs.clone();
        tampered[6] = ("total_fee", "2");
        assert!(!verify(tampered, key, Charset::Utf8, "C163B4EDD3A161AB76B176E7CEF3A99B").unwrap());
        assert!(!verify(pairs, key, Charset::Utf8, "C163B4EDD3A161AB76B176E7CEF3A99").unwrap());
    }

    #[test]
    fn gbk_round_trips_and_refuses_what_it_cannot_encode() {
        let bytes = Charset::Gbk.encode("测试").unwrap();
        assert_eq!(&*bytes, &[0xB2, 0xE2, 0xCA, 0xD4]);
        assert_eq!(Charset::Gbk.decode(&bytes).unwrap(), "测试");
        assert_eq!(
            Charset::Gbk.encode("😀"),
            Err(SignError::Unencodable(Charset::Gbk))
        );
        assert_eq!(
            Charset::Utf8.decode(&[0xff]),
            Err(SignError::Malformed(Charset::Utf8))
        );
    }

    #[test]
    fn gbk_decoding_refuses_what_only_gb18030_can_say() {
        // encoding_rs decodes GBK as GB18030, whose four-byte sequences reach all of
        // Unicode; GBK cannot encode those characters back (found by fuzzing).
        assert_eq!(
            Charset::Gbk.decode(&[0x81, 0x30, 0x81, 0x30]),
            Err(SignError::Malformed(Charset::Gbk))
        );
        assert_eq!(
            Charset::Gbk.decode(&[0xCD, 0x31, 0xC7, 0x31]),
            Err(SignError::Malformed(Charset::Gbk))
        );
        assert_eq!(Charset::Gbk.decode(&[0x80]).unwrap(), "€");
    }

    #[test]
    fn charset_names_parse_case_insensitively() {
        assert_eq!(Charset::parse("utf-8"), Some(Charset::Utf8));
        assert_eq!(Charset::parse("gbk"), Some(Charset::Gbk));
        assert_eq!(Charset::parse("latin1"), None);
    }
}

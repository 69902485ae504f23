//! Property tests: signing, verification and the query-string encoding hold for
//! arbitrary parameters in both charsets.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::Index;
use sdk::params::Params;
use sdk::sign::Charset;

/// Parameter names: what the protocol allows, minus the two with a meaning of their own.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_]{1,12}".prop_filter("sign and input_charset are not data", |n| {
        n != "sign" && n != "input_charset"
    })
}

/// Characters GBK can encode: ASCII, CJK ideographs, and some full-width punctuation.
fn gbk_char() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::char::range('\0', '\x7f'),
        proptest::char::range('\u{4e00}', '\u{9fa5}'),
        prop::sample::select(vec!['，', '。', '！', '￥', '€', '·', '　']),
    ]
}

fn value(charset: Charset) -> BoxedStrategy<String> {
    match charset {
        Charset::Utf8 => proptest::collection::vec(any::<char>(), 1..16)
            .prop_map(String::from_iter)
            .boxed(),
        Charset::Gbk => proptest::collection::vec(gbk_char(), 1..16)
            .prop_map(String::from_iter)
            .boxed(),
    }
}

/// Non-empty parameters (empty ones are not signed, so changing them proves nothing).
fn pairs(charset: Charset) -> impl Strategy<Value = BTreeMap<String, String>> {
    proptest::collection::btree_map(name(), value(charset), 1..8)
}

fn charset() -> impl Strategy<Value = Charset> {
    prop_oneof![Just(Charset::Utf8), Just(Charset::Gbk)]
}

fn key() -> impl Strategy<Value = String> {
    "[0-9a-f]{32}"
}

fn params(pairs: &BTreeMap<String, String>, charset: Charset) -> Params {
    let charset = ("input_charset".to_owned(), charset.as_str().to_owned());
    Params::from_pairs(pairs.clone().into_iter().chain([charset])).unwrap()
}

/// Replaces the character at `at` with a different one the charset can still encode.
fn change_char(text: &str, at: Index, replacement: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let i = at.index(chars.len());
    chars[i] = if chars[i] == replacement {
        if replacement == 'a' { 'b' } else { 'a' }
    } else {
        replacement
    };
    chars.into_iter().collect()
}

/// One of the four things a single changed character can hit.
#[derive(Debug, Clone, Copy)]
enum Target {
    Value,
    Name,
    Key,
    Signature,
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::Value),
        Just(Target::Name),
        Just(Target::Key),
        Just(Target::Signature)
    ]
}

fn with_pairs() -> impl Strategy<Value = (Charset, BTreeMap<String, String>)> {
    charset().prop_flat_map(|charset| (Just(charset), pairs(charset)))
}

proptest! {
    #[test]
    fn signed_params_verify_with_their_key((charset, pairs) in with_pairs(), key in key()) {
        let signed = params(&pairs, charset).signed(&key).unwrap();
        prop_assert!(signed.verify(&key).unwrap());
        // The signature survives the trip through a query string.
        let parsed = Params::parse(signed.to_query().as_bytes()).unwrap();
        prop_assert!(parsed.verify(&key).unwrap());
    }

    #[test]
    fn changing_one_character_anywhere_breaks_verification(
        (charset, pairs) in with_pairs(),
        key in key(),
        target in target(),
        which in any::<Index>(),
        at in any::<Index>(),
        replacement in gbk_char(),
        name_char in "[A-Za-z0-9_]",
        hex_step in 1u8..16,
    ) {
        let signed = params(&pairs, charset).signed(&key).unwrap();
        let signature = signed.get("sign").unwrap().to_owned();
        let (name, value) = pairs.iter().nth(which.index(pairs.len())).unwrap();
        let (mut changed, mut changed_key) = (pairs.clone(), key.clone());
        match target {
            Target::Value => {
                changed.insert(name.clone(), change_char(value, at, replacement));
            }
            Target::Name => {
                let new_name = change_char(name, at, name_char.chars().next().unwrap());
                prop_assume!(!pairs.contains_key(&new_name) && new_name != "sign" && new_name != "input_charset");
                let value = changed.remove(name).unwrap();
                changed.insert(new_name, value);
            }
            Target::Key => {
                let hex = "0123456789abcdef";
                let i = at.index(key.len());
                let digit = hex.find(&key[i..=i]).unwrap();
                let new = &hex[(digit + usize::from(hex_step)) % 16..][..1];
                changed_key.replace_range(i..=i, new);
            }
            Target::Signature => {}
        }
        let mut tampered = params(&changed, charset);
        tampered.set("sign", signature.clone());
        if let Target::Signature = target {
            let hex = "0123456789ABCDEF";
            let i = at.index(signature.len());
            let digit = hex.find(&signature[i..=i]).unwrap();
            let mut forged = signature.clone();
            forged.replace_range(i..=i, &hex[(digit + usize::from(hex_step)) % 16..][..1]);
            tampered.set("sign", forged);
        }
        prop_assert!(!tampered.verify(&changed_key).unwrap(), "{target:?} change still verified");
    }

    #[test]
    fn to_query_then_parse_gives_back_the_params((charset, pairs) in with_pairs()) {
        let original = params(&pairs, charset);
        let parsed = Params::parse(original.to_query().as_bytes()).unwrap();
        prop_assert_eq!(parsed.charset(), charset);
        let mut expected: Vec<(&str, &str)> = original.iter().collect();
        expected.sort();
        prop_assert_eq!(parsed.iter().collect::<Vec<_>>(), expected);
    }
}

/// Byte sequences shaped like GBK text: ASCII, two-byte pairs, GB18030 four-byte
/// sequences, and stray bytes.
fn gbk_ish_unit() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0u8..0x80).prop_map(|b| vec![b]),
        (0x81u8..=0xFE, 0x40u8..=0xFE).prop_map(|(lead, trail)| vec![lead, trail]),
        (0x81u8..=0xFE, 0x30u8..=0x39, 0x81u8..=0xFE, 0x30u8..=0x39)
            .prop_map(|(a, b, c, d)| vec![a, b, c, d]),
        any::<u8>().prop_map(|b| vec![b]),
    ]
}

proptest! {
    /// Raw bytes in a GBK query either are refused or parse into values that survive
    /// `to_query` (GB18030-only sequences used to slip through; found by fuzzing).
    #[test]
    fn any_gbk_bytes_are_refused_or_round_trip(units in proptest::collection::vec(gbk_ish_unit(), 0..8)) {
        let bytes = units.concat();
        let encoded: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
        let raw = format!("input_charset=GBK&body={encoded}&sign={encoded}");
        if let Ok(params) = Params::parse(raw.as_bytes()) {
            let reparsed = Params::parse(params.to_query().as_bytes()).unwrap();
            let mut expected: Vec<(&str, &str)> = params.iter().filter(|(_, v)| !v.is_empty()).collect();
            expected.sort();
            prop_assert_eq!(reparsed.iter().collect::<Vec<_>>(), expected);
        }
    }
}

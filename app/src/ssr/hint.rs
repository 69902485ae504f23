//! What an ISV can do about a failed notification attempt, in the reader's language.
//!
//! An attempt stores its hint as a code (`hint:<kind>` or `hint:<kind>:<detail>`), and
//! the portal words it in the language of the request that shows it
//! (`app/locales/<locale>/msg.json`, keys `hint_*`). Attempts recorded before hints were
//! codes hold English text, which is shown as it is.

use std::time::Duration;

use crate::i18n::{Locale, td_string};
use crate::types::AttemptDetail;

/// The prefix of a stored hint code.
const PREFIX: &str = "hint:";

/// Why an attempt was not acknowledged, and so what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    /// A 3xx answer, with its `Location` if it had one.
    Redirect(Option<String>),
    /// A status outside 2xx.
    Status(u16),
    /// `success` in another case: the body as it came (trimmed).
    WrongCase(String),
    /// `success` inside HTML or other text.
    SuccessInsideText,
    EmptyBody,
    /// Any other body.
    NotSuccess,
    /// No answer within the timeout.
    Timeout(Duration),
    /// The target is (or resolves to) a private or loopback address, and those are blocked.
    Blocked,
    Dns,
    Refused,
    Tls,
    Connect,
    /// The request failed in another way before an answer came.
    NoAnswer,
    /// The platform could not sign the notification (its key could not be read).
    NotSigned,
}

impl Hint {
    /// The stored form: `hint:<kind>[:<detail>]`.
    pub fn code(&self) -> String {
        let (kind, detail) = match self {
            Self::Redirect(location) => ("redirect", location.clone()),
            Self::Status(status) => ("status", Some(status.to_string())),
            Self::WrongCase(body) => ("wrong_case", Some(body.clone())),
            Self::SuccessInsideText => ("success_inside_text", None),
            Self::EmptyBody => ("empty_body", None),
            Self::NotSuccess => ("not_success", None),
            Self::Timeout(timeout) => ("timeout", Some(timeout.as_millis().to_string())),
            Self::Blocked => ("blocked", None),
            Self::Dns => ("dns", None),
            Self::Refused => ("refused", None),
            Self::Tls => ("tls", None),
            Self::Connect => ("connect", None),
            Self::NoAnswer => ("no_answer", None),
            Self::NotSigned => ("not_signed", None),
        };
        match detail {
            Some(detail) => format!("{PREFIX}{kind}:{detail}"),
            None => format!("{PREFIX}{kind}"),
        }
    }

    /// A stored code read back; `None` for anything else.
    pub fn parse(stored: &str) -> Option<Self> {
        let code = stored.strip_prefix(PREFIX)?;
        let (kind, detail) = match code.split_once(':') {
            Some((kind, detail)) => (kind, Some(detail)),
            None => (code, None),
        };
        Some(match (kind, detail) {
            ("redirect", location) => Self::Redirect(location.map(str::to_owned)),
            ("status", Some(status)) => Self::Status(status.parse().ok()?),
            ("wrong_case", Some(body)) => Self::WrongCase(body.to_owned()),
            ("success_inside_text", None) => Self::SuccessInsideText,
            ("empty_body", None) => Self::EmptyBody,
            ("not_success", None) => Self::NotSuccess,
            ("timeout", Some(ms)) => Self::Timeout(Duration::from_millis(ms.parse().ok()?)),
            ("blocked", None) => Self::Blocked,
            ("dns", None) => Self::Dns,
            ("refused", None) => Self::Refused,
            ("tls", None) => Self::Tls,
            ("connect", None) => Self::Connect,
            ("no_answer", None) => Self::NoAnswer,
            ("not_signed", None) => Self::NotSigned,
            _ => return None,
        })
    }

    /// The hint in words, in `locale`.
    pub fn text(&self, locale: Locale) -> String {
        let l = locale;
        match self {
            Self::Redirect(Some(location)) => {
                td_string!(l, msg.hint_redirect, location = location.as_str()).to_string()
            }
            Self::Redirect(None) => td_string!(l, msg.hint_redirect_elsewhere).to_string(),
            Self::Status(status) => td_string!(l, msg.hint_status, status = *status).to_string(),
            Self::WrongCase(body) => {
                let body = format!("{body:?}");
                td_string!(l, msg.hint_wrong_case, body = body.as_str()).to_string()
            }
            Self::SuccessInsideText => td_string!(l, msg.hint_success_inside_text).to_string(),
            Self::EmptyBody => td_string!(l, msg.hint_empty_body).to_string(),
            Self::NotSuccess => td_string!(l, msg.hint_not_success).to_string(),
            Self::Timeout(timeout) => {
                let timeout = format!("{timeout:?}");
                td_string!(l, msg.hint_timeout, timeout = timeout.as_str()).to_string()
            }
            Self::Blocked => td_string!(l, msg.hint_blocked).to_string(),
            Self::Dns => td_string!(l, msg.hint_dns).to_string(),
            Self::Refused => td_string!(l, msg.hint_refused).to_string(),
            Self::Tls => td_string!(l, msg.hint_tls).to_string(),
            Self::Connect => td_string!(l, msg.hint_connect).to_string(),
            Self::NoAnswer => td_string!(l, msg.hint_no_answer).to_string(),
            Self::NotSigned => td_string!(l, msg.hint_not_signed).to_string(),
        }
    }
}

/// A stored hint for a reader in `locale`: a code in words, older English text as it is.
pub fn hint_text(stored: &str, locale: Locale) -> String {
    match Hint::parse(stored) {
        Some(hint) => hint.text(locale),
        None => stored.to_owned(),
    }
}

/// Words the stored hints of `attempts` for a reader in `locale`.
pub fn localize(attempts: &mut [AttemptDetail], locale: Locale) {
    for attempt in attempts {
        attempt.hint = hint_text(&attempt.hint, locale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_hint() -> Vec<Hint> {
        vec![
            Hint::Redirect(Some("http://example.com/a?b=c:d".into())),
            Hint::Redirect(None),
            Hint::Status(500),
            Hint::WrongCase("SUCCESS".into()),
            Hint::SuccessInsideText,
            Hint::EmptyBody,
            Hint::NotSuccess,
            Hint::Timeout(Duration::from_millis(1500)),
            Hint::Blocked,
            Hint::Dns,
            Hint::Refused,
            Hint::Tls,
            Hint::Connect,
            Hint::NoAnswer,
            Hint::NotSigned,
        ]
    }

    #[test]
    fn codes_read_back_as_the_same_hint() {
        for hint in every_hint() {
            assert_eq!(Hint::parse(&hint.code()), Some(hint.clone()), "{}", hint.code());
        }
        for other in [
            "",
            "hint:",
            "hint:status:abc",
            "hint:nonsense",
            "the endpoint answered HTTP 500",
        ] {
            assert_eq!(Hint::parse(other), None, "{other}");
        }
    }

    #[test]
    fn each_hint_reads_differently_in_each_language() {
        let mut seen = std::collections::HashSet::new();
        for hint in every_hint() {
            let (en, zh) = (hint.text(Locale::en), hint.text(Locale::zh));
            assert!(!en.is_empty() && !zh.is_empty(), "{hint:?}");
            assert_ne!(en, zh, "{hint:?}");
            assert!(
                seen.insert(en.clone()) && seen.insert(zh),
                "{hint:?} repeats a text"
            );
        }
        assert!(Hint::Status(502).text(Locale::en).contains("HTTP 502"));
        assert!(Hint::Status(502).text(Locale::zh).contains("HTTP 502"));
        assert!(
            Hint::Timeout(Duration::from_millis(1500))
                .text(Locale::zh)
                .contains("1.5s")
        );
        assert!(
            Hint::WrongCase("Success".into())
                .text(Locale::en)
                .contains("\"Success\"")
        );
        assert!(
            Hint::Redirect(Some("http://example.com/next".into()))
                .text(Locale::zh)
                .contains("http://example.com/next")
        );
    }

    #[test]
    fn english_hints_stored_before_codes_are_shown_as_they_are() {
        let old = "the body was empty; answer success to acknowledge";
        assert_eq!(hint_text(old, Locale::zh), old);
        assert_eq!(hint_text("", Locale::en), "");
        assert_eq!(
            hint_text(&Hint::EmptyBody.code(), Locale::en),
            Hint::EmptyBody.text(Locale::en)
        );
    }
}

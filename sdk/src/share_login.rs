//! Share login (SPEC §6.4): the portal sends a sandbox user's browser to the app's
//! `app_url` with `appid, user_id, token, timestamp, sign`; the app checks the signature
//! and that the timestamp is within five minutes of now, and then trusts `user_id`.
//!
//! The signature covers exactly those four fields (UTF-8), so parameters already in
//! `app_url` neither break nor widen it.
//!
//! ```
//! use sdk::share_login::ShareLoginState;
//! use time::macros::datetime;
//!
//! let key = "0123456789abcdef0123456789abcdef";
//! let issued = datetime!(2024-05-01 12:00:00 +8);
//! // The portal's side:
//! let url = ShareLoginState::new("1904837261", "buyer-7", "t0ken", issued)
//!     .url("https://app.example/entry?from=portal", key)
//!     .unwrap();
//! assert!(url.starts_with("https://app.example/entry?from=portal&appid=1904837261&"));
//!
//! // The app's side, two minutes later:
//! let query = url.split_once('?').unwrap().1;
//! let state = ShareLoginState::verify(query, key, issued + time::Duration::minutes(2)).unwrap();
//! assert_eq!(state.user_id(), "buyer-7");
//! // Ten minutes later the same link is stale.
//! assert!(ShareLoginState::verify(query, key, issued + time::Duration::minutes(10)).is_err());
//! ```

use std::fmt;

use time::{Duration, OffsetDateTime};

use crate::error::{Error, Result};
use crate::params::Params;
use crate::request::required;
use crate::sign::{self, Charset};
use crate::timestamp;

/// The fields a share-login signature covers.
const SIGNED: [&str; 4] = ["appid", "user_id", "token", "timestamp"];

/// A platform user arriving at the app through share login.
///
/// A link stays valid for [`MAX_SKEW`](Self::MAX_SKEW); an app that must refuse a replayed
/// link within that window remembers the [`token`](Self::token)s it has seen.
/// `Debug` does not show the token.
#[derive(Clone, PartialEq, Eq)]
pub struct ShareLoginState {
    appid: String,
    user_id: String,
    token: String,
    timestamp: OffsetDateTime,
}

impl ShareLoginState {
    /// How far the timestamp may be from now, in either direction.
    pub const MAX_SKEW: Duration = Duration::minutes(5);

    /// A state to sign (the portal's side, and tests).
    pub fn new(
        appid: impl Into<String>,
        user_id: impl Into<String>,
        token: impl Into<String>,
        timestamp: OffsetDateTime,
    ) -> Self {
        Self {
            appid: appid.into(),
            user_id: user_id.into(),
            token: token.into(),
            timestamp,
        }
    }

    /// Verifies the raw query string the browser arrived with, signed with the app `key`,
    /// at time `now` (pass `OffsetDateTime::now_utc()` outside tests).
    pub fn verify(query: impl AsRef<[u8]>, key: &str, now: OffsetDateTime) -> Result<Self> {
        let params = Params::parse(query.as_ref())?;
        let signature = params.non_empty("sign").ok_or(Error::MissingSignature)?;
        let mut signed = Vec::with_capacity(SIGNED.len());
        for name in SIGNED {
            signed.push((name, params.non_empty(name).ok_or(Error::Missing(name))?));
        }
        if !sign::verify(signed, key, Charset::Utf8, signature)? {
            return Err(Error::SignatureMismatch);
        }
        let timestamp = required(params.get("timestamp"), "timestamp", timestamp::parse)?;
        let skew = now - timestamp;
        if skew.abs() > Self::MAX_SKEW {
            return Err(Error::Stale {
                skew_seconds: skew.whole_seconds(),
            });
        }
        let text = |name| params.non_empty(name).unwrap_or_default().to_owned();
        Ok(Self {
            appid: text("appid"),
            user_id: text("user_id"),
            token: text("token"),
            timestamp,
        })
    }

    /// The signed parameters, in UTF-8.
    pub fn to_params(&self, key: &str) -> Result<Params> {
        let fields = [
            ("appid", self.appid.clone()),
            ("user_id", self.user_id.clone()),
            ("token", self.token.clone()),
            ("timestamp", timestamp::format(self.timestamp)),
        ];
        if let Some((name, _)) = fields.iter().find(|(_, value)| value.is_empty()) {
            return Err(Error::invalid(name, "is required"));
        }
        Ok(Params::from_pairs(fields)?.signed(key)?)
    }

    /// `app_url` with the signed parameters appended to its query (before any `#fragment`).
    pub fn url(&self, app_url: &str, key: &str) -> Result<String> {
        Ok(crate::params::append_query(
            app_url,
            &self.to_params(key)?.to_query(),
        ))
    }

    /// The app the login is for.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// The platform user who jumped into the app.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The platform's opaque login token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// When the portal issued the login.
    pub fn timestamp(&self) -> OffsetDateTime {
        self.timestamp
    }
}

impl fmt::Debug for ShareLoginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShareLoginState")
            .field("appid", &self.appid)
            .field("user_id", &self.user_id)
            .field("token", &"***")
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const KEY: &str = "0123456789abcdef0123456789abcdef";
    const ISSUED: OffsetDateTime = datetime!(2024-05-01 12:00:00 +8);

    fn query() -> String {
        ShareLoginState::new("1904837261", "测试用户", "t0ken", ISSUED)
            .to_params(KEY)
            .unwrap()
            .to_query()
    }

    #[test]
    fn a_fresh_login_yields_the_user() {
        let state = ShareLoginState::verify(query(), KEY, ISSUED + Duration::seconds(299)).unwrap();
        assert_eq!(state.user_id(), "测试用户");
        assert_eq!(state.appid(), "1904837261");
        assert_eq!(state.token(), "t0ken");
        assert_eq!(state.timestamp(), ISSUED);
        assert!(!format!("{state:?}").contains("t0ken"));
    }

    #[test]
    fn the_timestamp_is_utc_plus_8_on_the_wire() {
        assert!(query().contains("timestamp=20240501120000"));
    }

    #[test]
    fn a_login_older_than_five_minutes_is_stale() {
        assert!(ShareLoginState::verify(query(), KEY, ISSUED + Duration::seconds(300)).is_ok());
        let err = ShareLoginState::verify(query(), KEY, ISSUED + Duration::seconds(301)).unwrap_err();
        assert_eq!(err, Error::Stale { skew_seconds: 301 });
    }

    #[test]
    fn a_login_from_more_than_five_minutes_in_the_future_is_stale() {
        assert!(ShareLoginState::verify(query(), KEY, ISSUED - Duration::seconds(300)).is_ok());
        let err = ShareLoginState::verify(query(), KEY, ISSUED - Duration::seconds(301)).unwrap_err();
        assert_eq!(err, Error::Stale { skew_seconds: -301 });
    }

    #[test]
    fn a_changed_user_or_wrong_key_is_refused() {
        let tampered = query().replace("user_id=", "user_id=x");
        assert_eq!(
            ShareLoginState::verify(tampered, KEY, ISSUED).unwrap_err(),
            Error::SignatureMismatch
        );
        assert_eq!(
            ShareLoginState::verify(query(), "another-key", ISSUED).unwrap_err(),
            Error::SignatureMismatch
        );
    }

    #[test]
    fn missing_fields_are_named() {
        let unsigned = query().split("&sign=").next().unwrap().to_owned();
        assert_eq!(
            ShareLoginState::verify(unsigned, KEY, ISSUED).unwrap_err(),
            Error::MissingSignature
        );
        let no_token = query().replace("token=t0ken&", "");
        assert_eq!(
            ShareLoginState::verify(no_token, KEY, ISSUED).unwrap_err(),
            Error::Missing("token")
        );
    }

    #[test]
    fn a_signed_but_malformed_timestamp_is_reported() {
        let params = Params::from_pairs([
            ("appid", "1904837261"),
            ("user_id", "u"),
            ("token", "t"),
            ("timestamp", "2024-05-01"),
        ])
        .unwrap()
        .signed(KEY)
        .unwrap();
        let err = ShareLoginState::verify(params.to_query(), KEY, ISSUED).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Malformed {
                    name: "timestamp",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn url_keeps_the_app_urls_own_query_and_fragment() {
        let state = ShareLoginState::new("1904837261", "u", "t", ISSUED);
        let plain = state.url("https://app.example/", KEY).unwrap();
        assert!(
            plain.starts_with("https://app.example/?appid=1904837261&"),
            "{plain}"
        );
        let with_query = state.url("https://app.example/?a=1#top", KEY).unwrap();
        assert!(
            with_query.starts_with("https://app.example/?a=1&appid="),
            "{with_query}"
        );
        assert!(with_query.ends_with("#top"), "{with_query}");
        let trailing = state.url("https://app.example/?", KEY).unwrap();
        assert!(trailing.starts_with("https://app.example/?appid="), "{trailing}");
        let query = with_query.split_once('?').unwrap().1.split('#').next().unwrap();
        assert_eq!(
            ShareLoginState::verify(query, KEY, ISSUED).unwrap().user_id(),
            "u"
        );
    }

    #[test]
    fn signing_refuses_an_empty_field() {
        let err = ShareLoginState::new("1904837261", "", "t", ISSUED)
            .to_params(KEY)
            .unwrap_err();
        assert_eq!(err, Error::invalid("user_id", "is required"));
    }
}

//! Rust SDK for the open platform sandbox: the counterpart of the platform's Java SDK.
//!
//! | module | what it does |
//! |---|---|
//! | [`sign`] | the MD5 signature (SPEC §4), shared with the server |
//! | [`params`] | query strings and form bodies in their `input_charset` |
//! | [`pay`] | [`PayRequest`](pay::PayRequest) builds the signed pay URL; [`PayResponse`](pay::PayResponse) verifies the return redirect and the notification |
//! | [`query`] | order and notify queries: signed requests, verified XML answers |
//! | [`share_login`] | [`ShareLoginState`](share_login::ShareLoginState): a platform user jumping into the app |
//! | `client` | with feature `client`: an async HTTP client for the queries |
//! | [`timestamp`] | the protocol's `yyyyMMddHHmmss` (UTC+8) times |
//!
//! A merchant sends the buyer to [`PayRequest::url`](pay::PayRequest::url), verifies the
//! notification with [`PayResponse::parse`](pay::PayResponse::parse), confirms it with a
//! notify query, and answers [`PayResponse::ACK_SUCCESS`](pay::PayResponse::ACK_SUCCESS).
//! Notifications can arrive more than once: check the order's own state under a lock first.
//!
//! ```
//! use sdk::sign::{Charset, sign, verify};
//!
//! let params = [("appid", "0000000001"), ("total_fee", "1"), ("body", "test")];
//! let key = "0123456789abcdef0123456789abcdef";
//! let signature = sign(params, key, Charset::Utf8).unwrap();
//! assert!(verify(params, key, Charset::Utf8, &signature.to_lowercase()).unwrap());
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "client")]
pub mod client;
mod error;
pub mod params;
pub mod pay;
pub mod query;
mod request;
pub mod share_login;
pub mod sign;
pub mod timestamp;

pub use error::{Error, Result};

/// `docs/SDK.md`, the quickstart: its Rust examples are compiled (and the self-contained
/// ones run) as doc tests, so the quickstart cannot drift from the API.
#[cfg(all(doctest, feature = "client"))]
#[doc = include_str!("../../docs/SDK.md")]
pub struct Quickstart;

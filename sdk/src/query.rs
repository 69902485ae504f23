//! Order query and notify query (SPEC §6.2, §6.3): signed requests, and their XML answers.
//!
//! An answer is `<root>` holding one text element per field. With `retcode` 0 it is signed
//! (MD5 over every other non-empty field, UTF-8); an unsigned or badly signed retcode-0
//! answer is an error. Other retcodes carry only `retcode` and `retmsg`.
//!
//! ```
//! use sdk::query::{NotifyQueryRequest, NotifyQueryResponse};
//! use sdk::sign::{Charset, sign};
//!
//! let key = "0123456789abcdef0123456789abcdef";
//! let url = NotifyQueryRequest::new("1904837261", key, "n0tify1d").url("http://127.0.0.1:3000").unwrap();
//! assert!(url.starts_with("http://127.0.0.1:3000/gateway/verifynotifyid.xml?appid=1904837261&"));
//!
//! let fields = [
//!     ("retcode", "0"), ("retmsg", "ok"), ("appid", "1904837261"), ("notify_id", "n0tify1d"),
//!     ("out_trade_no", "order-1"), ("total_fee", "100"), ("trade_state", "0"),
//!     ("attach", "a<b & c"), ("sign_key_index", "1"),
//! ];
//! let signature = sign(fields, key, Charset::Utf8).unwrap();
//! let xml = format!(
//!     "<?xml version=\"1.0\" encoding=\"UTF-8\"?><root><retcode>0</retcode><retmsg>ok</retmsg>\
//!      <appid>1904837261</appid><notify_id>n0tify1d</notify_id><out_trade_no>order-1</out_trade_no>\
//!      <total_fee>100</total_fee><trade_state>0</trade_state><attach>a&lt;b &amp; c</attach>\
//!      <sign_key_index>1</sign_key_index><sign>{signature}</sign></root>"
//! );
//! let answer = NotifyQueryResponse::parse(&xml, key).unwrap();
//! assert!(answer.is_pay_successful());
//! assert_eq!(answer.get("attach"), Some("a<b & c"));
//! assert!(NotifyQueryResponse::parse(xml.replace(">100<", ">1<"), key).is_err());
//! ```

use std::ops::Deref;

use crate::error::{Error, Result};
use crate::params::Params;
use crate::pay::TradeState;
use crate::request::{self, Builder, required};
use crate::sign::{self, Charset};

/// The retcodes of SPEC §6.5.
pub mod retcode {
    /// OK.
    pub const OK: u32 = 0;
    /// A required parameter is missing (retmsg names it).
    pub const MISSING_PARAM: u32 = 88000001;
    /// A parameter is malformed (retmsg names it and the rule).
    pub const MALFORMED_PARAM: u32 = 88000002;
    /// The signature does not match.
    pub const SIGNATURE_MISMATCH: u32 = 88000003;
    /// The appid is unknown.
    pub const UNKNOWN_APPID: u32 = 88000004;
    /// The app is disabled.
    pub const APP_DISABLED: u32 = 88000005;
    /// Unsupported sign_type, input_charset or fee_type.
    pub const UNSUPPORTED: u32 = 88000006;
    /// The out_trade_no was used before with different parameters.
    pub const OUT_TRADE_NO_REUSED: u32 = 88000009;
    /// Too many requests.
    pub const RATE_LIMITED: u32 = 88000010;
    /// The order is closed or expired.
    pub const ORDER_CLOSED: u32 = 88000011;
    /// No such order.
    pub const ORDER_NOT_FOUND: u32 = 88221009;
    /// The notify_id is invalid or expired.
    pub const NOTIFY_ID_INVALID: u32 = 88222005;
    /// The platform failed internally.
    pub const SYSTEM_BUSY: u32 = 99999999;
}

/// Asks for an order's current state, by `transaction_id` or `out_trade_no`.
#[derive(Debug, Clone)]
pub struct OrderQueryRequest {
    builder: Builder,
}

impl OrderQueryRequest {
    /// The gateway path, relative to the platform's base URL.
    pub const PATH: &'static str = "/gateway/normalorderquery.xml";

    /// Starts a query for `appid`, signed with its app `key`. Set one of the order's numbers.
    pub fn new(appid: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            builder: Builder::new(appid, key),
        }
    }

    /// The merchant's order number.
    pub fn out_trade_no(mut self, value: impl Into<String>) -> Self {
        self.builder.set("out_trade_no", value);
        self
    }

    /// The platform's transaction number (28 digits); wins over `out_trade_no`.
    pub fn transaction_id(mut self, value: impl Into<String>) -> Self {
        self.builder.set("transaction_id", value);
        self
    }

    /// The charset the request is signed and encoded in; sent as `input_charset`.
    pub fn charset(mut self, charset: Charset) -> Self {
        self.builder.charset(charset);
        self
    }

    /// Which key slot (1 or 2) `key` is.
    pub fn sign_key_index(mut self, index: u8) -> Self {
        self.builder.set("sign_key_index", index.to_string());
        self
    }

    /// Checks the parameters and returns them signed.
    pub fn to_params(&self) -> Result<Params> {
        self.builder
            .build(|b| match (b.get("transaction_id"), b.get("out_trade_no")) {
                (None, None) => Err(Error::invalid("out_trade_no", "or transaction_id is required")),
                (Some(id), _) if !request::is_digits(id, 28) => {
                    Err(Error::invalid("transaction_id", "must be 28 digits"))
                }
                (_, Some(no)) if !request::is_out_trade_no(no) => {
                    Err(Error::invalid("out_trade_no", "must be 1-32 of A-Z a-z 0-9 _ -"))
                }
                _ => Ok(()),
            })
    }

    /// The signed query string (also the form body of a POST).
    pub fn to_query(&self) -> Result<String> {
        Ok(self.to_params()?.to_query())
    }

    /// The signed URL under `base`, e.g. `http://127.0.0.1:3000`.
    pub fn url(&self, base: &str) -> Result<String> {
        Ok(request::url(base, Self::PATH, &self.to_query()?))
    }

    /// Parses an answer to this request, verifying it with the request's key.
    pub fn parse_response(&self, xml: impl AsRef<[u8]>) -> Result<OrderQueryResponse> {
        OrderQueryResponse::parse(xml, self.builder.key())
    }
}

/// Asks whether a notification is genuine, by its `notify_id`.
#[derive(Debug, Clone)]
pub struct NotifyQueryRequest {
    builder: Builder,
}

impl NotifyQueryRequest {
    /// The gateway path, relative to the platform's base URL.
    pub const PATH: &'static str = "/gateway/verifynotifyid.xml";

    /// A query for `notify_id` (from [`PayResponse::notify_id`](crate::pay::PayResponse::notify_id)).
    pub fn new(appid: impl Into<String>, key: impl Into<String>, notify_id: impl Into<String>) -> Self {
        let mut builder = Builder::new(appid, key);
        builder.set("notify_id", notify_id);
        Self { builder }
    }

    /// The charset the request is signed and encoded in; sent as `input_charset`.
    pub fn charset(mut self, charset: Charset) -> Self {
        self.builder.charset(charset);
        self
    }

    /// Which key slot (1 or 2) `key` is.
    pub fn sign_key_index(mut self, index: u8) -> Self {
        self.builder.set("sign_key_index", index.to_string());
        self
    }

    /// Checks the parameters and returns them signed.
    pub fn to_params(&self) -> Result<Params> {
        self.builder.build(|b| b.require("notify_id").map(drop))
    }

    /// The signed query string (also the form body of a POST).
    pub fn to_query(&self) -> Result<String> {
        Ok(self.to_params()?.to_query())
    }

    /// The signed URL under `base`, e.g. `http://127.0.0.1:3000`.
    pub fn url(&self, base: &str) -> Result<String> {
        Ok(request::url(base, Self::PATH, &self.to_query()?))
    }

    /// Parses an answer to this request, verifying it with the request's key.
    pub fn parse_response(&self, xml: impl AsRef<[u8]>) -> Result<NotifyQueryResponse> {
        NotifyQueryResponse::parse(xml, self.builder.key())
    }
}

/// A parsed and verified XML answer: what order and notify queries share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryResponse {
    fields: Vec<(String, String)>,
    retcode: u32,
    trade_state: Option<TradeState>,
    total_fee: Option<u64>,
}

impl QueryResponse {
    /// Parses an answer and, when `retcode` is 0, verifies its signature with `key`.
    ///
    /// A retcode-0 answer must also carry a well-formed `out_trade_no`, `total_fee` and
    /// `trade_state`; other answers need only `retcode`.
    pub fn parse(xml: impl AsRef<[u8]>, key: &str) -> Result<Self> {
        let fields = xml::parse_flat(xml.as_ref())?;
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.as_str())
        };
        let retcode = required(field("retcode"), "retcode", |v| {
            request::parse_fen(v).and_then(|code| u32::try_from(code).ok())
        })?;
        if retcode != retcode::OK {
            return Ok(Self {
                fields,
                retcode,
                trade_state: None,
                total_fee: None,
            });
        }
        let signature = field("sign").ok_or(Error::MissingSignature)?;
        let pairs = fields.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        // Answers are signed in UTF-8 whatever the order's input_charset was.
        if !sign::verify(pairs, key, Charset::Utf8, signature)? {
            return Err(Error::SignatureMismatch);
        }
        required(field("out_trade_no"), "out_trade_no", |v| {
            request::is_out_trade_no(v).then_some(())
        })?;
        let trade_state = Some(required(field("trade_state"), "trade_state", TradeState::parse)?);
        let total_fee = Some(required(field("total_fee"), "total_fee", request::parse_fen)?);
        Ok(Self {
            fields,
            retcode,
            trade_state,
            total_fee,
        })
    }

    /// The platform's result code; 0 is OK, the [retcode module](self::retcode) names the others.
    pub fn retcode(&self) -> u32 {
        self.retcode
    }

    /// The platform's message, e.g. which parameter was missing.
    pub fn retmsg(&self) -> &str {
        self.get("retmsg").unwrap_or_default()
    }

    /// Whether `retcode` is 0 (so the answer was signed and verified).
    pub fn is_ok(&self) -> bool {
        self.retcode == retcode::OK
    }

    /// Whether `retcode` is 0 and the order is paid.
    pub fn is_pay_successful(&self) -> bool {
        self.is_ok() && self.trade_state == Some(TradeState::Paid)
    }

    /// The order's state (present when `retcode` is 0).
    pub fn trade_state(&self) -> Option<TradeState> {
        self.trade_state
    }

    /// The order's amount in fen (present when `retcode` is 0).
    pub fn total_fee(&self) -> Option<u64> {
        self.total_fee
    }

    /// The merchant's order number (present when `retcode` is 0).
    pub fn out_trade_no(&self) -> Option<&str> {
        self.get("out_trade_no")
    }

    /// The platform's transaction number.
    pub fn transaction_id(&self) -> Option<&str> {
        self.get("transaction_id")
    }

    /// Any non-empty field by element name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every field in document order, including `retcode`, `retmsg` and `sign`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The answer to an [`OrderQueryRequest`]; derefs to the shared [`QueryResponse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQueryResponse(QueryResponse);

impl OrderQueryResponse {
    /// Parses an answer and, when `retcode` is 0, verifies it with `key`.
    pub fn parse(xml: impl AsRef<[u8]>, key: &str) -> Result<Self> {
        QueryResponse::parse(xml, key).map(Self)
    }

    /// Whether the order was refunded (`is_refund`), when the answer says.
    pub fn is_refund(&self) -> Option<bool> {
        match self.get("is_refund")? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

impl Deref for OrderQueryResponse {
    type Target = QueryResponse;

    fn deref(&self) -> &QueryResponse {
        &self.0
    }
}

/// The answer to a [`NotifyQueryRequest`]; derefs to the shared [`QueryResponse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyQueryResponse(QueryResponse);

impl NotifyQueryResponse {
    /// Parses an answer and, when `retcode` is 0, verifies it with `key`.
    pub fn parse(xml: impl AsRef<[u8]>, key: &str) -> Result<Self> {
        QueryResponse::parse(xml, key).map(Self)
    }

    /// The notification's id, as the platform confirms it.
    pub fn notify_id(&self) -> Option<&str> {
        self.get("notify_id")
    }
}

impl Deref for NotifyQueryResponse {
    type Target = QueryResponse;

    fn deref(&self) -> &QueryResponse {
        &self.0
    }
}

mod xml;

#[cfg(test)]
mod tests;

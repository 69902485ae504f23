//! Pay (SPEC §6.1): the signed pay URL the buyer is sent to, and the signed result
//! parameters the platform sends back on the return redirect and the notification.
//!
//! ```
//! use sdk::pay::{PayRequest, PayResponse, TradeState};
//! use sdk::params::Params;
//!
//! let key = "0123456789abcdef0123456789abcdef";
//! let url = PayRequest::new("1904837261", key)
//!     .out_trade_no("order-1")
//!     .total_fee(100)
//!     .body("A cup of tea")
//!     .notify_url("https://shop.example/notify")
//!     .return_url("https://shop.example/return")
//!     .spbill_create_ip("203.0.113.7")
//!     .url("http://127.0.0.1:3000")
//!     .unwrap();
//! assert!(url.starts_with("http://127.0.0.1:3000/gateway/pay.htm?appid=1904837261&body=A%20cup%20of%20tea&"));
//!
//! // What the platform sends back to return_url / notify_url (signed with the same key):
//! let query = Params::from_pairs([
//!     ("appid", "1904837261"), ("out_trade_no", "order-1"), ("total_fee", "100"),
//!     ("trade_state", "0"), ("notify_id", "n0tify1d"),
//! ]).unwrap().signed(key).unwrap().to_query();
//! let response = PayResponse::parse(&query, key).unwrap();
//! assert!(response.is_pay_successful());
//! assert_eq!(response.trade_state(), TradeState::Paid);
//! assert_eq!(response.notify_id(), Some("n0tify1d"));
//! assert!(PayResponse::parse(query.replace("total_fee=100", "total_fee=1"), key).is_err());
//! ```

use std::net::IpAddr;

use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::params::Params;
use crate::request::{self, Builder, required};
use crate::sign::Charset;
use crate::timestamp;

/// The largest `total_fee` the platform accepts, in fen (SPEC §3).
pub const MAX_TOTAL_FEE: u64 = 10_000_000_000;

/// Builds the signed URL that sends a buyer to the platform's cashier.
///
/// Required: [`out_trade_no`](Self::out_trade_no), [`total_fee`](Self::total_fee),
/// [`body`](Self::body), [`notify_url`](Self::notify_url), [`return_url`](Self::return_url),
/// [`spbill_create_ip`](Self::spbill_create_ip). Rules that can be checked locally are
/// checked by [`to_params`](Self::to_params) before signing. `Debug` never shows the key.
#[derive(Debug, Clone)]
pub struct PayRequest {
    builder: Builder,
}

impl PayRequest {
    /// The gateway path, relative to the platform's base URL.
    pub const PATH: &'static str = "/gateway/pay.htm";

    /// Starts a request for `appid`, to be signed with its app `key`.
    pub fn new(appid: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            builder: Builder::new(appid, key),
        }
    }

    /// The merchant's order number: 1–32 of `[A-Za-z0-9_-]`, unique per app.
    pub fn out_trade_no(self, value: impl Into<String>) -> Self {
        self.with("out_trade_no", value)
    }

    /// The amount in fen (1/100 CNY), 1 ≤ fee ≤ [`MAX_TOTAL_FEE`].
    pub fn total_fee(self, fen: u64) -> Self {
        self.with("total_fee", fen.to_string())
    }

    /// What is being bought, shown on the cashier.
    pub fn body(self, value: impl Into<String>) -> Self {
        self.with("body", value)
    }

    /// Where the platform sends the server-to-server notification (absolute http(s) URL).
    pub fn notify_url(self, value: impl Into<String>) -> Self {
        self.with("notify_url", value)
    }

    /// Where the buyer's browser is sent after paying (absolute http(s) URL).
    pub fn return_url(self, value: impl Into<String>) -> Self {
        self.with("return_url", value)
    }

    /// The buyer's IP address.
    pub fn spbill_create_ip(self, value: impl Into<String>) -> Self {
        self.with("spbill_create_ip", value)
    }

    /// Merchant data echoed back in the result (at most 127 characters).
    pub fn attach(self, value: impl Into<String>) -> Self {
        self.with("attach", value)
    }

    /// The bank code; the platform's default is `DEFAULT`.
    pub fn bank_type(self, value: impl Into<String>) -> Self {
        self.with("bank_type", value)
    }

    /// When the order was created (sent as `yyyyMMddHHmmss`, UTC+8).
    pub fn time_start(self, at: OffsetDateTime) -> Self {
        self.with("time_start", timestamp::format(at))
    }

    /// When the order stops being payable (sent as `yyyyMMddHHmmss`, UTC+8).
    pub fn time_expire(self, at: OffsetDateTime) -> Self {
        self.with("time_expire", timestamp::format(at))
    }

    /// The goods part of the amount; with [`transport_fee`](Self::transport_fee) it must sum to `total_fee`.
    pub fn product_fee(self, fen: u64) -> Self {
        self.with("product_fee", fen.to_string())
    }

    /// The shipping part of the amount; with [`product_fee`](Self::product_fee) it must sum to `total_fee`.
    pub fn transport_fee(self, fen: u64) -> Self {
        self.with("transport_fee", fen.to_string())
    }

    /// A goods tag for promotions.
    pub fn goods_tag(self, value: impl Into<String>) -> Self {
        self.with("goods_tag", value)
    }

    /// The platform buyer the order is meant for.
    pub fn buyer_id(self, value: impl Into<String>) -> Self {
        self.with("buyer_id", value)
    }

    /// The charset values are signed and percent-encoded in; sent as `input_charset`.
    pub fn charset(mut self, charset: Charset) -> Self {
        self.builder.charset(charset);
        self
    }

    /// Which key slot (1 or 2) `key` is, after a key rotation.
    pub fn sign_key_index(self, index: u8) -> Self {
        self.with("sign_key_index", index.to_string())
    }

    /// Any other parameter, e.g. `fee_type` or `sign_type`; setting a known one replaces it.
    pub fn param(self, name: &str, value: impl Into<String>) -> Self {
        self.with(name, value)
    }

    fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.builder.set(name, value);
        self
    }

    /// Checks the parameters and returns them signed.
    pub fn to_params(&self) -> Result<Params> {
        self.builder.build(|b| {
            if !request::is_out_trade_no(b.require("out_trade_no")?) {
                return Err(Error::invalid("out_trade_no", "must be 1-32 of A-Z a-z 0-9 _ -"));
            }
            let total_fee = fee(b.require("total_fee")?);
            if !(1..=MAX_TOTAL_FEE).contains(&total_fee) {
                return Err(Error::invalid(
                    "total_fee",
                    "must be between 1 and 10000000000 fen",
                ));
            }
            b.require("body")?;
            for name in ["notify_url", "return_url"] {
                if !is_http_url(b.require(name)?) {
                    return Err(Error::invalid(name, "must be an absolute http(s) URL"));
                }
            }
            if b.require("spbill_create_ip")?.parse::<IpAddr>().is_err() {
                return Err(Error::invalid("spbill_create_ip", "must be an IP address"));
            }
            if b.get("attach").is_some_and(|attach| attach.chars().count() > 127) {
                return Err(Error::invalid("attach", "must be at most 127 characters"));
            }
            let (product, transport) = (b.get("product_fee"), b.get("transport_fee"));
            if (product.is_some() || transport.is_some())
                && product.map_or(0, fee).checked_add(transport.map_or(0, fee)) != Some(total_fee)
            {
                return Err(Error::invalid(
                    "product_fee",
                    "plus transport_fee must equal total_fee",
                ));
            }
            Ok(())
        })
    }

    /// The signed query string, percent-encoded in the charset.
    pub fn to_query(&self) -> Result<String> {
        Ok(self.to_params()?.to_query())
    }

    /// The signed pay URL under `base`, e.g. `http://127.0.0.1:3000`.
    pub fn url(&self, base: &str) -> Result<String> {
        Ok(request::url(base, Self::PATH, &self.to_query()?))
    }
}

/// A fee set through a `u64` setter, or from `param` (where anything can be typed).
fn fee(value: &str) -> u64 {
    // Zero is always refused, so an unreadable fee is reported like a missing one.
    request::parse_fen(value).unwrap_or(0)
}

fn is_http_url(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !value.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// The state of an order (`trade_state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TradeState {
    /// `0`: paid.
    Paid,
    /// `1`: created, not paid yet.
    Created,
    /// `2`: payment failed.
    Failed,
    /// `3`: closed (expired or cancelled).
    Closed,
    /// `4`: refunded.
    Refunded,
}

impl TradeState {
    /// Reads a `trade_state` value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "0" => Some(Self::Paid),
            "1" => Some(Self::Created),
            "2" => Some(Self::Failed),
            "3" => Some(Self::Closed),
            "4" => Some(Self::Refunded),
            _ => None,
        }
    }

    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Paid => "0",
            Self::Created => "1",
            Self::Failed => "2",
            Self::Closed => "3",
            Self::Refunded => "4",
        }
    }
}

/// The verified result of a payment, from the return redirect or the notification.
///
/// It only exists if the signature matched, and `appid`, `out_trade_no`, `total_fee`
/// and `trade_state` are present and well-formed.
#[derive(Debug, Clone)]
pub struct PayResponse {
    params: Params,
    trade_state: TradeState,
    total_fee: u64,
}

impl PayResponse {
    /// The body that acknowledges a notification (answer it with HTTP 200).
    pub const ACK_SUCCESS: &'static str = "success";
    /// A body that refuses a notification, so the platform retries it.
    pub const ACK_FAIL: &'static str = "fail";

    /// Parses and verifies a raw query string (GET) or form body (POST).
    pub fn parse(raw: impl AsRef<[u8]>, key: &str) -> Result<Self> {
        Self::from_params(Params::parse(raw.as_ref())?, key)
    }

    /// Verifies already parsed parameters, e.g. a POST's query and body merged with
    /// [`Params::parse_parts`], or after choosing the key by [`Params::get`]`("sign_key_index")`.
    pub fn from_params(params: Params, key: &str) -> Result<Self> {
        if params.non_empty("sign").is_none() {
            return Err(Error::MissingSignature);
        }
        if !params.verify(key)? {
            return Err(Error::SignatureMismatch);
        }
        for name in ["appid", "out_trade_no"] {
            params.non_empty(name).ok_or(Error::Missing(name))?;
        }
        let trade_state = required(params.non_empty("trade_state"), "trade_state", TradeState::parse)?;
        let total_fee = required(params.non_empty("total_fee"), "total_fee", request::parse_fen)?;
        Ok(Self {
            params,
            trade_state,
            total_fee,
        })
    }

    /// Whether the buyer paid (`trade_state` 0). Confirm with a notify query before shipping.
    pub fn is_pay_successful(&self) -> bool {
        self.trade_state == TradeState::Paid
    }

    /// The order's state.
    pub fn trade_state(&self) -> TradeState {
        self.trade_state
    }

    /// The amount in fen.
    pub fn total_fee(&self) -> u64 {
        self.total_fee
    }

    /// The app the payment belongs to.
    pub fn appid(&self) -> &str {
        self.params.non_empty("appid").unwrap_or_default()
    }

    /// The merchant's order number.
    pub fn out_trade_no(&self) -> &str {
        self.params.non_empty("out_trade_no").unwrap_or_default()
    }

    /// The platform's transaction number (28 digits).
    pub fn transaction_id(&self) -> Option<&str> {
        self.params.non_empty("transaction_id")
    }

    /// The notification's id, for [`NotifyQueryRequest`](crate::query::NotifyQueryRequest).
    pub fn notify_id(&self) -> Option<&str> {
        self.params.non_empty("notify_id")
    }

    /// The merchant data given as `attach` in the pay request.
    pub fn attach(&self) -> Option<&str> {
        self.params.non_empty("attach")
    }

    /// Why a payment failed, when it did.
    pub fn pay_info(&self) -> Option<&str> {
        self.params.non_empty("pay_info")
    }

    /// When the payment completed, if it did and the value is well-formed.
    pub fn time_end(&self) -> Option<OffsetDateTime> {
        self.params.non_empty("time_end").and_then(timestamp::parse)
    }

    /// Any parameter by name, e.g. `buyer_id` or `bank_type`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.non_empty(name)
    }

    /// All verified parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }
}

#[cfg(test)]
mod tests;

//! Rust SDK for the open platform sandbox.
//!
//! Today it holds the platform's signature scheme ([`sign`]), which the
//! server uses too, so that both sides compute signatures with the same code.
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

pub mod sign;

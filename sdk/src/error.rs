//! The crate's error type: one enum for everything that is not HTTP.

use crate::params::ParamsError;
use crate::sign::SignError;

/// Why a request could not be built or an incoming message could not be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An outgoing parameter breaks a protocol rule; caught before anything is sent.
    #[error("parameter {name} {rule}")]
    InvalidParam {
        /// The parameter at fault.
        name: String,
        /// The rule it breaks, e.g. "must be 10 digits".
        rule: &'static str,
    },
    /// Incoming parameters could not be decoded.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// A signature could not be computed (a value the charset cannot encode).
    #[error(transparent)]
    Sign(#[from] SignError),
    /// An incoming message lacks a parameter it must carry (or has it empty).
    #[error("required parameter {0} is missing")]
    Missing(&'static str),
    /// An incoming parameter has a value that breaks the protocol's format.
    #[error("parameter {name} is malformed: {value:?}")]
    Malformed {
        /// The parameter at fault.
        name: &'static str,
        /// Its value, as received.
        value: String,
    },
    /// An incoming message that must be signed has no `sign`.
    #[error("the message is not signed")]
    MissingSignature,
    /// The `sign` of an incoming message does not match its parameters and the key.
    #[error("the signature does not match the parameters and the key")]
    SignatureMismatch,
    /// An XML answer is not a flat `<root>` document of text elements.
    #[error("the XML answer is malformed: {0}")]
    Xml(String),
    /// A share-login timestamp is further from now than allowed.
    #[error(
        "the share-login timestamp is {skew_seconds} s from now (negative: in the future); at most 300 s are allowed"
    )]
    Stale {
        /// `now - timestamp` in seconds.
        skew_seconds: i64,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether this error means the message was not signed, or not signed with the key.
    pub fn is_signature(&self) -> bool {
        matches!(self, Self::MissingSignature | Self::SignatureMismatch)
    }

    pub(crate) fn invalid(name: &str, rule: &'static str) -> Self {
        Self::InvalidParam {
            name: name.to_owned(),
            rule,
        }
    }
}

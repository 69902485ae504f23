//! An async client for the XML query APIs (feature `client`).
//!
//! Requests are sent as POST forms; answers are parsed and, when `retcode` is 0, verified
//! with the request's key. A non-zero `retcode` is not an error here: it is an answer,
//! read with [`QueryResponse::retcode`](crate::query::QueryResponse::retcode).
//!
//! ```no_run
//! # async fn demo() -> Result<(), sdk::client::ClientError> {
//! use sdk::client::Client;
//! use sdk::query::NotifyQueryRequest;
//!
//! let client = Client::new("http://127.0.0.1:3000")?;
//! let request = NotifyQueryRequest::new("1904837261", "0123456789abcdef0123456789abcdef", "n0tify1d");
//! let answer = client.notify_query(&request).await?;
//! if answer.is_pay_successful() {
//!     // ship the goods
//! }
//! # Ok(())
//! # }
//! ```

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use crate::error::Error;
use crate::params::Params;
use crate::query::{NotifyQueryRequest, NotifyQueryResponse, OrderQueryRequest, OrderQueryResponse};

/// Answers longer than this are refused; real ones are well under 4 KiB.
const MAX_ANSWER: usize = 1 << 20;

/// Why a query did not produce a verified answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The request could not be built; nothing was sent.
    #[error("invalid request: {0}")]
    Request(#[source] Error),
    /// The HTTP exchange failed: connection, timeout, or reading the body.
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The gateway answered with an HTTP status other than 200.
    #[error("the gateway answered HTTP {0}")]
    Status(StatusCode),
    /// The answer is not a well-formed XML answer.
    #[error("the gateway's answer is malformed: {0}")]
    Xml(#[source] Error),
    /// A retcode-0 answer is unsigned or its signature does not match the key.
    #[error("the gateway's answer failed verification: {0}")]
    Signature(#[source] Error),
}

/// A client for one platform base URL, e.g. `http://127.0.0.1:3000`.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
}

impl Client {
    /// A client with a 10 s timeout per request.
    pub fn new(base_url: impl Into<String>) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self::with_http_client(base_url, http))
    }

    /// A client that sends through an existing `reqwest::Client`.
    pub fn with_http_client(base_url: impl Into<String>, http: reqwest::Client) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        Self { http, base_url }
    }

    /// Sends an order query and verifies the answer with the request's key.
    pub async fn order_query(&self, request: &OrderQueryRequest) -> Result<OrderQueryResponse, ClientError> {
        let params = request.to_params().map_err(ClientError::Request)?;
        let body = self.post(OrderQueryRequest::PATH, &params).await?;
        request.parse_response(body).map_err(ClientError::from_answer)
    }

    /// Sends a notify query and verifies the answer with the request's key.
    pub async fn notify_query(
        &self,
        request: &NotifyQueryRequest,
    ) -> Result<NotifyQueryResponse, ClientError> {
        let params = request.to_params().map_err(ClientError::Request)?;
        let body = self.post(NotifyQueryRequest::PATH, &params).await?;
        request.parse_response(body).map_err(ClientError::from_answer)
    }

    async fn post(&self, path: &str, params: &Params) -> Result<Vec<u8>, ClientError> {
        let mut response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(params.to_query())
            .send()
            .await?;
        if response.status() != StatusCode::OK {
            return Err(ClientError::Status(response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(ClientError::Xml(Error::Xml(format!(
                    "the answer is longer than {MAX_ANSWER} bytes"
                ))));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl ClientError {
    fn from_answer(error: Error) -> Self {
        if error.is_signature() {
            Self::Signature(error)
        } else {
            Self::Xml(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::retcode;
    use crate::sign::{Charset, sign};
    use axum::Router;
    use axum::http::StatusCode as AxumStatus;
    use axum::routing::post;

    const KEY: &str = "0123456789abcdef0123456789abcdef";
    const APPID: &str = "1904837261";

    fn signed_answer(fields: &[(&str, &str)]) -> String {
        let signature = sign(fields.iter().copied(), KEY, Charset::Utf8).unwrap();
        let body: String = fields.iter().map(|(k, v)| format!("<{k}>{v}</{k}>")).collect();
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><root>{body}<sign>{signature}</sign></root>")
    }

    fn paid() -> Vec<(&'static str, &'static str)> {
        vec![
            ("retcode", "0"),
            ("retmsg", "ok"),
            ("appid", APPID),
            ("notify_id", "n0tify1d"),
            ("out_trade_no", "order-1"),
            ("total_fee", "100"),
            ("trade_state", "0"),
            ("is_refund", "false"),
        ]
    }

    /// Serves `answer` with `status` on both query paths; returns the base URL.
    async fn gateway(status: AxumStatus, answer: String) -> String {
        let handler = move |body: String| {
            let answer = answer.clone();
            async move {
                // The request must arrive as a signed form.
                let params = Params::parse(body.as_bytes()).unwrap();
                assert!(params.verify(KEY).unwrap(), "{body}");
                (status, answer)
            }
        };
        let app = Router::new()
            .route(OrderQueryRequest::PATH, post(handler.clone()))
            .route(NotifyQueryRequest::PATH, post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        base
    }

    #[tokio::test]
    async fn a_signed_answer_is_returned_verified() {
        let base = gateway(AxumStatus::OK, signed_answer(&paid())).await;
        let client = Client::new(format!("{base}/")).unwrap();
        let notify = client
            .notify_query(&NotifyQueryRequest::new(APPID, KEY, "n0tify1d"))
            .await
            .unwrap();
        assert!(notify.is_pay_successful());
        assert_eq!(notify.notify_id(), Some("n0tify1d"));
        let order = client
            .order_query(&OrderQueryRequest::new(APPID, KEY).out_trade_no("order-1"))
            .await
            .unwrap();
        assert_eq!(order.is_refund(), Some(false));
        assert_eq!(order.total_fee(), Some(100));
    }

    #[tokio::test]
    async fn a_nonzero_retcode_is_an_answer_not_an_error() {
        let answer = "<root><retcode>88221009</retcode><retmsg>order not found</retmsg></root>";
        let base = gateway(AxumStatus::OK, answer.into()).await;
        let order = Client::new(base)
            .unwrap()
            .order_query(&OrderQueryRequest::new(APPID, KEY).out_trade_no("nope"))
            .await
            .unwrap();
        assert_eq!(order.retcode(), retcode::ORDER_NOT_FOUND);
        assert!(!order.is_pay_successful());
    }

    #[tokio::test]
    async fn a_tampered_answer_is_a_signature_error() {
        let answer = signed_answer(&paid()).replace("<total_fee>100<", "<total_fee>1<");
        let base = gateway(AxumStatus::OK, answer).await;
        let err = Client::new(base)
            .unwrap()
            .notify_query(&NotifyQueryRequest::new(APPID, KEY, "n0tify1d"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ClientError::Signature(Error::SignatureMismatch)),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn garbage_is_an_xml_error_and_a_500_a_status_error() {
        let base = gateway(AxumStatus::OK, "<html>oops</html>".into()).await;
        let request = NotifyQueryRequest::new(APPID, KEY, "n0tify1d");
        let err = Client::new(base)
            .unwrap()
            .notify_query(&request)
            .await
            .unwrap_err();
        assert!(matches!(err, ClientError::Xml(Error::Xml(_))), "{err:?}");

        let base = gateway(AxumStatus::INTERNAL_SERVER_ERROR, signed_answer(&paid())).await;
        let err = Client::new(base)
            .unwrap()
            .notify_query(&request)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ClientError::Status(StatusCode::INTERNAL_SERVER_ERROR)),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_bad_request_is_refused_before_sending_and_a_dead_server_is_an_http_error() {
        // A port that was just free: nothing listens there.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let client = Client::new(base).unwrap();
        let err = client
            .order_query(&OrderQueryRequest::new(APPID, KEY))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ClientError::Request(Error::InvalidParam { .. })),
            "{err:?}"
        );
        let request = NotifyQueryRequest::new(APPID, KEY, "n0tify1d");
        let err = client.notify_query(&request).await.unwrap_err();
        assert!(matches!(err, ClientError::Http(_)), "{err:?}");
    }
}

//! `GET|POST /inbox/{token}`: the apps' built-in sandbox notify endpoints.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use app::ssr::inbox::{answer_body, receive as record};
use app::ssr::state::AppState;

/// Records the request and answers what the ISV chose for this inbox.
pub async fn receive(
    State(state): State<AppState>,
    Path(token): Path<String>,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let raw: Vec<u8> = if method == Method::POST {
        body.to_vec()
    } else {
        query.unwrap_or_default().into_bytes()
    };
    match record(
        &state.db,
        &state.master_key,
        &token,
        method.as_str(),
        &raw,
        state.clock.now_ms(),
    )
    .await
    {
        Ok(Some(answer)) => {
            let (body, html) = answer_body(&answer);
            let content_type = if html {
                "text/html; charset=utf-8"
            } else {
                "text/plain; charset=utf-8"
            };
            ([(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        Ok(None) => (StatusCode::NOT_FOUND, "unknown inbox").into_response(),
        Err(err) => {
            tracing::error!(%err, "inbox cannot record a notification");
            (StatusCode::SERVICE_UNAVAILABLE, "inbox unavailable").into_response()
        }
    }
}

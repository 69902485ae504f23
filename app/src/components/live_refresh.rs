//! Live refresh for pages that show pending notifications.
//!
//! A page renders [`LiveRefresh`] while something on it is pending, and marks the
//! parts that change with `data-live` and an `id`. With JavaScript on, the island
//! fetches the same URL every few seconds and swaps each marked part for its
//! counterpart in the fresh page, without a reload; it stops once the fresh page has
//! nothing pending. Without JavaScript the page's "Refresh" link does the same by hand.

use leptos::prelude::*;

/// The request header that marks a live refresh's fetch. The server leaves the session's
/// one-time flash message alone for such requests.
pub const HEADER: &str = "x-live-refresh";

/// How often a page with pending notifications fetches itself again.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(3);

/// Keeps the page's `data-live` parts up to date while it shows something pending.
#[island]
pub fn LiveRefresh() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    client::schedule();
    // The marker that tells a fetched page is still pending.
    view! { <span hidden data-live-pending=""></span> }
}

#[cfg(feature = "hydrate")]
mod client {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::REFRESH_EVERY;

    /// Refreshes once after [`REFRESH_EVERY`], then again while the page is pending.
    pub fn schedule() {
        leptos::prelude::set_timeout(
            || {
                leptos::task::spawn_local(async {
                    // A failed fetch (the server restarting, say) is tried again later.
                    if refresh().await.unwrap_or(true) {
                        schedule();
                    }
                });
            },
            REFRESH_EVERY,
        );
    }

    /// Fetches the page again and swaps its `data-live` parts in; returns whether
    /// the fresh page still has something pending.
    async fn refresh() -> Result<bool, JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let document = window.document().ok_or("no document")?;
        let href = window.location().href()?;
        let init = web_sys::RequestInit::new();
        let headers = web_sys::Headers::new()?;
        headers.set(super::HEADER, "1")?;
        init.set_headers(&headers);
        let request = web_sys::Request::new_with_str_and_init(&href, &init)?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
            .await?
            .dyn_into()?;
        if response.redirected() {
            // Logged out in the meantime: the page is gone, stop here.
            return Ok(false);
        }
        if !response.ok() {
            return Ok(true);
        }
        let html = JsFuture::from(response.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        let fresh = web_sys::DomParser::new()?.parse_from_string(&html, web_sys::SupportedType::TextHtml)?;
        let parts = document.query_selector_all("[data-live]")?;
        for index in 0..parts.length() {
            let Some(part) = parts
                .item(index)
                .and_then(|node| node.dyn_into::<web_sys::Element>().ok())
            else {
                continue;
            };
            if let Some(new) = fresh.get_element_by_id(&part.id()) {
                part.set_inner_html(&new.inner_html());
            }
        }
        Ok(fresh.query_selector("[data-live-pending]")?.is_some())
    }
}

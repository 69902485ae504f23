//! Middleware: who is logged in, which pages need it, and where posts may come from.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;
use url::Url;

use app::components::live_refresh;
use app::lang;
use app::ssr::session::{FLASH_KEY, USER_ID_KEY};
use app::ssr::state::AppState;
use app::types::{CurrentUser, Flash, SessionInfo};

use super::internal_error;

/// Headers on every portal response: no MIME sniffing, no framing by other sites (the
/// portal has buttons worth tricking someone into clicking), no full URLs in the
/// `Referer` sent to other sites, and pages and server-function answers, which show keys
/// and payment data, kept out of every cache. Static files (wasm, scripts, styles) stay
/// cacheable.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    let dynamic = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_none_or(|kind| kind.starts_with("text/html") || kind.starts_with("application/json"));
    if dynamic && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Portal sections that need a logged-in user; subpaths included.
const PRIVATE_PREFIXES: [&str; 8] = [
    "/dashboard",
    "/apps",
    "/inbox",
    "/transactions",
    "/notifications",
    "/test-payments",
    "/tools",
    "/audit",
];

fn is_private(path: &str) -> bool {
    PRIVATE_PREFIXES.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Paths that are not pages: server functions, static files, probes, the demo receiver.
const NOT_PAGES: [&str; 4] = ["/api/", "/pkg/", "/healthz", "/demo/"];

/// Puts the session's user (an [`app::types::CurrentUser`]) into the request's extensions,
/// and for page loads also the [`SessionInfo`] the page renders from, taking the flash.
pub async fn load_current_user(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    // Static files need no user: skip the session and user queries.
    if req.uri().path().starts_with("/pkg/") {
        return next.run(req).await;
    }
    let user_id = match session.get::<i64>(USER_ID_KEY).await {
        Ok(user_id) => user_id,
        Err(err) => {
            return internal_error("cannot load the session", &err);
        }
    };
    // The language cookie this browser holds (set by the switch and at login).
    let cookie_locale = lang::cookie_of(req.headers());
    if let Some(user_id) = user_id {
        match state.users.load(&state.db, user_id, cookie_locale).await {
            Ok(Some(user)) => {
                req.extensions_mut().insert(user);
            }
            Ok(None) => {
                // The user is gone; the session is worthless.
                let _ = session.flush().await;
            }
            Err(err) => {
                return internal_error("cannot load the session's user", &err);
            }
        }
    }
    // The language: the user's choice, then the `lang` cookie, then Accept-Language.
    let saved = req
        .extensions()
        .get::<CurrentUser>()
        .and_then(|user| user.locale.as_deref());
    let locale = lang::of_headers(saved, req.headers());
    req.extensions_mut().insert(locale);
    let is_page = matches!(*req.method(), Method::GET | Method::HEAD)
        && !NOT_PAGES
            .iter()
            .any(|prefix| req.uri().path().starts_with(prefix));
    if is_page {
        // A live refresh (a page fetching itself in the background) must not use up the
        // message meant for the page the user is about to see.
        let flash = if req.headers().contains_key(live_refresh::HEADER) {
            None
        } else {
            match take_flash(&session).await {
                Ok(flash) => flash,
                Err(err) => {
                    return internal_error("cannot take the flash message", &err);
                }
            }
        };
        let user = req.extensions().get::<CurrentUser>().cloned();
        let flash_path = req.uri().path().to_owned();
        req.extensions_mut().insert(SessionInfo {
            user,
            flash,
            flash_path,
            locale,
        });
    }
    next.run(req).await
}

/// Removes the flash message if there is one. Only then is the session written:
/// `Session::remove` marks a session modified even when the key is absent.
async fn take_flash(session: &Session) -> Result<Option<Flash>, tower_sessions::session::Error> {
    match session.get::<Flash>(FLASH_KEY).await? {
        Some(flash) => {
            session.remove::<Flash>(FLASH_KEY).await?;
            Ok(Some(flash))
        }
        None => Ok(None),
    }
}

/// HTTP redirects for page loads: logged-out visitors to `/login?next=…`,
/// logged-in ones away from `/login` and `/signup`.
pub async fn redirect_pages(req: Request, next: Next) -> Response {
    if !matches!(*req.method(), axum::http::Method::GET | axum::http::Method::HEAD) {
        return next.run(req).await;
    }
    let logged_in = req.extensions().get::<CurrentUser>().is_some();
    let path = req.uri().path();
    if path == "/" {
        return Redirect::to(if logged_in { "/dashboard" } else { "/login" }).into_response();
    }
    if logged_in && (path == "/login" || path == "/signup") {
        return Redirect::to("/apps").into_response();
    }
    if !logged_in && is_private(path) {
        let target = req.uri().path_and_query().map_or(path, |pq| pq.as_str());
        let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
        return Redirect::to(&format!("/login?next={next}")).into_response();
    }
    next.run(req).await
}

/// The origins portal forms and server functions may be posted from.
#[derive(Debug, Clone)]
pub struct AllowedOrigin {
    public: url::Origin,
    /// The public URL's scheme: a page on the request's own host counts when it is https,
    /// or http with an http public URL, so an `http://` page cannot post to an `https://`
    /// portal.
    scheme: String,
}

impl AllowedOrigin {
    /// Allows the origin of `PORTAL_PUBLIC_URL`, and the request's own `Host` over https, or
    /// over http when the public URL is http.
    pub fn new(public_url: &Url) -> Arc<Self> {
        Arc::new(Self {
            public: public_url.origin(),
            scheme: public_url.scheme().to_owned(),
        })
    }

    fn accepts(&self, source: &str, headers: &HeaderMap) -> bool {
        let Ok(url) = Url::parse(source) else {
            return false;
        };
        if url.origin() == self.public {
            return true;
        }
        // A browser cannot forge Host for another site, so "same host as this request" is same-origin.
        let host = headers.get(header::HOST).and_then(|value| value.to_str().ok());
        let authority = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return false,
        };
        let scheme_ok = url.scheme() == "https" || url.scheme() == self.scheme;
        scheme_ok && host.is_some_and(|host| host.eq_ignore_ascii_case(&authority))
    }
}

/// Refuses state-changing requests whose `Origin` (or, without it, `Referer`) is another site.
pub async fn same_origin_only(
    State(allowed): State<Arc<AllowedOrigin>>,
    req: Request,
    next: Next,
) -> Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    let headers = req.headers();
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|value| value.to_str().ok());
    match source {
        Some(source) if allowed.accepts(source, headers) => next.run(req).await,
        _ => (
            StatusCode::FORBIDDEN,
            "Cross-origin request refused: portal forms must be posted from the portal itself.",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_paths_include_subpaths_but_not_lookalikes() {
        assert!(is_private("/apps"));
        assert!(is_private("/apps/1904837261"));
        assert!(is_private("/tools/signature"));
        assert!(!is_private("/appsx"));
        assert!(!is_private("/login"));
        assert!(!is_private("/docs"));
    }

    #[test]
    fn origins_match_the_public_url_or_the_host_header() {
        let allowed = AllowedOrigin::new(&Url::parse("http://127.0.0.1:3000").unwrap());
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "localhost:3000".parse().unwrap());
        assert!(allowed.accepts("http://127.0.0.1:3000", &headers));
        assert!(allowed.accepts("http://localhost:3000/login", &headers));
        assert!(!allowed.accepts("http://evil.example", &headers));
        assert!(!allowed.accepts("http://localhost:3001", &headers));
        assert!(!allowed.accepts("null", &headers));
        // Behind a TLS proxy with the default public URL, the https page still counts.
        assert!(allowed.accepts("https://localhost:3000", &headers));
        // Behind https, a plain-http page on the same host does not count.
        let secure = AllowedOrigin::new(&Url::parse("https://portal.example").unwrap());
        headers.insert(header::HOST, "portal.example".parse().unwrap());
        assert!(secure.accepts("https://portal.example/apps", &headers));
        assert!(!secure.accepts("http://portal.example/apps", &headers));
        headers.insert(header::HOST, "portal.internal".parse().unwrap());
        assert!(secure.accepts("https://portal.internal", &headers));
        assert!(!secure.accepts("http://portal.internal", &headers));
    }
}

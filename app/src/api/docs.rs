//! The docs page's server-side parts: the schedule this server runs with and
//! the SDK quickstart (`docs/SDK.md`) as HTML. Public: no login needed.

use leptos::prelude::*;

use crate::error::AppError;
use crate::types::DocsContent;

/// A duration as the docs write it: `1 min`, `30 s`, `500 ms`.
#[cfg(feature = "ssr")]
fn human(duration: std::time::Duration) -> String {
    let ms = duration.as_millis();
    match ms {
        ms if ms % 60_000 == 0 && ms > 0 => format!("{} min", ms / 60_000),
        ms if ms % 1000 == 0 => format!("{} s", ms / 1000),
        ms => format!("{ms} ms"),
    }
}

/// `docs/SDK.md` as HTML, rendered once. Lines of Rust examples hidden from
/// readers the rustdoc way (`# …`) are left out.
#[cfg(feature = "ssr")]
fn sdk_html() -> &'static str {
    static HTML: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HTML.get_or_init(|| {
        let mut in_rust = false;
        let mut markdown = String::new();
        for line in include_str!("../../../docs/SDK.md").lines() {
            if let Some(info) = line.strip_prefix("```") {
                in_rust = !in_rust && info.starts_with("rust");
            } else if in_rust && (line == "#" || line.starts_with("# ")) {
                continue;
            }
            markdown.push_str(line);
            markdown.push('\n');
        }
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&markdown));
        html
    })
}

/// What `/docs` renders on the server.
#[server(endpoint = "get_docs")]
pub async fn get_docs() -> Result<DocsContent, AppError> {
    let state = use_context::<crate::ssr::state::AppState>().ok_or(AppError::Internal)?;
    let schedule: Vec<String> = state
        .settings
        .notify_retry_schedule
        .iter()
        .map(|delay| human(*delay))
        .collect();
    Ok(DocsContent {
        schedule: schedule.join(", "),
        timeout: human(state.settings.notify_timeout),
        sdk_html: sdk_html().to_owned(),
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(Duration::from_secs(120)), "2 min");
        assert_eq!(human(Duration::from_secs(90)), "90 s");
        assert_eq!(human(Duration::from_millis(1500)), "1500 ms");
    }

    #[test]
    fn the_sdk_quickstart_renders_without_rustdoc_lines() {
        let html = sdk_html();
        assert!(html.contains("<h1>SDK quickstart</h1>"), "{html}");
        assert!(html.contains("PayRequest::new"));
        assert!(!html.contains("Ok::&lt;"), "hidden rustdoc lines are left out");
    }
}

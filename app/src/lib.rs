//! The portal's Leptos application: pages, components and server functions.
//!
//! Built twice: with feature `ssr` into the server binary, and with feature
//! `hydrate` into the WebAssembly bundle that makes the server-rendered pages
//! interactive.
#![forbid(unsafe_code)]

pub mod api;
pub mod components;
pub mod error;
pub mod pages;
pub mod protocol;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod types;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

use crate::components::layout::{Header, Notice};
use crate::pages::{
    app_detail::{AppDetailPage, DeleteAppPage},
    app_form::{EditAppPage, NewAppPage},
    apps::AppsPage,
    audit::AuditPage,
    dashboard::DashboardPage,
    docs::DocsPage,
    inbox::InboxPage,
    login::LoginPage,
    not_found::NotFound,
    notifications::{NotificationPage, NotificationsPage},
    signature::{SignaturePage, ToolsPage},
    signup::SignupPage,
    test_payments::TestPaymentsPage,
    transactions::{TransactionPage, TransactionsPage},
};
use crate::types::SessionInfo;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="data:," />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Who is logged in, and the flash message, as the server's middleware found them.
    // A shared value is computed once on the server and serialised into the page for
    // hydration, so no page needs a resource (or a Suspense) for it.
    let session = SharedValue::new(|| {
        #[cfg(feature = "ssr")]
        {
            use_context::<http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<SessionInfo>().cloned())
                .unwrap_or_default()
        }
        #[cfg(not(feature = "ssr"))]
        {
            SessionInfo::default()
        }
    })
    .into_inner();
    provide_context(session);

    // Every route renders fully on the server before it is sent (`SsrMode::Async`),
    // so pages and their data work without JavaScript.
    view! {
        <Stylesheet id="leptos" href="/pkg/portal.css" />
        <Title text="Open Platform Sandbox" />
        <Router>
            <Header />
            <main class="container">
                <Notice />
                <Routes fallback=NotFound>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/apps") view=AppsPage ssr=SsrMode::Async />
                    <Route path=path!("/apps/new") view=NewAppPage ssr=SsrMode::Async />
                    <Route path=path!("/apps/:appid") view=AppDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/apps/:appid/edit") view=EditAppPage ssr=SsrMode::Async />
                    <Route path=path!("/apps/:appid/delete") view=DeleteAppPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/transactions") view=TransactionsPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/transactions/:transaction_id")
                        view=TransactionPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/notifications") view=NotificationsPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/notifications/:notify_id")
                        view=NotificationPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/inbox") view=InboxPage ssr=SsrMode::Async />
                    <Route path=path!("/test-payments") view=TestPaymentsPage ssr=SsrMode::Async />
                    <Route path=path!("/tools") view=ToolsPage ssr=SsrMode::Async />
                    <Route path=path!("/tools/signature") view=SignaturePage ssr=SsrMode::Async />
                    <Route path=path!("/docs") view=DocsPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// Entry point of the WebAssembly bundle: attaches to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // A marker for end-to-end tests (and curious developers): the page is interactive now.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

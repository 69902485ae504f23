//! The portal's HTTP plumbing around the Leptos pages: account endpoints,
//! the current user, login redirects and the same-origin check.

pub mod auth;
pub mod guard;

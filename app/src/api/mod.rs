//! Server functions, one module per feature.

pub mod apps;
pub mod console;
pub mod docs;
pub mod notifications;

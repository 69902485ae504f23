//! sea-orm entities, one module per table.

pub mod app;
pub mod audit_entry;
pub mod demo_receipt;
pub mod inbox;
pub mod inbox_message;
pub mod isv;
pub mod login_attempt;
pub mod notification;
pub mod notification_attempt;
pub mod order;
pub mod session;
pub mod setting;
pub mod user;

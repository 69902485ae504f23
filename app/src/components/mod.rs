//! Reusable pieces of the page.

pub mod layout;
pub mod password_field;

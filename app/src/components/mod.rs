//! Reusable pieces of the page.

pub mod copy_button;
pub mod layout;
pub mod password_field;

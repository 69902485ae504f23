//! sea-orm entities, one module per table.

pub mod isv;
pub mod login_attempt;
pub mod session;
pub mod user;

//! Reusable pieces of the page. The islands among them (`#[island]`) are the only
//! code that ships to the browser as WebAssembly; everything else renders on the server.

pub mod copy_button;
pub mod layout;
pub mod live_refresh;
pub mod password_field;

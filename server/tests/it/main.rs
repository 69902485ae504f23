//! Integration tests: the real server on port 0, a fresh database per test,
//! each database test on SQLite and on PostgreSQL.

mod helpers;

mod accounts;
mod apps;
mod cli;
mod console;
mod dispatch;
mod gateway;
mod inbox;
mod isolation;
mod language;
mod security;

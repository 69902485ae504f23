//! Database schema for the portal, applied at start-up (`server serve`), by
//! `server migrate`, and by every test that opens a fresh database.
#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

mod m20261127_000001_accounts;
mod m20261127_000002_apps;
mod m20261127_000003_orders;
mod m20261127_000004_notify_schedule;
mod m20261127_000005_inbox;
mod m20261127_000006_user_locale;
mod m20261127_000007_notification_lookup;
mod m20261127_000008_dashboard_stats;
mod m20261128_000009_order_lifetime;
mod m20261128_000010_order_notify_id;
mod m20261128_000011_order_lookup_index;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_accounts::Migration),
            Box::new(m20261127_000002_apps::Migration),
            Box::new(m20261127_000003_orders::Migration),
            Box::new(m20261127_000004_notify_schedule::Migration),
            Box::new(m20261127_000005_inbox::Migration),
            Box::new(m20261127_000006_user_locale::Migration),
            Box::new(m20261127_000007_notification_lookup::Migration),
            Box::new(m20261127_000008_dashboard_stats::Migration),
            Box::new(m20261128_000009_order_lifetime::Migration),
            Box::new(m20261128_000010_order_notify_id::Migration),
            Box::new(m20261128_000011_order_lookup_index::Migration),
        ]
    }
}

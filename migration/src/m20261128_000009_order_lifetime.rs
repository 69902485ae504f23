//! SPEC §6.1: an unpaid order closes 2 hours after creation at the latest, whatever its
//! `time_expire` says. Orders stored before the gateway applied that limit got their
//! `time_expire` as `expires_at`; this brings the unpaid ones within it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `protocol::DEFAULT_ORDER_LIFETIME_MS` (the migration crate does not depend on `app`).
const LIFETIME_MS: i64 = 2 * 3600 * 1000;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE orders SET expires_at = created_at + {LIFETIME_MS} \
                 WHERE trade_state = 1 AND expires_at > created_at + {LIFETIME_MS}"
            ))
            .await
            .map(|_| ())
    }

    /// The earlier deadlines are not kept anywhere: nothing to undo.
    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}

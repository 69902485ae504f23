//! The notify query (`/gateway/verifynotifyid.xml`) in one lookup: a settled order keeps
//! its notification's `notify_id` and creation time beside its own columns. A notify_id
//! made since this migration ends with the order's id, so the query reads the order by
//! its primary key and compares the notify_id stored there, instead of searching the
//! notify_id index first and then the order.
//!
//! Orders settled before it get their notification's values copied here; their
//! notify_ids do not name the order, and the query still finds them through
//! `idx_notifications_lookup`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Every step can run again: on SQLite each statement commits by itself, so a start
    /// interrupted during the backfill finds the columns there and is not recorded as done.
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for (name, column) in [
            ("notify_id", string_len_null(Orders::NotifyId, 64)),
            ("notified_at", big_integer_null(Orders::NotifiedAt)),
        ] {
            if manager.has_column("orders", name).await? {
                continue;
            }
            manager
                .alter_table(Table::alter().table(Orders::Table).add_column(column).to_owned())
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE orders SET \
                   notify_id = (SELECT n.notify_id FROM notifications n WHERE n.order_id = orders.id \
                                ORDER BY n.id DESC LIMIT 1), \
                   notified_at = (SELECT n.created_at FROM notifications n WHERE n.order_id = orders.id \
                                  ORDER BY n.id DESC LIMIT 1) \
                 WHERE EXISTS (SELECT 1 FROM notifications n WHERE n.order_id = orders.id)",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Orders::NotifiedAt, Orders::NotifyId] {
            manager
                .alter_table(Table::alter().table(Orders::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    NotifyId,
    NotifiedAt,
}

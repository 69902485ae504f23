//! An index that answers the notify query (`/gateway/verifynotifyid.xml`) by itself:
//! from a notify_id it gives the app, the order and the creation time, so the query
//! reads the index and the order, not the notification's row (which carries the whole
//! parameter set). The unique index on `notify_id` stays: it keeps notify_ids unique.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_notifications_lookup";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Notifications::Table)
                    .col(Notifications::NotifyId)
                    .col(Notifications::AppId)
                    .col(Notifications::OrderId)
                    .col(Notifications::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Notifications::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    NotifyId,
    AppId,
    OrderId,
    CreatedAt,
}

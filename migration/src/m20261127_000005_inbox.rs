//! The built-in inbox: a sandbox notify endpoint per app (`/inbox/<token>`) whose
//! answer the ISV chooses, and the messages it received.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Inboxes::Table)
                    .col(big_integer(Inboxes::Id).auto_increment().primary_key())
                    .col(big_integer(Inboxes::IsvId))
                    .col(big_integer(Inboxes::AppId).unique_key())
                    .col(string_len(Inboxes::Token, 64).unique_key())
                    .col(string_len(Inboxes::Answer, 16))
                    .col(big_integer(Inboxes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Inboxes::Table, Inboxes::AppId)
                            .to(Apps::Table, Apps::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InboxMessages::Table)
                    .col(big_integer(InboxMessages::Id).auto_increment().primary_key())
                    .col(big_integer(InboxMessages::IsvId))
                    .col(big_integer(InboxMessages::AppId))
                    .col(big_integer(InboxMessages::ReceivedAt))
                    .col(string_len(InboxMessages::Method, 8))
                    .col(text(InboxMessages::Params))
                    .col(string_len(InboxMessages::NotifyId, 64))
                    .col(string_len(InboxMessages::Verdict, 16))
                    .col(string_len(InboxMessages::Answer, 16))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InboxMessages::Table, InboxMessages::AppId)
                            .to(Apps::Table, Apps::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The portal lists an ISV's messages newest first (keyset on id).
        manager
            .create_index(
                Index::create()
                    .name("idx_inbox_messages_isv")
                    .table(InboxMessages::Table)
                    .col(InboxMessages::IsvId)
                    .col(InboxMessages::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InboxMessages::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Inboxes::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Inboxes {
    Table,
    Id,
    IsvId,
    AppId,
    Token,
    Answer,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InboxMessages {
    Table,
    Id,
    IsvId,
    AppId,
    ReceivedAt,
    Method,
    Params,
    NotifyId,
    Verdict,
    Answer,
}

#[derive(DeriveIden)]
enum Apps {
    Table,
    Id,
}

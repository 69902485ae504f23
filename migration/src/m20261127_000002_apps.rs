//! Apps with their two encrypted key slots, the audit log, what the built-in
//! demo receiver got, and settings (the master-key check value).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Apps::Table)
                    .col(big_integer(Apps::Id).auto_increment().primary_key())
                    .col(big_integer(Apps::IsvId))
                    .col(string_len_uniq(Apps::Appid, 10))
                    .col(string_len(Apps::Name, 64))
                    .col(text(Apps::Description))
                    .col(string_len(Apps::NotifyUrl, 512))
                    .col(string_len(Apps::ReturnUrl, 512))
                    .col(string_len_null(Apps::AppUrl, 512))
                    .col(string_len(Apps::NotifyMethod, 8))
                    .col(string_len(Apps::RetrySpeed, 8))
                    .col(string_len(Apps::Status, 16))
                    .col(small_integer(Apps::CurrentKeyIndex))
                    .col(text_null(Apps::Key1))
                    .col(big_integer_null(Apps::Key1CreatedAt))
                    .col(text_null(Apps::Key2))
                    .col(big_integer_null(Apps::Key2CreatedAt))
                    .col(big_integer_null(Apps::PreviousKeyExpiresAt))
                    .col(big_integer(Apps::CreatedAt))
                    .col(big_integer(Apps::UpdatedAt))
                    .col(big_integer_null(Apps::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Apps::Table, Apps::IsvId)
                            .to(Isvs::Table, Isvs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_apps_isv")
                    .table(Apps::Table)
                    .col(Apps::IsvId)
                    .col(Apps::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_integer(AuditLog::Id).auto_increment().primary_key())
                    .col(big_integer(AuditLog::IsvId))
                    .col(big_integer_null(AuditLog::UserId))
                    .col(string_len(AuditLog::Actor, 254))
                    .col(string_len(AuditLog::Action, 32))
                    .col(string_len(AuditLog::Target, 64))
                    .col(text(AuditLog::Detail))
                    .col(string_len(AuditLog::Ip, 64))
                    .col(big_integer(AuditLog::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditLog::Table, AuditLog::IsvId)
                            .to(Isvs::Table, Isvs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_isv")
                    .table(AuditLog::Table)
                    .col(AuditLog::IsvId)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DemoReceipts::Table)
                    .col(big_integer(DemoReceipts::Id).auto_increment().primary_key())
                    .col(string_len(DemoReceipts::Appid, 10))
                    .col(string_len(DemoReceipts::Method, 8))
                    .col(text(DemoReceipts::Params))
                    .col(big_integer(DemoReceipts::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_demo_receipts_appid")
                    .table(DemoReceipts::Table)
                    .col(DemoReceipts::Appid)
                    .col(DemoReceipts::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .col(string_len(Settings::Name, 64).primary_key())
                    .col(text(Settings::Value))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Settings::Table.into_iden(),
            DemoReceipts::Table.into_iden(),
            AuditLog::Table.into_iden(),
            Apps::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Isvs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Apps {
    Table,
    Id,
    IsvId,
    Appid,
    Name,
    Description,
    NotifyUrl,
    ReturnUrl,
    AppUrl,
    NotifyMethod,
    RetrySpeed,
    Status,
    CurrentKeyIndex,
    Key1,
    Key1CreatedAt,
    Key2,
    Key2CreatedAt,
    PreviousKeyExpiresAt,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    IsvId,
    UserId,
    Actor,
    Action,
    Target,
    Detail,
    Ip,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum DemoReceipts {
    Table,
    Id,
    Appid,
    Method,
    Params,
    ReceivedAt,
}

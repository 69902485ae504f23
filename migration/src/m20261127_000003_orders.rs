//! Sandbox orders, the notifications they produce, and one row per delivery attempt.
//!
//! A `transaction_id` is not stored: it is the appid, the creation date (UTC+8)
//! and the order's id as a 10-digit serial, so it is unique by construction.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(big_integer(Orders::Id).auto_increment().primary_key())
                    .col(big_integer(Orders::IsvId))
                    .col(big_integer(Orders::AppId))
                    .col(string_len(Orders::Appid, 10))
                    .col(string_len(Orders::OutTradeNo, 32))
                    .col(big_integer(Orders::TotalFee))
                    .col(string_len(Orders::FeeType, 8))
                    .col(text(Orders::Body))
                    .col(text(Orders::Attach))
                    .col(string_len(Orders::BankType, 32))
                    .col(string_len(Orders::NotifyUrl, 512))
                    .col(string_len(Orders::ReturnUrl, 512))
                    .col(string_len(Orders::SpbillCreateIp, 64))
                    .col(string_len(Orders::InputCharset, 8))
                    .col(big_integer_null(Orders::ProductFee))
                    .col(big_integer_null(Orders::TransportFee))
                    .col(string_len(Orders::GoodsTag, 64))
                    .col(string_len(Orders::BuyerId, 64))
                    .col(string_len(Orders::TimeStart, 14))
                    .col(big_integer(Orders::ExpiresAt))
                    .col(small_integer(Orders::TradeState))
                    .col(text(Orders::PayInfo))
                    .col(string_len(Orders::Scenario, 16))
                    .col(string_len(Orders::CashierToken, 64))
                    .col(big_integer_null(Orders::TimeEnd))
                    .col(big_integer(Orders::CreatedAt))
                    .col(big_integer(Orders::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Orders::Table, Orders::AppId)
                            .to(Apps::Table, Apps::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One order per (app, out_trade_no): concurrent pay requests meet here.
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_app_out_trade_no")
                    .table(Orders::Table)
                    .col(Orders::AppId)
                    .col(Orders::OutTradeNo)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The console lists an ISV's orders newest first (keyset on id).
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_isv")
                    .table(Orders::Table)
                    .col(Orders::IsvId)
                    .col(Orders::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(big_integer(Notifications::Id).auto_increment().primary_key())
                    .col(string_len_uniq(Notifications::NotifyId, 64))
                    .col(big_integer(Notifications::IsvId))
                    .col(big_integer(Notifications::AppId))
                    .col(big_integer(Notifications::OrderId))
                    .col(string_len(Notifications::Url, 512))
                    .col(string_len(Notifications::Method, 8))
                    .col(text(Notifications::Params))
                    .col(string_len(Notifications::Status, 16))
                    .col(integer(Notifications::Attempts))
                    .col(big_integer_null(Notifications::NextAttemptAt))
                    .col(string_len_null(Notifications::LeaseOwner, 64))
                    .col(big_integer_null(Notifications::LeaseExpiresAt))
                    .col(string_len(Notifications::Scenario, 16))
                    .col(big_integer(Notifications::CreatedAt))
                    .col(big_integer(Notifications::UpdatedAt))
                    .col(big_integer_null(Notifications::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The dispatcher's queue: due rows by time.
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_due")
                    .table(Notifications::Table)
                    .col(Notifications::Status)
                    .col(Notifications::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_order")
                    .table(Notifications::Table)
                    .col(Notifications::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_isv")
                    .table(Notifications::Table)
                    .col(Notifications::IsvId)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationAttempts::Table)
                    .col(
                        big_integer(NotificationAttempts::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(NotificationAttempts::NotificationId))
                    .col(integer(NotificationAttempts::AttemptNo))
                    .col(boolean(NotificationAttempts::Manual))
                    .col(big_integer(NotificationAttempts::StartedAt))
                    .col(big_integer(NotificationAttempts::DurationMs))
                    .col(string_len(NotificationAttempts::Method, 8))
                    .col(string_len(NotificationAttempts::Url, 512))
                    .col(text(NotificationAttempts::Request))
                    .col(integer_null(NotificationAttempts::ResponseStatus))
                    .col(text(NotificationAttempts::ResponseBody))
                    .col(string_len(NotificationAttempts::Outcome, 16))
                    .col(text(NotificationAttempts::Error))
                    .col(text(NotificationAttempts::Hint))
                    .foreign_key(
                        ForeignKey::create()
                            .from(NotificationAttempts::Table, NotificationAttempts::NotificationId)
                            .to(Notifications::Table, Notifications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attempts_notification")
                    .table(NotificationAttempts::Table)
                    .col(NotificationAttempts::NotificationId)
                    .col(NotificationAttempts::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(NotificationAttempts::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Orders::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Apps {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    IsvId,
    AppId,
    Appid,
    OutTradeNo,
    TotalFee,
    FeeType,
    Body,
    Attach,
    BankType,
    NotifyUrl,
    ReturnUrl,
    SpbillCreateIp,
    InputCharset,
    ProductFee,
    TransportFee,
    GoodsTag,
    BuyerId,
    TimeStart,
    ExpiresAt,
    TradeState,
    PayInfo,
    Scenario,
    CashierToken,
    TimeEnd,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    NotifyId,
    IsvId,
    AppId,
    OrderId,
    Url,
    Method,
    Params,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseOwner,
    LeaseExpiresAt,
    Scenario,
    CreatedAt,
    UpdatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum NotificationAttempts {
    Table,
    Id,
    NotificationId,
    AttemptNo,
    Manual,
    StartedAt,
    DurationMs,
    Method,
    Url,
    Request,
    ResponseStatus,
    ResponseBody,
    Outcome,
    Error,
    Hint,
}

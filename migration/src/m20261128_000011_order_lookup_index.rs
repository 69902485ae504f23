//! SQLite only: an index on (app_id, out_trade_no) that also holds every column the order
//! query answers with, so the query by out_trade_no (`/gateway/normalorderquery.xml`,
//! read directly through rusqlite) reads this index alone instead of the unique index and
//! then the order's row. The unique index `idx_orders_app_out_trade_no` stays: it keeps
//! out_trade_nos unique per app and is the target of the pay request's `ON CONFLICT`.
//!
//! PostgreSQL reads the order query through sea-orm, whole rows by the unique index,
//! and gets no such index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const INDEX: &str = "idx_orders_lookup";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
            return Ok(());
        }
        let mut index = Index::create();
        index.name(INDEX).table(Orders::Table).if_not_exists();
        for column in [
            Orders::AppId,
            Orders::OutTradeNo,
            Orders::Id,
            Orders::Appid,
            Orders::TotalFee,
            Orders::FeeType,
            Orders::TradeState,
            Orders::PayInfo,
            Orders::BankType,
            Orders::TimeEnd,
            Orders::Attach,
            Orders::BuyerId,
            Orders::InputCharset,
            Orders::CreatedAt,
            Orders::ExpiresAt,
        ] {
            index.col(column);
        }
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Sqlite {
            return Ok(());
        }
        manager
            .drop_index(Index::drop().name(INDEX).table(Orders::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    AppId,
    OutTradeNo,
    Id,
    Appid,
    TotalFee,
    FeeType,
    TradeState,
    PayInfo,
    BankType,
    TimeEnd,
    Attach,
    BuyerId,
    InputCharset,
    CreatedAt,
    ExpiresAt,
}

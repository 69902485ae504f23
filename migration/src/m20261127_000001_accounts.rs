//! ISV accounts, their users, login attempts (for throttling) and sessions.
//!
//! Times are stored as BIGINT unix milliseconds (UTC): the same type, ordering
//! and arithmetic on SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Isvs::Table)
                    .col(big_integer(Isvs::Id).auto_increment().primary_key())
                    .col(string_len(Isvs::Name, 64))
                    .col(big_integer(Isvs::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_integer(Users::Id).auto_increment().primary_key())
                    .col(big_integer(Users::IsvId))
                    .col(string_len_uniq(Users::Email, 254))
                    .col(text(Users::PasswordHash))
                    .col(big_integer(Users::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::IsvId)
                            .to(Isvs::Table, Isvs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_users_isv")
                    .table(Users::Table)
                    .col(Users::IsvId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginAttempts::Table)
                    .col(big_integer(LoginAttempts::Id).auto_increment().primary_key())
                    .col(string_len(LoginAttempts::Email, 254))
                    .col(string_len(LoginAttempts::Ip, 64))
                    .col(boolean(LoginAttempts::Succeeded))
                    .col(big_integer(LoginAttempts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_login_attempts_email", LoginAttempts::Email),
            ("idx_login_attempts_ip", LoginAttempts::Ip),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(LoginAttempts::Table)
                        .col(col)
                        .col(LoginAttempts::CreatedAt)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::Id, 64).primary_key())
                    .col(text(Sessions::Data))
                    .col(big_integer(Sessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_expires_at")
                    .table(Sessions::Table)
                    .col(Sessions::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Sessions::Table.into_iden(),
            LoginAttempts::Table.into_iden(),
            Users::Table.into_iden(),
            Isvs::Table.into_iden(),
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
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    IsvId,
    Email,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Id,
    Email,
    Ip,
    Succeeded,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}

//! The dashboard's counts, kept as they change instead of counted on every visit
//! (counting a million orders took two seconds on SQLite).
//!
//! - `app_day_stats` holds, per app and day (UTC+8) of creation, the orders, the paid
//!   ones and their amount, and the notifications by status.
//! - Triggers on `orders` and `notifications` append every change to those numbers to
//!   `stats_changes`: +1 for an inserted row; for an update, the old row's share taken
//!   away and the new row's added (a payment, a delivered notification, a row moved to
//!   another day); −1 for a deleted row. Whatever writes the rows (the server, a bulk
//!   import, a test), the numbers follow.
//! - The server folds `stats_changes` into `app_day_stats` twice a second
//!   (`app::ssr::dashboard::fold_stats`); the dashboard reads both, so it is exact
//!   between folds.
//!
//! Appending instead of updating one row per app and day keeps concurrent writers on
//! PostgreSQL from queueing behind each other's row lock until they commit.
//! `stats_changes` has no index but its key: it holds under a second of changes, and
//! an index on it cost pay.htm about 9 % of its rate on SQLite.

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A day number (days since 1970-01-01, UTC+8) of a unix-ms column, as the dashboard
/// computes it.
fn day(row: &str) -> String {
    format!("({row}.created_at + 28800000) / 86400000")
}

/// The columns of both tables after `app_id`, `day` and `isv_id`.
const COUNTS: [&str; 6] = ["orders", "paid", "paid_fen", "delivered", "failed", "pending"];

/// The share of one row (`NEW` or `OLD`) of `table` in the counts, as a VALUES tuple
/// for `stats_changes`, negated when `sign` is `-`.
fn share(table: &str, row: &str, sign: &str) -> String {
    let counts = if table == "orders" {
        [
            "1".to_owned(),
            format!("CASE WHEN {row}.trade_state = 0 THEN 1 ELSE 0 END"),
            format!("CASE WHEN {row}.trade_state = 0 THEN {row}.total_fee ELSE 0 END"),
            "0".to_owned(),
            "0".to_owned(),
            "0".to_owned(),
        ]
    } else {
        let status = |name: &str| format!("CASE WHEN {row}.status = '{name}' THEN 1 ELSE 0 END");
        [
            "0".to_owned(),
            "0".to_owned(),
            "0".to_owned(),
            status("delivered"),
            status("failed"),
            status("pending"),
        ]
    };
    let counts: Vec<String> = counts.iter().map(|count| format!("{sign}({count})")).collect();
    format!(
        "({row}.app_id, {}, {row}.isv_id, {})",
        day(row),
        counts.join(", ")
    )
}

/// The columns whose change moves a row's share: the ones [`share`] reads.
fn watched(table: &str) -> &'static [&'static str] {
    if table == "orders" {
        &["app_id", "isv_id", "created_at", "trade_state", "total_fee"]
    } else {
        &["app_id", "isv_id", "created_at", "status"]
    }
}

/// The three triggers of `table` (insert, update, delete): each trigger's name, the
/// event clause, and the INSERT it runs.
fn triggers(table: &str) -> [(String, String, String); 3] {
    let insert = |tuples: &[String]| {
        format!(
            "INSERT INTO stats_changes (app_id, day, isv_id, {}) VALUES {}",
            COUNTS.join(", "),
            tuples.join(", ")
        )
    };
    let changed: Vec<String> = watched(table)
        .iter()
        .map(|column| format!("OLD.{column} <> NEW.{column}"))
        .collect();
    [
        (
            format!("stats_{table}_insert"),
            format!("AFTER INSERT ON {table}"),
            insert(&[share(table, "NEW", "")]),
        ),
        (
            format!("stats_{table}_update"),
            format!(
                "AFTER UPDATE ON {table} FOR EACH ROW WHEN ({})",
                changed.join(" OR ")
            ),
            insert(&[share(table, "OLD", "-"), share(table, "NEW", "")]),
        ),
        (
            format!("stats_{table}_delete"),
            format!("AFTER DELETE ON {table}"),
            insert(&[share(table, "OLD", "-")]),
        ),
    ]
}

/// The counts as they are now, for a database that had no triggers yet.
fn backfill() -> String {
    let sums: Vec<String> = COUNTS
        .iter()
        .map(|count| format!("CAST(SUM({count}) AS BIGINT)"))
        .collect();
    format!(
        "INSERT INTO app_day_stats (app_id, day, isv_id, {columns}) \
         SELECT app_id, day, MAX(isv_id), {sums} FROM ( \
           SELECT app_id, {order_day} AS day, isv_id, 1 AS orders, \
             CASE WHEN trade_state = 0 THEN 1 ELSE 0 END AS paid, \
             CASE WHEN trade_state = 0 THEN total_fee ELSE 0 END AS paid_fen, \
             0 AS delivered, 0 AS failed, 0 AS pending FROM orders \
           UNION ALL \
           SELECT app_id, {notification_day}, isv_id, 0, 0, 0, \
             CASE WHEN status = 'delivered' THEN 1 ELSE 0 END, \
             CASE WHEN status = 'failed' THEN 1 ELSE 0 END, \
             CASE WHEN status = 'pending' THEN 1 ELSE 0 END FROM notifications \
         ) AS shares GROUP BY app_id, day",
        columns = COUNTS.join(", "),
        sums = sums.join(", "),
        order_day = day("orders"),
        notification_day = day("notifications"),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One transaction, and every step can run again: on SQLite, sea-orm-migration
        // runs a migration without one, and a crash half-way would leave tables that
        // the next start could not create again, or triggers without the counts.
        let backend = manager.get_database_backend();
        let postgres = backend == DbBackend::Postgres;
        let txn = manager.get_connection().begin().await?;
        let counts = |mut table: TableCreateStatement| {
            for count in COUNTS {
                table.col(big_integer(Alias::new(count)).default(0));
            }
            table
        };
        txn.execute(
            backend.build(&counts(
                Table::create()
                    .table(AppDayStats::Table)
                    .if_not_exists()
                    .col(big_integer(AppDayStats::AppId))
                    .col(big_integer(AppDayStats::Day))
                    .col(big_integer(AppDayStats::IsvId))
                    .primary_key(Index::create().col(AppDayStats::AppId).col(AppDayStats::Day))
                    .to_owned(),
            )),
        )
        .await?;
        txn.execute(
            backend.build(&counts(
                Table::create()
                    .table(StatsChanges::Table)
                    .if_not_exists()
                    .col(big_integer(StatsChanges::Id).auto_increment().primary_key())
                    .col(big_integer(StatsChanges::AppId))
                    .col(big_integer(StatsChanges::Day))
                    .col(big_integer(StatsChanges::IsvId))
                    .to_owned(),
            )),
        )
        .await?;
        txn.execute(
            backend.build(
                &Index::create()
                    .name("idx_app_day_stats_isv")
                    .table(AppDayStats::Table)
                    .col(AppDayStats::IsvId)
                    .if_not_exists()
                    .to_owned(),
            ),
        )
        .await?;
        for table in ["orders", "notifications"] {
            for (name, event, insert) in triggers(table) {
                if postgres {
                    txn.execute_unprepared(&format!(
                        "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                         BEGIN {insert}; RETURN NULL; END $$"
                    ))
                    .await?;
                    let event = if event.contains("FOR EACH ROW") {
                        event
                    } else {
                        format!("{event} FOR EACH ROW")
                    };
                    txn.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name} ON {table}"))
                        .await?;
                    txn.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} {event} EXECUTE FUNCTION {name}()"
                    ))
                    .await?;
                } else {
                    txn.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}"))
                        .await?;
                    txn.execute_unprepared(&format!("CREATE TRIGGER {name} {event} BEGIN {insert}; END"))
                        .await?;
                }
            }
        }
        // The counts as they are, in the same transaction as the triggers: a row written
        // meanwhile is either counted here or recorded by a trigger, not both.
        txn.execute_unprepared("DELETE FROM stats_changes").await?;
        txn.execute_unprepared("DELETE FROM app_day_stats").await?;
        txn.execute_unprepared(&backfill()).await?;
        txn.commit().await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for table in ["orders", "notifications"] {
            for (name, _, _) in triggers(table) {
                db.execute_unprepared(&format!(
                    "DROP TRIGGER IF EXISTS {name}{}",
                    if postgres {
                        format!(" ON {table}")
                    } else {
                        String::new()
                    }
                ))
                .await?;
                if postgres {
                    db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {name}()"))
                        .await?;
                }
            }
        }
        manager
            .drop_table(Table::drop().table(StatsChanges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AppDayStats::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AppDayStats {
    Table,
    AppId,
    Day,
    IsvId,
}

#[derive(DeriveIden)]
enum StatsChanges {
    Table,
    Id,
    AppId,
    Day,
    IsvId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_takes_the_old_share_away_and_adds_the_new() {
        let [_, (name, event, insert), _] = triggers("orders");
        assert_eq!(name, "stats_orders_update");
        assert!(event.contains("OLD.trade_state <> NEW.trade_state"), "{event}");
        assert!(insert.contains("(OLD.app_id, (OLD.created_at + 28800000) / 86400000, OLD.isv_id, -(1), -(CASE WHEN OLD.trade_state = 0"), "{insert}");
        assert!(insert.contains("(NEW.app_id, (NEW.created_at + 28800000) / 86400000, NEW.isv_id, (1), (CASE WHEN NEW.trade_state = 0"), "{insert}");
    }
}

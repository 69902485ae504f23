//! The dashboard's numbers: per-app counts and the last 14 days (UTC+8) of
//! payments and notification outcomes.
//!
//! They are not counted from the orders on each visit: triggers record every change
//! to them in `stats_changes`, [`fold_stats`] adds those up per app and day into
//! `app_day_stats` twice a second, and the dashboard reads the rows of both
//! (migration 000008). So a visit reads a few rows per app and day, however many
//! orders there are, and is exact between folds.

use std::collections::HashMap;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryOrder, Statement, TransactionTrait, Value,
};

use super::db::app;
use super::write_gate::WriteGate;
use crate::protocol::protocol_date;
use crate::types::{AppStats, Dashboard, DayStats};

/// Days the chart shows, today included.
pub const DAYS: i64 = 14;

const DAY_MS: i64 = 86_400_000;
const UTC8_MS: i64 = 8 * 3_600_000;

/// The counts each row of `app_day_stats` and `stats_changes` holds (migration 000008,
/// which cannot share this constant: the migration crate does not depend on the app).
const COUNTS: &str = "orders, paid, paid_fen, delivered, failed, pending";

/// The most changes one fold moves in one transaction, so that folding after a bulk
/// import does not hold SQLite's write lock for long.
const FOLD_CHUNK: i64 = 10_000;

/// Rows of `sql` (written with `$1`, `$2`: PostgreSQL's placeholders, rewritten for SQLite).
async fn query(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => sql.to_owned(),
        _ => sql.replace('$', "?"),
    };
    db.query_all(Statement::from_sql_and_values(backend, sql, values))
        .await
}

/// The day number (days since 1970-01-01 in UTC+8) of a unix-ms time.
fn day_of(unix_ms: i64) -> i64 {
    (unix_ms + UTC8_MS).div_euclid(DAY_MS)
}

/// The ISV's dashboard at `now`.
pub async fn dashboard(db: &DatabaseConnection, isv_id: i64, now: i64) -> Result<Dashboard, DbErr> {
    let apps = app::Entity::find_for_isv(isv_id)
        .order_by_asc(app::Column::Id)
        .all(db)
        .await?;
    let mut stats: HashMap<i64, AppStats> = apps
        .iter()
        .map(|app| {
            (
                app.id,
                AppStats {
                    appid: app.appid.clone(),
                    name: app.name.clone(),
                    status: app.status.clone(),
                    ..AppStats::default()
                },
            )
        })
        .collect();
    let today = day_of(now);
    let first = today - (DAYS - 1);
    let mut days: Vec<DayStats> = (first..=today)
        .map(|day| {
            let date = protocol_date(day * DAY_MS - UTC8_MS);
            DayStats {
                date: format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]),
                ..DayStats::default()
            }
        })
        .collect();
    // One statement, so a fold committing meanwhile is seen either wholly or not at all.
    let rows = query(
        db,
        &format!(
            "SELECT app_id, day, {COUNTS} FROM app_day_stats WHERE isv_id = $1 \
             UNION ALL SELECT app_id, day, {COUNTS} FROM stats_changes WHERE isv_id = $1"
        ),
        vec![isv_id.into()],
    )
    .await?;
    for row in rows {
        let count = |name: &str| row.try_get::<i64>("", name);
        let (paid, paid_fen, delivered, failed) = (
            count("paid")?,
            count("paid_fen")?,
            count("delivered")?,
            count("failed")?,
        );
        if let Some(entry) = stats.get_mut(&count("app_id")?) {
            entry.orders += count("orders")?;
            entry.paid += paid;
            entry.paid_fen += paid_fen;
            entry.delivered += delivered;
            entry.failed += failed;
            entry.pending += count("pending")?;
        }
        if let Some(day) = usize::try_from(count("day")? - first)
            .ok()
            .and_then(|i| days.get_mut(i))
        {
            day.payments += paid;
            day.paid_fen += paid_fen;
            day.delivered += delivered;
            day.failed += failed;
        }
    }
    Ok(Dashboard {
        apps: apps.iter().filter_map(|app| stats.remove(&app.id)).collect(),
        days,
    })
}

/// Moves the changes recorded so far in `stats_changes` into `app_day_stats`, in
/// transactions of at most [`FOLD_CHUNK`] changes; returns how many it moved. Changes
/// recorded while it runs wait for the next fold.
pub async fn fold_stats(db: &DatabaseConnection, writes: &WriteGate) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let Some(range) = query(
        db,
        "SELECT MIN(id) AS low, MAX(id) AS high FROM stats_changes",
        vec![],
    )
    .await?
    .into_iter()
    .next() else {
        return Ok(0);
    };
    let (Some(low), Some(high)) = (
        range.try_get::<Option<i64>>("", "low")?,
        range.try_get::<Option<i64>>("", "high")?,
    ) else {
        return Ok(0);
    };
    let sums = COUNTS
        .split(", ")
        .map(|count| format!("CAST(SUM({count}) AS BIGINT)"))
        .collect::<Vec<_>>()
        .join(", ");
    let updates = COUNTS
        .split(", ")
        .map(|count| format!("{count} = app_day_stats.{count} + excluded.{count}"))
        .collect::<Vec<_>>()
        .join(", ");
    let add = |from: &str| {
        format!(
            "INSERT INTO app_day_stats (app_id, day, isv_id, {COUNTS}) \
             SELECT app_id, day, MAX(isv_id), {sums} FROM {from} \
             GROUP BY app_id, day ORDER BY app_id, day \
             ON CONFLICT (app_id, day) DO UPDATE SET {updates}"
        )
    };
    let mut moved = 0;
    let mut from = low;
    while from <= high {
        let to = (from + FOLD_CHUNK - 1).min(high);
        let range = format!("id >= {from} AND id <= {to}");
        let _gate = writes.enter().await;
        if backend == DbBackend::Postgres {
            // One statement: the rows it deletes are the rows it adds up, even while
            // another fold runs.
            let sql = format!(
                "WITH moved AS (DELETE FROM stats_changes WHERE {range} RETURNING *), \
                 added AS ({} RETURNING app_id) SELECT COUNT(*) AS moved FROM moved",
                add("moved")
            );
            if let Some(row) = db.query_one(Statement::from_string(backend, sql)).await? {
                moved += u64::try_from(row.try_get::<i64>("", "moved")?).unwrap_or(0);
            }
        } else {
            // SQLite: from its first write the transaction holds the write lock, so
            // nothing can change the range between the two statements.
            let txn = db.begin().await?;
            txn.execute(Statement::from_string(
                backend,
                add(&format!("stats_changes WHERE {range}")),
            ))
            .await?;
            moved += txn
                .execute(Statement::from_string(
                    backend,
                    format!("DELETE FROM stats_changes WHERE {range}"),
                ))
                .await?
                .rows_affected();
            txn.commit().await?;
        }
        from = to + 1;
    }
    Ok(moved)
}

//! The dashboard's numbers: per-app counts and the last 14 days (UTC+8) of
//! payments and notification outcomes, each one grouped query.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryOrder, Statement, Value};

use super::db::app;
use crate::protocol::{protocol_date, trade_state};
use crate::types::{AppStats, Dashboard, DayStats};

/// Days the chart shows, today included.
pub const DAYS: i64 = 14;

const DAY_MS: i64 = 86_400_000;
const UTC8_MS: i64 = 8 * 3_600_000;

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
    let paid = trade_state::PAID;
    let orders = query(
        db,
        &format!(
            "SELECT app_id, COUNT(*) AS orders, \
             CAST(SUM(CASE WHEN trade_state = {paid} THEN 1 ELSE 0 END) AS BIGINT) AS paid, \
             CAST(SUM(CASE WHEN trade_state = {paid} THEN total_fee ELSE 0 END) AS BIGINT) AS paid_fen \
             FROM orders WHERE isv_id = $1 GROUP BY app_id"
        ),
        vec![isv_id.into()],
    )
    .await?;
    for row in orders {
        if let Some(entry) = stats.get_mut(&row.try_get::<i64>("", "app_id")?) {
            entry.orders = row.try_get("", "orders")?;
            entry.paid = row.try_get("", "paid")?;
            entry.paid_fen = row.try_get("", "paid_fen")?;
        }
    }
    let notifications = query(
        db,
        "SELECT app_id, \
         CAST(SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END) AS BIGINT) AS delivered, \
         CAST(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS BIGINT) AS failed, \
         CAST(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS BIGINT) AS pending \
         FROM notifications WHERE isv_id = $1 GROUP BY app_id",
        vec![isv_id.into()],
    )
    .await?;
    for row in notifications {
        if let Some(entry) = stats.get_mut(&row.try_get::<i64>("", "app_id")?) {
            entry.delivered = row.try_get("", "delivered")?;
            entry.failed = row.try_get("", "failed")?;
            entry.pending = row.try_get("", "pending")?;
        }
    }

    let today = day_of(now);
    let first = today - (DAYS - 1);
    let since = first * DAY_MS - UTC8_MS;
    let mut days: Vec<DayStats> = (first..=today)
        .map(|day| {
            let date = protocol_date(day * DAY_MS - UTC8_MS);
            DayStats {
                date: format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]),
                ..DayStats::default()
            }
        })
        .collect();
    let len = days.len();
    let index = |day: i64| usize::try_from(day - first).ok().filter(|i| *i < len);
    let by_day = query(
        db,
        &format!(
            "SELECT (created_at + {UTC8_MS}) / {DAY_MS} AS day, \
             CAST(SUM(CASE WHEN trade_state = {paid} THEN 1 ELSE 0 END) AS BIGINT) AS paid, \
             CAST(SUM(CASE WHEN trade_state = {paid} THEN total_fee ELSE 0 END) AS BIGINT) AS paid_fen \
             FROM orders WHERE isv_id = $1 AND created_at >= $2 GROUP BY (created_at + {UTC8_MS}) / {DAY_MS}"
        ),
        vec![isv_id.into(), since.into()],
    )
    .await?;
    for row in by_day {
        if let Some(i) = index(row.try_get::<i64>("", "day")?) {
            days[i].payments = row.try_get("", "paid")?;
            days[i].paid_fen = row.try_get("", "paid_fen")?;
        }
    }
    let outcomes = query(
        db,
        &format!(
            "SELECT (created_at + {UTC8_MS}) / {DAY_MS} AS day, \
             CAST(SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END) AS BIGINT) AS delivered, \
             CAST(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS BIGINT) AS failed \
             FROM notifications WHERE isv_id = $1 AND created_at >= $2 GROUP BY (created_at + {UTC8_MS}) / {DAY_MS}"
        ),
        vec![isv_id.into(), since.into()],
    )
    .await?;
    for row in outcomes {
        if let Some(i) = index(row.try_get::<i64>("", "day")?) {
            days[i].delivered = row.try_get("", "delivered")?;
            days[i].failed = row.try_get("", "failed")?;
        }
    }
    Ok(Dashboard {
        apps: apps.iter().filter_map(|app| stats.remove(&app.id)).collect(),
        days,
    })
}

//! The XML queries' order lookups, batched (through [`super::group_commit`]'s queue).
//!
//! On PostgreSQL each lookup by itself is a round trip, a statement the server parses
//! the parameters of, plans and runs, and sqlx's encoding and decoding on this side:
//! 125–160 µs of CPU per query between the two processes, for one row found by index.
//! Lookups that arrive while a batch is being read are read together in the next one,
//! with one statement for the lookups by id and one per app for those by out_trade_no.
//! A lone lookup is a batch of one, so nothing waits for a batch to fill.
//!
//! A batch starts after each of its lookups arrived, so it sees every payment committed
//! before any of them: a query answers as it would have by itself. Rows are matched
//! back to lookups by their whole key, the app included: a lookup never gets another
//! app's order.
//!
//! On SQLite the queries read directly ([`super::sqlite_reads`]); they come here only
//! when such a read fails.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use tokio::sync::oneshot;

use super::db::order;
use super::group_commit::{GroupCommit, Writer};

/// An order to find within its app.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lookup {
    /// By primary key (the serial of a transaction_id, the end of a notify_id).
    Id { app_id: i64, id: i64 },
    /// By the merchant's order number.
    OutTradeNo { app_id: i64, out_trade_no: String },
}

/// The order, if the app has it.
pub type Found = Result<Option<order::Model>, DbErr>;

struct Job {
    lookup: Lookup,
    reply: oneshot::Sender<Found>,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct OrderLookups(GroupCommit<Job>);

impl OrderLookups {
    /// Finds the order `lookup` names, in a batch with the lookups of the moment.
    pub async fn find(&self, db: &DatabaseConnection, lookup: Lookup) -> Found {
        let (reply, found) = oneshot::channel();
        self.0.submit(Job { lookup, reply }, || Reader { db: db.clone() });
        found
            .await
            .unwrap_or_else(|_| Err(DbErr::Custom("the order lookup was not read".into())))
    }
}

struct Reader {
    db: DatabaseConnection,
}

impl Writer for Reader {
    type Job = Job;
    const MAX_BATCH: usize = 64;

    async fn write(&self, jobs: Vec<Job>) {
        let (lookups, replies): (Vec<_>, Vec<_>) =
            jobs.into_iter().map(|job| (job.lookup, job.reply)).unzip();
        match find_orders(&self.db, &lookups).await {
            Ok(found) => {
                for (reply, order) in replies.into_iter().zip(found) {
                    let _ = reply.send(Ok(order));
                }
            }
            Err(err) => {
                let message = err.to_string();
                for reply in replies {
                    let _ = reply.send(Err(DbErr::Custom(message.clone())));
                }
            }
        }
    }

    fn abandon(job: Job) {
        let _ = job
            .reply
            .send(Err(DbErr::Custom("the order lookup failed".into())));
    }

    /// Nobody reads the answer of a request that went away.
    fn awaited(job: &Job) -> bool {
        !job.reply.is_closed()
    }
}

/// The orders `lookups` name, in their order: one statement for those by id, and one
/// per app for those by out_trade_no (a batch rarely holds more than one app).
///
/// Each statement's list is padded to a power of two (repeating its last value), so
/// that a few statement texts serve every batch size and stay prepared.
pub async fn find_orders(
    db: &DatabaseConnection,
    lookups: &[Lookup],
) -> Result<Vec<Option<order::Model>>, DbErr> {
    let mut ids = Vec::new();
    let mut numbers: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for lookup in lookups {
        match lookup {
            Lookup::Id { id, .. } => ids.push(*id),
            Lookup::OutTradeNo { app_id, out_trade_no } => {
                numbers.entry(*app_id).or_default().push(out_trade_no.clone())
            }
        }
    }
    let mut by_key: HashMap<Lookup, order::Model> = HashMap::new();
    if !ids.is_empty() {
        // By primary key alone; the app is checked when matching.
        let rows = order::Entity::find()
            .filter(order::Column::Id.is_in(padded(ids)))
            .all(db)
            .await?;
        by_key.extend(rows.into_iter().map(|order| {
            let key = Lookup::Id {
                app_id: order.app_id,
                id: order.id,
            };
            (key, order)
        }));
    }
    for (app_id, numbers) in numbers {
        let rows = order::Entity::find()
            .filter(order::Column::AppId.eq(app_id))
            .filter(order::Column::OutTradeNo.is_in(padded(numbers)))
            .all(db)
            .await?;
        by_key.extend(rows.into_iter().map(|order| {
            let key = Lookup::OutTradeNo {
                app_id: order.app_id,
                out_trade_no: order.out_trade_no.clone(),
            };
            (key, order)
        }));
    }
    Ok(lookups.iter().map(|lookup| by_key.get(lookup).cloned()).collect())
}

/// `values` without repeats, then its last value repeated up to the next power of two.
fn padded<T: Clone + Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort_unstable();
    values.dedup();
    if let Some(last) = values.last().cloned() {
        values.resize(values.len().next_power_of_two(), last);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::padded;

    #[test]
    fn lists_are_padded_to_a_power_of_two_without_repeats_before() {
        assert_eq!(padded(Vec::<i64>::new()), Vec::<i64>::new());
        assert_eq!(padded(vec![7]), [7]);
        assert_eq!(padded(vec![3, 1, 3]), [1, 3]);
        assert_eq!(padded(vec![5, 4, 3]), [3, 4, 5, 5]);
        assert_eq!(padded((0..33).rev().collect()).len(), 64);
    }
}

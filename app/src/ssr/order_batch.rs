//! Group commit ([`super::group_commit`]) for the orders pay.htm creates.
//!
//! Every pay request with a new out_trade_no inserts one order. One at a time, each
//! insert is a round trip to the database and a commit of its own: on SQLite each
//! waits for the single writer, and sqlx hands each statement to its connection's
//! thread and back. Here the orders that arrive while a batch is being written go
//! into the next batch, one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING *`.
//!
//! A batch the database refuses as a whole (one row breaking a constraint, say) is
//! written again row by row, so each request gets its own answer.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryTrait};
use tokio::sync::oneshot;

use super::db::order;
use super::group_commit::{GroupCommit, Writer};
use super::state::AppState;
use super::write_gate::WriteGate;

/// An order as stored, or `None` when its app has one with that out_trade_no already.
pub type Inserted = Result<Option<order::Model>, DbErr>;

struct Job {
    row: order::ActiveModel,
    reply: oneshot::Sender<Inserted>,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct OrderBatcher(GroupCommit<Job>);

impl OrderBatcher {
    /// Inserts `row` (a new order) unless its app has an order with its out_trade_no.
    pub async fn insert(&self, state: &AppState, row: order::ActiveModel) -> Inserted {
        let (reply, inserted) = oneshot::channel();
        self.0.submit(Job { row, reply }, || OrderWriter {
            db: state.db.clone(),
            gate: Arc::clone(&state.writes),
        });
        inserted
            .await
            .unwrap_or_else(|_| Err(DbErr::Custom("the order batch was not written".into())))
    }
}

struct OrderWriter {
    db: DatabaseConnection,
    gate: Arc<WriteGate>,
}

impl Writer for OrderWriter {
    type Job = Job;
    /// 27 values per order: 1,728 bind parameters at most, far below SQLite's 32,766
    /// and PostgreSQL's 65,535.
    const MAX_BATCH: usize = 64;

    async fn write(&self, jobs: Vec<Job>) {
        let _gate = self.gate.enter().await;
        let (rows, replies): (Vec<_>, Vec<_>) = jobs.into_iter().map(|job| (job.row, job.reply)).unzip();
        for (reply, inserted) in replies.into_iter().zip(insert_each(&self.db, rows).await) {
            let _ = reply.send(inserted);
        }
    }

    fn abandon(job: Job) {
        let _ = job
            .reply
            .send(Err(DbErr::Custom("the order writer failed".into())));
    }

    /// A request that went away before its order was written never got an answer: not
    /// writing its order is as if it had never come.
    fn awaited(job: &Job) -> bool {
        !job.reply.is_closed()
    }
}

/// Inserts `rows` (new orders) as one batch, with [`insert_orders`]. If the database
/// refuses the batch for a row that breaks a constraint, each row is inserted on its
/// own, so that row fails alone. Any other error (the database unreachable, say) is
/// every row's answer: trying each row would only wait that much longer. One answer
/// per row, in order.
pub async fn insert_each(db: &impl ConnectionTrait, rows: Vec<order::ActiveModel>) -> Vec<Inserted> {
    let count = rows.len();
    let err = match insert_orders(db, rows.clone()).await {
        Ok(inserted) => return inserted.into_iter().map(Ok).collect(),
        Err(err) if count > 1 && err.sql_err().is_some() => err,
        Err(err) => {
            let message = err.to_string();
            return (0..count).map(|_| Err(DbErr::Custom(message.clone()))).collect();
        }
    };
    tracing::warn!(%err, count, "a batch of orders was refused; inserting them one by one");
    let mut answers = Vec::with_capacity(count);
    for row in rows {
        answers.push(
            insert_orders(db, vec![row])
                .await
                .map(|mut one| one.pop().flatten()),
        );
    }
    answers
}

/// Inserts `rows` (new orders) with one statement. For each row, in order: the order
/// as stored, or `None` when its app has an order with its out_trade_no already, stored
/// before or by an earlier row of `rows`. The statement is atomic: an error stores none.
pub async fn insert_orders(
    db: &impl ConnectionTrait,
    rows: Vec<order::ActiveModel>,
) -> Result<Vec<Option<order::Model>>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Each row's unique key, and its cashier token, which is random: a stored order
    // is this row's only if the tokens match (a duplicate key in the batch is not).
    let keys = rows
        .iter()
        .map(|row| {
            match (
                row.app_id.try_as_ref(),
                row.out_trade_no.try_as_ref(),
                row.cashier_token.try_as_ref(),
            ) {
                (Some(app_id), Some(out_trade_no), Some(token)) => {
                    Ok(((*app_id, out_trade_no.clone()), token.clone()))
                }
                _ => Err(DbErr::Custom(
                    "an order without app_id, out_trade_no or cashier_token".into(),
                )),
            }
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    // Sorted by key (stably: of two rows with one key, the first is inserted), so that
    // batches of two processes take the unique index's locks in the same order; and
    // padded to a power of two with copies of the last row, which DO NOTHING skips,
    // so that a few statement texts serve every batch size and stay prepared.
    let mut rows = rows;
    rows.sort_by(|a, b| key_of(a).cmp(&key_of(b)));
    if let Some(last) = rows.last().cloned() {
        rows.resize(rows.len().next_power_of_two(), last);
    }
    let mut insert = order::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([order::Column::AppId, order::Column::OutTradeNo])
                .do_nothing()
                .to_owned(),
        )
        .into_query();
    insert.returning_all();
    let statement = db.get_database_backend().build(&insert);
    // RETURNING promises no order: rows are matched back by their unique keys.
    let mut stored: HashMap<(i64, String), order::Model> = order::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await?
        .into_iter()
        .map(|order| ((order.app_id, order.out_trade_no.clone()), order))
        .collect();
    Ok(keys
        .into_iter()
        .map(|(key, token)| {
            stored
                .get(&key)
                .is_some_and(|order| order.cashier_token == token)
                .then(|| stored.remove(&key))
                .flatten()
        })
        .collect())
}

/// A row's unique key, for sorting (the rows were checked to have one).
fn key_of(row: &order::ActiveModel) -> (Option<&i64>, Option<&String>) {
    (row.app_id.try_as_ref(), row.out_trade_no.try_as_ref())
}

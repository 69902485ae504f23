//! Group commit ([`super::group_commit`]) for test payments: each one is an order
//! inserted already settled, plus its notification. A batch is two multi-row INSERTs
//! and one UPDATE in one transaction, whatever its size, instead of four statements
//! per payment.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, TransactionTrait};
use tokio::sync::oneshot;

use super::db::{notification, order};
use super::group_commit::{GroupCommit, Writer};
use super::state::AppState;
use super::write_gate::WriteGate;

/// The notify_id and creation time of an order's notification, for `UPDATE orders`.
const COPY_NOTIFY_ID: &str = "(SELECT n.notify_id FROM notifications n WHERE n.order_id = orders.id)";
const COPY_NOTIFIED_AT: &str = "(SELECT n.created_at FROM notifications n WHERE n.order_id = orders.id)";

type Written = Result<(order::Model, notification::Model), DbErr>;

struct Job {
    order: order::ActiveModel,
    notify_method: String,
    now: i64,
    reply: oneshot::Sender<Written>,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct PaymentBatcher(GroupCommit<Job>);

impl PaymentBatcher {
    /// Inserts `order` (new, settled) and its notification; returns both as stored.
    pub async fn write(
        &self,
        state: &AppState,
        order: order::ActiveModel,
        notify_method: &str,
        now: i64,
    ) -> Written {
        let (reply, written) = oneshot::channel();
        let job = Job {
            order,
            notify_method: notify_method.to_owned(),
            now,
            reply,
        };
        self.0.submit(job, || PaymentWriter {
            db: state.db.clone(),
            gate: Arc::clone(&state.writes),
        });
        written
            .await
            .unwrap_or_else(|_| Err(DbErr::Custom("the payment batch was not written".into())))
    }
}

struct PaymentWriter {
    db: DatabaseConnection,
    gate: Arc<WriteGate>,
}

impl Writer for PaymentWriter {
    type Job = Job;
    const MAX_BATCH: usize = 256;

    async fn write(&self, jobs: Vec<Job>) {
        write_batch(&self.db, &self.gate, jobs).await;
    }

    fn abandon(job: Job) {
        let _ = job
            .reply
            .send(Err(DbErr::Custom("the payment writer failed".into())));
    }
}

async fn write_batch(db: &DatabaseConnection, gate: &WriteGate, jobs: Vec<Job>) {
    let _gate = gate.enter().await;
    let (orders, replies): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .map(|job| (job.order, (job.notify_method, job.now, job.reply)))
        .unzip();
    match insert(db, orders, &replies).await {
        Ok(written) => {
            for ((_, _, reply), pair) in replies.into_iter().zip(written) {
                let _ = reply.send(Ok(pair));
            }
        }
        Err(err) => {
            tracing::error!(%err, count = replies.len(), "cannot write a batch of test payments");
            for (_, _, reply) in replies {
                let _ = reply.send(Err(DbErr::Custom(err.to_string())));
            }
        }
    }
}

/// Both INSERTs in one transaction; the pairs in the order of `orders`.
async fn insert(
    db: &DatabaseConnection,
    orders: Vec<order::ActiveModel>,
    replies: &[(String, i64, oneshot::Sender<Written>)],
) -> Result<Vec<(order::Model, notification::Model)>, DbErr> {
    let keys = orders
        .iter()
        .map(
            |row| match (row.app_id.try_as_ref(), row.out_trade_no.try_as_ref()) {
                (Some(app_id), Some(out_trade_no)) => Ok((*app_id, out_trade_no.clone())),
                _ => Err(DbErr::Custom(
                    "a test payment without app_id or out_trade_no".into(),
                )),
            },
        )
        .collect::<Result<Vec<(i64, String)>, DbErr>>()?;
    let txn = db.begin().await?;
    // RETURNING promises no order: rows are matched back by their unique keys.
    let mut stored: HashMap<(i64, String), order::Model> = order::Entity::insert_many(orders)
        .exec_with_returning_many(&txn)
        .await?
        .into_iter()
        .map(|order| ((order.app_id, order.out_trade_no.clone()), order))
        .collect();
    // Each order gets its notify_id now that its id is known (the id ends the notify_id).
    let orders = keys
        .iter()
        .zip(replies)
        .map(|(key, (_, now, _))| {
            let mut order = stored
                .remove(key)
                .ok_or_else(|| DbErr::Custom("an inserted order came back missing".into()))?;
            order.notify_id = Some(super::gateway::new_notify_id(order.id));
            order.notified_at = Some(*now);
            Ok(order)
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    let rows = orders
        .iter()
        .zip(replies)
        .map(|(order, (method, now, _))| super::gateway::notification_row(method, order, *now))
        .collect::<Result<Vec<notification::ActiveModel>, DbErr>>()?;
    let mut queued: HashMap<i64, notification::Model> = notification::Entity::insert_many(rows)
        .exec_with_returning_many(&txn)
        .await?
        .into_iter()
        .map(|notification| (notification.order_id, notification))
        .collect();
    // The orders keep their notification's notify_id and creation time (for the
    // notify query): one UPDATE for the batch, copying them from the rows just written.
    let copied = order::Entity::update_many()
        .col_expr(order::Column::NotifyId, Expr::cust(COPY_NOTIFY_ID))
        .col_expr(order::Column::NotifiedAt, Expr::cust(COPY_NOTIFIED_AT))
        .filter(order::Column::Id.is_in(orders.iter().map(|order| order.id)))
        .exec(&txn)
        .await?;
    if copied.rows_affected != orders.len() as u64 {
        return Err(DbErr::Custom(format!(
            "{} of {} orders got their notify_id",
            copied.rows_affected,
            orders.len()
        )));
    }
    txn.commit().await?;
    orders
        .into_iter()
        .map(|order| {
            let notification = queued
                .remove(&order.id)
                .ok_or_else(|| DbErr::Custom("an inserted notification came back missing".into()))?;
            Ok((order, notification))
        })
        .collect()
}

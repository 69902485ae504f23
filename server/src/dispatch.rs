//! The notification dispatcher (SPEC §7): durable, at-least-once delivery.
//!
//! - Due notifications are **leased** in batches with one `UPDATE … RETURNING`
//!   (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several processes share the
//!   queue without taking the same row). A lease outlives the attempt timeout;
//!   after a crash it expires and the row is taken again, so a crash costs at
//!   most one extra attempt and loses nothing.
//! - Deliveries run concurrently, bounded in all and per target host. Rows wait
//!   in memory for a free slot at their host (without holding a global slot),
//!   at most [`HOST_QUEUE`] per host and never past their lease; beyond that a
//!   host's rows are handed back for a moment instead of holding up everyone
//!   else's.
//! - Results go to one recorder task that writes them in batches: the attempt
//!   rows and the notifications' next state in one transaction.
//! - On shutdown, claiming stops, in-flight attempts get a grace period to
//!   finish and be recorded, and any lease still held is released.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    Statement,
};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;

use app::ssr::apps;
use app::ssr::db::{app as app_entity, demo_receipt, inbox_message, notification, notification_attempt};
use app::ssr::keys::AppKey;
use app::ssr::notify::{self, Delivery};
use app::ssr::state::AppState;

/// Rows leased per round.
const BATCH: usize = 500;
/// How often the queue is polled when nothing wakes the dispatcher (other
/// processes may queue work; scheduled retries come due).
const POLL: Duration = Duration::from_millis(100);
/// A saturated host's rows come back this much later.
const HOST_BACKOFF_MS: i64 = 250;
/// Rows one host may hold in this process, waiting for a slot or in flight.
const HOST_QUEUE: usize = 3 * BATCH;
/// Rows this process holds in all (waiting or in flight): the claim budget.
const ADMITTED: usize = 6 * BATCH;

/// What a delivery task hands to the recorder.
enum Finished {
    /// An attempt was made.
    Attempt(Box<Delivery>),
    /// The row waited too long for its host (or shutdown came): give its lease back.
    /// With the row's id, the lease's expiry, which tells this claim from a later one.
    Release(i64, Option<i64>),
}

/// One target host's limits.
#[derive(Clone)]
struct Host {
    /// Deliveries in flight to it.
    inflight: Arc<Semaphore>,
    /// Rows held for it, waiting or in flight.
    queue: Arc<Semaphore>,
}

/// What every delivery task shares.
#[derive(Clone)]
struct Shared {
    global: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
    results: mpsc::Sender<Finished>,
    /// Signalled whenever a task finishes, so a paused claim loop can go on.
    freed: Arc<tokio::sync::Notify>,
    stop: watch::Receiver<bool>,
    /// How long a row may wait for its host's slot: its lease must outlast the attempt.
    max_wait: Duration,
}
/// How long shutdown waits for in-flight attempts.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// A running dispatcher.
pub struct DispatcherHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl DispatcherHandle {
    /// Stops claiming, lets in-flight attempts finish (up to [`SHUTDOWN_GRACE`]),
    /// records them and releases what is still leased.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(err) = self.task.await {
            tracing::error!(%err, "dispatcher task failed");
        }
    }
}

/// Starts the dispatcher for `state`'s database.
pub fn spawn(state: AppState) -> DispatcherHandle {
    let (stop, stopped) = watch::channel(false);
    let owner = format!("{}-{}", std::process::id(), app::ssr::gateway::random_token(9));
    let task = tokio::spawn(run(state, owner, stopped));
    DispatcherHandle { stop, task }
}

async fn run(state: AppState, owner: String, mut stop: watch::Receiver<bool>) {
    let total = state.settings.dispatch_concurrency;
    let mut hosts: HashMap<String, Host> = HashMap::new();
    let (results, inbox) = mpsc::channel::<Finished>(BATCH * 4);
    let recorder = tokio::spawn(record_loop(state.clone(), owner.clone(), inbox));
    // Long enough for an attempt to time out and be recorded; short enough that a
    // crashed dispatcher's rows come back soon.
    let lease = state.settings.notify_timeout * 2 + Duration::from_secs(5);
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    let shared = Shared {
        global: Arc::new(Semaphore::new(total)),
        admitted: Arc::new(Semaphore::new(ADMITTED)),
        results,
        freed: Arc::new(tokio::sync::Notify::new()),
        stop: stop.clone(),
        max_wait: lease.saturating_sub(state.settings.notify_timeout + Duration::from_secs(2)),
    };
    let mut last_prune: Option<i64> = None;
    // The queue of the last host found full, while it stays short of room.
    let mut saturated: Option<Arc<Semaphore>> = None;
    tracing::info!(%owner, "dispatcher started");
    while !*stop.borrow() {
        let mut now = state.clock.now_ms();
        if last_prune.is_none_or(|at| now - at > 3_600_000) {
            last_prune = Some(now);
            prune(&state, now).await;
            // Pruning may take a while: leases start from the time they are taken.
            now = state.clock.now_ms();
        }
        let mut capacity = shared.admitted.available_permits().min(BATCH);
        if let Some(queue) = &saturated {
            // The last round found a host (nearly) full. If it has room again, it is
            // draining: claim no more than that room, so its rows are not taken only to
            // be handed back. If it is still full it is slow: claim a whole batch, so
            // its due rows are handed back in bulk and other hosts' rows get through.
            let room = queue.available_permits();
            if room >= BATCH / 2 {
                capacity = capacity.min(room);
            }
        }
        let mut claimed = 0;
        let mut deferred = 0;
        if capacity > 0 {
            match claim(&state, &owner, now, lease_ms, capacity).await {
                Ok(rows) => {
                    claimed = rows.len();
                    (deferred, saturated) =
                        start_deliveries(&state, &owner, rows, &shared, &mut hosts, now).await;
                }
                Err(err) => tracing::error!(%err, "cannot lease notifications"),
            }
        }
        if let Some(queue) = saturated.as_ref().filter(|_| deferred > 0) {
            // Wait (up to one poll) until the full host has room for half a batch.
            let until = tokio::time::Instant::now() + POLL;
            while queue.available_permits() < BATCH / 2 && tokio::time::Instant::now() < until {
                tokio::select! {
                    _ = shared.freed.notified() => {}
                    _ = tokio::time::sleep_until(until) => {}
                    _ = stop.changed() => break,
                }
            }
            continue;
        }
        if claimed > 0 && claimed == capacity {
            continue; // more may be due right now
        }
        // Nothing (more) due, or no room: wait for a payment, a finished delivery (when
        // short of room) or the next poll.
        let short = capacity == 0;
        tokio::select! {
            _ = state.wake.notified() => {}
            _ = shared.freed.notified(), if short => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => {}
        }
    }
    // Shutdown: waiting rows give their leases back; in-flight attempts finish (or
    // the grace runs out), then are recorded.
    let all = u32::try_from(ADMITTED).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, shared.admitted.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("in-flight notifications did not finish within the grace period");
    }
    drop(shared);
    if let Err(err) = recorder.await {
        tracing::error!(%err, "recorder task failed");
    }
    release_all(&state, &owner).await;
    tracing::info!(%owner, "dispatcher stopped");
}

/// Leases up to `limit` due notifications for `owner`.
async fn claim(
    state: &AppState,
    owner: &str,
    now: i64,
    lease_ms: i64,
    limit: usize,
) -> Result<Vec<notification::Model>, DbErr> {
    let _gate = state.writes.enter().await;
    let backend = state.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE notifications SET lease_owner = $1, lease_expires_at = $2 \
             WHERE id IN (SELECT id FROM notifications \
               WHERE status = 'pending' AND next_attempt_at <= $3 \
                 AND (lease_expires_at IS NULL OR lease_expires_at < $3) \
               ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING *"
        }
        // SQLite takes the write lock for the whole statement: no two claims overlap.
        _ => {
            "UPDATE notifications SET lease_owner = ?, lease_expires_at = ? \
             WHERE id IN (SELECT id FROM notifications \
               WHERE status = 'pending' AND next_attempt_at <= ? \
                 AND (lease_expires_at IS NULL OR lease_expires_at < ?) \
               ORDER BY next_attempt_at LIMIT ?) \
             RETURNING *"
        }
    };
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let values: Vec<sea_orm::Value> = match backend {
        DatabaseBackend::Postgres => vec![owner.into(), (now + lease_ms).into(), now.into(), limit.into()],
        _ => vec![
            owner.into(),
            (now + lease_ms).into(),
            now.into(),
            now.into(),
            limit.into(),
        ],
    };
    let rows = state
        .db
        .query_all(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.iter()
        .map(|row| notification::Model::from_query_result(row, ""))
        .collect()
}

/// The `host:port` a URL points at: the unit of per-host limits.
fn authority(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => format!(
            "{}:{}",
            parsed.host_str().unwrap_or_default(),
            parsed.port_or_known_default().unwrap_or_default()
        ),
        Err(_) => url.to_owned(),
    }
}

/// Starts a task per leased row. Returns how many rows were handed back because
/// their host already holds [`HOST_QUEUE`] rows, and the queue of the fullest host
/// of this batch when it is full or has room for less than half a batch.
async fn start_deliveries(
    state: &AppState,
    owner: &str,
    rows: Vec<notification::Model>,
    shared: &Shared,
    hosts: &mut HashMap<String, Host>,
    now: i64,
) -> (usize, Option<Arc<Semaphore>>) {
    if rows.is_empty() {
        return (0, None);
    }
    let app_ids: HashSet<i64> = rows.iter().map(|row| row.app_id).collect();
    // Each app's key is decrypted once per batch, not once per delivery.
    let apps: HashMap<i64, Arc<(app_entity::Model, AppKey)>> = match app_entity::Entity::find()
        .filter(app_entity::Column::Id.is_in(app_ids))
        .all(&state.db)
        .await
    {
        Ok(apps) => apps
            .into_iter()
            .filter_map(|app| match apps::current_key(&state.master_key, &app) {
                Ok(key) => Some((app.id, Arc::new((app, key)))),
                Err(err) => {
                    tracing::error!(appid = %app.appid, %err, "cannot decrypt an app key");
                    None
                }
            })
            .collect(),
        Err(err) => {
            // The leases expire and the rows are taken again.
            tracing::error!(%err, "cannot load the apps of leased notifications");
            return (0, None);
        }
    };
    if hosts.len() > 10_000 {
        hosts.retain(|_, host| host.queue.available_permits() < HOST_QUEUE);
    }
    let per_host = state.settings.dispatch_per_host;
    let mut deferred = Vec::new();
    let mut fullest: Option<Arc<Semaphore>> = None;
    for row in rows {
        let Some(app) = apps.get(&row.app_id).cloned() else {
            deferred.push(row.id);
            continue;
        };
        let host = hosts
            .entry(authority(&row.url))
            .or_insert_with(|| Host {
                inflight: Arc::new(Semaphore::new(per_host)),
                queue: Arc::new(Semaphore::new(HOST_QUEUE)),
            })
            .clone();
        if fullest
            .as_ref()
            .is_none_or(|queue| host.queue.available_permits() < queue.available_permits())
        {
            fullest = Some(host.queue.clone());
        }
        let Ok(queued) = host.queue.clone().try_acquire_owned() else {
            deferred.push(row.id);
            continue;
        };
        let Ok(admitted) = shared.admitted.clone().try_acquire_owned() else {
            deferred.push(row.id);
            continue;
        };
        let state = state.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let (id, lease) = (row.id, row.lease_expires_at);
            let mut stop = shared.stop.clone();
            let stopping = async move { stop.wait_for(|stopped| *stopped).await.is_ok() };
            // A slot at the host first, then one overall: rows waiting for a busy host
            // hold no global slot, so they never delay other hosts.
            let slots = async {
                let at_host = host.inflight.acquire_owned().await.ok()?;
                let overall = shared.global.clone().acquire_owned().await.ok()?;
                Some((at_host, overall))
            };
            let finished = tokio::select! {
                slots = tokio::time::timeout(shared.max_wait, slots) => match slots {
                    Ok(Some((at_host, overall))) => {
                        // Boxed: a waiting task stays small; the request's state exists only while it runs.
                        let delivery = Box::pin(notify::deliver(&state, &app.0, &app.1, row, false)).await;
                        drop(at_host);
                        // The recorder only stops after every sender is gone.
                        let _ = shared.results.send(Finished::Attempt(Box::new(delivery))).await;
                        drop(overall);
                        None
                    }
                    _ => Some(Finished::Release(id, lease)),
                },
                _ = stopping => Some(Finished::Release(id, lease)),
            };
            if let Some(release) = finished {
                let _ = shared.results.send(release).await;
            }
            drop(queued);
            drop(admitted);
            shared.freed.notify_one();
        });
    }
    let count = deferred.len();
    if !deferred.is_empty() {
        let pushed = notification::Entity::update_many()
            .col_expr(notification::Column::LeaseOwner, Option::<String>::None.into())
            .col_expr(notification::Column::LeaseExpiresAt, Option::<i64>::None.into())
            .col_expr(
                notification::Column::NextAttemptAt,
                Some(now + HOST_BACKOFF_MS).into(),
            )
            .filter(notification::Column::Id.is_in(deferred))
            .filter(notification::Column::LeaseOwner.eq(owner))
            .exec(&state.db)
            .await;
        if let Err(err) = pushed {
            tracing::error!(%err, "cannot hand back notifications of a busy host");
        }
    }
    let saturated = fullest.filter(|queue| count > 0 || queue.available_permits() < BATCH / 2);
    (count, saturated)
}

/// Writes finished attempts (and hands back rows that never started) in batches.
async fn record_loop(state: AppState, owner: String, mut inbox: mpsc::Receiver<Finished>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut released = Vec::new();
    while let Some(first) = inbox.recv().await {
        let mut next = Some(first);
        while let Some(finished) = next {
            match finished {
                Finished::Attempt(delivery) => batch.push(*delivery),
                Finished::Release(id, lease) => released.push((id, lease)),
            }
            next = if batch.len() < BATCH {
                inbox.try_recv().ok()
            } else {
                None
            };
        }
        record_batch(&state, &owner, &batch).await;
        batch.clear();
        // Grouped by claim: a lease taken again since (by this process too) stays.
        while let Some(&(_, lease)) = released.first() {
            let ids: Vec<i64> = released
                .iter()
                .filter(|(_, other)| *other == lease)
                .map(|(id, _)| *id)
                .collect();
            released.retain(|(_, other)| *other != lease);
            let mut update = notification::Entity::update_many()
                .col_expr(notification::Column::LeaseOwner, Option::<String>::None.into())
                .col_expr(notification::Column::LeaseExpiresAt, Option::<i64>::None.into())
                .filter(notification::Column::Id.is_in(ids))
                .filter(notification::Column::LeaseOwner.eq(owner.as_str()));
            if let Some(lease) = lease {
                update = update.filter(notification::Column::LeaseExpiresAt.eq(lease));
            }
            if let Err(err) = update.exec(&state.db).await {
                tracing::error!(%err, "cannot hand back notifications that waited too long");
            }
        }
    }
}

/// One try at recording `deliveries`, through the write gate.
async fn record_once(state: &AppState, owner: &str, deliveries: &[notify::Delivery]) -> Result<(), DbErr> {
    let _gate = state.writes.enter().await;
    notify::record(
        &state.db,
        &state.settings.notify_retry_schedule,
        deliveries,
        Some(owner),
        state.clock.now_ms(),
    )
    .await
}

/// Pauses before each new try of a batch the database refused.
const RECORD_RETRIES: [Duration; 3] = [
    Duration::from_millis(200),
    Duration::from_secs(1),
    Duration::from_secs(5),
];

/// Records a batch of attempts. When the database refuses it (briefly unavailable, busy),
/// it is tried again after each of [`RECORD_RETRIES`]; then each attempt on its own, so
/// that one row the database cannot take does not lose the others. An attempt still not
/// recorded leaves its row leased: when the lease expires it is attempted again.
async fn record_batch(state: &AppState, owner: &str, batch: &[notify::Delivery]) {
    let record = |deliveries| record_once(state, owner, deliveries);
    let mut result = record(batch).await;
    for pause in RECORD_RETRIES {
        let Err(err) = &result else {
            return;
        };
        tracing::warn!(%err, count = batch.len(), "cannot record notification attempts; trying again");
        tokio::time::sleep(pause).await;
        result = record(batch).await;
    }
    if result.is_ok() {
        return;
    }
    for delivery in batch {
        if let Err(err) = record(std::slice::from_ref(delivery)).await {
            tracing::error!(
                %err,
                notification_id = delivery.notification.id,
                "cannot record a notification attempt"
            );
        }
    }
}

/// Releases every lease `owner` still holds (shutdown).
async fn release_all(state: &AppState, owner: &str) {
    let released = notification::Entity::update_many()
        .col_expr(notification::Column::LeaseOwner, Option::<String>::None.into())
        .col_expr(notification::Column::LeaseExpiresAt, Option::<i64>::None.into())
        .filter(notification::Column::LeaseOwner.eq(owner))
        .exec(&state.db)
        .await;
    match released {
        Ok(result) if result.rows_affected > 0 => {
            tracing::info!(released = result.rows_affected, "released notification leases")
        }
        Ok(_) => {}
        Err(err) => tracing::error!(%err, "cannot release notification leases"),
    }
}

/// Deletes attempts, and what the built-in inboxes and the demo receiver got, older than
/// the retention period.
async fn prune(state: &AppState, now: i64) {
    let cutoff = now - i64::from(state.settings.notify_retention_days) * 86_400_000;
    let attempts = notification_attempt::Entity::delete_many()
        .filter(notification_attempt::Column::StartedAt.lt(cutoff))
        .exec(&state.db)
        .await;
    log_pruned("notification attempts", attempts);
    let messages = inbox_message::Entity::delete_many()
        .filter(inbox_message::Column::ReceivedAt.lt(cutoff))
        .exec(&state.db)
        .await;
    log_pruned("inbox messages", messages);
    let receipts = demo_receipt::Entity::delete_many()
        .filter(demo_receipt::Column::ReceivedAt.lt(cutoff))
        .exec(&state.db)
        .await;
    log_pruned("demo receipts", receipts);
}

/// Logs what one of [`prune`]'s deletes did (nothing when it deleted nothing).
fn log_pruned(what: &str, result: Result<sea_orm::DeleteResult, DbErr>) {
    match result {
        Ok(result) if result.rows_affected > 0 => {
            tracing::info!(deleted = result.rows_affected, "pruned old {what}")
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(%err, "cannot prune {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::authority;

    #[test]
    fn hosts_are_keyed_by_host_and_port() {
        assert_eq!(authority("http://127.0.0.1:9/notify"), "127.0.0.1:9");
        assert_eq!(authority("https://shop.example/n?x=1"), "shop.example:443");
        assert_eq!(authority("http://shop.example/n"), "shop.example:80");
    }
}

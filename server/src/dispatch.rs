//! Notification delivery. Paying queues a notification row; its first attempt
//! goes out at once from here, and the attempt is recorded like any other.

use app::ssr::db::notification;
use app::ssr::notify;
use app::ssr::state::AppState;

/// Makes the first attempt of a just-queued notification in the background.
pub fn deliver_soon(state: AppState, queued: notification::Model) {
    tokio::spawn(async move {
        let notify_id = queued.notify_id.clone();
        match notify::attempt(&state, queued, false).await {
            Ok(attempt) => tracing::info!(
                %notify_id,
                outcome = %attempt.outcome,
                status = ?attempt.response_status,
                duration_ms = attempt.duration_ms,
                "notification attempt"
            ),
            Err(err) => tracing::error!(%notify_id, %err, "notification attempt could not be recorded"),
        }
    });
}

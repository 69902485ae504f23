//! One delivery attempt of a notification (SPEC §7): sign, send, classify the
//! answer, record the attempt, and schedule the next one.

use std::time::{Duration, Instant};

use sdk::sign::Charset;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

use super::db::{app, notification, notification_attempt};
use super::gateway::sign_with_key;
use super::hint::Hint;
use super::keys::AppKey;
use super::state::AppState;

/// At most this much of a response body is read and stored.
pub const MAX_BODY: usize = 4096;
/// The User-Agent of every notification.
pub const USER_AGENT: &str = concat!("OpenPlatformSandbox-Notify/", env!("CARGO_PKG_VERSION"));

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub delivered: bool,
    pub status: Option<u16>,
    pub body: String,
    pub error: String,
    /// What to fix, when the attempt was not acknowledged.
    pub hint: Option<Hint>,
}

impl Outcome {
    fn failed(error: impl Into<String>, hint: Hint) -> Self {
        Self {
            delivered: false,
            status: None,
            body: String::new(),
            error: error.into(),
            hint: Some(hint),
        }
    }
}

/// Classifies an HTTP answer: acknowledged only by 2xx and a body that, trimmed of
/// ASCII whitespace, is exactly `success`.
pub fn classify(status: u16, location: Option<&str>, body: &str) -> Outcome {
    let trimmed = body.trim_matches(|c: char| c.is_ascii_whitespace());
    let mut outcome = Outcome {
        delivered: false,
        status: Some(status),
        body: body.to_owned(),
        error: String::new(),
        hint: None,
    };
    if (200..300).contains(&status) && trimmed == "success" {
        outcome.delivered = true;
        return outcome;
    }
    let (error, hint) = if (300..400).contains(&status) {
        (
            format!("HTTP {status} redirect"),
            Hint::Redirect(location.map(str::to_owned)),
        )
    } else if !(200..300).contains(&status) {
        (format!("HTTP {status}"), Hint::Status(status))
    } else if trimmed.eq_ignore_ascii_case("success") {
        ("wrong case".to_owned(), Hint::WrongCase(trimmed.to_owned()))
    } else if trimmed.to_ascii_lowercase().contains("success") {
        ("success inside other text".to_owned(), Hint::SuccessInsideText)
    } else if trimmed.is_empty() {
        ("empty body".to_owned(), Hint::EmptyBody)
    } else {
        ("not acknowledged".to_owned(), Hint::NotSuccess)
    };
    outcome.error = error;
    outcome.hint = Some(hint);
    outcome
}

/// Classifies a transport error: timeout, refused connection, DNS or TLS.
pub fn classify_error(err: &reqwest::Error, timeout: Duration) -> Outcome {
    let chain = {
        let mut text = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            source = inner.source();
        }
        text
    };
    let lower = chain.to_ascii_lowercase();
    let hint = if err.is_timeout() {
        Hint::Timeout(timeout)
    } else if lower.contains("blocked:") {
        Hint::Blocked
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        Hint::Dns
    } else if lower.contains("connection refused") {
        Hint::Refused
    } else if [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "rustls",
        "alert",
    ]
    .iter()
    .any(|word| lower.contains(word))
    {
        Hint::Tls
    } else if err.is_connect() {
        Hint::Connect
    } else {
        Hint::NoAnswer
    };
    Outcome::failed(chain, hint)
}

/// Reads at most [`MAX_BODY`] bytes of a body, as (lossy) UTF-8, and whether there was
/// more.
async fn read_capped(mut response: reqwest::Response) -> Result<(String, bool), reqwest::Error> {
    let mut body = Vec::new();
    let mut more = false;
    while !more {
        match response.chunk().await? {
            Some(chunk) => {
                let room = MAX_BODY - body.len();
                more = chunk.len() > room;
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            None => break,
        }
    }
    Ok((String::from_utf8_lossy(&body).into_owned(), more))
}

/// Whether an address is loopback, private, link-local or otherwise not on the
/// public internet (the SSRF guard of `PORTAL_NOTIFY_BLOCK_PRIVATE`).
pub fn is_private(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0 // 0.0.0.0/8, "this network"
                || a >= 240 // 240.0.0.0/4, reserved
                || (a == 100 && (b & 0xc0) == 64) // 100.64.0.0/10, carrier-grade NAT
                || (a == 192 && b == 0 && c == 0) // 192.0.0.0/24, protocol assignments
                || (a == 198 && (b & 0xfe) == 18) // 198.18.0.0/15, benchmarking
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let embedded = |high: u16, low: u16| {
                let [a, b] = high.to_be_bytes();
                let [c, d] = low.to_be_bytes();
                is_private(IpAddr::V4(std::net::Ipv4Addr::new(a, b, c, d)))
            };
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address inside.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return embedded(segments[6], segments[7]);
            }
            if segments[0] == 0x2002 {
                return embedded(segments[1], segments[2]);
            }
            let first = segments[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || segments[..6] == [0; 6] // ::a.b.c.d, IPv4-compatible (deprecated)
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        }
    }
}

/// A DNS resolver that drops private addresses, so a public name that resolves
/// to an internal address is refused after resolution, not before.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| !is_private(addr.ip()))
                .collect();
            if addrs.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> =
                    format!("blocked: {host} resolves only to private or loopback addresses").into();
                return Err(err);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Sends one attempt (signed now, with the app's current key) and classifies it.
pub async fn send(state: &AppState, method: &str, url: &str, query: &str) -> Outcome {
    let timeout = state.settings.notify_timeout;
    if state.settings.notify_block_private
        && let Ok(parsed) = url::Url::parse(url)
    {
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(v4)) => Some(std::net::IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(std::net::IpAddr::V6(v6)),
            _ => None,
        };
        if literal.is_some_and(is_private) {
            return Outcome::failed(
                format!("blocked: {url} is a private or loopback address"),
                Hint::Blocked,
            );
        }
    }
    let request = if method == "POST" {
        state
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(query.to_owned())
    } else {
        state.http.get(sdk::params::append_query(url, query))
    };
    match request.timeout(timeout).send().await {
        Err(err) => classify_error(&err, timeout),
        Ok(response) => {
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            match read_capped(response).await {
                // Whatever the first 4 KiB say, a longer body is not exactly `success`.
                Ok((body, true)) => {
                    let mut outcome = classify(status, location.as_deref(), &body);
                    if outcome.delivered {
                        outcome.delivered = false;
                        outcome.error = format!("a body over {MAX_BODY} bytes");
                        outcome.hint = Some(Hint::SuccessInsideText);
                    }
                    outcome
                }
                Ok((body, false)) => classify(status, location.as_deref(), &body),
                Err(err) => {
                    let mut outcome = classify_error(&err, timeout);
                    outcome.status = Some(status);
                    outcome
                }
            }
        }
    }
}

/// When the next scheduled attempt is due after `attempts` failed ones, or `None`
/// when the schedule is exhausted. Fast apps turn minutes into seconds.
pub fn next_delay(schedule: &[Duration], attempts: i32, fast: bool) -> Option<Duration> {
    let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
    let delay = *schedule.get(index)?;
    Some(if fast { delay / 60 } else { delay })
}

/// A scenario whose first delivery waits [`DELAYED_FIRST_MS`].
pub const SCENARIO_DELAYED: &str = "delayed";
/// A scenario whose notification is delivered twice (the same notify_id).
pub const SCENARIO_DUPLICATE: &str = "duplicate";
/// A duplicate-delivery notification whose first delivery succeeded.
pub const SCENARIO_DUPLICATE_SENT: &str = "duplicate-sent";
/// How long the delayed scenario holds back the first delivery.
pub const DELAYED_FIRST_MS: i64 = 30_000;
/// When the duplicate scenario delivers again after the first success.
pub const DUPLICATE_AFTER_MS: i64 = 3_000;

/// One finished attempt, ready to record.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub notification: notification::Model,
    pub manual: bool,
    pub started_at: i64,
    pub duration_ms: i64,
    /// The signed parameters sent, as a query string.
    pub query: String,
    pub outcome: Outcome,
    /// Whether the app retries in seconds instead of minutes.
    pub fast: bool,
}

/// The signed parameters of a notification, in the charset it was created with,
/// signed with `key` (the app's current key, in slot `key_index`).
pub fn signed_query(key: &str, key_index: i16, notification: &notification::Model) -> Result<String, String> {
    let stored: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&notification.params).map_err(|err| format!("stored parameters: {err}"))?;
    let charset = stored
        .get("input_charset")
        .and_then(|value| value.as_str())
        .and_then(Charset::parse)
        .unwrap_or_default();
    let pairs = stored
        .into_iter()
        .map(|(name, value)| (name, value.as_str().unwrap_or_default().to_owned()));
    let params = sign_with_key(key, key_index, pairs, charset).map_err(|err| err.retmsg)?;
    Ok(params.to_query())
}

/// Signs (with the app's current `key`) and sends one attempt of `notification`
/// now; nothing is written.
pub async fn deliver(
    state: &AppState,
    app: &app::Model,
    key: &AppKey,
    notification: notification::Model,
    manual: bool,
) -> Delivery {
    let started_at = state.clock.now_ms();
    let timer = Instant::now();
    let (query, outcome) = match signed_query(key.expose(), app.current_key_index, &notification) {
        Ok(query) => {
            let outcome = send(state, &notification.method, &notification.url, &query).await;
            (query, outcome)
        }
        Err(err) => {
            tracing::error!(notify_id = %notification.notify_id, %err, "cannot sign a notification");
            (String::new(), Outcome::failed(err, Hint::NotSigned))
        }
    };
    Delivery {
        notification,
        manual,
        started_at,
        duration_ms: i64::try_from(timer.elapsed().as_millis()).unwrap_or(i64::MAX),
        query,
        outcome,
        fast: app.retry_speed == "fast",
    }
}

/// Where a notification goes after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextState {
    pub status: String,
    pub next_attempt_at: Option<i64>,
    pub schedule_step: i32,
    pub delivered_at: Option<i64>,
    pub scenario: String,
}

/// The notification's state after an attempt that `delivered` or not, at `now`.
///
/// A scheduled failure moves one step along the schedule, and past its end the
/// notification is `failed`. A manual attempt never moves the schedule; it can
/// only deliver. The duplicate scenario goes out once more after its first success.
pub fn next_state(
    schedule: &[Duration],
    notification: &notification::Model,
    delivered: bool,
    manual: bool,
    fast: bool,
    now: i64,
) -> NextState {
    let mut next = NextState {
        status: notification.status.clone(),
        next_attempt_at: notification.next_attempt_at,
        schedule_step: notification.schedule_step,
        delivered_at: notification.delivered_at,
        scenario: notification.scenario.clone(),
    };
    if delivered {
        next.delivered_at = Some(now);
        if notification.scenario == SCENARIO_DUPLICATE && !manual {
            next.status = "pending".into();
            next.next_attempt_at = Some(now + DUPLICATE_AFTER_MS);
            next.scenario = SCENARIO_DUPLICATE_SENT.into();
        } else {
            next.status = "delivered".into();
            next.next_attempt_at = None;
        }
    } else if !manual {
        next.schedule_step = notification.schedule_step + 1;
        match next_delay(schedule, next.schedule_step, fast) {
            Some(delay) => {
                next.status = "pending".into();
                next.next_attempt_at = Some(now + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
            }
            None => {
                next.status = "failed".into();
                next.next_attempt_at = None;
            }
        }
    }
    next
}

/// Text as a `text` column takes it: PostgreSQL refuses NUL characters, which an
/// endpoint's answer may hold (binary junk, UTF-16); they become U+FFFD.
fn storable(text: &str) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text.to_owned()
    }
}

/// Ids per `IN (…)` list: far below SQLite's and PostgreSQL's bound-parameter limits.
const GROUP_CHUNK: usize = 1000;

/// Records attempts and moves their notifications, in one transaction.
///
/// With `owner` (the dispatcher), a notification whose lease another dispatcher
/// has taken meanwhile keeps its state; its attempt is still logged and counted.
pub async fn record(
    db: &DatabaseConnection,
    schedule: &[Duration],
    deliveries: &[Delivery],
    owner: Option<&str>,
    now: i64,
) -> Result<(), DbErr> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    let attempts = deliveries.iter().map(|d| notification_attempt::ActiveModel {
        notification_id: Set(d.notification.id),
        attempt_no: Set(d.notification.attempts + 1),
        manual: Set(d.manual),
        started_at: Set(d.started_at),
        duration_ms: Set(d.duration_ms),
        method: Set(d.notification.method.clone()),
        url: Set(d.notification.url.clone()),
        request: Set(storable(&d.query)),
        response_status: Set(d.outcome.status.map(i32::from)),
        response_body: Set(storable(&d.outcome.body)),
        outcome: Set(if d.outcome.delivered {
            "delivered"
        } else {
            "failed"
        }
        .into()),
        error: Set(storable(&d.outcome.error)),
        hint: Set(d.outcome.hint.as_ref().map(Hint::code).unwrap_or_default()),
        ..Default::default()
    });
    notification_attempt::Entity::insert_many(attempts)
        .exec(&txn)
        .await?;
    // Scheduled attempts that lead to the same next state, from the same claim (its lease
    // expiry), are moved by one UPDATE (in a drain, nearly all of them): a handful of
    // statements per batch, not one per row.
    // (next state, the claim's lease expiry) → notification ids.
    type Group = ((NextState, Option<i64>), Vec<i64>);
    let mut groups: Vec<Group> = Vec::new();
    for d in deliveries.iter().filter(|d| !d.manual) {
        let next = next_state(schedule, &d.notification, d.outcome.delivered, false, d.fast, now);
        let key = (next, d.notification.lease_expires_at);
        match groups.iter_mut().find(|(group, _)| *group == key) {
            Some((_, ids)) => ids.push(d.notification.id),
            None => groups.push((key, vec![d.notification.id])),
        }
    }
    let counted = || {
        notification::Entity::update_many()
            .col_expr(
                notification::Column::Attempts,
                Expr::col(notification::Column::Attempts).add(1),
            )
            .col_expr(notification::Column::UpdatedAt, now.into())
    };
    for ((next, lease), ids) in groups {
        for chunk in ids.chunks(GROUP_CHUNK) {
            if let Some(owner) = owner {
                // Rows this claim no longer holds: another dispatcher took the lease over
                // (this one stalled past its expiry), or it was released (Restart schedule,
                // a delivered Resend now) and perhaps claimed again, by this process too,
                // with a new expiry. Their state is not this attempt's to set, but the
                // attempt happened and counts.
                let mut lost = Condition::any()
                    .add(notification::Column::LeaseOwner.is_null())
                    .add(notification::Column::LeaseOwner.ne(owner));
                if let Some(lease) = lease {
                    lost = lost
                        .add(notification::Column::LeaseExpiresAt.is_null())
                        .add(notification::Column::LeaseExpiresAt.ne(lease));
                }
                counted()
                    .filter(notification::Column::Id.is_in(chunk.iter().copied()))
                    .filter(lost)
                    .exec(&txn)
                    .await?;
            }
            let mut update = counted()
                .col_expr(notification::Column::Status, next.status.clone().into())
                .col_expr(notification::Column::NextAttemptAt, next.next_attempt_at.into())
                .col_expr(notification::Column::ScheduleStep, next.schedule_step.into())
                .col_expr(notification::Column::Scenario, next.scenario.clone().into())
                .col_expr(notification::Column::DeliveredAt, next.delivered_at.into())
                .col_expr(notification::Column::LeaseOwner, Option::<String>::None.into())
                .col_expr(notification::Column::LeaseExpiresAt, Option::<i64>::None.into())
                .filter(notification::Column::Id.is_in(chunk.iter().copied()));
            if let Some(owner) = owner {
                update = update.filter(notification::Column::LeaseOwner.eq(owner));
                if let Some(lease) = lease {
                    update = update.filter(notification::Column::LeaseExpiresAt.eq(lease));
                }
            }
            update.exec(&txn).await?;
        }
    }
    // Manual attempts only count, and mark a notification delivered when they deliver.
    // Delivered, they also end any lease: a scheduled attempt still in flight then only
    // counts when it is recorded, instead of setting the state it would have led to.
    for d in deliveries.iter().filter(|d| d.manual) {
        let mut update = counted().filter(notification::Column::Id.eq(d.notification.id));
        if d.outcome.delivered {
            update = update
                .col_expr(notification::Column::Status, "delivered".into())
                .col_expr(notification::Column::NextAttemptAt, Option::<i64>::None.into())
                .col_expr(notification::Column::DeliveredAt, Some(now).into())
                .col_expr(notification::Column::LeaseOwner, Option::<String>::None.into())
                .col_expr(notification::Column::LeaseExpiresAt, Option::<i64>::None.into());
        }
        update.exec(&txn).await?;
    }
    txn.commit().await
}

/// Why a manual action on a notification failed.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No such notification for this ISV: the same answer either way.
    #[error("notification not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

async fn find_for_isv(
    db: &DatabaseConnection,
    isv_id: i64,
    notify_id: &str,
) -> Result<notification::Model, NotifyError> {
    notification::Entity::find_for_isv(isv_id)
        .filter(notification::Column::NotifyId.eq(notify_id))
        .one(db)
        .await?
        .ok_or(NotifyError::NotFound)
}

/// "Resend now": one manual attempt at once, recorded as manual. It delivers or
/// not; it never moves the schedule.
pub async fn resend_now(
    state: &AppState,
    isv_id: i64,
    notify_id: &str,
) -> Result<notification_attempt::Model, NotifyError> {
    let notification = find_for_isv(&state.db, isv_id, notify_id).await?;
    let app = app::Entity::find_by_id(notification.app_id)
        .one(&state.db)
        .await?
        .ok_or(NotifyError::NotFound)?;
    let key =
        super::apps::current_key(&state.master_key, &app).map_err(|err| DbErr::Custom(err.to_string()))?;
    let id = notification.id;
    // On a task of its own: a browser that goes away mid-attempt (which drops this
    // request's future) cancels neither the attempt nor its record.
    let task_state = state.clone();
    let delivery = tokio::spawn(async move {
        let delivery = deliver(&task_state, &app, &key, notification, true).await;
        record(
            &task_state.db,
            &task_state.settings.notify_retry_schedule,
            std::slice::from_ref(&delivery),
            None,
            task_state.clock.now_ms(),
        )
        .await
        .map(|()| delivery)
    })
    .await
    .map_err(|err| DbErr::Custom(format!("the manual attempt failed: {err}")))??;
    // This attempt, not a scheduled one recorded at the same moment.
    notification_attempt::Entity::find()
        .filter(notification_attempt::Column::NotificationId.eq(id))
        .filter(notification_attempt::Column::Manual.eq(true))
        .filter(notification_attempt::Column::StartedAt.eq(delivery.started_at))
        .order_by_desc(notification_attempt::Column::Id)
        .one(&state.db)
        .await?
        .ok_or(NotifyError::NotFound)
}

/// "Restart schedule": pending again from the first step, due now.
pub async fn restart_schedule(state: &AppState, isv_id: i64, notify_id: &str) -> Result<(), NotifyError> {
    let notification = find_for_isv(&state.db, isv_id, notify_id).await?;
    let now = state.clock.now_ms();
    notification::Entity::update_many()
        .col_expr(notification::Column::Status, "pending".into())
        .col_expr(notification::Column::ScheduleStep, 0.into())
        .col_expr(notification::Column::NextAttemptAt, Some(now).into())
        .col_expr(notification::Column::LeaseOwner, Option::<String>::None.into())
        .col_expr(notification::Column::LeaseExpiresAt, Option::<i64>::None.into())
        .col_expr(notification::Column::UpdatedAt, now.into())
        .filter(notification::Column::Id.eq(notification.id))
        .exec(&state.db)
        .await?;
    state.wake.notify_one();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bare_success_with_2xx_acknowledges() {
        assert!(classify(200, None, "success").delivered);
        assert!(classify(204, None, " \r\nsuccess\n").delivered);
        assert_eq!(classify(200, None, "success").hint, None);
        let cases = [
            (200, "SUCCESS", Hint::WrongCase("SUCCESS".into())),
            (200, "<html><body>success</body></html>", Hint::SuccessInsideText),
            (200, "fail", Hint::NotSuccess),
            (200, "", Hint::EmptyBody),
            (500, "success", Hint::Status(500)),
            (302, "", Hint::Redirect(Some("http://elsewhere/".into()))),
        ];
        for (status, body, hint) in cases {
            let outcome = classify(status, Some("http://elsewhere/"), body);
            assert!(!outcome.delivered, "{status} {body}");
            assert_eq!(outcome.hint, Some(hint), "{status} {body}");
        }
    }

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "2002:c0a8:1::1",
            "2002:7f00:1::",
            "::7f00:1",
            "fec0::1",
            "ff02::1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700::1111",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "198.20.0.1",
        ] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn the_schedule_gives_six_retries_then_stops() {
        let schedule: Vec<Duration> = [1, 2, 4, 8, 16, 32]
            .iter()
            .map(|m| Duration::from_secs(m * 60))
            .collect();
        assert_eq!(next_delay(&schedule, 1, false), Some(Duration::from_secs(60)));
        assert_eq!(
            next_delay(&schedule, 6, false),
            Some(Duration::from_secs(32 * 60))
        );
        assert_eq!(next_delay(&schedule, 7, false), None);
        assert_eq!(next_delay(&schedule, 2, true), Some(Duration::from_secs(2)));
        assert_eq!(next_delay(&schedule, 0, false), None);
    }
}

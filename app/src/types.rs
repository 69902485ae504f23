//! Values shared by the server and the browser.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The logged-in user and their ISV account (the tenant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// The user's id.
    pub user_id: i64,
    /// The ISV (tenant) the user belongs to.
    pub isv_id: i64,
    /// The user's normalised e-mail.
    pub email: String,
    /// The ISV's display name.
    pub isv_name: String,
    /// The language the user chose (`en` or `zh`), if any.
    pub locale: Option<String>,
}

/// A message for the next page, after a form post redirected (post/redirect/get).
///
/// It carries what the user typed, so the form can be shown again filled in,
/// and an error per field. Passwords and keys are never kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// An error about the whole form, shown above it.
    pub error: String,
    /// A success message.
    pub notice: String,
    /// What the user typed, by field name.
    pub values: BTreeMap<String, String>,
    /// Errors by field name.
    pub field_errors: BTreeMap<String, String>,
}

impl Flash {
    /// A flash with only an error message.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            error: message.into(),
            ..Self::default()
        }
    }

    /// A flash with only a notice.
    pub fn notice(message: impl Into<String>) -> Self {
        Self {
            notice: message.into(),
            ..Self::default()
        }
    }

    /// The flash with each typed value cut to [`Flash::MAX_VALUE`] characters, so that a
    /// form posted with a huge value (anyone can post the login form) stores a small
    /// session: no field accepts more, so a longer value has an error to show anyway.
    pub fn bounded(mut self) -> Self {
        for value in self.values.values_mut() {
            if let Some((cut, _)) = value.char_indices().nth(Self::MAX_VALUE) {
                value.truncate(cut);
            }
        }
        self
    }

    /// The most characters of a typed value a flash keeps: the longest field, an app's
    /// description, takes 1,000.
    pub const MAX_VALUE: usize = 1000;

    /// What the user typed into `field` (empty if nothing).
    pub fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }

    /// The error for `field` (empty if none).
    pub fn field_error(&self, field: &str) -> String {
        self.field_errors.get(field).cloned().unwrap_or_default()
    }
}

/// What every page needs to know about the visitor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The logged-in user, if any.
    pub user: Option<CurrentUser>,
    /// A one-time message left by the previous form post.
    pub flash: Option<Flash>,
    /// The path of the page load that took the flash: the only page it is for.
    pub flash_path: String,
    /// The language the page is shown in.
    pub locale: crate::i18n::Locale,
}

/// An app as listed on `/apps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSummary {
    /// The 10-digit appid.
    pub appid: String,
    /// The app's name.
    pub name: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Creation time, unix ms.
    pub created_at: i64,
}

/// What a key slot is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeySlotState {
    /// Signs outgoing messages and verifies incoming ones.
    Current,
    /// The previous key: still verifies incoming requests until `expires_at`.
    Grace,
    /// The previous key after its grace period: verifies nothing.
    Expired,
    /// Never used.
    Empty,
}

/// One of an app's two key slots (`sign_key_index` 1 or 2), masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySlot {
    /// 1 or 2.
    pub index: i16,
    /// What the slot does now.
    pub state: KeySlotState,
    /// The key with all but its last four characters hidden; empty for an empty slot.
    pub masked: String,
    /// When the key was made, unix ms.
    pub created_at: Option<i64>,
    /// When a key in grace stops verifying, unix ms.
    pub expires_at: Option<i64>,
}

/// An app's detail page. Its `Debug` never shows the revealed key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppDetail {
    /// The 10-digit appid.
    pub appid: String,
    /// The app's name.
    pub name: String,
    /// Free text about the app.
    pub description: String,
    /// Default notify URL for test payments.
    pub notify_url: String,
    /// Default return URL for test payments.
    pub return_url: String,
    /// The app's entry page (share-login target), if any.
    pub app_url: Option<String>,
    /// `GET` or `POST`.
    pub notify_method: String,
    /// `real` or `fast` (minutes become seconds).
    pub retry_speed: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Creation time, unix ms.
    pub created_at: i64,
    /// Last change, unix ms.
    pub updated_at: i64,
    /// Both key slots.
    pub slots: Vec<KeySlot>,
    /// The current key in clear, only on the page load right after an explicit reveal.
    pub revealed_key: Option<String>,
    /// The latest notifications the built-in demo receiver got for this appid.
    pub demo_receipts: Vec<DemoReceipt>,
}

impl std::fmt::Debug for AppDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppDetail")
            .field("appid", &self.appid)
            .field("name", &self.name)
            .field("status", &self.status)
            .field("slots", &self.slots)
            .field("revealed_key", &self.revealed_key.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

/// One row of `/transactions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionRow {
    pub id: i64,
    pub transaction_id: String,
    pub out_trade_no: String,
    pub appid: String,
    pub body: String,
    /// Fen.
    pub total_fee: i64,
    pub trade_state: i16,
    pub created_at: i64,
    pub time_end: Option<i64>,
}

/// A page of transactions, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionPage {
    pub rows: Vec<TransactionRow>,
    /// The `before` cursor of the next (older) page, if there is one.
    pub next_before: Option<i64>,
}

/// One notification with its attempts, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationView {
    pub notify_id: String,
    pub transaction_id: String,
    pub out_trade_no: String,
    pub appid: String,
    pub url: String,
    pub method: String,
    /// pending, delivered or failed.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<i64>,
    pub scenario: String,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
    /// Newest last; empty in lists.
    pub attempt_log: Vec<AttemptDetail>,
    /// The server's time when this was read, which "next attempt in" counts from.
    pub now: i64,
}

/// One attempt: what was sent and what came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptDetail {
    pub attempt_no: i32,
    pub manual: bool,
    pub started_at: i64,
    pub duration_ms: i64,
    pub method: String,
    pub url: String,
    pub request: String,
    pub response_status: Option<i32>,
    pub response_body: String,
    pub outcome: String,
    pub error: String,
    pub hint: String,
}

/// A page of notifications, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPage {
    pub rows: Vec<NotificationView>,
    pub next_before: Option<i64>,
    /// The server's time when this was read.
    pub now: i64,
}

/// Everything about one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionDetail {
    pub row: TransactionRow,
    pub app_name: String,
    pub fee_type: String,
    pub attach: String,
    pub bank_type: String,
    pub notify_url: String,
    pub return_url: String,
    pub spbill_create_ip: String,
    pub input_charset: String,
    pub buyer_id: String,
    pub pay_info: String,
    pub scenario: String,
    pub expires_at: i64,
    pub updated_at: i64,
    pub notifications: Vec<NotificationView>,
    /// `curl` for an order query of this transaction, signed with the app's key.
    pub curl: String,
}

/// What the signature debugger found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureCheck {
    pub appid: String,
    /// valid, mismatch, unsigned, expired key, empty, unreadable, no key.
    pub verdict: String,
    /// The string that is hashed, with the key shown as `<app key>`.
    pub canonical: String,
    /// The signature the platform computes.
    pub expected: String,
    /// The `sign` given.
    pub provided: String,
    pub charset: String,
    pub key_slot: i16,
    /// What probably went wrong, or remarks.
    pub hints: Vec<String>,
}

/// What a portal test payment created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestPayment {
    pub transaction_id: String,
    pub out_trade_no: String,
    /// The notification it queued.
    pub notify_id: String,
}

/// One notification attempt, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub attempt_no: i32,
    pub manual: bool,
    pub started_at: i64,
    pub duration_ms: i64,
    pub response_status: Option<i32>,
    pub outcome: String,
    pub hint: String,
}

/// A notification the built-in demo receiver got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoReceipt {
    /// `GET` or `POST`.
    pub method: String,
    /// The parameters as received (query string or form body).
    pub params: String,
    /// When, unix ms.
    pub received_at: i64,
}

/// The parts of `/docs` that come from the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocsContent {
    /// The retry delays this server runs with, e.g. `1 min, 2 min, 4 min`.
    pub schedule: String,
    /// The per-attempt timeout, e.g. `10 s`.
    pub timeout: String,
    /// The SDK quickstart (`docs/SDK.md`) as HTML.
    pub sdk_html: String,
}

/// One app's totals on the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStats {
    pub appid: String,
    pub name: String,
    pub status: String,
    pub orders: i64,
    pub paid: i64,
    pub paid_fen: i64,
    pub delivered: i64,
    pub failed: i64,
    pub pending: i64,
}

/// One day (UTC+8) of the dashboard's chart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayStats {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Orders created that day and paid.
    pub payments: i64,
    pub paid_fen: i64,
    /// Notifications created that day, by outcome so far (pending ones are in neither).
    pub delivered: i64,
    pub failed: i64,
}

impl DayStats {
    /// Delivered notifications as a share of finished ones, in percent.
    pub fn success_rate(&self) -> Option<f64> {
        let finished = self.delivered + self.failed;
        (finished > 0).then(|| self.delivered as f64 * 100.0 / finished as f64)
    }
}

/// `/dashboard`: per-app counts and the last 14 days, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub apps: Vec<AppStats>,
    pub days: Vec<DayStats>,
}

/// An app's built-in inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxInfo {
    pub appid: String,
    pub app_name: String,
    /// The full `/inbox/<token>` URL: use it as a notify_url.
    pub url: String,
    /// `success`, `fail` or `html`.
    pub answer: String,
}

/// A notification an inbox received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxMessageView {
    pub id: i64,
    /// Empty when the app was deleted since.
    pub appid: String,
    pub received_at: i64,
    pub method: String,
    /// The parameters as received (query string or form body), at most 4 KiB.
    pub params: String,
    pub notify_id: String,
    /// `valid`, `invalid` or `unsigned`: the signature checked with the app's keys.
    pub verdict: String,
    /// What the inbox answered.
    pub answer: String,
}

/// `/inbox`: the ISV's inboxes and a page of what they received, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    pub inboxes: Vec<InboxInfo>,
    pub rows: Vec<InboxMessageView>,
    pub next_before: Option<i64>,
    /// The app filter, empty for all.
    pub appid: String,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Entry id (newest is highest).
    pub id: i64,
    /// Who: the user's e-mail.
    pub actor: String,
    /// What, as a code such as `key.revealed`.
    pub action: String,
    /// The target, such as an appid.
    pub target: String,
    /// More detail, such as the fields changed.
    pub detail: String,
    /// The client IP.
    pub ip: String,
    /// When, unix ms.
    pub created_at: i64,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditEntry>,
    /// The `before` cursor of the next (older) page, if there is one.
    pub next_before: Option<i64>,
}

/// Formats unix milliseconds as `YYYY-MM-DD HH:MM:SS` in UTC+8, the platform's time zone.
pub fn format_time(unix_ms: i64) -> String {
    let t = crate::protocol::protocol_time(unix_ms);
    format!(
        "{}-{}-{} {}:{}:{}",
        &t[0..4],
        &t[4..6],
        &t[6..8],
        &t[8..10],
        &t[10..12],
        &t[12..14]
    )
}

#[cfg(test)]
mod tests {
    use super::format_time;

    #[test]
    fn times_are_shown_in_utc_plus_8() {
        assert_eq!(format_time(0), "1970-01-01 08:00:00");
        // 2026-11-27T04:00:00Z
        assert_eq!(format_time(1_795_752_000_000), "2026-11-27 12:00:00");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 08:00:00");
    }
}

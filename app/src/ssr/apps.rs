//! Apps: validation, creation with a unique random appid, edits, status,
//! soft deletion, key reveal and rotation. Every lookup is ISV-scoped.

use std::collections::BTreeMap;

use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr, TransactionTrait,
};
use serde::Deserialize;
use url::Url;

use super::audit::{self, Actor};
use super::db::{app, demo_receipt};
use super::keys::{AppKey, KeyError, MasterKey};
use super::msg::{Msg, UrlField};
use super::now_ms;
use crate::types::{AppDetail, AppSummary, DemoReceipt, KeySlot, KeySlotState};

/// Why an app operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AppsError {
    /// No such app for this ISV (or deleted): the same answer either way.
    #[error("app not found")]
    NotFound,
    /// Invalid input; messages by field.
    #[error("invalid input")]
    Invalid(BTreeMap<String, String>),
    /// A database or decryption failure.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbErr> for AppsError {
    fn from(err: DbErr) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<KeyError> for AppsError {
    fn from(err: KeyError) -> Self {
        Self::Internal(err.to_string())
    }
}

/// The create/edit form as posted; missing fields read as empty.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AppForm {
    pub name: String,
    pub description: String,
    pub notify_url: String,
    pub return_url: String,
    pub app_url: String,
    pub notify_method: String,
    pub retry_speed: String,
}

/// A validated app form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInput {
    name: String,
    description: String,
    notify_url: String,
    return_url: String,
    app_url: Option<String>,
    notify_method: &'static str,
    retry_speed: &'static str,
}

const MAX_URL: usize = 512;
const MAX_DESCRIPTION: usize = 1000;

fn parse_url(raw: &str, field: UrlField) -> Result<String, Msg> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Msg::UrlRequired(field));
    }
    if raw.chars().count() > MAX_URL {
        return Err(Msg::UrlTooLong(field, MAX_URL));
    }
    // The url crate skips tabs and newlines, but the text is what gets stored and later
    // sent as a Location header or a request line: spaces and controls have no place in it.
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Msg::UrlInvalid(field));
    }
    match Url::parse(raw) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => Ok(raw.to_owned()),
        _ => Err(Msg::UrlInvalid(field)),
    }
}

impl AppForm {
    /// What the user typed, to show the form again.
    pub fn values(&self) -> BTreeMap<String, String> {
        [
            ("name", &self.name),
            ("description", &self.description),
            ("notify_url", &self.notify_url),
            ("return_url", &self.return_url),
            ("app_url", &self.app_url),
            ("notify_method", &self.notify_method),
            ("retry_speed", &self.retry_speed),
        ]
        .into_iter()
        .map(|(field, value)| (field.to_owned(), value.clone()))
        .collect()
    }

    /// Validates every field, collecting one message per bad field.
    pub fn parse(&self) -> Result<AppInput, BTreeMap<String, Msg>> {
        let mut errors = BTreeMap::new();
        let mut check = |field: &str, result: Result<String, Msg>| match result {
            Ok(value) => Some(value),
            Err(message) => {
                errors.insert(field.to_owned(), message);
                None
            }
        };
        let name = self.name.trim();
        let name = check(
            "name",
            match name.chars().count() {
                0 => Err(Msg::NameRequired),
                1..=64 => Ok(name.to_owned()),
                _ => Err(Msg::NameTooLong),
            },
        );
        let description = check(
            "description",
            if self.description.trim().chars().count() > MAX_DESCRIPTION {
                Err(Msg::DescriptionTooLong(MAX_DESCRIPTION))
            } else {
                Ok(self.description.trim().to_owned())
            },
        );
        let notify_url = check("notify_url", parse_url(&self.notify_url, UrlField::Notify));
        let return_url = check("return_url", parse_url(&self.return_url, UrlField::Return));
        let app_url = if self.app_url.trim().is_empty() {
            Some(None)
        } else {
            check("app_url", parse_url(&self.app_url, UrlField::App)).map(Some)
        };
        let notify_method = match self.notify_method.as_str() {
            "" | "GET" => Some("GET"),
            "POST" => Some("POST"),
            _ => {
                errors.insert("notify_method".into(), Msg::ChooseMethod);
                None
            }
        };
        let retry_speed = match self.retry_speed.as_str() {
            "" | "real" => Some("real"),
            "fast" => Some("fast"),
            _ => {
                errors.insert("retry_speed".into(), Msg::ChooseSpeed);
                None
            }
        };
        match (
            name,
            description,
            notify_url,
            return_url,
            app_url,
            notify_method,
            retry_speed,
        ) {
            (
                Some(name),
                Some(description),
                Some(notify_url),
                Some(return_url),
                Some(app_url),
                Some(notify_method),
                Some(retry_speed),
            ) if errors.is_empty() => Ok(AppInput {
                name,
                description,
                notify_url,
                return_url,
                app_url,
                notify_method,
                retry_speed,
            }),
            _ => Err(errors),
        }
    }
}

/// A random 10-digit appid (no leading zero).
fn random_appid() -> String {
    rand::thread_rng()
        .gen_range(1_000_000_000u64..=9_999_999_999)
        .to_string()
}

/// The ISV's live app with this appid, or `NotFound`.
pub async fn find(db: &DatabaseConnection, isv_id: i64, appid: &str) -> Result<app::Model, AppsError> {
    app::Entity::find_for_isv(isv_id)
        .filter(app::Column::Appid.eq(appid))
        .one(db)
        .await?
        .ok_or(AppsError::NotFound)
}

/// The ISV's live apps, newest first.
pub async fn list(db: &DatabaseConnection, isv_id: i64) -> Result<Vec<AppSummary>, DbErr> {
    let rows = app::Entity::find_for_isv(isv_id)
        .order_by_desc(app::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| AppSummary {
            appid: row.appid,
            name: row.name,
            status: row.status,
            created_at: row.created_at,
        })
        .collect())
}

/// Creates an app with a fresh appid and key in slot 1.
pub async fn create(
    db: &DatabaseConnection,
    master: &MasterKey,
    actor: Actor<'_>,
    input: AppInput,
) -> Result<app::Model, AppsError> {
    create_drawing(db, master, actor, input, random_appid).await
}

/// [`create`], with the appids drawn by `draw` (tests make it collide).
pub async fn create_drawing(
    db: &DatabaseConnection,
    master: &MasterKey,
    actor: Actor<'_>,
    input: AppInput,
    mut draw: impl FnMut() -> String,
) -> Result<app::Model, AppsError> {
    let now = now_ms();
    // The unique index decides; on the rare collision, draw again.
    for _ in 0..10 {
        let appid = draw();
        let key = AppKey::generate();
        let row = app::ActiveModel {
            isv_id: Set(actor.user.isv_id),
            appid: Set(appid.clone()),
            name: Set(input.name.clone()),
            description: Set(input.description.clone()),
            notify_url: Set(input.notify_url.clone()),
            return_url: Set(input.return_url.clone()),
            app_url: Set(input.app_url.clone()),
            notify_method: Set(input.notify_method.to_owned()),
            retry_speed: Set(input.retry_speed.to_owned()),
            status: Set("active".into()),
            current_key_index: Set(1),
            key1: Set(Some(key.seal(master, &appid, 1))),
            key1_created_at: Set(Some(now)),
            key2: Set(None),
            key2_created_at: Set(None),
            previous_key_expires_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            ..Default::default()
        };
        let txn = db.begin().await?;
        match row.insert(&txn).await {
            Ok(model) => {
                audit::record(
                    &txn,
                    actor,
                    "app.created",
                    &appid,
                    &format!("name: {}", input.name),
                )
                .await?;
                txn.commit().await?;
                return Ok(model);
            }
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                txn.rollback().await?;
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(AppsError::Internal("no free appid after 10 draws".into()))
}

/// Applies an edit; the audit entry names the fields that changed.
pub async fn update(
    db: &DatabaseConnection,
    actor: Actor<'_>,
    appid: &str,
    input: AppInput,
) -> Result<(), AppsError> {
    let current = find(db, actor.user.isv_id, appid).await?;
    let changes: Vec<&str> = [
        ("name", current.name != input.name),
        ("description", current.description != input.description),
        ("notify_url", current.notify_url != input.notify_url),
        ("return_url", current.return_url != input.return_url),
        ("app_url", current.app_url != input.app_url),
        ("notify_method", current.notify_method != input.notify_method),
        ("retry_speed", current.retry_speed != input.retry_speed),
    ]
    .into_iter()
    .filter_map(|(field, changed)| changed.then_some(field))
    .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let mut row = current.into_active_model();
    row.name = Set(input.name);
    row.description = Set(input.description);
    row.notify_url = Set(input.notify_url);
    row.return_url = Set(input.return_url);
    row.app_url = Set(input.app_url);
    row.notify_method = Set(input.notify_method.to_owned());
    row.retry_speed = Set(input.retry_speed.to_owned());
    row.updated_at = Set(now_ms());
    let txn = db.begin().await?;
    row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "app.edited",
        appid,
        &format!("changed: {}", changes.join(", ")),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Enables or disables an app (disabled apps get 88000005 from the gateway).
pub async fn set_enabled(
    db: &DatabaseConnection,
    actor: Actor<'_>,
    appid: &str,
    enabled: bool,
) -> Result<(), AppsError> {
    let current = find(db, actor.user.isv_id, appid).await?;
    let status = if enabled { "active" } else { "disabled" };
    if current.status == status {
        return Ok(());
    }
    let mut row = current.into_active_model();
    row.status = Set(status.into());
    row.updated_at = Set(now_ms());
    let txn = db.begin().await?;
    row.update(&txn).await?;
    let action = if enabled { "app.enabled" } else { "app.disabled" };
    audit::record(&txn, actor, action, appid, "").await?;
    txn.commit().await?;
    Ok(())
}

/// Soft-deletes an app: its data stays, and its appid is never reused.
pub async fn delete(db: &DatabaseConnection, actor: Actor<'_>, appid: &str) -> Result<(), AppsError> {
    let current = find(db, actor.user.isv_id, appid).await?;
    let name = current.name.clone();
    let mut row = current.into_active_model();
    let now = now_ms();
    row.status = Set("deleted".into());
    row.deleted_at = Set(Some(now));
    row.updated_at = Set(now);
    let txn = db.begin().await?;
    row.update(&txn).await?;
    audit::record(&txn, actor, "app.deleted", appid, &format!("name: {name}")).await?;
    txn.commit().await?;
    Ok(())
}

fn slot_key(model: &app::Model, slot: i16) -> Option<&str> {
    match slot {
        1 => model.key1.as_deref(),
        _ => model.key2.as_deref(),
    }
}

/// The current key in clear, for its owner; records `key.revealed`.
pub async fn reveal(
    db: &DatabaseConnection,
    master: &MasterKey,
    actor: Actor<'_>,
    appid: &str,
) -> Result<AppKey, AppsError> {
    let model = find(db, actor.user.isv_id, appid).await?;
    let key = current_key(master, &model)?;
    audit::record(
        db,
        actor,
        "key.revealed",
        appid,
        &format!("slot {}", model.current_key_index),
    )
    .await?;
    Ok(key)
}

/// The latest notifications the demo receiver got for `appid` (newest first).
pub async fn demo_receipts(db: &DatabaseConnection, appid: &str) -> Result<Vec<DemoReceipt>, DbErr> {
    let rows = demo_receipt::Entity::find()
        .filter(demo_receipt::Column::Appid.eq(appid))
        .order_by_desc(demo_receipt::Column::Id)
        .limit(20)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| DemoReceipt {
            method: row.method,
            params: row.params,
            received_at: row.received_at,
        })
        .collect())
}

/// Decrypts the current key of an app.
pub fn current_key(master: &MasterKey, model: &app::Model) -> Result<AppKey, AppsError> {
    let sealed = slot_key(model, model.current_key_index)
        .ok_or_else(|| AppsError::Internal(format!("app {} has no current key", model.appid)))?;
    Ok(AppKey::open(
        master,
        sealed,
        &model.appid,
        model.current_key_index,
    )?)
}

/// Puts a new key into the other slot and makes it current; the old key keeps
/// verifying for `grace_ms`. Records `key.rotated`.
pub async fn rotate(
    db: &DatabaseConnection,
    master: &MasterKey,
    actor: Actor<'_>,
    appid: &str,
    grace_ms: i64,
) -> Result<AppKey, AppsError> {
    let model = find(db, actor.user.isv_id, appid).await?;
    let previous = model.current_key_index;
    let next = 3 - previous;
    let key = AppKey::generate();
    let now = now_ms();
    let expires = now + grace_ms;
    let mut row = model.into_active_model();
    let sealed = Some(key.seal(master, appid, next));
    if next == 1 {
        row.key1 = Set(sealed);
        row.key1_created_at = Set(Some(now));
    } else {
        row.key2 = Set(sealed);
        row.key2_created_at = Set(Some(now));
    }
    row.current_key_index = Set(next);
    row.previous_key_expires_at = Set(Some(expires));
    row.updated_at = Set(now);
    let txn = db.begin().await?;
    row.update(&txn).await?;
    let detail = format!(
        "slot {next} is current; slot {previous} verifies until {}",
        crate::types::format_time(expires)
    );
    audit::record(&txn, actor, "key.rotated", appid, &detail).await?;
    txn.commit().await?;
    Ok(key)
}

/// The keys that verify incoming requests at `now`, with their `sign_key_index`:
/// the current key, and the previous one while its grace period lasts.
pub fn verifying_keys(
    master: &MasterKey,
    model: &app::Model,
    now: i64,
) -> Result<Vec<(i16, AppKey)>, AppsError> {
    let app = super::app_cache::CachedApp::new(master, model.clone())?;
    Ok(app
        .verifying_keys(now)
        .into_iter()
        .map(|(slot, key)| (slot, key.clone()))
        .collect())
}

/// Both slots' keys, whether or not they still verify (for the signature debugger's hints).
pub fn all_keys(master: &MasterKey, model: &app::Model) -> Result<Vec<(i16, AppKey)>, AppsError> {
    let mut keys = Vec::new();
    for slot in [1, 2] {
        if let Some(sealed) = slot_key(model, slot) {
            keys.push((slot, AppKey::open(master, sealed, &model.appid, slot)?));
        }
    }
    Ok(keys)
}

/// Ends the previous key's grace period now. Records `key.grace_ended`.
pub async fn end_grace(db: &DatabaseConnection, actor: Actor<'_>, appid: &str) -> Result<(), AppsError> {
    let model = find(db, actor.user.isv_id, appid).await?;
    let now = now_ms();
    if model.previous_key_expires_at.is_none_or(|expires| expires <= now) {
        return Ok(());
    }
    let previous = 3 - model.current_key_index;
    let mut row = model.into_active_model();
    row.previous_key_expires_at = Set(Some(now));
    row.updated_at = Set(now);
    let txn = db.begin().await?;
    row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        "key.grace_ended",
        appid,
        &format!("slot {previous} no longer verifies"),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The detail view: both slots masked, and the current key in clear if `revealed`.
pub fn detail(
    master: &MasterKey,
    model: app::Model,
    revealed: bool,
    now: i64,
) -> Result<AppDetail, AppsError> {
    let mut slots = Vec::with_capacity(2);
    for index in [1i16, 2] {
        let created_at = if index == 1 {
            model.key1_created_at
        } else {
            model.key2_created_at
        };
        let slot = match slot_key(&model, index) {
            None => KeySlot {
                index,
                state: KeySlotState::Empty,
                masked: String::new(),
                created_at,
                expires_at: None,
            },
            Some(sealed) => {
                let key = AppKey::open(master, sealed, &model.appid, index)?;
                let (state, expires_at) = if index == model.current_key_index {
                    (KeySlotState::Current, None)
                } else {
                    match model.previous_key_expires_at {
                        Some(expires) if expires > now => (KeySlotState::Grace, Some(expires)),
                        expires => (KeySlotState::Expired, expires),
                    }
                };
                KeySlot {
                    index,
                    state,
                    masked: key.masked(),
                    created_at,
                    expires_at,
                }
            }
        };
        slots.push(slot);
    }
    let revealed_key = if revealed {
        Some(current_key(master, &model)?.expose().to_owned())
    } else {
        None
    };
    Ok(AppDetail {
        appid: model.appid,
        name: model.name,
        description: model.description,
        notify_url: model.notify_url,
        return_url: model.return_url,
        app_url: model.app_url,
        notify_method: model.notify_method,
        retry_speed: model.retry_speed,
        status: model.status,
        created_at: model.created_at,
        updated_at: model.updated_at,
        slots,
        revealed_key,
        demo_receipts: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> AppForm {
        AppForm {
            name: "Shop".into(),
            notify_url: "https://shop.example/notify".into(),
            return_url: "http://127.0.0.1:8080/return".into(),
            ..AppForm::default()
        }
    }

    #[test]
    fn a_minimal_form_parses_with_defaults() {
        let input = form().parse().unwrap();
        assert_eq!(input.notify_method, "GET");
        assert_eq!(input.retry_speed, "real");
        assert_eq!(input.app_url, None);
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let bad = AppForm {
            name: "n".repeat(65),
            notify_url: "ftp://shop.example/notify".into(),
            return_url: "/relative".into(),
            app_url: format!("https://shop.example/{}", "a".repeat(500)),
            notify_method: "PUT".into(),
            retry_speed: "warp".into(),
            description: String::new(),
        };
        let errors = bad.parse().unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "app_url",
                "name",
                "notify_method",
                "notify_url",
                "retry_speed",
                "return_url"
            ]
        );
        assert!(errors["app_url"].to_string().contains("512"));
        assert!(errors["notify_url"].to_string().contains("absolute http"));
    }

    #[test]
    fn urls_with_spaces_or_controls_are_refused() {
        for url in [
            "https://shop.example/no tify",
            "https://shop.example/\tnotify",
            "https://shop.example/notify\r\nX-Injected: 1",
        ] {
            let bad = AppForm {
                app_url: url.into(),
                ..form()
            };
            let errors = bad.parse().unwrap_err();
            assert_eq!(errors.keys().collect::<Vec<_>>(), ["app_url"], "{url:?}");
        }
        // Around the URL, spaces are trimmed as before.
        let padded = AppForm {
            app_url: "  https://shop.example/enter \n".into(),
            ..form()
        };
        assert_eq!(
            padded.parse().unwrap().app_url.as_deref(),
            Some("https://shop.example/enter")
        );
    }

    #[test]
    fn names_must_not_be_blank() {
        let errors = AppForm {
            name: "   ".into(),
            ..form()
        }
        .parse()
        .unwrap_err();
        assert_eq!(errors["name"], Msg::NameRequired);
    }

    fn rotated_app(master: &MasterKey, old: &AppKey, new: &AppKey, expires: i64) -> app::Model {
        app::Model {
            id: 1,
            isv_id: 1,
            appid: "1904837261".into(),
            name: "Shop".into(),
            description: String::new(),
            notify_url: "https://shop.example/n".into(),
            return_url: "https://shop.example/r".into(),
            app_url: None,
            notify_method: "GET".into(),
            retry_speed: "real".into(),
            status: "active".into(),
            current_key_index: 2,
            key1: Some(old.seal(master, "1904837261", 1)),
            key1_created_at: Some(0),
            key2: Some(new.seal(master, "1904837261", 2)),
            key2_created_at: Some(1_000),
            previous_key_expires_at: Some(expires),
            created_at: 0,
            updated_at: 1_000,
            deleted_at: None,
        }
    }

    #[test]
    fn the_previous_key_verifies_only_during_its_grace_period() {
        let master = MasterKey::from_bytes([3; 32]);
        let (old, new) = (AppKey::generate(), AppKey::generate());
        let app = rotated_app(&master, &old, &new, 5_000);
        let during = verifying_keys(&master, &app, 4_999).unwrap();
        assert_eq!(during, vec![(2, new.clone()), (1, old)]);
        let after = verifying_keys(&master, &app, 5_000).unwrap();
        assert_eq!(after, vec![(2, new)]);
        let view = detail(&master, app, false, 5_000).unwrap();
        assert_eq!(view.slots[0].state, KeySlotState::Expired);
        assert_eq!(view.slots[1].state, KeySlotState::Current);
        assert_eq!(view.revealed_key, None);
    }

    #[test]
    fn appids_are_ten_digits() {
        for _ in 0..100 {
            let appid = random_appid();
            assert_eq!(appid.len(), 10);
            assert!(appid.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}

/// Why "Open app as sandbox user" could not start.
#[derive(Debug, thiserror::Error)]
pub enum ShareLoginError {
    #[error(transparent)]
    App(#[from] AppsError),
    /// The app has no entry page to open.
    #[error("set the app's entry URL (app_url) first")]
    NoAppUrl,
}

/// The signed share-login URL (SPEC §6.4): the app's `app_url` with `appid`,
/// `user_id` (this portal user as a sandbox user), a random `token`, a
/// `timestamp` (`yyyyMMddHHmmss`, UTC+8) and `sign`. Records `app.share_login`.
pub async fn share_login_url(
    db: &DatabaseConnection,
    master: &MasterKey,
    actor: Actor<'_>,
    appid: &str,
    now: i64,
) -> Result<String, ShareLoginError> {
    let model = find(db, actor.user.isv_id, appid).await?;
    // As the url crate writes it: percent-encoded, with an ASCII host, so that it can be a
    // Location header. One that cannot (stored before such URLs were refused) is the
    // same as none: the owner is asked to set it.
    let app_url = model
        .app_url
        .as_deref()
        .and_then(|raw| Url::parse(raw).ok())
        .map(String::from)
        .filter(|url| axum::http::HeaderValue::from_str(url).is_ok())
        .ok_or(ShareLoginError::NoAppUrl)?;
    let key = current_key(master, &model)?;
    let user_id = format!("sandbox_user_{}", actor.user.user_id);
    let params = sdk::params::Params::from_pairs([
        ("appid", appid.to_owned()),
        ("user_id", user_id.clone()),
        ("token", super::gateway::random_token(16)),
        ("timestamp", crate::protocol::protocol_time(now)),
    ])
    .map_err(|err| AppsError::Internal(err.to_string()))?
    .signed(key.expose())
    .map_err(|err| AppsError::Internal(err.to_string()))?;
    audit::record(
        db,
        actor,
        "app.share_login",
        appid,
        &format!("opened as {user_id}"),
    )
    .await
    .map_err(AppsError::from)?;
    Ok(sdk::params::append_query(&app_url, &params.to_query()))
}

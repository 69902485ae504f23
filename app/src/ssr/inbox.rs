//! The built-in inbox: every app has a sandbox notify endpoint, `/inbox/<token>`,
//! so an ISV can watch its notifications arrive without a public server. The
//! ISV chooses what it answers (`success`, `fail`, or `success` wrapped in HTML,
//! to see the platform's retry and hint for each), and reads what it received.

use std::collections::HashMap;

use sdk::params::Params;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::apps::verifying_keys;
use super::audit::{self, Actor};
use super::db::{app, inbox, inbox_message};
use super::gateway::random_token;
use super::keys::MasterKey;
use crate::types::{InboxInfo, InboxMessageView, InboxPage};

/// What an inbox can answer.
pub const ANSWERS: [&str; 3] = ["success", "fail", "html"];

/// Bytes of a received request kept (the rest is cut at a character boundary).
pub const MAX_STORED: usize = 4096;

/// Messages per page.
pub const PAGE_SIZE: u64 = 50;

/// The body an inbox answers with, and whether it is HTML.
pub fn answer_body(answer: &str) -> (&'static str, bool) {
    match answer {
        "fail" => ("fail", false),
        "html" => ("<!DOCTYPE html><html><body><p>success</p></body></html>", true),
        _ => ("success", false),
    }
}

/// The inbox URL of a token.
pub fn url(public_url: &str, token: &str) -> String {
    format!("{public_url}/inbox/{token}")
}

/// Why an inbox operation failed.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("app not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The inboxes of these apps, created for those that have none yet.
async fn ensure(
    db: &DatabaseConnection,
    apps: &[app::Model],
    now: i64,
) -> Result<HashMap<i64, inbox::Model>, DbErr> {
    let ids: Vec<i64> = apps.iter().map(|app| app.id).collect();
    let mut found: HashMap<i64, inbox::Model> = inbox::Entity::find()
        .filter(inbox::Column::AppId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|inbox| (inbox.app_id, inbox))
        .collect();
    let missing: Vec<inbox::ActiveModel> = apps
        .iter()
        .filter(|app| !found.contains_key(&app.id))
        .map(|app| inbox::ActiveModel {
            isv_id: Set(app.isv_id),
            app_id: Set(app.id),
            token: Set(random_token(24)),
            answer: Set("success".into()),
            created_at: Set(now),
            ..Default::default()
        })
        .collect();
    if !missing.is_empty() {
        // Two first visits at once: the unique app_id keeps one inbox per app.
        inbox::Entity::insert_many(missing)
            .on_conflict(OnConflict::column(inbox::Column::AppId).do_nothing().to_owned())
            .do_nothing()
            .exec(db)
            .await?;
        found = inbox::Entity::find()
            .filter(inbox::Column::AppId.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|inbox| (inbox.app_id, inbox))
            .collect();
    }
    Ok(found)
}

/// The ISV's messages, newest first, of one app (`appid`) or all; with every app's inbox.
pub async fn page(
    db: &DatabaseConnection,
    public_url: &str,
    isv_id: i64,
    appid: &str,
    before: Option<i64>,
    now: i64,
) -> Result<InboxPage, InboxError> {
    let apps = app::Entity::find_for_isv(isv_id)
        .order_by_asc(app::Column::Id)
        .all(db)
        .await?;
    let selected = if appid.is_empty() {
        None
    } else {
        Some(
            apps.iter()
                .find(|app| app.appid == appid)
                .ok_or(InboxError::NotFound)?
                .id,
        )
    };
    let inboxes = ensure(db, &apps, now).await?;
    let mut query = inbox_message::Entity::find().filter(inbox_message::Column::IsvId.eq(isv_id));
    if let Some(app_id) = selected {
        query = query.filter(inbox_message::Column::AppId.eq(app_id));
    }
    if let Some(before) = before {
        query = query.filter(inbox_message::Column::Id.lt(before));
    }
    let mut rows = query
        .order_by_desc(inbox_message::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_before = more.then(|| rows.last().map(|m| m.id)).flatten();
    let appids: HashMap<i64, &str> = apps.iter().map(|app| (app.id, app.appid.as_str())).collect();
    Ok(InboxPage {
        inboxes: apps
            .iter()
            .filter_map(|app| {
                let inbox = inboxes.get(&app.id)?;
                Some(InboxInfo {
                    appid: app.appid.clone(),
                    app_name: app.name.clone(),
                    url: url(public_url, &inbox.token),
                    answer: inbox.answer.clone(),
                })
            })
            .collect(),
        rows: rows
            .into_iter()
            .map(|m| InboxMessageView {
                id: m.id,
                // Messages of a deleted app keep showing, without its appid.
                appid: appids.get(&m.app_id).map(|a| (*a).to_owned()).unwrap_or_default(),
                received_at: m.received_at,
                method: m.method,
                params: m.params,
                notify_id: m.notify_id,
                verdict: m.verdict,
                answer: m.answer,
            })
            .collect(),
        next_before,
        appid: appid.to_owned(),
    })
}

/// Sets what an app's inbox answers. Records `inbox.answer_set`.
pub async fn set_answer(
    db: &DatabaseConnection,
    actor: Actor<'_>,
    appid: &str,
    answer: &str,
    now: i64,
) -> Result<(), InboxError> {
    if !ANSWERS.contains(&answer) {
        return Err(InboxError::Invalid(
            "the answer must be success, fail or html".into(),
        ));
    }
    let app = app::Entity::find_for_isv(actor.user.isv_id)
        .filter(app::Column::Appid.eq(appid))
        .one(db)
        .await?
        .ok_or(InboxError::NotFound)?;
    let inbox = ensure(db, std::slice::from_ref(&app), now)
        .await?
        .remove(&app.id)
        .ok_or(InboxError::NotFound)?;
    if inbox.answer == answer {
        return Ok(());
    }
    let mut row: inbox::ActiveModel = inbox.into();
    row.answer = Set(answer.to_owned());
    row.update(db).await?;
    audit::record(
        db,
        actor,
        "inbox.answer_set",
        appid,
        &format!("the inbox answers {answer}"),
    )
    .await?;
    Ok(())
}

/// A request to `/inbox/<token>`: records it and returns what to answer; `None`
/// when no inbox has this token (or its app is deleted).
pub async fn receive(
    db: &DatabaseConnection,
    master: &MasterKey,
    token: &str,
    method: &str,
    raw: &[u8],
    now: i64,
) -> Result<Option<String>, DbErr> {
    if token.len() > 64 {
        return Ok(None);
    }
    let Some(inbox) = inbox::Entity::find()
        .filter(inbox::Column::Token.eq(token))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(app) = app::Entity::find_by_id(inbox.app_id)
        .filter(app::Column::DeletedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let params = Params::parse(raw).ok();
    let verdict = verdict(master, &app, params.as_ref(), now);
    let notify_id = params
        .as_ref()
        .and_then(|params| params.get("notify_id").map(|id| id.chars().take(64).collect()))
        .unwrap_or_default();
    let mut stored = String::from_utf8_lossy(raw).into_owned();
    if stored.len() > MAX_STORED {
        let mut end = MAX_STORED;
        while !stored.is_char_boundary(end) {
            end -= 1;
        }
        stored.truncate(end);
    }
    inbox_message::ActiveModel {
        isv_id: Set(inbox.isv_id),
        app_id: Set(inbox.app_id),
        received_at: Set(now),
        method: Set(method.chars().take(8).collect()),
        params: Set(stored),
        notify_id: Set(notify_id),
        verdict: Set(verdict.into()),
        answer: Set(inbox.answer.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Some(inbox.answer))
}

/// Whether the received parameters carry a signature of this app that verifies.
fn verdict(master: &MasterKey, app: &app::Model, params: Option<&Params>, now: i64) -> &'static str {
    let Some(params) = params else {
        return "invalid";
    };
    let Some(sign) = params.non_empty("sign") else {
        return "unsigned";
    };
    let keys = match verifying_keys(master, app, now) {
        Ok(keys) => keys,
        Err(err) => {
            tracing::error!(%err, "inbox cannot decrypt the app's keys");
            return "invalid";
        }
    };
    let valid = keys.iter().any(|(_, key)| {
        sdk::sign::verify(params.iter(), key.expose(), params.charset(), sign).unwrap_or(false)
    });
    if valid { "valid" } else { "invalid" }
}

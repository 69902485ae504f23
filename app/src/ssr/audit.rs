//! The audit log: who did what to which app or key, and logins.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::db::audit_entry;
use super::now_ms;
use crate::types::{AuditEntry, AuditPage, CurrentUser};

/// Entries per page on `/audit`.
pub const PAGE_SIZE: u64 = 50;

/// Who acted, and from where.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// The logged-in user.
    pub user: &'a CurrentUser,
    /// The client IP.
    pub ip: &'a str,
}

/// Appends an entry for the actor's ISV.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Actor<'_>,
    action: &str,
    target: &str,
    detail: &str,
) -> Result<(), DbErr> {
    audit_entry::ActiveModel {
        isv_id: Set(actor.user.isv_id),
        user_id: Set(Some(actor.user.user_id)),
        actor: Set(actor.user.email.clone()),
        action: Set(action.to_owned()),
        target: Set(target.chars().take(64).collect()),
        detail: Set(detail.to_owned()),
        ip: Set(actor.ip.chars().take(64).collect()),
        created_at: Set(now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// One page of an ISV's entries, newest first, older than `before` (an entry id).
pub async fn page(db: &impl ConnectionTrait, isv_id: i64, before: Option<i64>) -> Result<AuditPage, DbErr> {
    let mut query = audit_entry::Entity::find_for_isv(isv_id);
    if let Some(before) = before {
        query = query.filter(audit_entry::Column::Id.lt(before));
    }
    let mut rows = query
        .order_by_desc(audit_entry::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next_before = if more { rows.last().map(|row| row.id) } else { None };
    Ok(AuditPage {
        entries: rows
            .into_iter()
            .map(|row| AuditEntry {
                id: row.id,
                actor: row.actor,
                action: row.action,
                target: row.target,
                detail: row.detail,
                ip: row.ip,
                created_at: row.created_at,
            })
            .collect(),
        next_before,
    })
}

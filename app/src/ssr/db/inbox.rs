//! An app's built-in sandbox notify endpoint.

use sea_orm::entity::prelude::*;

/// A row of `inboxes`: one per app, created the first time the app's inbox is shown.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inboxes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub isv_id: i64,
    #[sea_orm(unique)]
    pub app_id: i64,
    /// The secret path segment of `/inbox/<token>`.
    #[sea_orm(unique)]
    pub token: String,
    /// What the inbox answers: `success`, `fail` or `html`.
    pub answer: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

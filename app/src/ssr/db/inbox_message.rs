//! A notification the built-in inbox received.

use sea_orm::entity::prelude::*;

/// A row of `inbox_messages`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbox_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub isv_id: i64,
    pub app_id: i64,
    pub received_at: i64,
    pub method: String,
    /// The parameters as received (query string or form body), at most 4 KiB.
    pub params: String,
    /// The `notify_id` parameter, if any (at most 64 characters).
    pub notify_id: String,
    /// The signature check at receipt: `valid`, `invalid` or `unsigned`.
    pub verdict: String,
    /// What the inbox answered: `success`, `fail` or `html`.
    pub answer: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

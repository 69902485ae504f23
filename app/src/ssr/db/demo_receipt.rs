//! A notification the built-in demo receiver got.

use sea_orm::entity::prelude::*;

/// A row of `demo_receipts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "demo_receipts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The `appid` parameter it carried (empty if none).
    pub appid: String,
    pub method: String,
    /// The parameters as received (query string or form body), at most 4 KiB.
    pub params: String,
    pub received_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

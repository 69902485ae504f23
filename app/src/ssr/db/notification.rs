//! A server-to-server notification of an order's result, and its delivery state.

use sea_orm::entity::prelude::*;

/// A row of `notifications`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub notify_id: String,
    pub isv_id: i64,
    pub app_id: i64,
    pub order_id: i64,
    /// Where it is delivered (the order's notify_url).
    pub url: String,
    /// `GET` (query string) or `POST` (form body).
    pub method: String,
    /// The unsigned result parameters as a JSON object; signed at each attempt.
    pub params: String,
    /// pending, delivered or failed.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<i64>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub scenario: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub delivered_at: Option<i64>,
    /// Scheduled attempts made since the schedule (re)started; picks the next delay.
    pub schedule_step: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::order::Entity",
        from = "Column::OrderId",
        to = "super::order::Column::Id"
    )]
    Order,
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Entity {
    /// Every notification of one ISV: the only way portal notification queries start.
    pub fn find_for_isv(isv_id: i64) -> Select<Entity> {
        Self::find().filter(Column::IsvId.eq(isv_id))
    }
}

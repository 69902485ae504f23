//! A sandbox order, created by a pay request (or a portal test payment).

use sea_orm::entity::prelude::*;

/// A row of `orders`. Amounts are integer fen; times are unix milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub isv_id: i64,
    /// `apps.id` of the app the order belongs to.
    pub app_id: i64,
    pub appid: String,
    pub out_trade_no: String,
    pub total_fee: i64,
    pub fee_type: String,
    pub body: String,
    pub attach: String,
    pub bank_type: String,
    pub notify_url: String,
    pub return_url: String,
    pub spbill_create_ip: String,
    pub input_charset: String,
    pub product_fee: Option<i64>,
    pub transport_fee: Option<i64>,
    pub goods_tag: String,
    pub buyer_id: String,
    /// `time_start` as the request gave it (`yyyyMMddHHmmss`), or empty.
    pub time_start: String,
    /// When an unpaid order closes: two hours after creation, or `time_expire` if sooner.
    pub expires_at: i64,
    /// SPEC §6.1: 0 paid, 1 created, 2 failed, 3 closed, 4 refunded.
    pub trade_state: i16,
    pub pay_info: String,
    /// How notifications for it behave: normal, duplicate, delayed or failure.
    pub scenario: String,
    /// Proves a cashier form came from this order's cashier page.
    pub cashier_token: String,
    pub time_end: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The `notify_id` of the order's notification, once it is settled (a copy of
    /// `notifications.notify_id`, so the notify query reads one row).
    pub notify_id: Option<String>,
    /// When that notification was created (`notifications.created_at`).
    pub notified_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Entity {
    /// Every order of one ISV: the only way portal order queries start.
    pub fn find_for_isv(isv_id: i64) -> Select<Entity> {
        Self::find().filter(Column::IsvId.eq(isv_id))
    }
}

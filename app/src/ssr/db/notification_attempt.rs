//! One delivery attempt of a notification: what was sent and what came back.

use sea_orm::entity::prelude::*;

/// A row of `notification_attempts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub notification_id: i64,
    /// 1 for the first attempt.
    pub attempt_no: i32,
    /// A portal "resend now" rather than the schedule.
    pub manual: bool,
    pub started_at: i64,
    pub duration_ms: i64,
    pub method: String,
    pub url: String,
    /// The signed parameters sent, as a query string.
    pub request: String,
    pub response_status: Option<i32>,
    /// At most 4 KiB of the response body.
    pub response_body: String,
    /// delivered or failed.
    pub outcome: String,
    pub error: String,
    /// What the failure most likely means, for the ISV.
    pub hint: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

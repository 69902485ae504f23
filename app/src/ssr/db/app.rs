//! An ISV's app: appid, two encrypted key slots, URLs and settings.

use sea_orm::entity::prelude::*;

/// A row of `apps`. Keys are sealed (see `ssr::keys`); `Debug` omits them.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "apps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub isv_id: i64,
    #[sea_orm(unique)]
    pub appid: String,
    pub name: String,
    pub description: String,
    pub notify_url: String,
    pub return_url: String,
    pub app_url: Option<String>,
    pub notify_method: String,
    pub retry_speed: String,
    pub status: String,
    pub current_key_index: i16,
    pub key1: Option<String>,
    pub key1_created_at: Option<i64>,
    pub key2: Option<String>,
    pub key2_created_at: Option<i64>,
    pub previous_key_expires_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("id", &self.id)
            .field("isv_id", &self.isv_id)
            .field("appid", &self.appid)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Entity {
    /// Every live (not deleted) app of one ISV: the only way app queries start.
    pub fn find_for_isv(isv_id: i64) -> Select<Entity> {
        Self::find()
            .filter(Column::IsvId.eq(isv_id))
            .filter(Column::DeletedAt.is_null())
    }
}

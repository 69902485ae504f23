//! A person who logs in to the portal, member of one ISV.

use sea_orm::entity::prelude::*;

/// A row of `users`.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub isv_id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub created_at: i64,
    /// The portal language the user chose (`en` or `zh`), if any.
    pub locale: Option<String>,
}

impl std::fmt::Debug for Model {
    // The password hash stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("isv_id", &self.isv_id)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::isv::Entity",
        from = "Column::IsvId",
        to = "super::isv::Column::Id"
    )]
    Isv,
}

impl Related<super::isv::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Isv.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

//! A tower-sessions store in the portal's own database, so sessions survive restarts.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter, Set, SqlErr,
};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error as StoreError, Result as StoreResult, SessionStore};

use app::ssr::db::session;
use app::ssr::now_ms;
use app::ssr::ttl_map::TtlMap;

/// Sessions as rows of the `sessions` table (JSON data, expiry in unix ms).
///
/// On SQLite, where one process owns the database, every session write goes through
/// this store, so it also keeps the sessions it read or wrote in memory for
/// [`CACHE_TTL`] and answers repeated loads without a query. On PostgreSQL several
/// processes may share the sessions, so every load reads the table.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
    /// Records by id; `None` marks a session deleted by this process.
    cache: Option<Arc<TtlMap<Id, Option<Record>>>>,
}

/// How long a session read or written by this process is answered from memory (SQLite).
pub const CACHE_TTL: Duration = Duration::from_secs(1);

impl DbSessionStore {
    /// A store on this connection pool.
    pub fn new(db: DatabaseConnection) -> Self {
        let cache = (db.get_database_backend() == DbBackend::Sqlite)
            .then(|| Arc::new(TtlMap::new(CACHE_TTL, 100_000)));
        Self { db, cache }
    }

    /// Notes a record this process wrote.
    fn remember(&self, record: &Record) {
        if let Some(cache) = &self.cache {
            cache.insert(record.id, Some(record.clone()));
        }
    }

    /// Notes that this process deleted a session: a load that read the row before the
    /// delete cannot bring it back for the cache's lifetime.
    fn forget(&self, id: &Id) {
        if let Some(cache) = &self.cache {
            cache.insert(*id, None);
        }
    }

    /// Deletes every expired session; returns how many.
    pub async fn delete_expired(&self) -> Result<u64, DbErr> {
        let deleted = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now_ms()))
            .exec(&self.db)
            .await?;
        Ok(deleted.rows_affected)
    }

    fn row(record: &Record) -> StoreResult<session::ActiveModel> {
        let data = serde_json::to_string(&record.data).map_err(|err| StoreError::Encode(err.to_string()))?;
        Ok(session::ActiveModel {
            id: Set(record.id.to_string()),
            data: Set(data),
            expires_at: Set(unix_ms(record.expiry_date)),
        })
    }
}

fn unix_ms(at: OffsetDateTime) -> i64 {
    // Session expiries are near the present, far inside i64 milliseconds.
    (at.unix_timestamp_nanos() / 1_000_000) as i64
}

fn backend(err: DbErr) -> StoreError {
    StoreError::Backend(err.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        // Ids are 128 random bits; a collision is astronomically unlikely but handled.
        for _ in 0..5 {
            match session::Entity::insert(Self::row(record)?).exec(&self.db).await {
                Ok(_) => {
                    self.remember(record);
                    return Ok(());
                }
                Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                    record.id = Id::default();
                }
                Err(err) => return Err(backend(err)),
            }
        }
        Err(StoreError::Backend("could not find a free session id".into()))
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        session::Entity::insert(Self::row(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::Data, session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        self.remember(record);
        Ok(())
    }

    async fn load(&self, id: &Id) -> StoreResult<Option<Record>> {
        if let Some(cached) = self.cache.as_ref().and_then(|cache| cache.get(id)) {
            return Ok(cached.filter(|record| record.expiry_date > OffsetDateTime::now_utc()));
        }
        let Some(row) = session::Entity::find_by_id(id.to_string())
            .filter(session::Column::ExpiresAt.gt(now_ms()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data).map_err(|err| StoreError::Decode(err.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp_nanos(i128::from(row.expires_at) * 1_000_000)
            .map_err(|err| StoreError::Decode(err.to_string()))?;
        let record = Record {
            id: *id,
            data,
            expiry_date,
        };
        if let Some(cache) = &self.cache {
            cache.insert_if_absent(record.id, Some(record.clone()));
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> StoreResult<()> {
        self.forget(id);
        session::Entity::delete_by_id(id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

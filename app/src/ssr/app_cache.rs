//! A per-process cache of apps by appid, with their keys decrypted, for the gateway.
//!
//! Every gateway request starts by loading its app; caching it saves one database
//! round trip and the key decryption per request. An entry lives for [`TTL`]:
//! the portal invalidates it at once in the process that made a change (edit,
//! enable/disable, delete, rotation, end of grace), and other processes sharing
//! a PostgreSQL database see the change within [`TTL`].

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::apps::{AppsError, all_keys};
use super::db::app;
use super::keys::{AppKey, MasterKey};
use super::ttl_map::TtlMap;

/// How long a cached app is trusted without reading the database again.
pub const TTL: Duration = Duration::from_secs(1);

/// Above this many entries the cache starts over (apps are created by signed-in ISVs,
/// so this bounds memory, not an attack).
const MAX_ENTRIES: usize = 50_000;

/// An app as stored, with both key slots decrypted.
#[derive(Debug)]
pub struct CachedApp {
    pub model: app::Model,
    keys: Vec<(i16, AppKey)>,
}

impl CachedApp {
    /// Decrypts the app's keys.
    pub fn new(master: &MasterKey, model: app::Model) -> Result<Self, AppsError> {
        let keys = all_keys(master, &model)?;
        Ok(Self { model, keys })
    }

    /// The keys that verify incoming requests at `now`, with their `sign_key_index`:
    /// the current key, and the previous one while its grace period lasts.
    pub fn verifying_keys(&self, now: i64) -> Vec<(i16, &AppKey)> {
        let current = self.model.current_key_index;
        let grace = self
            .model
            .previous_key_expires_at
            .is_some_and(|expires| expires > now);
        let mut keys: Vec<(i16, &AppKey)> = self
            .keys
            .iter()
            .filter(|(slot, _)| *slot == current || grace)
            .map(|(slot, key)| (*slot, key))
            .collect();
        // The current key first: most requests are signed with it.
        keys.sort_by_key(|(slot, _)| *slot != current);
        keys
    }

    /// The current key, which signs what the gateway sends.
    pub fn current_key(&self) -> Option<&AppKey> {
        self.keys
            .iter()
            .find(|(slot, _)| *slot == self.model.current_key_index)
            .map(|(_, key)| key)
    }
}

/// Why an app could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Keys(#[from] AppsError),
}

/// Apps by appid, each trusted for [`TTL`].
#[derive(Debug)]
pub struct AppCache {
    entries: TtlMap<String, Arc<CachedApp>>,
}

impl Default for AppCache {
    fn default() -> Self {
        Self {
            entries: TtlMap::new(TTL, MAX_ENTRIES),
        }
    }
}

impl AppCache {
    /// The app with this appid that is not deleted, from the cache or the database.
    /// Unknown appids are not cached.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        master: &MasterKey,
        appid: &str,
    ) -> Result<Option<Arc<CachedApp>>, CacheError> {
        if let Some(hit) = self.entries.get(appid) {
            return Ok(Some(hit));
        }
        let Some(model) = app::Entity::find()
            .filter(app::Column::Appid.eq(appid))
            .filter(app::Column::DeletedAt.is_null())
            .one(db)
            .await?
        else {
            self.invalidate(appid);
            return Ok(None);
        };
        let loaded = Arc::new(CachedApp::new(master, model)?);
        self.entries.insert(appid.to_owned(), Arc::clone(&loaded));
        Ok(Some(loaded))
    }

    /// Forgets an app, so the next request reads it from the database.
    pub fn invalidate(&self, appid: &str) {
        self.entries.remove(appid);
    }
}

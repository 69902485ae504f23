//! A small map whose entries expire: the per-process caches (apps, users, sessions)
//! that save a database round trip on hot paths.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Entries younger than `ttl`; above `max` entries the map starts over (this bounds
/// memory; an entry is only ever a saved query).
#[derive(Debug)]
pub struct TtlMap<K, V> {
    ttl: Duration,
    max: usize,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    /// An empty map.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value stored under `key` less than `ttl` ago.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.lock();
        let (stored, value) = entries.get(key)?;
        (stored.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Stores `value` under `key`, fresh from now.
    pub fn insert(&self, key: K, value: V) {
        let mut entries = self.lock();
        if entries.len() >= self.max {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }

    /// Stores `value` under `key` unless a fresh entry is there: a value read from the
    /// database must not overwrite a newer one written (or a deletion noted) meanwhile.
    pub fn insert_if_absent(&self, key: K, value: V) {
        let mut entries = self.lock();
        if entries
            .get(&key)
            .is_some_and(|(stored, _)| stored.elapsed() < self.ttl)
        {
            return;
        }
        if entries.len() >= self.max {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }

    /// Forgets `key`.
    pub fn remove<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock().remove(key);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, (Instant, V)>> {
        // A panic while holding the lock cannot leave the map inconsistent: take it anyway.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_removed() {
        let map = TtlMap::new(Duration::from_millis(50), 10);
        map.insert("a".to_owned(), 1);
        assert_eq!(map.get("a"), Some(1));
        map.remove("a");
        assert_eq!(map.get("a"), None);
        map.insert("b".to_owned(), 2);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(map.get("b"), None, "expired");
    }

    #[test]
    fn insert_if_absent_keeps_a_fresh_entry() {
        let map = TtlMap::new(Duration::from_millis(50), 10);
        map.insert(1, "written");
        map.insert_if_absent(1, "read earlier");
        assert_eq!(map.get(&1), Some("written"));
        std::thread::sleep(Duration::from_millis(60));
        map.insert_if_absent(1, "read now");
        assert_eq!(map.get(&1), Some("read now"), "an expired entry is replaced");
    }

    #[test]
    fn a_full_map_starts_over() {
        let map = TtlMap::new(Duration::from_secs(60), 2);
        map.insert(1, "one");
        map.insert(2, "two");
        map.insert(3, "three");
        assert_eq!(
            (map.get(&1), map.get(&2), map.get(&3)),
            (None, None, Some("three"))
        );
    }
}

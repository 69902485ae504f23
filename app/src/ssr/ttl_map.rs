//! A small map whose entries expire: the per-process caches (apps, users, sessions)
//! that save a database round trip on hot paths.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Entries younger than `ttl`; above `max` entries the map starts over (this bounds
/// memory; an entry is only ever a saved query).
///
/// Expired entries are swept out whenever the map has doubled since the last sweep (and
/// holds at least [`SWEEP_FROM`] entries), so the expired ones never outnumber the fresh
/// ones by much, however far below `max` the map stays.
#[derive(Debug)]
pub struct TtlMap<K, V> {
    ttl: Duration,
    max: usize,
    entries: Mutex<Entries<K, V>>,
}

/// The smallest size at which a [`TtlMap`] sweeps out expired entries.
const SWEEP_FROM: usize = 1024;

#[derive(Debug)]
struct Entries<K, V> {
    map: HashMap<K, (Instant, V)>,
    /// The size at which the next insert sweeps.
    sweep_at: usize,
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    /// An empty map.
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            ttl,
            max,
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                sweep_at: SWEEP_FROM,
            }),
        }
    }

    /// The value stored under `key` less than `ttl` ago.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.lock();
        let (stored, value) = entries.map.get(key)?;
        (stored.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Stores `value` under `key`, fresh from now.
    pub fn insert(&self, key: K, value: V) {
        let mut entries = self.lock();
        self.make_room(&mut entries);
        entries.map.insert(key, (Instant::now(), value));
    }

    /// Stores `value` under `key` unless a fresh entry is there: a value read from the
    /// database must not overwrite a newer one written (or a deletion noted) meanwhile.
    pub fn insert_if_absent(&self, key: K, value: V) {
        let mut entries = self.lock();
        if entries
            .map
            .get(&key)
            .is_some_and(|(stored, _)| stored.elapsed() < self.ttl)
        {
            return;
        }
        self.make_room(&mut entries);
        entries.map.insert(key, (Instant::now(), value));
    }

    /// Before an insert: sweeps out expired entries once the map has doubled since the
    /// last sweep, and starts over when it is full of fresh ones.
    fn make_room(&self, entries: &mut Entries<K, V>) {
        if entries.map.len() >= entries.sweep_at.min(self.max) {
            entries.map.retain(|_, (stored, _)| stored.elapsed() < self.ttl);
            entries.sweep_at = (2 * entries.map.len()).max(SWEEP_FROM);
        }
        if entries.map.len() >= self.max {
            entries.map.clear();
        }
    }

    /// How many entries the map holds, expired ones included.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Forgets `key`.
    pub fn remove<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock().map.remove(key);
    }

    fn lock(&self) -> MutexGuard<'_, Entries<K, V>> {
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
    fn expired_entries_are_swept_long_before_the_map_is_full() {
        let map = TtlMap::new(Duration::from_millis(20), 100_000);
        for n in 0..SWEEP_FROM {
            map.insert(n, n);
        }
        std::thread::sleep(Duration::from_millis(30));
        // The next insert finds the map at the sweep size: the expired entries go.
        map.insert(SWEEP_FROM, 0);
        assert_eq!(map.len(), 1);
        // Fresh entries stay through the sweeps.
        let fresh = TtlMap::new(Duration::from_secs(600), 100_000);
        for n in 0..3 * SWEEP_FROM {
            fresh.insert(n, n);
        }
        assert_eq!(fresh.len(), 3 * SWEEP_FROM);
        assert_eq!(fresh.get(&7), Some(7));
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

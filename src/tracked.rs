//! A sorted map that remembers which entries changed, so a commit can
//! persist only those (record-level persistence, `persist::records`).
//!
//! Reading goes through `Deref` to the `BTreeMap`; every way to write —
//! `insert`, `remove`, `get_mut`, `retain` — marks the entry's key. There is
//! no `DerefMut`: code that changes the state cannot forget to mark what it
//! changed, because the type gives it no other way. Serialized as the plain
//! map (snapshots keep their format); the marks are never serialized.

use core::borrow::Borrow;
use core::ops::Deref;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A `BTreeMap` with a set of the keys written since the last `take_changed`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(transparent)]
#[serde(bound(serialize = "K: Ord + Serialize, V: Serialize"))]
#[serde(bound(deserialize = "K: Ord + Deserialize<'de>, V: Deserialize<'de>"))]
pub struct Tracked<K: Ord, V> {
    map: BTreeMap<K, V>,
    #[serde(skip)]
    changed: BTreeSet<K>,
}

impl<K: Ord, V> Default for Tracked<K, V> {
    fn default() -> Self {
        Tracked { map: BTreeMap::new(), changed: BTreeSet::new() }
    }
}

impl<K: Ord, V> Deref for Tracked<K, V> {
    type Target = BTreeMap<K, V>;
    fn deref(&self) -> &BTreeMap<K, V> {
        &self.map
    }
}

impl<'a, K: Ord, V> IntoIterator for &'a Tracked<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::collections::btree_map::Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.map.iter()
    }
}

impl<K: Ord, V> From<BTreeMap<K, V>> for Tracked<K, V> {
    /// A map with nothing changed yet (a state just read from a store).
    fn from(map: BTreeMap<K, V>) -> Self {
        Tracked { map, changed: BTreeSet::new() }
    }
}

impl<K: Ord + Clone, V> Tracked<K, V> {
    /// Inserts or replaces an entry.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.changed.insert(key.clone());
        self.map.insert(key, value)
    }

    /// Removes an entry (a removal is a change too: the store deletes it).
    pub fn remove<Q: Ord + ?Sized + ToOwned<Owned = K>>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        let old = self.map.remove(key);
        if old.is_some() {
            self.changed.insert(key.to_owned());
        }
        old
    }

    /// An entry to change in place.
    pub fn get_mut<Q: Ord + ?Sized + ToOwned<Owned = K>>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        let value = self.map.get_mut(key)?;
        self.changed.insert(key.to_owned());
        Some(value)
    }

    /// Keeps only the entries `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        let changed = &mut self.changed;
        self.map.retain(|k, v| {
            let kept = keep(k, v);
            if !kept {
                changed.insert(k.clone());
            }
            kept
        });
    }

    /// The keys written since the last call, in order; forgets them.
    pub fn take_changed(&mut self) -> BTreeSet<K> {
        core::mem::take(&mut self.changed)
    }

    /// Whether any entry was written since the last `take_changed`.
    #[cfg(test)]
    pub fn has_changes(&self) -> bool {
        !self.changed.is_empty()
    }

    /// Writes an entry read from a store: not a change to persist.
    pub(crate) fn load(&mut self, key: K, value: Option<V>) {
        match value {
            Some(v) => self.map.insert(key, v),
            None => self.map.remove(&key),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_is_marked_and_reads_are_not() {
        let mut t: Tracked<u32, &str> = BTreeMap::from([(1, "a"), (2, "b"), (3, "c")]).into();
        assert!(!t.has_changes());
        assert_eq!(t.get(&1), Some(&"a"));
        assert_eq!(t.len(), 3);
        assert!(t.take_changed().is_empty());
        t.insert(4, "d");
        t.remove(&9); // nothing there: no change
        *t.get_mut(&2).unwrap() = "B";
        t.retain(|k, _| *k != 3);
        assert_eq!(t.take_changed().into_iter().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert!(t.take_changed().is_empty());
        t.load(5, Some("e"));
        t.load(1, None);
        assert!(!t.has_changes());
        assert_eq!(t.keys().copied().collect::<Vec<_>>(), vec![2, 4, 5]);
    }

    #[test]
    fn serialized_as_the_plain_map() {
        let plain = BTreeMap::from([(1u32, 7u8), (2, 8)]);
        let mut t: Tracked<u32, u8> = plain.clone().into();
        t.insert(3, 9);
        let mut expected = plain;
        expected.insert(3, 9);
        assert_eq!(postcard::to_allocvec(&t).unwrap(), postcard::to_allocvec(&expected).unwrap());
        let back: Tracked<u32, u8> = postcard::from_bytes(&postcard::to_allocvec(&t).unwrap()).unwrap();
        assert_eq!(*back, expected);
        assert!(!back.has_changes());
    }
}

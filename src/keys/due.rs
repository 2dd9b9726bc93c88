//! The due-time index: when each key next has time-driven work (the end of
//! its deletion window, the `ValidTo` of its imported material, its next
//! automatic rotation), so applying the clock costs O(log n) per key that is
//! due instead of a scan of every key. Derived state: rebuilt when a KMS is
//! restored, never persisted, and refreshed for every key a call changed
//! (`Kms::key_mut` and key inserts mark them). The model test checks it
//! against a full scan after every step.

use super::{Key, KeyId, KeyState};
use crate::time::Timestamp;
use std::collections::{BTreeMap, BTreeSet};

impl Key {
    /// The earliest time at which the clock has work for this key, if any.
    /// Never later than the work is due (an early entry only costs a look).
    pub fn next_due(&self) -> Option<Timestamp> {
        let deletion = self.deletion.map(|d| d.date);
        let expiry = if self.material.is_empty() { None } else { self.import.as_ref().and_then(|i| i.valid_to) };
        // Only an Enabled key rotates; enabling an overdue key marks it changed.
        let rotation = if self.state == KeyState::Enabled && self.rotation.enabled { self.rotation.next } else { None };
        [deletion, expiry, rotation].into_iter().flatten().min()
    }
}

/// Keys by the time they are next due.
#[derive(Debug, Default)]
pub(crate) struct DueIndex {
    by_time: BTreeSet<(Timestamp, KeyId)>,
    of_key: BTreeMap<KeyId, Timestamp>,
}

impl DueIndex {
    /// The index of these keys.
    pub(crate) fn build<'a>(keys: impl Iterator<Item = &'a Key>) -> DueIndex {
        let mut index = DueIndex::default();
        for key in keys {
            index.set(key.id, key.next_due());
        }
        index
    }

    /// Records when `id` is next due (`None`: never, or the key is gone).
    pub(crate) fn set(&mut self, id: KeyId, due: Option<Timestamp>) {
        if let Some(old) = self.of_key.remove(&id) {
            self.by_time.remove(&(old, id));
        }
        if let Some(at) = due {
            self.of_key.insert(id, at);
            self.by_time.insert((at, id));
        }
    }

    /// Removes and returns, in key order, every key due at or before `now`.
    pub(crate) fn take_due(&mut self, now: Timestamp) -> BTreeSet<KeyId> {
        let mut due = BTreeSet::new();
        while let Some(&(at, id)) = self.by_time.first() {
            if at > now {
                break;
            }
            self.by_time.pop_first();
            self.of_key.remove(&id);
            due.insert(id);
        }
        due
    }

    /// Whether the index says exactly what a scan of `keys` says.
    pub(crate) fn matches<'a>(&self, keys: impl Iterator<Item = &'a Key>) -> bool {
        let scanned: BTreeMap<KeyId, Timestamp> = keys.filter_map(|k| k.next_due().map(|at| (k.id, at))).collect();
        scanned == self.of_key && self.by_time.len() == self.of_key.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> KeyId {
        KeyId([n; 16])
    }

    #[test]
    fn take_due_returns_only_what_is_due_in_key_order_and_removes_it() {
        let mut index = DueIndex::default();
        index.set(id(3), Some(Timestamp(30)));
        index.set(id(1), Some(Timestamp(10)));
        index.set(id(2), Some(Timestamp(10)));
        index.set(id(4), None);
        assert_eq!(index.take_due(Timestamp(9)), BTreeSet::new());
        assert_eq!(index.take_due(Timestamp(10)), BTreeSet::from([id(1), id(2)]));
        assert_eq!(index.take_due(Timestamp(10)), BTreeSet::new(), "taken once");
        assert_eq!(index.take_due(Timestamp(i64::MAX)), BTreeSet::from([id(3)]));
    }

    #[test]
    fn setting_again_moves_a_key_and_none_removes_it() {
        let mut index = DueIndex::default();
        index.set(id(1), Some(Timestamp(10)));
        index.set(id(1), Some(Timestamp(50)));
        assert_eq!(index.take_due(Timestamp(49)), BTreeSet::new());
        index.set(id(1), None);
        assert_eq!(index.take_due(Timestamp(i64::MAX)), BTreeSet::new());
        assert!(index.by_time.is_empty() && index.of_key.is_empty());
    }

    #[test]
    fn with_many_keys_only_the_due_ones_are_visited() {
        let mut index = DueIndex::default();
        for n in 0..100_000u32 {
            let mut bytes = [0u8; 16];
            bytes[..4].copy_from_slice(&n.to_be_bytes());
            index.set(KeyId(bytes), Some(Timestamp(i64::from(n))));
        }
        assert_eq!(index.take_due(Timestamp(2)).len(), 3);
        assert_eq!(index.by_time.len(), 99_997);
    }
}

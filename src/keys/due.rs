//! The due-time index: when each key next has time-driven work (the end of
//! its deletion window, the `ValidTo` of any of its imported materials, its next
//! automatic rotation), so applying the clock costs O(log n) per key that is
//! due instead of a scan of every key. Derived state: rebuilt when a KMS is
//! restored, never persisted, and refreshed for every key a call changed
//! (`Kms::key_mut` and key inserts mark them). The model test checks it
//! against a full scan after every step.

use super::{Key, KeyId, KeyState};
use crate::time::Timestamp;
use core::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

impl Key {
    /// The earliest time at which the clock has work for this key, if any.
    /// Never later than the work is due (an early entry only costs a look).
    pub fn next_due(&self) -> Option<Timestamp> {
        let deletion = self.deletion.map(|d| d.date);
        let expiry = self.material.next_expiry();
        // Only an Enabled key rotates; enabling an overdue key marks it changed.
        let rotation = if self.state == KeyState::Enabled && self.rotation.enabled { self.rotation.next } else { None };
        [deletion, expiry, rotation].into_iter().flatten().min()
    }
}

/// Keys by the time they are next due: a min-heap of `(due time, key)`
/// entries, one pushed whenever a key's due time may have changed. Entries
/// are checked against the key when they come out (a key whose work moved
/// later, or that is gone, is skipped), so nothing is ever searched for or
/// removed in the middle; the heap is rebuilt when stale entries outnumber
/// the keys. (A heap, not a sorted map: it keeps the core engine's wasm
/// small.)
#[derive(Debug, Default)]
pub(crate) struct DueIndex {
    heap: BinaryHeap<Reverse<(Timestamp, KeyId)>>,
}

impl DueIndex {
    /// The index of these keys.
    pub(crate) fn build<'a>(keys: impl Iterator<Item = &'a Key>) -> DueIndex {
        DueIndex { heap: keys.filter_map(|k| k.next_due().map(|at| Reverse((at, k.id)))).collect() }
    }

    /// Records that `id` is next due at `due` (`None`: nothing to record).
    pub(crate) fn set(&mut self, id: KeyId, due: Option<Timestamp>) {
        if let Some(at) = due {
            self.heap.push(Reverse((at, id)));
        }
    }

    /// Removes and returns, in key order, every key of `keys` due at or
    /// before `now`.
    pub(crate) fn take_due(&mut self, now: Timestamp, keys: &BTreeMap<KeyId, Key>) -> Vec<KeyId> {
        let mut due = BTreeSet::new();
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            // A stale entry (the key's work moved, or the key is gone) is dropped.
            if keys.get(&id).and_then(Key::next_due).is_some_and(|d| d <= now) {
                due.insert(id);
            }
        }
        if self.heap.len() > 2 * keys.len() + 64 {
            *self = DueIndex::build(keys.values());
        }
        due.into_iter().collect()
    }

    /// Whether every key's next due time is in the index (what a scan of
    /// `keys` would find).
    pub(crate) fn matches<'a>(&self, keys: impl Iterator<Item = &'a Key>) -> bool {
        let entries: BTreeSet<(Timestamp, KeyId)> = self.heap.iter().map(|Reverse(e)| *e).collect();
        keys.filter_map(|k| k.next_due().map(|at| (at, k.id))).all(|e| entries.contains(&e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ids::Partition;
    use crate::keys::ScheduledDeletion;
    use crate::policy::KeyPolicy;

    /// A key due at `at` (pending deletion then), or never.
    fn key(n: u8, at: Option<i64>) -> Key {
        let policy = KeyPolicy::default_for(&Partition::new("111122223333", "us-east-1").unwrap());
        let mut k = Key::generate(String::new(), BTreeMap::new(), policy, Timestamp(0)).unwrap();
        k.id = KeyId([n; 16]);
        if let Some(at) = at {
            k.state = KeyState::PendingDeletion;
            k.deletion = Some(ScheduledDeletion { date: Timestamp(at), window_days: 7 });
        }
        k
    }

    fn map(keys: Vec<Key>) -> BTreeMap<KeyId, Key> {
        keys.into_iter().map(|k| (k.id, k)).collect()
    }

    #[test]
    fn take_due_returns_only_what_is_due_in_key_order_once() {
        let keys = map(vec![key(3, Some(30)), key(1, Some(10)), key(2, Some(10)), key(4, None)]);
        let mut index = DueIndex::build(keys.values());
        assert!(index.matches(keys.values()));
        assert_eq!(index.take_due(Timestamp(9), &keys), Vec::<KeyId>::new());
        assert_eq!(index.take_due(Timestamp(10), &keys), vec![KeyId([1; 16]), KeyId([2; 16])]);
        assert_eq!(index.take_due(Timestamp(10), &keys), Vec::<KeyId>::new(), "taken once");
        assert_eq!(index.take_due(Timestamp(i64::MAX), &keys), vec![KeyId([3; 16])]);
    }

    #[test]
    fn stale_entries_are_skipped_and_a_missing_entry_is_noticed() {
        let mut keys = map(vec![key(1, Some(10))]);
        let mut index = DueIndex::build(keys.values());
        // The key's work moves later: its old entry is stale, its new one counts.
        keys.insert(KeyId([1; 16]), key(1, Some(50)));
        assert!(!index.matches(keys.values()), "the index misses the new due time");
        index.set(KeyId([1; 16]), Some(Timestamp(50)));
        assert!(index.matches(keys.values()));
        assert_eq!(index.take_due(Timestamp(49), &keys), Vec::<KeyId>::new(), "the stale entry is dropped");
        assert_eq!(index.take_due(Timestamp(50), &keys), vec![KeyId([1; 16])]);
        // A key that is gone is never due.
        index.set(KeyId([1; 16]), Some(Timestamp(60)));
        keys.clear();
        assert_eq!(index.take_due(Timestamp(i64::MAX), &keys), Vec::<KeyId>::new());
    }

    #[test]
    fn with_many_keys_only_the_due_ones_come_out_and_stale_entries_do_not_pile_up() {
        let keys = map((0..200u8).map(|n| key(n, Some(i64::from(n)))).collect());
        let mut index = DueIndex::build(keys.values());
        assert_eq!(index.take_due(Timestamp(2), &keys).len(), 3);
        assert_eq!(index.heap.len(), 197);
        for _ in 0..1_000 {
            index.set(KeyId([9; 16]), Some(Timestamp(9)));
        }
        index.take_due(Timestamp(2), &keys);
        assert!(index.heap.len() <= 2 * keys.len() + 64, "rebuilt: {}", index.heap.len());
        assert!(index.matches(keys.values()));
    }
}

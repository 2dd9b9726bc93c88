//! Grants by retiring principal: the index ListRetirableGrants pages
//! through, so a page costs O(log n + page) instead of a walk over every
//! grant of every key. Derived state, like the due-time index: rebuilt when
//! a KMS is restored, never persisted, refreshed for every key a call
//! changed (`Kms::key_mut` and key inserts mark them), and checked against
//! a scan in the model test.

use crate::ids::KeyId;
use crate::keys::Key;
use core::ops::Bound;
use std::collections::{BTreeMap, BTreeSet};

/// A grant a principal may retire: the principal, the key, the grant id.
type Entry = (String, KeyId, [u8; 32]);

/// The retiring principals' grants, in (principal, key, grant) order.
#[derive(Debug, Default)]
pub(crate) struct RetiringIndex {
    entries: BTreeSet<Entry>,
    /// What each key put in `entries`, to take it out again.
    by_key: BTreeMap<KeyId, Vec<(String, [u8; 32])>>,
}

/// The grants of `key` that name a retiring principal.
fn retirable(key: &Key) -> Vec<(String, [u8; 32])> {
    key.grants.iter().filter_map(|g| g.retiring.clone().map(|p| (p, g.id))).collect()
}

impl RetiringIndex {
    /// The index of these keys.
    pub(crate) fn build<'a>(keys: impl Iterator<Item = &'a Key>) -> RetiringIndex {
        let mut index = RetiringIndex::default();
        for key in keys {
            index.set(key.id, Some(key));
        }
        index
    }

    /// Re-indexes the key `id` (`None`: it is gone).
    pub(crate) fn set(&mut self, id: KeyId, key: Option<&Key>) {
        if let Some(old) = self.by_key.remove(&id) {
            for (principal, grant) in old {
                self.entries.remove(&(principal, id, grant));
            }
        }
        let now = key.map(retirable).unwrap_or_default();
        if now.is_empty() {
            return;
        }
        for (principal, grant) in &now {
            self.entries.insert((principal.clone(), id, *grant));
        }
        self.by_key.insert(id, now);
    }

    /// The (key, grant) pairs `principal` may retire, in order, after `after`.
    pub(crate) fn after<'a>(
        &'a self,
        principal: &'a str,
        after: Option<(KeyId, [u8; 32])>,
    ) -> impl Iterator<Item = (KeyId, [u8; 32])> + 'a {
        let start = match after {
            Some((key, grant)) => Bound::Excluded((principal.to_owned(), key, grant)),
            None => Bound::Included((principal.to_owned(), KeyId([0; 16]), [0; 32])),
        };
        self.entries
            .range((start, Bound::Unbounded))
            .take_while(move |(p, _, _)| p == principal)
            .map(|(_, key, grant)| (*key, *grant))
    }

    /// Whether the index holds exactly what a scan of `keys` finds.
    pub(crate) fn matches<'a>(&self, keys: impl Iterator<Item = &'a Key>) -> bool {
        let scanned: BTreeSet<Entry> =
            keys.flat_map(|k| retirable(k).into_iter().map(move |(p, g)| (p, k.id, g))).collect();
        scanned == self.entries
    }
}

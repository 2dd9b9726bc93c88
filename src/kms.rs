//! The facade: one `Kms` value holds the whole state, and every operation
//! goes through one request path, [`Kms::run`], which fixes the order:
//! apply the clock → (operation body: validate → resolve key → check key
//! state → perform) → count the change.
//!
//! A failed call changes nothing: each body validates everything before its
//! first write, and writes only with infallible code or on values it builds
//! aside and swaps in.

use crate::aliases::Alias;
use crate::error::{KmsError, Result};
use crate::ids::{AliasForms, KeyId, KeyRef, Partition};
use crate::keys::Key;
use crate::operation::Operation;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Who calls, and when. Handed in with every call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallContext {
    /// The caller's principal ARN.
    pub caller: String,
    /// The caller's clock.
    pub now: Timestamp,
}

/// Everything a KMS remembers. Serialized whole into snapshots.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// The keys, by id.
    pub keys: BTreeMap<KeyId, Key>,
    /// Aliases, by name (`alias/...`).
    pub aliases: BTreeMap<String, Alias>,
    /// Ids of deleted keys, so their ciphertexts report `NotFoundException`
    /// rather than looking like garbage.
    pub deleted: BTreeSet<KeyId>,
    /// The latest time any call was made at; the clock is applied from here.
    pub clock: Option<Timestamp>,
}

/// A key management service with AWS KMS semantics.
#[derive(Debug)]
pub struct Kms {
    pub(crate) partition: Partition,
    pub(crate) state: State,
    generation: u64,
}

impl Kms {
    /// An empty KMS for an account and region.
    pub fn new(partition: Partition) -> Kms {
        Kms { partition, state: State::default(), generation: 0 }
    }

    /// The account and region in this KMS's ARNs.
    pub fn partition(&self) -> &Partition {
        &self.partition
    }

    /// A number that changes whenever the state changes, so the JS layer
    /// knows when to persist a new snapshot.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The one request path. Applies the clock's due changes (they happen
    /// whether or not the call succeeds), runs the body, and counts a
    /// successful write.
    pub(crate) fn run<R>(
        &mut self,
        ctx: &CallContext,
        op: Operation,
        body: impl FnOnce(&mut Kms) -> Result<R>,
    ) -> Result<R> {
        self.apply_clock(ctx.now)?;
        let outcome = body(self);
        if outcome.is_ok() && !op.read_only() {
            self.touch();
        }
        outcome
    }

    fn touch(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    /// Applies every time-driven change due by `now`: ends of deletion
    /// windows and automatic rotations. No timers: this runs before each
    /// operation.
    fn apply_clock(&mut self, now: Timestamp) -> Result<()> {
        let mut changed = false;
        // Deletions first: a key that is gone does not rotate.
        let expired: Vec<KeyId> = self
            .state
            .keys
            .values()
            .filter(|k| k.deletion.is_some_and(|d| d.date <= now))
            .map(|k| k.id)
            .collect();
        for id in expired {
            self.state.keys.remove(&id);
            self.state.aliases.retain(|_, a| a.target != id);
            self.state.deleted.insert(id);
            changed = true;
        }
        for key in self.state.keys.values_mut() {
            changed |= key.rotate_due(now)? > 0;
        }
        if self.state.clock.is_none_or(|c| c < now) {
            self.state.clock = Some(now);
        }
        if changed {
            self.touch();
        }
        Ok(())
    }

    /// Resolves a `KeyId` member to an existing key.
    pub(crate) fn resolve(&self, input: &str, forms: AliasForms) -> Result<KeyId> {
        match self.partition.parse_key_ref(input, forms)? {
            KeyRef::Key(id) if self.state.keys.contains_key(&id) => Ok(id),
            KeyRef::Key(_) => Err(KmsError::NotFoundException(format!("Key '{input}' does not exist."))),
            KeyRef::Alias(name) => self
                .state
                .aliases
                .get(&name)
                .map(|a| a.target)
                .ok_or_else(|| KmsError::NotFoundException(format!("Alias '{name}' is not found."))),
        }
    }

    /// Resolves a `KeyId` member and checks that the key's state allows
    /// `op` (the key-state table).
    pub(crate) fn key_for(&self, op: Operation, input: &str, forms: AliasForms) -> Result<KeyId> {
        let id = self.resolve(input, forms)?;
        let key = self.key(id)?;
        key.state.check(op, &self.partition.key_arn(id))?;
        Ok(id)
    }

    /// The key with this id.
    pub(crate) fn key(&self, id: KeyId) -> Result<&Key> {
        self.state
            .keys
            .get(&id)
            .ok_or_else(|| KmsError::NotFoundException(format!("Key '{}' does not exist.", self.partition.key_arn(id))))
    }

    /// The key with this id, writable.
    pub(crate) fn key_mut(&mut self, id: KeyId) -> Result<&mut Key> {
        let arn = self.partition.key_arn(id);
        self.state
            .keys
            .get_mut(&id)
            .ok_or_else(|| KmsError::NotFoundException(format!("Key '{arn}' does not exist.")))
    }
}

//! Regions: one KMS holds every region of its account, as AWS does. Keys,
//! aliases, grants, policies, endpoints and custom key stores are per
//! region; the audit log is one chain whose records name their region
//! (CloudTrail's `awsRegion`).
//!
//! Between calls the KMS's own fields hold its *home* region (the one it
//! was created with). A call made in another region swaps that region's
//! slot in for the call ([`Kms::enter`]) and back out at its end
//! ([`Kms::leave`]): a move of a few map headers, not of their contents,
//! so every operation body keeps working on `self.state` unchanged.

use crate::custom_key_stores::CustomKeyStores;
use crate::error::{KmsError, Result};
use crate::ids::KeyId;
use crate::keys::due::DueIndex;
use crate::kms::{Kms, State};
use crate::retiring::RetiringIndex;

/// The regions of the `aws` partition, from the AWS SDK's endpoint
/// partitions (`@aws-sdk/util-endpoints`, partitions.json, `aws` →
/// `regions`). A call may be made in any of them, or in the region the KMS
/// was created with.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// Everything a KMS keeps per region, while another region is the one its
/// own fields hold.
#[derive(Debug, Default)]
pub(crate) struct Region {
    pub state: State,
    pub key_stores: CustomKeyStores,
    pub due: DueIndex,
    pub retiring: RetiringIndex,
    pub changed_keys: Vec<KeyId>,
}

impl Region {
    /// A region rebuilt from stored state (its indexes derived again).
    pub fn restored(state: State, key_stores: CustomKeyStores) -> Region {
        Region {
            due: DueIndex::build(state.keys.values()),
            retiring: RetiringIndex::build(state.keys.values()),
            changed_keys: Vec::new(),
            state,
            key_stores,
        }
    }
}

impl Kms {
    /// The region the KMS was created with: calls that name none act there.
    pub fn home_region(&self) -> &str {
        &self.home
    }

    /// Whether `region` may be acted in: a region of the `aws` partition, or
    /// the KMS's home region (which may be any well-formed name).
    pub fn check_region(&self, region: &str) -> Result<()> {
        if region == self.home || KNOWN_REGIONS.contains(&region) {
            return Ok(());
        }
        Err(KmsError::validation(format!(
            "'{}' is not an AWS region, such as us-east-1 or eu-west-1.",
            crate::error::quoted(region)
        )))
    }

    /// Makes `region` the one the KMS's fields hold (creating it on first
    /// use). Cheap: the slots' maps are moved, not copied.
    pub(crate) fn enter(&mut self, region: &str) {
        if region == self.partition.region {
            return;
        }
        let incoming = self.others.remove(region).unwrap_or_default();
        let outgoing = self.swap_region(incoming);
        let previous = core::mem::replace(&mut self.partition.region, region.to_owned());
        self.others.insert(previous, outgoing);
    }

    /// Back to the home region (the end of every call).
    pub(crate) fn leave(&mut self) {
        let home = self.home.clone();
        self.enter(&home);
    }

    fn swap_region(&mut self, mut slot: Region) -> Region {
        core::mem::swap(&mut self.state, &mut slot.state);
        core::mem::swap(&mut self.key_stores, &mut slot.key_stores);
        core::mem::swap(&mut self.due, &mut slot.due);
        core::mem::swap(&mut self.retiring, &mut slot.retiring);
        core::mem::swap(&mut self.changed_keys, &mut slot.changed_keys);
        slot
    }

    /// How many keys the KMS holds, in every region.
    pub fn key_count(&self) -> usize {
        self.state.keys.len() + self.others.values().map(|r| r.state.keys.len()).sum::<usize>()
    }

    /// The regions in use other than the home region, by name.
    pub(crate) fn other_regions(&self) -> impl Iterator<Item = (&str, &Region)> {
        self.others.iter().map(|(name, r)| (name.as_str(), r))
    }

    /// Replaces every region other than the home one (a restore).
    pub(crate) fn set_other_regions(&mut self, regions: std::collections::BTreeMap<String, Region>) {
        self.others = regions;
    }

    /// The record to put on an audit record: its region when not the home one.
    pub(crate) fn region_tag(&self) -> Option<String> {
        (self.partition.region != self.home).then(|| self.partition.region.clone())
    }

    /// `f` run in `region` (then back home; `None`: at home), for the
    /// JS-only members that act in one region (usage, endpoints, the audit
    /// log's key filter). Refuses a region AWS does not have.
    pub fn in_region<T>(&mut self, region: Option<&str>, f: impl FnOnce(&mut Kms) -> Result<T>) -> Result<T> {
        let Some(region) = region else { return f(self) };
        self.check_region(region)?;
        self.enter(region);
        let out = f(self);
        self.leave();
        out
    }

    /// Says the host answers for a custom key store (by id or name), in
    /// whichever region it is. Returns its id, or `None` if there is none.
    pub fn attach_external_key_store(&mut self, id_or_name: &str) -> Option<String> {
        if let Some(id) = self.key_stores.attach_host(id_or_name) {
            return Some(id);
        }
        self.others.values_mut().find_map(|r| r.key_stores.attach_host(id_or_name))
    }

    /// Says the host no longer answers for a custom key store, in any region.
    pub fn detach_external_key_store(&mut self, id_or_name: &str) {
        self.key_stores.detach(id_or_name);
        for r in self.others.values_mut() {
            r.key_stores.detach(id_or_name);
        }
    }
}

//! The facade: one `Kms` value holds the whole state, and every operation
//! goes through one request path, [`Kms::run`], which fixes the order:
//!
//! 1. check the caller; apply the clock's due changes (rotations, deletions);
//!    create the AWS-managed key of a service view on its first use;
//! 2. the operation body: validate the request → resolve the key →
//!    authorize (endpoint policy, key policy, grants) → check the key state
//!    ([`Kms::key_for`] does these three in this order) → perform;
//! 3. count a successful write, and append one audit record, whatever the
//!    outcome.
//!
//! A failed call changes nothing but the audit log: each body validates
//! everything before its first write, and writes only with infallible code
//! or on values it builds aside and swaps in.

use crate::access::{check_caller, Access};
use crate::aliases::Alias;
use crate::audit::{AuditLog, MaterialsUsed, Record};
use crate::custom_key_stores::CustomKeyStores;
use crate::error::{KmsError, Result};
use crate::events::Event;
use crate::external::{Resume, Step};
use crate::ids::{AliasForms, KeyId, KeyRef, Partition};
use crate::keys::backing::MaterialId;
use crate::keys::due::DueIndex;
use crate::keys::{Key, KeyManager, KeyState};
use crate::last_usage::LastUsage;
use crate::operation::Operation;
use crate::ops::AuditView;
use crate::policy::KeyPolicy;
use crate::regions::Region;
use crate::retiring::RetiringIndex;
use crate::time::Timestamp;
use crate::tracked::Tracked;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cell::Cell;
use std::collections::BTreeMap;

/// Who calls, how, and when. Handed in with every call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallContext {
    /// The caller's principal ARN.
    pub caller: String,
    /// The caller's clock.
    pub now: Timestamp,
    /// The VPC endpoint the call comes through (`aws:SourceVpce`).
    pub endpoint: Option<String>,
    /// The AWS service the call comes through (`kms:ViaService`), e.g. `s3`.
    pub service: Option<String>,
    /// The region the call acts in; `None` is the KMS's home region.
    pub region: Option<String>,
    /// The protocol request's id (`x-amzn-RequestId`), which the call's
    /// audit record carries as `requestID`; `None`: the record's own id.
    pub request_id: Option<String>,
}

impl CallContext {
    /// A direct call by `caller` at `now`.
    pub fn new(caller: impl Into<String>, now: Timestamp) -> CallContext {
        CallContext { caller: caller.into(), now, endpoint: None, service: None, region: None, request_id: None }
    }
}

/// Options fixed when the KMS is created.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// How long a new grant takes to take effect without its token (ms).
    pub grant_propagation_ms: i64,
}

/// A private (VPC) endpoint with its own policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// `vpc-...`
    pub vpc_id: String,
    /// The endpoint policy; `None` is AWS's default (full access).
    pub policy: Option<KeyPolicy>,
}

/// What is left of a deleted key: its lifetime and rotations, no material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedKey {
    /// When it was created.
    pub created: Timestamp,
    /// When it was deleted.
    pub deleted: Timestamp,
    /// Whether the customer managed it (AWS-managed keys are not billed).
    pub customer_managed: bool,
    /// When it was rotated.
    pub rotations: Vec<Timestamp>,
}

/// Everything a KMS remembers. Serialized whole into snapshots.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    /// The keys, by id.
    pub keys: Tracked<KeyId, Key>,
    /// Aliases, by name (`alias/...`).
    pub aliases: Tracked<String, Alias>,
    /// Deleted keys: so their ciphertexts report `NotFoundException` rather
    /// than looking like garbage, and so usage can bill their lifetime.
    pub deleted: Tracked<KeyId, DeletedKey>,
    /// The latest time any call was made at; the clock is applied from here.
    pub clock: Option<Timestamp>,
    /// Private endpoints, by `vpce-...` id.
    pub endpoints: Tracked<String, Endpoint>,
    /// Each key's last successful cryptographic operation (GetKeyLastUsage).
    pub last_used: Tracked<KeyId, LastUsage>,
    /// What each multi-Region key knows of its set (`multi_region`).
    pub multi_region: Tracked<KeyId, crate::multi_region::MultiRegion>,
}

/// A key management service with AWS KMS semantics.
pub struct Kms {
    pub(crate) partition: Partition,
    pub(crate) settings: Settings,
    pub(crate) state: State,
    /// Custom key stores and the keys that live in them.
    pub(crate) key_stores: CustomKeyStores,
    generation: u64,
    pub(crate) audit: AuditLog,
    /// Events waiting for the JS layer to deliver them.
    events: Cell<Vec<Event>>,
    /// Keys the current call touched, for its audit record.
    touched: Cell<Vec<KeyId>>,
    /// Key material the current call used, in order (ReEncrypt: source,
    /// then destination), for its response and audit record.
    materials_used: Cell<MaterialsUsed>,
    /// When each key next has time-driven work (derived, never persisted).
    pub(crate) due: DueIndex,
    /// Grants by retiring principal (derived, never persisted).
    pub(crate) retiring: RetiringIndex,
    /// Keys changed since the due-time index was last brought up to date.
    pub(crate) changed_keys: Vec<KeyId>,
    /// The region the KMS was created with; the fields above hold it
    /// between calls (`partition.region` names the one they hold).
    pub(crate) home: String,
    /// Every other region in use, by name (see `regions`).
    pub(crate) others: BTreeMap<String, Region>,
    /// Records were read in a form without regions: the next write of
    /// records must be a full body, so a store keeps no record twice.
    pub(crate) rewrite_records: bool,
}

impl core::fmt::Debug for Kms {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Kms")
            .field("partition", &self.partition)
            .field("state", &self.state)
            .field("key_stores", &self.key_stores)
            .field("audit_records", &self.audit.len())
            .finish_non_exhaustive()
    }
}

impl Kms {
    /// An empty KMS for an account and region.
    pub fn new(partition: Partition) -> Kms {
        Kms::with_settings(partition, Settings::default())
    }

    /// An empty KMS with settings.
    pub fn with_settings(partition: Partition, settings: Settings) -> Kms {
        Kms {
            home: partition.region.clone(),
            others: BTreeMap::new(),
            rewrite_records: false,
            partition,
            settings,
            state: State::default(),
            key_stores: CustomKeyStores::default(),
            generation: 0,
            audit: AuditLog::default(),
            events: Cell::new(Vec::new()),
            touched: Cell::new(Vec::new()),
            materials_used: Cell::new(MaterialsUsed::default()),
            due: DueIndex::default(),
            retiring: RetiringIndex::default(),
            changed_keys: Vec::new(),
        }
    }

    /// Replaces the whole state (a restore), rebuilding what is derived from it.
    pub(crate) fn set_state(&mut self, state: State) {
        self.due = DueIndex::build(state.keys.values());
        self.retiring = RetiringIndex::build(state.keys.values());
        self.changed_keys.clear();
        self.state = state;
    }

    /// Brings the derived indexes (due times, retiring principals) up to
    /// date with the keys changed since.
    pub(crate) fn refresh_due(&mut self) {
        for id in core::mem::take(&mut self.changed_keys) {
            let key = self.state.keys.get(&id);
            self.due.set(id, key.and_then(Key::next_due));
            self.retiring.set(id, key);
        }
    }

    /// Whether the derived indexes (due times, grants by retiring
    /// principal) say what a scan of every key says (the model tests check
    /// it after every step). Not part of the API.
    #[doc(hidden)]
    pub fn due_index_matches_scan(&mut self) -> bool {
        self.refresh_due();
        self.due.matches(self.state.keys.values()) && self.retiring.matches(self.state.keys.values())
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

    /// The events raised since the last call, oldest first.
    pub fn take_events(&self) -> Vec<Event> {
        self.events.take()
    }

    pub(crate) fn raise(&self, event: Event) {
        let mut all = self.events.take();
        all.push(event);
        self.events.set(all);
    }

    /// Remembers that the current call touched `id` (for its audit record).
    pub(crate) fn touch_key(&self, id: KeyId) {
        let mut all = self.touched.take();
        if !all.contains(&id) {
            all.push(id);
        }
        self.touched.set(all);
    }

    /// Notes the key material a call used.
    pub(crate) fn note_material(&self, id: MaterialId) {
        let mut used = self.materials_used.get();
        used.note(id);
        self.materials_used.set(used);
    }

    /// The `i`th key material the current call used, as AWS's `KeyMaterialId`.
    pub(crate) fn material_used(&self, i: usize) -> Option<String> {
        self.materials_used.get().get(i).map(hex::encode)
    }

    /// The one request path (see the module docs). `params` are the
    /// request's camelCase audit parameters.
    pub(crate) fn run<R: Serialize + AuditView>(
        &mut self,
        ctx: &CallContext,
        op: Operation,
        params: Value,
        body: impl FnOnce(&mut Kms) -> Result<R>,
    ) -> Result<R> {
        // The core engine: a call it cannot make reads and records nothing.
        if !op.in_this_engine() {
            return Err(KmsError::needs_full_engine(op.name()));
        }
        self.touched.set(Vec::new());
        self.materials_used.set(MaterialsUsed::default());
        let outcome = self.enter_call(ctx).and_then(|()| self.prepare(ctx)).and_then(|()| body(self));
        self.record(ctx, op, params, outcome.as_ref());
        self.leave();
        outcome
    }

    /// The request path of operations that may wait for an external key
    /// manager: the same order, but the audit record is written when the
    /// operation ends, after its last external call, not when it pauses.
    pub(crate) fn run_steps<R: Serialize + AuditView + 'static>(
        &mut self,
        ctx: &CallContext,
        op: Operation,
        params: Value,
        body: impl FnOnce(&mut Kms) -> Result<Step<R>>,
    ) -> Result<Step<R>> {
        if !op.in_this_engine() {
            return Err(KmsError::needs_full_engine(op.name()));
        }
        self.touched.set(Vec::new());
        self.materials_used.set(MaterialsUsed::default());
        let outcome = self.enter_call(ctx).and_then(|()| self.prepare(ctx)).and_then(|()| body(self));
        let step = self.conclude(ctx.clone(), op, params, outcome);
        self.leave();
        step
    }

    /// Enters the region a call acts in (refusing a region AWS does not have).
    fn enter_call(&mut self, ctx: &CallContext) -> Result<()> {
        if let Some(region) = ctx.region.as_deref() {
            self.check_region(region)?;
            self.enter(region);
        }
        Ok(())
    }

    fn conclude<R: Serialize + AuditView + 'static>(
        &mut self,
        ctx: CallContext,
        op: Operation,
        params: Value,
        outcome: Result<Step<R>>,
    ) -> Result<Step<R>> {
        match outcome {
            Ok(Step::External(call, rest)) => {
                let touched = self.touched.take();
                let materials = self.materials_used.take();
                Ok(Step::External(
                    call,
                    Resume::new(move |kms, answer| {
                        kms.touched.set(touched);
                        kms.materials_used.set(materials);
                        if let Some(region) = ctx.region.as_deref() {
                            kms.enter(region);
                        }
                        let next = rest.resume(kms, answer);
                        let step = kms.conclude(ctx, op, params, next);
                        kms.leave();
                        step
                    }),
                ))
            }
            Ok(Step::Done(response)) => {
                self.record(&ctx, op, params, Ok(&response));
                Ok(Step::Done(response))
            }
            Err(e) => {
                self.record::<R>(&ctx, op, params, Err(&e));
                Err(e)
            }
        }
    }

    /// The end of every call: count a successful write, append the audit record.
    fn record<R: AuditView>(
        &mut self,
        ctx: &CallContext,
        op: Operation,
        params: Value,
        outcome: Result<&R, &KmsError>,
    ) {
        if outcome.is_ok() && !op.read_only() {
            self.bump();
        }
        let touched = self.touched.take();
        let event_id = crate::events::next_id();
        if outcome.is_ok() && op.is_cryptographic() {
            self.note_use(&touched, op, ctx, event_id);
        }
        let resources = touched.into_iter().map(|id| self.partition.key_arn(id)).collect();
        let response_elements = outcome.map_or(Value::Null, AuditView::response_elements);
        // The key material a successful call used (CloudTrail's additionalEventData).
        let materials = self.materials_used.take();
        let materials = if outcome.is_ok() { materials } else { MaterialsUsed::default() };
        self.audit.append(
            Record {
                event_id,
                time: ctx.now,
                event_name: op.name().to_owned(),
                service_event: false,
                caller: ctx.caller.clone(),
                via_service: ctx.service.clone(),
                vpc_endpoint_id: ctx.endpoint.clone(),
                read_only: op.read_only(),
                request_parameters: params,
                response_elements,
                materials,
                resources,
                error: outcome.err().map(|e| (e.name().to_owned(), e.message().to_owned())),
                service_event_details: Value::Null,
                region: self.region_tag(),
                request_id: ctx.request_id.clone(),
            },
            &self.partition,
        );
    }

    fn prepare(&mut self, ctx: &CallContext) -> Result<()> {
        check_caller(&ctx.caller)?;
        self.apply_clock_everywhere(ctx.now)?;
        if let Some(service) = &ctx.service {
            self.ensure_managed_key(service, ctx.now)?;
        }
        Ok(())
    }

    /// Marks the state as changed (operations do it through `run`).
    pub(crate) fn bump(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    fn service_record(&mut self, name: &str, at: Timestamp, key: KeyId, details: Value) {
        self.audit.append(
            Record {
                event_id: crate::events::next_id(),
                time: at,
                event_name: name.to_owned(),
                service_event: true,
                caller: String::new(),
                via_service: None,
                vpc_endpoint_id: None,
                read_only: false,
                request_parameters: Value::Null,
                response_elements: Value::Null,
                materials: MaterialsUsed::default(),
                resources: vec![self.partition.key_arn(key)],
                error: None,
                service_event_details: details,
                region: self.region_tag(),
                request_id: None,
            },
            &self.partition,
        );
    }

    /// Applies the clock in every region in use, the one the call acts in
    /// last: time-driven work does not wait for a call in its region.
    fn apply_clock_everywhere(&mut self, now: Timestamp) -> Result<()> {
        if !self.others.is_empty() {
            let here = self.partition.region.clone();
            let names: Vec<String> = self.others.keys().cloned().collect();
            for name in names {
                self.enter(&name);
                let applied = self.apply_clock(now);
                self.enter(&here);
                applied?;
            }
        }
        self.apply_clock(now)
    }

    /// Applies every time-driven change due by `now`: ends of deletion
    /// windows and automatic rotations. No timers: this runs before each
    /// operation. Each change leaves a service record and an event.
    fn apply_clock(&mut self, now: Timestamp) -> Result<()> {
        // Only the keys the index says are due: O(log n) each, not a scan.
        self.refresh_due();
        let due = self.due.take_due(now, &self.state.keys);
        let result = self.apply_clock_to(&due, now);
        // Whatever happened (even a failure midway), index those keys again.
        self.changed_keys.extend(due);
        self.refresh_due();
        result
    }

    /// The time-driven work due by `now` on the keys `due` (in key order):
    /// deletions first (a key that is gone does not rotate), then the expiry
    /// of imported material, then automatic rotations.
    fn apply_clock_to(&mut self, due: &[KeyId], now: Timestamp) -> Result<()> {
        let mut changed = false;
        let expired: Vec<(KeyId, Timestamp)> = due
            .iter()
            .filter_map(|id| self.state.keys.get(id))
            .filter_map(|k| k.deletion.filter(|d| d.date <= now).map(|d| (k.id, d.date)))
            .collect();
        for (id, at) in expired {
            if let Some(key) = self.state.keys.remove(&id) {
                self.state.deleted.insert(
                    id,
                    DeletedKey {
                        created: key.created,
                        deleted: at,
                        customer_managed: key.manager == KeyManager::Customer,
                        rotations: key.material.rotations().map(|b| b.created).collect(),
                    },
                );
            }
            self.state.aliases.retain(|_, a| a.target != id);
            self.state.last_used.remove(&id);
            self.forget_multi_region_copy(id, at);
            self.key_stores.keys.remove(&id);
            self.service_record("DeleteKey", at, id, serde_json::json!({ "keyId": id.to_string() }));
            self.raise(Event::new(
                "KMS CMK Deletion",
                at,
                &self.partition,
                id,
                serde_json::json!({ "key-id": id.to_string() }),
            ));
            changed = true;
        }
        // Imported material expires at its ValidTo, each material on its own.
        for id in due {
            let Some(key) = self.state.keys.get_mut(id) else { continue };
            let mut gone = Vec::new();
            for version in key.material.materials_mut() {
                if let Some(at) = version.expires().filter(|t| *t <= now) {
                    version.drop_material();
                    gone.push((version.id, at));
                }
            }
            if gone.is_empty() {
                continue;
            }
            // Material pending rotation is not part of the key yet: once
            // expired it is simply gone, and other material can take its place.
            if key.material.pending().is_some_and(|p| !p.present()) {
                key.material.set_pending(None);
            }
            key.settle_import_state();
            for (material, at) in gone {
                let material = hex::encode(material);
                let details = serde_json::json!({ "keyId": id.to_string(), "keyMaterialId": material });
                self.service_record("DeleteExpiredKeyMaterial", at, *id, details);
                let detail = serde_json::json!({ "key-id": id.to_string(), "key-material-id": material });
                self.raise(Event::new("KMS Imported Key Material Expiration", at, &self.partition, *id, detail));
            }
            changed = true;
        }
        let mut rotations = Vec::new();
        for id in due {
            let Some(key) = self.state.keys.get_mut(id) else { continue };
            let made = key.rotate_due(now)?;
            let dates: Vec<Timestamp> = key.material.rotations().rev().take(made).map(|b| b.created).collect();
            rotations.extend(dates.into_iter().rev().map(|at| (key.id, at)));
        }
        for id in rotations.iter().map(|(id, _)| *id).collect::<std::collections::BTreeSet<_>>() {
            // A multi-Region primary's new material reaches its replicas.
            self.sync_replicas(id)?;
        }
        for (id, at) in rotations {
            let details = serde_json::json!({ "keyId": id.to_string(), "rotationType": "AUTOMATIC" });
            self.service_record("RotateKey", at, id, details);
            self.raise(Event::new(
                "KMS CMK Rotation",
                at,
                &self.partition,
                id,
                serde_json::json!({ "key-id": id.to_string() }),
            ));
            changed = true;
        }
        if self.state.clock.is_none_or(|c| c < now) {
            self.state.clock = Some(now);
        }
        if changed {
            self.bump();
        }
        Ok(())
    }

    /// Creates `alias/aws/SERVICE`, the service's AWS-managed key, on the
    /// first call made through that service.
    fn ensure_managed_key(&mut self, service: &str, now: Timestamp) -> Result<()> {
        let valid = !service.is_empty()
            && service.len() <= 64
            && service.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(KmsError::validation(format!("'{service}' is not an AWS service name.")));
        }
        let alias = format!("alias/aws/{service}");
        if self.state.aliases.contains_key(&alias) {
            return Ok(());
        }
        let mut key = Key::generate(
            format!("Default key that protects my {service} data when no other key is defined"),
            BTreeMap::new(),
            KeyPolicy::aws_managed(&self.partition, service),
            now,
        )?;
        key.manager = KeyManager::Aws;
        key.rotation.enable(365, now);
        let id = key.id;
        self.state.keys.insert(id, key);
        self.changed_keys.push(id);
        self.state.aliases.insert(alias, Alias { target: id, created: now, updated: now });
        self.bump();
        Ok(())
    }

    /// Resolves a `KeyId` member to an existing key, and the alias it was
    /// named by (for `kms:RequestAlias`).
    pub(crate) fn resolve(&self, input: &str, forms: AliasForms) -> Result<(KeyId, Option<String>)> {
        match self.partition.parse_key_ref(input, forms)? {
            KeyRef::Key(id) if self.state.keys.contains_key(&id) => Ok((id, None)),
            KeyRef::Key(id) => {
                Err(KmsError::NotFoundException(format!("Key '{}' does not exist", self.partition.key_arn(id))))
            }
            KeyRef::Alias(name) => match self.state.aliases.get(&name) {
                Some(a) => Ok((a.target, Some(name))),
                None => Err(KmsError::NotFoundException(format!(
                    "Alias {} is not found.",
                    crate::error::quoted(&self.partition.alias_arn(&name))
                ))),
            },
        }
    }

    /// Resolves a `KeyId` member, authorizes the access and checks that the
    /// key's state allows it — in that order, as AWS does.
    pub(crate) fn key_for(
        &self,
        ctx: &CallContext,
        access: &Access<'_>,
        input: &str,
        forms: AliasForms,
    ) -> Result<KeyId> {
        let (id, alias) = self.resolve(input, forms)?;
        self.touch_key(id);
        let key = self.key(id)?;
        self.authorize(ctx, key, access, alias.as_deref())?;
        self.check_state(ctx, key, access.op)?;
        Ok(id)
    }

    /// Authorizes `access` on a key already known by id, without a state
    /// check (UpdateAlias on the key an alias leaves).
    pub(crate) fn authorize_id(&self, ctx: &CallContext, access: &Access<'_>, id: KeyId) -> Result<()> {
        self.touch_key(id);
        self.authorize(ctx, self.key(id)?, access, None)
    }

    /// The key-state table, plus the alarm AWS customers build with
    /// CloudWatch: using a key that is pending deletion raises an event.
    pub(crate) fn check_state(&self, ctx: &CallContext, key: &Key, op: Operation) -> Result<()> {
        let verdict = self.key_state(key).check_with(op, || self.partition.key_arn(key.id));
        if verdict.is_err() && key.state == KeyState::PendingDeletion && op.is_cryptographic() {
            self.raise(Event::new(
                "KMS CMK Pending Deletion Use Attempt",
                ctx.now,
                &self.partition,
                key.id,
                serde_json::json!({
                    "key-id": key.id.to_string(),
                    "event-name": op.name(),
                    "principal": ctx.caller,
                    "deletion-date": key.deletion.map(|d| crate::time::iso8601(d.date)),
                }),
            ));
        }
        verdict
    }

    /// The state AWS reports for a key: its own, except that a key in a
    /// custom key store that is not connected is `Unavailable` (unless it is
    /// pending deletion or import, which say more).
    pub(crate) fn key_state(&self, key: &Key) -> KeyState {
        if let Some(settling) = self.settling_state(key.id) {
            return settling;
        }
        match self.key_stores.keys.get(&key.id) {
            Some(x)
                if matches!(key.state, KeyState::Enabled | KeyState::Disabled)
                    && !self.key_stores.is_connected(&x.store_id) =>
            {
                KeyState::Unavailable
            }
            _ => key.state,
        }
    }

    /// The metadata AWS returns for a key, with its custom key store.
    pub(crate) fn metadata(&self, key: &Key) -> crate::keys::KeyMetadata {
        let mut metadata = key.metadata(&self.partition);
        let state = self.key_state(key);
        metadata.key_state = state;
        metadata.enabled = state == KeyState::Enabled;
        metadata.multi_region_configuration = self.multi_region_configuration(key.id);
        metadata.multi_region = metadata.multi_region_configuration.is_some();
        if let Some(x) = self.key_stores.keys.get(&key.id) {
            metadata.custom_key_store_id = Some(x.store_id.clone());
            metadata.xks_key_configuration = Some(crate::keys::XksKeyConfiguration { id: x.xks_key_id.clone() });
        }
        metadata
    }

    /// The key with this id.
    pub(crate) fn key(&self, id: KeyId) -> Result<&Key> {
        self.state
            .keys
            .get(&id)
            .ok_or_else(|| KmsError::NotFoundException(format!("Key '{}' does not exist", self.partition.key_arn(id))))
    }

    /// The key with this id, writable.
    pub(crate) fn key_mut(&mut self, id: KeyId) -> Result<&mut Key> {
        let arn = self.partition.key_arn(id);
        // It may change when it is next due.
        self.changed_keys.push(id);
        self.state.keys.get_mut(&id).ok_or_else(|| KmsError::NotFoundException(format!("Key '{arn}' does not exist")))
    }

    /// Customers may look at AWS-managed keys but not manage them.
    pub(crate) fn customer_managed(&self, id: KeyId, op: Operation) -> Result<()> {
        if self.key(id)?.manager == KeyManager::Aws {
            return Err(KmsError::UnsupportedOperationException(format!(
                "{} is an AWS managed key; {} is not allowed on it.",
                self.partition.key_arn(id),
                op.name()
            )));
        }
        Ok(())
    }
}

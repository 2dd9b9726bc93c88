#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation, clippy::cast_precision_loss)]
//! Model-based test of imported key material: random sequences of imports
//! (NEW_KEY_MATERIAL and EXISTING_KEY_MATERIAL, expiring or not),
//! on-demand rotations, deletions by id or of the current material, clock
//! jumps over expiries, encryptions and store reopens, on one key with
//! Origin EXTERNAL, against a small model of AWS's rules (docs/aws-texts.md).
//! After every step: the key's state, its current material, every material
//! ListKeyRotations lists (id, state, import state), the due-time index, and
//! the outcome of decrypting every ciphertext so far (and which material it
//! names). Each import costs an RSA key pair, so this runs fewer cases than
//! tests/model.rs (`KMS_WASM_MATERIAL_MODEL_CASES`, default 24).
mod common;

use common::byok::*;
use common::*;
use kms_wasm::ops::import::DeleteImportedKeyMaterialRequest;
use kms_wasm::ops::rotation::ListKeyRotationsRequest;
use kms_wasm::time::DAY_MS;
use kms_wasm::{Kms, Partition, Timestamp};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Step {
    /// Import material `m` with ImportType NEW_KEY_MATERIAL, expiring in so many days.
    ImportNew(u8, Option<u32>),
    /// Import material `m` with no ImportType (EXISTING_KEY_MATERIAL once the key has material).
    ImportExisting(u8, Option<u32>),
    Rotate,
    /// Delete material `m` by id, or the current material.
    Delete(Option<u8>),
    Advance(u32),
    Encrypt,
    Reopen,
}

fn expiry() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![2 => Just(None), 1 => Just(Some(1u32)), 1 => Just(Some(5)), 1 => Just(Some(30))]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..5u8, expiry()).prop_map(|(m, e)| Step::ImportNew(m, e)),
        2 => (0..5u8, expiry()).prop_map(|(m, e)| Step::ImportExisting(m, e)),
        3 => Just(Step::Rotate),
        1 => prop_oneof![Just(None), (0..5u8).prop_map(Some)].prop_map(Step::Delete),
        2 => prop_oneof![Just(1u32), Just(4), Just(6), Just(29), Just(31)].prop_map(Step::Advance),
        3 => Just(Step::Encrypt),
        1 => Just(Step::Reopen),
    ]
}

/// One material in the model.
#[derive(Clone, Debug)]
struct Material {
    m: u8,
    present: bool,
    valid_to: Option<i64>,
}

#[derive(Default)]
struct Model {
    now: i64,
    /// Permanently associated materials, oldest first; the last is current.
    versions: Vec<Material>,
    pending: Option<Material>,
    on_demand: u32,
    /// Material ids as the KMS reported them.
    ids: BTreeMap<u8, String>,
    /// Ciphertexts and the material each was made with.
    blobs: Vec<(u8, Vec<u8>)>,
}

impl Model {
    fn usable(&self) -> bool {
        !self.versions.is_empty() && self.versions.iter().all(|v| v.present)
    }

    fn state(&self) -> &'static str {
        if self.usable() {
            "Enabled"
        } else {
            "PendingImport"
        }
    }

    fn known(&self, m: u8) -> bool {
        self.versions.iter().chain(&self.pending).any(|v| v.m == m)
    }

    /// Material expires at its ValidTo; pending material that expires is gone.
    fn tick(&mut self) {
        let now = self.now;
        for v in &mut self.versions {
            if v.valid_to.is_some_and(|t| t <= now) {
                v.present = false;
                v.valid_to = None;
            }
        }
        if self.pending.as_ref().is_some_and(|p| p.valid_to.is_some_and(|t| t <= now)) {
            self.pending = None;
        }
    }

    fn valid_to(&self, days: Option<u32>) -> Option<i64> {
        days.map(|d| self.now + i64::from(d) * DAY_MS)
    }
}

fn material(m: u8) -> [u8; 32] {
    [m + 1; 32]
}

fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut f = Fixture::new();
    let key = external_key(&mut f);
    let mut model = Model { now: f.now.0, ..Default::default() };
    for step in steps {
        f.now = Timestamp(model.now);
        model.tick();
        let ctx = f.ctx();
        match step.clone() {
            Step::ImportNew(m, days) | Step::ImportExisting(m, days) => {
                let new = matches!(step, Step::ImportNew(..));
                let mut req = import_request(&mut f, &key, &material(m));
                if new {
                    req.import_type = Some("NEW_KEY_MATERIAL".into());
                }
                if let Some(t) = model.valid_to(days) {
                    req.expiration_model = Some("KEY_MATERIAL_EXPIRES".into());
                    req.valid_to = Some(t as f64);
                }
                let outcome = f.kms.import_key_material(&ctx, req);
                let pending_is_m = model.pending.as_ref().is_some_and(|p| p.m == m);
                let expect_ok = if new {
                    if model.known(m) {
                        pending_is_m
                    } else {
                        model.versions.is_empty() || (model.pending.is_none() && model.on_demand < 25)
                    }
                } else {
                    // No ImportType: NEW_KEY_MATERIAL for a key's first material, EXISTING after.
                    model.known(m) || model.versions.is_empty()
                };
                prop_assert_eq!(outcome.is_ok(), expect_ok, "{:?}: {:?}", step, outcome.as_ref().err());
                if let Ok(r) = outcome {
                    let entry = Material { m, present: true, valid_to: model.valid_to(days) };
                    if let Some(known) = model.ids.get(&m) {
                        prop_assert_eq!(known, &r.key_material_id, "a reimport keeps the id");
                    }
                    model.ids.insert(m, r.key_material_id);
                    if let Some(v) = model.versions.iter_mut().find(|v| v.m == m) {
                        *v = entry;
                    } else if model.versions.is_empty() {
                        model.versions.push(entry);
                    } else {
                        model.pending = Some(entry);
                    }
                }
            }
            Step::Rotate => {
                let ok = f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&key)).is_ok();
                let expect = model.usable() && model.on_demand < 25 && model.pending.is_some();
                prop_assert_eq!(ok, expect, "{:?}", step);
                if ok {
                    model.versions.push(model.pending.take().unwrap());
                    model.on_demand += 1;
                }
            }
            Step::Delete(which) => {
                let id = which.map(|m| model.ids.get(&m).cloned().unwrap_or_else(|| "ab".repeat(32)));
                let req = DeleteImportedKeyMaterialRequest { key_id: key.clone(), key_material_id: id };
                let ok = f.kms.delete_imported_key_material(&ctx, req).is_ok();
                // Refused while the key is PendingImport (AWS's key state table).
                let expect = model.usable() && which.is_none_or(|m| model.known(m));
                prop_assert_eq!(ok, expect, "{:?}", step);
                if ok {
                    match which {
                        Some(m) if model.pending.as_ref().is_some_and(|p| p.m == m) => model.pending = None,
                        Some(m) => {
                            let v = model.versions.iter_mut().find(|v| v.m == m).unwrap();
                            (v.present, v.valid_to) = (false, None);
                        }
                        None => {
                            let v = model.versions.last_mut().unwrap();
                            (v.present, v.valid_to) = (false, None);
                        }
                    }
                }
            }
            Step::Advance(days) => model.now += i64::from(days) * DAY_MS,
            Step::Encrypt => {
                let r = f.encrypt(&key, b"model", &[]);
                prop_assert_eq!(r.is_ok(), model.usable());
                if let Ok(blob) = r {
                    model.blobs.push((model.versions.last().unwrap().m, blob));
                }
            }
            Step::Reopen => {
                let snap = f.kms.snapshot().unwrap();
                f.kms = Kms::restore(Partition::new(ACCOUNT, REGION).unwrap(), snap.expose()).unwrap();
            }
        }
        prop_assert!(f.kms.due_index_matches_scan(), "the due-time index disagrees with a scan after {:?}", step);
        // Observe (each call applies the clock, so the model does too).
        f.now = Timestamp(model.now);
        model.tick();
        prop_assert_eq!(f.state_of(&key), model.state());
        let ctx = f.ctx();
        let md = f.kms.describe_key(&ctx, Fixture::key_id_req(&key)).unwrap().key_metadata;
        prop_assert_eq!(md.current_key_material_id, model.versions.last().map(|v| model.ids[&v.m].clone()));
        let listed = f
            .kms
            .list_key_rotations(
                &ctx,
                ListKeyRotationsRequest {
                    key_id: key.clone(),
                    include_key_material: Some("ALL_KEY_MATERIAL".into()),
                    ..Default::default()
                },
            )
            .unwrap()
            .rotations;
        let got: Vec<(String, &str, Option<&str>)> =
            listed.iter().map(|r| (r.key_material_id.clone(), r.key_material_state, r.import_state)).collect();
        let last = model.versions.len().saturating_sub(1);
        let mut expected: Vec<(String, &str, Option<&str>)> = model
            .versions
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let state = if i == last { "CURRENT" } else { "NON_CURRENT" };
                (model.ids[&v.m].clone(), state, Some(if v.present { "IMPORTED" } else { "PENDING_IMPORT" }))
            })
            .collect();
        expected.extend(model.pending.iter().map(|p| (model.ids[&p.m].clone(), "PENDING_ROTATION", Some("IMPORTED"))));
        prop_assert_eq!(got, expected);
        for (m, blob) in &model.blobs {
            let outcome = f.decrypt(blob, &[]);
            if model.usable() {
                prop_assert_eq!(outcome.unwrap(), b"model".to_vec());
            } else {
                prop_assert_eq!(outcome.unwrap_err().name(), "KMSInvalidStateException", "blob of material {}", m);
            }
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("KMS_WASM_MATERIAL_MODEL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 500, ..ProptestConfig::default() })]

    #[test]
    fn imported_material_agrees_with_the_model(steps in proptest::collection::vec(step(), 1..30)) {
        run(steps)?;
    }
}

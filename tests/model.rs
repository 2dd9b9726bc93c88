#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
//! Model-based test: random sequences of operations run against the real
//! KMS and against a small reference model of AWS's key-state rules. After
//! every step the observable state must agree: each key's state (or its
//! absence), its rotation count and next rotation date, the aliases, and
//! the outcome of decrypting every ciphertext made so far. Store reopen
//! (snapshot → restore) is one of the steps.
mod common;

use common::*;
use kms_wasm::ops::aliases::{AliasRequest, DeleteAliasRequest, ListAliasesRequest};
use kms_wasm::ops::lifecycle::{KeyIdRequest, ScheduleKeyDeletionRequest};
use kms_wasm::ops::rotation::{EnableKeyRotationRequest, ListKeyRotationsRequest};
use kms_wasm::time::DAY_MS;
use kms_wasm::{Kms, Partition, Timestamp};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Step {
    Create,
    Disable(usize),
    Enable(usize),
    Schedule(usize, u32),
    Cancel(usize),
    RotateNow(usize),
    EnableRotation(usize, u32),
    DisableRotation(usize),
    Advance(u32),
    CreateAlias(usize, usize),
    UpdateAlias(usize, usize),
    DeleteAlias(usize),
    Encrypt(usize),
    Reopen,
    /// Many keys at once: some with automatic rotation, some pending deletion
    /// (expanded into Create, EnableRotation and Schedule steps).
    CreateMany(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => Just(Step::Create),
        2 => (0..16usize).prop_map(Step::Disable),
        2 => (0..16usize).prop_map(Step::Enable),
        1 => (0..16usize, 7..31u32).prop_map(|(k, d)| Step::Schedule(k, d)),
        1 => (0..16usize).prop_map(Step::Cancel),
        1 => (0..16usize).prop_map(Step::RotateNow),
        2 => (0..16usize, prop_oneof![Just(90u32), Just(120), Just(365)]).prop_map(|(k, d)| Step::EnableRotation(k, d)),
        1 => (0..16usize).prop_map(Step::DisableRotation),
        3 => prop_oneof![Just(1u32), Just(6), Just(30), Just(89), Just(91), Just(400)].prop_map(Step::Advance),
        1 => (0..3usize, 0..16usize).prop_map(|(a, k)| Step::CreateAlias(a, k)),
        1 => (0..3usize, 0..16usize).prop_map(|(a, k)| Step::UpdateAlias(a, k)),
        1 => (0..3usize).prop_map(Step::DeleteAlias),
        3 => (0..16usize).prop_map(Step::Encrypt),
        1 => Just(Step::Reopen),
        1 => (4..13usize).prop_map(Step::CreateMany),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Enabled,
    Disabled,
    PendingDeletion,
}

#[derive(Clone, Debug)]
struct ModelKey {
    arn: String,
    state: State,
    deletion: i64,
    rotation: Option<(u32, i64)>, // (period days, next due)
    rotations: usize,
    on_demand: u32,
    gone: bool,
}

#[derive(Default)]
struct Model {
    now: i64,
    keys: Vec<ModelKey>,
    aliases: BTreeMap<String, usize>,
    blobs: Vec<(usize, Vec<u8>)>,
}

impl Model {
    /// Applies the clock the way the KMS promises to: deletions, then
    /// every due automatic rotation of enabled keys.
    fn tick(&mut self) {
        for (i, k) in self.keys.iter_mut().enumerate() {
            if k.gone {
                continue;
            }
            if k.state == State::PendingDeletion && k.deletion <= self.now {
                k.gone = true;
                self.aliases.retain(|_, t| *t != i);
                continue;
            }
            if let (State::Enabled, Some((period, mut next))) = (k.state, k.rotation) {
                while next <= self.now {
                    k.rotations += 1;
                    next += i64::from(period) * DAY_MS;
                }
                k.rotation = Some((period, next));
            }
        }
    }

    fn live(&self, i: usize) -> Option<&ModelKey> {
        self.keys.get(i).filter(|k| !k.gone)
    }
}

fn alias_name(a: usize) -> String {
    format!("alias/m{a}")
}

/// `CreateMany(n)` as the steps it stands for: key `k` (its index among all
/// keys created) gets automatic rotation with a period of its own when
/// `k % 3 == 0`, a deletion window of its own when `k % 3 == 1`.
fn expand(steps: Vec<Step>) -> Vec<Step> {
    let mut out = Vec::new();
    let mut created = 0usize;
    for step in steps {
        match step {
            Step::Create => {
                created += 1;
                out.push(Step::Create);
            }
            Step::CreateMany(n) => {
                for _ in 0..n {
                    let k = created;
                    created += 1;
                    out.push(Step::Create);
                    let own = u32::try_from(k % 20).unwrap();
                    match k % 3 {
                        0 => out.push(Step::EnableRotation(k, 90 + own)),
                        1 => out.push(Step::Schedule(k, 7 + own)),
                        _ => {}
                    }
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let steps = expand(steps);
    let mut f = Fixture::new();
    let mut m = Model { now: f.now.0, ..Default::default() };
    // A replica fed only what each step changed (record-level persistence):
    // after every step it holds exactly the KMS's state.
    let mut replica = Kms::new(Partition::new(ACCOUNT, REGION).unwrap());
    let mut generation = 0u64;
    let mut reopens = 0u32;
    for step in steps {
        let step_name = format!("{step:?}");
        f.now = Timestamp(m.now);
        m.tick();
        let ctx = f.ctx();
        let arn = |m: &Model, i: usize| {
            m.keys.get(i).map(|k| k.arn.clone()).unwrap_or_else(|| "1234abcd-12ab-34cd-56ef-1234567890ab".into())
        };
        match step {
            Step::Create => {
                let arn = f.kms.create_key(&ctx, Default::default()).unwrap().key_metadata.arn;
                m.keys.push(ModelKey {
                    arn,
                    state: State::Enabled,
                    deletion: 0,
                    rotation: None,
                    rotations: 0,
                    on_demand: 0,
                    gone: false,
                });
            }
            Step::Disable(i) => {
                let ok = f.kms.disable_key(&ctx, KeyIdRequest { key_id: arn(&m, i), ..Default::default() }).is_ok();
                let expect = m.live(i).is_some_and(|k| k.state != State::PendingDeletion);
                prop_assert_eq!(ok, expect);
                if ok {
                    m.keys[i].state = State::Disabled;
                }
            }
            Step::Enable(i) => {
                let ok = f.kms.enable_key(&ctx, KeyIdRequest { key_id: arn(&m, i), ..Default::default() }).is_ok();
                let expect = m.live(i).is_some_and(|k| k.state != State::PendingDeletion);
                prop_assert_eq!(ok, expect);
                if ok {
                    let k = &mut m.keys[i];
                    k.state = State::Enabled;
                    // overdue while disabled: one rotation at once
                    if let Some((period, next)) = k.rotation {
                        if next <= m.now {
                            k.rotations += 1;
                            k.rotation = Some((period, m.now + i64::from(period) * DAY_MS));
                        }
                    }
                }
            }
            Step::Schedule(i, days) => {
                let req =
                    ScheduleKeyDeletionRequest { key_id: arn(&m, i), pending_window_in_days: Some(i64::from(days)) };
                let ok = f.kms.schedule_key_deletion(&ctx, req).is_ok();
                prop_assert_eq!(ok, m.live(i).is_some_and(|k| k.state != State::PendingDeletion));
                if ok {
                    m.keys[i].state = State::PendingDeletion;
                    m.keys[i].deletion = m.now + i64::from(days) * DAY_MS;
                }
            }
            Step::Cancel(i) => {
                let ok =
                    f.kms.cancel_key_deletion(&ctx, KeyIdRequest { key_id: arn(&m, i), ..Default::default() }).is_ok();
                prop_assert_eq!(ok, m.live(i).is_some_and(|k| k.state == State::PendingDeletion));
                if ok {
                    m.keys[i].state = State::Disabled;
                }
            }
            Step::RotateNow(i) => {
                let ok =
                    f.kms.rotate_key_on_demand(&ctx, KeyIdRequest { key_id: arn(&m, i), ..Default::default() }).is_ok();
                prop_assert_eq!(ok, m.live(i).is_some_and(|k| k.state == State::Enabled && k.on_demand < 25));
                if ok {
                    m.keys[i].rotations += 1;
                    m.keys[i].on_demand += 1;
                }
            }
            Step::EnableRotation(i, days) => {
                let req =
                    EnableKeyRotationRequest { key_id: arn(&m, i), rotation_period_in_days: Some(i64::from(days)) };
                let ok = f.kms.enable_key_rotation(&ctx, req).is_ok();
                prop_assert_eq!(ok, m.live(i).is_some_and(|k| k.state == State::Enabled));
                if ok {
                    let k = &mut m.keys[i];
                    let anchor = match k.rotation {
                        Some((p, next)) => next - i64::from(p) * DAY_MS,
                        None => m.now,
                    };
                    k.rotation = Some((days, anchor + i64::from(days) * DAY_MS));
                }
            }
            Step::DisableRotation(i) => {
                let ok =
                    f.kms.disable_key_rotation(&ctx, KeyIdRequest { key_id: arn(&m, i), ..Default::default() }).is_ok();
                prop_assert_eq!(ok, m.live(i).is_some_and(|k| k.state == State::Enabled));
                if ok {
                    m.keys[i].rotation = None;
                }
            }
            Step::Advance(days) => m.now += i64::from(days) * DAY_MS,
            Step::CreateAlias(a, i) => {
                let req = AliasRequest { alias_name: alias_name(a), target_key_id: arn(&m, i) };
                let ok = f.kms.create_alias(&ctx, req).is_ok();
                let expect = !m.aliases.contains_key(&alias_name(a))
                    && m.live(i).is_some_and(|k| k.state != State::PendingDeletion);
                prop_assert_eq!(ok, expect);
                if ok {
                    m.aliases.insert(alias_name(a), i);
                }
            }
            Step::UpdateAlias(a, i) => {
                let req = AliasRequest { alias_name: alias_name(a), target_key_id: arn(&m, i) };
                let ok = f.kms.update_alias(&ctx, req).is_ok();
                let expect = m.aliases.contains_key(&alias_name(a))
                    && m.live(i).is_some_and(|k| k.state != State::PendingDeletion);
                prop_assert_eq!(ok, expect);
                if ok {
                    m.aliases.insert(alias_name(a), i);
                }
            }
            Step::DeleteAlias(a) => {
                let ok = f.kms.delete_alias(&ctx, DeleteAliasRequest { alias_name: alias_name(a) }).is_ok();
                prop_assert_eq!(ok, m.aliases.remove(&alias_name(a)).is_some());
            }
            Step::Encrypt(i) => {
                let arn = arn(&m, i);
                let r = f.encrypt(&arn, &[i as u8; 8], &[("i", &i.to_string())]);
                prop_assert_eq!(r.is_ok(), m.live(i).is_some_and(|k| k.state == State::Enabled));
                if let Ok(blob) = r {
                    m.blobs.push((i, blob));
                }
            }
            Step::Reopen => {
                // from a snapshot, or from all records (sealed), in turn
                reopens += 1;
                let partition = Partition::new(ACCOUNT, REGION).unwrap();
                if reopens % 2 == 1 {
                    let snap = f.kms.snapshot().unwrap();
                    f.kms = Kms::restore(partition, snap.expose()).unwrap();
                } else {
                    let all = f.kms.all_records(Some(&[3; 32]), generation).unwrap();
                    f.kms = Kms::new(partition);
                    f.kms.apply_records(Some(&[3; 32]), all.expose()).unwrap();
                }
            }
            Step::CreateMany(_) => prop_assert!(false, "CreateMany is expanded before the run"),
        }
        // the due-time index says what a scan of every key says
        prop_assert!(f.kms.due_index_matches_scan(), "the due-time index disagrees with a scan after {:?}", step_name);
        // observe everything and compare with the model; every observing
        // call applies the clock first, so the model does too
        f.now = Timestamp(m.now);
        m.tick();
        let ctx = f.ctx();
        for k in &m.keys {
            let described = f.kms.describe_key(&ctx, KeyIdRequest { key_id: k.arn.clone(), ..Default::default() });
            if k.gone {
                prop_assert_eq!(described.unwrap_err().name(), "NotFoundException");
                continue;
            }
            let md = described.unwrap().key_metadata;
            prop_assert_eq!(format!("{:?}", md.key_state), format!("{:?}", k.state));
            let rotations = f
                .kms
                .list_key_rotations(
                    &ctx,
                    ListKeyRotationsRequest { key_id: k.arn.clone(), limit: Some(1000), ..Default::default() },
                )
                .unwrap();
            prop_assert_eq!(rotations.rotations.len(), k.rotations, "rotations of {}", k.arn);
            let status = f
                .kms
                .get_key_rotation_status(&ctx, KeyIdRequest { key_id: k.arn.clone(), ..Default::default() })
                .unwrap();
            prop_assert_eq!(status.next_rotation_date.map(|t| t.0), k.rotation.map(|r| r.1));
        }
        let aliases: BTreeMap<String, String> = f
            .kms
            .list_aliases(&ctx, ListAliasesRequest { limit: Some(100), ..Default::default() })
            .unwrap()
            .aliases
            .into_iter()
            .filter_map(|a| Some((a.alias_name, a.target_key_id?)))
            .collect();
        let expected: BTreeMap<String, String> =
            m.aliases.iter().map(|(n, i)| (n.clone(), m.keys[*i].arn.rsplit('/').next().unwrap().to_owned())).collect();
        prop_assert_eq!(aliases, expected);
        for (i, blob) in &m.blobs {
            let outcome = f.decrypt(blob, &[("i", &i.to_string())]);
            let k = &m.keys[*i];
            let expected = if k.gone {
                "NotFoundException"
            } else {
                match k.state {
                    State::Enabled => "ok",
                    State::Disabled => "DisabledException",
                    State::PendingDeletion => "KMSInvalidStateException",
                }
            };
            let got = match &outcome {
                Ok(p) => {
                    prop_assert_eq!(p, &vec![*i as u8; 8]);
                    "ok"
                }
                Err(e) => e.name(),
            };
            prop_assert_eq!(got, expected, "decrypt of a blob of key {}", i);
        }
        generation += 1;
        let body = f.kms.take_changes(None, generation).unwrap();
        replica.apply_records(None, body.expose()).unwrap();
        prop_assert!(
            replica.snapshot().unwrap().expose() == f.kms.snapshot().unwrap().expose(),
            "the replica fed the changed records differs after {}",
            step_name
        );
    }
    prop_assert!(replica.due_index_matches_scan());
    Ok(())
}

fn cases() -> u32 {
    std::env::var("KMS_WASM_MODEL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_kms_agrees_with_the_model(steps in proptest::collection::vec(step(), 1..40)) {
        run(steps)?;
    }
}

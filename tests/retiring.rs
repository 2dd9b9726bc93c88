#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
//! ListRetirableGrants through the index of grants by retiring principal
//! (issue 14, item 3): random grants created, retired and revoked on many
//! keys, keys deleted by the clock and the KMS reopened; after every step
//! the index agrees with a scan, and paging with every Limit lists exactly
//! the grants a walk over every key finds, each once.
mod common;

use common::*;
use kms_wasm::ops::grants::{CreateGrantRequest, ListRetirableGrantsRequest, RetireGrantRequest, RevokeGrantRequest};
use kms_wasm::ops::lifecycle::ScheduleKeyDeletionRequest;
use kms_wasm::{Kms, Partition};
use proptest::prelude::*;
use std::collections::BTreeSet;

const PRINCIPALS: [&str; 3] =
    ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bob", "arn:aws:iam::444455556666:root"];
const GRANTEE: &str = "arn:aws:iam::111122223333:role/worker";

#[derive(Clone, Debug)]
enum Step {
    Grant(usize, Option<usize>),
    Retire(usize),
    Revoke(usize),
    Delete(usize),
    Advance(u8),
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0..12usize, proptest::option::of(0..3usize)).prop_map(|(k, p)| Step::Grant(k, p)),
        2 => (0..40usize).prop_map(Step::Retire),
        1 => (0..40usize).prop_map(Step::Revoke),
        1 => (0..12usize).prop_map(Step::Delete),
        1 => (1..10u8).prop_map(Step::Advance),
        1 => Just(Step::Reopen),
    ]
}

/// Every page of ListRetirableGrants for `principal` with page size `limit`.
fn listed(f: &mut Fixture, principal: &str, limit: i64) -> Vec<(String, String)> {
    let ctx = f.ctx();
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let req = ListRetirableGrantsRequest {
            retiring_principal: principal.into(),
            limit: Some(limit),
            marker: marker.take(),
        };
        let page = f.kms.list_retirable_grants(&ctx, req).unwrap();
        assert!(page.grants.len() <= limit as usize);
        out.extend(page.grants.into_iter().map(|g| (g.key_id, g.grant_id)));
        match page.next_marker {
            Some(m) => {
                assert!(page.truncated);
                marker = Some(m);
            }
            None => {
                assert!(!page.truncated);
                return out;
            }
        }
    }
}

fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let mut f = Fixture::new();
    let keys: Vec<String> = (0..12).map(|_| f.key()).collect();
    // (key arn, grant id, token, retiring principal) of every grant made
    let mut grants: Vec<(String, String, String, Option<usize>)> = Vec::new();
    for step in steps {
        let ctx = f.ctx();
        match step {
            Step::Grant(k, p) => {
                let req = CreateGrantRequest {
                    key_id: keys[k].clone(),
                    grantee_principal: GRANTEE.into(),
                    retiring_principal: p.map(|p| PRINCIPALS[p].into()),
                    operations: vec!["Decrypt".into()],
                    ..Default::default()
                };
                if let Ok(g) = f.kms.create_grant(&ctx, req) {
                    grants.push((keys[k].clone(), g.grant_id, g.grant_token, p));
                }
            }
            Step::Retire(i) if !grants.is_empty() => {
                let (_, _, token, _) = grants[i % grants.len()].clone();
                let req = RetireGrantRequest { grant_token: Some(token), ..Default::default() };
                let _ = f.kms.retire_grant(&ctx, req);
            }
            Step::Revoke(i) if !grants.is_empty() => {
                let (key, id, _, _) = grants[i % grants.len()].clone();
                let _ = f.kms.revoke_grant(&ctx, RevokeGrantRequest { key_id: key, grant_id: id, dry_run: None });
            }
            Step::Delete(k) => {
                let req = ScheduleKeyDeletionRequest { key_id: keys[k].clone(), pending_window_in_days: Some(7) };
                let _ = f.kms.schedule_key_deletion(&ctx, req);
            }
            Step::Advance(days) => f.advance_days(i64::from(days)),
            Step::Reopen => {
                let snap = f.kms.snapshot().unwrap();
                f.kms = Kms::restore(Partition::new(ACCOUNT, REGION).unwrap(), snap.expose()).unwrap();
            }
            Step::Retire(_) | Step::Revoke(_) => {}
        }
        // Settle the clock, then compare the index with a scan.
        let ctx = f.ctx();
        let _ = f.kms.list_keys(&ctx, Default::default());
        prop_assert!(f.kms.due_index_matches_scan(), "the indexes disagree with a scan");
        // What a walk over every key's grants finds, per principal.
        for (pi, principal) in PRINCIPALS.iter().enumerate() {
            let mut expected = BTreeSet::new();
            for (key, id, _, p) in &grants {
                if *p != Some(pi) {
                    continue;
                }
                let req = kms_wasm::ops::grants::ListGrantsRequest {
                    key_id: key.clone(),
                    grant_id: Some(id.clone()),
                    ..Default::default()
                };
                if f.kms.list_grants(&ctx, req).is_ok_and(|l| !l.grants.is_empty()) {
                    expected.insert((key.clone(), id.clone()));
                }
            }
            for limit in [1, 2, 7, 100] {
                let got = listed(&mut f, principal, limit);
                let unique: BTreeSet<_> = got.iter().cloned().collect();
                prop_assert_eq!(unique.len(), got.len(), "a grant listed twice");
                prop_assert_eq!(&unique, &expected, "principal {} limit {}", principal, limit);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn list_retirable_grants_pages_what_a_scan_finds(steps in proptest::collection::vec(step(), 1..40)) {
        run(steps)?;
    }
}

#[test]
fn markers_not_ours_are_invalid_marker_exceptions() {
    let mut f = Fixture::new();
    for bad in ["p1", "r", "rxyz", &format!("r{}", "0".repeat(95)), &format!("r{}", "g".repeat(96))] {
        let marker = Some(bad.to_owned());
        f.fails_unchanged("InvalidMarkerException", |kms, ctx| {
            kms.list_retirable_grants(
                ctx,
                ListRetirableGrantsRequest { retiring_principal: PRINCIPALS[0].into(), limit: None, marker },
            )
        });
    }
    // an empty marker breaks the model (1..1024 characters)
    let e = f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.list_retirable_grants(
            ctx,
            ListRetirableGrantsRequest {
                retiring_principal: PRINCIPALS[0].into(),
                limit: None,
                marker: Some(String::new()),
            },
        )
    });
    assert_eq!(
        e.message(),
        "1 validation error detected: Value '' at 'marker' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

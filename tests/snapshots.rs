#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
//! Snapshots: the whole state survives a round trip; damage is detected.
mod common;

use common::*;
use kms_wasm::ops::aliases::AliasRequest;
use kms_wasm::{Kms, Partition};

#[test]
fn a_restored_kms_decrypts_old_ciphertexts_and_keeps_aliases_and_schedules() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms.create_alias(&ctx, AliasRequest { alias_name: "alias/kept".into(), target_key_id: key.clone() }).unwrap();
    let blob = f.encrypt(&key, b"survives", &[("c", "1")]).unwrap();
    f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&key)).unwrap();
    let snap = f.kms.snapshot().unwrap();
    let mut g =
        Fixture { kms: Kms::restore(Partition::new(ACCOUNT, REGION).unwrap(), snap.expose()).unwrap(), now: f.now };
    assert_eq!(g.kms.snapshot().unwrap().expose(), snap.expose());
    assert_eq!(g.decrypt(&blob, &[("c", "1")]).unwrap(), b"survives");
    let ctx = g.ctx();
    assert_eq!(g.kms.describe_key(&ctx, Fixture::key_id_req("alias/kept")).unwrap().key_metadata.arn, key);
}

#[test]
fn any_damaged_byte_of_a_snapshot_is_detected() {
    let mut f = Fixture::new();
    f.key();
    let snap = f.kms.snapshot().unwrap().expose().to_vec();
    let p = Partition::new(ACCOUNT, REGION).unwrap();
    for i in 0..snap.len() {
        let mut bad = snap.clone();
        bad[i] ^= 0x20;
        assert_eq!(Kms::restore(p.clone(), &bad).unwrap_err().name(), "KMSInvalidStoreException", "byte {i}");
    }
    for len in 0..snap.len() {
        assert!(Kms::restore(p.clone(), &snap[..len]).is_err());
    }
}

#[test]
fn a_snapshot_of_another_account_is_refused() {
    let mut f = Fixture::new();
    f.key();
    let snap = f.kms.snapshot().unwrap();
    let other = Partition::new("444455556666", REGION).unwrap();
    assert_eq!(Kms::restore(other, snap.expose()).unwrap_err().name(), "KMSInvalidStoreException");
}

#[test]
fn snapshots_contain_no_key_material_in_debug_form() {
    let mut f = Fixture::new();
    f.key();
    let shown = format!("{:?}", f.kms);
    assert!(shown.contains("AeadKey([REDACTED])"));
}

/// Grants with one constraint member set survive a snapshot (postcard needs
/// every field written: a skipped member shifted the rest, and the store
/// could not be read again), and list as AWS writes them.
#[test]
fn grants_with_constraints_survive_a_snapshot() {
    use kms_wasm::grants::Constraints;
    use kms_wasm::ops::grants::{CreateGrantRequest, ListGrantsRequest};
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    for (equals, subset) in [(Some(map(&[("a", "1")])), None), (None, Some(map(&[("b", "2")])))] {
        let constraints = Some(Constraints { encryption_context_equals: equals, encryption_context_subset: subset });
        f.kms
            .create_grant(
                &ctx,
                CreateGrantRequest {
                    key_id: key.clone(),
                    grantee_principal: "arn:aws:iam::111122223333:role/reader".into(),
                    operations: vec!["Decrypt".into()],
                    constraints,
                    ..Default::default()
                },
            )
            .unwrap();
    }
    let snap = f.kms.snapshot().unwrap();
    let mut g =
        Fixture { kms: Kms::restore(Partition::new(ACCOUNT, REGION).unwrap(), snap.expose()).unwrap(), now: f.now };
    assert_eq!(g.kms.snapshot().unwrap().expose(), snap.expose());
    let ctx = g.ctx();
    let grants = g.kms.list_grants(&ctx, ListGrantsRequest { key_id: key, ..Default::default() }).unwrap().grants;
    let shown: Vec<serde_json::Value> =
        grants.iter().map(|g| serde_json::to_value(g).unwrap()["Constraints"].clone()).collect();
    assert!(shown.contains(&serde_json::json!({ "EncryptionContextEquals": { "a": "1" } })), "{shown:?}");
    assert!(shown.contains(&serde_json::json!({ "EncryptionContextSubset": { "b": "2" } })), "{shown:?}");
}

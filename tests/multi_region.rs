//! Multi-Region keys: one key id in several Regions, one key material, so a
//! ciphertext of any of them decrypts with any other; rotation on the
//! primary reaches the replicas; the primary Region moves; deletion waits
//! for the replicas. AWS Developer Guide, "Multi-Region keys in AWS KMS".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{Fixture, ACCOUNT, REGION};
use kms_wasm::crypto::SecretBytes;
use kms_wasm::keys::KeyState;
use kms_wasm::multi_region::{ReplicateKeyRequest, UpdatePrimaryRegionRequest};
use kms_wasm::ops::crypto::{DecryptRequest, EncryptRequest};
use kms_wasm::ops::lifecycle::{CreateKeyRequest, ScheduleKeyDeletionRequest};
use kms_wasm::ops::rotation::EnableKeyRotationRequest;
use kms_wasm::{CallContext, Kms, KmsError, Partition, Timestamp};

const EU: &str = "eu-west-1";
const WEST: &str = "us-west-2";

fn at(f: &Fixture, region: &str) -> CallContext {
    CallContext { region: Some(region.to_owned()), ..f.ctx() }
}

fn tick(f: &mut Fixture) {
    f.now = Timestamp(f.now.0 + 1000);
}

fn mrk(f: &mut Fixture) -> String {
    let ctx = f.ctx();
    let req = CreateKeyRequest { multi_region: Some(true), ..Default::default() };
    f.kms.create_key(&ctx, req).unwrap().key_metadata.key_id
}

fn replicate(
    f: &mut Fixture,
    id: &str,
    region: &str,
) -> Result<kms_wasm::multi_region::ReplicateKeyResponse, KmsError> {
    let ctx = f.ctx();
    let req = ReplicateKeyRequest { key_id: id.into(), replica_region: region.into(), ..Default::default() };
    f.kms.replicate_key(&ctx, req)
}

fn describe(f: &mut Fixture, region: &str, id: &str) -> Result<kms_wasm::keys::KeyMetadata, KmsError> {
    let ctx = at(f, region);
    f.kms.describe_key(&ctx, Fixture::key_id_req(id)).map(|r| r.key_metadata)
}

fn encrypt_in(f: &mut Fixture, region: &str, id: &str, text: &[u8]) -> Vec<u8> {
    let ctx = at(f, region);
    let req = EncryptRequest { key_id: id.into(), plaintext: SecretBytes::new(text.to_vec()), ..Default::default() };
    f.kms.encrypt(&ctx, req).unwrap().ciphertext_blob
}

fn decrypt_in(f: &mut Fixture, region: &str, blob: &[u8]) -> Result<Vec<u8>, KmsError> {
    let ctx = at(f, region);
    let req = DecryptRequest { ciphertext_blob: blob.to_vec(), ..Default::default() };
    f.kms.decrypt(&ctx, req).map(|r| r.plaintext.expose().to_vec())
}

fn snap(kms: &Kms) -> Vec<u8> {
    kms.snapshot().unwrap().expose().to_vec()
}

#[test]
fn a_multi_region_key_is_a_primary_with_an_mrk_id() {
    let mut f = Fixture::new();
    let id = mrk(&mut f);
    assert!(id.starts_with("mrk-") && id.len() == 36, "{id}");
    assert!(id[4..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    let m = describe(&mut f, REGION, &id).unwrap();
    assert!(m.multi_region);
    let c = m.multi_region_configuration.unwrap();
    assert_eq!(c.multi_region_key_type, "PRIMARY");
    assert_eq!(c.primary_key.region, REGION);
    assert_eq!(c.primary_key.arn, format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}"));
    assert!(c.replica_keys.is_empty());
    // A single-Region key has none.
    let plain = f.key();
    assert!(describe(&mut f, REGION, &plain).unwrap().multi_region_configuration.is_none());
}

#[test]
fn a_replica_shares_the_id_and_material_and_settles_after_the_call() {
    let mut f = Fixture::new();
    let id = mrk(&mut f);
    let before = encrypt_in(&mut f, REGION, &id, b"made by the primary");
    let r = replicate(&mut f, &id, EU).unwrap();
    assert_eq!(r.replica_key_metadata.arn, format!("arn:aws:kms:{EU}:{ACCOUNT}:key/{id}"));
    assert_eq!(r.replica_key_metadata.key_state, KeyState::Creating);
    assert!(r.replica_policy.contains(&format!("arn:aws:iam::{ACCOUNT}:root")));
    // Creating: not usable in the same instant.
    assert_eq!(decrypt_in(&mut f, EU, &before).unwrap_err().name(), "KMSInvalidStateException");
    tick(&mut f);
    let replica = describe(&mut f, EU, &id).unwrap();
    assert_eq!(replica.key_state, KeyState::Enabled);
    let c = replica.multi_region_configuration.unwrap();
    assert_eq!((c.multi_region_key_type, c.primary_key.region.as_str()), ("REPLICA", REGION));
    assert_eq!(c.replica_keys.iter().map(|k| k.region.as_str()).collect::<Vec<_>>(), vec![EU]);
    let primary = describe(&mut f, REGION, &id).unwrap().multi_region_configuration.unwrap();
    assert_eq!(primary.replica_keys[0].arn, replica.arn);

    // One material: ciphertexts cross Regions both ways.
    assert_eq!(decrypt_in(&mut f, EU, &before).unwrap(), b"made by the primary");
    let there = encrypt_in(&mut f, EU, &id, b"made by the replica");
    assert_eq!(decrypt_in(&mut f, REGION, &there).unwrap(), b"made by the replica");
    // A Region without a replica has no such key.
    let e = decrypt_in(&mut f, WEST, &there).unwrap_err();
    assert!(matches!(e.name(), "NotFoundException" | "InvalidCiphertextException"), "{e:?}");
}

#[test]
fn rotation_is_the_primarys_and_reaches_every_replica() {
    let mut f = Fixture::new();
    let id = mrk(&mut f);
    replicate(&mut f, &id, EU).unwrap();
    replicate(&mut f, &id, WEST).unwrap();
    tick(&mut f);
    let ctx = f.ctx();
    f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&id)).unwrap();
    let after = encrypt_in(&mut f, REGION, &id, b"rotated");
    for region in [EU, WEST] {
        assert_eq!(decrypt_in(&mut f, region, &after).unwrap(), b"rotated", "{region}");
        let there = encrypt_in(&mut f, region, &id, b"back");
        assert_eq!(decrypt_in(&mut f, REGION, &there).unwrap(), b"back");
    }
    // A replica refuses to rotate or change its rotation; its settings are the primary's.
    let eu = at(&f, EU);
    let e = f.kms.rotate_key_on_demand(&eu, Fixture::key_id_req(&id)).unwrap_err();
    assert_eq!(e.name(), "UnsupportedOperationException");
    let req = EnableKeyRotationRequest { key_id: id.clone(), ..Default::default() };
    assert_eq!(f.kms.enable_key_rotation(&eu, req).unwrap_err().name(), "UnsupportedOperationException");
    let ctx = f.ctx();
    f.kms.enable_key_rotation(&ctx, EnableKeyRotationRequest { key_id: id.clone(), ..Default::default() }).unwrap();
    let status = f.kms.get_key_rotation_status(&eu, Fixture::key_id_req(&id)).unwrap();
    assert!(status.key_rotation_enabled);
    // The automatic rotation, a year on, reaches the replicas too.
    f.advance_days(366);
    let later = encrypt_in(&mut f, REGION, &id, b"a year on");
    assert_eq!(decrypt_in(&mut f, WEST, &later).unwrap(), b"a year on");
}

#[test]
fn the_primary_region_moves_and_both_keys_report_updating_until_the_clock_moves() {
    let mut f = Fixture::new();
    let id = mrk(&mut f);
    replicate(&mut f, &id, EU).unwrap();
    tick(&mut f);
    let old = encrypt_in(&mut f, REGION, &id, b"old primary");
    let ctx = f.ctx();
    f.kms
        .update_primary_region(&ctx, UpdatePrimaryRegionRequest { key_id: id.clone(), primary_region: EU.into() })
        .unwrap();
    assert_eq!(describe(&mut f, REGION, &id).unwrap().key_state, KeyState::Updating);
    assert_eq!(describe(&mut f, EU, &id).unwrap().key_state, KeyState::Updating);
    // Updating keys stay usable.
    assert_eq!(decrypt_in(&mut f, EU, &old).unwrap(), b"old primary");
    tick(&mut f);
    let eu = describe(&mut f, EU, &id).unwrap();
    assert_eq!(eu.key_state, KeyState::Enabled);
    assert_eq!(eu.multi_region_configuration.unwrap().multi_region_key_type, "PRIMARY");
    let us = describe(&mut f, REGION, &id).unwrap().multi_region_configuration.unwrap();
    assert_eq!((us.multi_region_key_type, us.primary_key.region.as_str()), ("REPLICA", EU));
    // Rotation is now made in eu-west-1 and reaches us-east-1.
    let ctx = at(&f, EU);
    f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&id)).unwrap();
    let ctx = f.ctx();
    assert_eq!(
        f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&id)).unwrap_err().name(),
        "UnsupportedOperationException"
    );
    let new = encrypt_in(&mut f, EU, &id, b"new primary");
    assert_eq!(decrypt_in(&mut f, REGION, &new).unwrap(), b"new primary");
    assert_eq!(decrypt_in(&mut f, EU, &old).unwrap(), b"old primary");
}

#[test]
fn wrong_requests_get_awss_exceptions_and_change_nothing() {
    let mut f = Fixture::new();
    let id = mrk(&mut f);
    let plain = f.key();
    replicate(&mut f, &id, EU).unwrap();
    tick(&mut f);
    let generation = f.kms.generation();
    let state = snap(&f.kms);
    let cases: Vec<(&str, Result<(), KmsError>)> = vec![
        ("ValidationException", replicate(&mut f, &id, "").map(drop)),
        ("ValidationException", replicate(&mut f, &id, "mars-north-1").map(drop)),
        ("ValidationException", replicate(&mut f, &id, REGION).map(drop)),
        ("AlreadyExistsException", replicate(&mut f, &id, EU).map(drop)),
        ("UnsupportedOperationException", replicate(&mut f, &plain, EU).map(drop)),
        ("NotFoundException", replicate(&mut f, "mrk-00000000000000000000000000000000", EU).map(drop)),
        ("NotFoundException", replicate(&mut f, "mrk-0000000000000000c000000000000000", EU).map(drop)),
    ];
    for (want, got) in cases {
        assert_eq!(got.unwrap_err().name(), want);
    }
    // A replica is not replicated, and does not move the primary.
    let eu = at(&f, EU);
    let req = ReplicateKeyRequest { key_id: id.clone(), replica_region: WEST.into(), ..Default::default() };
    assert_eq!(f.kms.replicate_key(&eu, req).unwrap_err().name(), "UnsupportedOperationException");
    let req = UpdatePrimaryRegionRequest { key_id: id.clone(), primary_region: REGION.into() };
    assert_eq!(f.kms.update_primary_region(&eu, req).unwrap_err().name(), "UnsupportedOperationException");
    let ctx = f.ctx();
    let req = UpdatePrimaryRegionRequest { key_id: id.clone(), primary_region: WEST.into() };
    assert_eq!(f.kms.update_primary_region(&ctx, req).unwrap_err().name(), "NotFoundException");
    let req = UpdatePrimaryRegionRequest { key_id: plain, primary_region: EU.into() };
    assert_eq!(f.kms.update_primary_region(&ctx, req).unwrap_err().name(), "UnsupportedOperationException");
    assert_eq!(f.kms.generation(), generation);
    // The only change is the clock's.
    let mut back = Kms::restore(Partition::new(ACCOUNT, REGION).unwrap(), &state).unwrap();
    let mut g = Fixture { kms: Kms::new(Partition::new(ACCOUNT, REGION).unwrap()), now: f.now };
    std::mem::swap(&mut g.kms, &mut back);
    assert_eq!(describe(&mut g, EU, &id).unwrap().arn, describe(&mut f, EU, &id).unwrap().arn);
}

#[test]
fn a_primary_waits_for_its_replicas_before_its_own_waiting_period() {
    let mut f = Fixture::new();
    let id = mrk(&mut f);
    replicate(&mut f, &id, EU).unwrap();
    tick(&mut f);
    let ctx = f.ctx();
    let req = ScheduleKeyDeletionRequest { key_id: id.clone(), pending_window_in_days: Some(10) };
    let r = f.kms.schedule_key_deletion(&ctx, req).unwrap();
    assert_eq!(r.key_state, KeyState::PendingReplicaDeletion);
    assert!(r.deletion_date.is_none());
    let m = describe(&mut f, REGION, &id).unwrap();
    assert_eq!((m.key_state, m.deletion_date), (KeyState::PendingReplicaDeletion, None));
    let blob = encrypt_in(&mut f, EU, &id, b"x");
    assert_eq!(decrypt_in(&mut f, REGION, &blob).unwrap_err().name(), "KMSInvalidStateException");

    // Cancelling works as for any key pending deletion.
    let ctx = f.ctx();
    f.kms.cancel_key_deletion(&ctx, Fixture::key_id_req(&id)).unwrap();
    assert_eq!(describe(&mut f, REGION, &id).unwrap().key_state, KeyState::Disabled);
    let req = ScheduleKeyDeletionRequest { key_id: id.clone(), pending_window_in_days: Some(10) };
    f.kms.schedule_key_deletion(&ctx, req).unwrap();

    let eu = at(&f, EU);
    let req = ScheduleKeyDeletionRequest { key_id: id.clone(), pending_window_in_days: Some(7) };
    f.kms.schedule_key_deletion(&eu, req).unwrap();
    f.advance_days(7);
    f.now = Timestamp(f.now.0 + 1);
    let replica_gone = f.now;
    assert_eq!(describe(&mut f, EU, &id).unwrap_err().name(), "NotFoundException");
    let m = describe(&mut f, REGION, &id).unwrap();
    assert_eq!(m.key_state, KeyState::PendingDeletion);
    assert!(m.multi_region_configuration.unwrap().replica_keys.is_empty());
    let date = m.deletion_date.unwrap();
    assert!(date > replica_gone && date.0 - replica_gone.0 <= 10 * 86_400_000, "{date:?}");
    f.advance_days(11);
    assert_eq!(describe(&mut f, REGION, &id).unwrap_err().name(), "NotFoundException");
}

#[test]
fn an_imported_multi_region_key_is_replicated_once_it_has_material() {
    let mut f = Fixture::new();
    let ctx = f.ctx();
    let req = CreateKeyRequest { multi_region: Some(true), origin: Some("EXTERNAL".into()), ..Default::default() };
    let id = f.kms.create_key(&ctx, req).unwrap().key_metadata.key_id;
    assert!(id.starts_with("mrk-"));
    // Material goes into the primary before it is replicated (Developer
    // Guide, "Importing key material into multi-Region keys").
    assert_eq!(replicate(&mut f, &id, EU).unwrap_err().name(), "KMSInvalidStateException");
    assert!(describe(&mut f, EU, &id).is_err());
}

#[test]
fn stores_keep_every_copy_and_its_set() {
    let mut f = Fixture::new();
    let id = mrk(&mut f);
    replicate(&mut f, &id, EU).unwrap();
    tick(&mut f);
    let blob = encrypt_in(&mut f, EU, &id, b"kept");
    // Snapshot.
    let back = Kms::restore(Partition::new(ACCOUNT, REGION).unwrap(), &snap(&f.kms)).unwrap();
    let mut g = Fixture { kms: back, now: f.now };
    assert_eq!(decrypt_in(&mut g, REGION, &blob).unwrap(), b"kept");
    assert_eq!(
        describe(&mut g, EU, &id).unwrap().multi_region_configuration,
        describe(&mut f, EU, &id).unwrap().multi_region_configuration
    );
    // Records: a full body and the changes after it.
    let mut replica = Kms::new(Partition::new(ACCOUNT, REGION).unwrap());
    replica.apply_records(None, f.kms.all_records(None, 1).unwrap().expose()).unwrap();
    replicate(&mut f, &id, WEST).unwrap();
    let ctx = f.ctx();
    f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&id)).unwrap();
    replica.apply_records(None, f.kms.take_changes(None, 2).unwrap().expose()).unwrap();
    assert_eq!(snap(&replica), snap(&f.kms));
}

/// Imported material: the primary first, then its replica, which takes only
/// the same bytes.
#[cfg(feature = "full")]
#[test]
fn an_imported_multi_region_keys_replica_takes_only_the_same_material() {
    use kms_wasm::ops::import::{GetParametersForImportRequest, ImportKeyMaterialRequest};
    let mut f = Fixture::new();
    let ctx = f.ctx();
    let req = CreateKeyRequest { multi_region: Some(true), origin: Some("EXTERNAL".into()), ..Default::default() };
    let id = f.kms.create_key(&ctx, req).unwrap().key_metadata.key_id;
    let material = [9u8; 32];
    let req = common::byok::import_request(&mut f, &id, &material);
    f.kms.import_key_material(&ctx, req).unwrap();
    replicate(&mut f, &id, EU).unwrap();
    tick(&mut f);
    assert_eq!(describe(&mut f, EU, &id).unwrap().key_state, KeyState::PendingImport);
    let import_in_eu = |f: &mut Fixture, bytes: &[u8; 32]| {
        let eu = at(f, EU);
        let p = f
            .kms
            .get_parameters_for_import(
                &eu,
                GetParametersForImportRequest {
                    key_id: id.clone(),
                    wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
                    wrapping_key_spec: "RSA_2048".into(),
                },
            )
            .unwrap();
        let req = ImportKeyMaterialRequest {
            key_id: id.clone(),
            import_token: p.import_token,
            encrypted_key_material: common::byok::wrap_oaep256(&p.public_key, bytes),
            expiration_model: Some("KEY_MATERIAL_DOES_NOT_EXPIRE".into()),
            ..Default::default()
        };
        f.kms.import_key_material(&eu, req)
    };
    assert_eq!(import_in_eu(&mut f, &[7u8; 32]).unwrap_err().name(), "IncorrectKeyMaterialException");
    assert_eq!(describe(&mut f, EU, &id).unwrap().key_state, KeyState::PendingImport);
    import_in_eu(&mut f, &material).unwrap();
    let blob = encrypt_in(&mut f, REGION, &id, b"imported");
    assert_eq!(decrypt_in(&mut f, EU, &blob).unwrap(), b"imported");
}

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
//! Sealed snapshots and passphrase backups.
mod common;

use common::*;
use kms_wasm::crypto::kdf::KdfParams;
use kms_wasm::ops::aliases::AliasRequest;
use kms_wasm::{Kms, Partition};

const CHEAP: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };

fn partition() -> Partition {
    Partition::new(ACCOUNT, REGION).unwrap()
}

fn populated() -> (Fixture, String, Vec<u8>) {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms
        .create_alias(&ctx, AliasRequest { alias_name: "alias/backed-up".into(), target_key_id: key.clone() })
        .unwrap();
    let blob = f.encrypt(&key, b"precious", &[("k", "v")]).unwrap();
    f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(&key)).unwrap();
    (f, key, blob)
}

#[test]
fn a_backup_restores_keys_aliases_and_the_audit_log() {
    let (mut f, key, blob) = populated();
    let backup = f.kms.export_backup_with("correct horse battery staple", CHEAP).unwrap();
    let mut g =
        Fixture { kms: Kms::restore_backup(partition(), &backup, "correct horse battery staple").unwrap(), now: f.now };
    assert_eq!(g.decrypt(&blob, &[("k", "v")]).unwrap(), b"precious");
    let ctx = g.ctx();
    assert_eq!(g.kms.describe_key(&ctx, Fixture::key_id_req("alias/backed-up")).unwrap().key_metadata.arn, key);
    let log = g.kms.audit_log(Default::default()).unwrap();
    assert_eq!(log.iter().filter(|r| r["eventName"] == "RotateKeyOnDemand").count(), 1, "the log came along");
    assert!(g.kms.verify_audit_log().valid, "and its chain continues");
}

#[test]
fn a_wrong_passphrase_or_any_altered_byte_restores_nothing() {
    let (mut f, _, _) = populated();
    let backup = f.kms.export_backup_with("right", CHEAP).unwrap();
    assert_eq!(Kms::restore_backup(partition(), &backup, "wrong").unwrap_err().name(), "KMSInvalidStoreException");
    for i in (0..backup.len()).step_by(7).chain([0, 5, 20, 40, backup.len() - 1]) {
        let mut bad = backup.clone();
        bad[i] ^= 0x04;
        assert!(Kms::restore_backup(partition(), &bad, "right").is_err(), "byte {i}");
    }
    assert!(Kms::restore_backup(partition(), &backup[..backup.len() - 1], "right").is_err());
    assert!(Kms::restore_backup(partition(), b"KMSB", "right").is_err());
}

#[test]
fn sealed_snapshots_round_trip_and_refuse_other_keys_and_damage() {
    let (f, _, blob) = populated();
    let root = [0x11u8; 32];
    let sealed = f.kms.sealed_snapshot(&root).unwrap();
    let mut g = Fixture { kms: Kms::restore_sealed(partition(), &root, &sealed).unwrap(), now: f.now };
    assert_eq!(g.decrypt(&blob, &[("k", "v")]).unwrap(), b"precious");
    assert_eq!(Kms::restore_sealed(partition(), &[0x12; 32], &sealed).unwrap_err().name(), "KMSInvalidStoreException");
    let mut bad = sealed.clone();
    bad[30] ^= 1;
    assert_eq!(Kms::restore_sealed(partition(), &root, &bad).unwrap_err().name(), "KMSInvalidStoreException");
    assert_eq!(Kms::restore_sealed(partition(), &[1; 31], &sealed).unwrap_err().name(), "ValidationException");
}

#[test]
fn known_material_never_appears_in_a_sealed_snapshot_or_backup() {
    // import known material, then search every byte string we write
    use kms_wasm::ops::import::*;
    use kms_wasm::ops::lifecycle::CreateKeyRequest;
    use rsa::pkcs8::DecodePublicKey;
    let mut f = Fixture::new();
    let ctx = f.ctx();
    let key = f
        .kms
        .create_key(&ctx, CreateKeyRequest { origin: Some("EXTERNAL".into()), ..Default::default() })
        .unwrap()
        .key_metadata
        .arn;
    let p = f
        .kms
        .get_parameters_for_import(
            &ctx,
            GetParametersForImportRequest {
                key_id: key.clone(),
                wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
                wrapping_key_spec: "RSA_2048".into(),
            },
        )
        .unwrap();
    let material: [u8; 32] = core::array::from_fn(|i| 0xA5 ^ (i as u8).wrapping_mul(7));
    let wrapped =
        rsa::PublicKey::from_public_key_der(&p.public_key).unwrap().oaep_encrypt::<sha2::Sha256>(&material).unwrap();
    f.kms
        .import_key_material(
            &ctx,
            ImportKeyMaterialRequest {
                key_id: key,
                import_token: p.import_token,
                encrypted_key_material: wrapped,
                expiration_model: Some("KEY_MATERIAL_DOES_NOT_EXPIRE".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let contains = |hay: &[u8]| hay.windows(16).any(|w| w == &material[..16] || w == &material[16..]);
    assert!(contains(f.kms.snapshot().unwrap().expose()), "the plain snapshot holds it (sanity check of the search)");
    assert!(!contains(&f.kms.sealed_snapshot(&[7; 32]).unwrap()));
    assert!(!contains(&f.kms.export_backup_with("pass", CHEAP).unwrap()));
}

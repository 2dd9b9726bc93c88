#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! Key material as AWS models it: a key material id for every backing key
//! (CurrentKeyMaterialId, KeyMaterialId in responses and audit records),
//! imported material that rotates on demand (NEW_KEY_MATERIAL pending,
//! EXISTING_KEY_MATERIAL reimports, expiry and deletion per material),
//! ListKeyRotations with IncludeKeyMaterial, and stores written before ids.
mod common;

use common::byok::*;
use common::*;
use kms_wasm::ops::crypto::ReEncryptRequest;
use kms_wasm::ops::data_keys::GenerateDataKeyRequest;
use kms_wasm::ops::import::{DeleteImportedKeyMaterialRequest, ImportKeyMaterialRequest};
use kms_wasm::ops::rotation::{ListKeyRotationsRequest, RotationEntry};
use kms_wasm::{Kms, Partition};

fn current_material(f: &mut Fixture, key: &str) -> Option<String> {
    let ctx = f.ctx();
    f.kms.describe_key(&ctx, Fixture::key_id_req(key)).unwrap().key_metadata.current_key_material_id
}

fn materials(f: &mut Fixture, key: &str, include: Option<&str>) -> Vec<RotationEntry> {
    let ctx = f.ctx();
    let req = ListKeyRotationsRequest {
        key_id: key.into(),
        include_key_material: include.map(Into::into),
        ..Default::default()
    };
    f.kms.list_key_rotations(&ctx, req).unwrap().rotations
}

fn import(f: &mut Fixture, req: ImportKeyMaterialRequest) -> String {
    let ctx = f.ctx();
    f.kms.import_key_material(&ctx, req).unwrap().key_material_id
}

fn rotate(f: &mut Fixture, key: &str) {
    let ctx = f.ctx();
    f.kms.rotate_key_on_demand(&ctx, Fixture::key_id_req(key)).unwrap();
}

fn decrypt_material(f: &mut Fixture, blob: &[u8], context: &[(&str, &str)]) -> Option<String> {
    let ctx = f.ctx();
    let req = kms_wasm::ops::crypto::DecryptRequest {
        ciphertext_blob: blob.to_vec(),
        encryption_context: (!context.is_empty()).then(|| map(context)),
        ..Default::default()
    };
    f.kms.decrypt(&ctx, req).unwrap().key_material_id
}

#[test]
fn every_backing_key_has_a_material_id_that_rotation_changes_and_responses_name() {
    let mut f = Fixture::new();
    let key = f.key();
    let first = current_material(&mut f, &key).unwrap();
    assert_eq!(first.len(), 64);
    assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
    let old = f.encrypt(&key, b"one", &[]).unwrap();
    rotate(&mut f, &key);
    let second = current_material(&mut f, &key).unwrap();
    assert_ne!(first, second);
    // Decrypt names the material the blob used; GenerateDataKey the current one.
    assert_eq!(decrypt_material(&mut f, &old, &[]), Some(first.clone()));
    let ctx = f.ctx();
    let dk = f
        .kms
        .generate_data_key(
            &ctx,
            GenerateDataKeyRequest { key_id: key.clone(), key_spec: Some("AES_256".into()), ..Default::default() },
        )
        .unwrap();
    assert_eq!(dk.key_material_id.as_deref(), Some(second.as_str()));
    // ReEncrypt names both.
    let other = f.key();
    let r = f
        .kms
        .re_encrypt(
            &ctx,
            ReEncryptRequest { ciphertext_blob: old, destination_key_id: other.clone(), ..Default::default() },
        )
        .unwrap();
    assert_eq!(r.source_key_material_id.as_deref(), Some(first.as_str()));
    assert_eq!(r.destination_key_material_id, current_material(&mut f, &other));
    // The audit records carry them as CloudTrail's additionalEventData does.
    let log = f.kms.audit_log(Default::default()).unwrap();
    let of = |name: &str| log.iter().rev().find(|r| r["eventName"] == name).unwrap().clone();
    assert_eq!(of("Decrypt")["additionalEventData"]["keyMaterialId"], first.as_str());
    assert_eq!(of("GenerateDataKey")["additionalEventData"]["keyMaterialId"], second.as_str());
    assert_eq!(of("ReEncrypt")["additionalEventData"]["sourceKeyMaterialId"], first.as_str());
    assert!(of("DescribeKey").get("additionalEventData").is_none());
    // ListKeyRotations: rotations only by default, the first material too on request.
    let rotations = materials(&mut f, &key, None);
    assert_eq!(rotations.len(), 1);
    assert_eq!((rotations[0].key_material_id.as_str(), rotations[0].key_material_state), (second.as_str(), "CURRENT"));
    assert_eq!(rotations[0].rotation_type, Some("ON_DEMAND"));
    assert!(rotations[0].import_state.is_none() && rotations[0].expiration_model.is_none());
    let all = materials(&mut f, &key, Some("ALL_KEY_MATERIAL"));
    assert_eq!(all.len(), 2);
    assert_eq!((all[0].key_material_id.as_str(), all[0].key_material_state), (first.as_str(), "NON_CURRENT"));
    assert!(all[0].rotation_date.is_none() && all[0].rotation_type.is_none(), "the first material was not rotated to");
    assert_eq!(materials(&mut f, &key, Some("ROTATIONS_ONLY")), rotations);
}

#[test]
fn a_blob_naming_material_the_key_does_not_have_is_not_a_ciphertext() {
    let mut f = Fixture::new();
    let key = f.key();
    let mut blob = f.encrypt(&key, b"x", &[]).unwrap();
    // Version byte, 16-byte key id, then the 32-byte material id.
    blob[17] ^= 1;
    let ctx = f.ctx();
    let req = kms_wasm::ops::crypto::DecryptRequest { ciphertext_blob: blob, ..Default::default() };
    assert_eq!(f.kms.decrypt(&ctx, req).unwrap_err().name(), "InvalidCiphertextException");
}

/// The scenario: a key with imported material rotated three times
/// to three new materials; one expires, one is deleted; every ciphertext
/// then decrypts or fails as AWS documents, and comes back on reimport.
#[test]
fn imported_material_rotates_three_times_and_old_ciphertexts_follow_their_material() {
    let mut f = Fixture::new();
    let key = external_key(&mut f);
    let m: Vec<[u8; 32]> = (1..=4u8).map(|i| [i; 32]).collect();
    let req = import_request(&mut f, &key, &m[0]);
    let id0 = import(&mut f, ImportKeyMaterialRequest { key_material_description: Some("first".into()), ..req });
    assert_eq!(current_material(&mut f, &key).as_deref(), Some(id0.as_str()));
    let mut blobs = vec![f.encrypt(&key, b"under 0", &[]).unwrap()];
    let mut ids = vec![id0];
    for (i, material) in m.iter().enumerate().skip(1) {
        let mut req = import_request(&mut f, &key, material);
        req.import_type = Some("NEW_KEY_MATERIAL".into());
        if i == 2 {
            // the second new material expires in 10 days
            req.expiration_model = Some("KEY_MATERIAL_EXPIRES".into());
            #[allow(clippy::cast_precision_loss)]
            let valid_to = f.now.plus_days(10).0 as f64;
            req.valid_to = Some(valid_to);
        }
        let id = import(&mut f, req);
        // staged, not yet current
        let all = materials(&mut f, &key, Some("ALL_KEY_MATERIAL"));
        let pending = all.last().unwrap();
        assert_eq!((pending.key_material_id.as_str(), pending.key_material_state), (id.as_str(), "PENDING_ROTATION"));
        assert_eq!(pending.import_state, Some("IMPORTED"));
        assert!(pending.rotation_date.is_none());
        assert_ne!(current_material(&mut f, &key).as_deref(), Some(id.as_str()));
        rotate(&mut f, &key);
        assert_eq!(current_material(&mut f, &key).as_deref(), Some(id.as_str()));
        blobs.push(f.encrypt(&key, format!("under {i}").as_bytes(), &[]).unwrap());
        ids.push(id);
    }
    let rotations = materials(&mut f, &key, None);
    assert_eq!(rotations.iter().map(|r| r.key_material_id.clone()).collect::<Vec<_>>(), ids[1..]);
    assert!(rotations.iter().all(|r| r.rotation_type == Some("ON_DEMAND") && r.import_state == Some("IMPORTED")));
    for (i, blob) in blobs.iter().enumerate() {
        assert_eq!(f.decrypt(blob, &[]).unwrap(), format!("under {i}").as_bytes());
        assert_eq!(decrypt_material(&mut f, blob, &[]).as_deref(), Some(ids[i].as_str()));
    }
    // Material 1 is deleted by id: the key is PendingImport, nothing decrypts.
    let ctx = f.ctx();
    let r = f
        .kms
        .delete_imported_key_material(
            &ctx,
            DeleteImportedKeyMaterialRequest { key_id: key.clone(), key_material_id: Some(ids[1].clone()) },
        )
        .unwrap();
    assert_eq!(r.key_material_id.as_deref(), Some(ids[1].as_str()));
    assert_eq!(f.state_of(&key), "PendingImport");
    for blob in &blobs {
        assert_eq!(f.decrypt(blob, &[]).unwrap_err().name(), "KMSInvalidStateException");
    }
    let entry = |f: &mut Fixture, id: &str| {
        materials(f, &key, Some("ALL_KEY_MATERIAL")).into_iter().find(|r| r.key_material_id == id).unwrap()
    };
    assert_eq!(entry(&mut f, &ids[1]).import_state, Some("PENDING_IMPORT"));
    // Material 2 expires at its ValidTo, with an event and a service record naming it.
    f.kms.take_events();
    f.advance_days(10);
    assert_eq!(f.state_of(&key), "PendingImport");
    let events = f.kms.take_events();
    assert_eq!(events[0].body["detail-type"], "KMS Imported Key Material Expiration");
    assert_eq!(events[0].body["detail"]["key-material-id"], ids[2].as_str());
    let log = f.kms.audit_log(Default::default()).unwrap();
    let expiry = log.iter().find(|r| r["eventName"] == "DeleteExpiredKeyMaterial").unwrap();
    assert_eq!(expiry["serviceEventDetails"]["keyMaterialId"], ids[2].as_str());
    // ImportKeyMaterial and DeleteImportedKeyMaterial records name the key and material as their responses do.
    let deleted = log.iter().rev().find(|r| r["eventName"] == "DeleteImportedKeyMaterial").unwrap();
    assert_eq!(deleted["responseElements"]["keyMaterialId"], ids[1].as_str());
    assert_eq!(deleted["responseElements"]["keyId"], key.as_str());
    let imported = log.iter().rev().find(|r| r["eventName"] == "ImportKeyMaterial").unwrap();
    assert_eq!(imported["responseElements"]["keyMaterialId"], ids[3].as_str());
    let expired = entry(&mut f, &ids[2]);
    assert_eq!(
        (expired.import_state, expired.expiration_model, expired.valid_to),
        (Some("PENDING_IMPORT"), None, None)
    );
    // Reimporting material 2 is not enough: material 1 is still missing.
    let mut req = import_request(&mut f, &key, &m[2]);
    req.key_material_id = Some(ids[2].clone());
    assert_eq!(import(&mut f, req), ids[2]);
    assert_eq!(f.state_of(&key), "PendingImport");
    // A reimport under the wrong id, or of other bytes, changes nothing.
    let mut req = import_request(&mut f, &key, &m[1]);
    req.key_material_id = Some(ids[3].clone());
    f.fails_unchanged("IncorrectKeyMaterialException", |kms, ctx| kms.import_key_material(ctx, req));
    let req = import_request(&mut f, &key, &[9; 32]);
    f.fails_unchanged("IncorrectKeyMaterialException", |kms, ctx| kms.import_key_material(ctx, req));
    // With material 1 back (EXISTING_KEY_MATERIAL is the default), every old ciphertext decrypts.
    let req = import_request(&mut f, &key, &m[1]);
    assert_eq!(import(&mut f, req), ids[1]);
    assert_eq!(f.state_of(&key), "Enabled");
    for (i, blob) in blobs.iter().enumerate() {
        assert_eq!(f.decrypt(blob, &[]).unwrap(), format!("under {i}").as_bytes());
    }
    // The description given with the first import is kept by later reimports.
    assert_eq!(entry(&mut f, &ids[0]).key_material_description.as_deref(), Some("first"));
    // Deleting the current material by default names it; ExpirationModel leaves the metadata.
    let ctx = f.ctx();
    let r = f
        .kms
        .delete_imported_key_material(
            &ctx,
            DeleteImportedKeyMaterialRequest { key_id: key.clone(), key_material_id: None },
        )
        .unwrap();
    assert_eq!(r.key_material_id.as_deref(), Some(ids[3].as_str()));
    let md = f.kms.describe_key(&ctx, Fixture::key_id_req(&key)).unwrap().key_metadata;
    assert_eq!((md.expiration_model, md.current_key_material_id.as_deref()), (None, Some(ids[3].as_str())));
}

#[test]
fn pending_material_rules_and_errors_change_nothing() {
    let mut f = Fixture::new();
    let key = external_key(&mut f);
    // EXISTING_KEY_MATERIAL into a key that never had material.
    let mut req = import_request(&mut f, &key, &[1; 32]);
    req.import_type = Some("EXISTING_KEY_MATERIAL".into());
    f.fails_unchanged("IncorrectKeyMaterialException", |kms, ctx| kms.import_key_material(ctx, req));
    let req = import_request(&mut f, &key, &[1; 32]);
    let first = import(&mut f, req);
    // Bad members.
    for (member, value) in [("ImportType", "SOMETHING"), ("KeyMaterialId", "abc"), ("KeyMaterialDescription", "no!")] {
        let mut req = import_request(&mut f, &key, &[2; 32]);
        match member {
            "ImportType" => req.import_type = Some(value.into()),
            "KeyMaterialId" => req.key_material_id = Some(value.into()),
            _ => req.key_material_description = Some(value.into()),
        }
        f.fails_unchanged("ValidationException", |kms, ctx| kms.import_key_material(ctx, req));
    }
    // A KeyMaterialId cannot go with NEW_KEY_MATERIAL.
    let mut req = import_request(&mut f, &key, &[2; 32]);
    req.import_type = Some("NEW_KEY_MATERIAL".into());
    req.key_material_id = Some(first.clone());
    f.fails_unchanged("ValidationException", |kms, ctx| kms.import_key_material(ctx, req));
    // NEW_KEY_MATERIAL with bytes the key already has.
    let mut req = import_request(&mut f, &key, &[1; 32]);
    req.import_type = Some("NEW_KEY_MATERIAL".into());
    f.fails_unchanged("IncorrectKeyMaterialException", |kms, ctx| kms.import_key_material(ctx, req));
    // One pending material at a time, with AWS's text.
    let mut req = import_request(&mut f, &key, &[2; 32]);
    req.import_type = Some("NEW_KEY_MATERIAL".into());
    let pending = import(&mut f, req);
    let mut req = import_request(&mut f, &key, &[3; 32]);
    req.import_type = Some("NEW_KEY_MATERIAL".into());
    let e = f.fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.import_key_material(ctx, req));
    assert!(e.message().starts_with("New key material (id: "), "{e}");
    assert!(e.message().ends_with(&format!("because another key material (id: {pending}) is pending rotation.")));
    // The pending material can be deleted, and other material take its place.
    let ctx = f.ctx();
    f.kms
        .delete_imported_key_material(
            &ctx,
            DeleteImportedKeyMaterialRequest { key_id: key.clone(), key_material_id: Some(pending.clone()) },
        )
        .unwrap();
    assert_eq!(f.state_of(&key), "Enabled", "pending material is not part of the key");
    assert_eq!(materials(&mut f, &key, Some("ALL_KEY_MATERIAL")).len(), 1);
    let k = key.clone();
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.rotate_key_on_demand(ctx, Fixture::key_id_req(&k)));
    // Deleting material the key does not have; a bad IncludeKeyMaterial.
    let (k, p) = (key.clone(), pending.clone());
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.delete_imported_key_material(ctx, DeleteImportedKeyMaterialRequest { key_id: k, key_material_id: Some(p) })
    });
    let k = key.clone();
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.list_key_rotations(
            ctx,
            ListKeyRotationsRequest { key_id: k, include_key_material: Some("SOME".into()), ..Default::default() },
        )
    });
    // The on-demand quota (25) covers imported keys too.
    for i in 0..25u8 {
        let mut req = import_request(&mut f, &key, &[100 + i; 32]);
        req.import_type = Some("NEW_KEY_MATERIAL".into());
        import(&mut f, req);
        rotate(&mut f, &key);
    }
    let mut req = import_request(&mut f, &key, &[200; 32]);
    req.import_type = Some("NEW_KEY_MATERIAL".into());
    f.fails_unchanged("LimitExceededException", |kms, ctx| kms.import_key_material(ctx, req));
}

#[test]
fn ids_of_imported_material_are_a_function_of_the_key_and_the_material() {
    let mut f = Fixture::new();
    let (a, b) = (external_key(&mut f), external_key(&mut f));
    let req = import_request(&mut f, &a, &[5; 32]);
    let id_a = import(&mut f, req);
    let req = import_request(&mut f, &b, &[5; 32]);
    let id_b = import(&mut f, req);
    assert_ne!(id_a, id_b, "the same material in two keys");
    let ctx = f.ctx();
    f.kms
        .delete_imported_key_material(
            &ctx,
            DeleteImportedKeyMaterialRequest { key_id: a.clone(), key_material_id: None },
        )
        .unwrap();
    let req = import_request(&mut f, &a, &[5; 32]);
    assert_eq!(import(&mut f, req), id_a, "a reimport keeps the id");
    assert!(!id_a.contains(&hex(&[5; 32])));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A plain snapshot written by kms-wasm 0.1.0 (format 2, before material
/// ids; pkg-tests/fixtures/0.1.0): it opens, every key gets material ids,
/// old ciphertexts decrypt, and deleted imported material can be imported
/// again (matched by its check value) under its old id.
#[test]
fn a_snapshot_written_by_0_1_0_opens_and_its_keys_get_material_ids() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/pkg-tests/fixtures/0.1.0/");
    let snapshot = std::fs::read(format!("{dir}snapshot.bin")).unwrap();
    assert_eq!(snapshot[4], 2, "format version 2");
    let fixture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}fixture.json")).unwrap()).unwrap();
    let kms = Kms::restore(Partition::new(ACCOUNT, REGION).unwrap(), &snapshot).unwrap();
    let later = kms_wasm::Timestamp(1_896_134_400_000); // 2030-02-01, past the expiring key's ValidTo
    let mut f = Fixture { kms, now: kms_wasm::Timestamp(1_893_628_800_000) }; // 2030-01-03
    let keys = &fixture["snapshot"];
    let id = |name: &str| keys[name]["KeyId"].as_str().unwrap().to_owned();
    use base64ct::Encoding as _;
    let blob = |name: &str, which: &str| {
        base64ct::Base64::decode_vec(keys[name]["ciphertexts"][which].as_str().unwrap()).unwrap()
    };
    let ctx_of = |text: &str| vec![("fixture".to_owned(), text.to_owned())];
    let decrypt = |f: &mut Fixture, b: Vec<u8>, text: &str| {
        let c = ctx_of(text);
        let pairs: Vec<(&str, &str)> = c.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        f.decrypt(&b, &pairs)
    };
    // Generated key: three materials, the current one named, rotations listed.
    let g = id("generated");
    let current = current_material(&mut f, &g).unwrap();
    let all = materials(&mut f, &g, Some("ALL_KEY_MATERIAL"));
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].key_material_id, current);
    assert_eq!(
        decrypt(&mut f, blob("generated", "before"), "generated before rotation").unwrap(),
        b"generated before rotation"
    );
    assert_eq!(
        decrypt(&mut f, blob("generated", "after"), "generated after rotation").unwrap(),
        b"generated after rotation"
    );
    // Imported key: its material keeps the id its ciphertexts name.
    let i = id("imported");
    let entry = &materials(&mut f, &i, Some("ALL_KEY_MATERIAL"))[0];
    assert_eq!((entry.import_state, entry.expiration_model), (Some("IMPORTED"), Some("KEY_MATERIAL_DOES_NOT_EXPIRE")));
    assert_eq!(
        decrypt_material(&mut f, &blob("imported", "only"), &[("fixture", "imported material B")]).as_deref(),
        Some(entry.key_material_id.as_str())
    );
    // Deleted material: PendingImport; importing the same bytes brings it back.
    let d = id("deleted");
    assert_eq!(f.state_of(&d), "PendingImport");
    let material: [u8; 32] = sha256(b"kms-wasm fixture material D");
    let req = import_request(&mut f, &d, &material);
    import(&mut f, req);
    assert_eq!(decrypt(&mut f, blob("deleted", "only"), "deleted material D").unwrap(), b"deleted material D");
    // Expiring key: the clock passes its ValidTo.
    f.now = later;
    assert_eq!(f.state_of(&id("expiring")), "PendingImport");
}

fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

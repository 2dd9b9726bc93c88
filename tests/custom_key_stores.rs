#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
//! Custom key stores of the external kind: the store operations, keys
//! created in a store, double encryption, `Unavailable` keys, and every
//! error each operation raises, with the state left unchanged.
mod common;

use common::*;
use kms_wasm::crypto::{AeadKey, SecretBytes};
use kms_wasm::ops::crypto::{DecryptRequest, EncryptRequest, ReEncryptRequest};
use kms_wasm::ops::custom_key_stores::*;
use kms_wasm::ops::data_keys::{GenerateDataKeyRequest, GenerateRandomRequest};
use kms_wasm::ops::lifecycle::{CreateKeyRequest, ScheduleKeyDeletionRequest};
use kms_wasm::ops::rotation::EnableKeyRotationRequest;
use kms_wasm::{ExternalAnswer, ExternalFailure, ExternalKeyManager, Kms, Step};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// What a manager saw: every (operation, data) it was asked.
type Seen = Rc<RefCell<Vec<(&'static str, Vec<u8>)>>>;

/// An external key manager with AES-256-GCM keys, like a real one.
struct TestManager {
    keys: BTreeMap<String, AeadKey>,
    seen: Seen,
}

impl TestManager {
    fn with(names: &[&str]) -> (Box<TestManager>, Seen) {
        let seen: Seen = Rc::default();
        let keys = names.iter().map(|n| ((*n).to_owned(), AeadKey::generate().unwrap())).collect();
        (Box::new(TestManager { keys, seen: seen.clone() }), seen)
    }
}

impl ExternalKeyManager for TestManager {
    fn encrypt(&mut self, key_id: &str, plaintext: &[u8], aad: &[u8]) -> ExternalAnswer {
        self.seen.borrow_mut().push(("encrypt", plaintext.to_vec()));
        let key = self.keys.get(key_id).ok_or(ExternalFailure::KeyNotFound)?;
        let nonce = [7u8; 12]; // fine for a test double; a real manager draws them
        let mut out = vec![0u8; 12 + plaintext.len() + 16];
        out[..12].copy_from_slice(&nonce);
        key.seal_into(&nonce, aad, plaintext, &mut out[12..]).map_err(|_| ExternalFailure::Unavailable)?;
        Ok(out)
    }

    fn decrypt(&mut self, key_id: &str, ciphertext: &[u8], aad: &[u8]) -> ExternalAnswer {
        self.seen.borrow_mut().push(("decrypt", ciphertext.to_vec()));
        let key = self.keys.get(key_id).ok_or(ExternalFailure::KeyNotFound)?;
        let nonce: [u8; 12] = ciphertext.get(..12).ok_or(ExternalFailure::Rejected)?.try_into().unwrap();
        let opened = key.open(&nonce, aad, &ciphertext[12..]).map_err(|_| ExternalFailure::Rejected)?;
        Ok(opened.expose().to_vec())
    }
}

fn create_store(f: &mut Fixture, name: &str) -> Result<String, kms_wasm::KmsError> {
    let ctx = f.ctx();
    f.kms
        .create_custom_key_store(
            &ctx,
            CreateCustomKeyStoreRequest {
                custom_key_store_name: name.into(),
                custom_key_store_type: Some("EXTERNAL_KEY_STORE".into()),
                ..Default::default()
            },
        )
        .map(|r| r.custom_key_store_id)
}

fn store_req(id: &str) -> CustomKeyStoreIdRequest {
    CustomKeyStoreIdRequest { custom_key_store_id: id.into() }
}

fn describe(f: &mut Fixture, id: &str) -> serde_json::Value {
    let ctx = f.ctx();
    let r = f
        .kms
        .describe_custom_key_stores(
            &ctx,
            DescribeCustomKeyStoresRequest { custom_key_store_id: Some(id.into()), ..Default::default() },
        )
        .unwrap();
    serde_json::to_value(&r).unwrap()["CustomKeyStores"][0].clone()
}

fn connect(f: &mut Fixture, id: &str) {
    let ctx = f.ctx();
    f.kms.connect_custom_key_store(&ctx, store_req(id)).unwrap();
}

fn disconnect(f: &mut Fixture, id: &str) {
    let ctx = f.ctx();
    f.kms.disconnect_custom_key_store(&ctx, store_req(id)).unwrap();
}

fn xks_key_req(store: &str, xks: &str) -> CreateKeyRequest {
    CreateKeyRequest {
        origin: Some("EXTERNAL_KEY_STORE".into()),
        custom_key_store_id: Some(store.into()),
        xks_key_id: Some(xks.into()),
        ..Default::default()
    }
}

/// A connected store with a manager holding external keys `ext-1`, `ext-2`.
fn connected_store(f: &mut Fixture) -> (String, Seen) {
    let id = create_store(f, "vault").unwrap();
    let (manager, seen) = TestManager::with(&["ext-1", "ext-2"]);
    assert_eq!(f.kms.attach_external_key_manager("vault", manager).as_deref(), Some(id.as_str()));
    connect(f, &id);
    (id, seen)
}

fn xks_key(f: &mut Fixture, store: &str, xks: &str) -> String {
    let ctx = f.ctx();
    f.kms.create_key(&ctx, xks_key_req(store, xks)).unwrap().key_metadata.arn
}

#[test]
fn a_new_store_is_disconnected_and_described_by_id_or_name() {
    let mut f = Fixture::new();
    let id = create_store(&mut f, "vault").unwrap();
    assert!(id.starts_with("cks-") && id.len() == 21, "{id}");
    let d = describe(&mut f, &id);
    assert_eq!(d["CustomKeyStoreName"], "vault");
    assert_eq!(d["CustomKeyStoreType"], "EXTERNAL_KEY_STORE");
    assert_eq!(d["ConnectionState"], "DISCONNECTED");
    assert_eq!(d["CreationDate"].as_f64(), Some(START as f64));
    let ctx = f.ctx();
    let by_name = f
        .kms
        .describe_custom_key_stores(
            &ctx,
            DescribeCustomKeyStoresRequest { custom_key_store_name: Some("vault".into()), ..Default::default() },
        )
        .unwrap();
    assert_eq!(by_name.custom_key_stores[0].custom_key_store_id, id);
    let all = f.kms.describe_custom_key_stores(&ctx, Default::default()).unwrap();
    assert_eq!((all.custom_key_stores.len(), all.truncated), (1, false));
}

#[test]
fn create_custom_key_store_errors_change_nothing() {
    let mut f = Fixture::new();
    create_store(&mut f, "vault").unwrap();
    let req = |name: &str, kind: Option<&str>| CreateCustomKeyStoreRequest {
        custom_key_store_name: name.into(),
        custom_key_store_type: kind.map(Into::into),
        ..Default::default()
    };
    f.fails_unchanged("ValidationException", |k, c| k.create_custom_key_store(c, req("", Some("EXTERNAL_KEY_STORE"))));
    f.fails_unchanged("ValidationException", |k, c| {
        k.create_custom_key_store(c, req(&"n".repeat(257), Some("EXTERNAL_KEY_STORE")))
    });
    f.fails_unchanged("UnsupportedOperationException", |k, c| k.create_custom_key_store(c, req("hsm", None)));
    f.fails_unchanged("ValidationException", |k, c| k.create_custom_key_store(c, req("x", Some("PROXY"))));
    f.fails_unchanged("CustomKeyStoreNameInUseException", |k, c| {
        k.create_custom_key_store(c, req("vault", Some("EXTERNAL_KEY_STORE")))
    });
    f.fails_unchanged("AccessDeniedException", |k, c| {
        let other = kms_wasm::CallContext::new("arn:aws:iam::444455556666:root", c.now);
        k.create_custom_key_store(&other, req("mine", Some("EXTERNAL_KEY_STORE")))
    });
    for i in 1..10 {
        create_store(&mut f, &format!("s{i}")).unwrap();
    }
    f.fails_unchanged("LimitExceededException", |k, c| {
        k.create_custom_key_store(c, req("eleventh", Some("EXTERNAL_KEY_STORE")))
    });
}

#[test]
fn describe_custom_key_stores_errors() {
    let mut f = Fixture::new();
    let id = create_store(&mut f, "vault").unwrap();
    f.fails_unchanged("CustomKeyStoreNotFoundException", |k, c| {
        k.describe_custom_key_stores(
            c,
            DescribeCustomKeyStoresRequest {
                custom_key_store_id: Some("cks-00000000000000000".into()),
                ..Default::default()
            },
        )
    });
    f.fails_unchanged("CustomKeyStoreNotFoundException", |k, c| {
        k.describe_custom_key_stores(
            c,
            DescribeCustomKeyStoresRequest { custom_key_store_name: Some("nope".into()), ..Default::default() },
        )
    });
    f.fails_unchanged("ValidationException", |k, c| {
        k.describe_custom_key_stores(
            c,
            DescribeCustomKeyStoresRequest {
                custom_key_store_id: Some(id.clone()),
                custom_key_store_name: Some("vault".into()),
                ..Default::default()
            },
        )
    });
    f.fails_unchanged("InvalidMarkerException", |k, c| {
        k.describe_custom_key_stores(
            c,
            DescribeCustomKeyStoresRequest { marker: Some("bogus".into()), ..Default::default() },
        )
    });
}

#[test]
fn connection_states_follow_aws_rules() {
    let mut f = Fixture::new();
    let id = create_store(&mut f, "vault").unwrap();
    // Disconnecting a disconnected store is refused.
    f.fails_unchanged("CustomKeyStoreInvalidStateException", |k, c| k.disconnect_custom_key_store(c, store_req(&id)));
    f.fails_unchanged("CustomKeyStoreNotFoundException", |k, c| {
        k.connect_custom_key_store(c, store_req("cks-00000000000000000"))
    });
    // Connected without a manager: FAILED, and connecting again is refused until disconnected.
    connect(&mut f, &id);
    let d = describe(&mut f, &id);
    assert_eq!(
        (d["ConnectionState"].as_str(), d["ConnectionErrorCode"].as_str()),
        (Some("FAILED"), Some("XKS_PROXY_NOT_REACHABLE"))
    );
    f.fails_unchanged("CustomKeyStoreInvalidStateException", |k, c| k.connect_custom_key_store(c, store_req(&id)));
    disconnect(&mut f, &id);
    assert_eq!(describe(&mut f, &id)["ConnectionState"], "DISCONNECTED");
    let (manager, _) = TestManager::with(&["ext-1"]);
    f.kms.attach_external_key_manager(&id, manager).unwrap();
    connect(&mut f, &id);
    assert_eq!(describe(&mut f, &id)["ConnectionState"], "CONNECTED");
    assert!(describe(&mut f, &id).get("ConnectionErrorCode").is_none());
    // Connecting a connected store is fine.
    connect(&mut f, &id);
    f.kms.detach_external_key_manager(&id);
    assert_eq!(describe(&mut f, &id)["ConnectionState"], "FAILED");
}

#[test]
fn a_key_in_a_store_is_double_encrypted() {
    let mut f = Fixture::new();
    let (store, seen) = connected_store(&mut f);
    let ctx = f.ctx();
    let m = f.kms.create_key(&ctx, xks_key_req(&store, "ext-1")).unwrap().key_metadata;
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["Origin"], "EXTERNAL_KEY_STORE");
    assert_eq!(v["CustomKeyStoreId"], store.as_str());
    assert_eq!(v["XksKeyConfiguration"]["Id"], "ext-1");
    assert_eq!(v["KeyState"], "Enabled");
    // The creation probe: one encrypt and one decrypt of a random value.
    assert_eq!(seen.borrow().iter().map(|(op, _)| *op).collect::<Vec<_>>(), ["encrypt", "decrypt"]);
    seen.borrow_mut().clear();

    let secret = b"a secret the external manager never sees";
    let blob = f.encrypt(&m.arn, secret, &[("tenant", "acme")]).unwrap();
    assert_eq!(blob[0], 2, "external-key-store blobs are version 2");
    assert_eq!(&blob[1..17], &uuid_bytes(&m.key_id));
    {
        let seen = seen.borrow();
        assert_eq!(seen.len(), 1);
        // The manager got a version-1 blob of the KMS key, never the plaintext.
        assert_eq!(seen[0].1[0], 1);
        assert!(!seen[0].1.windows(secret.len()).any(|w| w == secret));
    }
    assert_eq!(f.decrypt(&blob, &[("tenant", "acme")]).unwrap(), secret);
    assert_eq!(seen.borrow().last().unwrap().0, "decrypt");
    // The context is bound by both layers.
    assert_eq!(f.decrypt(&blob, &[("tenant", "other")]).unwrap_err().name(), "InvalidCiphertextException");
    // Each changed byte is refused.
    for i in 0..blob.len() {
        let mut bad = blob.clone();
        bad[i] ^= 0x01;
        let err = f.decrypt(&bad, &[("tenant", "acme")]).unwrap_err();
        assert_eq!(err.name(), "InvalidCiphertextException", "byte {i}");
    }
    // Truncated.
    assert_eq!(f.decrypt(&blob[..17], &[("tenant", "acme")]).unwrap_err().name(), "InvalidCiphertextException");
}

fn uuid_bytes(key_id: &str) -> Vec<u8> {
    let hex: String = key_id.chars().filter(|c| *c != '-').collect();
    (0..16).map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap()).collect()
}

#[test]
fn data_keys_and_reencrypt_cross_the_store_boundary() {
    let mut f = Fixture::new();
    let (store, _) = connected_store(&mut f);
    let xks = xks_key(&mut f, &store, "ext-1");
    let local = f.key();
    let ctx = f.ctx();
    let dk = f
        .kms
        .generate_data_key(
            &ctx,
            GenerateDataKeyRequest { key_id: xks.clone(), key_spec: Some("AES_256".into()), ..Default::default() },
        )
        .unwrap();
    assert_eq!(dk.ciphertext_blob[0], 2);
    assert_eq!(f.decrypt(&dk.ciphertext_blob, &[]).unwrap(), dk.plaintext.expose());
    let without = f
        .kms
        .generate_data_key_without_plaintext(
            &ctx,
            GenerateDataKeyRequest { key_id: xks.clone(), number_of_bytes: Some(64), ..Default::default() },
        )
        .unwrap();
    assert_eq!(f.decrypt(&without.ciphertext_blob, &[]).unwrap().len(), 64);
    // External → local → external.
    let to_local = f
        .kms
        .re_encrypt(
            &ctx,
            ReEncryptRequest {
                ciphertext_blob: dk.ciphertext_blob.clone(),
                destination_key_id: local.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((to_local.ciphertext_blob[0], to_local.source_key_id.as_str()), (1, xks.as_str()));
    let back = f
        .kms
        .re_encrypt(
            &ctx,
            ReEncryptRequest {
                ciphertext_blob: to_local.ciphertext_blob,
                destination_key_id: xks.clone(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(back.ciphertext_blob[0], 2);
    assert_eq!(f.decrypt(&back.ciphertext_blob, &[]).unwrap(), dk.plaintext.expose());
}

#[test]
fn create_key_in_a_store_errors_change_nothing() {
    let mut f = Fixture::new();
    let (store, _) = connected_store(&mut f);
    xks_key(&mut f, &store, "ext-1");
    let cloned = store.clone();
    f.fails_unchanged("XksKeyAlreadyInUseException", |k, c| k.create_key(c, xks_key_req(&cloned, "ext-1")));
    f.fails_unchanged("XksKeyNotFoundException", |k, c| k.create_key(c, xks_key_req(&cloned, "missing")));
    f.fails_unchanged("CustomKeyStoreNotFoundException", |k, c| {
        k.create_key(c, xks_key_req("cks-00000000000000000", "ext-2"))
    });
    f.fails_unchanged("ValidationException", |k, c| k.create_key(c, xks_key_req(&cloned, "bad id")));
    f.fails_unchanged("ValidationException", |k, c| {
        k.create_key(c, CreateKeyRequest { origin: Some("EXTERNAL_KEY_STORE".into()), ..Default::default() })
    });
    f.fails_unchanged("ValidationException", |k, c| {
        k.create_key(c, CreateKeyRequest { custom_key_store_id: Some(cloned.clone()), ..Default::default() })
    });
    f.fails_unchanged("UnsupportedOperationException", |k, c| {
        k.create_key(c, CreateKeyRequest { origin: Some("AWS_CLOUDHSM".into()), ..Default::default() })
    });
    disconnect(&mut f, &store);
    f.fails_unchanged("CustomKeyStoreInvalidStateException", |k, c| k.create_key(c, xks_key_req(&cloned, "ext-2")));
}

#[test]
fn a_manager_that_does_not_round_trip_is_refused() {
    struct Liar;
    impl ExternalKeyManager for Liar {
        fn encrypt(&mut self, _: &str, p: &[u8], _: &[u8]) -> ExternalAnswer {
            Ok(p.to_vec())
        }
        fn decrypt(&mut self, _: &str, _: &[u8], _: &[u8]) -> ExternalAnswer {
            Ok(vec![0; 32])
        }
    }
    let mut f = Fixture::new();
    let id = create_store(&mut f, "liar").unwrap();
    f.kms.attach_external_key_manager(&id, Box::new(Liar)).unwrap();
    connect(&mut f, &id);
    f.fails_unchanged("XksKeyInvalidConfigurationException", |k, c| k.create_key(c, xks_key_req(&id, "k")));
}

#[test]
fn keys_of_a_disconnected_store_are_unavailable_but_manageable() {
    let mut f = Fixture::new();
    let (store, _) = connected_store(&mut f);
    let key = xks_key(&mut f, &store, "ext-1");
    let blob = f.encrypt(&key, b"data", &[]).unwrap();
    disconnect(&mut f, &store);
    assert_eq!(f.state_of(&key), "Unavailable");
    let ctx = f.ctx();
    let m = f.kms.describe_key(&ctx, Fixture::key_id_req(&key)).unwrap().key_metadata;
    assert!(!m.enabled);
    let k = key.clone();
    f.fails_unchanged("KMSInvalidStateException", |kms, c| {
        kms.encrypt(
            c,
            EncryptRequest { key_id: k.clone(), plaintext: SecretBytes::new(b"x".to_vec()), ..Default::default() },
        )
    });
    let b = blob.clone();
    f.fails_unchanged("KMSInvalidStateException", |kms, c| {
        kms.decrypt(c, DecryptRequest { ciphertext_blob: b.clone(), ..Default::default() })
    });
    // Management still works: disable, enable, tag.
    let ctx = f.ctx();
    f.kms.disable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    assert_eq!(f.state_of(&key), "Unavailable");
    f.kms.enable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    connect(&mut f, &store);
    assert_eq!(f.state_of(&key), "Enabled");
    assert_eq!(f.decrypt(&blob, &[]).unwrap(), b"data");
    // A disabled key shows Disabled again once connected.
    f.kms.disable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    assert_eq!(f.state_of(&key), "Disabled");
    assert_eq!(f.decrypt(&blob, &[]).unwrap_err().name(), "DisabledException");
}

#[test]
fn a_failing_manager_fails_the_call_with_aws_errors() {
    let mut f = Fixture::new();
    let (store, _) = connected_store(&mut f);
    let key = xks_key(&mut f, &store, "ext-1");
    let blob = f.encrypt(&key, b"data", &[]).unwrap();
    // The manager lost the external key.
    let (forgetful, _) = TestManager::with(&[]);
    f.kms.attach_external_key_manager(&store, forgetful).unwrap();
    let k = key.clone();
    let e = f.fails_unchanged("KMSInvalidStateException", |kms, c| {
        kms.encrypt(
            c,
            EncryptRequest { key_id: k.clone(), plaintext: SecretBytes::new(b"x".to_vec()), ..Default::default() },
        )
    });
    assert!(e.message().contains("ext-1"), "{e}");
    let b = blob.clone();
    f.fails_unchanged("KMSInvalidStateException", |kms, c| {
        kms.decrypt(c, DecryptRequest { ciphertext_blob: b.clone(), ..Default::default() })
    });
    // Another manager whose key has the same name but other material: the ciphertext is refused.
    let (other, _) = TestManager::with(&["ext-1"]);
    f.kms.attach_external_key_manager(&store, other).unwrap();
    f.fails_unchanged("InvalidCiphertextException", |kms, c| {
        kms.decrypt(c, DecryptRequest { ciphertext_blob: b.clone(), ..Default::default() })
    });
}

#[test]
fn blobs_of_the_wrong_kind_for_their_key_are_refused() {
    let mut f = Fixture::new();
    let (store, _) = connected_store(&mut f);
    let xks = xks_key(&mut f, &store, "ext-1");
    let local = f.key();
    // A version-2 blob naming a local key, and a version-1 blob naming a key in a store.
    let local_blob = f.encrypt(&local, b"data", &[]).unwrap();
    let mut forged = vec![2u8];
    forged.extend_from_slice(&local_blob[1..17]);
    forged.extend_from_slice(&local_blob);
    assert_eq!(f.decrypt(&forged, &[]).unwrap_err().name(), "InvalidCiphertextException");
    let mut v1 = local_blob.clone();
    v1[1..17].copy_from_slice(&uuid_bytes(xks.rsplit('/').next().unwrap()));
    assert_eq!(f.decrypt(&v1, &[]).unwrap_err().name(), "InvalidCiphertextException");
}

#[test]
fn rotation_and_import_are_unsupported_for_keys_in_a_store() {
    let mut f = Fixture::new();
    let (store, _) = connected_store(&mut f);
    let key = xks_key(&mut f, &store, "ext-1");
    let k = key.clone();
    f.fails_unchanged("UnsupportedOperationException", |kms, c| {
        kms.enable_key_rotation(c, EnableKeyRotationRequest { key_id: k.clone(), ..Default::default() })
    });
    f.fails_unchanged("UnsupportedOperationException", |kms, c| kms.rotate_key_on_demand(c, Fixture::key_id_req(&k)));
    f.fails_unchanged("UnsupportedOperationException", |kms, c| {
        kms.get_parameters_for_import(
            c,
            kms_wasm::ops::import::GetParametersForImportRequest {
                key_id: k.clone(),
                wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
                wrapping_key_spec: "RSA_2048".into(),
            },
        )
    });
    // GenerateRandom takes CloudHSM key stores only.
    let s = store.clone();
    f.fails_unchanged("UnsupportedOperationException", |kms, c| {
        kms.generate_random(
            c,
            GenerateRandomRequest {
                number_of_bytes: Some(8),
                custom_key_store_id: Some(s.clone()),
                ..Default::default()
            },
        )
    });
    f.fails_unchanged("CustomKeyStoreNotFoundException", |kms, c| {
        kms.generate_random(
            c,
            GenerateRandomRequest {
                number_of_bytes: Some(8),
                custom_key_store_id: Some("cks-00000000000000000".into()),
                ..Default::default()
            },
        )
    });
}

#[test]
fn a_store_is_deleted_only_disconnected_and_empty() {
    let mut f = Fixture::new();
    let (store, _) = connected_store(&mut f);
    let key = xks_key(&mut f, &store, "ext-1");
    let s = store.clone();
    f.fails_unchanged("CustomKeyStoreInvalidStateException", |k, c| k.delete_custom_key_store(c, store_req(&s)));
    disconnect(&mut f, &store);
    f.fails_unchanged("CustomKeyStoreHasCMKsException", |k, c| k.delete_custom_key_store(c, store_req(&s)));
    let ctx = f.ctx();
    f.kms
        .schedule_key_deletion(
            &ctx,
            ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: Some(7) },
        )
        .unwrap();
    assert_eq!(f.state_of(&key), "PendingDeletion");
    f.fails_unchanged("CustomKeyStoreHasCMKsException", |k, c| k.delete_custom_key_store(c, store_req(&s)));
    f.advance_days(8);
    let ctx = f.ctx();
    f.kms.delete_custom_key_store(&ctx, store_req(&store)).unwrap();
    f.fails_unchanged("CustomKeyStoreNotFoundException", |k, c| k.delete_custom_key_store(c, store_req(&s)));
}

#[test]
fn update_custom_key_store_renames() {
    let mut f = Fixture::new();
    let id = create_store(&mut f, "vault").unwrap();
    create_store(&mut f, "other").unwrap();
    let ctx = f.ctx();
    f.kms
        .update_custom_key_store(
            &ctx,
            UpdateCustomKeyStoreRequest {
                custom_key_store_id: id.clone(),
                new_custom_key_store_name: Some("safe".into()),
            },
        )
        .unwrap();
    assert_eq!(describe(&mut f, &id)["CustomKeyStoreName"], "safe");
    let i = id.clone();
    f.fails_unchanged("CustomKeyStoreNameInUseException", |k, c| {
        k.update_custom_key_store(
            c,
            UpdateCustomKeyStoreRequest {
                custom_key_store_id: i.clone(),
                new_custom_key_store_name: Some("other".into()),
            },
        )
    });
    f.fails_unchanged("ValidationException", |k, c| {
        k.update_custom_key_store(
            c,
            UpdateCustomKeyStoreRequest { custom_key_store_id: i.clone(), new_custom_key_store_name: None },
        )
    });
}

#[test]
fn stores_and_their_keys_survive_a_snapshot_and_need_their_manager_again() {
    let mut f = Fixture::new();
    let (store, _) = connected_store(&mut f);
    let key = xks_key(&mut f, &store, "ext-1");
    let blob = f.encrypt(&key, b"data", &[]).unwrap();
    let snapshot = f.kms.snapshot().unwrap();
    // Keep the manager's keys: take them out of the old KMS by using the same instance.
    let restored = Kms::restore(f.kms.partition().clone(), snapshot.expose()).unwrap();
    let old = std::mem::replace(&mut f.kms, restored);
    drop(old);
    assert_eq!(describe(&mut f, &store)["ConnectionState"], "FAILED");
    assert_eq!(f.state_of(&key), "Unavailable");
    assert_eq!(f.decrypt(&blob, &[]).unwrap_err().name(), "KMSInvalidStateException");
}

#[test]
fn the_audit_record_of_a_paused_call_is_written_when_it_ends() {
    let mut f = Fixture::new();
    let (store, _) = connected_store(&mut f);
    let key = xks_key(&mut f, &store, "ext-1");
    let ctx = f.ctx();
    let before = f.kms.audit_log(Default::default()).unwrap().len();
    let step = f
        .kms
        .encrypt_steps(
            &ctx,
            EncryptRequest { key_id: key.clone(), plaintext: SecretBytes::new(b"x".to_vec()), ..Default::default() },
        )
        .unwrap();
    let Step::External(call, rest) = step else { panic!("a key in a store waits for its manager") };
    assert_eq!((call.xks_key_id.as_str(), call.store_name.as_str(), call.op.name()), ("ext-1", "vault", "encrypt"));
    // audit_log itself is not audited, so the count shows the pause wrote nothing.
    assert_eq!(f.kms.audit_log(Default::default()).unwrap().len(), before);
    let err = rest.resume(&mut f.kms, Err(ExternalFailure::Unavailable)).unwrap_err();
    assert_eq!(err.name(), "KMSInvalidStateException");
    let log = f.kms.audit_log(Default::default()).unwrap();
    assert_eq!(log.len(), before + 1);
    let last = serde_json::to_value(log.last().unwrap()).unwrap();
    assert_eq!(
        (last["eventName"].as_str(), last["errorCode"].as_str()),
        (Some("Encrypt"), Some("KMSInvalidStateException"))
    );
}

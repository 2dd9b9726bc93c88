//! The core engine (built without the `full` feature): what it leaves to the
//! full engine, it refuses with the internal `NeedsFullEngine` signal before
//! reading or recording anything, so the client can replay the call on the
//! full engine. Run with `cargo test --no-default-features --test engines`
//! (`make test` does); with the full engine this file is empty.
#![cfg(not(feature = "full"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod envelope_util;

use common::*;
use envelope_util::{decrypt_chunked, keyring, read_bytes};
use kms_wasm::envelope::{AlgorithmSuite, DecryptOptions, Encryptor, EnvelopeError};
use kms_wasm::ops::extensions::AuditFilter;
use kms_wasm::ops::import::{GetParametersForImportRequest, ImportKeyMaterialRequest};
use kms_wasm::ops::lifecycle::CreateKeyRequest;
use kms_wasm::KmsError;
use std::collections::BTreeMap;

fn is_signal(e: &KmsError) -> bool {
    matches!(e, KmsError::NeedsFullEngine(_)) && e.name() == "KmsWasmNeedsFullEngine"
}

/// The state and the audit log, to prove a refused call left no trace.
fn trace(f: &mut Fixture) -> (Vec<u8>, usize) {
    let snapshot = f.kms.snapshot().unwrap().expose().to_vec();
    let records = f.kms.audit_log(AuditFilter::default()).unwrap().len();
    (snapshot, records)
}

#[test]
fn import_operations_are_the_full_engines_and_leave_no_trace_in_the_core() {
    let mut f = Fixture::new();
    let ctx = f.ctx();
    let key = f
        .kms
        .create_key(&ctx, CreateKeyRequest { origin: Some("EXTERNAL".into()), ..Default::default() })
        .unwrap()
        .key_metadata
        .arn;
    let before = trace(&mut f);
    let params = GetParametersForImportRequest {
        key_id: key.clone(),
        wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
        wrapping_key_spec: "RSA_2048".into(),
    };
    let e = f.kms.get_parameters_for_import(&ctx, params).unwrap_err();
    assert!(is_signal(&e), "{e}");
    let e =
        f.kms.import_key_material(&ctx, ImportKeyMaterialRequest { key_id: key, ..Default::default() }).unwrap_err();
    assert!(is_signal(&e), "{e}");
    assert!(before == trace(&mut f), "a refused call changed the state or wrote an audit record");
}

#[test]
fn symmetric_keys_work_in_the_core() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"core engine", &[("a", "b")]).unwrap();
    assert_eq!(f.decrypt(&blob, &[("a", "b")]).unwrap(), b"core engine");
}

#[test]
fn backups_are_the_full_engines() {
    let mut f = Fixture::new();
    f.key();
    let before = trace(&mut f);
    let e = f.kms.export_backup("a passphrase").unwrap_err();
    assert!(is_signal(&e), "{e}");
    assert!(before == trace(&mut f));
}

#[test]
fn the_signing_suite_is_the_full_engines_to_write_and_to_read() {
    let e = Encryptor::new(AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384, 4096, BTreeMap::new()).err().unwrap();
    assert!(matches!(e, EnvelopeError::NeedsFullEngine(_)), "{e}");
    assert_eq!(e.name(), "KmsWasmNeedsFullEngine");

    // A signed message from the AWS Encryption SDK: the signal comes with
    // the header, before any plaintext.
    let msg = read_bytes("esdk/esdk_0578_one_byte.msg");
    let e = decrypt_chunked(&msg, DecryptOptions::default(), &keyring("aes256"), usize::MAX).unwrap_err();
    assert!(matches!(e, EnvelopeError::NeedsFullEngine(_)), "{e}");

    // The unsigned suite is the core's.
    let msg = read_bytes("esdk/esdk_0478_empty.msg");
    decrypt_chunked(&msg, DecryptOptions::default(), &keyring("aes256"), usize::MAX).unwrap();
}

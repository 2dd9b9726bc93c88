#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! Seeds for the fuzz corpora (fuzz/corpus/<target>/): real inputs made by
//! the library. `KMS_WASM_WRITE_FUZZ_SEEDS=1 cargo test --test fuzz_seeds`
//! rewrites them; otherwise this checks that they are still what they were
//! made to be (a seed that no longer parses would fuzz nothing useful).
mod common;

use common::*;
use kms_wasm::crypto::kdf::KdfParams;
use kms_wasm::policy::KeyPolicy;
use std::path::PathBuf;

fn dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target)
}

fn seed(target: &str, name: &str, bytes: &[u8]) {
    let d = dir(target);
    if std::env::var_os("KMS_WASM_WRITE_FUZZ_SEEDS").is_some() {
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), bytes).unwrap();
    }
}

fn read(target: &str, name: &str) -> Vec<u8> {
    std::fs::read(dir(target).join(name)).unwrap_or_default()
}

#[test]
fn seeds() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"seed plaintext", &[("tenant", "acme")]).unwrap();
    seed("ciphertext_blob", "valid_blob", &blob);
    seed(
        "policy_document",
        "default",
        KeyPolicy::default_for(&kms_wasm::Partition::new(ACCOUNT, REGION).unwrap()).text().as_bytes(),
    );
    let conditions = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:role/a*"]},"NotAction":"kms:Put*","Resource":"*","Condition":{"ForAnyValue:StringLike":{"kms:EncryptionContextKeys":["ten*"]},"NumericLessThanEquals":{"kms:RotationPeriodInDays":"365"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"Null":{"kms:ViaService":"true"}}}]}"#;
    seed("policy_document", "conditions", conditions.as_bytes());
    seed("store_snapshot", "snapshot", f.kms.snapshot().unwrap().expose());
    seed("store_snapshot", "sealed", &f.kms.sealed_snapshot(&[7u8; 32]).unwrap());
    seed(
        "backup_blob",
        "cheap_backup",
        &f.kms.export_backup_with("passphrase", KdfParams { m_kib: 64, t: 1, p: 1 }).unwrap(),
    );
    let requests: [(u8, String); 5] = [
        (0, r#"{"Description":"d","Tags":[{"TagKey":"a","TagValue":"b"}]}"#.into()),
        (
            2,
            format!(
                r#"{{"KeyId":"{key}","GranteePrincipal":"arn:aws:iam::111122223333:role/x","Operations":["Decrypt"],"Constraints":{{"EncryptionContextSubset":{{"tenant":"acme"}}}}}}"#
            ),
        ),
        (3, format!(r#"{{"KeyId":"{key}","Policy":{}}}"#, serde_json::to_string(conditions).unwrap())),
        (4, format!(r#"{{"AliasName":"alias/seed","TargetKeyId":"{key}"}}"#)),
        (11, format!(r#"{{"KeyId":"{key}","NumberOfBytes":32,"EncryptionContext":{{"a":"b"}}}}"#)),
    ];
    for (op, json) in &requests {
        let mut bytes = vec![*op];
        bytes.extend_from_slice(json.as_bytes());
        seed("request_json", &format!("op{op}"), &bytes);
    }
    let records = f.kms.audit_log(Default::default()).unwrap();
    seed("audit_records", "log", &serde_json::to_vec(&records).unwrap());

    // the committed seeds are still meaningful
    assert!(kms_wasm::ciphertext::Blob::parse(&read("ciphertext_blob", "valid_blob")).is_ok());
    assert!(KeyPolicy::parse(std::str::from_utf8(&read("policy_document", "conditions")).unwrap()).is_ok());
    assert!(kms_wasm::Kms::restore(
        kms_wasm::Partition::new(ACCOUNT, REGION).unwrap(),
        &read("store_snapshot", "snapshot")
    )
    .is_ok());
    assert!(kms_wasm::Kms::restore_backup(
        kms_wasm::Partition::new(ACCOUNT, REGION).unwrap(),
        &read("backup_blob", "cheap_backup"),
        "passphrase"
    )
    .is_ok());
    let log: Vec<serde_json::Value> = serde_json::from_slice(&read("audit_records", "log")).unwrap();
    assert!(kms_wasm::audit::verify(&log).valid);
}

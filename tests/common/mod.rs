//! Shared fixture for the integration tests: a KMS with a fake clock.
#![allow(dead_code, clippy::unwrap_used)]

#[cfg(feature = "full")]
pub mod byok;

use kms_wasm::crypto::SecretBytes;
use kms_wasm::ops::crypto::{DecryptRequest, EncryptRequest};
use kms_wasm::ops::lifecycle::{CreateKeyRequest, KeyIdRequest};
use kms_wasm::time::DAY_MS;
use kms_wasm::{CallContext, Kms, KmsError, Partition, Timestamp};
use std::collections::BTreeMap;

pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "us-east-1";
/// 2026-01-01T00:00:00Z
pub const START: i64 = 1_767_225_600_000;

pub struct Fixture {
    pub kms: Kms,
    pub now: Timestamp,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture { kms: Kms::new(Partition::new(ACCOUNT, REGION).unwrap()), now: Timestamp(START) }
    }

    pub fn ctx(&self) -> CallContext {
        CallContext::new(format!("arn:aws:iam::{ACCOUNT}:root"), self.now)
    }

    pub fn advance_days(&mut self, days: i64) {
        self.now = Timestamp(self.now.0 + days * DAY_MS);
    }

    /// Creates a key and returns its ARN.
    pub fn key(&mut self) -> String {
        let ctx = self.ctx();
        self.kms.create_key(&ctx, CreateKeyRequest::default()).unwrap().key_metadata.arn
    }

    pub fn key_id_req(key: &str) -> KeyIdRequest {
        KeyIdRequest { key_id: key.to_owned(), ..Default::default() }
    }

    pub fn state_of(&mut self, key: &str) -> String {
        let ctx = self.ctx();
        let m = self.kms.describe_key(&ctx, Self::key_id_req(key)).unwrap().key_metadata;
        format!("{:?}", m.key_state)
    }

    pub fn encrypt(&mut self, key: &str, plaintext: &[u8], context: &[(&str, &str)]) -> Result<Vec<u8>, KmsError> {
        let ctx = self.ctx();
        self.kms
            .encrypt(
                &ctx,
                EncryptRequest {
                    key_id: key.to_owned(),
                    plaintext: SecretBytes::new(plaintext.to_vec()),
                    encryption_context: Some(map(context)),
                    ..Default::default()
                },
            )
            .map(|r| r.ciphertext_blob)
    }

    pub fn decrypt(&mut self, blob: &[u8], context: &[(&str, &str)]) -> Result<Vec<u8>, KmsError> {
        let ctx = self.ctx();
        self.kms
            .decrypt(
                &ctx,
                DecryptRequest {
                    ciphertext_blob: blob.to_vec(),
                    encryption_context: Some(map(context)),
                    ..Default::default()
                },
            )
            .map(|r| r.plaintext.expose().to_vec())
    }

    /// Runs a call that must fail with `name`, and proves it changed
    /// nothing: the snapshot (the whole state) and the generation are the
    /// same before and after.
    pub fn fails_unchanged<T: std::fmt::Debug>(
        &mut self,
        name: &str,
        call: impl FnOnce(&mut Kms, &CallContext) -> Result<T, KmsError>,
    ) -> KmsError {
        let ctx = self.ctx();
        // settle the clock first, so that only the call itself is observed
        let _ = self.kms.list_keys(&ctx, Default::default());
        let before = self.kms.snapshot().unwrap().expose().to_vec();
        let generation = self.kms.generation();
        let err = call(&mut self.kms, &ctx).unwrap_err();
        assert_eq!(err.name(), name, "{err}");
        // One line; AWS's own texts (docs/aws-texts.md) keep AWS's punctuation.
        assert!(!err.message().is_empty() && !err.message().contains('\n'), "one-line message: {err}");
        assert_eq!(self.kms.snapshot().unwrap().expose(), &before[..], "state changed by failed call {err}");
        assert_eq!(self.kms.generation(), generation);
        err
    }
}

pub fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

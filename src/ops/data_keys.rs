//! Data keys and randomness: GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext, GenerateRandom.

use super::{check_dry_run, check_grant_tokens, check_no_recipient, grant_token_constraints, key_id_constraints};
use crate::access::Access;
use crate::context::EncryptionContext;
use crate::crypto::{fill_random, SecretBytes};
use crate::custom_key_stores::MAX_KEY_STORE_ID_CHARS;
use crate::error::{KmsError, Result, Violations};
use crate::external::Step;
use crate::ids::AliasForms;
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest data key and largest GenerateRandom output.
pub const MAX_RANDOM_BYTES: usize = 1024;

/// GenerateDataKey / GenerateDataKeyWithoutPlaintext request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct GenerateDataKeyRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_bytes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "super::nullable")]
    #[serde(skip_serializing)]
    pub grant_tokens: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing)]
    pub recipient: Option<IgnoredAny>,
}

/// GenerateDataKey response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct GenerateDataKeyResponse {
    #[serde(with = "serde_bytes")]
    pub ciphertext_blob: Vec<u8>,
    #[serde(serialize_with = "crate::crypto::secret::exposed")]
    pub plaintext: SecretBytes,
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// GenerateDataKeyWithoutPlaintext response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct GenerateDataKeyWithoutPlaintextResponse {
    #[serde(with = "serde_bytes")]
    pub ciphertext_blob: Vec<u8>,
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// A data key and its blob, before it takes a response's shape.
struct DataKey {
    plaintext: SecretBytes,
    ciphertext_blob: Vec<u8>,
    key_id: String,
    key_material_id: Option<String>,
}

/// GenerateRandom request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct GenerateRandomRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_bytes: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    #[serde(skip_serializing)]
    pub recipient: Option<IgnoredAny>,
}

/// GenerateRandom response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateRandomResponse {
    /// The random bytes.
    #[serde(serialize_with = "crate::crypto::secret::exposed")]
    pub plaintext: SecretBytes,
}

/// The model constraint of `NumberOfBytes`: 1..1024.
fn byte_count_constraints(v: &mut Violations, n: Option<i64>) {
    v.range("numberOfBytes", n, 1, MAX_RANDOM_BYTES as i64);
}

impl GenerateDataKeyRequest {
    /// The data key length, after the model constraints: exactly one of
    /// KeySpec (AES_128 | AES_256) or NumberOfBytes (1..1024).
    fn length(&self) -> Result<usize> {
        let mut v = Violations::new();
        key_id_constraints(&mut v, "keyId", Some(&self.key_id));
        byte_count_constraints(&mut v, self.number_of_bytes);
        v.one_of("keySpec", self.key_spec.as_deref(), &["AES_256", "AES_128"]);
        grant_token_constraints(&mut v, &self.grant_tokens);
        v.check()?;
        match (self.key_spec.as_deref(), self.number_of_bytes) {
            (Some("AES_128"), None) => Ok(16),
            (Some(_), None) => Ok(32),
            (None, Some(n)) => Ok(usize::try_from(n).unwrap_or(MAX_RANDOM_BYTES)),
            _ => Err(KmsError::validation("Please specify either number of bytes or key spec.")),
        }
    }
}

impl Kms {
    /// The shared body of both GenerateDataKey operations: a fresh data key
    /// and its blob under the KMS key.
    fn new_data_key(&mut self, ctx: &CallContext, op: Op, req: GenerateDataKeyRequest) -> Result<Step<DataKey>> {
        let len = req.length()?;
        let context = EncryptionContext::new(req.encryption_context)?;
        let tokens = check_grant_tokens(&req.grant_tokens)?;
        check_no_recipient(req.recipient.as_ref())?;
        let access = Access::new(op).context(&context).tokens(&tokens);
        let id = self.key_for(ctx, &access, &req.key_id, AliasForms::Accepted)?;
        check_dry_run(req.dry_run)?;
        let mut data_key = SecretBytes::zeroed(len);
        fill_random(data_key.expose_mut())?;
        let inner = self.seal(id, &context, data_key.expose())?;
        self.wrap_steps(id, &context, inner, move |kms, ciphertext_blob| {
            Ok(DataKey {
                plaintext: data_key,
                ciphertext_blob,
                key_id: kms.partition.key_arn(id),
                key_material_id: kms.material_used(0),
            })
        })
    }

    /// GenerateDataKey: a data key in plaintext and encrypted under the key.
    pub fn generate_data_key(
        &mut self,
        ctx: &CallContext,
        req: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse> {
        let steps = self.generate_data_key_steps(ctx, req);
        self.drive(steps)
    }

    /// GenerateDataKey, pausing for the external manager of a key in an external key store.
    pub fn generate_data_key_steps(
        &mut self,
        ctx: &CallContext,
        req: GenerateDataKeyRequest,
    ) -> Result<Step<GenerateDataKeyResponse>> {
        self.run_steps(ctx, Op::GenerateDataKey, super::params(&req), |kms| {
            kms.new_data_key(ctx, Op::GenerateDataKey, req)?.try_map(|k| {
                Ok(GenerateDataKeyResponse {
                    ciphertext_blob: k.ciphertext_blob,
                    plaintext: k.plaintext,
                    key_id: k.key_id,
                    key_material_id: k.key_material_id,
                })
            })
        })
    }

    /// GenerateDataKeyWithoutPlaintext: only the encrypted data key.
    pub fn generate_data_key_without_plaintext(
        &mut self,
        ctx: &CallContext,
        req: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyWithoutPlaintextResponse> {
        let steps = self.generate_data_key_without_plaintext_steps(ctx, req);
        self.drive(steps)
    }

    /// GenerateDataKeyWithoutPlaintext, pausing for the external manager of
    /// a key in an external key store.
    pub fn generate_data_key_without_plaintext_steps(
        &mut self,
        ctx: &CallContext,
        req: GenerateDataKeyRequest,
    ) -> Result<Step<GenerateDataKeyWithoutPlaintextResponse>> {
        self.run_steps(ctx, Op::GenerateDataKeyWithoutPlaintext, super::params(&req), |kms| {
            kms.new_data_key(ctx, Op::GenerateDataKeyWithoutPlaintext, req)?.try_map(|k| {
                Ok(GenerateDataKeyWithoutPlaintextResponse {
                    ciphertext_blob: k.ciphertext_blob,
                    key_id: k.key_id,
                    key_material_id: k.key_material_id,
                })
            })
        })
    }

    /// GenerateRandom: 1..1024 bytes from the CSPRNG.
    pub fn generate_random(&mut self, ctx: &CallContext, req: GenerateRandomRequest) -> Result<GenerateRandomResponse> {
        self.run(ctx, Op::GenerateRandom, super::params(&req), |kms| {
            kms.authorize_account(ctx, &Access::new(Op::GenerateRandom))?;
            let mut v = Violations::new();
            byte_count_constraints(&mut v, req.number_of_bytes);
            v.length("customKeyStoreId", req.custom_key_store_id.as_deref(), 1, MAX_KEY_STORE_ID_CHARS);
            v.check()?;
            let n = req.number_of_bytes.ok_or_else(|| KmsError::validation("NumberOfBytes is required."))?;
            let n = usize::try_from(n).unwrap_or(MAX_RANDOM_BYTES);
            check_no_recipient(req.recipient.as_ref())?;
            // Random bytes from a CloudHSM cluster; an external key store has none to give.
            if let Some(id) = &req.custom_key_store_id {
                let store = kms.key_stores.get(id)?;
                return Err(KmsError::UnsupportedOperationException(format!(
                    "{} is an external key store; GenerateRandom takes only CloudHSM key stores.",
                    store.id
                )));
            }
            let mut plaintext = SecretBytes::zeroed(n);
            fill_random(plaintext.expose_mut())?;
            Ok(GenerateRandomResponse { plaintext })
        })
    }
}

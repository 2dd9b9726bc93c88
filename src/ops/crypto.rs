//! Cryptography with a KMS key: Encrypt, Decrypt, ReEncrypt.

use super::{
    algorithm_constraints, check_dry_run, check_grant_tokens, check_no_recipient, check_symmetric_algorithm,
    grant_token_constraints, key_id_constraints,
};
use crate::access::Access;
use crate::ciphertext::{self, AnyBlob, Blob, MAX_BLOB_LEN};
use crate::context::EncryptionContext;
use crate::crypto::SecretBytes;
use crate::custom_key_stores;
use crate::error::{KmsError, Result, Violations};
use crate::external::{self, ExternalCall, ExternalOp, Resume, Step};
use crate::ids::{AliasForms, KeyId};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest plaintext `Encrypt` takes.
pub const MAX_PLAINTEXT_LEN: usize = 4096;

/// Encrypt request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct EncryptRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(deserialize_with = "super::nullable")]
    #[serde(skip_serializing)]
    pub plaintext: SecretBytes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "super::nullable")]
    #[serde(skip_serializing)]
    pub grant_tokens: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// Encrypt response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct EncryptResponse {
    #[serde(with = "serde_bytes")]
    pub ciphertext_blob: Vec<u8>,
    pub key_id: String,
    pub encryption_algorithm: &'static str,
}

/// Decrypt request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct DecryptRequest {
    #[serde(deserialize_with = "crate::crypto::strict_bytes::deserialize")]
    #[serde(skip_serializing)]
    pub ciphertext_blob: Vec<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_context: Option<BTreeMap<String, String>>,
    #[serde(deserialize_with = "super::nullable")]
    #[serde(skip_serializing)]
    pub grant_tokens: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing)]
    pub recipient: Option<IgnoredAny>,
}

/// Decrypt response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct DecryptResponse {
    pub key_id: String,
    #[serde(serialize_with = "crate::crypto::secret::exposed")]
    pub plaintext: SecretBytes,
    pub encryption_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// ReEncrypt request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ReEncryptRequest {
    #[serde(deserialize_with = "crate::crypto::strict_bytes::deserialize")]
    #[serde(skip_serializing)]
    pub ciphertext_blob: Vec<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_encryption_context: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key_id: Option<String>,
    #[serde(deserialize_with = "super::nullable")]
    pub destination_key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_encryption_context: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_encryption_algorithm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_encryption_algorithm: Option<String>,
    #[serde(deserialize_with = "super::nullable")]
    #[serde(skip_serializing)]
    pub grant_tokens: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// ReEncrypt response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ReEncryptResponse {
    #[serde(with = "serde_bytes")]
    pub ciphertext_blob: Vec<u8>,
    pub source_key_id: String,
    pub key_id: String,
    pub source_encryption_algorithm: &'static str,
    pub destination_encryption_algorithm: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_key_material_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_key_material_id: Option<String>,
}

const ALGORITHM: &str = "kms:encryptionalgorithm";

fn symmetric() -> Vec<String> {
    vec!["SYMMETRIC_DEFAULT".to_owned()]
}

impl EncryptRequest {
    /// The model constraints of Encrypt.
    fn constraints(&self) -> Result<()> {
        let mut v = Violations::new();
        key_id_constraints(&mut v, "keyId", Some(&self.key_id));
        v.size("plaintext", Some(self.plaintext.len()), 1, MAX_PLAINTEXT_LEN);
        grant_token_constraints(&mut v, &self.grant_tokens);
        algorithm_constraints(&mut v, "EncryptionAlgorithm", self.encryption_algorithm.as_deref());
        v.check()
    }
}

impl DecryptRequest {
    /// The model constraints of Decrypt.
    fn constraints(&self) -> Result<()> {
        let mut v = Violations::new();
        v.size("ciphertextBlob", Some(self.ciphertext_blob.len()), 1, MAX_BLOB_LEN);
        grant_token_constraints(&mut v, &self.grant_tokens);
        key_id_constraints(&mut v, "keyId", self.key_id.as_deref());
        algorithm_constraints(&mut v, "EncryptionAlgorithm", self.encryption_algorithm.as_deref());
        v.check()
    }
}

impl ReEncryptRequest {
    /// The model constraints of ReEncrypt.
    fn constraints(&self) -> Result<()> {
        let mut v = Violations::new();
        v.size("ciphertextBlob", Some(self.ciphertext_blob.len()), 1, MAX_BLOB_LEN);
        key_id_constraints(&mut v, "sourceKeyId", self.source_key_id.as_deref());
        key_id_constraints(&mut v, "destinationKeyId", Some(&self.destination_key_id));
        algorithm_constraints(&mut v, "SourceEncryptionAlgorithm", self.source_encryption_algorithm.as_deref());
        algorithm_constraints(
            &mut v,
            "DestinationEncryptionAlgorithm",
            self.destination_encryption_algorithm.as_deref(),
        );
        grant_token_constraints(&mut v, &self.grant_tokens);
        v.check()
    }
}

impl Kms {
    /// Seals `plaintext` under the current backing key of `id`: a version-1 blob.
    pub(crate) fn seal(&self, id: KeyId, context: &EncryptionContext, plaintext: &[u8]) -> Result<Vec<u8>> {
        let key = self.key(id)?;
        let no_material =
            || KmsError::KMSInvalidStateException(format!("{} has no key material.", self.partition.key_arn(id)));
        let current = key.material.current().ok_or_else(no_material)?;
        let aead = current.key.as_ref().ok_or_else(no_material)?;
        self.note_material(current.id);
        ciphertext::seal(id, &current.id, aead, context, plaintext)
    }

    /// Seals `plaintext` under key `id` and hands the blob to `finish` (see [`Kms::wrap_steps`]).
    pub(crate) fn seal_steps<R>(
        &mut self,
        id: KeyId,
        context: &EncryptionContext,
        plaintext: &[u8],
        finish: impl FnOnce(&mut Kms, Vec<u8>) -> Result<R> + 'static,
    ) -> Result<Step<R>> {
        let inner = self.seal(id, context, plaintext)?;
        self.wrap_steps(id, context, inner, finish)
    }

    /// Hands a version-1 blob of key `id` to `finish`; for a key in an
    /// external key store, it first goes to the external manager, and
    /// `finish` gets the version-2 blob around its answer.
    pub(crate) fn wrap_steps<R>(
        &mut self,
        id: KeyId,
        context: &EncryptionContext,
        inner: Vec<u8>,
        finish: impl FnOnce(&mut Kms, Vec<u8>) -> Result<R> + 'static,
    ) -> Result<Step<R>> {
        let Some(external) = self.key_stores.keys.get(&id).cloned() else {
            return Ok(Step::Done(finish(self, inner)?));
        };
        let store_name = self.key_stores.get(&external.store_id)?.name.clone();
        let aad = custom_key_stores::external_aad(&ciphertext::external_header(id), context);
        let call = ExternalCall::new(&external, &store_name, ExternalOp::Encrypt, inner, aad);
        Ok(Step::External(
            call,
            Resume::new(move |kms, answer| {
                let outer = answer.map_err(|f| external::failure_error(&external, f, ExternalOp::Encrypt))?;
                let blob = ciphertext::wrap_external(id, &outer)?;
                Ok(Step::Done(finish(kms, blob)?))
            }),
        ))
    }

    /// Finds the key a blob names, authorizes `access` on it and checks its
    /// state; `expected`, when the caller named a key, must be that key.
    pub(crate) fn blob_key(
        &self,
        ctx: &CallContext,
        access: &Access<'_>,
        blob_key_id: KeyId,
        expected: Option<&str>,
    ) -> Result<KeyId> {
        let mut alias = None;
        if let Some(named) = expected {
            let (named, named_alias) = self.resolve(named, AliasForms::Accepted)?;
            // The KeyId the caller named must be the key that encrypted the blob.
            if named != blob_key_id {
                return Err(KmsError::IncorrectKeyException(
                    "The key ID in the request does not identify a CMK that can perform this operation.".into(),
                ));
            }
            alias = named_alias;
        }
        let Some(key) = self.state.keys.get(&blob_key_id) else {
            // A blob of a key that was deleted names a key that no longer
            // exists; any other unknown id is just not a ciphertext of ours.
            return Err(if self.state.deleted.contains_key(&blob_key_id) {
                KmsError::NotFoundException(format!("Key '{}' does not exist", self.partition.key_arn(blob_key_id)))
            } else {
                KmsError::invalid_ciphertext()
            });
        };
        self.touch_key(key.id);
        self.authorize(ctx, key, access, alias.as_deref())?;
        self.check_state(ctx, key, access.op)?;
        Ok(key.id)
    }

    /// Authenticates and decrypts a parsed version-1 blob with the backing key it names.
    pub(crate) fn open(&self, id: KeyId, blob: &Blob<'_>, context: &EncryptionContext) -> Result<SecretBytes> {
        // A blob naming material the key does not have (or no longer has)
        // is not a ciphertext of this key.
        let version = self.key(id)?.material.find(&blob.backing_id).ok_or_else(KmsError::invalid_ciphertext)?;
        let aead = version.key.as_ref().ok_or_else(KmsError::invalid_ciphertext)?;
        let plaintext = blob.open(aead, context)?;
        self.note_material(version.id);
        Ok(plaintext)
    }

    /// Decrypts a blob of key `id` and hands the plaintext to `finish`. A
    /// blob of a key in an external key store goes to the external manager
    /// first; a blob of the other kind than its key's is not a ciphertext.
    pub(crate) fn open_steps<R>(
        &mut self,
        id: KeyId,
        blob: AnyBlob<'_>,
        context: &EncryptionContext,
        finish: impl FnOnce(&mut Kms, SecretBytes) -> Result<Step<R>> + 'static,
    ) -> Result<Step<R>> {
        let external = self.key_stores.keys.get(&id).cloned();
        let (external, outer) = match (blob, external) {
            (AnyBlob::Local(blob), None) => {
                let plaintext = self.open(id, &blob, context)?;
                return finish(self, plaintext);
            }
            (AnyBlob::External(blob), Some(external)) => (external, blob),
            _ => return Err(KmsError::invalid_ciphertext()),
        };
        let store_name = self.key_stores.get(&external.store_id)?.name.clone();
        let aad = custom_key_stores::external_aad(outer.header, context);
        let call = ExternalCall::new(&external, &store_name, ExternalOp::Decrypt, outer.outer.to_vec(), aad);
        let context = context.clone();
        Ok(Step::External(
            call,
            Resume::new(move |kms, answer| {
                let inner = answer.map_err(|f| external::failure_error(&external, f, ExternalOp::Decrypt))?;
                let blob = Blob::parse(&inner)?;
                if blob.key_id != id {
                    return Err(KmsError::invalid_ciphertext());
                }
                let plaintext = kms.open(id, &blob, &context)?;
                finish(kms, plaintext)
            }),
        ))
    }

    /// Encrypt: up to 4096 bytes under a key, bound to an encryption context.
    pub fn encrypt(&mut self, ctx: &CallContext, req: EncryptRequest) -> Result<EncryptResponse> {
        let steps = self.encrypt_steps(ctx, req);
        self.drive(steps)
    }

    /// Encrypt, pausing for the external manager of a key in an external key store.
    pub fn encrypt_steps(&mut self, ctx: &CallContext, req: EncryptRequest) -> Result<Step<EncryptResponse>> {
        self.run_steps(ctx, Op::Encrypt, super::params(&req), |kms| {
            req.constraints()?;
            let context = EncryptionContext::new(req.encryption_context)?;
            let tokens = check_grant_tokens(&req.grant_tokens)?;
            check_symmetric_algorithm("EncryptionAlgorithm", req.encryption_algorithm.as_deref())?;
            let access = Access::new(Op::Encrypt).context(&context).tokens(&tokens).fact(ALGORITHM, symmetric());
            let id = kms.key_for(ctx, &access, &req.key_id, AliasForms::Accepted)?;
            check_dry_run(req.dry_run)?;
            kms.seal_steps(id, &context, req.plaintext.expose(), move |kms, ciphertext_blob| {
                Ok(EncryptResponse {
                    ciphertext_blob,
                    key_id: kms.partition.key_arn(id),
                    encryption_algorithm: "SYMMETRIC_DEFAULT",
                })
            })
        })
    }

    /// Decrypt: the blob names its key and backing key; `KeyId` is optional
    /// and, when given, must be that key.
    pub fn decrypt(&mut self, ctx: &CallContext, req: DecryptRequest) -> Result<DecryptResponse> {
        let steps = self.decrypt_steps(ctx, req);
        self.drive(steps)
    }

    /// Decrypt, pausing for the external manager of a key in an external key store.
    pub fn decrypt_steps(&mut self, ctx: &CallContext, req: DecryptRequest) -> Result<Step<DecryptResponse>> {
        self.run_steps(ctx, Op::Decrypt, super::params(&req), |kms| {
            req.constraints()?;
            let context = EncryptionContext::new(req.encryption_context)?;
            let tokens = check_grant_tokens(&req.grant_tokens)?;
            check_symmetric_algorithm("EncryptionAlgorithm", req.encryption_algorithm.as_deref())?;
            check_no_recipient(req.recipient.as_ref())?;
            let blob = ciphertext::parse_any(&req.ciphertext_blob)?;
            let access = Access::new(Op::Decrypt).context(&context).tokens(&tokens).fact(ALGORITHM, symmetric());
            let id = kms.blob_key(ctx, &access, blob.key_id(), req.key_id.as_deref())?;
            check_dry_run(req.dry_run)?;
            kms.open_steps(id, blob, &context, move |kms, plaintext| {
                Ok(Step::Done(DecryptResponse {
                    key_id: kms.partition.key_arn(id),
                    plaintext,
                    encryption_algorithm: "SYMMETRIC_DEFAULT",
                    key_material_id: kms.material_used(0),
                }))
            })
        })
    }

    /// ReEncrypt: decrypt under the source key and encrypt under the
    /// destination key, without the plaintext leaving the core.
    pub fn re_encrypt(&mut self, ctx: &CallContext, req: ReEncryptRequest) -> Result<ReEncryptResponse> {
        let steps = self.re_encrypt_steps(ctx, req);
        self.drive(steps)
    }

    /// ReEncrypt, pausing for the external managers of keys in external key
    /// stores (the source's to decrypt, then the destination's to encrypt).
    pub fn re_encrypt_steps(&mut self, ctx: &CallContext, req: ReEncryptRequest) -> Result<Step<ReEncryptResponse>> {
        self.run_steps(ctx, Op::ReEncrypt, super::params(&req), |kms| {
            req.constraints()?;
            let source_context = EncryptionContext::new(req.source_encryption_context)?;
            let destination_context = EncryptionContext::new(req.destination_encryption_context)?;
            let tokens = check_grant_tokens(&req.grant_tokens)?;
            check_symmetric_algorithm("SourceEncryptionAlgorithm", req.source_encryption_algorithm.as_deref())?;
            check_symmetric_algorithm(
                "DestinationEncryptionAlgorithm",
                req.destination_encryption_algorithm.as_deref(),
            )?;
            let blob = ciphertext::parse_any(&req.ciphertext_blob)?;
            let from = Access::new(Op::ReEncrypt).context(&source_context).tokens(&tokens).fact(ALGORITHM, symmetric());
            let source = kms.blob_key(ctx, &from, blob.key_id(), req.source_key_id.as_deref())?;
            let to = Access::new(Op::ReEncrypt)
                .action(crate::operation::REENCRYPT_TO)
                .context(&destination_context)
                .tokens(&tokens)
                .fact(ALGORITHM, symmetric());
            let destination = kms.key_for(ctx, &to, &req.destination_key_id, AliasForms::Accepted)?;
            check_dry_run(req.dry_run)?;
            kms.open_steps(source, blob, &source_context, move |kms, plaintext| {
                kms.seal_steps(destination, &destination_context, plaintext.expose(), move |kms, ciphertext_blob| {
                    Ok(ReEncryptResponse {
                        ciphertext_blob,
                        source_key_id: kms.partition.key_arn(source),
                        key_id: kms.partition.key_arn(destination),
                        source_encryption_algorithm: "SYMMETRIC_DEFAULT",
                        destination_encryption_algorithm: "SYMMETRIC_DEFAULT",
                        source_key_material_id: kms.material_used(0),
                        destination_key_material_id: kms.material_used(1),
                    })
                })
            })
        })
    }
}

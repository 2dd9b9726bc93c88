//! Imported key material: GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial.

use super::Empty;
use crate::access::Access;
use crate::crypto::AeadKey;
use crate::error::{KmsError, Result};
use crate::ids::{AliasForms, KeyId};
use crate::keys::backing::{BackingKey, BackingKeys, Provenance};
use crate::keys::import::{self, ExpirationModel, WrappingAlgorithm, MAX_VALID_DAYS};
use crate::keys::{KeyState, Origin};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// GetParametersForImport request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct GetParametersForImportRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(deserialize_with = "super::nullable")]
    pub wrapping_algorithm: String,
    #[serde(deserialize_with = "super::nullable")]
    pub wrapping_key_spec: String,
}

/// GetParametersForImport response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct GetParametersForImportResponse {
    pub key_id: String,
    #[serde(with = "serde_bytes")]
    pub import_token: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub public_key: Vec<u8>,
    #[serde(with = "time::as_millis")]
    pub parameters_valid_to: Timestamp,
}

/// ImportKeyMaterial request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ImportKeyMaterialRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing, deserialize_with = "crate::crypto::strict_bytes::deserialize")]
    pub import_token: Vec<u8>,
    #[serde(skip_serializing, deserialize_with = "crate::crypto::strict_bytes::deserialize")]
    pub encrypted_key_material: Vec<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<String>,
}

/// ImportKeyMaterial response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ImportKeyMaterialResponse {
    pub key_id: String,
    pub key_material_id: String,
}

impl Kms {
    /// Keys with imported material only.
    fn external_key(&self, ctx: &CallContext, access: &Access<'_>, key_id: &str) -> Result<KeyId> {
        let id = self.key_for(ctx, access, key_id, AliasForms::Rejected)?;
        // Only keys created with Origin EXTERNAL take imported material.
        if self.key(id)?.origin != Origin::External {
            return Err(KmsError::UnsupportedOperationException(format!(
                "{} was not created with Origin EXTERNAL; {} is not supported for it.",
                self.partition.key_arn(id),
                access.op.name()
            )));
        }
        Ok(id)
    }

    /// GetParametersForImport: a fresh RSA wrapping key pair and import
    /// token, valid for 24 hours; replaces earlier parameters.
    pub fn get_parameters_for_import(
        &mut self,
        ctx: &CallContext,
        req: GetParametersForImportRequest,
    ) -> Result<GetParametersForImportResponse> {
        self.run(ctx, Op::GetParametersForImport, super::params(&req), |kms| {
            let algorithm = WrappingAlgorithm::parse(&req.wrapping_algorithm)?;
            let bits = import::parse_key_spec(&req.wrapping_key_spec)?;
            let id = kms.external_key(ctx, &Access::new(Op::GetParametersForImport), &req.key_id)?;
            let issued = import::issue(id, algorithm, bits, ctx.now)?;
            let parameters_valid_to = issued.parameters.valid_to;
            if let Some(state) = kms.key_mut(id)?.import.as_mut() {
                state.parameters = Some(issued.parameters);
            }
            Ok(GetParametersForImportResponse {
                key_id: kms.partition.key_arn(id),
                import_token: issued.token,
                public_key: issued.public_key,
                parameters_valid_to,
            })
        })
    }

    /// ImportKeyMaterial: unwraps and installs the material; the key becomes
    /// Enabled. A re-import must bring the same material.
    pub fn import_key_material(
        &mut self,
        ctx: &CallContext,
        req: ImportKeyMaterialRequest,
    ) -> Result<ImportKeyMaterialResponse> {
        self.run(ctx, Op::ImportKeyMaterial, super::params(&req), |kms| {
            let model = match req.expiration_model.as_deref() {
                None | Some("KEY_MATERIAL_EXPIRES") => ExpirationModel::Expires,
                Some("KEY_MATERIAL_DOES_NOT_EXPIRE") => ExpirationModel::DoesNotExpire,
                Some(_) => {
                    return Err(KmsError::validation(
                        "ExpirationModel must be KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE.",
                    ))
                }
            };
            let valid_to = req.valid_to.map(Timestamp::from_js_millis).transpose()?;
            let valid_to = match (model, valid_to) {
                // Expiring material needs a ValidTo in the next 365 days.
                (ExpirationModel::Expires, Some(t)) if t > ctx.now && t <= ctx.now.plus_days(MAX_VALID_DAYS) => Some(t),
                (ExpirationModel::Expires, Some(_)) => {
                    return Err(KmsError::validation("ValidTo must be in the future and at most 365 days from now."))
                }
                (ExpirationModel::Expires, None) => {
                    return Err(KmsError::validation(
                        "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES.",
                    ))
                }
                (ExpirationModel::DoesNotExpire, Some(_)) => {
                    return Err(KmsError::validation(
                        "ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.",
                    ))
                }
                (ExpirationModel::DoesNotExpire, None) => None,
            };
            if req.encrypted_key_material.is_empty() || req.encrypted_key_material.len() > 6144 {
                return Err(KmsError::validation("EncryptedKeyMaterial must be between 1 and 6144 bytes long."));
            }
            let id = kms.external_key(ctx, &Access::new(Op::ImportKeyMaterial), &req.key_id)?;
            let key = kms.key(id)?;
            let state =
                key.import.as_ref().ok_or_else(|| KmsError::KMSInternalException("Import state is missing.".into()))?;
            let params = import::check_token(id, state, &req.import_token, ctx.now)?;
            let material = import::unwrap(params, &req.encrypted_key_material)?;
            // Symmetric keys take exactly 256 bits of material.
            let material: Zeroizing<[u8; 32]> = Zeroizing::new(material.as_slice().try_into().map_err(|_| {
                KmsError::IncorrectKeyMaterialException(
                    "The key material must be 256 bits (32 bytes) for a symmetric key.".into(),
                )
            })?);
            let fingerprint = import::fingerprint(material.as_ref());
            // A key only ever takes the material it was first given.
            if state.fingerprint.is_some_and(|f| !crate::crypto::ct_eq(&f, &fingerprint)) {
                return Err(KmsError::IncorrectKeyMaterialException(
                    "The key material is not the material previously imported into this key.".into(),
                ));
            }
            let backing_id = match state.backing_id {
                Some(b) => b,
                None => crate::crypto::random_array()?,
            };
            let version = BackingKey {
                id: backing_id,
                key: AeadKey::from_material(material),
                created: ctx.now,
                provenance: Provenance::Initial,
            };
            let key = kms.key_mut(id)?;
            key.material = BackingKeys::with_initial(version);
            if let Some(state) = key.import.as_mut() {
                state.fingerprint = Some(fingerprint);
                state.backing_id = Some(backing_id);
                state.valid_to = valid_to;
                state.expiration_model = Some(model);
                state.parameters = None; // a token is good for one import
            }
            if key.state == KeyState::PendingImport {
                key.state = KeyState::Enabled;
            }
            Ok(ImportKeyMaterialResponse {
                key_id: kms.partition.key_arn(id),
                key_material_id: hex::encode(backing_id),
            })
        })
    }

    /// DeleteImportedKeyMaterial: the key returns to PendingImport.
    pub fn delete_imported_key_material(
        &mut self,
        ctx: &CallContext,
        req: super::lifecycle::KeyIdRequest,
    ) -> Result<Empty> {
        self.run(ctx, Op::DeleteImportedKeyMaterial, super::params(&req), |kms| {
            let id = kms.external_key(ctx, &Access::new(Op::DeleteImportedKeyMaterial), &req.key_id)?;
            kms.key_mut(id)?.drop_imported_material();
            Ok(Empty {})
        })
    }
}

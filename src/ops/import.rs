//! Imported key material: GetParametersForImport, ImportKeyMaterial,
//! DeleteImportedKeyMaterial. What each material keeps, and how a key
//! with several materials is usable, is in `keys::backing`.

use super::key_id_constraints;
use crate::access::Access;
use crate::crypto::AeadKey;
use crate::error::{KmsError, Result, Violations};
use crate::ids::{AliasForms, KeyId};
use crate::keys::backing::{BackingKey, BackingKeys, Imported, MaterialId, Provenance};
use crate::keys::import::{self, ExpirationModel, WrappingAlgorithm, MAX_VALID_DAYS};
use crate::keys::rotation::MAX_ON_DEMAND_ROTATIONS;
use crate::keys::Origin;
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// ImportKeyMaterial response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ImportKeyMaterialResponse {
    pub key_id: String,
    pub key_material_id: String,
}

/// DeleteImportedKeyMaterial request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct DeleteImportedKeyMaterialRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// DeleteImportedKeyMaterial response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct DeleteImportedKeyMaterialResponse {
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

/// `ImportType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ImportType {
    New,
    Existing,
}

/// The model constraints of `KeyMaterialId`: 64 characters of `^[a-f0-9]+$`.
fn material_id_constraints(v: &mut Violations, id: Option<&str>) {
    let hex = |id: &str| !id.is_empty() && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    v.pattern("keyMaterialId", id, "^[a-f0-9]+$", hex).length("keyMaterialId", id, 64, 64);
}

/// A `KeyMaterialId`, after its model constraints, as bytes.
fn parse_material_id(id: &str) -> Result<MaterialId> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(id, &mut out).map_err(|_| KmsError::validation("The KeyMaterialId is not valid."))?;
    Ok(out)
}

/// The model constraints of `KeyMaterialDescription`: at most 256
/// characters of `^[a-zA-Z0-9:/_\s.-]+$`.
fn description_constraints(v: &mut Violations, text: Option<&str>) {
    let allowed = |text: &str| {
        text.chars().all(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || matches!(c, ':' | '/' | '_' | '.' | '-'))
    };
    v.pattern("keyMaterialDescription", text, "^[a-zA-Z0-9:/_\\s.-]+$", allowed).length(
        "keyMaterialDescription",
        text,
        0,
        256,
    );
}

impl ImportKeyMaterialRequest {
    /// The model constraints of ImportKeyMaterial.
    fn constraints(&self) -> Result<()> {
        let mut v = Violations::new();
        key_id_constraints(&mut v, "keyId", Some(&self.key_id));
        v.size("importToken", Some(self.import_token.len()), 1, 6144)
            .size("encryptedKeyMaterial", Some(self.encrypted_key_material.len()), 1, 6144)
            .one_of(
                "expirationModel",
                self.expiration_model.as_deref(),
                &["KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE"],
            )
            .one_of("importType", self.import_type.as_deref(), &["NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL"]);
        description_constraints(&mut v, self.key_material_description.as_deref());
        material_id_constraints(&mut v, self.key_material_id.as_deref());
        v.check()
    }
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
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            v.one_of("wrappingAlgorithm", Some(&req.wrapping_algorithm), import::WRAPPING_ALGORITHMS).one_of(
                "wrappingKeySpec",
                Some(&req.wrapping_key_spec),
                import::WRAPPING_KEY_SPECS,
            );
            v.check()?;
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

    /// ImportKeyMaterial: unwraps the material and, by `ImportType`,
    /// installs the first material, stages new material as pending
    /// rotation (`NEW_KEY_MATERIAL`), or reimports material the key already
    /// has (`EXISTING_KEY_MATERIAL`, the default once a key has material).
    pub fn import_key_material(
        &mut self,
        ctx: &CallContext,
        req: ImportKeyMaterialRequest,
    ) -> Result<ImportKeyMaterialResponse> {
        self.run(ctx, Op::ImportKeyMaterial, super::params(&req), |kms| {
            req.constraints()?;
            let model = match req.expiration_model.as_deref() {
                Some("KEY_MATERIAL_DOES_NOT_EXPIRE") => ExpirationModel::DoesNotExpire,
                _ => ExpirationModel::Expires,
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
                        "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
                    ))
                }
                (ExpirationModel::DoesNotExpire, Some(_)) => {
                    return Err(KmsError::validation(
                        "The parameter ValidTo cannot be specified for a key with an expiration model of KEY_MATERIAL_DOES_NOT_EXPIRE",
                    ))
                }
                (ExpirationModel::DoesNotExpire, None) => None,
            };
            let import_type = match req.import_type.as_deref() {
                None => None,
                Some("NEW_KEY_MATERIAL") => Some(ImportType::New),
                Some(_) => Some(ImportType::Existing),
            };
            let named = req.key_material_id.as_deref().map(parse_material_id).transpose()?;
            if named.is_some() && import_type == Some(ImportType::New) {
                return Err(KmsError::validation(
                    "A KeyMaterialId cannot be specified when the ImportType is NEW_KEY_MATERIAL.",
                ));
            }
            let id = kms.external_key(ctx, &Access::new(Op::ImportKeyMaterial), &req.key_id)?;
            let arn = kms.partition.key_arn(id);
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
            let first = key.material.is_empty();
            // The material this key already has with these bytes, if any
            // (matched by check value: ids of material imported before key
            // material ids were derived are random).
            let known = key
                .material
                .versions()
                .chain(key.material.pending())
                .find(|b| b.imported.as_ref().is_some_and(|i| crate::crypto::ct_eq(&i.fingerprint, &fingerprint)))
                .map(|b| b.id);
            let import_type = import_type.unwrap_or(if first { ImportType::New } else { ImportType::Existing });
            let imported = Imported {
                fingerprint,
                description: req.key_material_description.clone(),
                expiration_model: Some(model),
                valid_to,
            };
            let material_id = match (import_type, known) {
                // Reimport of material the key has: the same bytes, and the
                // id the caller named, if any.
                (ImportType::Existing, Some(known)) if named.is_none_or(|n| n == known) => known,
                (ImportType::Existing, _) => {
                    return Err(KmsError::IncorrectKeyMaterialException(match named {
                        Some(n) => format!(
                            "The key material does not match the key material {} of {arn}.",
                            hex::encode(n)
                        ),
                        None => format!("The key material is not key material previously imported into {arn}."),
                    }))
                }
                // NEW_KEY_MATERIAL with bytes the key already has: staging
                // them again as pending is a reimport of the pending material.
                (ImportType::New, Some(known)) if key.material.pending().is_some_and(|p| p.id == known) => known,
                (ImportType::New, Some(known)) => {
                    return Err(KmsError::IncorrectKeyMaterialException(format!(
                        "The key material is already associated with {arn} as key material {}; import it with ImportType EXISTING_KEY_MATERIAL.",
                        hex::encode(known)
                    )))
                }
                (ImportType::New, None) => {
                    let fresh = import::material_id(id, material.as_ref());
                    if let Some(pending) = key.material.pending() {
                        return Err(KmsError::KMSInvalidStateException(format!(
                            "New key material (id: {}) cannot be imported into KMS key {arn}, because another key material (id: {}) is pending rotation.",
                            hex::encode(fresh),
                            pending.material_id()
                        )));
                    }
                    if !first && key.rotation.on_demand_count >= MAX_ON_DEMAND_ROTATIONS {
                        return Err(rotation_quota(&arn));
                    }
                    fresh
                }
            };
            // The keys of a multi-Region set share one material.
            if first {
                kms.check_shared_material(id, &material_id)?;
            }
            let key = kms.key_mut(id)?;
            if let Some(version) = key.material.find_mut(&material_id) {
                // Reimport: the material is back; expiry and (when given)
                // the description are those of this import.
                if version.key.is_none() {
                    version.key = Some(AeadKey::from_material(material));
                }
                if let Some(old) = version.imported.as_mut() {
                    old.expiration_model = imported.expiration_model;
                    old.valid_to = imported.valid_to;
                    if imported.description.is_some() {
                        old.description = imported.description;
                    }
                }
            } else {
                let version = BackingKey {
                    id: material_id,
                    key: Some(AeadKey::from_material(material)),
                    created: ctx.now,
                    provenance: if first { Provenance::Initial } else { Provenance::OnDemand },
                    imported: Some(imported),
                };
                if first {
                    key.material = BackingKeys::with_initial(version);
                } else {
                    key.material.set_pending(Some(version));
                }
            }
            if let Some(state) = key.import.as_mut() {
                state.parameters = None; // a token is good for one import
            }
            key.settle_import_state();
            Ok(ImportKeyMaterialResponse { key_id: arn, key_material_id: hex::encode(material_id) })
        })
    }

    /// DeleteImportedKeyMaterial: deletes one material (the current one
    /// unless `KeyMaterialId` names another). Material pending rotation is
    /// simply dropped; deleting any other makes the key `PendingImport`
    /// until the same material is imported again.
    pub fn delete_imported_key_material(
        &mut self,
        ctx: &CallContext,
        req: DeleteImportedKeyMaterialRequest,
    ) -> Result<DeleteImportedKeyMaterialResponse> {
        self.run(ctx, Op::DeleteImportedKeyMaterial, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            material_id_constraints(&mut v, req.key_material_id.as_deref());
            v.check()?;
            let named = req.key_material_id.as_deref().map(parse_material_id).transpose()?;
            let id = kms.external_key(ctx, &Access::new(Op::DeleteImportedKeyMaterial), &req.key_id)?;
            let arn = kms.partition.key_arn(id);
            let key = kms.key_mut(id)?;
            let target = named.or_else(|| key.material.current().map(|b| b.id));
            if let Some(m) = target {
                if key.material.pending().is_some_and(|p| p.id == m) {
                    key.material.set_pending(None);
                } else if let Some(version) = key.material.find_mut(&m) {
                    version.drop_material();
                } else {
                    return Err(KmsError::NotFoundException(format!(
                        "Key material {} is not associated with {arn}.",
                        hex::encode(m)
                    )));
                }
            }
            key.settle_import_state();
            Ok(DeleteImportedKeyMaterialResponse { key_id: arn, key_material_id: target.map(hex::encode) })
        })
    }
}

/// AWS's on-demand rotation quota (25 per key).
pub(crate) fn rotation_quota(arn: &str) -> KmsError {
    KmsError::LimitExceededException(format!(
        "{arn} has reached the limit of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations."
    ))
}

//! Key lifecycle: CreateKey, DescribeKey, ListKeys, UpdateKeyDescription,
//! EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion.

use super::paging::{page_map, Limits, MarkerForm};
use super::{check_grant_tokens, grant_token_constraints, key_id_constraints, Empty};
use crate::access::Access;
use crate::ciphertext;
use crate::custom_key_stores::{self, ExternalKey, MAX_KEY_STORE_ID_CHARS};
use crate::error::{KmsError, Result, Violations};
use crate::external::{ExternalCall, ExternalFailure, ExternalOp, Resume, Step};
use crate::ids::AliasForms;
use crate::keys::backing::{BackingKey, Provenance};
use crate::keys::tags::{self, Tag};
use crate::keys::{Key, KeyMetadata, KeyState, ScheduledDeletion};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use crate::policy::{KeyPolicy, MAX_POLICY_CHARS};
use crate::time::{self, Timestamp};
use serde::{Deserialize, Serialize};

/// ListKeys markers: the last key id of the previous page.
const KEY_MARKERS: MarkerForm<crate::ids::KeyId> =
    MarkerForm { prefix: "k:", encode: |id| id.to_string(), decode: crate::ids::KeyId::parse };

/// Longest description AWS accepts, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 8192;
/// Shortest and longest deletion windows, and the default.
pub const PENDING_WINDOW_DAYS: (u32, u32, u32) = (7, 30, 30);

/// CreateKey request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct CreateKeyRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_usage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_spec: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_master_key_spec: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypass_policy_lockout_safety_check: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multi_region: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xks_key_id: Option<String>,
}

/// CreateKey / DescribeKey response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadataResponse {
    /// The key's metadata.
    pub key_metadata: KeyMetadata,
}

/// Request members that name one key.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct KeyIdRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(deserialize_with = "super::nullable")]
    #[serde(skip_serializing)]
    pub grant_tokens: Vec<String>,
}

/// ListKeys request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ListRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// One entry of ListKeys.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct KeyListEntry {
    pub key_id: String,
    pub key_arn: String,
}

/// ListKeys response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ListKeysResponse {
    pub keys: Vec<KeyListEntry>,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// UpdateKeyDescription request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct UpdateKeyDescriptionRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// ScheduleKeyDeletion request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct ScheduleKeyDeletionRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub key_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_window_in_days: Option<i64>,
}

/// ScheduleKeyDeletion response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ScheduleKeyDeletionResponse {
    pub key_id: String,
    /// Absent for a multi-Region primary key waiting for its replicas.
    #[serde(with = "time::as_millis::option", skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<Timestamp>,
    pub key_state: KeyState,
    pub pending_window_in_days: u32,
}

/// A response carrying only the key ARN.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyArnResponse {
    /// The key ARN.
    pub key_id: String,
}

/// Why an external key failed the creation probe, as AWS names it.
fn probe_error(external: &ExternalKey, failure: ExternalFailure) -> KmsError {
    let (store, key) = (&external.store_id, &external.xks_key_id);
    match failure {
        ExternalFailure::KeyNotFound => {
            KmsError::XksKeyNotFoundException(format!("Custom key store {store} cannot find external key '{key}'."))
        }
        ExternalFailure::Rejected => KmsError::XksKeyInvalidConfigurationException(format!(
            "External key '{key}' of custom key store {store} did not decrypt what it encrypted."
        )),
        ExternalFailure::Unavailable => {
            KmsError::XksKeyNotFoundException(format!("Custom key store {store} could not use external key '{key}'."))
        }
    }
}

/// Checks an AWS enum member, after its model constraint, against what we
/// support: a supported value passes, and another value AWS knows is
/// `UnsupportedOperationException`.
fn check_supported(member: &str, value: Option<&str>, supported: &[&str]) -> Result<()> {
    match value {
        Some(value) if !supported.contains(&value) => Err(KmsError::UnsupportedOperationException(format!(
            "{member} {value} is not supported; kms-wasm supports {}.",
            supported.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// The key usages of AWS's model (`KeyUsageType`).
const AWS_KEY_USAGES: &[&str] =
    &["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "ENCAPSULATE_DECAPSULATE"];

/// The origins of AWS's model (`OriginType`).
const AWS_ORIGINS: &[&str] = &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];

/// The key specs of AWS's model (`KeySpec`); `CustomerMasterKeySpec` has
/// the first 13.
const AWS_KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_512",
    "ML_KEM_768",
    "ML_KEM_1024",
];

/// The model constraint of `Description`: at most 8192 characters.
fn description_constraints(v: &mut Violations, description: Option<&str>) {
    v.length("description", description, 0, MAX_DESCRIPTION_CHARS);
}

impl CreateKeyRequest {
    fn validate(&self) -> Result<std::collections::BTreeMap<String, String>> {
        let mut v = Violations::new();
        v.size("policy", self.policy.as_ref().map(|p| p.chars().count()), 1, MAX_POLICY_CHARS);
        description_constraints(&mut v, self.description.as_deref());
        v.one_of("keyUsage", self.key_usage.as_deref(), AWS_KEY_USAGES)
            .one_of(
                "customerMasterKeySpec",
                self.customer_master_key_spec.as_deref(),
                AWS_KEY_SPECS.get(..13).unwrap_or(AWS_KEY_SPECS),
            )
            .one_of("keySpec", self.key_spec.as_deref(), AWS_KEY_SPECS)
            .one_of("origin", self.origin.as_deref(), AWS_ORIGINS)
            .length("customKeyStoreId", self.custom_key_store_id.as_deref(), 1, MAX_KEY_STORE_ID_CHARS);
        tags::constraints(&mut v, self.tags.as_deref().unwrap_or_default());
        custom_key_stores::xks_key_id_constraints(&mut v, self.xks_key_id.as_deref());
        v.check()?;
        check_supported("KeyUsage", self.key_usage.as_deref(), &["ENCRYPT_DECRYPT"])?;
        check_supported("KeySpec", self.key_spec.as_deref(), &["SYMMETRIC_DEFAULT"])?;
        check_supported("CustomerMasterKeySpec", self.customer_master_key_spec.as_deref(), &["SYMMETRIC_DEFAULT"])?;
        // KeySpec and its deprecated twin CustomerMasterKeySpec are exclusive.
        if self.key_spec.is_some() && self.customer_master_key_spec.is_some() {
            return Err(KmsError::validation("Specify KeySpec or CustomerMasterKeySpec, not both."));
        }
        check_supported("Origin", self.origin.as_deref(), &["AWS_KMS", "EXTERNAL", "EXTERNAL_KEY_STORE"])?;
        // Multi-Region keys cannot live in a custom key store (AWS API
        // Reference, CreateKey `MultiRegion`).
        if self.multi_region == Some(true) && self.origin.as_deref() == Some("EXTERNAL_KEY_STORE") {
            return Err(KmsError::UnsupportedOperationException(
                "Multi-Region keys are not supported in custom key stores.".into(),
            ));
        }
        // A key in an external key store names the store and its external
        // key; no other key may name either.
        if self.origin.as_deref() == Some("EXTERNAL_KEY_STORE") {
            let store = self.custom_key_store_id.as_deref().unwrap_or_default();
            if store.is_empty() || self.xks_key_id.is_none() {
                return Err(KmsError::validation(
                    "Origin EXTERNAL_KEY_STORE needs a CustomKeyStoreId and an XksKeyId.",
                ));
            }
        } else if self.custom_key_store_id.is_some() || self.xks_key_id.is_some() {
            return Err(KmsError::validation(
                "CustomKeyStoreId and XksKeyId need Origin EXTERNAL_KEY_STORE (CloudHSM key stores are not supported).",
            ));
        }
        tags::merged(&Default::default(), tags::validate(self.tags.as_deref().unwrap_or_default())?)
    }
}

impl Kms {
    /// CreateKey: a new symmetric key, Enabled, with generated material
    /// (or `PendingImport` for `Origin: EXTERNAL`). A key of an external key
    /// store needs its external key manager: see [`Kms::create_key_steps`].
    pub fn create_key(&mut self, ctx: &CallContext, req: CreateKeyRequest) -> Result<KeyMetadataResponse> {
        let steps = self.create_key_steps(ctx, req);
        self.drive(steps)
    }

    /// CreateKey, pausing for the external key manager when the key is
    /// created in an external key store: the manager must encrypt and
    /// decrypt a random probe under the external key before the key exists.
    pub fn create_key_steps(&mut self, ctx: &CallContext, req: CreateKeyRequest) -> Result<Step<KeyMetadataResponse>> {
        self.run_steps(ctx, Op::CreateKey, super::params(&req), |kms| {
            let tags = req.validate()?;
            let bypass = req.bypass_policy_lockout_safety_check == Some(true);
            let policy = match req.policy.as_deref() {
                Some(text) => KeyPolicy::parse(text)?,
                None => KeyPolicy::default_for(&kms.partition),
            };
            let access =
                Access::new(Op::CreateKey).fact("kms:bypasspolicylockoutsafetycheck", vec![bypass.to_string()]);
            kms.authorize_account(ctx, &access)?;
            let description = req.description.unwrap_or_default();
            let external = match (req.custom_key_store_id, req.xks_key_id) {
                (Some(store_id), Some(xks_key_id)) if req.origin.as_deref() == Some("EXTERNAL_KEY_STORE") => {
                    kms.check_room_for_external_key(&store_id, &xks_key_id)?;
                    Some(ExternalKey { store_id, xks_key_id })
                }
                _ => None,
            };
            let mut key = match (req.origin.as_deref(), &external) {
                (Some("EXTERNAL"), _) => Key::awaiting_import(description, tags, policy, ctx.now)?,
                (_, Some(_)) => Key::generate_for_key_store(description, tags, policy, ctx.now)?,
                _ => Key::generate(description, tags, policy, ctx.now)?,
            };
            let multi_region = req.multi_region == Some(true);
            if multi_region {
                key.id = crate::ids::KeyId::random_multi_region()?;
            }
            // The caller must still be able to change the policy of its new key.
            kms.check_lockout(ctx, &key, &key.policy, bypass)?;
            if multi_region {
                kms.start_multi_region(key.id);
            }
            match external {
                None => Ok(Step::Done(kms.add_key(key, None))),
                Some(external) => kms.probe_external_key(key, external),
            }
        })
    }

    /// Files a new key (and its external key); returns its metadata.
    fn add_key(&mut self, key: Key, external: Option<ExternalKey>) -> KeyMetadataResponse {
        self.touch_key(key.id);
        if let Some(external) = external {
            self.key_stores.keys.insert(key.id, external);
        }
        let key_metadata = self.metadata(&key);
        self.changed_keys.push(key.id);
        self.state.keys.insert(key.id, key);
        KeyMetadataResponse { key_metadata }
    }

    /// The store must exist and be connected, and no other key of it may use the external key.
    fn check_room_for_external_key(&self, store_id: &str, xks_key_id: &str) -> Result<()> {
        let store = self.key_stores.get(store_id)?;
        if !self.key_stores.is_connected(store_id) {
            return Err(KmsError::CustomKeyStoreInvalidStateException(format!(
                "Custom key store {store_id} is not connected; keys can be created only in a connected store."
            )));
        }
        if let Some(other) = self.key_stores.key_using(&store.id, xks_key_id) {
            return Err(KmsError::XksKeyAlreadyInUseException(format!(
                "External key '{xks_key_id}' is already used by {} in custom key store {store_id}.",
                self.partition.key_arn(other)
            )));
        }
        Ok(())
    }

    /// Asks the external manager to encrypt a random probe under the
    /// external key and decrypt it back; files the key if it comes back whole.
    fn probe_external_key(&mut self, key: Key, external: ExternalKey) -> Result<Step<KeyMetadataResponse>> {
        let store_name = self.key_stores.get(&external.store_id)?.name.clone();
        let probe = crate::crypto::random_array::<32>()?;
        let aad = custom_key_stores::external_aad(&ciphertext::external_header(key.id), &Default::default());
        let first = ExternalCall::new(&external, &store_name, ExternalOp::Encrypt, probe.to_vec(), aad.clone());
        Ok(Step::External(
            first,
            Resume::new(move |_, answer| {
                let sealed = answer.map_err(|f| probe_error(&external, f))?;
                Ok(Step::External(
                    ExternalCall::new(&external, &store_name, ExternalOp::Decrypt, sealed, aad),
                    Resume::new(move |kms: &mut Kms, answer| {
                        let opened = answer.map_err(|f| probe_error(&external, f))?;
                        if !crate::crypto::ct_eq(&opened, &probe) {
                            return Err(probe_error(&external, ExternalFailure::Rejected));
                        }
                        // Nothing ran in between, but the store is checked again before the key is filed.
                        kms.check_room_for_external_key(&external.store_id, &external.xks_key_id)?;
                        Ok(Step::Done(kms.add_key(key, Some(external))))
                    }),
                ))
            }),
        ))
    }

    /// DescribeKey: metadata of a key named in any of the four forms.
    pub fn describe_key(&mut self, ctx: &CallContext, req: KeyIdRequest) -> Result<KeyMetadataResponse> {
        self.run(ctx, Op::DescribeKey, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            grant_token_constraints(&mut v, &req.grant_tokens);
            v.check()?;
            check_grant_tokens(&req.grant_tokens)?;
            let id = kms.key_for(ctx, &Access::new(Op::DescribeKey), &req.key_id, AliasForms::Accepted)?;
            Ok(KeyMetadataResponse { key_metadata: kms.metadata(kms.key(id)?) })
        })
    }

    /// ListKeys: every key, 100 a page by default.
    pub fn list_keys(&mut self, ctx: &CallContext, req: ListRequest) -> Result<ListKeysResponse> {
        self.run(ctx, Op::ListKeys, super::params(&req), |kms| {
            kms.authorize_account(ctx, &Access::new(Op::ListKeys))?;
            let limits = Limits { default: 100, max: 1000 };
            let p = page_map(&kms.state.keys, req.limit, req.marker.as_deref(), limits, &KEY_MARKERS, |id, _| {
                Some(KeyListEntry { key_id: id.to_string(), key_arn: kms.partition.key_arn(*id) })
            })?;
            Ok(ListKeysResponse { keys: p.items, truncated: p.truncated, next_marker: p.next_marker })
        })
    }

    /// UpdateKeyDescription.
    pub fn update_key_description(&mut self, ctx: &CallContext, req: UpdateKeyDescriptionRequest) -> Result<Empty> {
        self.run(ctx, Op::UpdateKeyDescription, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            v.required("description", req.description.as_ref());
            description_constraints(&mut v, req.description.as_deref());
            v.check()?;
            let description = req.description.unwrap_or_default();
            let id = kms.key_for(ctx, &Access::new(Op::UpdateKeyDescription), &req.key_id, AliasForms::Rejected)?;
            kms.customer_managed(id, Op::UpdateKeyDescription)?;
            kms.key_mut(id)?.description = description;
            Ok(Empty {})
        })
    }

    /// EnableKey. A key whose automatic rotation fell due while it was
    /// disabled rotates at once.
    pub fn enable_key(&mut self, ctx: &CallContext, req: KeyIdRequest) -> Result<Empty> {
        self.run(ctx, Op::EnableKey, super::params(&req), |kms| {
            let id = kms.key_for(ctx, &Access::new(Op::EnableKey), &req.key_id, AliasForms::Rejected)?;
            kms.customer_managed(id, Op::EnableKey)?;
            let key = kms.key_mut(id)?;
            let overdue = key.rotation.enabled && key.rotation.next.is_some_and(|n| n <= ctx.now);
            let fresh = if overdue { Some(BackingKey::generate(Provenance::Automatic, ctx.now)?) } else { None };
            key.state = KeyState::Enabled;
            if let Some(version) = fresh {
                key.material.push(version);
                let period = key.rotation.period_days;
                key.rotation.enable(period, ctx.now);
            }
            Ok(Empty {})
        })
    }

    /// DisableKey.
    pub fn disable_key(&mut self, ctx: &CallContext, req: KeyIdRequest) -> Result<Empty> {
        self.run(ctx, Op::DisableKey, super::params(&req), |kms| {
            let id = kms.key_for(ctx, &Access::new(Op::DisableKey), &req.key_id, AliasForms::Rejected)?;
            kms.customer_managed(id, Op::DisableKey)?;
            kms.key_mut(id)?.state = KeyState::Disabled;
            Ok(Empty {})
        })
    }

    /// ScheduleKeyDeletion: PendingDeletion until `now + window`.
    pub fn schedule_key_deletion(
        &mut self,
        ctx: &CallContext,
        req: ScheduleKeyDeletionRequest,
    ) -> Result<ScheduleKeyDeletionResponse> {
        self.run(ctx, Op::ScheduleKeyDeletion, super::params(&req), |kms| {
            let mut v = Violations::new();
            key_id_constraints(&mut v, "keyId", Some(&req.key_id));
            v.range("pendingWindowInDays", req.pending_window_in_days, 1, 365);
            v.check()?;
            let (min, max, default) = PENDING_WINDOW_DAYS;
            // PendingWindowInDays must be between 7 and 30.
            let window_days = match req.pending_window_in_days {
                None => default,
                Some(d) => u32::try_from(d).ok().filter(|d| (min..=max).contains(d)).ok_or_else(|| {
                    KmsError::validation(format!("PendingWindowInDays must be between {min} and {max}."))
                })?,
            };
            let access = Access::new(Op::ScheduleKeyDeletion)
                .fact("kms:schedulekeydeletionpendingwindowindays", vec![window_days.to_string()]);
            let id = kms.key_for(ctx, &access, &req.key_id, AliasForms::Rejected)?;
            kms.customer_managed(id, Op::ScheduleKeyDeletion)?;
            // A multi-Region primary with replicas waits for them first; its
            // deletion date is set when the last one is deleted.
            if kms.wait_for_replicas(id, window_days)? {
                return Ok(ScheduleKeyDeletionResponse {
                    key_id: kms.partition.key_arn(id),
                    deletion_date: None,
                    key_state: KeyState::PendingReplicaDeletion,
                    pending_window_in_days: window_days,
                });
            }
            let date = ctx.now.plus_days(window_days);
            let key = kms.key_mut(id)?;
            key.state = KeyState::PendingDeletion;
            key.deletion = Some(ScheduledDeletion { date, window_days });
            Ok(ScheduleKeyDeletionResponse {
                key_id: kms.partition.key_arn(id),
                deletion_date: Some(date),
                key_state: KeyState::PendingDeletion,
                pending_window_in_days: window_days,
            })
        })
    }

    /// CancelKeyDeletion: back to Disabled, as in AWS.
    pub fn cancel_key_deletion(&mut self, ctx: &CallContext, req: KeyIdRequest) -> Result<KeyArnResponse> {
        self.run(ctx, Op::CancelKeyDeletion, super::params(&req), |kms| {
            let id = kms.key_for(ctx, &Access::new(Op::CancelKeyDeletion), &req.key_id, AliasForms::Rejected)?;
            kms.customer_managed(id, Op::CancelKeyDeletion)?;
            kms.stop_waiting_for_replicas(id);
            let key = kms.key_mut(id)?;
            key.state = KeyState::Disabled;
            key.deletion = None;
            Ok(KeyArnResponse { key_id: kms.partition.key_arn(id) })
        })
    }
}

//! Custom key stores (external kind): CreateCustomKeyStore,
//! DescribeCustomKeyStores, ConnectCustomKeyStore, DisconnectCustomKeyStore,
//! UpdateCustomKeyStore, DeleteCustomKeyStore.
//!
//! These are account operations (IAM permissions, no key policy). The
//! external key manager itself is attached by the host (see
//! [`crate::custom_key_stores`]); AWS's proxy settings (`XksProxy*`) have
//! no meaning here and are ignored.

use super::paging::{page, paging_constraints, Limits};
use super::Empty;
use crate::access::Access;
use crate::custom_key_stores::{
    self, Connection, ConnectionState, CustomKeyStore, MAX_KEY_STORE_ID_CHARS, MAX_NAME_CHARS, MAX_STORES,
};
use crate::error::{KmsError, Result, Violations};
use crate::kms::{CallContext, Kms};
use crate::operation::Operation as Op;
use crate::time::{self, Timestamp};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

/// Pages of DescribeCustomKeyStores: 1000 by default and at most.
const STORE_PAGES: Limits = Limits { default: 1000, max: 1000 };

/// The one kind of custom key store this library has.
const EXTERNAL_KEY_STORE: &str = "EXTERNAL_KEY_STORE";

/// CreateCustomKeyStore request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct CreateCustomKeyStoreRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub custom_key_store_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xks_proxy_connectivity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xks_proxy_uri_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xks_proxy_uri_path: Option<String>,
    /// A secret in AWS: never recorded.
    #[serde(skip_serializing)]
    pub xks_proxy_authentication_credential: Option<IgnoredAny>,
    /// A secret in AWS: never recorded.
    #[serde(skip_serializing)]
    pub key_store_password: Option<IgnoredAny>,
}

/// CreateCustomKeyStore response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct CreateCustomKeyStoreResponse {
    pub custom_key_store_id: String,
}

/// DescribeCustomKeyStores request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct DescribeCustomKeyStoresRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_store_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
}

/// One entry of DescribeCustomKeyStores.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct CustomKeyStoreEntry {
    pub custom_key_store_id: String,
    pub custom_key_store_name: String,
    pub custom_key_store_type: &'static str,
    pub connection_state: ConnectionState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_error_code: Option<&'static str>,
    #[serde(with = "time::as_millis")]
    pub creation_date: Timestamp,
}

/// DescribeCustomKeyStores response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct DescribeCustomKeyStoresResponse {
    pub custom_key_stores: Vec<CustomKeyStoreEntry>,
    pub truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// Connect-, Disconnect- and DeleteCustomKeyStore request.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct CustomKeyStoreIdRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub custom_key_store_id: String,
}

/// UpdateCustomKeyStore request: only the name can change here.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all(serialize = "camelCase", deserialize = "PascalCase"), default)]
#[allow(missing_docs)]
pub struct UpdateCustomKeyStoreRequest {
    #[serde(deserialize_with = "super::nullable")]
    pub custom_key_store_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_custom_key_store_name: Option<String>,
}

/// Checks the model constraints of a request's members: its custom key
/// store id (1..64 characters) and name members (1..256 characters).
fn check_members(id: Option<&str>, names: &[(&str, Option<&str>)]) -> Result<()> {
    let mut v = Violations::new();
    v.length("customKeyStoreId", id, 1, MAX_KEY_STORE_ID_CHARS);
    for (member, name) in names {
        v.length(member, *name, 1, MAX_NAME_CHARS);
    }
    v.check()
}

impl Kms {
    /// Attaches a Rust external key manager to a custom key store (by id or
    /// name) for this session; its keys become usable once the store is
    /// connected. Returns the store's id, or `None` if there is no such store.
    pub fn attach_external_key_manager(
        &mut self,
        id_or_name: &str,
        manager: Box<dyn crate::external::ExternalKeyManager>,
    ) -> Option<String> {
        self.key_stores.attach_native(id_or_name, manager)
    }

    /// Detaches a store's manager: a connected store becomes `FAILED`.
    pub fn detach_external_key_manager(&mut self, id_or_name: &str) {
        self.key_stores.detach(id_or_name);
    }

    fn check_name_free(&self, name: &str) -> Result<()> {
        if self.key_stores.stores.values().any(|s| s.name == name) {
            return Err(KmsError::CustomKeyStoreNameInUseException(format!(
                "Another custom key store is named '{}'.",
                crate::error::quoted(name)
            )));
        }
        Ok(())
    }

    fn entry(&self, store: &CustomKeyStore) -> CustomKeyStoreEntry {
        let state = self.key_stores.state(store);
        CustomKeyStoreEntry {
            custom_key_store_id: store.id.clone(),
            custom_key_store_name: store.name.clone(),
            custom_key_store_type: EXTERNAL_KEY_STORE,
            connection_state: state,
            connection_error_code: (state == ConnectionState::Failed).then_some("XKS_PROXY_NOT_REACHABLE"),
            creation_date: store.created,
        }
    }

    /// CreateCustomKeyStore: a new external key store, `DISCONNECTED`.
    pub fn create_custom_key_store(
        &mut self,
        ctx: &CallContext,
        req: CreateCustomKeyStoreRequest,
    ) -> Result<CreateCustomKeyStoreResponse> {
        self.run(ctx, Op::CreateCustomKeyStore, super::params(&req), |kms| {
            let mut v = Violations::new();
            v.length("customKeyStoreName", Some(&req.custom_key_store_name), 1, MAX_NAME_CHARS).one_of(
                "customKeyStoreType",
                req.custom_key_store_type.as_deref(),
                &["AWS_CLOUDHSM", EXTERNAL_KEY_STORE],
            );
            v.check()?;
            // AWS's default type is a CloudHSM key store, which has no meaning here.
            match req.custom_key_store_type.as_deref().unwrap_or("AWS_CLOUDHSM") {
                EXTERNAL_KEY_STORE => {}
                _ => {
                    return Err(KmsError::UnsupportedOperationException(
                        "CloudHSM key stores are not supported; use CustomKeyStoreType EXTERNAL_KEY_STORE.".into(),
                    ))
                }
            }
            kms.authorize_account(ctx, &Access::new(Op::CreateCustomKeyStore))?;
            kms.check_name_free(&req.custom_key_store_name)?;
            if kms.key_stores.stores.len() >= MAX_STORES {
                return Err(KmsError::LimitExceededException(format!(
                    "An account has at most {MAX_STORES} custom key stores."
                )));
            }
            let id = custom_key_stores::new_store_id()?;
            let store = CustomKeyStore {
                id: id.clone(),
                name: req.custom_key_store_name,
                created: ctx.now,
                connection: Connection::Disconnected,
            };
            kms.key_stores.stores.insert(id.clone(), store);
            Ok(CreateCustomKeyStoreResponse { custom_key_store_id: id })
        })
    }

    /// DescribeCustomKeyStores: all stores, or the one named by id or name.
    pub fn describe_custom_key_stores(
        &mut self,
        ctx: &CallContext,
        req: DescribeCustomKeyStoresRequest,
    ) -> Result<DescribeCustomKeyStoresResponse> {
        self.run(ctx, Op::DescribeCustomKeyStores, super::params(&req), |kms| {
            let mut v = Violations::new();
            v.length("customKeyStoreId", req.custom_key_store_id.as_deref(), 1, MAX_KEY_STORE_ID_CHARS).length(
                "customKeyStoreName",
                req.custom_key_store_name.as_deref(),
                1,
                MAX_NAME_CHARS,
            );
            paging_constraints(&mut v, req.limit, req.marker.as_deref(), STORE_PAGES);
            v.check()?;
            let stores: Vec<&CustomKeyStore> = match (&req.custom_key_store_id, &req.custom_key_store_name) {
                (Some(_), Some(_)) => {
                    return Err(KmsError::validation("Specify CustomKeyStoreId or CustomKeyStoreName, not both."))
                }
                (Some(id), None) => vec![kms.key_stores.get(id)?],
                (None, Some(name)) => {
                    let found = kms.key_stores.stores.values().filter(|s| s.name == *name).collect::<Vec<_>>();
                    if found.is_empty() {
                        return Err(KmsError::CustomKeyStoreNotFoundException(format!(
                            "No custom key store is named '{}'.",
                            crate::error::quoted(name)
                        )));
                    }
                    found
                }
                (None, None) => kms.key_stores.stores.values().collect(),
            };
            kms.authorize_account(ctx, &Access::new(Op::DescribeCustomKeyStores))?;
            let p = page(stores, req.limit, req.marker.as_deref(), STORE_PAGES)?;
            Ok(DescribeCustomKeyStoresResponse {
                custom_key_stores: p.items.into_iter().map(|s| kms.entry(s)).collect(),
                truncated: p.truncated,
                next_marker: p.next_marker,
            })
        })
    }

    /// ConnectCustomKeyStore: valid unless the store is `FAILED` (disconnect it
    /// first, as in AWS); a store whose manager is not attached becomes `FAILED`.
    pub fn connect_custom_key_store(&mut self, ctx: &CallContext, req: CustomKeyStoreIdRequest) -> Result<Empty> {
        self.run(ctx, Op::ConnectCustomKeyStore, super::params(&req), |kms| {
            check_members(Some(&req.custom_key_store_id), &[])?;
            kms.authorize_account(ctx, &Access::new(Op::ConnectCustomKeyStore))?;
            let store = kms.key_stores.get(&req.custom_key_store_id)?;
            if kms.key_stores.state(store) == ConnectionState::Failed {
                return Err(KmsError::CustomKeyStoreInvalidStateException(format!(
                    "Custom key store {} is FAILED; disconnect it, then connect it.",
                    store.id
                )));
            }
            kms.key_stores.get_mut(&req.custom_key_store_id)?.connection = Connection::Connected;
            Ok(Empty {})
        })
    }

    /// DisconnectCustomKeyStore: valid unless the store is already `DISCONNECTED`.
    pub fn disconnect_custom_key_store(&mut self, ctx: &CallContext, req: CustomKeyStoreIdRequest) -> Result<Empty> {
        self.run(ctx, Op::DisconnectCustomKeyStore, super::params(&req), |kms| {
            check_members(Some(&req.custom_key_store_id), &[])?;
            kms.authorize_account(ctx, &Access::new(Op::DisconnectCustomKeyStore))?;
            let store = kms.key_stores.get_mut(&req.custom_key_store_id)?;
            if store.connection == Connection::Disconnected {
                return Err(KmsError::CustomKeyStoreInvalidStateException(format!(
                    "Custom key store {} is already disconnected.",
                    store.id
                )));
            }
            store.connection = Connection::Disconnected;
            Ok(Empty {})
        })
    }

    /// UpdateCustomKeyStore: renames a store (in any connection state).
    pub fn update_custom_key_store(&mut self, ctx: &CallContext, req: UpdateCustomKeyStoreRequest) -> Result<Empty> {
        self.run(ctx, Op::UpdateCustomKeyStore, super::params(&req), |kms| {
            check_members(
                Some(&req.custom_key_store_id),
                &[("newCustomKeyStoreName", req.new_custom_key_store_name.as_deref())],
            )?;
            let name = req
                .new_custom_key_store_name
                .ok_or_else(|| KmsError::validation("NewCustomKeyStoreName is required; nothing else can change."))?;
            kms.authorize_account(ctx, &Access::new(Op::UpdateCustomKeyStore))?;
            let current = &kms.key_stores.get(&req.custom_key_store_id)?.name;
            if *current != name {
                kms.check_name_free(&name)?;
            }
            kms.key_stores.get_mut(&req.custom_key_store_id)?.name = name;
            Ok(Empty {})
        })
    }

    /// DeleteCustomKeyStore: only a disconnected store that holds no KMS key
    /// (not even one pending deletion).
    pub fn delete_custom_key_store(&mut self, ctx: &CallContext, req: CustomKeyStoreIdRequest) -> Result<Empty> {
        self.run(ctx, Op::DeleteCustomKeyStore, super::params(&req), |kms| {
            check_members(Some(&req.custom_key_store_id), &[])?;
            kms.authorize_account(ctx, &Access::new(Op::DeleteCustomKeyStore))?;
            let store = kms.key_stores.get(&req.custom_key_store_id)?;
            if store.connection != Connection::Disconnected {
                return Err(KmsError::CustomKeyStoreInvalidStateException(format!(
                    "Custom key store {} must be disconnected before it is deleted.",
                    store.id
                )));
            }
            let keys = kms.key_stores.key_count(&store.id);
            if keys > 0 {
                return Err(KmsError::CustomKeyStoreHasCMKsException(format!(
                    "Custom key store {} still holds {keys} KMS key(s); schedule their deletion and wait for it.",
                    store.id
                )));
            }
            let id = req.custom_key_store_id;
            kms.key_stores.detach(&id);
            kms.key_stores.stores.remove(&id);
            Ok(Empty {})
        })
    }
}

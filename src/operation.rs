//! The AWS KMS operations this library implements, by their AWS names.
//! The key-state table, the request path and the bindings' dispatch all
//! speak in these.

/// The operations table: the one source of every fact about an operation.
///
/// Each row is `AwsName => core_method, call, engine, access, [flags], [request blobs]`:
/// - `core_method`: the `Kms` method the bindings call (one small function
///   per operation is generated from this row);
/// - `call`: `steps` (the method returns a `Step`, i.e. it may pause for an
///   external key store) or `plain` (it returns the response);
/// - `engine`: `core` (both engines) or `full` (only the full engine: the
///   core answers [`KmsError::NeedsFullEngine`](crate::error::KmsError));
/// - `access`: `read` (never changes the state) or `write`;
/// - flags: `crypto` (uses key material), `audited_response` (CloudTrail
///   records the response);
/// - request blobs: the request's top-level blob members (AWS service model).
///
/// `for_each_operation!(m)` calls `m!` with the table, so each consumer (the
/// enum below, the bindings' dispatch) expands the same rows; the JS lists
/// (`npm/src/api.js`) are generated from `Operation::ALL` and
/// [`NOT_IMPLEMENTED`] by a test that fails when they drift.
macro_rules! for_each_operation {
    ($m:ident) => {
        $m! {
            CreateKey => create_key_steps, steps, core, write, [], [];
            DescribeKey => describe_key, plain, core, read, [], [];
            ListKeys => list_keys, plain, core, read, [], [];
            UpdateKeyDescription => update_key_description, plain, core, write, [], [];
            EnableKey => enable_key, plain, core, write, [], [];
            DisableKey => disable_key, plain, core, write, [], [];
            ScheduleKeyDeletion => schedule_key_deletion, plain, core, write, [], [];
            CancelKeyDeletion => cancel_key_deletion, plain, core, write, [], [];
            EnableKeyRotation => enable_key_rotation, plain, core, write, [], [];
            DisableKeyRotation => disable_key_rotation, plain, core, write, [], [];
            GetKeyRotationStatus => get_key_rotation_status, plain, core, read, [], [];
            RotateKeyOnDemand => rotate_key_on_demand, plain, core, write, [], [];
            ListKeyRotations => list_key_rotations, plain, core, read, [], [];
            CreateAlias => create_alias, plain, core, write, [], [];
            UpdateAlias => update_alias, plain, core, write, [], [];
            DeleteAlias => delete_alias, plain, core, write, [], [];
            ListAliases => list_aliases, plain, core, read, [], [];
            TagResource => tag_resource, plain, core, write, [], [];
            UntagResource => untag_resource, plain, core, write, [], [];
            ListResourceTags => list_resource_tags, plain, core, read, [], [];
            GetKeyLastUsage => get_key_last_usage, plain, core, read, [], [];
            ReplicateKey => replicate_key, plain, full, write, [], [];
            UpdatePrimaryRegion => update_primary_region, plain, full, write, [], [];
            Encrypt => encrypt_steps, steps, core, read, [crypto], [Plaintext];
            Decrypt => decrypt_steps, steps, core, read, [crypto], [CiphertextBlob];
            ReEncrypt => re_encrypt_steps, steps, core, read, [crypto], [CiphertextBlob];
            GenerateDataKey => generate_data_key_steps, steps, core, read, [crypto], [];
            GenerateDataKeyWithoutPlaintext => generate_data_key_without_plaintext_steps, steps, core, read, [crypto], [];
            GenerateRandom => generate_random, plain, core, read, [], [];
            PutKeyPolicy => put_key_policy, plain, core, write, [], [];
            GetKeyPolicy => get_key_policy, plain, core, read, [], [];
            ListKeyPolicies => list_key_policies, plain, core, read, [], [];
            CreateGrant => create_grant, plain, core, write, [], [];
            ListGrants => list_grants, plain, core, read, [], [];
            ListRetirableGrants => list_retirable_grants, plain, core, read, [], [];
            RetireGrant => retire_grant, plain, core, write, [], [];
            RevokeGrant => revoke_grant, plain, core, write, [], [];
            GetParametersForImport => get_parameters_for_import, plain, full, write, [], [];
            ImportKeyMaterial => import_key_material, plain, full, write, [], [ImportToken, EncryptedKeyMaterial];
            DeleteImportedKeyMaterial => delete_imported_key_material, plain, core, write, [], [];
            CreateCustomKeyStore => create_custom_key_store, plain, core, write, [], [];
            DescribeCustomKeyStores => describe_custom_key_stores, plain, core, read, [], [];
            ConnectCustomKeyStore => connect_custom_key_store, plain, core, write, [], [];
            DisconnectCustomKeyStore => disconnect_custom_key_store, plain, core, write, [], [];
            UpdateCustomKeyStore => update_custom_key_store, plain, core, write, [], [];
            DeleteCustomKeyStore => delete_custom_key_store, plain, core, write, [], [];
        }
    };
}
#[allow(unused_imports)] // used by the wasm32 bindings only
pub(crate) use for_each_operation;

/// AWS KMS operations this library does not implement yet, with their
/// request's top-level blob members (AWS service model): `serve` answers
/// them with `UnsupportedOperationException`, and the JS side still
/// converts their blobs. With [`Operation::ALL`] these are the 56
/// operations of the AWS KMS API (`@aws-sdk/client-kms` 3.1164).
pub const NOT_IMPLEMENTED: [(&str, &[&str]); 10] = [
    ("Decapsulate", &["SharedSecretCiphertextBlob"]),
    ("DeriveSharedSecret", &["PublicKey"]),
    ("Encapsulate", &[]),
    ("GenerateDataKeyPair", &[]),
    ("GenerateDataKeyPairWithoutPlaintext", &[]),
    ("GenerateMac", &["Message"]),
    ("GetPublicKey", &[]),
    ("Sign", &["Message"]),
    ("Verify", &["Message", "Signature"]),
    ("VerifyMac", &["Message", "Mac"]),
];

/// Request members that are timestamps (ImportKeyMaterial's `ValidTo`).
pub const REQUEST_TIMESTAMPS: [&str; 1] = ["ValidTo"];

/// Response members that are timestamps, at any depth.
pub const RESPONSE_TIMESTAMPS: [&str; 11] = [
    "CreationDate",
    "DeletionDate",
    "ValidTo",
    "RotationDate",
    "NextRotationDate",
    "LastUpdatedDate",
    "ParametersValidTo",
    "OnDemandRotationStartDate",
    "KeyCreationDate",
    "TrackingStartDate",
    "Timestamp",
];

/// Which engine an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Both engines have it.
    Core,
    /// Only the full engine has it.
    Full,
}

macro_rules! engine_of {
    (core) => {
        Engine::Core
    };
    (full) => {
        Engine::Full
    };
}

macro_rules! define_operations {
    ($( $name:ident => $method:ident, $call:ident, $engine:ident, $access:ident, [$($flag:ident),*], [$($blob:ident),*]; )*) => {
        /// One AWS KMS API operation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs)] // each variant is the AWS operation of the same name
        pub enum Operation {
            $($name,)*
        }

        /// How many operations the library implements.
        const COUNT: usize = [$(stringify!($name)),*].len();

        impl Operation {
            /// Every operation, in the order of the API contract.
            pub const ALL: [Operation; COUNT] = [$(Self::$name),*];

            /// The AWS name, e.g. `"GenerateDataKey"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$name => stringify!($name),)*
                }
            }

            /// Which engine has the operation.
            pub fn engine(self) -> Engine {
                match self {
                    $(Self::$name => engine_of!($engine),)*
                }
            }

            /// Whether the operation only reads state. Writes (and only writes)
            /// make the state's generation move, which tells the JS layer to persist.
            pub fn read_only(self) -> bool {
                match self {
                    $(Self::$name => stringify!($access) == "read",)*
                }
            }

            fn flags(self) -> &'static [&'static str] {
                match self {
                    $(Self::$name => &[$(stringify!($flag)),*],)*
                }
            }

            /// The request's top-level blob members.
            pub fn request_blobs(self) -> &'static [&'static str] {
                match self {
                    $(Self::$name => &[$(stringify!($blob)),*],)*
                }
            }
        }
    };
}

for_each_operation!(define_operations);

impl Operation {
    /// The operation with this AWS name.
    pub fn from_name(name: &str) -> Option<Operation> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether this build has the operation: the core engine answers the
    /// full engine's operations with `NeedsFullEngine`.
    pub fn in_this_engine(self) -> bool {
        cfg!(feature = "full") || self.engine() == Engine::Core
    }

    /// The IAM action a call needs on the key, e.g. `kms:Encrypt`.
    /// ReEncrypt needs `kms:ReEncryptFrom` on the source key and
    /// `kms:ReEncryptTo` (`REENCRYPT_TO`) on the destination key.
    pub fn action(self) -> &'static str {
        match self {
            Self::ReEncrypt => "kms:ReEncryptFrom",
            op => ACTIONS.iter().find(|(o, _)| *o == op).map_or("kms:*", |(_, a)| a),
        }
    }

    /// Whether the operation uses key material (and so is refused by a key
    /// pending deletion with the alarm AWS customers set up).
    pub fn is_cryptographic(self) -> bool {
        self.flags().contains(&"crypto")
    }
}

macro_rules! define_actions {
    ($( $name:ident => $method:ident, $call:ident, $engine:ident, $access:ident, [$($flag:ident),*], [$($blob:ident),*]; )*) => {
        /// `kms:NAME` for every operation (ReEncrypt's two actions are separate).
        const ACTIONS: [(Operation, &str); COUNT] = [$((Operation::$name, concat!("kms:", stringify!($name)))),*];
    };
}

for_each_operation!(define_actions);

/// The IAM action for ReEncrypt's destination key.
pub const REENCRYPT_TO: &str = "kms:ReEncryptTo";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_its_action() {
        for op in Operation::ALL {
            let expected =
                if op == Operation::ReEncrypt { "kms:ReEncryptFrom".to_owned() } else { format!("kms:{}", op.name()) };
            assert_eq!(op.action(), expected);
        }
    }

    #[test]
    fn names_round_trip() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_name(op.name()), Some(op));
        }
        assert_eq!(Operation::from_name("encrypt"), None);
    }
}

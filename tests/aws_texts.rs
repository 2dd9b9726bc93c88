#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! AWS's exact error texts (docs/aws-texts.md): each refused call answers
//! AWS's code and message, and changes nothing.
mod common;

use common::*;
use kms_wasm::crypto::SecretBytes;
use kms_wasm::ops::crypto::{DecryptRequest, EncryptRequest, ReEncryptRequest};
use kms_wasm::ops::data_keys::{GenerateDataKeyRequest, GenerateRandomRequest};
use kms_wasm::ops::grants::CreateGrantRequest;
use kms_wasm::ops::import::{GetParametersForImportRequest, ImportKeyMaterialRequest};
use kms_wasm::ops::lifecycle::{CreateKeyRequest, ScheduleKeyDeletionRequest, UpdateKeyDescriptionRequest};
use kms_wasm::ops::policy::PutKeyPolicyRequest;
use kms_wasm::ops::rotation::EnableKeyRotationRequest;
use kms_wasm::{CallContext, Kms, KmsError};

/// Runs a call that must fail, unchanged, with `code` and exactly `message`.
fn says<T: std::fmt::Debug>(
    f: &mut Fixture,
    code: &str,
    message: &str,
    call: impl FnOnce(&mut Kms, &CallContext) -> Result<T, KmsError>,
) {
    let e = f.fails_unchanged(code, call);
    assert_eq!(e.message(), message);
}

const MISSING: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn missing_arn() -> String {
    format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{MISSING}")
}

fn encrypt(key: &str, plaintext: &[u8]) -> EncryptRequest {
    EncryptRequest { key_id: key.into(), plaintext: SecretBytes::new(plaintext.to_vec()), ..Default::default() }
}

#[test]
fn keys_that_do_not_exist_are_named_by_their_arn() {
    let mut f = Fixture::new();
    let expected = format!("Key '{}' does not exist", missing_arn());
    says(&mut f, "NotFoundException", &expected, |kms, ctx| kms.describe_key(ctx, Fixture::key_id_req(MISSING)));
    let arn = missing_arn();
    says(&mut f, "NotFoundException", &expected, |kms, ctx| kms.describe_key(ctx, Fixture::key_id_req(&arn)));
    says(&mut f, "NotFoundException", &expected, |kms, ctx| kms.disable_key(ctx, Fixture::key_id_req(MISSING)));
    says(&mut f, "NotFoundException", "Invalid keyId 'fake-key-id'", |kms, ctx| {
        kms.describe_key(ctx, Fixture::key_id_req("fake-key-id"))
    });
    says(&mut f, "NotFoundException", "Invalid keyId '134f2428cec14b25a1ae9048164dba47'", |kms, ctx| {
        kms.describe_key(ctx, Fixture::key_id_req("134f2428cec14b25a1ae9048164dba47"))
    });
    let elsewhere = format!("arn:aws:kms:ap-southeast-1:{ACCOUNT}:key/{MISSING}");
    says(&mut f, "NotFoundException", "Invalid arn ap-southeast-1", |kms, ctx| {
        kms.describe_key(ctx, Fixture::key_id_req(&elsewhere))
    });
    // caller input stays on one line
    says(&mut f, "NotFoundException", "Invalid keyId 'a\\nb'", |kms, ctx| {
        kms.describe_key(ctx, Fixture::key_id_req("a\nb"))
    });
}

#[test]
fn encrypt_and_decrypt_constraints() {
    let mut f = Fixture::new();
    let key = f.key();
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
        |kms, ctx| kms.encrypt(ctx, encrypt(&key, b"")),
    );
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
        |kms, ctx| kms.encrypt(ctx, encrypt(&key, &[7; 4097])),
    );
    // several broken constraints at once, in the request's member order; no secret is shown
    says(
        &mut f,
        "ValidationException",
        "4 validation errors detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096; \
         Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10; \
         Value 'AES' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]",
        |kms, ctx| {
            let mut r = encrypt("", &[7; 4097]);
            r.grant_tokens = vec!["secret-token".into(); 11];
            r.encryption_algorithm = Some("AES".into());
            kms.encrypt(ctx, r)
        },
    );
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 8192, Member must have length greater than or equal to 1]",
        |kms, ctx| {
            let mut r = encrypt(&key, b"x");
            r.grant_tokens = vec![String::new()];
            kms.encrypt(ctx, r)
        },
    );
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1",
        |kms, ctx| kms.decrypt(ctx, DecryptRequest::default()),
    );
    says(
        &mut f,
        "ValidationException",
        "2 validation errors detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144; \
         Value '' at 'destinationKeyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
        |kms, ctx| kms.re_encrypt(ctx, ReEncryptRequest { ciphertext_blob: vec![0; 6145], ..Default::default() }),
    );
    // Decrypt with another key than the blob's
    let blob = f.encrypt(&key, b"data", &[]).unwrap();
    let other = f.key();
    says(
        &mut f,
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
        |kms, ctx| {
            kms.decrypt(ctx, DecryptRequest { ciphertext_blob: blob, key_id: Some(other), ..Default::default() })
        },
    );
}

#[test]
fn data_key_and_random_constraints() {
    let mut f = Fixture::new();
    let key = f.key();
    let request = |spec: Option<&str>, n: Option<i64>| GenerateDataKeyRequest {
        key_id: key.clone(),
        key_spec: spec.map(str::to_owned),
        number_of_bytes: n,
        ..Default::default()
    };
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
        |kms, ctx| kms.generate_data_key(ctx, request(None, Some(1025))),
    );
    says(
        &mut f,
        "ValidationException",
        "2 validation errors detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1; \
         Value 'AES_257' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]",
        |kms, ctx| kms.generate_data_key(ctx, request(Some("AES_257"), Some(0))),
    );
    for (spec, n) in [(None, None), (Some("AES_128"), Some(16))] {
        says(&mut f, "ValidationException", "Please specify either number of bytes or key spec.", |kms, ctx| {
            kms.generate_data_key_without_plaintext(ctx, request(spec, n))
        });
    }
    says(&mut f, "ValidationException", "NumberOfBytes is required.", |kms, ctx| {
        kms.generate_random(ctx, GenerateRandomRequest::default())
    });
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
        |kms, ctx| kms.generate_random(ctx, GenerateRandomRequest { number_of_bytes: Some(0), ..Default::default() }),
    );
}

#[test]
fn lifecycle_constraints() {
    let mut f = Fixture::new();
    let key = f.key();
    says(
        &mut f,
        "ValidationException",
        "2 validation errors detected: Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT, ENCAPSULATE_DECAPSULATE]; \
         Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519, ML_KEM_512, ML_KEM_768, ML_KEM_1024]",
        |kms, ctx| {
            kms.create_key(
                ctx,
                CreateKeyRequest {
                    key_usage: Some("RANDOM".into()),
                    key_spec: Some("HMAC_random".into()),
                    ..Default::default()
                },
            )
        },
    );
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value null at 'description' failed to satisfy constraint: Member must not be null",
        |kms, ctx| {
            kms.update_key_description(ctx, UpdateKeyDescriptionRequest { key_id: key.clone(), description: None })
        },
    );
    let long = "d".repeat(8193);
    says(
        &mut f,
        "ValidationException",
        &format!("1 validation error detected: Value '{long}' at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192"),
        |kms, ctx| {
            kms.update_key_description(ctx, UpdateKeyDescriptionRequest { key_id: key.clone(), description: Some(long.clone()) })
        },
    );
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value '0' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 1",
        |kms, ctx| {
            kms.schedule_key_deletion(
                ctx,
                ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: Some(0) },
            )
        },
    );
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
        |kms, ctx| {
            kms.enable_key_rotation(ctx, EnableKeyRotationRequest { key_id: key.clone(), rotation_period_in_days: Some(89) })
        },
    );
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value null at 'policy' failed to satisfy constraint: Member must not be null",
        |kms, ctx| kms.put_key_policy(ctx, PutKeyPolicyRequest { key_id: key.clone(), ..Default::default() }),
    );
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value 'my policy' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+",
        |kms, ctx| {
            kms.get_key_policy(
                ctx,
                kms_wasm::ops::policy::GetKeyPolicyRequest {
                    key_id: key.clone(),
                    policy_name: Some("my policy".into()),
                },
            )
        },
    );
}

#[test]
fn grant_and_import_constraints() {
    let mut f = Fixture::new();
    let key = f.key();
    says(
        &mut f,
        "ValidationException",
        "2 validation errors detected: Value 'not a principal' at 'granteePrincipal' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$; \
         Value '[Decrypt, Explode]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, GetPublicKey, CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, DeriveSharedSecret, Encapsulate, Decapsulate]]",
        |kms, ctx| {
            kms.create_grant(
                ctx,
                CreateGrantRequest {
                    key_id: key.clone(),
                    grantee_principal: "not a principal".into(),
                    operations: vec!["Decrypt".into(), "Explode".into()],
                    ..Default::default()
                },
            )
        },
    );
    says(
        &mut f,
        "ValidationException",
        "1 validation error detected: Value 'RSA_1024' at 'wrappingKeySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, SM2]",
        |kms, ctx| {
            kms.get_parameters_for_import(
                ctx,
                GetParametersForImportRequest {
                    key_id: key.clone(),
                    wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
                    wrapping_key_spec: "RSA_1024".into(),
                },
            )
        },
    );
    says(
        &mut f,
        "ValidationException",
        "4 validation errors detected: Value at 'importToken' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value at 'encryptedKeyMaterial' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value 'ABC' at 'keyMaterialId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-f0-9]+$; \
         Value 'ABC' at 'keyMaterialId' failed to satisfy constraint: Member must have length greater than or equal to 64",
        |kms, ctx| {
            kms.import_key_material(
                ctx,
                ImportKeyMaterialRequest {
                    key_id: key.clone(),
                    key_material_id: Some("ABC".into()),
                    ..Default::default()
                },
            )
        },
    );
}

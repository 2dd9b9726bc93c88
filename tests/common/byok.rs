//! Imported key material for the tests: keys with Origin EXTERNAL, import
//! parameters, and material wrapped the way AWS's documentation shows with
//! OpenSSL (RSA-OAEP SHA-256, and RSA + AES key wrap with padding).
#![allow(dead_code, clippy::unwrap_used)]

use super::Fixture;
use kms_wasm::ops::import::{GetParametersForImportRequest, GetParametersForImportResponse, ImportKeyMaterialRequest};
use kms_wasm::ops::lifecycle::CreateKeyRequest;
use rsa::pkcs8::DecodePublicKey;
use sha2::Sha256;

/// A new key waiting for imported material; its ARN.
pub fn external_key(f: &mut Fixture) -> String {
    let ctx = f.ctx();
    let m = f
        .kms
        .create_key(&ctx, CreateKeyRequest { origin: Some("EXTERNAL".into()), ..Default::default() })
        .unwrap()
        .key_metadata;
    assert_eq!(format!("{:?}", m.key_state), "PendingImport");
    assert_eq!(serde_json::to_value(&m).unwrap()["Origin"], "EXTERNAL");
    m.arn
}

/// GetParametersForImport with an RSA_2048 wrapping key.
pub fn params(f: &mut Fixture, key: &str, alg: &str) -> GetParametersForImportResponse {
    let ctx = f.ctx();
    f.kms
        .get_parameters_for_import(
            &ctx,
            GetParametersForImportRequest {
                key_id: key.into(),
                wrapping_algorithm: alg.into(),
                wrapping_key_spec: "RSA_2048".into(),
            },
        )
        .unwrap()
}

/// RSAES_OAEP_SHA_256.
pub fn wrap_oaep256(public_der: &[u8], material: &[u8]) -> Vec<u8> {
    rsa::PublicKey::from_public_key_der(public_der).unwrap().oaep_encrypt::<Sha256>(material).unwrap()
}

/// RSA_AES_KEY_WRAP_SHA_256.
pub fn wrap_rsa_aes(public_der: &[u8], material: &[u8]) -> Vec<u8> {
    use aes_kw::cipher::KeyInit;
    let aes = [9u8; 32];
    let mut out = wrap_oaep256(public_der, &aes);
    let mut buf = vec![0u8; material.len() + 16];
    out.extend_from_slice(aes_kw::KwpAes256::new_from_slice(&aes).unwrap().wrap_key(material, &mut buf).unwrap());
    out
}

/// An ImportKeyMaterial request for `material` with fresh parameters
/// (KEY_MATERIAL_DOES_NOT_EXPIRE unless the caller changes it).
pub fn import_request(f: &mut Fixture, key: &str, material: &[u8; 32]) -> ImportKeyMaterialRequest {
    let p = params(f, key, "RSAES_OAEP_SHA_256");
    ImportKeyMaterialRequest {
        key_id: key.into(),
        import_token: p.import_token,
        encrypted_key_material: wrap_oaep256(&p.public_key, material),
        expiration_model: Some("KEY_MATERIAL_DOES_NOT_EXPIRE".into()),
        ..Default::default()
    }
}

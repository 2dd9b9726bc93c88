#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! Imported key material (BYOK), end to end, with material wrapped the way
//! AWS's documentation shows with OpenSSL (RSA-OAEP, and RSA + AES-KWP).
mod common;

use common::byok::*;
use common::*;
use kms_wasm::ops::import::*;
use kms_wasm::ops::rotation::EnableKeyRotationRequest;

fn import(
    f: &mut Fixture,
    key: &str,
    p: &GetParametersForImportResponse,
    wrapped: Vec<u8>,
    valid_days: Option<i64>,
) -> Result<ImportKeyMaterialResponse, kms_wasm::KmsError> {
    let ctx = f.ctx();
    #[allow(clippy::cast_precision_loss)]
    let valid_to = valid_days.map(|d| (f.now.0 + d * 86_400_000) as f64);
    f.kms.import_key_material(
        &ctx,
        ImportKeyMaterialRequest {
            key_id: key.into(),
            import_token: p.import_token.clone(),
            encrypted_key_material: wrapped,
            valid_to,
            expiration_model: Some(
                if valid_days.is_some() { "KEY_MATERIAL_EXPIRES" } else { "KEY_MATERIAL_DOES_NOT_EXPIRE" }.into(),
            ),
            ..Default::default()
        },
    )
}

#[test]
fn import_with_oaep_sha256_then_expiry_by_the_clock_then_reimport() {
    let mut f = Fixture::new();
    let key = external_key(&mut f);
    let material = [0x5au8; 32];
    let p = params(&mut f, &key, "RSAES_OAEP_SHA_256");
    assert_eq!(p.key_id, key);
    assert_eq!(p.parameters_valid_to.0, f.now.0 + 24 * 3_600_000);
    let r = import(&mut f, &key, &p, wrap_oaep256(&p.public_key, &material), Some(30)).unwrap();
    assert_eq!(r.key_material_id.len(), 64);
    assert_eq!(f.state_of(&key), "Enabled");
    let ctx = f.ctx();
    let m = f.kms.describe_key(&ctx, Fixture::key_id_req(&key)).unwrap().key_metadata;
    assert_eq!(m.expiration_model, Some("KEY_MATERIAL_EXPIRES"));
    assert_eq!(m.valid_to, Some(f.now.plus_days(30)));
    let blob = f.encrypt(&key, b"byok", &[]).unwrap();
    f.kms.take_events();
    f.advance_days(30);
    assert_eq!(f.state_of(&key), "PendingImport", "the material is gone at ValidTo");
    assert_eq!(f.kms.take_events()[0].body["detail-type"], "KMS Imported Key Material Expiration");
    assert_eq!(f.decrypt(&blob, &[]).unwrap_err().name(), "KMSInvalidStateException");
    let records = f.kms.audit_log(Default::default()).unwrap();
    assert!(records
        .iter()
        .any(|r| r["eventName"] == "DeleteExpiredKeyMaterial" && r["eventType"] == "AwsServiceEvent"));
    // re-import the same material: old ciphertexts decrypt again
    let p = params(&mut f, &key, "RSA_AES_KEY_WRAP_SHA_256");
    import(&mut f, &key, &p, wrap_rsa_aes(&p.public_key, &material), None).unwrap();
    assert_eq!(f.decrypt(&blob, &[]).unwrap(), b"byok");
    // other material is refused
    let p = params(&mut f, &key, "RSAES_OAEP_SHA_256");
    let wrapped = wrap_oaep256(&p.public_key, &[0x11; 32]);
    let k = key.clone();
    f.fails_unchanged("IncorrectKeyMaterialException", |kms, ctx| {
        kms.import_key_material(
            ctx,
            ImportKeyMaterialRequest {
                key_id: k,
                import_token: p.import_token.clone(),
                encrypted_key_material: wrapped,
                expiration_model: Some("KEY_MATERIAL_DOES_NOT_EXPIRE".into()),
                ..Default::default()
            },
        )
    });
}

#[test]
fn import_errors() {
    let mut f = Fixture::new();
    let key = external_key(&mut f);
    let other = external_key(&mut f);
    let p = params(&mut f, &key, "RSAES_OAEP_SHA_256");
    let q = params(&mut f, &other, "RSAES_OAEP_SHA_256");
    let good = wrap_oaep256(&p.public_key, &[1; 32]);
    let req = |token: Vec<u8>, wrapped: Vec<u8>| ImportKeyMaterialRequest {
        key_id: key.clone(),
        import_token: token,
        encrypted_key_material: wrapped,
        expiration_model: Some("KEY_MATERIAL_DOES_NOT_EXPIRE".into()),
        ..Default::default()
    };
    let (t, w) = (q.import_token.clone(), good.clone());
    f.fails_unchanged("InvalidImportTokenException", |kms, ctx| kms.import_key_material(ctx, req(t, w)));
    let w = good.clone();
    f.fails_unchanged("InvalidImportTokenException", |kms, ctx| kms.import_key_material(ctx, req(b"junk".to_vec(), w)));
    let t = p.import_token.clone();
    f.fails_unchanged("InvalidCiphertextException", |kms, ctx| kms.import_key_material(ctx, req(t, vec![7; 256])));
    let t = p.import_token.clone();
    let short = wrap_oaep256(&p.public_key, &[1; 16]);
    f.fails_unchanged("IncorrectKeyMaterialException", |kms, ctx| kms.import_key_material(ctx, req(t, short)));
    let (t, w) = (p.import_token.clone(), good.clone());
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.import_key_material(
            ctx,
            ImportKeyMaterialRequest { expiration_model: Some("KEY_MATERIAL_EXPIRES".into()), ..req(t, w) },
        )
    });
    let (t, w) = (p.import_token.clone(), good.clone());
    #[allow(clippy::cast_precision_loss)]
    let too_late = (f.now.0 + 366 * 86_400_000) as f64;
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.import_key_material(
            ctx,
            ImportKeyMaterialRequest { expiration_model: None, valid_to: Some(too_late), ..req(t, w) },
        )
    });
    // crypto on a key pending import, rotation and enabling are refused
    let k = key.clone();
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| {
        kms.encrypt(
            ctx,
            kms_wasm::ops::crypto::EncryptRequest {
                key_id: k,
                plaintext: kms_wasm::crypto::SecretBytes::new(vec![1]),
                ..Default::default()
            },
        )
    });
    let k = key.clone();
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.enable_key(ctx, Fixture::key_id_req(&k)));
    // the token expires after 24 hours
    f.advance_days(1);
    f.now = kms_wasm::Timestamp(f.now.0 + 1);
    let (t, w) = (p.import_token.clone(), good);
    f.fails_unchanged("ExpiredImportTokenException", |kms, ctx| kms.import_key_material(ctx, req(t, w)));
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.get_parameters_for_import(
            ctx,
            GetParametersForImportRequest {
                key_id: other.clone(),
                wrapping_algorithm: "RSA_1".into(),
                wrapping_key_spec: "RSA_2048".into(),
            },
        )
    });
    let aws_key = f.key();
    f.fails_unchanged("UnsupportedOperationException", |kms, ctx| {
        kms.get_parameters_for_import(
            ctx,
            GetParametersForImportRequest {
                key_id: aws_key,
                wrapping_algorithm: "RSAES_OAEP_SHA_256".into(),
                wrapping_key_spec: "RSA_2048".into(),
            },
        )
    });
}

#[test]
fn imported_keys_cannot_be_rotated_by_the_service_and_material_can_be_deleted() {
    let mut f = Fixture::new();
    let key = external_key(&mut f);
    let p = params(&mut f, &key, "RSAES_OAEP_SHA_256");
    import(&mut f, &key, &p, wrap_oaep256(&p.public_key, &[3; 32]), None).unwrap();
    let k = key.clone();
    f.fails_unchanged("UnsupportedOperationException", |kms, ctx| {
        kms.enable_key_rotation(ctx, EnableKeyRotationRequest { key_id: k, rotation_period_in_days: None })
    });
    // On demand, an imported key rotates only to material imported for it.
    let k = key.clone();
    let e = f
        .fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.rotate_key_on_demand(ctx, Fixture::key_id_req(&k)));
    assert_eq!(e.message(), format!("No available key material pending rotation for the key: {key}."));
    let ctx = f.ctx();
    let r = f
        .kms
        .delete_imported_key_material(
            &ctx,
            DeleteImportedKeyMaterialRequest { key_id: key.clone(), ..Default::default() },
        )
        .unwrap();
    assert_eq!((r.key_id.as_str(), r.key_material_id.as_ref().map(String::len)), (key.as_str(), Some(64)));
    assert_eq!(f.state_of(&key), "PendingImport");
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| {
        kms.delete_imported_key_material(ctx, DeleteImportedKeyMaterialRequest { key_id: key, ..Default::default() })
    });
    let aws_key = f.key();
    f.fails_unchanged("UnsupportedOperationException", |kms, ctx| {
        kms.delete_imported_key_material(
            ctx,
            DeleteImportedKeyMaterialRequest { key_id: aws_key, ..Default::default() },
        )
    });
}

#[test]
fn snapshots_keep_imported_keys_but_never_the_material_in_debug_output() {
    let mut f = Fixture::new();
    let key = external_key(&mut f);
    let p = params(&mut f, &key, "RSAES_OAEP_SHA_256");
    let material = [0xC3u8; 32];
    import(&mut f, &key, &p, wrap_oaep256(&p.public_key, &material), None).unwrap();
    let blob = f.encrypt(&key, b"kept", &[]).unwrap();
    let snap = f.kms.snapshot().unwrap();
    let mut g = Fixture {
        kms: kms_wasm::Kms::restore(kms_wasm::Partition::new(ACCOUNT, REGION).unwrap(), snap.expose()).unwrap(),
        now: f.now,
    };
    assert_eq!(g.decrypt(&blob, &[]).unwrap(), b"kept");
    assert!(!format!("{:?}", g.kms).contains("195, 195, 195"));
}

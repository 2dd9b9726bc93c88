#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::cast_possible_truncation)]
//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateRandom.
mod common;

use common::*;
use kms_wasm::crypto::SecretBytes;
use kms_wasm::ops::crypto::*;
use kms_wasm::ops::data_keys::*;
use kms_wasm::ops::lifecycle::ScheduleKeyDeletionRequest;

fn enc_req(key: &str, pt: &[u8]) -> EncryptRequest {
    EncryptRequest { key_id: key.into(), plaintext: SecretBytes::new(pt.to_vec()), ..Default::default() }
}

fn gdk(key: &str) -> GenerateDataKeyRequest {
    GenerateDataKeyRequest { key_id: key.into(), key_spec: Some("AES_256".into()), ..Default::default() }
}

#[test]
fn encrypt_then_decrypt_round_trips_with_context() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    let r = f
        .kms
        .encrypt(&ctx, EncryptRequest { encryption_context: Some(map(&[("tenant", "a")])), ..enc_req(&key, b"hello") })
        .unwrap();
    assert_eq!(r.key_id, key);
    assert_eq!(r.encryption_algorithm, "SYMMETRIC_DEFAULT");
    let d = f
        .kms
        .decrypt(
            &ctx,
            DecryptRequest {
                ciphertext_blob: r.ciphertext_blob,
                encryption_context: Some(map(&[("tenant", "a")])),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(d.plaintext.expose(), b"hello");
    assert_eq!((d.key_id.as_str(), d.encryption_algorithm), (key.as_str(), "SYMMETRIC_DEFAULT"));
}

#[test]
fn encrypt_accepts_every_key_form_and_answers_with_the_arn() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    f.kms
        .create_alias(
            &ctx,
            kms_wasm::ops::aliases::AliasRequest { alias_name: "alias/a".into(), target_key_id: key.clone() },
        )
        .unwrap();
    let id = key.rsplit('/').next().unwrap();
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/a");
    for form in [id, key.as_str(), "alias/a", alias_arn.as_str()] {
        assert_eq!(f.kms.encrypt(&ctx, enc_req(form, b"x")).unwrap().key_id, key);
    }
}

#[test]
fn plaintext_must_be_1_to_4096_bytes() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, &[7u8; 4096], &[]).unwrap();
    assert!(blob.len() <= 6144, "a 4096-byte plaintext makes a {}-byte blob", blob.len());
    for bad in [0usize, 4097] {
        let k = key.clone();
        f.fails_unchanged("ValidationException", |kms, ctx| kms.encrypt(ctx, enc_req(&k, &vec![1u8; bad])));
    }
}

#[test]
fn encrypt_errors() {
    let mut f = Fixture::new();
    let key = f.key();
    let k = || key.clone();
    f.fails_unchanged("NotFoundException", |kms, ctx| kms.encrypt(ctx, enc_req("alias/none", b"x")));
    f.fails_unchanged("ValidationException", |kms, ctx| kms.encrypt(ctx, enc_req("", b"x")));
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.encrypt(ctx, EncryptRequest { encryption_context: Some(map(&[("k", "")])), ..enc_req(&k(), b"x") })
    });
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.encrypt(ctx, EncryptRequest { encryption_algorithm: Some("AES".into()), ..enc_req(&k(), b"x") })
    });
    f.fails_unchanged("InvalidKeyUsageException", |kms, ctx| {
        kms.encrypt(
            ctx,
            EncryptRequest { encryption_algorithm: Some("RSAES_OAEP_SHA_256".into()), ..enc_req(&k(), b"x") },
        )
    });
    f.fails_unchanged("DryRunOperationException", |kms, ctx| {
        kms.encrypt(ctx, EncryptRequest { dry_run: Some(true), ..enc_req(&k(), b"x") })
    });
}

#[test]
fn cryptography_on_a_disabled_key_is_disabled_exception() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"x", &[]).unwrap();
    let ctx = f.ctx();
    f.kms.disable_key(&ctx, Fixture::key_id_req(&key)).unwrap();
    let k = || key.clone();
    f.fails_unchanged("DisabledException", |kms, ctx| kms.encrypt(ctx, enc_req(&k(), b"x")));
    let b = blob.clone();
    f.fails_unchanged("DisabledException", |kms, ctx| {
        kms.decrypt(ctx, DecryptRequest { ciphertext_blob: b, ..Default::default() })
    });
    f.fails_unchanged("DisabledException", |kms, ctx| kms.generate_data_key(ctx, gdk(&k())));
    f.fails_unchanged("DisabledException", |kms, ctx| kms.generate_data_key_without_plaintext(ctx, gdk(&k())));
    let other = f.key();
    let b = blob.clone();
    f.fails_unchanged("DisabledException", |kms, ctx| {
        kms.re_encrypt(ctx, ReEncryptRequest { ciphertext_blob: b, destination_key_id: other, ..Default::default() })
    });
    // and as destination
    let mut g = Fixture::new();
    let src = g.key();
    let dst = g.key();
    let blob = g.encrypt(&src, b"x", &[]).unwrap();
    let ctx = g.ctx();
    g.kms.disable_key(&ctx, Fixture::key_id_req(&dst)).unwrap();
    g.fails_unchanged("DisabledException", |kms, ctx| {
        kms.re_encrypt(ctx, ReEncryptRequest { ciphertext_blob: blob, destination_key_id: dst, ..Default::default() })
    });
}

#[test]
fn cryptography_on_a_key_pending_deletion_is_invalid_state() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"x", &[]).unwrap();
    let ctx = f.ctx();
    f.kms
        .schedule_key_deletion(&ctx, ScheduleKeyDeletionRequest { key_id: key.clone(), pending_window_in_days: None })
        .unwrap();
    let k = || key.clone();
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.encrypt(ctx, enc_req(&k(), b"x")));
    let b = blob.clone();
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| {
        kms.decrypt(ctx, DecryptRequest { ciphertext_blob: b, ..Default::default() })
    });
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.generate_data_key(ctx, gdk(&k())));
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| kms.generate_data_key_without_plaintext(ctx, gdk(&k())));
    let other = f.key();
    f.fails_unchanged("KMSInvalidStateException", |kms, ctx| {
        kms.re_encrypt(ctx, ReEncryptRequest { ciphertext_blob: blob, destination_key_id: other, ..Default::default() })
    });
}

#[test]
fn any_changed_byte_of_a_blob_is_invalid_ciphertext() {
    let mut f = Fixture::new();
    let key = f.key();
    let _other_key = f.key();
    let blob = f.encrypt(&key, b"attack at dawn", &[("purpose", "test")]).unwrap();
    for i in 0..blob.len() {
        for delta in [0x01u8, 0x80, 0xff] {
            let mut t = blob.clone();
            t[i] ^= delta;
            let err = f.decrypt(&t, &[("purpose", "test")]).unwrap_err();
            assert_eq!(err.name(), "InvalidCiphertextException", "byte {i} xor {delta:#x}");
        }
    }
    assert_eq!(f.decrypt(&blob, &[("purpose", "test")]).unwrap(), b"attack at dawn");
}

#[test]
fn truncated_garbage_and_oversized_blobs_are_rejected() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"abc", &[]).unwrap();
    for len in 1..blob.len() {
        let t = blob[..len].to_vec();
        f.fails_unchanged("InvalidCiphertextException", |kms, ctx| {
            kms.decrypt(ctx, DecryptRequest { ciphertext_blob: t, ..Default::default() })
        });
    }
    f.fails_unchanged("InvalidCiphertextException", |kms, ctx| {
        kms.decrypt(
            ctx,
            DecryptRequest {
                ciphertext_blob: b"not a ciphertext at all, just some words that are long enough to parse".to_vec(),
                ..Default::default()
            },
        )
    });
    f.fails_unchanged("ValidationException", |kms, ctx| kms.decrypt(ctx, DecryptRequest::default()));
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.decrypt(ctx, DecryptRequest { ciphertext_blob: vec![1; 6145], ..Default::default() })
    });
}

#[test]
fn a_different_encryption_context_is_invalid_ciphertext() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"x", &[("ab", "c")]).unwrap();
    for wrong in [&[("a", "bc")][..], &[][..], &[("ab", "c"), ("extra", "1")][..], &[("ab", "C")][..]] {
        assert_eq!(f.decrypt(&blob, wrong).unwrap_err().name(), "InvalidCiphertextException", "{wrong:?}");
    }
    // the order in which pairs are given does not matter
    let blob = f.encrypt(&key, b"x", &[("a", "1"), ("b", "2")]).unwrap();
    assert_eq!(f.decrypt(&blob, &[("b", "2"), ("a", "1")]).unwrap(), b"x");
}

#[test]
fn decrypt_with_the_key_id_of_another_key_is_incorrect_key() {
    let mut f = Fixture::new();
    let key = f.key();
    let other = f.key();
    let blob = f.encrypt(&key, b"x", &[]).unwrap();
    let b = blob.clone();
    f.fails_unchanged("IncorrectKeyException", |kms, ctx| {
        kms.decrypt(ctx, DecryptRequest { ciphertext_blob: b, key_id: Some(other), ..Default::default() })
    });
    let b = blob.clone();
    f.fails_unchanged("NotFoundException", |kms, ctx| {
        kms.decrypt(ctx, DecryptRequest { ciphertext_blob: b, key_id: Some("alias/none".into()), ..Default::default() })
    });
    let ctx = f.ctx();
    let ok = f
        .kms
        .decrypt(&ctx, DecryptRequest { ciphertext_blob: blob, key_id: Some(key.clone()), ..Default::default() })
        .unwrap();
    assert_eq!(ok.key_id, key);
}

#[test]
fn decrypt_refuses_recipient_and_asymmetric_algorithms() {
    let mut f = Fixture::new();
    let key = f.key();
    let blob = f.encrypt(&key, b"x", &[]).unwrap();
    let b = blob.clone();
    f.fails_unchanged("InvalidKeyUsageException", |kms, ctx| {
        kms.decrypt(
            ctx,
            DecryptRequest {
                ciphertext_blob: b,
                encryption_algorithm: Some("RSAES_OAEP_SHA_1".into()),
                ..Default::default()
            },
        )
    });
    f.fails_unchanged("UnsupportedOperationException", |kms, ctx| {
        kms.decrypt(
            ctx,
            DecryptRequest { ciphertext_blob: blob, recipient: Some(serde::de::IgnoredAny), ..Default::default() },
        )
    });
}

#[test]
fn re_encrypt_moves_a_ciphertext_to_another_key_and_context() {
    let mut f = Fixture::new();
    let src = f.key();
    let dst = f.key();
    let blob = f.encrypt(&src, b"payload", &[("v", "1")]).unwrap();
    let ctx = f.ctx();
    let r = f
        .kms
        .re_encrypt(
            &ctx,
            ReEncryptRequest {
                ciphertext_blob: blob.clone(),
                source_encryption_context: Some(map(&[("v", "1")])),
                destination_key_id: dst.clone(),
                destination_encryption_context: Some(map(&[("v", "2")])),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!((r.source_key_id.as_str(), r.key_id.as_str()), (src.as_str(), dst.as_str()));
    assert_eq!(f.decrypt(&r.ciphertext_blob, &[("v", "2")]).unwrap(), b"payload");
    assert_eq!(f.decrypt(&r.ciphertext_blob, &[("v", "1")]).unwrap_err().name(), "InvalidCiphertextException");
    // wrong source context, wrong source key, missing destination
    let b = blob.clone();
    let d = dst.clone();
    f.fails_unchanged("InvalidCiphertextException", |kms, ctx| {
        kms.re_encrypt(ctx, ReEncryptRequest { ciphertext_blob: b, destination_key_id: d, ..Default::default() })
    });
    let b = blob.clone();
    let d = dst.clone();
    f.fails_unchanged("IncorrectKeyException", |kms, ctx| {
        kms.re_encrypt(
            ctx,
            ReEncryptRequest {
                ciphertext_blob: b,
                source_encryption_context: Some(map(&[("v", "1")])),
                source_key_id: Some(d.clone()),
                destination_key_id: d,
                ..Default::default()
            },
        )
    });
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.re_encrypt(
            ctx,
            ReEncryptRequest {
                ciphertext_blob: blob,
                source_encryption_context: Some(map(&[("v", "1")])),
                ..Default::default()
            },
        )
    });
}

#[test]
fn generate_data_key_returns_a_key_that_decrypts_from_its_blob() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    for (spec, len) in [("AES_256", 32), ("AES_128", 16)] {
        let r = f
            .kms
            .generate_data_key(
                &ctx,
                GenerateDataKeyRequest {
                    key_spec: Some(spec.into()),
                    encryption_context: Some(map(&[("f", "1")])),
                    ..gdk(&key)
                },
            )
            .unwrap();
        assert_eq!(r.plaintext.len(), len);
        assert_eq!(r.key_id, key);
        assert_eq!(f.decrypt(&r.ciphertext_blob, &[("f", "1")]).unwrap(), r.plaintext.expose());
    }
    for n in [1, 64, 1024] {
        let r = f
            .kms
            .generate_data_key(&ctx, GenerateDataKeyRequest { key_spec: None, number_of_bytes: Some(n), ..gdk(&key) })
            .unwrap();
        assert_eq!(r.plaintext.len() as i64, n);
    }
    let a = f.kms.generate_data_key(&ctx, gdk(&key)).unwrap();
    let b = f.kms.generate_data_key(&ctx, gdk(&key)).unwrap();
    assert_ne!(a.plaintext.expose(), b.plaintext.expose(), "data keys are random");
}

#[test]
fn generate_data_key_needs_exactly_one_of_key_spec_and_number_of_bytes() {
    let mut f = Fixture::new();
    let key = f.key();
    let cases = [
        (None, None),
        (Some("AES_256"), Some(32)),
        (Some("AES_512"), None),
        (None, Some(0)),
        (None, Some(1025)),
        (None, Some(-1)),
    ];
    for (spec, n) in cases {
        let k = key.clone();
        let req = GenerateDataKeyRequest { key_spec: spec.map(Into::into), number_of_bytes: n, ..gdk(&k) };
        f.fails_unchanged("ValidationException", |kms, ctx| kms.generate_data_key(ctx, req));
    }
    f.fails_unchanged("NotFoundException", |kms, ctx| kms.generate_data_key(ctx, gdk("alias/nope")));
}

#[test]
fn generate_data_key_without_plaintext_gives_only_the_blob() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    let r = f.kms.generate_data_key_without_plaintext(&ctx, gdk(&key)).unwrap();
    assert_eq!(r.key_id, key);
    assert_eq!(f.decrypt(&r.ciphertext_blob, &[]).unwrap().len(), 32);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json.get("Plaintext").is_none());
    f.fails_unchanged("ValidationException", |kms, ctx| {
        kms.generate_data_key_without_plaintext(ctx, GenerateDataKeyRequest { key_spec: None, ..gdk(&key) })
    });
}

#[test]
fn generate_random_gives_1_to_1024_fresh_bytes() {
    let mut f = Fixture::new();
    let ctx = f.ctx();
    let a = f
        .kms
        .generate_random(&ctx, GenerateRandomRequest { number_of_bytes: Some(1024), ..Default::default() })
        .unwrap();
    let b = f
        .kms
        .generate_random(&ctx, GenerateRandomRequest { number_of_bytes: Some(1024), ..Default::default() })
        .unwrap();
    assert_eq!(a.plaintext.len(), 1024);
    assert_ne!(a.plaintext.expose(), b.plaintext.expose());
    for bad in [None, Some(0), Some(1025)] {
        f.fails_unchanged("ValidationException", |kms, ctx| {
            kms.generate_random(ctx, GenerateRandomRequest { number_of_bytes: bad, ..Default::default() })
        });
    }
}

#[test]
fn data_keys_never_appear_in_debug_output() {
    let mut f = Fixture::new();
    let key = f.key();
    let ctx = f.ctx();
    let r = f.kms.generate_data_key(&ctx, gdk(&key)).unwrap();
    let shown = format!("{r:?} {:?}", f.kms);
    assert!(shown.contains("REDACTED"));
    let needle = format!("{:?}", r.plaintext.expose());
    assert!(!shown.contains(&needle[1..needle.len() - 1]));
}

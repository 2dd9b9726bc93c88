//! The envelope message format: round trips, streaming, the external frame
//! cipher, limits, tampering and misuse. Interop vectors are in
//! `envelope_vectors.rs`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::field_reassign_with_default,
    clippy::type_complexity
)]

mod envelope_util;

use envelope_util::*;
use kms_wasm::envelope::{
    decrypt_message, encrypt_message, AlgorithmSuite, DecryptOptions, Decryptor, EncryptOptions, EncryptedDataKey,
    EncryptionContext, Encryptor, EnvelopeError, Keyring, RawAesKeyring, MAX_FRAME_LENGTH,
};
use std::collections::BTreeMap;

const UNSIGNED: AlgorithmSuite = AlgorithmSuite::AesGcmHkdfSha512CommitKey;
const SIGNED: AlgorithmSuite = AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384;

fn ring() -> RawAesKeyring {
    RawAesKeyring::new("test-ns", "test-key", &[0x42; 32]).unwrap()
}

fn ctx() -> BTreeMap<String, String> {
    BTreeMap::from([("purpose".to_string(), "unit test".to_string()), ("tenant".to_string(), "acme".to_string())])
}

/// A message with a random message id and data key, wrapped by `ring()`.
fn encrypt(suite: AlgorithmSuite, frame_length: u32, plaintext: &[u8], chunk: usize) -> Vec<u8> {
    let enc = Encryptor::new(suite, frame_length, ctx()).unwrap();
    let (key, edks) = ring().on_encrypt(enc.encryption_context(), None).unwrap();
    encrypt_internal(enc, key.as_ref(), edks, plaintext, chunk)
}

fn decrypt(msg: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    decrypt_chunked(msg, DecryptOptions::default(), &ring(), usize::MAX)
}

#[test]
fn round_trips_for_every_size_around_the_frame_length_suite_and_chunking() {
    let mut rng = Rng(0x1234_5678);
    for suite in [UNSIGNED, SIGNED] {
        for fl in [1u32, 16, 100, 4096] {
            let f = fl as usize;
            for len in [0, 1, f.saturating_sub(1), f, f + 1, 3 * f, 3 * f + 5] {
                let pt = rng.bytes(len);
                for enc_chunk in [usize::MAX, 7] {
                    let msg = encrypt(suite, fl, &pt, enc_chunk);
                    for dec_chunk in [usize::MAX, 1, 13] {
                        let back = decrypt_chunked(&msg, DecryptOptions::default(), &ring(), dec_chunk).unwrap();
                        assert!(back == pt, "suite {suite:?} fl {fl} len {len}");
                    }
                    let ext = decrypt_external(&msg, DecryptOptions::default(), &ring(), 17).unwrap();
                    assert!(ext == pt);
                }
            }
        }
    }
}

#[test]
fn the_final_frame_holds_the_remainder_and_is_never_empty_unless_the_plaintext_is() {
    // 3 frames of 16 → two regular frames and a final frame of 16 bytes
    let msg = encrypt(UNSIGNED, 16, &[7u8; 48], usize::MAX);
    let regular = 16 + 16 + 16;
    let final_frame = 24 + 16 + 16;
    let mut dec = Decryptor::new(DecryptOptions::default());
    let used = dec.update(&msg, &mut Vec::new()).unwrap();
    assert_eq!(msg.len() - used, 2 * regular + final_frame);
    // empty plaintext → one empty final frame
    let msg = encrypt(UNSIGNED, 16, &[], usize::MAX);
    let mut dec = Decryptor::new(DecryptOptions::default());
    let used = dec.update(&msg, &mut Vec::new()).unwrap();
    assert_eq!(msg.len() - used, 24 + 16);
}

#[test]
fn internal_and_external_frame_ciphers_write_identical_messages() {
    let mut rng = Rng(99);
    for suite in [UNSIGNED, SIGNED] {
        for (fl, len) in [(64u32, 0usize), (64, 1), (64, 64), (64, 200), (1, 5), (4096, 10_000)] {
            let pt = rng.bytes(len);
            let id = [len as u8; 32];
            let sk = [0x11u8; 48];
            let data_key = [0x22u8; 32];
            let make = || Encryptor::with_fixed_randomness(suite, fl, ctx(), id, Some(&sk)).unwrap();
            let enc = make();
            let edk = ring().wrap_with_iv(enc.encryption_context(), &data_key, &[3u8; 12]).unwrap();
            let a = encrypt_internal(enc, &data_key, vec![edk.clone()], &pt, 5);
            let b = encrypt_external(make(), &data_key, vec![edk], &pt);
            assert!(a == b, "suite {suite:?} fl {fl} len {len}");
            assert_eq!(decrypt(&a).unwrap(), pt);
        }
    }
}

#[test]
fn the_header_is_available_for_the_keyring_before_it_is_verified() {
    let msg = encrypt(SIGNED, 64, b"hello", usize::MAX);
    let mut dec = Decryptor::new(DecryptOptions::default());
    let used = dec.update(&msg, &mut Vec::new()).unwrap();
    assert!(used < msg.len());
    assert!(dec.needs_data_key());
    assert!(!dec.header_verified());
    let h = dec.header().unwrap().clone();
    assert_eq!(h.suite, SIGNED);
    assert_eq!(h.frame_length, 64);
    assert_eq!(h.encrypted_data_keys.len(), 1);
    assert_eq!(h.encrypted_data_keys[0].provider_id, "test-ns");
    assert_eq!(h.encryption_context.get("tenant"), Some("acme"));
    assert!(h.encryption_context.get("aws-crypto-public-key").is_some());
    // more bytes before the data key are refused
    assert!(matches!(dec.update(&msg[used..], &mut Vec::new()), Err(EnvelopeError::InvalidState(_))));
}

#[test]
fn set_data_key_verifies_commitment_then_header_tag() {
    let msg = encrypt(UNSIGNED, 64, b"hello", usize::MAX);
    let mut dec = Decryptor::new(DecryptOptions::default());
    dec.update(&msg, &mut Vec::new()).unwrap();
    assert_eq!(dec.set_data_key(&[0u8; 32]), Err(EnvelopeError::CommitmentMismatch));
    // the decryptor is finished after a failure
    assert!(matches!(dec.set_data_key(&[0u8; 32]), Err(EnvelopeError::InvalidState(_))));
    let mut dec = Decryptor::new(DecryptOptions::default());
    dec.update(&msg, &mut Vec::new()).unwrap();
    assert!(matches!(dec.set_data_key(&[0u8; 16]), Err(EnvelopeError::InvalidArgument(_))));
}

/// Plaintext released before an error must be whole verified regular frames
/// of the true plaintext — never the final frame, never unverified bytes.
fn assert_only_verified_prefix(released: &[u8], pt: &[u8], fl: usize) {
    assert!(pt.starts_with(released), "released bytes are not the plaintext");
    assert_eq!(released.len() % fl, 0, "a partial frame was released");
    assert!(released.len() < pt.len() || pt.is_empty(), "the final frame was released before finish");
}

fn decrypt_collecting(msg: &[u8], chunk: usize) -> (Result<(), EnvelopeError>, Vec<u8>) {
    let mut dec = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    let r = (|| {
        for c in msg.chunks(chunk) {
            let mut rest = c;
            loop {
                let used = dec.update(rest, &mut out)?;
                rest = &rest[used..];
                if dec.needs_data_key() {
                    let h = dec.header().unwrap();
                    let k = ring().on_decrypt(&h.encryption_context, &h.encrypted_data_keys)?;
                    dec.set_data_key(k.as_ref())?;
                }
                if rest.is_empty() {
                    break;
                }
            }
        }
        let mut tail = Vec::new();
        dec.finish(&mut tail)?;
        out.extend_from_slice(&tail);
        Ok(())
    })();
    (r, out)
}

#[test]
fn every_flipped_byte_fails_and_releases_only_verified_frames() {
    let mut rng = Rng(7);
    for suite in [UNSIGNED, SIGNED] {
        let fl = 32;
        let pt = rng.bytes(3 * fl + 10);
        let msg = encrypt(suite, fl as u32, &pt, usize::MAX);
        for i in 0..msg.len() {
            let mut bad = msg.clone();
            bad[i] ^= 0x01 << (i % 8);
            let (r, released) = decrypt_collecting(&bad, if i % 2 == 0 { usize::MAX } else { 19 });
            assert!(r.is_err(), "suite {suite:?}: flipping byte {i} went unnoticed");
            assert_only_verified_prefix(&released, &pt, fl);
        }
    }
}

#[test]
fn every_truncation_fails_and_releases_only_verified_frames() {
    let mut rng = Rng(8);
    for suite in [UNSIGNED, SIGNED] {
        let fl = 32;
        let pt = rng.bytes(2 * fl + 3);
        let msg = encrypt(suite, fl as u32, &pt, usize::MAX);
        for n in 0..msg.len() {
            let (r, released) = decrypt_collecting(&msg[..n], 11);
            let e = r.expect_err("a truncated message decrypted");
            assert!(matches!(e, EnvelopeError::Truncated(_)), "cut at {n}: {e}");
            assert_only_verified_prefix(&released, &pt, fl);
        }
        assert_eq!(decrypt(&msg).unwrap(), pt);
    }
}

#[test]
fn bytes_after_the_end_of_the_message_are_refused() {
    for suite in [UNSIGNED, SIGNED] {
        let mut msg = encrypt(suite, 16, b"abc", usize::MAX);
        msg.push(0);
        assert_eq!(decrypt(&msg), Err(EnvelopeError::TrailingBytes));
        // ... also when they arrive after a complete message, in a later call
        let mut dec = Decryptor::new(DecryptOptions::default());
        let mut out = Vec::new();
        let used = dec.update(&msg[..msg.len() - 1], &mut out).unwrap();
        let h = dec.header().unwrap();
        let k = ring().on_decrypt(&h.encryption_context, &h.encrypted_data_keys).unwrap();
        dec.set_data_key(k.as_ref()).unwrap();
        dec.update(&msg[used..msg.len() - 1], &mut out).unwrap();
        assert_eq!(dec.update(&[0], &mut out), Err(EnvelopeError::TrailingBytes));
        assert!(out.is_empty(), "the final frame was released");
        assert!(dec.finish(&mut out).is_err());
        assert!(out.is_empty());
    }
}

#[test]
fn the_final_frame_is_released_by_finish_after_the_signature_verifies() {
    let pt = b"0123456789abcdefXYZ".to_vec(); // one regular frame of 16, a final frame of 3
    let msg = encrypt(SIGNED, 16, &pt, usize::MAX);
    let mut dec = Decryptor::new(DecryptOptions::default());
    let mut out = Vec::new();
    let used = dec.update(&msg, &mut out).unwrap();
    let h = dec.header().unwrap();
    let k = ring().on_decrypt(&h.encryption_context, &h.encrypted_data_keys).unwrap();
    dec.set_data_key(k.as_ref()).unwrap();
    assert!(dec.header_verified());
    dec.update(&msg[used..], &mut out).unwrap();
    assert_eq!(out, &pt[..16]);
    dec.finish(&mut out).unwrap();
    assert_eq!(out, pt);
    assert!(dec.is_finished());

    // a bad signature: the final frame never comes out
    let mut bad = msg.clone();
    let n = bad.len();
    bad[n - 5] ^= 0x40;
    let (r, released) = decrypt_collecting(&bad, usize::MAX);
    assert_eq!(r, Err(EnvelopeError::SignatureInvalid));
    assert_eq!(released, &pt[..16]);
}

#[test]
fn required_encryption_context_pairs_must_be_present_with_their_values() {
    let msg = encrypt(UNSIGNED, 64, b"data", usize::MAX);
    let with = |pairs: &[(&str, &str)]| {
        let mut o = DecryptOptions::default();
        o.required_encryption_context = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        decrypt_chunked(&msg, o, &ring(), usize::MAX)
    };
    assert_eq!(with(&[("tenant", "acme")]).unwrap(), b"data");
    assert_eq!(with(&[("tenant", "acme"), ("purpose", "unit test")]).unwrap(), b"data");
    assert_eq!(with(&[("region", "eu")]), Err(EnvelopeError::MissingRequiredContextKey("region".into())));
    assert_eq!(with(&[("tenant", "evil")]), Err(EnvelopeError::ContextValueMismatch("tenant".into())));
}

#[test]
fn the_reserved_context_prefix_is_refused_on_encrypt() {
    let mut c = ctx();
    c.insert("aws-crypto-public-key".into(), "x".into());
    assert_eq!(
        Encryptor::new(UNSIGNED, 64, c).err(),
        Some(EnvelopeError::ReservedContextKey("aws-crypto-public-key".into()))
    );
}

#[test]
fn frame_length_must_be_between_1_and_the_maximum() {
    assert!(matches!(Encryptor::new(UNSIGNED, 0, ctx()), Err(EnvelopeError::InvalidArgument(_))));
    assert!(matches!(Encryptor::new(UNSIGNED, MAX_FRAME_LENGTH + 1, ctx()), Err(EnvelopeError::InvalidArgument(_))));
    assert!(Encryptor::new(UNSIGNED, MAX_FRAME_LENGTH, ctx()).is_ok());
    // decrypt side: the configured cap
    let msg = encrypt(UNSIGNED, 4096, b"x", usize::MAX);
    let mut o = DecryptOptions::default();
    o.max_frame_length = 4095;
    assert_eq!(
        decrypt_chunked(&msg, o, &ring(), usize::MAX),
        Err(EnvelopeError::FrameLengthExceedsLimit { frame_length: 4096, max: 4095 })
    );
}

fn three_edk_message() -> Vec<u8> {
    let enc = Encryptor::new(UNSIGNED, 64, ctx()).unwrap();
    let ec = enc.encryption_context().clone();
    let data_key = [5u8; 32];
    let edks: Vec<EncryptedDataKey> = [("a", 16usize), ("b", 24), ("c", 32)]
        .iter()
        .map(|(n, l)| RawAesKeyring::new("ns", n, &vec![1u8; *l]).unwrap().wrap(&ec, &data_key).unwrap())
        .collect();
    encrypt_internal(enc, &data_key, edks, b"three keys", usize::MAX)
}

#[test]
fn no_more_encrypted_data_keys_than_the_maximum() {
    let msg = three_edk_message();
    let c = RawAesKeyring::new("ns", "c", &[1u8; 32]).unwrap();
    assert_eq!(decrypt_chunked(&msg, DecryptOptions::default(), &c, 5).unwrap(), b"three keys");
    let mut o = DecryptOptions::default();
    o.max_encrypted_data_keys = Some(3);
    assert!(decrypt_chunked(&msg, o.clone(), &c, 5).is_ok());
    o.max_encrypted_data_keys = Some(2);
    assert_eq!(decrypt_chunked(&msg, o, &c, 5), Err(EnvelopeError::TooManyEncryptedDataKeys { count: 3, max: 2 }));
    // encrypt side
    let mut enc = Encryptor::new(UNSIGNED, 64, ctx()).unwrap();
    enc.set_max_encrypted_data_keys(Some(1));
    let edk = ring().wrap(enc.encryption_context(), &[0u8; 32]).unwrap();
    assert_eq!(
        enc.start(&[0u8; 32], vec![edk.clone(), edk], &mut Vec::new()),
        Err(EnvelopeError::TooManyEncryptedDataKeys { count: 2, max: 1 })
    );
    let mut enc = Encryptor::new(UNSIGNED, 64, ctx()).unwrap();
    assert!(matches!(enc.start(&[0u8; 32], vec![], &mut Vec::new()), Err(EnvelopeError::InvalidArgument(_))));
}

#[test]
fn the_header_must_fit_max_header_length() {
    let msg = three_edk_message();
    let mut o = DecryptOptions::default();
    o.max_header_length = 200;
    let c = RawAesKeyring::new("ns", "c", &[1u8; 32]).unwrap();
    assert_eq!(decrypt_chunked(&msg, o, &c, 3), Err(EnvelopeError::HeaderTooLarge { max: 200 }));
}

#[test]
fn signed_suites_can_be_refused() {
    let msg = encrypt(SIGNED, 64, b"x", usize::MAX);
    let mut o = DecryptOptions::default();
    o.refuse_signed_suites = true;
    assert_eq!(decrypt_chunked(&msg, o.clone(), &ring(), 1), Err(EnvelopeError::SignedSuiteRefused));
    let msg = encrypt(UNSIGNED, 64, b"x", usize::MAX);
    assert!(decrypt_chunked(&msg, o, &ring(), 1).is_ok());
}

#[test]
fn base64_messages_get_a_specific_error() {
    use base64ct::{Base64, Encoding};
    for suite in [UNSIGNED, SIGNED] {
        let msg = encrypt(suite, 64, b"x", usize::MAX);
        let b64 = Base64::encode_string(&msg);
        assert_eq!(decrypt(b64.as_bytes()), Err(EnvelopeError::Base64Encoded));
    }
    assert_eq!(decrypt(&[0x01, 0x80]), Err(EnvelopeError::UnsupportedVersion(1)));
    assert!(matches!(decrypt(&[]), Err(EnvelopeError::Truncated(_))));
}

#[test]
fn encryptor_calls_out_of_order_are_refused() {
    let data_key = [1u8; 32];
    let mut enc = Encryptor::new(UNSIGNED, 16, ctx()).unwrap();
    let edk = ring().wrap(enc.encryption_context(), &data_key).unwrap();
    let mut out = Vec::new();
    assert!(matches!(enc.update(b"x", &mut out), Err(EnvelopeError::InvalidState(_))));
    assert!(matches!(enc.finish(&mut out), Err(EnvelopeError::InvalidState(_))));
    assert!(matches!(enc.frame_key(), Err(EnvelopeError::InvalidState(_))));
    assert!(matches!(enc.start(&[1u8; 31], vec![edk.clone()], &mut out), Err(EnvelopeError::InvalidArgument(_))));
    enc.start(&data_key, vec![edk.clone()], &mut out).unwrap();
    assert!(matches!(enc.start(&data_key, vec![edk], &mut out), Err(EnvelopeError::InvalidState(_))));
    enc.update(b"x", &mut out).unwrap();
    // the internal and the external path do not mix
    assert!(matches!(enc.begin_frame(16, false), Err(EnvelopeError::InvalidState(_))));
    enc.finish(&mut out).unwrap();
    assert!(matches!(enc.finish(&mut out), Err(EnvelopeError::InvalidState(_))));
    assert!(matches!(enc.update(b"x", &mut out), Err(EnvelopeError::InvalidState(_))));
}

#[test]
fn external_frames_are_checked() {
    for suite in [UNSIGNED, SIGNED] {
        let data_key = [1u8; 32];
        let mut enc = Encryptor::new(suite, 16, ctx()).unwrap();
        let edk = ring().wrap(enc.encryption_context(), &data_key).unwrap();
        enc.start(&data_key, vec![edk], &mut Vec::new()).unwrap();
        assert_eq!(enc.frame_key().unwrap().len(), 32);
        assert!(matches!(enc.end_frame(None), Err(EnvelopeError::InvalidState(_))));
        // a regular frame holds exactly frame_length bytes; the final one at most that
        assert!(matches!(enc.begin_frame(15, false), Err(EnvelopeError::InvalidArgument(_))));
        assert!(matches!(enc.begin_frame(17, true), Err(EnvelopeError::InvalidArgument(_))));
        let p = enc.begin_frame(16, false).unwrap();
        assert_eq!(p.sequence_number, 1);
        assert_eq!(p.iv, kms_wasm::envelope::frame_iv(1));
        assert!(matches!(enc.begin_frame(16, false), Err(EnvelopeError::InvalidState(_))));
        // the sealed frame must have the right length
        assert!(matches!(enc.end_frame(Some(&[0u8; 31])), Err(EnvelopeError::InvalidArgument(_))));
    }
    // signed suites need each frame's bytes
    let data_key = [1u8; 32];
    let mut enc = Encryptor::new(SIGNED, 16, ctx()).unwrap();
    let edk = ring().wrap(enc.encryption_context(), &data_key).unwrap();
    enc.start(&data_key, vec![edk], &mut Vec::new()).unwrap();
    enc.begin_frame(3, true).unwrap();
    assert!(matches!(enc.end_frame(None), Err(EnvelopeError::InvalidArgument(_))));
    // finish_external needs the final frame
    let mut enc = Encryptor::new(UNSIGNED, 16, ctx()).unwrap();
    let edk = ring().wrap(enc.encryption_context(), &data_key).unwrap();
    enc.start(&data_key, vec![edk], &mut Vec::new()).unwrap();
    enc.begin_frame(16, false).unwrap();
    enc.end_frame(None).unwrap();
    assert!(matches!(enc.finish_external(&mut Vec::new()), Err(EnvelopeError::InvalidState(_))));
    enc.begin_frame(0, true).unwrap();
    enc.end_frame(None).unwrap();
    enc.finish_external(&mut Vec::new()).unwrap();
}

#[test]
fn decryptor_calls_out_of_order_are_refused() {
    let msg = encrypt(UNSIGNED, 16, b"x", usize::MAX);
    let mut dec = Decryptor::new(DecryptOptions::default());
    assert!(matches!(dec.set_data_key(&[0u8; 32]), Err(EnvelopeError::InvalidState(_))));
    assert!(matches!(dec.frame_key(), Err(EnvelopeError::InvalidState(_))));
    assert!(matches!(dec.update_external(&msg, &mut Vec::new()), Err(EnvelopeError::InvalidState(_))));
    let mut o = DecryptOptions::default();
    o.external_frame_cipher = true;
    let mut ext = Decryptor::new(o);
    assert!(matches!(ext.update(&msg, &mut Vec::new()), Err(EnvelopeError::InvalidState(_))));
    // after finish, nothing more
    let back = decrypt_chunked(&msg, DecryptOptions::default(), &ring(), 3).unwrap();
    assert_eq!(back, b"x");
}

#[test]
fn one_shot_helpers_round_trip_with_the_raw_aes_keyring() {
    for suite in [UNSIGNED, SIGNED] {
        let opts =
            EncryptOptions { suite, frame_length: 100, encryption_context: ctx(), max_encrypted_data_keys: None };
        let pt = Rng(3).bytes(1234);
        let msg = encrypt_message(&pt, &opts, &ring()).unwrap();
        let (back, header) = decrypt_message(&msg, &DecryptOptions::default(), &ring()).unwrap();
        assert_eq!(back.as_slice(), pt.as_slice());
        assert_eq!(header.suite, suite);
        let wrong = RawAesKeyring::new("test-ns", "test-key", &[0x43; 32]).unwrap();
        assert_eq!(
            decrypt_message(&msg, &DecryptOptions::default(), &wrong).err(),
            Some(EnvelopeError::UnableToDecryptDataKey)
        );
    }
}

#[test]
fn random_mutations_never_panic_and_never_decrypt() {
    let mut rng = Rng(0xdead_beef);
    let base: Vec<Vec<u8>> = [UNSIGNED, SIGNED]
        .iter()
        .flat_map(|s| [encrypt(*s, 16, &rng.bytes(40), usize::MAX), encrypt(*s, 64, &[], usize::MAX)])
        .collect();
    for i in 0..600 {
        let mut m = base[i % base.len()].clone();
        for _ in 0..1 + rng.below(4) {
            if m.is_empty() {
                break;
            }
            match rng.below(4) {
                0 => {
                    let at = rng.below(m.len());
                    m[at] = rng.next() as u8;
                }
                1 => {
                    let at = rng.below(m.len());
                    m.insert(at, rng.next() as u8);
                }
                2 if m.len() > 1 => {
                    let at = rng.below(m.len());
                    m.remove(at);
                }
                _ => {
                    let at = rng.below(m.len());
                    m.truncate(at);
                }
            }
        }
        if base.contains(&m) {
            continue;
        }
        let chunk = 1 + rng.below(50);
        assert!(decrypt_chunked(&m, DecryptOptions::default(), &ring(), chunk).is_err(), "mutation {i} decrypted");
    }
    // and pure garbage
    for _ in 0..300 {
        let n = rng.below(300);
        let mut g = rng.bytes(n);
        if !g.is_empty() && rng.below(2) == 0 {
            g[0] = 2; // a plausible version byte
        }
        assert!(decrypt_chunked(&g, DecryptOptions::default(), &ring(), 1 + rng.below(20)).is_err());
    }
}

#[test]
fn keyrings_bind_the_full_context_including_the_public_key() {
    let enc = Encryptor::new(SIGNED, 64, ctx()).unwrap();
    let ec: &EncryptionContext = enc.encryption_context();
    assert_eq!(ec.pairs().len(), 3);
    assert_eq!(ec.get("aws-crypto-public-key").unwrap().len(), 68);
    // the caller's context alone does not unwrap an EDK made for the full one
    let edk = ring().wrap(ec, &[9u8; 32]).unwrap();
    let caller_only = EncryptionContext::from_pairs(ctx()).unwrap();
    assert_eq!(ring().unwrap(&caller_only, &[edk]), Err(EnvelopeError::UnableToDecryptDataKey));
}

/// Native throughput, release build (best round of several, so a busy
/// machine disturbs it less):
/// `cargo test --release --test envelope -- --ignored --nocapture throughput`
#[test]
#[ignore = "benchmark"]
fn throughput() {
    use std::time::Instant;
    fn best<F: FnMut()>(rounds: usize, mut f: F) -> f64 {
        (0..rounds)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    }
    for suite in [UNSIGNED, SIGNED] {
        for fl in [4096u32, 65536, 1 << 20] {
            for size in [1usize << 20, 64 << 20] {
                let pt = vec![0xA5u8; size];
                let rounds = if size == 1 << 20 { 30 } else { 4 };
                let msg = encrypt(suite, fl, &pt, 64 << 10);
                let enc_s = best(rounds, || {
                    std::hint::black_box(encrypt(suite, fl, &pt, 64 << 10));
                });
                let dec_s = best(rounds, || {
                    let back = decrypt_chunked(&msg, DecryptOptions::default(), &ring(), 64 << 10).unwrap();
                    assert_eq!(back.len(), size);
                });
                let mb = size as f64 / 1e6;
                println!(
                    "suite 0x{:04x} frame {:>7} size {:>2} MiB: encrypt {:>5.0} MB/s, decrypt {:>5.0} MB/s",
                    suite.id(),
                    fl,
                    size >> 20,
                    mb / enc_s,
                    mb / dec_s
                );
            }
        }
    }
}

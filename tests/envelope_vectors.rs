//! Interop and regression vectors of the envelope format.
//!
//! - `esdk/`: messages written by the AWS Encryption SDK for JavaScript and
//!   fail_* vectors derived from them (generate-esdk.mjs). Each is
//!   decrypted here with several chunkings, through both frame cipher paths.
//! - `rust/`: messages written by this crate with fixed randomness
//!   (regenerate with `cargo test --test envelope_vectors -- --ignored`);
//!   check-with-esdk.mjs decrypts them with the Encryption SDK, and the test
//!   below proves the encoder still writes them byte for byte.
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
use kms_wasm::envelope::{AlgorithmSuite, EncryptedDataKey, EncryptionContext, Encryptor, Keyring};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha384};
use std::collections::BTreeMap;

const CHUNKS: [usize; 5] = [usize::MAX, 1, 7, 61, 1000];

fn check_vector(v: &Value) -> usize {
    let name = v["name"].as_str().unwrap();
    let msg = read_bytes(v["message"].as_str().unwrap());
    let ring = keyring(v["keyring"].as_str().unwrap());
    let expect = v["expect"].as_str().unwrap();
    let plaintext = v["plaintext"].as_str().map(read_bytes);
    let mut runs = 0;
    for chunk in CHUNKS {
        for external in [false, true] {
            let r = if external {
                decrypt_external(&msg, options(v), &ring, chunk)
            } else {
                decrypt_chunked(&msg, options(v), &ring, chunk)
            };
            match (expect, r) {
                ("success", Ok(pt)) => assert!(pt == *plaintext.as_ref().unwrap(), "{name}: wrong plaintext"),
                ("success", Err(e)) => panic!("{name} (chunk {chunk}, external {external}): {e}"),
                (code, Ok(_)) => panic!("{name} (chunk {chunk}, external {external}): decrypted, expected {code}"),
                (code, Err(e)) => assert_eq!(e.code(), code, "{name} (chunk {chunk}, external {external}): {e}"),
            }
            runs += 1;
        }
    }
    runs
}

#[test]
fn esdk_vectors_decrypt_or_fail_as_recorded() {
    let manifest = read_json("esdk/manifest.json");
    let vectors = manifest["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 80, "the ESDK manifest lost vectors");
    let mut ok = 0;
    let mut fail = 0;
    for v in vectors {
        check_vector(v);
        if v["expect"] == "success" {
            ok += 1;
        } else {
            fail += 1;
        }
    }
    assert!(ok >= 20 && fail >= 60, "{ok} positive, {fail} negative");
}

#[test]
fn esdk_vectors_expose_the_header_as_written() {
    let manifest = read_json("esdk/manifest.json");
    for v in manifest["vectors"].as_array().unwrap().iter().filter(|v| v["expect"] == "success") {
        let msg = read_bytes(v["message"].as_str().unwrap());
        let ring = keyring(v["keyring"].as_str().unwrap());
        let (pt, header) = kms_wasm::envelope::decrypt_message(&msg, &Default::default(), &ring).unwrap();
        assert_eq!(pt.as_slice(), read_bytes(v["plaintext"].as_str().unwrap()).as_slice());
        let suite = AlgorithmSuite::parse(v["suite"].as_str().unwrap()).unwrap();
        assert_eq!(header.suite, suite);
        assert_eq!(u64::from(header.frame_length), v["frameLength"].as_u64().unwrap());
        let expected = string_map(&v["encryptionContext"]);
        let mut found = header.encryption_context.pairs().clone();
        if suite.is_signed() {
            assert_eq!(found.remove("aws-crypto-public-key").map(|k| k.len()), Some(68));
        }
        assert_eq!(found, expected, "{}", v["name"]);
    }
}

// ---- vectors written by this crate ---------------------------------------

struct Case {
    name: String,
    suite: AlgorithmSuite,
    frame_length: u32,
    length: usize,
    context: BTreeMap<String, String>,
    wrapped_by: Vec<&'static str>,
}

fn ctx(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let shapes: [(&str, usize, u32, Option<BTreeMap<String, String>>); 9] = [
        ("empty", 0, 4096, None),
        ("one_byte", 1, 4096, None),
        ("one_frame_exact", 4096, 4096, None),
        ("frames_and_partial", 3 * 128 + 50, 128, None),
        ("frames_exact_multiple", 3 * 256, 256, None),
        ("frame_length_1", 7, 1, None),
        ("frame_length_8192", 9000, 8192, None),
        ("empty_context", 300, 128, Some(BTreeMap::new())),
        (
            "unicode_context",
            1000,
            333,
            Some(ctx(&[("B", "upper"), ("a", "lower"), ("ключ", "значение"), ("ä", "ü"), ("😀", "emoji")])),
        ),
    ];
    for suite in [AlgorithmSuite::AesGcmHkdfSha512CommitKey, AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384] {
        for (id, length, frame_length, context) in &shapes {
            let name = format!("rust_{:04x}_{id}", suite.id());
            let context =
                context.clone().unwrap_or_else(|| ctx(&[("purpose", "kms-wasm interop vector"), ("case", &name)]));
            out.push(Case {
                name,
                suite,
                frame_length: *frame_length,
                length: *length,
                context,
                wrapped_by: vec!["aes256"],
            });
        }
    }
    for k in ["aes128", "aes192"] {
        let name = format!("rust_0478_wrapping_{k}");
        let context = ctx(&[("purpose", "kms-wasm interop vector"), ("case", &name)]);
        out.push(Case {
            name,
            suite: AlgorithmSuite::default(),
            frame_length: 256,
            length: 777,
            context,
            wrapped_by: vec![k],
        });
    }
    let name = "rust_0578_three_edks".to_string();
    let context = ctx(&[("purpose", "kms-wasm interop vector"), ("case", &name)]);
    out.push(Case {
        name,
        suite: AlgorithmSuite::AesGcmHkdfSha512CommitKeyEcdsaP384,
        frame_length: 1024,
        length: 2500,
        context,
        wrapped_by: vec!["aes256", "aes128", "aes192"],
    });
    out
}

fn h256(label: &str, name: &str) -> [u8; 32] {
    Sha256::digest(format!("{label}/{name}").as_bytes()).into()
}

fn plaintext_for(name: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut block = 0u32;
    while out.len() < len {
        out.extend_from_slice(&h256(&format!("plaintext/{block}"), name));
        block += 1;
    }
    out.truncate(len);
    out
}

/// Writes one case deterministically; returns (message, plaintext, manifest entry).
fn build(case: &Case) -> (Vec<u8>, Vec<u8>, Value) {
    let message_id = h256("message-id", &case.name);
    let data_key = h256("data-key", &case.name);
    let signing_key: [u8; 48] = Sha384::digest(format!("signing-key/{}", case.name).as_bytes()).into();
    let enc = Encryptor::with_fixed_randomness(
        case.suite,
        case.frame_length,
        case.context.clone(),
        message_id,
        case.suite.is_signed().then_some(&signing_key),
    )
    .unwrap();
    let full: EncryptionContext = enc.encryption_context().clone();
    let mut edks: Vec<EncryptedDataKey> = Vec::new();
    let mut ivs = Vec::new();
    for k in &case.wrapped_by {
        let iv: [u8; 12] = h256(&format!("wrap-iv/{k}"), &case.name)[..12].try_into().unwrap();
        edks.push(keyring(k).wrap_with_iv(&full, &data_key, &iv).unwrap());
        ivs.push(hex::encode(iv));
    }
    let plaintext = plaintext_for(&case.name, case.length);
    let msg = encrypt_internal(enc, &data_key, edks, &plaintext, usize::MAX);
    let entry = json!({
        "name": case.name,
        "message": format!("rust/{}.msg", case.name),
        "plaintext": format!("rust/{}.pt", case.name),
        "keyring": case.wrapped_by.last().unwrap(),
        "suite": format!("0x{:04x}", case.suite.id()),
        "frameLength": case.frame_length,
        "encryptionContext": case.context,
        "wrappedBy": case.wrapped_by,
        "fixedRandomness": {
            "messageId": hex::encode(message_id),
            "dataKey": hex::encode(data_key),
            "signingKey": if case.suite.is_signed() { Value::from(hex::encode(signing_key)) } else { Value::Null },
            "wrapIvs": ivs,
        },
        "expect": "success",
    });
    (msg, plaintext, entry)
}

#[test]
fn rust_vectors_are_reproduced_byte_for_byte() {
    let manifest = read_json("rust/manifest.json");
    let recorded = manifest["vectors"].as_array().unwrap();
    let cases = cases();
    assert_eq!(recorded.len(), cases.len());
    for (case, v) in cases.iter().zip(recorded) {
        let (msg, plaintext, entry) = build(case);
        assert_eq!(&entry, v, "{}: manifest entry changed", case.name);
        assert!(msg == read_bytes(v["message"].as_str().unwrap()), "{}: the encoder's output changed", case.name);
        assert!(plaintext == read_bytes(v["plaintext"].as_str().unwrap()));
        check_vector(v);
    }
}

#[test]
fn rust_vectors_through_the_external_cipher_are_identical() {
    for case in cases() {
        let (msg, plaintext, _) = build(&case);
        let message_id = h256("message-id", &case.name);
        let data_key = h256("data-key", &case.name);
        let signing_key: [u8; 48] = Sha384::digest(format!("signing-key/{}", case.name).as_bytes()).into();
        let enc = Encryptor::with_fixed_randomness(
            case.suite,
            case.frame_length,
            case.context.clone(),
            message_id,
            case.suite.is_signed().then_some(&signing_key),
        )
        .unwrap();
        let full = enc.encryption_context().clone();
        let edks = case
            .wrapped_by
            .iter()
            .map(|k| {
                let iv: [u8; 12] = h256(&format!("wrap-iv/{k}"), &case.name)[..12].try_into().unwrap();
                keyring(k).wrap_with_iv(&full, &data_key, &iv).unwrap()
            })
            .collect();
        let external = encrypt_external(enc, &data_key, edks, &plaintext);
        assert!(external == msg, "{}: external path differs", case.name);
    }
}

#[test]
#[ignore = "rewrites tests/vectors/envelope/rust/; run after an intended format change"]
fn regenerate_rust_vectors() {
    let dir = vectors_dir().join("rust");
    std::fs::create_dir_all(&dir).unwrap();
    let mut entries = Vec::new();
    for case in cases() {
        let (msg, plaintext, entry) = build(&case);
        std::fs::write(dir.join(format!("{}.msg", case.name)), msg).unwrap();
        std::fs::write(dir.join(format!("{}.pt", case.name)), plaintext).unwrap();
        entries.push(entry);
    }
    let manifest = json!({
        "_comment": "Messages written by kms-wasm with fixed randomness (regenerate: cargo test --test envelope_vectors -- --ignored). check-with-esdk.mjs decrypts them with the AWS Encryption SDK for JavaScript.",
        "writer": "kms-wasm",
        "vectors": entries,
    });
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap() + "\n").unwrap();
}

#[test]
fn raw_aes_keyring_reads_esdk_encrypted_data_keys() {
    // every positive ESDK vector's EDK unwraps with the Rust keyring under the header's context
    let manifest = read_json("esdk/manifest.json");
    for v in manifest["vectors"].as_array().unwrap().iter().filter(|v| v["expect"] == "success") {
        let msg = read_bytes(v["message"].as_str().unwrap());
        let mut dec = kms_wasm::envelope::Decryptor::new(Default::default());
        dec.update(&msg, &mut Vec::new()).unwrap();
        let h = dec.header().unwrap();
        keyring(v["keyring"].as_str().unwrap()).on_decrypt(&h.encryption_context, &h.encrypted_data_keys).unwrap();
    }
}
